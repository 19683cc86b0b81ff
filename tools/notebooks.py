"""The notebooks that build an explorer, and how to move each explorer from a browser.

Nothing here is kept by hand. A notebook is in the table when one of its code cells calls a
builder of ``backprop_core.widgets`` (``relu_explorer(``, the pattern ``tests/test_workbook.py``
checks); the slider to move and two far-apart values for it are read from the explorer itself.
Whether its figure changes on a move is the explorer's own ``redraws_on_move``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import ipywidgets

from .lab import WORKBOOK

EXPLORER_CALL = re.compile(r"(\w+_explorer)\(")
ONE_VALUE = (ipywidgets.IntSlider, ipywidgets.FloatSlider, ipywidgets.FloatLogSlider)
TWO_VALUES = (ipywidgets.IntRangeSlider, ipywidgets.FloatRangeSlider)


def explorer_notebooks(workbook: Path = WORKBOOK) -> dict[str, str]:
    """Each numbered notebook that builds an explorer, with the builder's name, in order."""
    table = {}
    for path in sorted(workbook.glob("[0-9][0-9]*-*.ipynb")):
        cells = json.loads(path.read_text())["cells"]
        code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
        builders = sorted(set(EXPLORER_CALL.findall(code)))
        if len(builders) > 1:
            raise ValueError(f"{path.name} builds {builders}; expected one explorer per notebook")
        if builders:
            table[path.name] = builders[0]
    return table


def build(builder: str):
    """The explorer ``backprop_core.widgets.<builder>()``, with default arguments as in the
    notebooks."""
    from backprop_core import widgets

    if builder not in widgets.__all__:
        raise ValueError(f"a notebook calls {builder}(), which backprop_core.widgets lacks")
    return getattr(widgets, builder)()


@dataclass(frozen=True)
class Move:
    """An explorer's first one-value slider and two far-apart values to type into its readout.

    ``readout`` and ``handle`` are its index among the sliders' readouts and handles in the page
    (a range slider has one readout and two handles). ``keys[i]`` steps from ``texts[i]`` towards
    the middle of the range, so the key press always moves the slider.
    """

    name: str
    readout: int
    handle: int
    texts: tuple[str, str]
    keys: tuple[str, str] = ("ArrowRight", "ArrowLeft")


def first_slider(ex) -> Move | None:
    """How to move the first one-value slider of ``ex``, or None if it has none.

    The values are at 1/4 and 3/4 of the slider's current range, snapped to its step and written
    as its readout shows them (for a log slider, along its exponent).
    """
    readouts = handles = 0
    for name, control in ex.controls.items():
        if isinstance(control, ONE_VALUE):
            return Move(name, readouts, handles, _far_apart(name, control))
        if isinstance(control, TWO_VALUES):
            readouts, handles = readouts + 1, handles + 2
    return None


def _far_apart(name: str, control) -> tuple[str, str]:
    positions = round((control.max - control.min) / control.step)
    if positions < 1:
        raise ValueError(f"slider {name!r} has one position ({control.min}); nothing to move")
    texts = []
    for fraction in (0.25, 0.75):
        value = control.min + round(positions * fraction) * control.step
        if isinstance(control, ipywidgets.FloatLogSlider):
            value = control.base**value
        texts.append(format(value, control.readout_format))
    return texts[0], texts[1]
