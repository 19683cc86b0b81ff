"""Explorer of notebook 10: type an activation, see f and f', its check, and train with it."""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
import sympy as sp
from matplotlib.ticker import MaxNLocator
from sympy.printing.str import StrPrinter

from .. import plots
from .._checks import as_seed
from ..activations import activation_from_text
from ..net import TwoLayerNet
from .spiral import SpiralExplorer


class _Printer(StrPrinter):
    """SymPy's expressions written in the text box's own language: ``heaviside(x)``, ``max``,
    ``min``, ``abs`` (the value of the step at 0 is said on a line of its own)."""

    def _print_Heaviside(self, expr):
        return f"heaviside({self._print(expr.args[0])})"

    def _print_Max(self, expr):
        return f"max({', '.join(self._print(a) for a in expr.args)})"

    def _print_Min(self, expr):
        return f"min({', '.join(self._print(a) for a in expr.args)})"

    def _print_Abs(self, expr):
        return f"abs({self._print(expr.args[0])})"


def _readable(expr) -> str:
    """``expr`` as a line a reader could type back into the explorer's text box.

    >>> _readable(sp.Heaviside(sp.Symbol("x"), 0.0) * 2 - 1)
    '2*heaviside(x) - 1'
    """
    return _Printer().doprint(expr)


def _steps_at_zero(expr) -> list[float]:
    """The values at 0 of the Heaviside steps in ``expr`` (SymPy's second argument)."""
    return sorted({float(h.args[1]) for h in expr.atoms(sp.Heaviside) if len(h.args) > 1})


class ActivationExplorer(SpiralExplorer):
    """A text box for ``f(x)`` and a range slider for the plot; Train fits the spiral with it.

    A text that is not allowed, not an expression or too complex for the time budget shows its
    message in the readout; the previous activation stays drawn, with its own check.
    The range slider changes only the plot.
    """

    notebook = "10-Your-Own-Activation.ipynb"
    height = "520px"
    view_controls = ("span",)
    train_label = "Train on the spiral"

    def __init__(self, text="x * sigmoid(x)", seed=0):
        self._text = text
        self.activation = None
        self._trained_text = None
        self._verdict = None
        super().__init__(seed)

    def _controls(self):
        return {
            "text": widgets.Text(
                value=self._text,
                description="f(x) =",
                continuous_update=False,
                layout=widgets.Layout(width="420px"),
            ),
            "span": widgets.FloatRangeSlider(  # whole numbers: "-10 – 10" fits its readout
                value=(-4.0, 4.0),
                min=-10,
                max=10,
                step=1,
                description="x range",
                readout_format=".0f",
            ),
        }

    def _build_figure(self):
        fig = plots.new_figure(8.4, 2.8)
        self._ax_f, self._ax_regions = fig.subplots(1, 2)
        (self._f_line,) = self._ax_f.plot([], [], label="f(x)", color="tab:blue")
        (self._d_line,) = self._ax_f.plot([], [], label="f'(x)", color="tab:orange")
        self._ax_f.axhline(0, color="k", lw=0.5)
        self._ax_f.legend(loc="upper left")
        self._ax_f.set_xlabel("x")
        # at most 6 ticks a step of 1, 2 or 5 apart: labels such as "−0.75" would run together
        self._ax_f.xaxis.set_major_locator(MaxNLocator(nbins=5, steps=[1, 2, 5, 10]))
        self._draw_regions(self._ax_regions, resolution=100)
        self._ax_regions.set_title(self._regions_title())
        # laid out once, here, with limits whose tick labels are as long as any f and range give
        # but the rarest ("−10.2" on x, "−0.05" on y): later limits fit that layout, kept
        self._ax_f.set(xlim=(-10.5, -9.5), ylim=(-0.15, 0.15), title=_clip("f(x) = " + "x" * 40))
        fig.canvas.draw()
        self._room = self._widest_tick_labels()
        self._engine = fig.get_layout_engine()  # for a label longer still: laid out again
        fig.set_layout_engine("none")
        return fig

    def _regions_title(self) -> str:
        """What the region panel shows: no net yet, or the net trained with which activation
        (one line, as the layout found for the first title has room for one)."""
        if self.net is None:
            return "spiral: not trained yet"
        if self.activation is None or self.activation.text != self._trained_text:
            return _clip(f"not with f: trained with {self._trained_text}")
        return _clip(f"trained with {self._trained_text}")

    def _widest_tick_labels(self) -> tuple[int, int]:
        """The lengths of the longest x and y tick labels of the f panel's limits (undrawn)."""
        widest = []
        for axis in (self._ax_f.xaxis, self._ax_f.yaxis):
            low, high = sorted(axis.get_view_interval())
            ticks = [t for t in axis.get_major_locator()() if low <= t <= high]
            widest.append(max(map(len, axis.get_major_formatter().format_ticks(ticks)), default=0))
        return widest[0], widest[1]

    def _compute(self, values):
        error, activation = None, self.activation
        if activation is None or values["text"] != activation.text:  # derive only new text
            try:  # refused within the time budget of backprop_core.activations
                activation = activation_from_text(values["text"])
            except (ValueError, TypeError) as err:
                error = str(err)
        if activation is not self.activation or self._verdict is None:
            self._verdict = activation.check() if activation is not None else None
        self.activation = activation
        lo, hi = values["span"]
        if hi - lo < 1:  # both ends together: a range of width 1 around them
            lo, hi = (lo + hi) / 2 - 0.5, (lo + hi) / 2 + 0.5
        xs = np.linspace(lo, hi, 200)
        state = {"text": values["text"], "error": error, "xs": xs, "span": (lo, hi)}
        if activation is not None:
            with np.errstate(all="ignore"):
                state["f"] = activation.forward(xs)[0]
                state["df"] = activation.slope(xs)
            state["check"] = self._verdict  # the check of the activation drawn
        return state

    def _draw(self):
        s = self.state
        if "f" in s:
            self._f_line.set_data(s["xs"], s["f"])
            self._d_line.set_data(s["xs"], s["df"])
            finite = np.concatenate([s["f"][np.isfinite(s["f"])], s["df"][np.isfinite(s["df"])]])
            low, high = (finite.min(), finite.max()) if finite.size else (-1.0, 1.0)
            pad = 0.1 * max(high - low, 1.0)
            self._ax_f.set(xlim=s["span"], ylim=(low - pad, high + pad))
            self._ax_f.set_title(_clip(f"f(x) = {self.activation.text}"))
            # a layout with room for longer tick labels than any before, else the one found
            widest = self._widest_tick_labels()
            if any(w > r for w, r in zip(widest, self._room, strict=True)):  # "−100000"
                self._room = tuple(max(w, r) for w, r in zip(widest, self._room, strict=True))
                self.fig.set_layout_engine(self._engine)  # laid out again at the next draw
            self.invalidate(layout=False)
        title = self._regions_title()
        if title != self._ax_regions.get_title():
            self._ax_regions.set_title(title)
            self.invalidate(layout=False)
        self._redraw_regions()

    def train(self, steps=1500):
        """Train a fresh 2-50-3 net with the current activation on the spiral (full batch)."""
        if self.activation is None:
            raise ValueError("no valid activation to train with")
        self.net = TwoLayerNet(2, 50, 3, std=0.5, seed=self.seed, activation=self.activation)
        losses = self._fit(self.net, steps, learning_rate=0.5, reg=1e-4)
        self._trained_text = self.activation.text
        self._final_loss = losses[-1]
        self.refresh()
        return self

    def summary(self):
        """f and f' as SymPy found them, the gradient check, and the result of training."""
        s = self.state
        if self.activation is None:
            return f"not an activation: {s['error']}"
        act = self.activation
        lines = []
        if s["error"]:
            lines.append(f"not allowed: {s['error']}")
            lines.append(f"(still showing {act.text!r})")
        verdict = s["check"]
        lines += [f"f(x)  = {_readable(act.expr)}", f"f'(x) = {_readable(act.derivative)}"]
        for value in _steps_at_zero(act.derivative):
            lines.append(f"        heaviside(x) = 0 for x < 0, 1 for x > 0, and {value:g} at x = 0")
        # the value at a kink is the line above: a slope there is f' at 0 (for abs(x), -1), not
        # the value heaviside takes
        lines.append(f"gradient check: {verdict.word}")
        if verdict.note:
            lines.append(f"  ({verdict.note})")
        if self.net is not None:
            lines.append(
                f"trained with {self._trained_text!r}: loss {self._final_loss:.3f}, "
                f"training accuracy {self._accuracy():.1%}"
            )
            if act.text != self._trained_text:
                lines.append(f"  (the regions are of that run: press Train for {act.text!r})")
        return "\n".join(lines)


def _clip(title: str, width: int = 40) -> str:
    """``title`` cut to ``width`` characters, ending in "…" when cut: one panel's width."""
    return title if len(title) <= width else title[: width - 1] + "…"


def activation_explorer(text="x * sigmoid(x)", seed=0) -> ActivationExplorer:
    """A text box for an activation: its derivative, a gradient check, f and f', and training.

    >>> ex = activation_explorer()
    >>> for line in ex.set(text="max(0, x)").summary().splitlines()[1:3]:
    ...     print(line)
    f'(x) = heaviside(x)
            heaviside(x) = 0 for x < 0, 1 for x > 0, and 0 at x = 0
    >>> print(ex.set(text="__import__('os')").summary().splitlines()[0][:44])
    not allowed: the function '__import__' is no
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a string such as 'max(0, x)'; got {type(text).__name__}")
    return ActivationExplorer(text, as_seed(seed))
