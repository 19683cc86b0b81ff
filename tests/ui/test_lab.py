"""The workbook in a real browser: every explorer renders, and a key press on a slider updates
its text to what ``summary()`` computes and changes its image."""

import ipywidgets
import pytest

from backprop_core import widgets

from .lab import (
    control_values,
    explorer,
    image_digest,
    image_source,
    open_notebook,
    page_problems,
    press_on_slider,
    readout_text,
    run_all_cells,
    type_into_readout,
    wait_for_new_image,
)

NOTEBOOKS = {  # notebook: its explorer, the slider the test moves, and two far-apart values for it
    "01-Forward-Pass.ipynb": ("forward_explorer", 0, ("-2.5", "2.5")),
    "02-Softmax-Gradient.ipynb": ("softmax_explorer", 0, ("-3.0", "3.0")),
    "03-Weight-Gradient.ipynb": ("weight_gradient_explorer", 0, ("0", "2")),
    "04-Bias-Gradient.ipynb": ("bias_explorer", 0, ("2", "10")),
    "05-ReLU-Gradient.ipynb": ("relu_explorer", 0, ("-1.0", "1.0")),
    "06-Full-Backward-Pass.ipynb": ("backward_explorer", 0, ("0", "2")),
    "07-Training.ipynb": ("training_explorer", 0, ("20", "150")),
    "10-Your-Own-Activation.ipynb": ("activation_explorer", None, None),  # renders; text box
}
TRAINS = {"07-Training.ipynb"}  # its figure and results change only when it trains


def expected_summary(builder, shown):
    """What ``summary()`` gives, in this process, for the control values the page shows."""
    ex = getattr(widgets, builder)()
    values = {}
    for (name, control), text in zip(ex.controls.items(), shown, strict=True):
        if isinstance(control, ipywidgets.Dropdown):
            values[name] = next(o for o in control.options if str(o) == text)
        else:
            values[name] = type(control.value)(
                text.replace("\u2212", "-")
            )  # d3 prints a true minus
    return ex.set(**values).summary()


def shows_summary(page, name, builder):
    """The readout is what summary() computes for the shown controls (for a net trained in the
    page, only the settings line can be recomputed here)."""
    shown = readout_text(page).strip()
    expected = expected_summary(builder, control_values(page)).strip()
    if name in TRAINS:
        return shown.splitlines()[0].startswith(expected.splitlines()[0])
    return shown == expected


def wait_for_new_text(page, old):
    page.wait_for_function(
        "(old) => document.querySelector('.bp-explorer .bp-readout pre').innerText !== old",
        arg=old,
        timeout=10_000,
    )


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_and_its_explorer_responds(lab, page, name):
    base, token = lab
    builder, slider, targets = NOTEBOOKS[name]
    open_notebook(page, base, token, name)
    run_all_cells(page)
    assert page_problems(page) == [], name
    explorer(page)
    if slider is None:  # an explorer driven by a text box: rendering without errors is checked
        return
    assert shows_summary(page, name, builder)

    # a jump typed into the slider's readout: the text and the figure must both change
    before_text, before_image, before_source = (
        readout_text(page),
        image_digest(page),
        image_source(page),
    )
    target = targets[0] if control_values(page)[slider] != targets[0] else targets[1]
    type_into_readout(page, slider, target)
    wait_for_new_text(page, before_text)
    assert shows_summary(page, name, builder)
    if name not in TRAINS:
        wait_for_new_image(page, before_source)
        assert image_digest(page) != before_image, "the figure did not change"

    # one step with the keyboard: the text follows what summary() computes for the new value
    before_text = readout_text(page)
    assert press_on_slider(page, slider) is not None, "the key press changed nothing"
    wait_for_new_text(page, before_text)
    assert shows_summary(page, name, builder)
    assert page_problems(page) == []
