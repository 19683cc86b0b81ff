"""Explorer of notebook 14: depth, weight scale, activation and normalization of a deep net at
initialisation, and the size of its activations on the way forward and its gradients on the way
back, layer by layer (vanishing and exploding gradients)."""

from __future__ import annotations

from collections import OrderedDict

import ipywidgets as widgets
import numpy as np
from matplotlib.ticker import MaxNLocator

from .. import plots
from .._checks import as_seed
from ..models.statistics import deep_net, layer_scales, layer_statistics, trend
from .base import Explorer, as_size

INITS = {"fixed": None, "He": "he", "Xavier": "xavier"}  # menu label: deep_net's init
ACTIVATIONS = ("relu", "tanh", "sigmoid")
NORMALIZATIONS = {"none": None, "batchnorm": "batchnorm", "layernorm": "layernorm"}
MAX_DEPTH = 30
STEPS = [k * 10**p for p in range(3) for k in (1, 2, 5)]  # decades between y-ticks' ends
KEPT = 64  # settings whose statistics are kept: moving a slider back costs no computing


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
        self._kept = OrderedDict()  # the statistics of recent settings, the latest last
        self._ranges = None  # the axes' limits drawn
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
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # layers are whole numbers
            ax.grid(True, which="major", alpha=0.3)
        # ticks, grid and labels follow the curves; the x-axes change least, the y-axes over them
        self.follow_limits(self._ax_f.xaxis, self._ax_b.xaxis)
        # the frames last, so that the grid lines of either axis stay under them
        frames = [*self._ax_f.spines.values(), *self._ax_b.spines.values()]
        self.follow_limits(self._ax_f.yaxis, self._ax_b.yaxis, *frames)
        # beside the panel, where no curve can run under it, as in the notebook's figure
        self._ax_b.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.0, 1.0))
        self.animate(self._h, self._dh, self._dW)
        return fig

    def _compute(self, values):
        init = INITS[values["init"]] or values["scale"]
        # what the statistics depend on: the scale only when it is used
        key = (*(values[k] for k in ("depth", "init", "activation", "normalization")), init)
        if key in self._kept:
            self._kept.move_to_end(key)
            return {**self._kept[key], **values}
        state = self._statistics(values, init)
        self._kept[key] = state
        if len(self._kept) > KEPT:
            self._kept.popitem(last=False)
        return state

    def _statistics(self, values, init):
        net = deep_net(
            [self.width] * values["depth"],
            input_dim=self.width,
            num_classes=self.num_classes,
            init=init,
            activation=values["activation"],
            normalization=NORMALIZATIONS[values["normalization"]],
            seed=self.seed,
        )
        records = layer_statistics(net, self.X, self.y)  # on one BLAS thread, as every explorer
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
        looks steady. Its ends are whole multiples of 1, 2 or 5 decades (the wider the range,
        the coarser), so that it changes only when a curve crosses one of them."""
        values = np.concatenate(curves)
        values = values[np.isfinite(values) & (values > 0)]
        if values.size == 0:
            return 1e-3, 1e3
        low, high = np.log10(values.min()) - 0.3, np.log10(values.max()) + 0.3
        middle, half = (low + high) / 2, max((high - low) / 2, 1.5)
        step = next(s for s in STEPS if 2 * half <= 10 * s)  # decades
        return 10.0 ** (step * np.floor((middle - half) / step)), 10.0 ** (
            step * np.ceil((middle + half) / step)
        )

    def _draw(self):
        s = self.state
        self.controls["scale"].disabled = s["init"] != "fixed"  # He and Xavier set every scale
        self._h.set_data(s["layer"], s["h"])
        self._dh.set_data(s["layer"], s["dh"])
        self._dW.set_data(s["layer"], s["dW"])
        # the layers shown in steps of 5, so that most moves of the depth keep the x-axis
        layers = 5 * -(-s["depth"] // 5)
        ranges = ((0.5, layers + 0.5), self._limits(s["h"]), self._limits(s["dh"], s["dW"]))
        if ranges == self._ranges:
            return
        old, self._ranges = self._ranges, ranges
        for ax, y_range in zip((self._ax_f, self._ax_b), ranges[1:], strict=True):
            ax.set_xlim(*ranges[0])
            ax.set_ylim(*y_range)
        # only the axes whose limits changed are redrawn, not the whole figure
        x_changed = old is None or old[0] != ranges[0]
        self.relimit(self._ax_f.xaxis if x_changed else self._ax_f.yaxis)

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
