"""Explorers driven from code, as a notebook or a test drives them without a browser."""

import html
import io
import re
import subprocess
import sys
from pathlib import Path

import ipywidgets
import matplotlib
import numpy as np
import PIL.Image
import pytest

from backprop_core import plots, widgets
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


def grid_offsets(control):
    """How many steps each value of a slider lies from its minimum (a log slider counts along
    its exponent): whole numbers when a reader can put the slider back where it started."""
    values = control.value if isinstance(control.value, tuple) else (control.value,)
    if isinstance(control, ipywidgets.FloatLogSlider):
        values = tuple(np.log(v) / np.log(control.base) for v in values)
    return [(v - control.min) / control.step for v in values]


SLIDERS = (
    ipywidgets.IntSlider,
    ipywidgets.FloatSlider,
    ipywidgets.FloatLogSlider,
    ipywidgets.IntRangeSlider,
    ipywidgets.FloatRangeSlider,
)


@pytest.mark.parametrize("name", CLASSES)
def test_every_slider_starts_on_its_own_grid(name):
    """A slider moves in whole steps from its minimum; one that starts between two steps can
    never be put back where the text left it (07's reg started at 5e-4 on a grid of quarter
    decades, between 3.2e-4 and 5.6e-4)."""
    ex = getattr(widgets, name)()
    for control_name, control in ex.controls.items():
        if isinstance(control, SLIDERS):
            for offset in grid_offsets(control):
                assert offset == pytest.approx(round(offset), abs=1e-9), (control_name, offset)


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


@pytest.mark.parametrize("name", CLASSES)
def test_sliders_send_nothing_back_until_the_reader_moves_one(name):
    """A slider's front end sends back its own rounding of a value it is sent only while
    ``continuous_update`` is on: off from the start, so a notebook's ``set`` calls cannot be
    undone by a late echo; on (as each slider asked) from the reader's first move; off again in
    the message of a ``set`` after that, and on once it is sent."""
    ex = getattr(widgets, name)()
    sliders = {n: c for n, c in ex.controls.items() if isinstance(c, widgets.base.SLIDERS)}
    if not sliders:
        pytest.skip(f"{name} has no slider")
    wanted = dict(ex.slider_updates)  # what each slider was built with
    assert set(wanted) == set(sliders)
    assert not any(c.continuous_update for c in sliders.values())
    first, control = next(iter(sliders.items()))
    sent = []
    control.send_state = lambda key=None: sent.append(
        {k: getattr(control, k) for k in (key if isinstance(key, list | tuple | set) else [key])}
    )
    start, far = control.value, far_value(control)
    ex.set(**{first: far})  # from code: no echo possible, nothing to switch
    assert not ex.live and sent[-1]["value"] == control.value
    control.value = start  # what a reader's move does (not through set)
    assert ex.live
    assert {n: c.continuous_update for n, c in sliders.items()} == wanted
    sent.clear()
    ex.set(**{first: far})
    with_value = [m for m in sent if "value" in m]
    assert len(with_value) == 1 and with_value[0]["continuous_update"] is False
    assert control.continuous_update == wanted[first]  # back on after the message


def test_set_moves_several_controls_in_one_message_each():
    ex = softmax_explorer()
    sent = []
    for name, control in ex.controls.items():
        control.send_state = lambda key=None, name=name: sent.append(name)
    ex.set(f0=5.0, f1=-2.0, f2=-2.0, label=1)
    assert sorted(sent) == ["f0", "f1", "f2", "label"]


def test_forward_explorer_axes_follow_the_bars_and_colour_them_by_sign():
    ex = widgets.forward_explorer()
    for scale in (0.1, 1.0, 2.5, 5.0):
        ex.set(x0=-1.0, x1=0.5, scale=scale)
        for ax in ex.fig.axes:
            low, high = ax.get_ylim()
            for bar in ax.patches:
                height = bar.get_height()
                assert low <= height <= high, (scale, ax.get_title(), height, (low, high))
                colour = plots.NEGATIVE if height < 0 else plots.POSITIVE
                assert matplotlib.colors.same_color(bar.get_facecolor(), colour)
    assert ex.fig.axes[2].get_ylim()[1] > 15  # beyond the old fixed range at scale 5


def count_full_draws(ex) -> list:
    """Record each draw of ``ex``'s whole figure (not the blits of its artists) in the list."""
    draws, draw = [], ex.fig.canvas.draw
    ex.fig.canvas.draw = lambda *args, **kwargs: draws.append(1) or draw(*args, **kwargs)
    return draws


def full_redraw(ex) -> bytes:
    """``ex``'s image drawn again from nothing in its kept layout: the oracle for a blitted one."""
    ex.invalidate(layout=False)
    ex.refresh()
    return ex.png()


def test_forward_explorer_redraws_only_its_y_axes_when_a_range_crosses_a_step():
    """A move that takes a y-range across a 1-2-5 step redraws the y-axes, not the figure: the
    image is the one drawing every layer afresh gives (no tick label of the old range left),
    every bar lies inside its axes, and each range ends on a tick."""
    ex = widgets.forward_explorer().set(x0=-1.0, x1=0.5)
    draws, crossings = count_full_draws(ex), 0
    for scale in (1.0, 2.6, 5.0, 0.1, 3.3):
        before = [ax.get_ylim() for ax in ex.fig.axes]
        ex.controls["scale"].value = scale  # as a browser moves it
        after = [ax.get_ylim() for ax in ex.fig.axes]
        crossed = [k for k in range(4) if after[k] != before[k]]
        for ax in ex.fig.axes:
            low, high = ax.get_ylim()
            assert all(low <= bar.get_height() <= high for bar in ax.patches), scale
        if crossed:
            assert draws == [], f"scale {scale}: the whole figure was drawn"
            assert ex.png() == full_redraw(ex), f"scale {scale}: differs from a full redraw"
            draws.clear()
            crossings += 1
    assert crossings >= 3, "the moves should take y2's range across several steps"
    ticks = [ax.get_yticks()[-1] for ax in ex.fig.axes[:3]]
    assert [ax.get_ylim()[1] for ax in ex.fig.axes[:3]] == pytest.approx(ticks)


def test_depth_explorer_redraws_only_the_axes_whose_range_changed():
    """Moves of the depth and the scale redraw the axes they change, never the whole figure; the
    image is then the one a full redraw gives, and every point lies inside its axes' range,
    whose ends are whole decades."""
    ex = widgets.depth_explorer()
    draws = count_full_draws(ex)
    for name, value in (("depth", 11), ("depth", 12), ("scale", 0.1), ("depth", 30)):
        ex.controls[name].value = value
        assert draws == [], f"{name} = {value}: the whole figure was drawn"
        assert ex.png() == full_redraw(ex), f"{name} = {value}: differs from a full redraw"
        draws.clear()
        for ax in ex.fig.axes:
            (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
            assert np.log10([y0, y1]) == pytest.approx(np.round(np.log10([y0, y1])))
            for line in ax.lines:
                assert x0 < line.get_xdata().min() and line.get_xdata().max() < x1
                assert y0 < line.get_ydata().min() and line.get_ydata().max() < y1


def test_depth_explorer_computes_a_setting_once(monkeypatch):
    """Moving back to a setting seen before builds no net: its statistics are kept."""
    from backprop_core.widgets import depth as depth_module

    built = []
    deep_net = depth_module.deep_net
    monkeypatch.setattr(
        depth_module, "deep_net", lambda *a, **k: built.append(1) or deep_net(*a, **k)
    )
    ex = widgets.depth_explorer()
    start = ex.summary(), ex.png()
    ex.set(depth=12)
    ex.set(depth=10)
    assert len(built) == 2, "the starting setting was computed again"
    assert (ex.summary(), ex.png()) == start


def test_explorers_compute_and_train_on_one_blas_thread():
    """A move's computation and a button's action run on one BLAS thread (small products, which
    two threads only slow down on a busy machine); the count is given back afterwards."""
    from threadpoolctl import threadpool_info, threadpool_limits

    def blas_threads():
        return {lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"}

    with threadpool_limits(limits=2, user_api="blas"):  # two, whatever the machine has
        assert blas_threads() == {2}
        ex, seen = relu_explorer(), []
        compute = ex._compute
        ex._compute = lambda values: seen.append(blas_threads()) or compute(values)
        ex.set(bias=0.5)
        trainer = training_explorer().set(hidden=5, steps=200)
        fit = trainer._fit
        trainer._fit = lambda *args: seen.append(blas_threads()) or fit(*args)
        trainer.train_button.click()
        assert seen and all(threads == {1} for threads in seen), seen
        assert blas_threads() == {2}


def test_readout_is_large_and_wraps():
    ex = relu_explorer()
    assert "font-size:15px" in ex.readout.value and "pre-wrap" in ex.readout.value


def test_relu_explorer_tells_dead_units_from_blocked_ones_and_marks_the_sample():
    ex = relu_explorer()
    lines = ex.set(scale=0.0, bias=0.0, at_zero=0.0).summary().splitlines()
    assert "dead units (y1 < 0 for every sample): none" in lines[2]
    assert "passing no gradient: [0, 1, 2, 3, 4, 5, 6, 7]" in lines[2]
    lines = ex.set(at_zero=1.0).summary().splitlines()
    assert lines[2].endswith("passing no gradient: none") and "48 of 48" in lines[3]
    assert "dead units (y1 < 0 for every sample): none" in lines[2]
    assert "none" not in ex.set(scale=1.0, bias=-3.0).summary().splitlines()[2]
    before = ex.png()
    ex.set(sample=3)
    batch, mask, jacobian, gradient = ex.fig.axes[:4]  # then the colour bars
    assert jacobian.get_title() == "Jacobian of sample 3"
    outlines = [patch for ax in (batch, mask, gradient) for patch in ax.patches]
    assert len(outlines) == 3 and all(row.get_y() == 2.5 for row in outlines)
    assert ex.png() != before


def test_activation_explorer_writes_steps_readably_and_names_the_trained_net():
    ex = activation_explorer(text="max(0, x)")
    lines = ex.summary().splitlines()
    assert lines[0] == "f(x)  = max(0, x)" and lines[1] == "f'(x) = heaviside(x)"
    assert "0 at x = 0" in lines[2] and "Heaviside" not in ex.summary()
    regions = ex.fig.axes[1]
    assert regions.get_title() == "spiral: not trained yet"
    ex.train(steps=50)
    assert regions.get_title() == "trained with max(0, x)"
    ex.set(text="tanh(x)")
    assert "not with f" in regions.get_title()
    assert "press Train for 'tanh(x)'" in ex.summary().splitlines()[-1]


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
    moved = ex.set(reg=1e-2).summary().splitlines()
    assert "not trained with these" in moved[0] and "reg 0.01" in moved[0]
    assert "reg 0.0005" in moved[1] and moved[2].startswith("loss ")  # the run that is shown
    assert ex.progress.value == 0  # emptied: the figure belongs to other settings
    assert ex.set(reg=5e-4).summary().splitlines()[1].startswith("loss ")  # back: trained again
    assert ex.progress.value == ex.progress.max


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


@pytest.mark.parametrize("name", CLASSES)
def test_each_explorer_image_is_sharp_at_the_size_it_is_shown(name):
    """The page shows the PNG at its CSS size, plots.DENSITY image pixels per CSS pixel, not
    stretched to the page's width; the snapshot says the same size."""
    ex = getattr(widgets, name)()
    width, height = PIL.Image.open(io.BytesIO(ex.png())).size
    shown = (round(width / plots.DENSITY), round(height / plots.DENSITY))
    assert plots.DENSITY >= 2 and shown == plots.css_size(ex.fig)
    assert (ex.image.layout.width, ex.image.layout.max_width) == (f"{shown[0]}px", "100%")
    assert (ex.snapshot().width, ex.snapshot().height) == shown


def signed_images(fig):
    return [
        image
        for ax in fig.axes
        for image in ax.get_images()
        if image.get_cmap().name == plots.SIGNED_CMAP
    ]


@pytest.mark.parametrize("name", CLASSES)
def test_each_signed_heatmap_of_an_explorer_has_a_colour_bar_and_a_range_centred_at_0(name):
    """Before and after each control moves far: every heatmap drawn with the diverging map has
    a colour bar showing its range, and the range is symmetric (white is zero)."""
    ex = getattr(widgets, name)()
    for key in [None, *ex.controls]:  # far values read when moved: one control sets another's max
        value = None if key is None else far_value(ex.controls[key])
        move = {} if value is None else {key: value}
        ex.set(**move)
        for image in signed_images(ex.fig):
            low, high = image.get_clim()
            assert low == -high and high > 0, (move, image.axes.get_title())
            assert image.colorbar is not None, (move, image.axes.get_title())
            assert image.colorbar.mappable is image and image.colorbar.norm is image.norm


def test_sign_colours_follow_the_diverging_map():
    """Red for positive, blue for negative: the two ends of SIGNED_CMAP."""
    cmap = matplotlib.colormaps[plots.SIGNED_CMAP]
    red, blue = cmap(1.0), cmap(0.0)
    assert red[0] > red[2] and blue[2] > blue[0]
    assert plots.sign_colours([2.0, -1.0, 0.0]) == [plots.POSITIVE, plots.NEGATIVE, plots.POSITIVE]
    positive, negative = (matplotlib.colors.to_rgb(c) for c in (plots.POSITIVE, plots.NEGATIVE))
    assert positive[0] > positive[2] and negative[2] > negative[0]
    assert plots.signed_limits(np.zeros((2, 2))) == (-1.0, 1.0)
    assert plots.signed_limits([[0.5, -3.0]]) == (-3.0, 3.0)


# -- layout: every text of a figure inside it and clear of the others ------------------------------


def drawn_tick_labels(axis):
    """The tick labels ``axis`` showed at its figure's last draw: those of ticks inside its view
    (matplotlib keeps labels of ticks beyond the limits, formatted but not drawn)."""
    scale = axis.get_transform()  # the view compared where ticks are placed (log axes: exponents)
    low, high = sorted(scale.transform(axis.get_view_interval()))
    slack = 1e-9 * (high - low)
    labels = []
    for locs, ticks in (
        (axis.get_majorticklocs(), axis.get_major_ticks),
        (axis.get_minorticklocs(), axis.get_minor_ticks),
    ):
        for tick, loc in zip(ticks(len(locs)), locs, strict=True):
            if tick.get_visible() and low - slack <= scale.transform([loc])[0] <= high + slack:
                labels += [tick.label1, tick.label2]
    return labels


def drawn_texts(ax):
    """Every text of ``ax`` with something to read: its titles and placed texts (its Text
    children), axis labels and offsets, and the tick labels it drew."""
    texts = [child for child in ax.get_children() if isinstance(child, matplotlib.text.Text)]
    for axis in (ax.xaxis, ax.yaxis):
        if ax.axison and axis.get_visible():  # else neither labels nor ticks are drawn
            texts += [axis.label, axis.offsetText, *drawn_tick_labels(axis)]
    return [text for text in texts if text.get_visible() and text.get_text().strip()]


def text_boxes(fig):
    """``(owner, text, box)`` for each text of ``fig`` as last drawn: ``owner`` is the index of
    its axes in ``fig.axes`` (colour bars are axes too) or ``"figure"`` for figure texts and a
    suptitle; ``box`` its extent in image pixels, measured with the renderer of that draw, so an
    animated title (drawn over the cached background, outside the layout) is where it shows."""
    renderer = fig.canvas.get_renderer()
    owned = [
        (k, text) for k, ax in enumerate(fig.axes) if ax.get_visible() for text in drawn_texts(ax)
    ]
    owned += [
        ("figure", text) for text in fig.texts if text.get_visible() and text.get_text().strip()
    ]
    return [(owner, text, text.get_window_extent(renderer)) for owner, text in owned]


def layout_problems(fig, gap=1.0):
    """What a reader would see cut off or run together in ``fig`` as last drawn, one line each.

    A text (title, axis label, tick label, offset, placed text, figure text) reaching beyond the
    figure; two texts closer than ``gap`` CSS pixels; a text of one axes (or of the figure) over
    another axes' area.
    """
    renderer = fig.canvas.get_renderer()
    pad = gap / 2 * fig.dpi / plots.CSS_DPI  # half the gap around each box, in image pixels
    boxes = text_boxes(fig)
    areas = [
        (k, ax.get_window_extent(renderer)) for k, ax in enumerate(fig.axes) if ax.get_visible()
    ]

    def name(owner, text):
        return f"{text.get_text()!r} of {'the figure' if owner == 'figure' else f'axes {owner}'}"

    width, height = fig.canvas.get_width_height()
    problems = []
    for k, (owner, text, box) in enumerate(boxes):
        if box.x0 < -0.5 or box.y0 < -0.5 or box.x1 > width + 0.5 or box.y1 > height + 0.5:
            spans = ", ".join(f"{v:.0f}" for v in box.extents)
            problems.append(f"{name(owner, text)} is cut off: ({spans}) of ({width}, {height})")
        for other, other_text, other_box in boxes[k + 1 :]:
            if box.padded(pad).overlaps(other_box.padded(pad)):
                problems.append(f"{name(owner, text)} meets {name(other, other_text)}")
        problems += [
            f"{name(owner, text)} lies over the area of axes {j}"
            for j, area in areas
            if j != owner and box.padded(pad).overlaps(area)
        ]
    return problems


def test_layout_problems_finds_texts_cut_off_run_together_or_over_a_panel():
    """The check on a figure laid out once and then given longer texts, as an explorer's layout
    is kept after its first draw: it finds each fault, then none once the figure is laid out."""
    fig = plots.new_figure(3, 1.5)
    left, right = fig.subplots(1, 2)
    right.set_title("right")
    plots.png(fig)
    fig.set_layout_engine("none")  # what Explorer._render does after its first draw
    left.set_title("a title far too long for its narrow panel")
    right.set_yticks([0.5, 2.0], ["a long tick label", "beyond"])
    right.set_ylim(0, 1)  # the tick at 2.0 beyond the view: labelled, not drawn
    plots.png(fig)
    found = "\n".join(layout_problems(fig))
    title, tick = "'a title far too long for its narrow panel' of axes 0", "'a long tick label'"
    assert f"{title} is cut off" in found
    assert f"{title} meets 'right' of axes 1" in found
    assert f"{tick} of axes 1 lies over the area of axes 0" in found
    assert "beyond" not in found  # a label of a tick outside the view is not drawn
    left.set_title("left")
    fig.set_layout_engine("constrained")
    plots.png(fig)
    assert layout_problems(fig) == []


def values_to_try(control):
    """Every option of a menu; a slider's two ends (a range slider's whole range and each end)."""
    if isinstance(control, ipywidgets.Dropdown):
        return list(control.options)
    if isinstance(control, ipywidgets.FloatRangeSlider | ipywidgets.IntRangeSlider):
        low, high = control.min, control.max
        return [(low, high), (low, low), (high, high)]
    if isinstance(control, ipywidgets.FloatLogSlider):
        return [control.base**control.min, control.base**control.max]
    if isinstance(control, ipywidgets.IntSlider | ipywidgets.FloatSlider):
        return [control.min, control.max]
    return []  # a text box: typed texts are tried where the explorer is trained


def explorer_states(ex):
    """Move ``ex`` through its opening state, each control alone at each value of
    :func:`values_to_try` (back to the opening value after), then every control at its far value
    together; yields what moved."""
    yield "opening state"
    for key, control in ex.controls.items():
        start = control.value
        for value in values_to_try(control):
            ex.set(**{key: value})
            yield f"{key} = {value!r}"
        ex.set(**{key: start})
    moved = {}
    for key, control in ex.controls.items():  # one control can set another's range: read it now
        value = far_value(control)
        if value is not None:
            moved[key] = value
            ex.set(**{key: value})
    yield f"together: {moved}"


@pytest.mark.parametrize("name", CLASSES)
def test_no_text_of_an_explorer_is_cut_off_or_collides(name):
    """Titles (animated ones too), axis labels and tick labels of every explorer stay inside its
    figure, 1 CSS pixel clear of each other and of other panels, in its opening state, with each
    control at the ends of its range or at each option, and with all moved far together (the
    layout is found once and kept: limits and titles that change later must still fit it)."""
    ex = getattr(widgets, name)()
    for state in explorer_states(ex):
        # an image kept from an earlier draw at the same limits shows the same pixels as a new
        # draw (test_an_image_kept_for_limits_seen_before_is_the_figure_drawn_now), but not the
        # ticks matplotlib now holds: draw the axes anew, at the layout found first
        ex.invalidate(layout=False)
        ex.refresh()
        assert layout_problems(ex.fig) == [], state


def test_spiral_explorers_texts_fit_after_training():
    """The texts a Train press changes: the loss curve's limits (07); the region title, which
    says when it shows a net trained with another f, and a long typed activation (10)."""
    ex = training_explorer().set(hidden=20, steps=200).train()
    assert layout_problems(ex.fig) == [], "07 trained"
    ex = activation_explorer().train(steps=50)
    assert layout_problems(ex.fig) == [], "10 trained"
    for text in ("tanh(x)", "0.5 * x * (1 + tanh(0.7978845608 * (x + 0.044715 * x**3)))"):
        ex.set(text=text)
        assert layout_problems(ex.fig) == [], f"10 trained, then f = {text}"
        ex.set(span=(-10.0, 10.0))
        assert layout_problems(ex.fig) == [], f"10 trained, then f = {text} on [-10, 10]"
        ex.set(span=(-4.0, 4.0))
    ex.train(steps=50)
    assert layout_problems(ex.fig) == [], "10 trained with the long f"


def test_a_new_layout_keeps_the_settings_the_explorer_made_its_figure_with():
    """``invalidate()`` lays the figure out again with the engine it was built with (05 asks for
    more room between panels than matplotlib's default), not with a default engine."""
    ex = relu_explorer()
    ex.invalidate()
    engine = ex.fig.get_layout_engine()
    default = matplotlib.layout_engine.ConstrainedLayoutEngine().get()
    assert isinstance(engine, matplotlib.layout_engine.ConstrainedLayoutEngine)
    assert engine.get()["w_pad"] > default["w_pad"]
    ex.refresh()
    assert layout_problems(ex.fig) == []


def test_relimit_refuses_what_follow_limits_never_marked():
    """An Axes given where its Axis was marked would leave stale ticks on show: refused."""
    ex = widgets.depth_explorer()
    ex.relimit(ex.fig.axes[0].xaxis)  # marked: fine
    with pytest.raises(ValueError, match=r"artists must be marked with follow_limits\(\) first"):
        ex.relimit(ex.fig.axes[0])


def test_depth_explorer_shows_what_drawing_its_figure_at_once_shows():
    """Drawn in layers (the bare figure, then the axes that follow the curves, then the curves),
    14's image is the figure drawn in one go: no grid line over a frame, nothing left out."""
    ex = widgets.depth_explorer().set(depth=12)
    layered = np.asarray(PIL.Image.open(io.BytesIO(ex.png())).convert("RGBA"))
    for artist in ex.fig.findobj(lambda a: a.get_animated()):
        artist.set_animated(False)
    ex.fig.canvas.draw()
    np.testing.assert_array_equal(layered, np.asarray(ex.fig.canvas.buffer_rgba()))


# the moves of each explorer whose axes follow the data (Explorer.follow_limits): new limits,
# then back to limits seen before, whose image _render keeps
LIMIT_MOVES = {
    "depth_explorer": [
        {"depth": 12},
        {"depth": 16},
        {"depth": 12},
        {"depth": 16},
        {"activation": "tanh"},
        {"activation": "relu"},
        {"depth": 12},
    ],
    "forward_explorer": [{"scale": 5.0}, {"scale": 0.5}, {"scale": 5.0}, {"scale": 0.5}],
    "norm_explorer": [{"value": 3.0}, {"value": -3.0}, {"value": 3.0}, {"N": 2}, {"value": -3.0}],
}


@pytest.mark.parametrize("name", sorted(LIMIT_MOVES))
def test_an_image_kept_for_limits_seen_before_is_the_figure_drawn_now(name):
    """Shown from the image kept for limits seen before, or drawn anew, an explorer's image is,
    pixel for pixel, that of a new explorer moved to the same settings and drawn whole: nothing
    stale. The moves do come back to limits seen before (a kept image is shown)."""
    ex = getattr(widgets, name)()
    shown_again = 0
    for move in LIMIT_MOVES[name]:
        kept = set(ex.kept_limits)
        shown = ex.set(**move).png()
        shown_again += ex.limits_key() in kept
        fresh = getattr(widgets, name)().set(**ex.values())
        fresh.invalidate(layout=False)  # no image kept: everything drawn now
        fresh.refresh()
        np.testing.assert_array_equal(
            np.asarray(PIL.Image.open(io.BytesIO(shown))),
            np.asarray(PIL.Image.open(io.BytesIO(fresh.png()))),
            err_msg=str(move),
        )
    assert shown_again >= 2


# -- the PNG encoder: the same pixels, fast, and safe in a forked process -------------------------


@pytest.mark.parametrize("alpha", [1.0, 0.4])
def test_encode_png_gives_back_the_canvas_pixels(alpha):
    """An opaque canvas (sent as RGB, large enough to be deflated in two halves at once) and a
    transparent one (RGBA) decode to exactly the pixels the canvas holds."""
    fig = plots.new_figure(8, 4)  # 1536 x 768 pixels: over plots.SPLIT_BYTES as RGB rows
    fig.patch.set_alpha(alpha)
    ax = fig.subplots()
    ax.imshow(np.random.default_rng(0).standard_normal((30, 40)), cmap=plots.SIGNED_CMAP)
    ax.set_title("pixels")
    fig.canvas.draw()
    width, height = fig.canvas.get_width_height()
    assert 3 * width * height > plots.SPLIT_BYTES
    decoded = PIL.Image.open(io.BytesIO(plots.encode_png(fig.canvas)))
    assert decoded.mode == ("RGB" if alpha == 1.0 else "RGBA")
    np.testing.assert_array_equal(
        np.asarray(decoded.convert("RGBA")), np.asarray(fig.canvas.buffer_rgba())
    )


def large_image():
    """A figure over plots.SPLIT_BYTES as RGB rows, drawn and encoded (run in a pool's child)."""
    fig = plots.new_figure(8, 4)
    fig.subplots().imshow(np.arange(12.0).reshape(3, 4), cmap=plots.SIGNED_CMAP)
    return plots.png(fig)


def test_a_forked_process_encodes_large_images_too():
    """The encoder's helper thread does not survive a fork (a kernel's child process): a child
    forked after the parent used it makes its own, rather than waiting forever for the dead one."""
    import multiprocessing

    expected = large_image()  # the parent's helper thread exists now
    with multiprocessing.get_context("fork").Pool(1) as pool:
        assert pool.apply_async(large_image).get(timeout=30) == expected


def test_a_large_image_is_encoded_at_interpreter_exit_too():
    """At exit no new thread may start: an image encoded then (an atexit hook, a finaliser)
    is deflated in one stream instead of failing."""
    code = (
        "import atexit, io, PIL.Image\n"
        "from tests.test_widgets import large_image\n"
        "def last():\n"
        "    print(PIL.Image.open(io.BytesIO(large_image())).size)\n"
        "atexit.register(last)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=WORKBOOK.parent,
    )
    assert done.returncode == 0 and done.stdout.strip() == "(1536, 768)", done.stderr[-2000:]
