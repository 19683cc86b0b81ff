"""The design rules of issue 10 that a script can check: no private name crosses a module.

A ``_``-prefixed name is private to the module that defines it. Importing one from another
module, or reaching into another module's object for one (``net._forward`` from training.py),
couples the two: the count below must stay at zero. A class's own ``self._name`` is the class's
business (and its subclasses'), not a crossing. NamedTuple's own API (``_replace``, ``_asdict``,
``_fields``, ``_make``) is public despite its underscore. Before issue 10 the package had 23.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PUBLIC_ANYWAY = {"_replace", "_asdict", "_fields", "_make", "_repr_latex_", "_repr_mimebundle_"}


def private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__") and name not in PUBLIC_ANYWAY


def defined_in(tree: ast.Module) -> set[str]:
    """Names a module defines itself: functions, classes, and attributes it assigns."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            names.add(node.attr)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
    return names


def crossings(path: Path) -> list[str]:
    """Every private name ``path`` takes from another module."""
    tree = ast.parse(path.read_text())
    own = defined_in(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            found += [f"import {a.name}" for a in node.names if private(a.name)]
        elif (
            isinstance(node, ast.Attribute)
            and private(node.attr)
            and node.attr not in own
            and ast.unparse(node.value) not in ("self", "cls")  # a class and its subclasses
        ):
            found.append(f"{ast.unparse(node.value)}.{node.attr}")
    return [f"{path.relative_to(ROOT)}: {what}" for what in found]


FOLDERS = ["backprop_core", "tests", "tools", "benchmarks"]
FILES = sorted(p for folder in FOLDERS for p in (ROOT / folder).rglob("*.py"))


def test_the_checker_sees_a_crossing(tmp_path):
    (tmp_path / "bad.py").write_text(
        "from .net import _forward\nimport training\ntraining.net._rng.random()\n"
    )
    global ROOT
    saved, ROOT = ROOT, tmp_path
    try:
        assert crossings(tmp_path / "bad.py") == [
            "bad.py: import _forward",
            "bad.py: training.net._rng",
        ]
    finally:
        ROOT = saved


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(ROOT)) for p in FILES])
def test_no_private_name_crosses_a_module(path):
    assert crossings(path) == []


def public_functions():
    """Every function exported by the packages a learner imports from."""
    import inspect

    import backprop_core
    from backprop_core import debugging, layers, symbolic, widgets

    return [
        pytest.param(getattr(module, name), id=f"{module.__name__}.{name}")
        for module in (backprop_core, layers, symbolic, debugging, widgets)
        for name in module.__all__
        if inspect.isfunction(getattr(module, name))
    ]


@pytest.mark.parametrize("function", public_functions())
def test_every_exported_function_has_a_doctest(function):
    assert ">>>" in (function.__doc__ or ""), "add a short example that runs as a doctest"
