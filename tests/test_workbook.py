"""The notebooks as files: structure, pairing with their Markdown twins, executed outputs, and
that nbval notices when the engine behind them changes."""

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import jupytext
import pytest

WORKBOOK = Path(__file__).resolve().parent.parent / "workbook"
NOTEBOOKS = sorted(WORKBOOK.glob("[0-9][0-9]*-*.ipynb"))  # 03a: an inserted notebook
IGNORE = "nbval-ignore-output"  # the cell tag nbval reads


def cells(path, kind=None):
    nb = json.loads(path.read_text())
    return [c for c in nb["cells"] if kind is None or c["cell_type"] == kind]


def source(cell):
    return "".join(cell["source"])


def test_the_workbook_has_its_notebooks():
    assert NOTEBOOKS[0].name == "00-Start-Here.ipynb"
    assert all(
        re.fullmatch(r"\d\d[a-z]?(-[A-Za-z][A-Za-z0-9]*)+\.ipynb", p.name) for p in NOTEBOOKS
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_structure(path):
    markdown = [source(c) for c in cells(path, "markdown")]
    headings = [line for text in markdown for line in text.splitlines() if line.startswith("#")]
    assert [h for h in headings if h.startswith("# ")] == [headings[0]], "exactly one H1, first"
    h2 = [h for h in headings if h.startswith("## ")]
    assert h2[-2:] == ["## Summary", "## Exercises"], h2


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_prose_comes_before_every_code_cell(path):
    """A reader is told what a cell does before it runs: no code cell follows another (or opens
    the notebook) without Markdown between them."""
    kinds = [cell["cell_type"] for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]]
    unexplained = [
        i for i, kind in enumerate(kinds) if kind == "code" and (i == 0 or kinds[i - 1] == "code")
    ]
    assert unexplained == [], f"code cells {unexplained} follow no prose"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_links_between_notebooks_resolve(path):
    text = " ".join(source(c) for c in cells(path, "markdown"))
    for target in re.findall(r"\]\(([^)#]+\.ipynb)", text):
        assert (WORKBOOK / target).exists(), f"{path.name} links to missing {target}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_executed_top_to_bottom_without_errors(path):
    code = [c for c in cells(path, "code") if source(c).strip()]
    counts = [c["execution_count"] for c in code]
    assert counts == list(range(1, len(code) + 1)), "run it top to bottom in a fresh kernel"
    errors = [o for c in code for o in c["outputs"] if o["output_type"] == "error"]
    assert not errors


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_markdown_twin_is_in_sync(path):
    twin = path.with_suffix(".md")
    assert twin.exists(), f"pair it: jupytext --set-formats ipynb,md {path.name}"
    paired = jupytext.read(twin)
    mine = [(c["cell_type"], source(c).strip()) for c in cells(path)]
    theirs = [(c.cell_type, c.source.strip()) for c in paired.cells]
    assert mine == theirs, f"{twin.name} differs from {path.name}: run jupytext --sync"


def test_ignored_outputs_are_only_live_widgets():
    """nbval ignores the output of a cell that builds and displays an explorer, and of no other.

    The marker is the cell tag ``nbval-ignore-output``, out of the reader's sight, not a comment
    on the cell's first line."""
    ignored = []
    for path in NOTEBOOKS:
        for cell in cells(path, "code"):
            text = source(cell)
            assert "NBVAL_IGNORE_OUTPUT" not in text, f"{path.name}: use the cell tag {IGNORE}"
            if IGNORE in cell.get("metadata", {}).get("tags", []):
                assert re.search(r"\w+_explorer\(", text), f"{path.name}: ignored cell {text!r}"
                ignored.append(path.name)
    assert len(ignored) == len(set(ignored)), "one live explorer per notebook"
    with_explorer = [p.name for p in NOTEBOOKS if re.search(r"\w+_explorer\(", p.read_text())]
    assert sorted(ignored) == with_explorer, ignored  # one per notebook with an explorer


@pytest.mark.slow
@pytest.mark.skipif(not (WORKBOOK / "04-Bias-Gradient.ipynb").exists(), reason="needs notebook 04")
def test_nbval_fails_when_the_engine_changes_behind_the_notebooks(tmp_path):
    """Sum the bias gradient over the wrong axis inside the kernel: notebook 04 must fail."""
    (tmp_path / "sitecustomize.py").write_text(
        textwrap.dedent("""
        from backprop_core.layers import affine
        original = affine.backward

        def wrong_axis(dout, cache, need_dx=True):
            dx, dW, _ = original(dout, cache, need_dx)
            return dx, dW, dout.sum(axis=1)

        affine.backward = wrong_axis  # the kernel behind affine_backward and TwoLayerNet
    """)
    )
    env = {**__import__("os").environ, "PYTHONPATH": str(tmp_path)}
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-q",
            "-x",
            str(WORKBOOK / "04-Bias-Gradient.ipynb"),
        ],
        env=env,
        capture_output=True,
        text=True,
        cwd=WORKBOOK.parent,
    )
    assert run.returncode != 0, run.stdout[-2000:]
    assert "failed" in run.stdout
