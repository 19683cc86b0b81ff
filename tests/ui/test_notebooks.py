"""The table the browser tests, ``bench_ui`` and ``make screenshots`` derive (``tools.notebooks``),
checked against the package's list of builders and against slider positions worked out by hand
(no browser needed); then, in Chromium, each explorer notebook after Run All: its explorer shows
the state the notebook's own ``set``/``train`` calls left it in, and keeps showing it."""

import ast
import contextlib
import json
import math
from types import SimpleNamespace

import ipywidgets
import pytest

try:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
except ImportError:  # the browser tests are skipped without it (conftest); the others still run
    PlaywrightTimeout = TimeoutError

from backprop_core import widgets
from tools.lab import (
    ACTIVE,
    WORKBOOK,
    control_values,
    explorer,
    open_notebook,
    page_problems,
    readout_text,
    run_all_cells,
)
from tools.notebooks import Move, explorer_notebooks, first_slider

NOTEBOOKS = explorer_notebooks()


def test_each_explorer_of_the_package_is_built_by_one_notebook():
    table = explorer_notebooks()
    builders = sorted(name for name in widgets.__all__ if name.endswith("_explorer"))
    assert sorted(table.values()) == builders  # each builder once: no notebook lost, none shared


def test_a_notebook_building_two_explorers_is_refused(tmp_path):
    cells = [{"cell_type": "code", "source": ["a = relu_explorer()\n", "b = bias_explorer()"]}]
    (tmp_path / "01-Two.ipynb").write_text(json.dumps({"cells": cells}))
    refused = r"01-Two.ipynb builds \['bias_explorer', 'relu_explorer'\]"
    with pytest.raises(ValueError, match=refused):
        explorer_notebooks(tmp_path)


def explorer_with(**controls):
    return SimpleNamespace(controls=controls)


def test_first_slider_skips_other_controls_and_counts_range_handles():
    ex = explorer_with(
        text=ipywidgets.Text(),
        span=ipywidgets.FloatRangeSlider(min=-10, max=10, step=0.5),
        pick=ipywidgets.Dropdown(options=["a", "b"]),
        entry=ipywidgets.IntSlider(min=0, max=3),
    )
    # 3 positions past the first: 1/4 of 3 rounds to 1, 3/4 of 3 rounds to 2
    assert first_slider(ex) == Move("entry", readout=1, handle=2, texts=("1", "2"))


def test_first_slider_values_are_snapped_and_written_as_shown():
    bias = ipywidgets.FloatSlider(min=-3, max=3, step=0.25)  # 24 steps: 6 and 18 steps in
    assert first_slider(explorer_with(bias=bias)).texts == ("-1.50", "1.50")
    # along the exponent: -2 + 3 * 0.25 = -1.25 and -2 + 9 * 0.25 = 0.25, shown with 3 digits
    rate = ipywidgets.FloatLogSlider(min=-2, max=1, step=0.25, base=10)
    assert first_slider(explorer_with(rate=rate)).texts == ("0.0562", "1.78")
    # two positions: the ends, and each key steps towards the other
    assert first_slider(explorer_with(n=ipywidgets.IntSlider(min=0, max=1))).texts == ("0", "1")


def test_an_explorer_without_a_one_value_slider_has_no_move():
    ex = explorer_with(text=ipywidgets.Text(), span=ipywidgets.FloatRangeSlider())
    assert first_slider(ex) is None


def replayed(name: str):
    """The explorer of notebook ``name`` built and moved in this process as the notebook moves
    it: its creation, then every top-level statement of a later code cell that calls ``set`` or
    ``train`` on it (a loop included), in order, with ``print`` silenced."""
    cells = json.loads((WORKBOOK / name).read_text())["cells"]
    namespace = {**{n: getattr(widgets, n) for n in widgets.__all__}, "print": lambda *a, **k: None}
    variable = None
    for cell in cells:
        if cell["cell_type"] != "code":
            continue
        for statement in ast.parse("".join(cell["source"])).body:
            if variable is None:
                builds = isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Call)
                if builds and getattr(statement.value.func, "id", "") == NOTEBOOKS[name]:
                    variable = statement.targets[0].id
                    exec(compile(ast.Module([statement], []), name, "exec"), namespace)
                continue
            moves = any(
                isinstance(node, ast.Attribute)
                and node.attr in ("set", "train")
                and isinstance(node.value, ast.Name | ast.Call)
                and variable in {n.id for n in ast.walk(node.value) if isinstance(n, ast.Name)}
                for node in ast.walk(statement)
            )
            if moves:
                exec(compile(ast.Module([statement], []), name, "exec"), namespace)
    assert variable is not None, f"{name} does not build {NOTEBOOKS[name]}()"
    return namespace[variable]


def shown_as(control, text: str):
    """The value a control's readout ``text`` stands for (d3 writes a true minus sign)."""
    text = text.replace("\u2212", "-").replace("\xa0", " ")
    if isinstance(control, ipywidgets.Dropdown):
        return next((o for o in control.options if str(o) == text), text)
    if isinstance(control, ipywidgets.IntRangeSlider | ipywidgets.FloatRangeSlider):
        return tuple(float(part) for part in text.split("\u2013"))
    return float(text)


def agrees(control, shown) -> bool:
    """Whether a value read from the page is the control's, to the digits its readout shows."""
    value = control.value
    if isinstance(control, ipywidgets.Dropdown):
        return shown == value
    pairs = zip(shown, value, strict=True) if isinstance(shown, tuple) else [(shown, value)]
    digits = control.readout_format if hasattr(control, "readout_format") else "d"
    if isinstance(control, ipywidgets.FloatLogSlider):  # significant digits: compare relatively
        return all(math.isclose(a, b, rel_tol=5e-3) for a, b in pairs)
    tolerance = 0.5 * 10.0 ** -int(digits.strip(".df") or 0)
    return all(abs(a - b) <= tolerance for a, b in pairs)


HOLD = 2000  # ms the page must keep the expected state: a late echo would undo it within this


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_after_run_all_the_explorer_shows_the_state_its_notebook_left_it_in(page, name):
    """The readout is exactly the in-process ``summary()`` after the notebook's own moves, every
    control shows the value those moves left, and both stay so."""
    ex = replayed(name)
    expected = ex.summary().strip()
    open_notebook(page, name)
    run_all_cells(page)
    assert page_problems(page) == [], name
    explorer(page)
    with contextlib.suppress(PlaywrightTimeout):  # the last messages of the run arrive
        page.wait_for_function(
            "(want) => document.querySelector('.bp-explorer .bp-readout pre').innerText.trim()"
            " === want",
            arg=expected,
            timeout=10_000,
        )
    page.wait_for_timeout(HOLD)
    assert readout_text(page).strip() == expected, "the readout is not the notebook's state"
    with_readout = [c for c in ex.controls.values() if not isinstance(c, ipywidgets.Text)]
    shown = control_values(page)
    assert len(shown) == len(with_readout), shown
    for (control_name, control), text in zip(
        ((n, c) for n, c in ex.controls.items() if not isinstance(c, ipywidgets.Text)),
        shown,
        strict=True,
    ):
        assert agrees(control, shown_as(control, text)), (control_name, text, control.value)
    for control_name, control in ex.controls.items():
        if isinstance(control, ipywidgets.Text):
            box = page.input_value(f"{ACTIVE} .bp-explorer .bp-controls input[type=text]")
            assert box == control.value, (control_name, box)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_before_running_the_explorer_shows_its_saved_state(page, name):
    """Opened and not run, the notebook shows its explorer from the widget state saved when it
    was executed (not the text of a Python object): the readout of the notebook's last state and
    its figure. JupyterLab draws a widget only in a trusted notebook (``jupyter trust``)."""
    open_notebook(page, name)
    explorer(page)
    assert readout_text(page).strip() == replayed(name).summary().strip()
    width = page.evaluate(
        "() => document.querySelector('.bp-explorer .bp-image').naturalWidth"
        " || new Promise(r => document.querySelector('.bp-explorer .bp-image')"
        ".addEventListener('load', e => r(e.target.naturalWidth)))"
    )
    assert width > 0, "the saved figure is not shown"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_replaying_a_notebook_moves_its_explorer_where_the_notebook_says(name):
    """The replay the browser test compares against follows the notebook: the last output of a
    cell printing a summary holds the replayed summary's first or last line (a notebook may
    print one line of it, or more after it; no browser needed)."""
    ex = replayed(name)
    cells = json.loads((WORKBOOK / name).read_text())["cells"]
    printed = [
        "".join(out.get("text", ""))
        for cell in cells
        if cell["cell_type"] == "code" and ".summary()" in "".join(cell["source"])
        for out in cell.get("outputs", [])
        if out.get("name") == "stdout"
    ]
    if not printed:
        pytest.skip(f"{name} prints no summary")
    lines = ex.summary().splitlines()
    assert lines[0] in printed[-1] or lines[-1] in printed[-1], (printed[-1], lines)
