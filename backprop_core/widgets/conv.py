"""Explorer of notebook 12: a convolution's receptive fields and weight gradients, and where max
pooling routes its gradient, ties included."""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
from matplotlib.patches import Rectangle

from .. import plots
from .._checks import as_seed
from ..layers import (
    conv_backward_naive,
    conv_forward_naive,
    max_pool_backward_naive,
    max_pool_forward_naive,
)
from .base import Explorer, as_size

RULES = ("first maximum", "every tied maximum")


def _box(ax, colour="k") -> Rectangle:
    return ax.add_patch(Rectangle((0, 0), 1, 1, fill=False, edgecolor=colour, linewidth=2.5))


def every_tie(x, dout, pool_param):
    """dx when each window's gradient goes to all of its tied maxima (the mistaken rule)."""
    ph, pw, s = (pool_param[key] for key in ("pool_height", "pool_width", "stride"))
    dx = np.zeros(x.shape)
    for n, c, i, j in np.ndindex(dout.shape):
        window = x[n, c, s * i : s * i + ph, s * j : s * j + pw]
        dx[n, c, s * i : s * i + ph, s * j : s * j + pw] += (window == window.max()) * dout[
            n, c, i, j
        ]
    return dx


class ConvExplorer(Explorer):
    """One-channel convolution (3 x 3 kernel, stride 1, pad 1) and 2 x 2 max pooling, side by side.

    Row 1: pick an output pixel (i, j): its receptive field in the padded x, the weights, the
    products that sum to ``out[i, j]``. Row 2: pick a weight (u, v): every entry of x it meets,
    each times the ``dout`` of the output that used it, summing to ``dw[u, v]``. Row 3: max
    pooling of an image with or without ties, and where the gradient goes under either rule.
    """

    notebook = "12-Convolution-and-Pooling.ipynb"
    height = "640px"

    def __init__(self, size=6, seed=0):
        rng = np.random.default_rng(seed)
        self.param = {"stride": 1, "pad": 1}
        self.x = np.round(rng.normal(size=(1, 1, size, size)), 1)
        self.w = np.round(rng.normal(size=(1, 1, 3, 3)), 1)
        self.b = np.zeros(1)
        self.out, cache = conv_forward_naive(self.x, self.w, self.b, self.param)
        self.dout = np.round(rng.normal(size=self.out.shape), 1)
        self.dx, self.dw, _ = conv_backward_naive(self.dout, cache)
        self.xp = np.pad(self.x[0, 0], 1)
        self.pool_param = {"pool_height": 2, "pool_width": 2, "stride": 2}
        self.tied = rng.integers(-2, 3, size=(1, 1, size, size)).astype(float)  # many ties
        jitter = rng.permutation(size * size).reshape(self.tied.shape) / 100  # all distinct
        self.untied = self.tied + jitter
        half = size // 2
        self.pool_dout = np.round(rng.normal(size=(1, 1, half, half)), 1)
        super().__init__()

    def _controls(self):
        last = self.out.shape[2] - 1
        return {
            "i": widgets.IntSlider(value=0, min=0, max=last, description="out row i"),
            "j": widgets.IntSlider(value=0, min=0, max=last, description="out col j"),
            "u": widgets.IntSlider(value=0, min=0, max=2, description="w row u"),
            "v": widgets.IntSlider(value=0, min=0, max=2, description="w col v"),
            "ties": widgets.Dropdown(options=["on", "off"], value="on", description="pool ties"),
            "rule": widgets.Dropdown(options=list(RULES), value=RULES[0], description="routing"),
        }

    def _build_figure(self):
        fig = plots.new_figure(9.4, 6.6)  # cells wide enough for the pool input's values
        axes = fig.subplots(3, 4)
        size, xp = self.x.shape[2], self.xp
        lim_x = plots.signed_limit(xp)
        ax = axes[0]
        plots.signed_heatmap(ax[0], xp, "padded x", limit=lim_x)
        plots.signed_heatmap(ax[1], self.w[0, 0], "w (3 x 3)")
        plots.signed_heatmap(ax[2], self.out[0, 0], "out = x * w")
        self._products = plots.signed_heatmap(ax[3], np.zeros((3, 3)), "window * w", limit=4.0)
        self._field, self._kernel, self._pixel = _box(ax[0]), _box(ax[1]), _box(ax[2])
        self._kernel.set_bounds(-0.5, -0.5, 3, 3)
        ax = axes[1]
        plots.signed_heatmap(ax[0], xp, "x seen by w[u, v]", limit=lim_x)
        self._meets = _box(ax[0])
        plots.signed_heatmap(ax[1], self.dout[0, 0], "dout")
        self._pairs = plots.signed_heatmap(
            ax[2], np.zeros((size, size)), "x entry * dout", limit=4.0
        )
        plots.signed_heatmap(ax[3], self.dw[0, 0], "dw")
        self._weight = _box(ax[3])
        ax = axes[2]
        self._pool_x = plots.signed_heatmap(ax[0], self.tied[0, 0], "pool input x", limit=3.5)
        self._values = [
            ax[0].text(c, r, "", ha="center", va="bottom", fontsize=7)
            for r, c in np.ndindex(size, size)
        ]
        self._winners = ax[0].plot([], [], "k*", markersize=7)[0]
        for k in range(1, size // 2):
            for axis in (ax[0], ax[3]):
                axis.axhline(2 * k - 0.5, color="k", lw=1)
                axis.axvline(2 * k - 0.5, color="k", lw=1)
        self._pool_out = plots.signed_heatmap(
            ax[1], np.zeros((size // 2, size // 2)), "max pool 2x2", limit=3.5
        )
        plots.signed_heatmap(ax[2], self.pool_dout[0, 0], "dout (pool)")
        self._pool_dx = plots.signed_heatmap(
            ax[3],
            np.zeros((size, size)),
            "dx routed",
            limit=2 * plots.signed_limit(self.pool_dout),
        )
        for axis in axes.ravel():
            axis.set_xticks([])
            axis.set_yticks([])
        self.animate(
            self._products, self._field, self._pixel, self._meets, self._pairs, self._weight
        )
        # the pooling row changes only with ties and rule: it is redrawn with the background
        self._pool_drawn = None
        return fig

    def _compute(self, values):
        i, j, u, v = (int(values[key]) for key in "ijuv")
        window = self.xp[i : i + 3, j : j + 3]  # stride 1: output (i, j) reads rows i..i+2
        size = self.x.shape[2]
        meets = self.xp[u : u + size, v : v + size]  # x entries w[u, v] multiplies, one per output
        x_pool = self.tied if values["ties"] == "on" else self.untied
        pooled, cache = max_pool_forward_naive(x_pool, self.pool_param)
        if values["rule"] == RULES[0]:
            dx_pool = max_pool_backward_naive(self.pool_dout, cache)
        else:
            dx_pool = every_tie(x_pool, self.pool_dout, self.pool_param)
        windows = (
            x_pool[0, 0]
            .reshape(size // 2, 2, size // 2, 2)
            .transpose(0, 2, 1, 3)
            .reshape(size // 2, size // 2, 4)
        )
        tied = int(((windows == windows.max(axis=2, keepdims=True)).sum(axis=2) > 1).sum())
        return {
            **values,
            "products": window * self.w[0, 0],
            "pairs": meets * self.dout[0, 0],
            "x_pool": x_pool,
            "pooled": pooled,
            "dx_pool": dx_pool,
            "tied_windows": tied,
        }

    def _draw(self):
        s = self.state
        i, j, u, v = (s[key] for key in "ijuv")
        size = self.x.shape[2]
        self._products.set_data(s["products"])
        self._field.set_bounds(j - 0.5, i - 0.5, 3, 3)
        self._pixel.set_bounds(j - 0.5, i - 0.5, 1, 1)
        self._meets.set_bounds(v - 0.5, u - 0.5, size, size)  # stride 1: one block of x
        self._pairs.set_data(s["pairs"])
        self._weight.set_bounds(v - 0.5, u - 0.5, 1, 1)
        if self._pool_drawn != (s["ties"], s["rule"]):
            self._pool_drawn = (s["ties"], s["rule"])
            self._pool_x.set_data(s["x_pool"][0, 0])
            for text, value in zip(self._values, s["x_pool"][0, 0].ravel(), strict=True):
                text.set_text(f"{value:g}")
            rows, cols = np.nonzero(s["dx_pool"][0, 0])
            self._winners.set_data(cols, rows + 0.25)  # a star under each entry that gets dout
            self._pool_out.set_data(s["pooled"][0, 0])
            self._pool_dx.set_data(s["dx_pool"][0, 0])
            self.invalidate(layout=False)

    def summary(self):
        """out[i, j] and dw[u, v] as sums of products, and where max pooling routes dout."""
        s = self.state
        i, j, u, v = (s[key] for key in "ijuv")
        padding = int(np.count_nonzero(self._padding_mask()[i : i + 3, j : j + 3]))
        dx, dout = s["dx_pool"], self.pool_dout
        return "\n".join(
            [
                f"out[{i}, {j}] = sum of the 9 products window * w = {s['products'].sum():+.4f}"
                f"  (conv_forward_naive: {self.out[0, 0, i, j]:+.4f}); "
                f"{padding} of the window's entries are padding",
                f"dw[{u}, {v}] = sum over all {s['pairs'].size} outputs (i, j) of "
                f"xp[i + {u}, j + {v}] * dout[i, j] = {s['pairs'].sum():+.4f}"
                f"  (conv_backward_naive: {self.dw[0, 0, u, v]:+.4f})",
                f"max pool 2x2 stride 2, ties {s['ties']}: {s['tied_windows']} of "
                f"{dout.size} windows hold a tie; routing: {s['rule']}",
                f"entries receiving a gradient: {int(np.count_nonzero(dx))}; sum of dx "
                f"{dx.sum():+.2f} vs sum of dout {dout.sum():+.2f}",
            ]
        )

    def _padding_mask(self):
        mask = np.ones(self.xp.shape, dtype=bool)
        mask[1:-1, 1:-1] = False
        return mask


def conv_explorer(size=6, seed=0) -> ConvExplorer:
    """Receptive fields and weight gradients of a 3 x 3 convolution; max-pool routing with ties.

    >>> ex = conv_explorer()
    >>> print(ex.set(rule="every tied maximum").summary().splitlines()[2])
    max pool 2x2 stride 2, ties on: 5 of 9 windows hold a tie; routing: every tied maximum
    """
    size = as_size(size, "size", 10)
    if size < 4 or size % 2:
        raise ValueError(f"size must be an even number from 4 to 10; got {size}")
    return ConvExplorer(size, as_seed(seed))
