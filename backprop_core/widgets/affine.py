"""Explorers of notebooks 03 and 04: where each entry of dW comes from; db as a sum of samples."""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
from matplotlib.patches import Rectangle

from .. import plots
from .._checks import as_seed
from ..layers import affine_backward, affine_forward
from .base import Explorer, as_size


def _box(ax, **kwargs) -> Rectangle:
    return ax.add_patch(Rectangle((0, 0), 1, 1, fill=False, edgecolor="k", linewidth=2.5, **kwargs))


class WeightGradientExplorer(Explorer):
    """For ``y = h W + b``: pick ``(i, j)``; column i of h and column j of dL/dy make dW[i, j]."""

    notebook = "03-Weight-Gradient.ipynb"
    height = "470px"

    def __init__(self, N=5, H=4, C=3, seed=0):
        rng = np.random.default_rng(seed)
        self.h = np.round(np.maximum(rng.normal(size=(N, H)), 0), 2)  # a ReLU output: some zeros
        self.dy = np.round(rng.normal(scale=0.5, size=(N, C)), 2)
        W, b = rng.normal(size=(H, C)), np.zeros(C)
        _, self.dW, _ = affine_backward(self.dy, affine_forward(self.h, W, b)[1])
        super().__init__()

    def _controls(self):
        H, C = self.h.shape[1], self.dy.shape[1]
        wide = {"description_width": "initial"}  # the whole label, not "column j …"
        return {
            "i": widgets.IntSlider(value=0, min=0, max=H - 1, description="row i of W", style=wide),
            "j": widgets.IntSlider(
                value=0, min=0, max=C - 1, description="column j of W", style=wide
            ),
        }

    def _build_figure(self):
        fig = plots.new_figure(8.4, 2.8)
        ax_h, ax_g, ax_w = fig.subplots(
            1, 3, width_ratios=(self.h.shape[1], self.dy.shape[1] + 0.6, self.dy.shape[1] + 0.6)
        )
        lim = plots.signed_limit(np.concatenate([self.h.ravel(), self.dy.ravel()]))
        plots.signed_heatmap(ax_h, self.h, "h (N, H)", limit=lim)
        plots.label_matrix_axes(ax_h, "sample p", "hidden unit", self.h.shape)
        plots.signed_heatmap(ax_g, self.dy, "dL/dy (N, C)", limit=lim)
        plots.label_matrix_axes(ax_g, "sample p", "class q", self.dy.shape)
        plots.signed_heatmap(ax_w, self.dW, "dL/dW = hᵀ dL/dy (H, C)")
        plots.label_matrix_axes(ax_w, "i", "j", self.dW.shape)
        self._boxes = (_box(ax_h), _box(ax_g), _box(ax_w))
        self.animate(*self._boxes)
        return fig

    def _compute(self, values):
        i, j = int(values["i"]), int(values["j"])
        terms = self.h[:, i] * self.dy[:, j]  # one product per sample p
        return {
            "i": i,
            "j": j,
            "terms": terms,
            "total": float(terms.sum()),
            "dW": float(self.dW[i, j]),
        }

    def _draw(self):
        s, N = self.state, self.h.shape[0]
        box_h, box_g, box_w = self._boxes
        for box, col in ((box_h, s["i"]), (box_g, s["j"])):
            box.set_bounds(col - 0.5, -0.5, 1, N)  # a whole column
        box_w.set_bounds(s["j"] - 0.5, s["i"] - 0.5, 1, 1)

    def summary(self):
        """dW[i, j] as a sum of products, its value, and the samples that contribute to it."""
        s = self.state
        i, j = s["i"], s["j"]
        products = " + ".join(
            f"({h:+.2f})({g:+.2f})" for h, g in zip(self.h[:, i], self.dy[:, j], strict=True)
        )
        return "\n".join(
            [
                f"dL/dW[{i}, {j}] = sum over p of h[p, {i}] * dL/dy[p, {j}]"
                f"   (column {i} of h, column {j} of dL/dy)",
                f"              = {products}",
                f"              = {s['total']:+.4f}",
                f"(hᵀ dL/dy)[{i}, {j}] from affine_backward = {s['dW']:+.4f}",
                f"samples contributing: {int(np.count_nonzero(s['terms']))} of {len(s['terms'])} "
                f"(h[p, {i}] = 0 silences sample p)",
            ]
        )


def weight_gradient_explorer(N=5, H=4, C=3, seed=0) -> WeightGradientExplorer:
    """Pick an entry (i, j) of W and see the column of h and of dL/dy whose products sum to it.

    >>> ex = weight_gradient_explorer()
    >>> lines = ex.set(i=1, j=2).summary().splitlines()
    >>> lines[2].split("=")[1].strip() == lines[3].split("=")[1].strip()
    True
    """
    N, H, C = (as_size(v, n, 12) for v, n in ((N, "N"), (H, "H"), (C, "C")))
    return WeightGradientExplorer(N, H, C, as_seed(seed))


class BiasExplorer(Explorer):
    """``db`` of ``y = x W + b`` as the sum of one row of ``dL/dy`` per sample, batch size ``N``.

    The batch is the first ``N`` rows of a fixed ``x`` (max_batch, D) with ``D = 4``, and of
    ``rows`` (max_batch, C), each sample's gradient of its own loss. The menu ``loss`` says how
    the batch's loss combines them: their ``"sum"`` (row p of ``dL/dy`` is ``rows[p]``) or their
    ``"mean"`` (row p is ``rows[p] / N``, the 1/N of notebook 02). ``db`` comes from
    ``affine_backward``.
    """

    notebook = "04-Bias-Gradient.ipynb"
    height = "440px"

    def __init__(self, max_batch=12, C=3, seed=0):
        rng = np.random.default_rng(seed)
        self.rows = np.round(rng.normal(scale=0.5, size=(max_batch, C)), 2)  # dL/dy, one row each
        self.x = np.round(rng.normal(size=(max_batch, 4)), 2)  # the layer's input: db ignores it
        self.W, self.b = rng.normal(size=(4, C)), np.zeros(C)
        super().__init__()

    def _controls(self):
        return {
            "N": widgets.IntSlider(value=4, min=1, max=self.rows.shape[0], description="batch N"),
            "loss": widgets.Dropdown(options=["sum", "mean"], value="sum", description="loss"),
        }

    def _build_figure(self):
        M, C = self.rows.shape
        fig = plots.new_figure(8.4, 2.8)
        ax_rows, ax_sum = fig.subplots(1, 2, width_ratios=(1, 1.4))
        self._rows_img = plots.signed_heatmap(ax_rows, self.rows, "dL/dy (N, C)")
        plots.label_matrix_axes(ax_rows, "sample p", "class j", (M, C))
        self._segments = [
            ax_sum.bar(range(C), np.zeros(C), bottom=np.zeros(C), edgecolor="w", linewidth=0.5)
            for _ in range(M)
        ]
        self._total = ax_sum.plot(range(C), np.zeros(C), "k_", markersize=30, mew=3)[0]
        span = np.abs(self.rows).sum(axis=0).max()
        ax_sum.set_ylim(-span, span)
        ax_sum.axhline(0, color="k", lw=0.5)
        ax_sum.set_xticks(range(C))
        ax_sum.set_xlabel("class j")
        ax_sum.set_title("db[j]: each sample adds its gradient (bar = total)")
        self.animate(self._rows_img, *(s for bars in self._segments for s in bars), self._total)
        return fig

    def _compute(self, values):
        N, mean = int(values["N"]), values["loss"] == "mean"
        dy = self.rows[:N] / N if mean else self.rows[:N]  # dL/dy, (N, C)
        _, cache = affine_forward(self.x[:N], self.W, self.b)  # the batch: the first N samples
        _, _, db = affine_backward(dy, cache)  # (C,) whatever N is
        return {"N": N, "loss": values["loss"], "dy": dy, "db": db}

    def _draw(self):
        N, dy = self.state["N"], self.state["dy"]
        shown = np.full(self.rows.shape, np.nan)  # samples outside the batch are blank
        shown[:N] = dy
        self._rows_img.set_data(shown)
        up, down = np.zeros(self.rows.shape[1]), np.zeros(self.rows.shape[1])
        cmap = self._rows_img.cmap
        for p, bars in enumerate(self._segments):
            for j, bar in enumerate(bars):
                value = dy[p, j] if p < N else 0.0
                base = up if value >= 0 else down
                bar.set_y(base[j])
                bar.set_height(value)
                bar.set_color(cmap(self._rows_img.norm(value)))  # the colour of its cell
                base[j] += value
        self._total.set_ydata(self.state["db"])

    def summary(self):
        """The batch size, how the loss combines the samples, and db, the sum of dL/dy's rows."""
        s = self.state
        sums = ", ".join(f"{v:+.2f}" for v in s["db"])
        rows = (
            f"loss = mean of the {s['N']} samples' losses: row p of dL/dy is g_p / {s['N']}"
            if s["loss"] == "mean"
            else f"loss = sum of the {s['N']} samples' losses: row p of dL/dy is g_p"
        )
        return "\n".join(
            [
                f"batch of N = {s['N']} samples: db = sum over p of dL/dy[p, :]",
                rows,
                f"db = [{sums}]  (shape {s['db'].shape}: one entry per class, whatever N is)",
            ]
        )


def bias_explorer(max_batch=12, C=3, seed=0) -> BiasExplorer:
    """Batch size slider: the bias gradient as a sum of per-sample gradients (the seed's Figure 1).

    >>> print(bias_explorer().set(N=1).summary().splitlines()[0])
    batch of N = 1 samples: db = sum over p of dL/dy[p, :]
    """
    max_batch, C = as_size(max_batch, "max_batch", 30), as_size(C, "C", 10)
    return BiasExplorer(max_batch, C, as_seed(seed))
