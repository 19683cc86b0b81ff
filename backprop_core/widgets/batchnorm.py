"""Explorer of notebook 11: move one entry of a batch and watch every sample's gradient move, and
the block structure of the normalisation's Jacobian, for batch norm (train or test) and layer norm.
"""

from __future__ import annotations

import math

import ipywidgets as widgets
import numpy as np
from matplotlib.ticker import Formatter, Locator

from .. import plots
from .._checks import as_seed
from ..layers import batchnorm, layernorm
from .base import Explorer, as_size

KINDS = ("batch norm", "layer norm")
COLOUR_STEPS = (1, 1.25, 1.5, 2, 2.5, 3, 4, 5, 6, 8)  # colour limits: k times a power of ten


SUPERSCRIPTS = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


class _Steady(Locator):
    """Three ticks on a colour bar centred at 0: -m, 0 and m, with m the largest 1, 2 or 5 times
    a power of ten within 0.8 of the bar's limit, so no label reaches past the bar's ends."""

    def __call__(self):
        top = 0.8 * max(abs(v) for v in self.axis.get_view_interval())
        unit = 10.0 ** math.floor(math.log10(top))
        m = max(k * unit for k in (1, 2, 5) if k * unit <= top)
        return [-m, 0.0, m]


class _Mantissas(Formatter):
    """Labels of one width whatever the range, for a layout found once: each tick over the power
    of ten of the largest (``−5``, ``0``, ``5``), the power once above the bar (``×10⁻²``)."""

    power = 0

    def set_locs(self, locs):
        super().set_locs(locs)
        self.power = math.floor(math.log10(max(abs(v) for v in locs)))

    def __call__(self, x, pos=None):
        return f"{x / 10**self.power + 0.0:.0f}".replace("-", "\N{MINUS SIGN}")

    def get_offset(self):
        return f"×10{str(self.power).translate(SUPERSCRIPTS)}" if self.power else ""


def _steady(colorbar) -> None:
    """Give ``colorbar`` the ticks of :class:`_Steady` labelled by :class:`_Mantissas`."""
    colorbar.set_ticks(_Steady())
    colorbar.formatter = _Mantissas()


class NormExplorer(Explorer):
    """A batch x (N, D) with ``x[0, 0]`` on a slider, a fixed upstream gradient, and the
    normalisation's dx, the change of dx since the slider's start, and the full Jacobian."""

    notebook = "11-Batch-Normalization.ipynb"
    height = "470px"

    def __init__(self, max_batch=8, D=3, seed=0):
        rng = np.random.default_rng(seed)
        self.max_batch, self.D = max_batch, D
        self.X = np.round(rng.normal(size=(max_batch, D)) * [1.0, 2.0, 0.5][:D] + 0.5, 1)
        self.start = float(self.X[0, 0])
        self.gamma = np.round(rng.uniform(0.5, 2.0, D), 1)
        self.dout = np.round(rng.normal(size=(max_batch, D)), 1)  # some upstream gradient
        # the running statistics a long training run would have left: those of the whole batch
        self.running = {"running_mean": self.X.mean(axis=0), "running_var": self.X.var(axis=0)}
        super().__init__()

    def _controls(self):
        return {
            "kind": widgets.Dropdown(options=KINDS, value=KINDS[0], description="layer"),
            "mode": widgets.Dropdown(options=["train", "test"], value="train", description="mode"),
            "value": widgets.FloatSlider(
                value=self.start, min=-4.0, max=4.0, step=0.1, description="x[0, 0]"
            ),
            "N": widgets.IntSlider(value=4, min=2, max=self.max_batch, description="batch N"),
        }

    def _build_figure(self):
        M, D = self.max_batch, self.D
        fig = plots.new_figure(8.6, 3.0)
        ax_x, ax_d, ax_c, ax_j = fig.subplots(1, 4, width_ratios=(0.6, 0.6, 0.6, 1.6))
        blank = np.full((M, D), np.nan)
        self._x = plots.signed_heatmap(ax_x, blank, "x", limit=4.5)
        plots.label_matrix_axes(ax_x, "sample", "feature", (M, D))
        self._d = plots.signed_heatmap(ax_d, blank, "dx", limit=1.0)
        plots.label_matrix_axes(ax_d, "sample", "feature", (M, D))
        self._c = plots.signed_heatmap(ax_c, blank, "change of dx", limit=1.0)
        plots.label_matrix_axes(ax_c, "sample", "feature", (M, D))
        self._j = plots.signed_heatmap(
            ax_j, np.full((M * D, M * D), np.nan), "d out / d x", limit=1.0
        )
        ax_j.set_xticks([])
        ax_j.set_yticks([])
        self._j_axes = ax_j
        self.animate(self._x, self._d, self._c, self._j)
        # their colour bars follow set_clim: redrawn alone when a colour limit changes, not with
        # every move, and labelled in one width, so a new range fits the layout of the first
        for image in (self._d, self._c, self._j):
            _steady(image.colorbar)
        self.follow_limits(*(image.colorbar.ax for image in (self._d, self._c, self._j)))
        self._clims = None
        return fig

    def _layer(self, x, kind, mode):
        """``(dx, Jacobian (N, D, N, D))`` of the chosen layer at x, for the fixed dout."""
        zeros, dout = np.zeros(self.D), self.dout[: len(x)]
        if kind == "layer norm":
            _, cache = layernorm.layernorm_forward(x, self.gamma, zeros, {})
            J = layernorm.layernorm_jacobian(x, self.gamma, {})
            return layernorm.layernorm_backward(dout, cache)[0], J
        param = {"mode": mode} | ({} if mode == "train" else dict(self.running))
        _, cache = batchnorm.batchnorm_forward(x, self.gamma, zeros, dict(param))
        J = batchnorm.batchnorm_jacobian(x, self.gamma, dict(param))
        return batchnorm.batchnorm_backward(dout, cache)[0], J

    def _compute(self, values):
        N, kind, mode = values["N"], values["kind"], values["mode"]
        x = self.X[:N].copy()
        x[0, 0] = values["value"]
        dx, J = self._layer(x, kind, mode)
        before = self.X[:N].copy()
        before[0, 0] = self.start
        change = dx - self._layer(before, kind, mode)[0]
        # batch norm: columns first, so each column's (N, N) block sits on the diagonal;
        # layer norm: samples first, one (D, D) block per sample
        order = (1, 0, 3, 2) if kind == "batch norm" else (0, 1, 2, 3)
        flat = J.transpose(order).reshape(N * self.D, N * self.D)
        return {**values, "x": x, "dx": dx, "change": change, "J": J, "flat": flat}

    @staticmethod
    def _pad(a, rows):
        out = np.full((rows, a.shape[1]), np.nan)  # rows beyond the batch are left blank
        out[: a.shape[0]] = a
        return out

    def _draw(self):
        s, M, D = self.state, self.max_batch, self.D
        self._x.set_data(self._pad(s["x"], M))
        self._d.set_data(self._pad(s["dx"], M))
        self._c.set_data(self._pad(s["change"], M))
        J = np.full((M * D, M * D), np.nan)
        n = s["flat"].shape[0]
        J[:n, :n] = s["flat"]
        self._j.set_data(J)
        # colour limits in steps of at most a quarter, so that most moves keep the colour bars
        images = (self._j, self._d, self._c)
        clims = tuple(plots.nice_limit(s[k], steps=COLOUR_STEPS) for k in ("flat", "dx", "change"))
        if clims != self._clims:
            self._clims = clims
            for image, limit in zip(images, clims, strict=True):
                image.set_clim(-limit, limit)
                # set_clim aligns the power of ten right, over the panel: back to the left
                image.colorbar.ax.yaxis.offsetText.set(x=0, ha="left", va="bottom")
            self.relimit()

    def summary(self):
        """The layer, the moved entry, dx of column 0, which samples' dx moved, the blocks."""
        s = self.state
        N, D = s["x"].shape
        moved = np.flatnonzero(np.abs(s["change"]).max(axis=1) > 1e-12).tolist()
        block = "column j" if s["kind"] == "batch norm" else "sample p"
        count = D if s["kind"] == "batch norm" else N
        size = N if s["kind"] == "batch norm" else D
        mode = s["mode"] if s["kind"] == "batch norm" else "no mode: train = test"
        nonzero = int(np.count_nonzero(np.abs(s["J"]) > 1e-12))
        blocks = f"in {count} blocks of {size} x {size} (one per {block})"
        if s["kind"] == "batch norm" and s["mode"] == "test":
            blocks = "the diagonal: each output reads its own input only"
        return "\n".join(
            [
                f"{s['kind']} ({mode}), N = {N}, D = {D}: x[0, 0] = {s['value']:+.2f}"
                f" (started at {self.start:+.2f})",
                f"dx[:, 0] = {np.round(s['dx'][:, 0], 4).tolist()}",
                f"samples whose dx changed since the start: {moved or 'none'}",
                f"Jacobian {N * D} x {N * D}: {nonzero} entries not 0, {blocks}",
            ]
        )


def norm_explorer(max_batch=8, D=3, seed=0) -> NormExplorer:
    """Move ``x[0, 0]``: every sample's dx changes under batch norm in train mode, only sample 0's
    under test mode or layer norm; the Jacobian's blocks as N changes.

    >>> ex = norm_explorer()
    >>> print(ex.set(value=2.0).summary().splitlines()[2])
    samples whose dx changed since the start: [0, 1, 2, 3]
    >>> print(ex.set(mode="test").summary().splitlines()[2])
    samples whose dx changed since the start: none
    """
    max_batch = as_size(max_batch, "max_batch", 8)
    if max_batch < 2:
        raise ValueError(f"max_batch must be at least 2 for a batch statistic; got {max_batch}")
    D = as_size(D, "D", 3)
    return NormExplorer(max_batch, D, as_seed(seed))
