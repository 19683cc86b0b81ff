"""Build an nbgrader course from the workbook: ``python -m tools.course [build/course]``.

The notebooks are read when the course is built, never copied into this file: each numbered
notebook from 02 on becomes one notebook of an assignment (``PARTS`` groups them by the workbook's
parts). Its prose, derivations and explorers are read-only cells; in its ``## Exercises`` section,
every function stub (a ``def`` whose body is ``...``) and every commented
``# print(check(fn, "stage"))`` names a graded item. The stub keeps its signature and docstring
for the student; its body becomes the reference solution of :mod:`tools.course_solutions`
between ``### BEGIN SOLUTION`` and ``### END SOLUTION``. After the exercise cell come, for each
item, a read-only note and an autograded test cell that calls ``check(fn, stage)`` (or the item's
own test) and asserts that it passed, so the feedback a student reads on failure is
``check``'s message. The nbgrader metadata is validated with nbgrader's own validator, and
``nbgrader generate_assignment`` then writes ``release/`` with the solutions removed.

Grading is time-limited twice: ``check`` stops a student's function after ``CHECK_TIMEOUT``
seconds, and nbgrader's ``Execute`` preprocessor interrupts any cell after ``CELL_TIMEOUT``
seconds (a top-level loop) and grades the rest of the notebook.
"""

from __future__ import annotations

import argparse
import ast
import inspect
import os
import re
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbgrader.nbgraderformat import MetadataValidator

from . import course_solutions
from .lab import WORKBOOK

ROOT = WORKBOOK.parent
COURSE = ROOT / "build" / "course"
COURSE_ID = "backprop-workbook"
# (assignment, first notebook number, first number of the next part): a notebook "03a" falls
# into the part whose range holds it.
PARTS = (
    ("ps1-gradients", "02", "06"),
    ("ps2-network", "06", "11"),
    ("ps3-layers", "11", "14"),
    ("ps4-algorithms", "14", "99"),
)
CHECK_TIMEOUT = 10  # seconds per call of a student's function, check's own budget
CELL_TIMEOUT = 120  # seconds per cell, nbgrader's Execute preprocessor
CHECK_LINE = re.compile(r'^#\s*print\(check\((\w+),\s*"(\w+)"\)\)', re.MULTILINE)
SCHEMA = 3


@dataclass(frozen=True)
class Item:
    """One graded exercise: the student's function, its ``check`` stage (None when the item has
    a test of its own in ``course_solutions.TESTS``) and its points."""

    name: str
    stage: str | None
    points: int


def _meta(grade_id: str, *, solution=False, grade=False, locked=False, points=None) -> dict:
    meta = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": locked,
        "schema_version": SCHEMA,
        "solution": solution,
        "task": False,
    }
    if grade:
        meta["points"] = points
    return meta


def _solution_parts(name: str) -> tuple[list[str], list[str]]:
    """The reference function ``name``: its header lines (``def`` and docstring) and its body
    lines, both without indentation."""
    fn = getattr(course_solutions, name, None)
    if fn is None or not callable(fn):
        raise LookupError(
            f"the workbook asks for {name}() but tools/course_solutions.py has no reference "
            f"solution of that name"
        )
    lines = textwrap.dedent(inspect.getsource(fn)).splitlines()
    body = ast.parse("\n".join(lines)).body[0].body
    if isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # the docstring stays in the header
    start = body[0].lineno - 1
    return lines[:start], textwrap.dedent("\n".join(lines[start:])).splitlines()


def _solution_region(body: list[str], indent: str) -> list[str]:
    inner = [indent + line if line.strip() else "" for line in body]
    return [f"{indent}### BEGIN SOLUTION", *inner, f"{indent}### END SOLUTION"]


def _is_stub(node: ast.AST) -> bool:
    if not isinstance(node, ast.FunctionDef):
        return False
    body = node.body
    if isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:] or body
    last = body[-1]
    return (
        len(body) == 1
        and isinstance(last, ast.Expr)
        and isinstance(last.value, ast.Constant)
        and last.value.value is Ellipsis
    )


def solve_cell(source: str) -> tuple[str, list[Item]]:
    """An exercise cell with its stubs filled in by solution regions, and its graded items.

    >>> text = 'def tanh_jvp(x, v):\\n    \"\"\"The tangent.\"\"\"\\n    ...\\n'
    >>> solved, items = solve_cell(text)
    >>> print(solved)
    def tanh_jvp(x, v):
        \"\"\"The tangent.\"\"\"
        ### BEGIN SOLUTION
        return (1 - np.tanh(x) ** 2) * v
        ### END SOLUTION
    >>> items
    [Item(name='tanh_jvp', stage=None, points=2)]
    """
    lines = source.splitlines()
    stages = dict(CHECK_LINE.findall(source))
    stubs = [node for node in ast.parse(source).body if _is_stub(node)]
    names = [node.name for node in stubs]
    # a check line whose function the cell does not define: the whole function is the exercise
    missing = [name for name in stages if name not in names]
    for node in sorted(stubs, key=lambda n: n.lineno, reverse=True):
        dots = node.body[-1].lineno - 1
        indent = re.match(r"\s*", lines[dots]).group()
        lines[dots : dots + 1] = _solution_region(_solution_parts(node.name)[1], indent)
    for name in missing:  # written just above its check line
        header, body = _solution_parts(name)
        at = next(
            i for i, line in enumerate(lines) if re.match(rf"#\s*print\(check\({name},", line)
        )
        lines[at:at] = [*header, *_solution_region(body, "    "), "", ""]
    items = []
    for name in [*names, *missing]:
        stage = stages.get(name)
        if stage is None and name not in course_solutions.TESTS:
            raise LookupError(
                f"{name}() has no check line and no test in tools/course_solutions.TESTS"
            )
        points = course_solutions.POINTS.get(name, course_solutions.DEFAULT_POINTS)
        items.append(Item(name, stage, points))
    return "\n".join(lines), items


def graded_source(item: Item) -> str:
    """The autograded cell of ``item``: an assertion whose message is the feedback.

    >>> print(graded_source(Item("relu_backward_where", "relu_backward", 2)))
    from backprop_core.debugging import check
    <BLANKLINE>
    result = check(relu_backward_where, "relu_backward", timeout=10)
    assert result.passed, "\\n" + str(result)
    """
    if item.stage is None:
        return course_solutions.TESTS[item.name]
    return (
        "from backprop_core.debugging import check\n\n"
        f'result = check({item.name}, "{item.stage}", timeout={CHECK_TIMEOUT})\n'
        'assert result.passed, "\\n" + str(result)'
    )


def _note(item: Item, number: str) -> str:
    how = (
        f'`check({item.name}, "{item.stage}")` must pass every case'
        if item.stage
        else "the test below must pass"
    )
    note = f"**Graded ({item.points} points): `{item.name}`.** Run the cell below: {how}."
    extra = course_solutions.NOTES.get(number)
    return f"{note} {extra}" if extra else note


def _graded(cell, grade_id: str, items: list[Item], number: str) -> list:
    """The solution ``cell`` followed by a read-only note and a graded test per item."""
    cell.metadata["nbgrader"] = _meta(grade_id, solution=True)
    cells = [cell]
    for item in items:
        note = nbformat.v4.new_markdown_cell(_note(item, number))
        note.metadata["nbgrader"] = _meta(f"note-{item.name}", locked=True)
        test = nbformat.v4.new_code_cell(graded_source(item))
        test.metadata["nbgrader"] = _meta(
            f"test-{item.name}", grade=True, locked=True, points=item.points
        )
        cells += [note, test]
    return cells


def assignment_notebook(path: Path) -> tuple[nbformat.NotebookNode, list[Item]]:
    """The nbgrader source notebook made from the workbook notebook at ``path``, and its items."""
    nb = nbformat.read(path, as_version=4)
    number = path.name.split("-")[0]
    for key in ("widgets", "jupytext"):  # stale widget state; no Markdown twin in a class
        nb.metadata.pop(key, None)
    heads = [
        i
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "markdown" and re.search(r"^## Exercises", cell.source, re.M)
    ]
    if not heads:
        raise LookupError(f"{path.name} has no '## Exercises' section")
    cells, items = [], []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        found = []
        if cell.cell_type == "code" and index > heads[0]:
            solved, found = solve_cell(cell.source)
        if not found:
            cell.metadata["nbgrader"] = _meta(f"cell-{index}", locked=True)
            cells.append(cell)
            continue
        cell.source = solved
        cells += _graded(cell, f"solution-{index}", found, number)
        items += found
    if not items and number in course_solutions.EXTRA:  # exercises on paper only
        prompt, stub = course_solutions.EXTRA[number]
        solved, items = solve_cell(stub)
        intro = nbformat.v4.new_markdown_cell(prompt)
        intro.metadata["nbgrader"] = _meta("course-exercise", locked=True)
        cells += [
            intro,
            *_graded(nbformat.v4.new_code_cell(solved), "solution-course", items, number),
        ]
    if not items:
        raise LookupError(
            f"{path.name} has no graded exercise (no stub, no check line, and no entry in "
            f"tools/course_solutions.EXTRA)"
        )
    nb.cells = cells
    MetadataValidator().validate_nb(nb)
    return nb, items


def workbook_parts(workbook: Path = WORKBOOK) -> dict[str, list[Path]]:
    """The notebooks of each assignment, read from ``workbook`` now.

    >>> workbook_parts()["ps1-gradients"][0].name
    '02-Softmax-Gradient.ipynb'
    """
    parts = {name: [] for name, _, _ in PARTS}
    for path in sorted(workbook.glob("[0-9][0-9]*-*.ipynb")):
        number = path.name.split("-")[0]
        for name, first, after in PARTS:
            if first <= number < after:
                parts[name].append(path)
    return parts


CONFIG = """\
# nbgrader's configuration for the course built by tools/course.py from the workbook.
c = get_config()  # noqa: F821 (nbgrader provides it)
c.CourseDirectory.course_id = "{course_id}"
# The gradebook is nbgrader's SQLite database, gradebook.db in this folder (the default db_url).
# Each cell of a student's notebook gets {cell} s; a cell still running then is interrupted and
# graded as failed, and the rest of the notebook, and every other submission, is still graded.
c.Execute.timeout = {cell}
c.Execute.interrupt_on_timeout = True
c.ClearSolutions.code_stub = {{"python": "# YOUR CODE HERE\\nraise NotImplementedError()"}}
"""


def build(
    course: Path = COURSE,
    workbook: Path = WORKBOOK,
    release: bool = True,
    only: tuple[str, ...] | None = None,
) -> dict:
    """Write ``course``'s ``source/`` and ``nbgrader_config.py`` from ``workbook``; with
    ``release``, run ``nbgrader generate_assignment`` on each assignment (those named in ``only``,
    when given). Returns
    ``{assignment: {notebook: [Item, ...]}}``. Submissions and the gradebook are left alone."""
    course.mkdir(parents=True, exist_ok=True)
    (course / "nbgrader_config.py").write_text(
        CONFIG.format(course_id=COURSE_ID, cell=CELL_TIMEOUT)
    )
    summary = {}
    for name, paths in workbook_parts(workbook).items():
        if not paths or (only is not None and name not in only):
            continue
        folder = course / "source" / name
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        summary[name] = {}
        for path in paths:
            nb, items = assignment_notebook(path)
            nbformat.write(nb, folder / path.name)
            summary[name][path.stem] = items
        if release:
            nbgrader(course, "generate_assignment", name, "--force")
    return summary


def nbgrader(course: Path, *args: str, timeout: float = 1800) -> str:
    """Run ``nbgrader *args`` in ``course`` with this environment's tools on PATH (nbgrader calls
    ``alembic`` by name); returns its log, and raises with the log if it fails."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args],
        cwd=course,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    log = done.stdout + done.stderr
    if done.returncode != 0:
        raise RuntimeError(f"nbgrader {' '.join(args)} failed:\n{log[-4000:]}")
    return log


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("course", nargs="?", type=Path, default=COURSE)
    parser.add_argument("--no-release", action="store_true", help="skip generate_assignment")
    args = parser.parse_args(argv)
    summary = build(args.course.resolve(), release=not args.no_release)
    total = 0
    for name, notebooks in summary.items():
        points = sum(item.points for items in notebooks.values() for item in items)
        total += points
        print(f"{name}: {points} points")
        for notebook, items in notebooks.items():
            graded = ", ".join(f"{item.name} ({item.points})" for item in items)
            print(f"  {notebook}: {graded}")
    released = "" if args.no_release else "; release/ holds it without the solutions"
    print(f"course {COURSE_ID} in {args.course}: {total} points{released}")


if __name__ == "__main__":
    main()
