"""The nbgrader course built from the workbook (tools/course.py).

Fast: every notebook from 02 on converts into valid nbgrader source, and each reference solution
passes the grader it is given. Slow: the first assignment is released, three students submit it
(correct; with three typical mistakes; with a loop for ever and an exception), and
``nbgrader autograde`` and ``generate_feedback`` run with the SQLite gradebook.
"""

import html
import re
import time

import nbformat
import numpy as np
import pytest

from backprop_core import optim
from backprop_core.debugging import check

pytest.importorskip("nbgrader", reason="the course needs nbgrader: pip install -e '.[instructor]'")
from tools import course, course_solutions  # after the skip: course imports nbgrader

ASSIGNMENT = "ps1-gradients"


@pytest.fixture(scope="module")
def sources(tmp_path_factory):
    folder = tmp_path_factory.mktemp("course-source")
    return folder, course.build(folder, release=False)


def test_every_notebook_from_02_has_a_graded_item(sources):
    _, summary = sources
    numbers = sorted(name.split("-")[0] for part in summary.values() for name in part)
    expected = sorted(p.name.split("-")[0] for p in course.WORKBOOK.glob("[0-9][0-9]*-*.ipynb"))
    assert numbers == [n for n in expected if n >= "02"], "a notebook from 02 on is missing"
    for part in summary.values():
        for name, items in part.items():
            assert items, f"{name} has no graded item"


def test_source_cells_carry_nbgrader_roles(sources):
    folder, summary = sources
    for assignment, part in summary.items():
        for name, items in part.items():
            nb = nbformat.read(folder / "source" / assignment / f"{name}.ipynb", as_version=4)
            roles = [cell.metadata["nbgrader"] for cell in nb.cells]
            graded = {m["grade_id"]: m["points"] for m in roles if m["grade"]}
            assert graded == {f"test-{i.name}": i.points for i in items}, name
            solutions = [c for c in nb.cells if c.metadata["nbgrader"]["solution"]]
            assert all("### BEGIN SOLUTION" in c.source for c in solutions), name
            others = [m for m in roles if not (m["grade"] or m["solution"])]
            assert all(m["locked"] for m in others), f"{name}: prose or explorer cell not locked"


def _largest_difference():
    """Notebook 14's own ``largest_difference``, run from its cell."""
    path = next(course.WORKBOOK.glob("14-*.ipynb"))
    cell = next(
        c.source
        for c in nbformat.read(path, as_version=4).cells
        if "def largest_difference" in c.source
    )
    namespace = {"np": np, "optim": optim, "print": lambda *args: None}
    exec(cell, namespace)
    return namespace["largest_difference"]


def test_reference_solutions_pass_their_graders(sources):
    _, summary = sources
    items = {item for part in summary.values() for found in part.values() for item in found}
    for item in sorted(items, key=lambda i: i.name):
        fn = getattr(course_solutions, item.name)
        if item.stage is not None:
            result = check(fn, item.stage)
            assert result.passed, f"{item.name}: {result}"
        else:
            namespace = {"np": np, item.name: fn, "largest_difference": _largest_difference()}
            exec(course.graded_source(item), namespace)  # its assertion must hold


# The slow end-to-end test. Each mistake is a complete function as a student might write it.
MISTAKES = {
    "02-Softmax-Gradient": (
        "my_softmax_loss",
        "softmax_cross_entropy",
        '''def my_softmax_loss(scores, y):
    """Return (loss, dscores) for scores (N, C) and labels y (N,)."""
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    dscores = np.exp(log_probs)
    dscores[np.arange(len(y)), y] -= 1
    return -log_probs[np.arange(len(y)), y].mean(), dscores  # the 1/N is missing
''',
    ),
    "04-Bias-Gradient": (
        "my_affine_backward",
        "affine_backward",
        '''def my_affine_backward(dout, cache):
    """Return (dx, dW, db) for dout (N, C) and cache = (h, W)."""
    h, W = cache
    return dout @ W.T, h.T @ dout, dout.sum(axis=1)  # db over the wrong axis
''',
    ),
    "05-ReLU-Gradient": (
        "relu_backward_where",
        "relu_backward",
        '''def relu_backward_where(dout, cache, at_zero=0.0):
    """dx, the shape of dout: dout where cache.x > 0, at_zero * dout where it is 0."""
    return dout * (cache.x >= 0)  # the seed's >=
''',
    ),
}

# The hostile submission: a top-level loop for nbgrader's cell timeout, a function that loops for
# check's own timeout, a function that raises; its notebook 03 is correct.
HOSTILE = {
    "02-Softmax-Gradient": "while True:\n    pass\n",
    "04-Bias-Gradient": (
        "def my_affine_backward(dout, cache):\n    raise ValueError('not today')\n"
    ),
    "05-ReLU-Gradient": (
        "def relu_backward_where(dout, cache, at_zero=0.0):\n    while True:\n        pass\n"
    ),
}


def _submit(folder, student, replace):
    """Copy the release into ``student``'s submission, filling each solution cell with the
    source's solution, or with ``replace[notebook]`` for the notebooks it names."""
    target = folder / "submitted" / student / ASSIGNMENT
    target.mkdir(parents=True)
    for path in sorted((folder / "release" / ASSIGNMENT).glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        source = nbformat.read(folder / "source" / ASSIGNMENT / path.name, as_version=4)
        answers = {
            c.metadata["nbgrader"]["grade_id"]: c.source
            for c in source.cells
            if c.metadata.get("nbgrader", {}).get("solution")
        }
        for cell in nb.cells:
            if cell.metadata.get("nbgrader", {}).get("solution"):
                cell.source = replace.get(path.stem, answers[cell.metadata["nbgrader"]["grade_id"]])
        nbformat.write(nb, target / path.name)


def _text(page: str) -> str:
    """The words of an HTML page, tags and ANSI colour codes removed, entities decoded."""
    words = html.unescape(re.sub(r"<[^>]+>", "", page))
    return re.sub(r"\x1b\[[0-9;]*m", "", words)


def _feedback(folder, student: str, notebook: str, grade_id: str) -> str:
    """The words of one cell of a student's feedback page, from the cell's anchor to the next
    cell: the notebook's own worked examples print check messages too, and must not count."""
    page = (folder / "feedback" / student / ASSIGNMENT / f"{notebook}.html").read_text()
    start = page.index(f'<a name="{grade_id}">')
    end = page.find('<div class="cell ', start)
    return _text(page[start : end if end != -1 else len(page)])


@pytest.mark.slow
def test_autograde_and_feedback(tmp_path):
    from nbgrader.api import Gradebook

    started = time.monotonic()
    summary = course.build(tmp_path, only=(ASSIGNMENT,))
    points = {name: sum(i.points for i in items) for name, items in summary[ASSIGNMENT].items()}
    built = time.monotonic()

    for path in sorted((tmp_path / "release" / ASSIGNMENT).glob("*.ipynb")):
        given = nbformat.read(path, as_version=4)
        source = nbformat.read(tmp_path / "source" / ASSIGNMENT / path.name, as_version=4)
        for mine, theirs in zip(source.cells, given.cells, strict=True):
            if mine.metadata["nbgrader"]["solution"]:  # the region becomes nbgrader's stub
                stub = re.sub(
                    r"( *)### BEGIN SOLUTION.*?### END SOLUTION",
                    r"\1# YOUR CODE HERE\n\1raise NotImplementedError()",
                    mine.source,
                    flags=re.S,
                )
                assert theirs.source == stub, f"{path.name}: a solution reaches the student"
            else:
                assert theirs.source == mine.source, path.name

    _submit(tmp_path, "alice", {})
    _submit(tmp_path, "ann", HOSTILE)  # graded between alice and bob
    _submit(tmp_path, "bob", {name: fix for name, (_, _, fix) in MISTAKES.items()})
    # a short cell timeout for the test; the course's own is course.CELL_TIMEOUT
    course.nbgrader(tmp_path, "autograde", ASSIGNMENT, "--create", "--Execute.timeout=30")
    graded = time.monotonic()
    course.nbgrader(tmp_path, "generate_feedback", ASSIGNMENT)
    done = time.monotonic()

    with Gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}", course.COURSE_ID) as gb:
        marks = {
            student: {nb.name: nb.score for nb in gb.find_submission(ASSIGNMENT, student).notebooks}
            for student in ("alice", "ann", "bob")
        }
        totals = {s: gb.find_submission(ASSIGNMENT, s).score for s in marks}
        maximum = gb.find_assignment(ASSIGNMENT).max_score
    print(f"\n{ASSIGNMENT}: {maximum:g} points; marks {totals}")
    print(
        f"build {built - started:.0f} s, autograde of 3 submissions {graded - built:.0f} s, "
        f"feedback {done - graded:.0f} s"
    )
    assert maximum == sum(points.values())
    assert marks["alice"] == points, "the correct submission must get full marks"
    wrong = set(MISTAKES)
    assert marks["bob"] == {n: 0 if n in wrong else p for n, p in points.items()}
    assert marks["ann"] == {n: 0 if n in HOSTILE else p for n, p in points.items()}

    for name, (fn_name, stage, source) in MISTAKES.items():
        namespace = {"np": np}
        exec(source, namespace)
        expected = check(namespace[fn_name], stage)  # the message, from check itself
        assert not expected.passed
        words = _feedback(tmp_path, "bob", name, f"test-{fn_name}")
        assert "AssertionError" in words, f"{name}: the graded cell did not fail"
        for line in str(expected).splitlines():
            assert line.strip() in words, f"{name}'s graded cell lacks {line.strip()!r}"
        assert "not yet" not in _feedback(tmp_path, "alice", name, f"test-{fn_name}")
    ann = _feedback(tmp_path, "ann", "05-ReLU-Gradient", "test-relu_backward_where")
    limit = f"did not return within {course.CHECK_TIMEOUT} s"
    assert limit in ann, "check's own time limit must be reported"
    ann = _text(
        (tmp_path / "feedback" / "ann" / ASSIGNMENT / "02-Softmax-Gradient.html").read_text()
    )
    assert "CellTimeoutError" in ann, "nbgrader must stop the loop and say so"
