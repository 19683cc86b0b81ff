"""Explorer of notebook 01: move one input point and the weight scale, watch every stage."""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
from matplotlib.ticker import ScalarFormatter

from .. import plots
from .._checks import as_seed
from ..net import TwoLayerNet
from .base import Explorer


def _fmt(values) -> str:
    return "[" + ", ".join(f"{v:+.2f}" for v in values) + "]"


def _nice_limit(values, least: float) -> float:
    """A y-limit at least ``least`` that holds ``values`` with a tenth to spare: 1, 2 or 5 times
    a power of ten, so it changes only when the data cross one of these steps."""
    return plots.nice_limit(1.1 * np.abs(values), least)


class _PaddedFormatter(ScalarFormatter):
    """Tick labels padded on the left with figure spaces (as wide as a digit) to 4 characters,
    so that the layout found for the first labels ("-2") holds the widest later ones ("-100")."""

    def __call__(self, x, pos=None):
        return super().__call__(x, pos).rjust(4, "\u2007")


class ForwardExplorer(Explorer):
    """A 2-4-3 network whose weights (not biases) are multiplied by ``scale``; one input ``X``."""

    notebook = "01-Forward-Pass.ipynb"
    height = "430px"

    def __init__(self, seed=0):
        self.net = TwoLayerNet(2, 4, 3, std=1.0, seed=seed)
        self.net.params["b1"] = np.array([0.5, -0.5, 0.0, 0.25])  # a little offset per unit
        self._base = {k: v.copy() for k, v in self.net.params.items()}
        super().__init__()

    def _controls(self):
        def slider(name, value, lo, hi):
            return widgets.FloatSlider(
                value=value,
                min=lo,
                max=hi,
                step=0.1,
                description=name,
                readout_format=".1f",
                style={"description_width": "initial"},  # "weight scale" in full
            )

        return {
            "x0": slider("X[0]", 1.0, -3, 3),
            "x1": slider("X[1]", -0.5, -3, 3),
            "scale": slider("weight scale", 1.0, 0.1, 5),
        }

    def _build_figure(self):
        fig = plots.new_figure(8.4, 2.4)
        axes = fig.subplots(1, 4)
        titles = ("y1 = X W1 + b1", "h1 = max(0, y1)", "y2 = h1 W2 + b2", "probs = softmax(y2)")
        sizes = (4, 4, 3, 3)
        self._axes = axes
        self._limits = [None, None, None, 1.0]  # y1 and h1 share one; probs stay in [0, 1]
        self._bars = []
        for ax, title, size in zip(axes, titles, sizes, strict=True):
            self._bars.append(ax.bar(range(size), np.zeros(size), color=plots.POSITIVE))
            ax.set_title(title, fontsize=10)
            ax.set_xticks(range(size))
            ax.axhline(0, color="k", lw=0.5)
        axes[3].set_ylim(0, 1)
        axes[0].set_xlabel("hidden unit")
        axes[2].set_xlabel("class")
        for ax in axes[:3]:
            ax.yaxis.set_major_formatter(_PaddedFormatter())
        self.follow_limits(*(ax.yaxis for ax in axes[:3]))  # their ranges follow the data
        self.animate(*(bar for bars in self._bars for bar in bars))
        return fig

    def _compute(self, values):
        scale = values["scale"]
        self.net.params.update(
            {k: scale * v if k.startswith("W") else v for k, v in self._base.items()}
        )
        trace = self.net.forward([[values["x0"], values["x1"]]])
        return {
            "scale": scale,
            **{name: getattr(trace, name)[0] for name in ("X", "y1", "h1", "y2", "probs")},
        }

    def _draw(self):
        s = self.state
        # the y-ranges follow the data, so no bar runs off its axes (y1 and h1 share theirs);
        # when one changes, only the y-axes are redrawn, not the whole figure
        hidden = _nice_limit(s["y1"], least=1.0)
        limits = [hidden, hidden, _nice_limit(s["y2"], least=1.0), 1.0]
        if limits != self._limits:
            self._limits = limits
            for ax, limit in zip(self._axes[:3], limits, strict=False):
                ax.set_ylim(-limit, limit)
            self.relimit()
        for bars, name in zip(self._bars, ("y1", "h1", "y2", "probs"), strict=True):
            for bar, value, colour in zip(bars, s[name], plots.sign_colours(s[name]), strict=True):
                bar.set_height(value)
                bar.set_color(colour)

    def summary(self):
        """The input and the weight scale, then every stage's values for that input."""
        s = self.state
        return "\n".join(
            [
                f"X     = {_fmt(s['X'])}   weights x {s['scale']:.1f}",
                f"y1    = {_fmt(s['y1'])}",
                f"h1    = {_fmt(s['h1'])}   ({int((s['h1'] > 0).sum())} of 4 units active)",
                f"y2    = {_fmt(s['y2'])}",
                f"probs = {_fmt(s['probs'])}   predicted class {int(np.argmax(s['probs']))}",
            ]
        )


def forward_explorer(seed=0) -> ForwardExplorer:
    """Sliders for an input point and the weight scale of a small fixed network.

    >>> ex = forward_explorer()
    >>> print(ex.set(x0=0.0, x1=0.0, scale=1.0).summary().splitlines()[1])
    y1    = [+0.50, -0.50, +0.00, +0.25]
    """
    return ForwardExplorer(as_seed(seed))
