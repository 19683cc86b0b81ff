"""Explorers driven from code, as a notebook or a test drives them without a browser."""

import subprocess
import sys

import numpy as np
import pytest

from backprop_core import layers
from backprop_core.widgets import (
    backward_explorer,
    bias_explorer,
    forward_explorer,
    relu_explorer,
    softmax_explorer,
    training_explorer,
    weight_gradient_explorer,
)

# builder, a move of its controls, and text the summary must then contain
MOVES = [
    (
        forward_explorer,
        {"x0": 0.0, "x1": 0.0, "scale": 1.0},
        "y1    = [+0.50, -0.50, +0.00, +0.25]",
    ),
    (softmax_explorer, {"f0": 0.0, "f1": 0.0, "f2": 0.0}, "[+0.333, +0.333, +0.333]"),
    (weight_gradient_explorer, {"i": 3, "j": 2}, "dL/dW[3, 2]"),
    (bias_explorer, {"N": 7}, "batch of N = 7 samples"),
    (
        relu_explorer,
        {"bias": -3.0},
        "dead units (inactive for the whole batch): [0, 1, 2, 3, 4, 5, 6, 7]",
    ),
    (backward_explorer, {"param": "X", "entry": 3}, "dL/dX[1, 1]"),
    (training_explorer, {"hidden": 7}, "H = 7"),
]


@pytest.mark.parametrize("build, move, text", MOVES, ids=[m[0].__name__ for m in MOVES])
def test_moving_a_control_updates_text_and_image(build, move, text):
    ex = build()
    before_text, before_png = ex.summary(), ex.png()
    assert before_png.startswith(b"\x89PNG")
    ex.set(**move)
    assert text in ex.summary()
    assert ex.values() == {**ex.values(), **move}
    assert ex.readout.value.count(text.split("\n")[0][:12]) >= 1  # the page shows the summary
    if build is not training_explorer:  # its figure changes only when it trains
        assert ex.png() != before_png
    assert ex.summary() != before_text


def test_summary_is_deterministic():
    assert softmax_explorer().set(label=2).summary() == softmax_explorer().set(label=2).summary()
    assert relu_explorer().set(bias=0.5).summary() == relu_explorer().set(bias=0.5).summary()


def test_a_slider_move_updates_like_set():
    ex = softmax_explorer()
    ex.controls["label"].value = 2  # what a browser does
    assert ex.summary() == softmax_explorer().set(label=2).summary()


def test_weight_gradient_explorer_sums_the_products():
    ex = weight_gradient_explorer()
    for i in range(4):
        for j in range(3):
            state = ex.set(i=i, j=j).state
            assert state["total"] == pytest.approx(state["dW"], abs=1e-12)


def test_relu_explorer_follows_at_zero_at_exact_zeros():
    ex = relu_explorer()
    passed = {z: ex.set(at_zero=z).summary().splitlines()[3] for z in (0.0, 1.0)}
    assert passed[0.0] != passed[1.0]
    assert "inputs exactly 0: 8" in passed[0.0]


def test_backward_explorer_agrees_three_ways_for_every_parameter():
    ex = backward_explorer()
    for name in ("W1", "b1", "W2", "b2", "X"):
        assert ex.set(param=name, entry=0).summary().endswith("= SymPy to 1e-12: yes")


def test_training_explorer_trains_and_reports():
    ex = training_explorer().set(hidden=20, steps=400)
    blank = ex.png()
    ex.train()
    assert ex.progress.value == ex.progress.max
    assert "training accuracy" in ex.summary() and ex.png() != blank
    assert "press Train again" in ex.set(reg=1e-2).summary()


def test_errors_in_a_callback_are_shown_not_lost(monkeypatch):
    ex = softmax_explorer()

    def broken(*args):
        raise RuntimeError("boom")

    monkeypatch.setattr("backprop_core.widgets.softmax.softmax_cross_entropy", broken)
    ex.controls["f0"].value = 1.5  # a browser move: the callback must not raise
    assert "RuntimeError: boom" in str(ex.errors.outputs)
    monkeypatch.undo()
    ex.controls["f0"].value = 1.0
    assert not ex.errors.outputs


def test_set_rejects_unknown_controls():
    with pytest.raises(ValueError, match=r"unknown control\(s\) \['temperature'\]"):
        softmax_explorer().set(temperature=2.0)


def test_explorers_use_the_engine_behind_them(monkeypatch):
    """The weight-gradient explorer reads affine_backward: a wrong engine shows in its text."""
    good = weight_gradient_explorer().set(i=1, j=1).summary()
    original = layers.affine_backward
    monkeypatch.setattr(
        "backprop_core.widgets.affine.affine_backward",
        lambda d, c: tuple(2 * g for g in original(d, c)),
    )
    assert weight_gradient_explorer().set(i=1, j=1).summary() != good


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
    assert np.frombuffer(ex.png()[:8], dtype=np.uint8).tolist()[1:4] == list(b"PNG")
