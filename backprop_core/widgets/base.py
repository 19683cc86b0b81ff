"""What every explorer shares: controls, a text readout, an image, and an error area.

An explorer is built by a function (``softmax_explorer()``, ...) and returned, not displayed; the
notebook displays it. It can be driven from code: ``ex.set(label=2)`` moves its controls and
``ex.summary()`` returns the text the readout shows, so a notebook can print what a move does and
a test can check it without a browser. The figure is made once and updated through its artists;
the image shown is that figure rendered to PNG after each change. An axis whose limits follow the
data is redrawn alone when they change (:meth:`Explorer.follow_limits`), never the whole figure.

Keeping the page and the kernel in step: a slider's front end (noUiSlider) snaps every value it is
sent to its own grid of steps, computed in floating point, and with ``continuous_update`` on it
sends the snapped value back (1.0 comes back as 1.0000000000000002). A value sent back that way
reaches the kernel after the notebook's later cells have moved the slider on, and moves it back:
after Run All the explorer would show an earlier state than the text describes. So a slider's
front end keeps ``continuous_update`` off (it then sends only what the reader does: a drag when
released, a key, a click, a typed value) until the reader first moves a control; from then on it
updates while dragging, and :meth:`Explorer.set` switches it off for the one message that carries
the new value.
"""

from __future__ import annotations

import collections
import contextlib
import functools
import html
import math
import numbers
from typing import ClassVar

import ipywidgets as widgets
from threadpoolctl import ThreadpoolController

from .. import plots


class Explorer:
    """Base class: controls above a text readout, an image and an error area.

    A subclass sets the class attribute ``notebook`` and defines ``_controls``, ``_build_figure``,
    ``_compute``, ``_draw`` and ``summary``; the other class attributes have defaults.

    notebook : str
        The workbook notebook that displays it, e.g. ``"02-Softmax-Gradient.ipynb"``.
    height : str
        The fixed height of the output area, so the page does not jump as the content changes.
    redraws_on_move : bool
        False for an explorer whose figure changes only when it trains (a Train button): moving
        one of its controls changes the summary, not the image.
    view_controls : tuple of str
        Controls that change only the view (a plot range): moving one changes the image, not
        the summary.

    Each explorer also has ``live``, False until the reader first moves one of its controls in
    the page, and ``slider_updates``, each slider's own ``continuous_update``, which its front
    end gets only once ``live`` (see the module's docstring).
    """

    notebook: ClassVar[str]
    height: ClassVar[str] = "520px"
    redraws_on_move: ClassVar[bool] = True
    view_controls: ClassVar[tuple[str, ...]] = ()

    def __init__(self):
        self.controls = self._controls()
        # each slider's own continuous_update (whether it updates while dragged), kept here:
        # the slider's is off until the reader moves a control
        self.slider_updates = {
            name: control.continuous_update
            for name, control in self.controls.items()
            if isinstance(control, SLIDERS)
        }
        for name in self.slider_updates:
            self.controls[name].continuous_update = False
        self.live = False  # True once the reader has moved a control in the page
        self.readout = widgets.HTML()
        # the figure's pixels shown at plots.DENSITY per CSS pixel (_render sets the width)
        self.image = widgets.Image(format="png", layout=widgets.Layout(max_width="100%"))
        self.errors = widgets.Output()
        self._animated = []
        self._limited = []  # groups of artists redrawn only when their axes' limits change
        self._bare = None  # the figure without the animated and the limited artists
        self._layers = []  # the bare figure with each group drawn, up to it; None: out of date
        # the figure with every group drawn, by the limits it was drawn for (the latest last)
        self._snapshots = collections.OrderedDict()
        self.fig = self._build_figure()
        self._layout = self.fig.get_layout_engine()  # with the explorer's settings (w_pad, ...)
        self._holding = False
        self.state = None
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        controls = self._layout_controls()
        self.widget = widgets.VBox(
            [controls, self.readout, self.image, self.errors],
            layout=widgets.Layout(min_height=self.height),
        )
        # class names a browser test (or a stylesheet) can find the parts by
        for part, name in (
            (self.widget, "explorer"),
            (controls, "controls"),
            (self.readout, "readout"),
            (self.image, "image"),
            (self.errors, "errors"),
        ):
            part.add_class(f"bp-{name}")
        self.refresh()

    # -- to be defined by each explorer ----------------------------------------------------------

    def _controls(self) -> dict:
        """The controls by name, in the order they are shown; ``set`` takes these names."""
        raise NotImplementedError

    def _build_figure(self):
        """Make the figure once, marking with :meth:`animate` the artists updates change."""
        raise NotImplementedError

    def _compute(self, values: dict):
        """Everything the summary and the figure need, from the controls' values."""
        raise NotImplementedError

    def _draw(self) -> bool | None:
        """Update the figure's artists from ``self.state``; return False if nothing changed."""
        raise NotImplementedError

    def summary(self) -> str:
        """The text the readout shows for the current state."""
        raise NotImplementedError

    # -- shared machinery ------------------------------------------------------------------------

    def _layout_controls(self):
        """The controls in one wrapping row (an explorer with buttons puts them below)."""
        return widgets.HBox(
            list(self.controls.values()), layout=widgets.Layout(flex_flow="row wrap")
        )

    def animate(self, *artists):
        """Mark artists that change with the controls: only they are redrawn on an update."""
        for artist in artists:
            artist.set_animated(True)
            self._animated.append(artist)
        return artists

    def follow_limits(self, *artists):
        """Mark a group of artists that change only with their axes' limits (``Axis`` objects:
        ticks, tick labels, grid and label). They are drawn over the rest of the figure, each
        group over the groups marked before it, and redrawn alone after :meth:`relimit`, a small
        part of the time the whole figure takes. Mark what changes least first. The figure with
        every group drawn is kept for the last few limits (:data:`SNAPSHOT_BYTES`): limits seen
        before are shown again without drawing a tick. So a marked artist must look the same
        whenever its axes have the same limits, scales and axis labels (:meth:`limits_key`);
        after any other change, call :meth:`invalidate`."""
        for artist in artists:
            artist.set_animated(True)  # left out of the whole figure's draw
        self._limited.append(artists)
        self._layers.append(None)
        return artists

    def relimit(self, *artists) -> None:
        """Redraw, at the next update, the group marked with :meth:`follow_limits` holding any
        of ``artists`` (the first group if none is given) and the groups over it: call it after
        changing only the limits of their axes."""
        for i, group in enumerate(self._limited):
            if not artists or any(a is b for a in artists for b in group):
                self._layers[i:] = [None] * (len(self._layers) - i)
                return
        if artists:  # a stale group would go on being shown: say so rather than ignore it
            marked = [type(a).__name__ for group in self._limited for a in group]
            raise ValueError(
                f"artists must be marked with follow_limits() first; got "
                f"{[type(a).__name__ for a in artists]}, marked: {marked or 'nothing'}"
            )

    def invalidate(self, layout: bool = True) -> None:
        """Redraw the whole figure, not only the animated artists, at the next update.

        Call it after changing titles or labels, or limits of axes whose ticks are not marked
        with :meth:`follow_limits`; ``layout=False`` keeps the current layout, which is much
        faster.
        """
        self._bare = None
        self._layers = [None] * len(self._layers)
        if layout:  # the engine the figure was built with, its settings (w_pad, ...) kept
            self.fig.set_layout_engine(self._layout)

    def _render(self) -> bytes:
        canvas = self.fig.canvas
        if self._bare is None:
            canvas.draw()  # everything but the animated and the limited artists
            self.fig.set_layout_engine("none")  # keep the layout found by the first draw
            self._bare = canvas.copy_from_bbox(self.fig.bbox)
            self._snapshots.clear()
            width = f"{plots.css_size(self.fig)[0]}px"  # sharp: not stretched to the page
            if self.image.layout.width != width:
                self.image.layout.width = width
        current = next((i for i, layer in enumerate(self._layers) if layer is None), None)
        if current is None:  # every group as drawn last time
            canvas.restore_region(self._layers[-1] if self._layers else self._bare)
        else:
            key = self.limits_key()
            if key in self._snapshots:  # limits drawn before: no tick drawn again
                self._snapshots.move_to_end(key)
                self._layers[-1] = self._snapshots[key]
                canvas.restore_region(self._layers[-1])
            else:  # the figure up to the first group out of date, then the groups from it
                canvas.restore_region(self._layers[current - 1] if current else self._bare)
                for i in range(current, len(self._limited)):
                    for artist in self._limited[i]:
                        (artist.axes or self.fig).draw_artist(artist)
                    self._layers[i] = canvas.copy_from_bbox(self.fig.bbox)
                self._snapshots[key] = self._layers[-1]
                width, height = canvas.get_width_height()
                while len(self._snapshots) > max(1, SNAPSHOT_BYTES // (4 * width * height)):
                    self._snapshots.popitem(last=False)
        for artist in self._animated:
            (artist.axes or self.fig).draw_artist(artist)
        return plots.encode_png(canvas)

    @property
    def kept_limits(self) -> tuple:
        """The :meth:`limits_key` of every figure kept for limits seen before, the latest last."""
        return tuple(self._snapshots)

    def limits_key(self) -> tuple:
        """What the groups marked with :meth:`follow_limits` look like: the limits and scales
        of the axes they belong to, and the text of each marked axis's label."""
        axes = {id(a.axes): a.axes for group in self._limited for a in group if a.axes}
        labels = tuple(
            a.label.get_text() for group in self._limited for a in group if hasattr(a, "label")
        )
        limits = tuple(
            (ax.get_xscale(), ax.get_yscale(), tuple(ax.viewLim.bounds)) for ax in axes.values()
        )
        return limits, labels

    def values(self) -> dict:
        """The current value of every control, by name."""
        return {name: control.value for name, control in self.controls.items()}

    def refresh(self) -> None:
        """Recompute from the controls, then update the readout and the image."""
        with one_blas_thread():
            self.state = self._compute(self.values())
        unchanged = self._draw() is False
        self.readout.value = f"<pre style='{READOUT_STYLE}'>{html.escape(self.summary())}</pre>"
        if not unchanged or not self.image.value:
            self.image.value = self._render()

    def _on_change(self, _change) -> None:
        if self._holding:
            return
        if not self.live:  # the reader's first move: sliders now update while dragged
            self.live = True
            for name, continuous in self.slider_updates.items():
                self.controls[name].continuous_update = continuous
        if self.errors.outputs:
            self.errors.outputs = ()  # a successful update clears an earlier error
        try:
            self.refresh()
        except Exception as err:  # shown in the page, never lost in the kernel's log
            self.show_error(err)

    def _run(self, action) -> None:
        """Run a button's action; an error goes to the error area, as for a control's change."""
        try:
            with one_blas_thread():
                action()
        except Exception as err:
            self.show_error(err)

    def show_error(self, err: Exception) -> None:
        """Put an error from a callback in the explorer's error area, where the reader sees it."""
        self.errors.append_stderr(f"{type(err).__name__}: {err}\n")

    def set(self, **values) -> Explorer:
        """Move controls by name (``ex.set(label=1)``), then update once; returns the explorer."""
        unknown = set(values) - set(self.controls)
        if unknown:
            known = sorted(self.controls)
            raise ValueError(f"unknown control(s) {sorted(unknown)}; the controls are {known}")
        for name, value in values.items():  # all checked before any moves: a slider clamps
            _check_value(name, self.controls[name], value)
        moved = [name for name, value in values.items() if self.controls[name].value != value]
        with contextlib.ExitStack() as stack:  # one message per control, sent at the end
            for name in moved:
                stack.enter_context(self.controls[name].hold_sync())
            self._holding = True
            try:
                for name in moved:
                    if name in self.slider_updates:  # no value sent back with this message
                        self.controls[name].continuous_update = False
                    self.controls[name].value = values[name]
            finally:
                self._holding = False
        if self.live:
            for name in moved:
                if name in self.slider_updates:
                    self.controls[name].continuous_update = self.slider_updates[name]
        self.refresh()
        return self

    def png(self) -> bytes:
        """The image currently shown, as PNG bytes."""
        return bytes(self.image.value)

    def snapshot(self):
        """The current image as an ordinary output, so the notebook reads without a kernel."""
        return plots.png_image(self.png())  # shown at its CSS size, as the explorer shows it

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)


SLIDERS = (
    widgets.IntSlider,
    widgets.FloatSlider,
    widgets.FloatLogSlider,
    widgets.IntRangeSlider,
    widgets.FloatRangeSlider,
)
# the memory an explorer may keep in figures drawn for earlier axis limits (Explorer._render):
# eight of the depth explorer's (1651 x 614 pixels), so that moving back and forth between
# settings seen before costs no tick drawn
SNAPSHOT_BYTES = 32 * 2**20
# the readout: legible beside the figure on a projector, long lines wrapped rather than cut
READOUT_STYLE = "margin:0; font-size:15px; line-height:1.35; white-space:pre-wrap"


@functools.cache
def _blas_controller() -> ThreadpoolController:
    """threadpoolctl's view of the BLAS libraries loaded (made once: it inspects every library)."""
    return ThreadpoolController()


def one_blas_thread():
    """A context in which NumPy's matrix products run on one BLAS thread, as every explorer
    computes: its products are small, and on a busy machine (a class's shared server, a test run)
    OpenBLAS's threads wait for each other (notebook 14's ``dout.T @ x``, 200 x 100 by 200 x 100,
    took 28 ms with two threads against 0.1 ms with one). The thread count is restored after.

    >>> from threadpoolctl import threadpool_info
    >>> with one_blas_thread():
    ...     {lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"}
    {1}
    """
    return _blas_controller().limit(limits=1, user_api="blas")


def _check_value(name: str, control, value) -> None:
    """Refuse a value ``control`` would clamp, round or reject with a traitlets error."""
    if isinstance(control, widgets.Dropdown):
        if isinstance(value, bool) or not any(value == option for option in control.options):
            raise ValueError(
                f"control {name!r} must be one of {list(control.options)}; got {value!r}"
            )
        return
    if isinstance(control, widgets.Text):
        if not isinstance(value, str):
            raise TypeError(f"control {name!r} takes text; got {type(value).__name__}")
        return
    ranged = isinstance(control, widgets.IntRangeSlider | widgets.FloatRangeSlider)
    items = tuple(value) if ranged and isinstance(value, tuple | list) else (value,)
    integral = isinstance(control, widgets.IntSlider | widgets.IntRangeSlider)
    kind = numbers.Integral if integral else numbers.Real
    low, high = control.min, control.max
    if isinstance(control, widgets.FloatLogSlider):
        low, high = control.base**low, control.base**high
    wanted = f"{'a pair of ' if ranged else ''}{'integers' if integral else 'numbers'}"
    fits = len(items) == (2 if ranged else 1) and all(
        isinstance(v, kind) and not isinstance(v, bool) and math.isfinite(v) for v in items
    )
    if not fits or not all(low <= v <= high for v in items) or (ranged and items[0] > items[1]):
        raise ValueError(f"control {name!r} takes {wanted} in [{low:g}, {high:g}]; got {value!r}")


def as_size(value, name: str, largest: int) -> int:
    """A size of an explorer's example, from 1 to ``largest`` (beyond, the figure is unreadable)."""
    from .._checks import as_count

    size = as_count(value, name)
    if size > largest:
        raise ValueError(
            f"{name} must be at most {largest} for the figure to stay readable; got {size}"
        )
    return size
