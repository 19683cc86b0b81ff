"""Explorer of notebook 13: dropout's mask in training and at test, one sample's hinge margins."""

from __future__ import annotations

import numbers

import ipywidgets as widgets
import numpy as np

from .. import plots
from .._checks import as_float_array, as_seed
from ..layers import dropout_forward, svm_loss
from ..layers.svm import margins
from .base import Explorer, as_size

DRAWS = 1000  # masks averaged for the expected value
CLASS_COLOURS = {"correct": "tab:orange", "passing": "tab:red", "blocked": "0.7"}


def _fmt(values) -> str:
    return "[" + ", ".join(f"{v + 0.0:+.2f}" for v in values) + "]"


class DropoutHingeExplorer(Explorer):
    """Dropout of a batch (N, H) under ``p``, ``seed`` and ``mode``; the hinge margins of one
    sample's scores and label, and the classes that pass a gradient."""

    notebook = "13-Dropout-and-Other-Losses.ipynb"
    height = "480px"

    def __init__(self, N=6, H=10, seed=0, scores=(1.0, 2.2, 0.5, -1.0), label=0):
        self.N, self.H = N, H
        self.x = np.round(np.random.default_rng(seed).normal(size=(N, H)), 1)
        self._scores, self._label = scores, label
        super().__init__()

    def _controls(self):
        dropout = {
            "p": widgets.FloatSlider(
                value=0.5, min=0.2, max=1.0, step=0.05, description="keep p", readout_format=".2f"
            ),
            "seed": widgets.IntSlider(value=0, min=0, max=50, description="seed"),
            "mode": widgets.Dropdown(options=["train", "test"], value="train", description="mode"),
        }
        scores = {
            f"s{k}": widgets.FloatSlider(
                value=v, min=-3, max=3, step=0.1, description=f"score x_{k}", readout_format=".1f"
            )
            for k, v in enumerate(self._scores)
        }
        label = widgets.Dropdown(
            options=list(range(len(self._scores))), value=self._label, description="label y"
        )
        return {**dropout, **scores, "label": label}

    def _build_figure(self):
        N, H, C = self.N, self.H, len(self._scores)
        fig = plots.new_figure(11.0, 2.7)
        ax_m, ax_s, ax_e, ax_h, ax_d = fig.subplots(1, 5, width_ratios=(1.2, 1, 1, 0.8, 0.8))
        self._mask = plots.mask_image(ax_m, np.zeros((N, H)), "mask (black: kept)")
        plots.label_matrix_axes(ax_m, "sample", "unit", (N, H))
        self._scale = ax_s.bar(range(H), np.zeros(H), color="tab:blue")
        ax_s.set_ylim(0, 5.2)
        ax_s.set_title("out / x, sample 0")
        ax_s.set_xlabel("unit")
        self._mean = ax_e.bar(range(H), np.zeros(H), color="tab:green")
        ax_e.set_ylim(0, 1.6)
        ax_e.set_title(f"E[out] / x, {DRAWS} masks")
        ax_e.set_xlabel("unit")
        for ax in (ax_s, ax_e):
            ax.axhline(1.0, color="k", lw=0.6)
        # where the mean would be without the 1/p (standard dropout, scaled only at test time)
        (self._standard,) = ax_e.plot([-0.5, H - 0.5], [0.5, 0.5], "k--", lw=0.8)
        self._margins = ax_h.bar(range(C), np.zeros(C))
        ax_h.set_ylim(-5.5, 7.5)
        ax_h.set_title("margins x_j - x_y + 1")
        self._dx = ax_d.bar(range(C), np.zeros(C))
        ax_d.set_ylim(-C, 1.2)
        ax_d.set_title("dL/dx (N = 1)")
        for ax in (ax_h, ax_d):
            ax.axhline(0.0, color="k", lw=0.6)
            ax.set_xticks(range(C))
            ax.set_xlabel("class j")
        self.animate(self._mask, *self._scale, *self._mean, self._standard)
        self.animate(*self._margins, *self._dx)
        return fig

    def _compute(self, values):
        C = len(self._scores)
        param = {"p": values["p"], "mode": values["mode"], "seed": values["seed"]}
        out, cache = dropout_forward(self.x, param)
        mask = np.ones_like(self.x) if cache.mask is None else cache.mask  # (N, H), 0 or 1/p
        # the same layer on DRAWS rows of ones: each row is one mask, so the mean is E[mask]
        draws = dropout_forward(np.ones((DRAWS, self.H)), param)[0]
        scores = np.array([[values[f"s{k}"] for k in range(C)]])
        label = int(values["label"])
        loss, dx = svm_loss(scores, [label])
        return {
            **values,
            "out": out,
            "mask": mask,
            "mean": draws.mean(axis=0),
            "scores": scores[0],
            "label": label,
            "margins": margins(scores, np.array([label]))[0],
            "loss": loss,
            "dx": dx[0],
        }

    def _draw(self):
        s = self.state
        self._mask.set_data((s["mask"] != 0).astype(float))
        self._standard.set_ydata([s["p"], s["p"]])
        for bar_s, bar_e, scale, mean in zip(
            self._scale, self._mean, s["mask"][0], s["mean"], strict=True
        ):
            bar_s.set_height(scale)
            bar_e.set_height(mean)
        for j, (bar_m, bar_d) in enumerate(zip(self._margins, self._dx, strict=True)):
            kind = (
                "correct" if j == s["label"] else ("passing" if s["margins"][j] > 0 else "blocked")
            )
            bar_m.set_height(s["margins"][j])
            bar_m.set_color(CLASS_COLOURS[kind])
            bar_d.set_height(s["dx"][j])
            bar_d.set_color(CLASS_COLOURS[kind])

    def summary(self):
        """Dropout: the mode, the mask of sample 0, the kept fraction, the expected value; hinge:
        margins, passing classes, loss and gradient."""
        s = self.state
        p, kept = s["p"], s["mask"] != 0
        passing = [j for j, m in enumerate(s["margins"]) if m > 0 and j != s["label"]]
        if s["mode"] == "train":
            head = f"train, keep p = {p:.2f}, seed {s['seed']}: out = x * mask, mask 0 or 1/p = "
            head += f"{1 / p:.2f}"
        else:
            head = f"test, keep p = {p:.2f}: out = x (the identity, no mask, no scaling)"
        row = "".join("1" if k else "." for k in kept[0])
        return "\n".join(
            [
                f"dropout {head}",
                f"sample 0 kept: {row}   batch: {int(kept.sum())} of {kept.size} kept",
                f"E[out]/x over {DRAWS} masks: {s['mean'].mean():.3f} on average "
                f"(without the 1/p it would be {p * s['mean'].mean():.3f}, about p)",
                f"hinge: scores {_fmt(s['scores'])}, label y = {s['label']}, "
                f"margins {_fmt(s['margins'])}",
                f"classes passing a gradient (margin > 0): {passing or 'none'}   "
                f"loss {s['loss']:.2f}   dx {_fmt(s['dx'])}",
            ]
        )


def dropout_hinge_explorer(
    N=6, H=10, seed=0, scores=(1.0, 2.2, 0.5, -1.0), label=0
) -> DropoutHingeExplorer:
    """Sliders for dropout's keep probability, seed and mode, and for one sample's class scores.

    Shows the mask of a batch (N, H), each entry's scale, the mean over 1000 masks, and the hinge
    margins of the scores with the gradient each class passes.

    >>> ex = dropout_hinge_explorer()
    >>> print(ex.set(mode="test").summary().splitlines()[0])
    dropout test, keep p = 0.50: out = x (the identity, no mask, no scaling)
    """
    N, H = as_size(N, "N", 12), as_size(H, "H", 16)
    seed = as_seed(seed)
    scores = as_float_array(scores, "scores", ndim=1)
    if not 2 <= len(scores) <= 5 or np.abs(scores).max() > 3:
        raise ValueError(
            f"scores must hold 2 to 5 numbers in [-3, 3], the sliders' range; got {scores.tolist()}"
        )
    if (
        isinstance(label, bool)
        or not isinstance(label, numbers.Integral)
        or not 0 <= label < len(scores)
    ):
        raise ValueError(f"label must be an integer in [0, {len(scores)}); got {label!r}")
    return DropoutHingeExplorer(N, H, seed, tuple(scores.tolist()), int(label))
