"""Hostile, odd and mistaken arguments to the explorers, driven from code as a notebook drives them.

A builder given a bad size, seed or value, and ``set`` given a value its control would clamp,
round away or reject deep inside traitlets, must raise a clear error from backprop_core naming
what was wrong, and an explorer that refused a move must still work afterwards.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import backprop_core
from backprop_core import widgets

PACKAGE = Path(backprop_core.__file__).resolve().parent

BUILDERS = {  # builder: {argument: [bad values]}
    "weight_gradient_explorer": {"N": [0, -1, 1.5, "5", 1000], "H": [0, None], "C": [True, 99]},
    "bias_explorer": {"max_batch": [0, 1e9, "12"], "C": [0, 50]},
    "relu_explorer": {"N": [0, 10**6], "D": [-3], "H": ["8", 100]},
    "softmax_explorer": {
        "scores": [(), (1.0,), (1.0, "a"), (1.0, float("nan")), (100.0, 0.0), [[1.0, 2.0]]],
        "label": [-1, 3, 1.5, True, None],
    },
    "backward_explorer": {"reg": [-0.1, float("inf"), "0.1", None]},
    "forward_explorer": {"seed": ["abc", -1, 1.5]},
    "training_explorer": {"seed": ["abc", -1, [0]]},
    "activation_explorer": {"text": [None, 42, b"x"], "seed": ["abc", -1]},
    "depth_explorer": {"width": [0, 1000, "100"], "N": [1, 10**6], "seed": [-1, None, "abc"]},
    "norm_explorer": {"max_batch": [1, 50, "4"], "D": [0, 2.5], "seed": [-1, "abc"]},
}
BUILDER_CASES = [
    pytest.param(builder, argument, value, id=f"{builder}({argument}={value!r})")
    for builder, arguments in BUILDERS.items()
    for argument, values in arguments.items()
    for value in values
]


@pytest.mark.parametrize("builder, argument, value", BUILDER_CASES)
def test_a_builder_refuses_a_bad_argument(builder, argument, value):
    with pytest.raises((TypeError, ValueError)) as caught:
        getattr(widgets, builder)(**{argument: value})
    assert PACKAGE in Path(str(caught.traceback[-1].path)).resolve().parents
    assert argument in str(caught.value), str(caught.value)


def bad_moves(ex):
    """``(control, bad value)`` for every control of ``ex``: out of range, wrong type, None."""
    import ipywidgets

    for name, control in ex.controls.items():
        yield name, None
        if isinstance(control, ipywidgets.Dropdown):
            yield name, "not an option"
        elif isinstance(control, ipywidgets.Text):
            yield name, 12
        elif isinstance(control, ipywidgets.IntRangeSlider | ipywidgets.FloatRangeSlider):
            yield name, (control.max, control.min)  # reversed
            yield name, (control.min - 100, control.max)
        else:
            yield name, "1"
            yield name, float("nan")
            high = (
                control.base**control.max
                if isinstance(control, ipywidgets.FloatLogSlider)
                else control.max
            )
            yield name, high * 10 + 1


EXPLORERS = {b: getattr(widgets, b)() for b in widgets.__all__ if b.endswith("_explorer")}
MOVES = [
    pytest.param(builder, name, value, id=f"{builder}.set({name}={value!r})")
    for builder, ex in EXPLORERS.items()
    for name, value in bad_moves(ex)
]


@pytest.mark.parametrize("builder, name, value", MOVES)
def test_set_refuses_what_its_control_would_clamp_and_the_explorer_still_works(
    builder, name, value
):
    ex = EXPLORERS[builder]
    before = (ex.values(), ex.summary())
    with pytest.raises((TypeError, ValueError)) as caught:
        ex.set(**{name: value})
    assert name in str(caught.value) and PACKAGE in Path(str(caught.traceback[-1].path)).parents
    assert (ex.values(), ex.summary()) == before  # nothing moved
    ex.refresh()  # and it still draws
    assert ex.png().startswith(b"\x89PNG") and not ex.errors.outputs
