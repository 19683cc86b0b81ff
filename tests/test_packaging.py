"""The files a newcomer relies on: environment.yml, the README's two commands, CI's entry point."""

import sys
from pathlib import Path

import yaml
from packaging.markers import default_environment
from packaging.requirements import Requirement

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
ENVIRONMENT = yaml.safe_load((ROOT / "environment.yml").read_text())


def conda_requirements():
    """Requirements listed by environment.yml, keyed by name (``name>=x`` reads as pip reads it)."""
    listed = {}
    pip_section = next(e["pip"] for e in ENVIRONMENT["dependencies"] if isinstance(e, dict))
    for entry in [*ENVIRONMENT["dependencies"], *pip_section]:
        if isinstance(entry, str) and not entry.startswith(("python=", "pip", "-e")):
            req = Requirement(entry)
            listed[req.name.lower()] = req
    return listed


def declared(group):
    """Requirements of pyproject.toml: 'runtime' or an extra's name."""
    project = PYPROJECT["project"]
    texts = (
        project["dependencies"] if group == "runtime" else project["optional-dependencies"][group]
    )
    environment = {
        **default_environment(),
        "python_version": "3.11",
        "python_full_version": "3.11.0",
    }
    reqs = [Requirement(t) for t in texts]
    return [r for r in reqs if r.marker is None or r.marker.evaluate(environment)]


def test_environment_uses_conda_forge_and_pins_python():
    assert ENVIRONMENT["channels"] == ["conda-forge"]
    assert "python=3.11" in ENVIRONMENT["dependencies"]


def test_environment_lists_every_declared_dependency_with_its_bound():
    listed = conda_requirements()
    extras = PYPROJECT["project"]["optional-dependencies"]
    assert {"workbook", "dev", "instructor"} <= set(extras)
    for group in ("runtime", *extras):  # every extra, the instructor's included
        for req in declared(group):
            assert req.name.lower() in listed, (
                f"{req.name} ({group}) is missing from environment.yml"
            )
            assert listed[req.name.lower()].specifier == req.specifier, req.name


def test_environment_installs_the_package_itself():
    pip_section = next(e["pip"] for e in ENVIRONMENT["dependencies"] if isinstance(e, dict))
    assert "-e ." in pip_section


def test_readme_opens_with_the_two_commands():
    head = (ROOT / "README.md").read_text().splitlines()[:12]
    assert any(line.strip().startswith("make lab") for line in head)
    assert any(line.strip().startswith("make test") for line in head)


def test_ci_runs_the_readme_test_command():
    assert "make test" in (ROOT / ".ci" / "run").read_text()
