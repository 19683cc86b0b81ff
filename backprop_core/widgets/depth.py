"""Explorer of notebook 14: depth, weight scale, activation and normalization of a deep net at
initialisation, and the size of its activations on the way forward and its gradients on the way
back, layer by layer (vanishing and exploding gradients)."""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np

from .. import plots
from .._checks import as_seed
from ..models.statistics import deep_net, layer_scales, layer_statistics, trend
from .base import Explorer, as_size

INITS = {"fixed": None, "He": "he", "Xavier": "xavier"}  # menu label: deep_net's init
ACTIVATIONS = ("relu", "tanh", "sigmoid")
NORMALIZATIONS = {"none": None, "batchnorm": "batchnorm", "layernorm": "layernorm"}
MAX_DEPTH = 30


class DepthExplorer(Explorer):
    """A net of ``depth`` hidden layers of ``width`` units on a fixed batch of unit-normal inputs:
    the standard deviation of every ``h_l`` (forward) and of every ``dh_l`` and ``dW_l``
    (backward), from :func:`~backprop_core.models.statistics.layer_statistics`."""

    notebook = "14-Deeper-Networks.ipynb"
    height = "540px"

    def __init__(self, width=100, N=200, num_classes=10, seed=0):
        rng = np.random.default_rng(seed)
        self.X = rng.standard_normal((N, width))  # unit-normal inputs, (N, width)
        self.y = rng.integers(0, num_classes, N)
        self.width, self.num_classes, self.seed = width, num_classes, seed
        super().__init__()

    def _controls(self):
        return {
            "depth": widgets.IntSlider(value=10, min=2, max=MAX_DEPTH, description="hidden layers"),
            "init": widgets.Dropdown(options=list(INITS), value="fixed", description="weights"),
            "scale": widgets.FloatLogSlider(
                value=0.01, base=10, min=-3, max=0, step=0.25, description="fixed scale"
            ),
            "activation": widgets.Dropdown(
                options=ACTIVATIONS, value="relu", description="activation"
            ),
            "normalization": widgets.Dropdown(
                options=list(NORMALIZATIONS), value="none", description="normalization"
            ),
        }

    def _build_figure(self):
        fig = plots.new_figure(8.6, 3.2)
        self._ax_f, self._ax_b = fig.subplots(1, 2)
        (self._h,) = self._ax_f.plot([], [], "o-", color="tab:blue", ms=3)
        self._ax_f.set_title("forward: activations")
        self._ax_f.set_ylabel("std(h_l)")
        (self._dh,) = self._ax_b.plot([], [], "o-", color="tab:red", ms=3, label="std(dh_l)")
        (self._dW,) = self._ax_b.plot([], [], "s--", color="tab:purple", ms=3, label="std(dW_l)")
        self._ax_b.set_title("backward (runs right to left): gradients")
        for ax in (self._ax_f, self._ax_b):
            ax.set_yscale("log")
            ax.set_xlabel("layer l")
            ax.grid(True, which="major", alpha=0.3)
        self._ax_b.legend(loc="best", fontsize="small")
        self.animate(self._h, self._dh, self._dW)
        return fig

    def _compute(self, values):
        init = INITS[values["init"]] or values["scale"]
        net = deep_net(
            [self.width] * values["depth"],
            input_dim=self.width,
            num_classes=self.num_classes,
            init=init,
            activation=values["activation"],
            normalization=NORMALIZATIONS[values["normalization"]],
            seed=self.seed,
        )
        records = layer_statistics(net, self.X, self.y)
        hidden = records[:-1]  # the hidden layers h1 ... h_depth; the scores are left out
        sizes = [self.width] * (values["depth"] + 1) + [self.num_classes]
        return {
            **values,
            "records": records,
            "scales": layer_scales(sizes, init),
            "layer": np.arange(1, len(hidden) + 1),
            "h": np.array([r.activation_std for r in hidden]),
            "dh": np.array([r.gradient_std for r in hidden]),
            "dW": np.array([r.weight_gradient_std for r in hidden]),
            "forward": trend(records, "activation_std"),
            "backward": trend(records, "gradient_std"),
        }

    @staticmethod
    def _limits(*curves):
        """A log range holding the curves, at least three decades wide, so that a steady curve
        looks steady."""
        values = np.concatenate(curves)
        values = values[np.isfinite(values) & (values > 0)]
        if values.size == 0:
            return 1e-3, 1e3
        low, high = np.log10(values.min()) - 0.3, np.log10(values.max()) + 0.3
        middle, half = (low + high) / 2, max((high - low) / 2, 1.5)
        return 10 ** (middle - half), 10 ** (middle + half)

    def _draw(self):
        s = self.state
        self.controls["scale"].disabled = s["init"] != "fixed"  # He and Xavier set every scale
        self._h.set_data(s["layer"], s["h"])
        self._dh.set_data(s["layer"], s["dh"])
        self._dW.set_data(s["layer"], s["dW"])
        for ax, curves in ((self._ax_f, (s["h"],)), (self._ax_b, (s["dh"], s["dW"]))):
            ax.set_xlim(0.5, s["depth"] + 0.5)
            ax.set_ylim(*self._limits(*curves))
        self.invalidate(layout=False)  # the limits changed: redraw the axes too

    def summary(self):
        """Settings, the scales used, std of h, dh and dW at the ends, and the two verdicts."""
        s = self.state
        if s["init"] == "fixed":
            scales = f"fixed scale {s['scale']:.3g} for every W"
        else:
            unique = sorted({round(v, 4) for v in s["scales"]})
            scales = f"{s['init']} scales {unique} (the fixed-scale slider is not used)"
        last = s["depth"]
        (f_ratio, f_word), (b_ratio, b_word) = s["forward"], s["backward"]
        return "\n".join(
            [
                f"{s['depth']} hidden layers of {self.width}, {s['activation']}, "
                f"normalization {s['normalization']}; {scales}",
                f"forward  std(h):  h1 {s['h'][0]:.2e} -> h{last} {s['h'][-1]:.2e}"
                f"   x{f_ratio:.1e}: {f_word}",
                f"backward std(dh): h{last} {s['dh'][-1]:.2e} -> h1 {s['dh'][0]:.2e}"
                f"   x{b_ratio:.1e}: {b_word}",
                f"weights  std(dW): W{last} {s['dW'][-1]:.2e}, W1 {s['dW'][0]:.2e}",
            ]
        )


def depth_explorer(width=100, N=200, seed=0) -> DepthExplorer:
    """Depth, weight scale (fixed, He or Xavier), activation and normalization of a deep net at
    initialisation: the std of each layer's activations and of the gradients arriving on the way
    back, from one forward and one backward pass on ``N`` unit-normal inputs of ``width`` numbers.

    >>> ex = depth_explorer()
    >>> print(ex.summary().splitlines()[2])  # ReLU, fixed scale 0.01: the gradient vanishes
    backward std(dh): h10 4.58e-05 -> h1 1.79e-15   x3.9e-11: vanishing
    >>> print(ex.set(init="He").summary().splitlines()[2])
    backward std(dh): h10 6.62e-04 -> h1 5.89e-04   x8.9e-01: steady
    """
    width = as_size(width, "width", 500)
    N = as_size(N, "N", 2000)
    if N < 2:
        raise ValueError(f"N must be at least 2 for batch norm's statistics; got {N}")
    seed = as_seed(seed)
    if not isinstance(seed, int):  # a Generator or None would draw new weights at every move
        raise TypeError(f"seed must be an integer >= 0; got {type(seed).__name__}")
    return DepthExplorer(width, N, num_classes=10, seed=seed)
