"""Explorers driven from code, as a notebook or a test drives them without a browser."""

import html
import re
import subprocess
import sys
from pathlib import Path

import ipywidgets
import numpy as np
import pytest

from backprop_core import widgets
from backprop_core.widgets import (
    activation_explorer,
    backward_explorer,
    bias_explorer,
    relu_explorer,
    softmax_explorer,
    training_explorer,
    weight_gradient_explorer,
)
from backprop_core.widgets.base import Explorer

WORKBOOK = Path(__file__).resolve().parent.parent / "workbook"
CLASSES = widgets.explorer_classes()  # every builder in widgets.__all__, and the class it returns


def far_value(control):
    """A value far from the control's current one, or None for a text box.

    A slider goes to the end of its range farther from its value, a range slider spans its whole
    range, a menu takes its last option (its first if the last is chosen).
    """
    if isinstance(control, ipywidgets.FloatRangeSlider | ipywidgets.IntRangeSlider):
        return (control.min, control.max)
    if isinstance(control, ipywidgets.FloatLogSlider):
        low, high = control.base**control.min, control.base**control.max
    elif isinstance(control, ipywidgets.IntSlider | ipywidgets.FloatSlider):
        low, high = control.min, control.max
    elif isinstance(control, ipywidgets.Dropdown):
        options = list(control.options)
        return options[0] if control.value == options[-1] else options[-1]
    else:
        return None
    return low if control.value - low > high - control.value else high


def test_each_explorer_declares_the_notebook_that_builds_it():
    """The notebook -> builder table derived from the classes is the one the notebooks use."""
    declared = {(cls.notebook, name) for name, cls in CLASSES.items()}
    assert len({notebook for notebook, _ in declared}) == len(CLASSES), "a notebook declared twice"
    used = {
        (path.name, name)
        for path in WORKBOOK.glob("[0-9][0-9]*-*.ipynb")
        for name in re.findall(r"\b(\w+_explorer)\(", path.read_text(encoding="utf-8"))
    }
    assert declared == used


@pytest.mark.parametrize("name", CLASSES)
def test_moving_each_control_updates_text_and_image(name):
    """Each control moved far from its start (as a browser moves it) and back: the summary
    changes unless it is a view control, the image unless the explorer redraws only on training;
    moving back restores both, and the readout always shows the summary."""
    ex = getattr(widgets, name)()
    assert type(ex) is CLASSES[name]
    start_text, start_png = ex.summary(), ex.png()
    assert start_png.startswith(b"\x89PNG\r\n\x1a\n")
    moved = 0
    for control_name, control in ex.controls.items():
        start, value = control.value, far_value(control)
        if value is None:  # a text box: its own test types into it
            continue
        control.value = value
        assert not ex.errors.outputs, ex.errors.outputs
        assert ex.values()[control_name] == value
        assert html.escape(ex.summary()) in ex.readout.value
        text_changed = ex.summary() != start_text
        assert text_changed == (control_name not in ex.view_controls), control_name
        assert (ex.png() != start_png) == ex.redraws_on_move, control_name
        control.value = start
        assert (ex.summary(), ex.png()) == (start_text, start_png), control_name
        moved += 1
    assert moved > 0, f"{name} has no control this test can move"


def test_summary_is_deterministic():
    assert softmax_explorer().set(label=2).summary() == softmax_explorer().set(label=2).summary()
    assert relu_explorer().set(bias=0.5).summary() == relu_explorer().set(bias=0.5).summary()


def test_a_slider_move_updates_like_set():
    ex = softmax_explorer()
    ex.controls["label"].value = 2  # what a browser does
    assert ex.summary() == softmax_explorer().set(label=2).summary()


def test_softmax_explorer_shows_softmax_and_its_gradient():
    """p against exp(f) / sum exp(f) written out here, and the gradient against p - onehot(y)."""
    state = softmax_explorer().set(f0=1.5, f1=-0.5, f2=3.0, label=1).state
    exp = np.exp([1.5, -0.5, 3.0])
    np.testing.assert_allclose(state["probs"], exp / exp.sum(), rtol=1e-12)
    np.testing.assert_allclose(state["grad"], state["probs"] - [0, 1, 0], rtol=0, atol=1e-15)


def test_weight_gradient_explorer_sums_the_products():
    ex = weight_gradient_explorer()
    np.testing.assert_allclose(ex.dW, ex.h.T @ ex.dy, rtol=1e-12)  # the engine against h^T G
    for i in range(4):
        for j in range(3):
            state = ex.set(i=i, j=j).state
            assert state["total"] == pytest.approx(state["dW"], abs=1e-12)


def test_bias_explorer_sums_the_rows_of_the_batch():
    """db from affine_backward against the sum of the batch's rows, written out here."""
    ex = bias_explorer()
    for N in (1, 5, 12):
        np.testing.assert_allclose(ex.set(N=N).state["db"], ex.rows[:N].sum(axis=0), atol=1e-12)


def test_bias_explorer_with_a_mean_loss_averages_the_rows():
    """With loss="mean" every row carries 1/N, so db is the mean of the batch's rows (to 1e-12)
    and stays of the size of one row as N grows, where the sum grows with N."""
    ex = bias_explorer()
    for N in (1, 5, 12):
        state = ex.set(N=N, loss="mean").state
        np.testing.assert_allclose(state["db"], ex.rows[:N].mean(axis=0), atol=1e-12)
        assert "g_p / " + str(N) in ex.summary()


def test_relu_explorer_follows_at_zero_at_exact_zeros():
    ex = relu_explorer()
    passed = {z: ex.set(at_zero=z).summary().splitlines()[3] for z in (0.0, 1.0)}
    assert passed[0.0] != passed[1.0]
    assert "inputs exactly 0: 8" in passed[0.0]


def test_backward_explorer_agrees_three_ways_for_every_parameter():
    ex = backward_explorer()
    for name in ex.controls["param"].options:
        assert ex.set(param=name, entry=0).summary().endswith("= SymPy to 1e-12: yes"), name


def test_backward_explorer_error_curve_has_the_v_of_central_differences():
    """For every parameter, the central difference's error against SymPy at the default step
    1e-5 is below 1e-9, and at the smallest step (1e-12, round-off) it is at least 100 times
    larger than at the curve's best step; the marker's error is the curve's at a grid step."""
    from backprop_core.widgets.backward import STEPS

    ex = backward_explorer()
    for name in ex.controls["param"].options:
        state = ex.set(param=name, entry=0, step=1e-5).state
        back, central, exact = state["values"]
        assert abs(central - exact) < 1e-9 and abs(back - exact) < 1e-12, name
        assert state["curve"][0] > 100 * state["curve"].min(), name
        on_grid = ex.set(step=float(STEPS[8])).state
        assert abs(on_grid["values"][1] - exact) == pytest.approx(on_grid["curve"][8], rel=1e-9)


def test_activation_explorer_plots_f_and_its_slope():
    """The curves of tanh against NumPy's tanh and 1 - tanh², to 1e-12."""
    ex = activation_explorer()
    before = ex.png()
    state = ex.set(text="tanh(x)").state
    np.testing.assert_allclose(state["f"], np.tanh(state["xs"]), rtol=0, atol=1e-12)
    np.testing.assert_allclose(state["df"], 1 - np.tanh(state["xs"]) ** 2, rtol=0, atol=1e-12)
    assert ex.summary().splitlines()[0] == "f(x)  = tanh(x)"
    assert ex.png() != before


def test_activation_explorer_trains_from_its_button():
    ex = activation_explorer(text="tanh(x)")
    untrained = ex.png()
    ex.train_button.click()  # what a reader's click does
    assert not ex.errors.outputs, ex.errors.outputs
    assert ex.summary().splitlines()[-1].startswith("trained with 'tanh(x)': loss ")
    assert ex.png() != untrained


def test_training_explorer_trains_and_reports():
    ex = training_explorer().set(hidden=20, steps=400)
    blank = ex.png()
    ex.train()
    assert ex.progress.value == ex.progress.max
    assert len(ex.history) == 400  # one loss per step
    assert "training accuracy" in ex.summary() and ex.png() != blank
    assert "press Train again" in ex.set(reg=1e-2).summary()


def test_errors_from_a_button_are_shown_not_lost():
    ex = activation_explorer(text="open('f')")  # refused: nothing to train with
    assert ex.summary().startswith("not an activation: ")
    ex.train_button.click()
    assert "ValueError: no valid activation to train with" in str(ex.errors.outputs)


class Fragile(Explorer):
    """A minimal explorer whose update fails for negative values of its one slider."""

    notebook = "none"

    def _controls(self):
        return {"v": ipywidgets.FloatSlider(value=1.0, min=-1.0, max=1.0)}

    def _build_figure(self):
        from backprop_core import plots

        return plots.new_figure(1, 1)

    def _compute(self, values):
        if values["v"] < 0:
            raise RuntimeError(f"boom at {values['v']}")
        return values

    def _draw(self):
        return None

    def summary(self):
        return f"v = {self.state['v']}"


def test_errors_in_a_callback_are_shown_not_lost():
    ex = Fragile()
    ex.controls["v"].value = -0.5  # a browser move: the callback must not raise
    assert "RuntimeError: boom at -0.5" in str(ex.errors.outputs)
    assert ex.summary() == "v = 1.0"  # the last good state stays shown
    ex.controls["v"].value = 0.5
    assert not ex.errors.outputs
    assert ex.summary() == "v = 0.5"


def test_set_rejects_unknown_controls():
    with pytest.raises(ValueError, match=r"unknown control\(s\) \['temperature'\]"):
        softmax_explorer().set(temperature=2.0)


def test_importing_the_widgets_changes_no_global_state():
    code = (
        "import matplotlib\n"
        "def settings():  # reading rcParams['backend'] would itself import pyplot\n"
        "    return {k: matplotlib.rcParams[k] for k in matplotlib.rcParams if k != 'backend'}\n"
        "before = settings()\n"
        "import sys, backprop_core.widgets, backprop_core.plots\n"
        "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot imported'\n"
        "ex = backprop_core.widgets.softmax_explorer()\n"
        "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot imported by a builder'\n"
        "assert settings() == before, 'rcParams changed'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_numeric_core_does_not_import_widgets_or_matplotlib():
    code = (
        "import sys, backprop_core, backprop_core.symbolic\n"
        "assert not {'ipywidgets', 'matplotlib'} & set(sys.modules), sorted(sys.modules)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_snapshot_is_the_current_image():
    ex = bias_explorer().set(N=3)
    assert ex.snapshot().data == ex.png()
    assert ex.snapshot().format == "png"
