"""Explorer of notebook 06: one gradient entry by backprop, SymPy, and central differences whose
step ε the reader moves, with the error of the central difference drawn against ε."""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
from matplotlib.patches import Rectangle

from .. import plots
from .._checks import as_scalar, as_seed
from ..gradcheck import numerical_gradient, rel_error
from ..net import TwoLayerNet
from .base import Explorer

NAMES = ("W1", "b1", "W2", "b2", "X")
STEPS = np.logspace(-12, -1, 45)  # the ε of the error curve, 4 per decade
FLOOR = 1e-18  # an error of exactly 0 is drawn here, on the log axis


def _close(a, b, tolerance):
    """max |a - b| within ``tolerance`` times max |b| (no entrywise division by near-zeros)."""
    return float(np.max(np.abs(a - b))) <= tolerance * float(np.max(np.abs(b)))


class BackwardExplorer(Explorer):
    """The 2-2-3-2 network of the symbolic derivation: every gradient by backprop and by SymPy,
    and by central differences with a step ε the reader chooses."""

    notebook = "06-Full-Backward-Pass.ipynb"
    height = "470px"

    def __init__(self, reg=0.05, seed=0):
        rng = np.random.default_rng(seed)
        self.net = TwoLayerNet(2, 3, 2, std=0.7, seed=seed)
        self.net.params["b1"] = np.round(0.1 * rng.normal(size=3), 3)
        self.X, self.y, self.reg = np.round(rng.normal(size=(2, 2)), 3), [0, 1], reg
        g = self.net.backward(self.net.forward(self.X), self.y, reg=reg)
        self.analytic = {name: getattr(g, "d" + name) for name in NAMES}
        from ..symbolic import tiny_net_gradients  # SymPy loads only when this explorer is built

        symbolic = tiny_net_gradients(2, 2, 3, 2, labels=tuple(self.y), reg=reg)
        values = dict(self.net.params, X=self.X)
        self.symbolic = {name: symbolic[name].evaluate(at_zero=0.0, **values) for name in NAMES}
        self._curves = {}  # name -> central differences at every step of STEPS, (len(STEPS), ...)
        super().__init__()

    def central(self, name, step):
        """The whole gradient of ``name`` by central differences with step ``step``."""

        def loss(X):
            return self.net.loss(X, self.y, self.reg)[0]

        if name == "X":
            return numerical_gradient(loss, self.X.copy(), step)
        # nudges the parameter in place and restores it; the loss reads it from the net
        return numerical_gradient(lambda _: loss(self.X), self.net.params[name], step)

    def curve(self, name):
        """Central differences of ``name`` at every step of :data:`STEPS`, computed once."""
        if name not in self._curves:
            self._curves[name] = np.stack([self.central(name, step) for step in STEPS])
        return self._curves[name]

    def _controls(self):
        param = widgets.Dropdown(options=list(NAMES), value="W1", description="gradient of")
        entry = widgets.IntSlider(
            value=0, min=0, max=self.analytic["W1"].size - 1, description="entry"
        )
        param.observe(
            lambda change: setattr(entry, "max", self.analytic[change["new"]].size - 1),
            names="value",
        )
        step = widgets.FloatLogSlider(
            value=1e-5, base=10, min=-12, max=-1, step=0.25, description="step ε"
        )
        return {"param": param, "entry": entry, "step": step}

    def _build_figure(self):
        fig = plots.new_figure(8.4, 2.7)
        self._ax_map, ax = fig.subplots(1, 2, width_ratios=(1, 1.3))
        (self._curve_line,) = ax.loglog(STEPS, np.ones_like(STEPS), "o-", ms=3, label="central")
        self._backprop_line = ax.axhline(1.0, color="tab:blue", ls="--", label="backprop")
        (self._marker,) = ax.loglog([1e-5], [1.0], "o", color="tab:red", ms=9, label="step ε")
        ax.set(xlim=(STEPS[0] / 2, STEPS[-1] * 2), ylim=(FLOOR / 3, 1.0))
        ax.set(xlabel="step ε", ylabel="|value − SymPy|", title="error of the boxed entry")
        ax.legend(loc="lower left", fontsize=8)
        self._shown = self._colorbar = None
        self.animate(self._curve_line, self._backprop_line, self._marker)
        return fig

    def _show_param(self, name):
        """Redraw the heatmap for another parameter (its shape differs, so the figure changes)."""
        ax = self._ax_map
        if self._shown is not None:  # the old box goes with the axes' contents: stop drawing it
            self._animated.remove(self._box)
        ax.clear()
        values = np.atleast_2d(self.analytic[name])
        image = plots.signed_heatmap(ax, values, f"dL/d{name} (backprop)", colorbar=False)
        if self._colorbar is None:  # made once, in axes of its own: ax.clear() keeps it
            self._colorbar = self.fig.colorbar(image, ax=ax, shrink=0.8)
        else:  # the new parameter's range, signed_limit of its values
            self._colorbar.update_normal(image)
            image.colorbar = self._colorbar
        plots.label_matrix_axes(ax, "row", "column", values.shape)
        self._box = ax.add_patch(Rectangle((0, 0), 1, 1, fill=False, edgecolor="k", linewidth=2.5))
        self.animate(self._box)
        self._shown = name
        self.invalidate(layout=False)  # the first layout fits every parameter: keep it

    def _compute(self, values):
        name, entry, step = values["param"], int(values["entry"]), float(values["step"])
        index = np.unravel_index(entry, self.analytic[name].shape)
        exact = float(self.symbolic[name][index])
        central = self.central(name, step)
        curve = np.abs(self.curve(name)[(slice(None), *index)] - exact)  # one error per step
        best = int(np.argmin(curve))
        return {
            "name": name,
            "index": tuple(int(i) for i in index),
            "step": step,
            "values": [float(self.analytic[name][index]), float(central[index]), exact],
            "curve": curve,
            "best": (float(STEPS[best]), float(curve[best])),
            "rel_error": float(rel_error(central, self.analytic[name])),
            "exact": _close(self.analytic[name], self.symbolic[name], 1e-12),
        }

    def _draw(self):
        s = self.state
        if s["name"] != self._shown:
            self._show_param(s["name"])
        row, col = (0, s["index"][0]) if len(s["index"]) == 1 else s["index"]
        self._box.set_bounds(col - 0.5, row - 0.5, 1, 1)
        back, central, exact = s["values"]
        self._curve_line.set_ydata(np.maximum(s["curve"], FLOOR))
        self._backprop_line.set_ydata([max(abs(back - exact), FLOOR)] * 2)
        self._marker.set_data([s["step"]], [max(abs(central - exact), FLOOR)])

    def summary(self):
        """The chosen entry by SymPy, backprop and central differences, with their errors."""
        s = self.state
        where = ", ".join(map(str, s["index"]))
        back, central, exact = s["values"]
        off_back, off_central = abs(back - exact), abs(central - exact)
        best_step, best_error = s["best"]
        rows = (
            ("SymPy, loss differentiated", exact, ""),
            ("backprop (net.backward)", back, f"   error {off_back:.1e}"),
            (f"central diff., ε = {s['step']:.0e}", central, f"   error {off_central:.1e}"),
        )
        return "\n".join(
            [
                f"dL/d{s['name']}[{where}]   (loss with reg = {self.reg})",
                *(f"  {label:<28} {value:+.12f}{tail}" for label, value, tail in rows),
                f"smallest error of the curve: {best_error:.1e} at ε = {best_step:.0e};"
                f" whole d{s['name']}: rel_error(central, backprop) = {s['rel_error']:.0e}",
                f"whole d{s['name']}: backprop = SymPy to 1e-12: "
                + ("yes" if s["exact"] else "NO"),
            ]
        )


def backward_explorer(reg=0.05, seed=0) -> BackwardExplorer:
    """Pick a gradient, an entry and a step ε: backprop, SymPy and central differences, and the
    error of central differences against ε.

    >>> ex = backward_explorer()
    >>> print(ex.set(param="b2", entry=1).summary().splitlines()[-1])
    whole db2: backprop = SymPy to 1e-12: yes
    """
    return BackwardExplorer(as_scalar(reg, "reg", minimum=0.0), as_seed(seed))
