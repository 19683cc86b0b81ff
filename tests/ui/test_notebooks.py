"""The table the browser tests, ``bench_ui`` and ``make screenshots`` derive (``tools.notebooks``),
checked against the package's list of builders and against slider positions worked out by hand.
No browser is needed."""

import json
from types import SimpleNamespace

import ipywidgets
import pytest

from backprop_core import widgets
from tools.notebooks import Move, explorer_notebooks, first_slider


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
