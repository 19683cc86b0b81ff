"""Explorer of notebook 02: logits and a label in; probabilities, gradient and Jacobian out."""

from __future__ import annotations

import numbers

import ipywidgets as widgets
import numpy as np

from .. import plots
from .._checks import as_float_array
from ..jacobians import softmax_jacobian
from ..layers import softmax, softmax_cross_entropy
from .base import Explorer


def _fmt(values) -> str:
    return "[" + ", ".join(f"{v:+.3f}" for v in values) + "]"


class SoftmaxExplorer(Explorer):
    """One sample's scores ``f`` (C,) and label ``y``: ``p``, ``p - onehot(y)`` and ``dp/df``."""

    notebook = "02-Softmax-Gradient.ipynb"
    height = "470px"

    def __init__(self, scores=(2.0, 1.0, -1.0), label=0):
        self._initial = [float(s) for s in scores]
        self._label = int(label)
        super().__init__()

    def _controls(self):
        sliders = {
            f"f{k}": widgets.FloatSlider(
                value=v,
                min=-6,
                max=6,
                step=0.1,
                description=f"f_{k}",
                continuous_update=True,
                readout_format=".1f",
            )
            for k, v in enumerate(self._initial)
        }
        labels = widgets.Dropdown(
            options=list(range(len(self._initial))), value=self._label, description="label y"
        )
        return {**sliders, "label": labels}

    def _build_figure(self):
        C = len(self._initial)
        fig = plots.new_figure(8.4, 2.6)
        ax_p, ax_g, ax_j = fig.subplots(1, 3, width_ratios=(1, 1, 1.1))
        self._p_bars = ax_p.bar(range(C), np.zeros(C), color="0.6")
        ax_p.set_ylim(0, 1)
        ax_p.set_title("probabilities p")
        ax_p.set_xlabel("class k")
        self._g_bars = ax_g.bar(range(C), np.zeros(C))
        ax_g.set_ylim(-1, 1)
        ax_g.axhline(0, color="k", lw=0.5)
        ax_g.set_title("dL/df = p - onehot(y)")
        ax_g.set_xlabel("class k")
        self._jac = plots.signed_heatmap(
            ax_j, np.zeros((C, C)), "dp/df = diag(p) - p pᵀ", limit=0.25
        )
        plots.label_matrix_axes(ax_j, "output p_k", "input f_j", (C, C))
        for ax in (ax_p, ax_g):
            ax.set_xticks(range(C))
        self.animate(*self._p_bars, *self._g_bars, self._jac)
        return fig

    def _compute(self, values):
        scores = np.array([[values[f"f{k}"] for k in range(len(self._initial))]])
        label = int(values["label"])
        loss, grad = softmax_cross_entropy(scores, [label])  # N = 1, so no 1/N to undo
        jac = softmax_jacobian(scores)[0]
        return {
            "scores": scores[0],
            "label": label,
            "loss": loss,
            "probs": softmax(scores)[0],
            "grad": grad[0],
            "jacobian": jac,
            "rank": int(np.linalg.matrix_rank(jac)),
        }

    def _draw(self):
        s = self.state
        cmap = self._jac.cmap  # the bars of dL/df take the colours of the Jacobian's map
        for k, (bar_p, bar_g) in enumerate(zip(self._p_bars, self._g_bars, strict=True)):
            bar_p.set_height(s["probs"][k])
            bar_p.set_color("tab:orange" if k == s["label"] else "0.6")
            bar_g.set_height(s["grad"][k])
            bar_g.set_color(cmap(0.5 + 0.5 * s["grad"][k]))
        self._jac.set_data(s["jacobian"])

    def summary(self):
        """Scores and label; probabilities, loss and gradient with their sums; Jacobian rank."""
        s = self.state
        total = round(float(s["grad"].sum()), 3) + 0.0  # + 0.0 turns a rounded -0.0 into 0.0
        return "\n".join(
            [
                f"scores f        = {_fmt(s['scores'])}   label y = {s['label']}",
                f"probabilities p = {_fmt(s['probs'])}   (sum {s['probs'].sum():.3f})",
                f"loss -log p_y   = {s['loss']:.4f}",
                f"gradient p - 1y = {_fmt(s['grad'])}   (sum {total:.3f})",
                f"Jacobian rank   = {s['rank']} of {len(s['scores'])}",
            ]
        )


def softmax_explorer(scores=(2.0, 1.0, -1.0), label=0) -> SoftmaxExplorer:
    """Sliders for one sample's scores and a label; shows ``p``, ``p - onehot(y)`` and ``dp/df``.

    >>> ex = softmax_explorer()
    >>> print(ex.set(f0=0.0, f1=0.0, f2=0.0, label=1).summary().splitlines()[1])
    probabilities p = [+0.333, +0.333, +0.333]   (sum 1.000)
    """
    scores = as_float_array(scores, "scores", ndim=1)
    if not 2 <= len(scores) <= 6 or np.abs(scores).max() > 6:
        raise ValueError(
            f"scores must hold 2 to 6 numbers in [-6, 6], the sliders' range; got {scores.tolist()}"
        )
    if (
        isinstance(label, bool)
        or not isinstance(label, numbers.Integral)
        or not 0 <= label < len(scores)
    ):
        raise ValueError(f"label must be an integer in [0, {len(scores)}); got {label!r}")
    return SoftmaxExplorer(tuple(scores.tolist()), int(label))
