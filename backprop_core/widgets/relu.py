"""Explorer of notebook 05: inputs and bias in; ReLU mask, Jacobian and dead units out."""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
from matplotlib.patches import Rectangle

from .. import plots
from .._checks import as_seed
from ..jacobians import relu_jacobian
from ..layers import relu_backward, relu_forward
from .base import Explorer, as_size


class ReluExplorer(Explorer):
    """``y1 = scale * X W1 + bias`` on a fixed batch, and ``dy1 = dh1 * mask`` at a chosen slope."""

    notebook = "05-ReLU-Gradient.ipynb"
    height = "500px"

    def __init__(self, N=6, D=3, H=8, seed=0):
        rng = np.random.default_rng(seed)
        self.X = np.round(rng.normal(size=(N, D)), 1)
        self.X[0] = 0.0  # one input at the origin: with bias 0 its pre-activations are exactly 0
        self.W1 = np.round(rng.normal(size=(D, H)), 1)
        self.dh1 = np.round(rng.normal(size=(N, H)), 1)  # some upstream gradient
        super().__init__()

    def _controls(self):
        return {
            "bias": widgets.FloatSlider(value=0.0, min=-3, max=3, step=0.25, description="bias b1"),
            "scale": widgets.FloatSlider(
                value=1.0, min=0, max=2, step=0.25, description="input scale"
            ),
            "sample": widgets.IntSlider(
                value=0, min=0, max=self.X.shape[0] - 1, description="sample"
            ),
            "at_zero": widgets.Dropdown(
                options=[0.0, 0.5, 1.0], value=0.0, description="slope at 0"
            ),
        }

    def _build_figure(self):
        N, H = self.dh1.shape
        fig = plots.new_figure(9.4, 2.9)  # wider than the others: two colour bars
        # room between a colour bar's tick labels and the next panel's "sample"
        fig.get_layout_engine().set(w_pad=0.1)
        ax_y, ax_m, ax_j, ax_d = fig.subplots(1, 4, width_ratios=(1, 1, 1, 1))
        # one colour scale for every setting: the largest |y1| the sliders can reach
        reach = self.controls["scale"].max * np.abs(self.X @ self.W1).max()
        reach += max(abs(self.controls["bias"].min), self.controls["bias"].max)
        self._y = plots.signed_heatmap(ax_y, np.zeros((N, H)), "y1", limit=float(reach))
        plots.label_matrix_axes(ax_y, "sample", "hidden unit", (N, H))
        self._m = plots.mask_image(ax_m, np.zeros((N, H)), "d relu/dy1 (mask)")
        plots.label_matrix_axes(ax_m, "sample", "hidden unit", (N, H))
        self._j = plots.mask_image(ax_j, np.zeros((H, H)), "Jacobian of sample 0")
        self._j_title = ax_j.title  # animated: it names the sample the slider picks
        plots.label_matrix_axes(ax_j, "h1 unit", "y1 unit", (H, H))
        self._d = plots.signed_heatmap(
            ax_d, np.zeros((N, H)), "dy1 = dh1 * mask", limit=plots.signed_limit(self.dh1)
        )
        plots.label_matrix_axes(ax_d, "sample", "hidden unit", (N, H))
        # the row of the sample whose Jacobian is shown, outlined in the three batch panels
        self._rows = [
            ax.add_patch(Rectangle((-0.5, -0.5), H, 1, fill=False, ec="#ff7f00", lw=2))
            for ax in (ax_y, ax_m, ax_d)
        ]
        self.animate(self._y, self._m, self._j, self._d, self._j_title, *self._rows)
        return fig

    def _compute(self, values):
        y1 = values["scale"] * self.X @ self.W1 + values["bias"]
        _, cache = relu_forward(y1)
        # the mask: what relu_backward multiplies each entry of an upstream gradient by
        slope = relu_backward(np.ones_like(y1), cache, at_zero=values["at_zero"])
        return {
            **values,
            "y1": y1,
            "slope": slope,
            "jacobian": relu_jacobian(y1[values["sample"]], at_zero=values["at_zero"]),
            "dy1": relu_backward(self.dh1, cache, at_zero=values["at_zero"]),
        }

    def _draw(self):
        s = self.state
        self._y.set_data(s["y1"])
        self._m.set_data(s["slope"])
        self._j.set_data(s["jacobian"])
        self._d.set_data(s["dy1"])
        self._j_title.set_text(f"Jacobian of sample {s['sample']}")
        for row in self._rows:
            row.set_y(s["sample"] - 0.5)

    def summary(self):
        """Settings, active and dead units, exact zeros, gradients passed, a Jacobian diagonal.

        A dead unit has a negative input for every sample: no slope at 0 lets its gradient
        through. A unit whose inputs are only zeros and negatives is not dead when the slope at 0
        is positive; it is listed among the units passing no gradient only when that slope is 0.
        """
        s = self.state
        active = s["y1"] > 0
        dead = np.flatnonzero((s["y1"] < 0).all(axis=0)).tolist()
        blocked = np.flatnonzero(~s["slope"].any(axis=0)).tolist()
        zeros = int(np.count_nonzero(s["y1"] == 0))
        passed = int(np.count_nonzero(s["slope"]))  # entries whose dh1 the mask lets through
        return "\n".join(
            [
                f"bias {s['bias']:+.2f}, input scale {s['scale']:.2f}, slope at 0 = {s['at_zero']}",
                f"active units per sample: {active.sum(axis=1).tolist()}",
                f"dead units (y1 < 0 for every sample): {dead or 'none'}   "
                f"units passing no gradient: {blocked or 'none'}",
                f"inputs exactly 0: {zeros}   gradients passed: {passed} of {s['dy1'].size}",
                f"Jacobian of sample {s['sample']} (outlined row): "
                f"diagonal {np.diag(s['jacobian']).tolist()}",
            ]
        )


def relu_explorer(N=6, D=3, H=8, seed=0) -> ReluExplorer:
    """Bias and input-scale sliders on a batch: the ReLU mask, a sample's Jacobian, dead units.

    >>> ex = relu_explorer()
    >>> print(ex.set(bias=-3.0).summary().splitlines()[2].split("   ")[0])
    dead units (y1 < 0 for every sample): [0, 1, 2, 3, 4, 5, 6, 7]
    """
    N, D, H = (as_size(v, n, 12) for v, n in ((N, "N"), (D, "D"), (H, "H")))
    return ReluExplorer(N, D, H, as_seed(seed))
