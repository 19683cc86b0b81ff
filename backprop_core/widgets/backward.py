"""Explorer of notebook 06: one gradient entry by backprop, central differences and SymPy."""

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


def _close(a, b, tolerance):
    """max |a - b| within ``tolerance`` times max |b| (no entrywise division by near-zeros)."""
    return float(np.max(np.abs(a - b))) <= tolerance * float(np.max(np.abs(b)))


class BackwardExplorer(Explorer):
    """The 2-2-3-2 network of the symbolic derivation, every gradient computed three ways."""

    notebook = "06-Full-Backward-Pass.ipynb"
    height = "460px"

    def __init__(self, reg=0.05, seed=0):
        rng = np.random.default_rng(seed)
        self.net = TwoLayerNet(2, 3, 2, std=0.7, seed=seed)
        self.net.params["b1"] = np.round(0.1 * rng.normal(size=3), 3)
        self.X, self.y, self.reg = np.round(rng.normal(size=(2, 2)), 3), [0, 1], reg
        g = self.net.backward(self.net.forward(self.X), self.y, reg=reg)
        self.analytic = {name: getattr(g, "d" + name) for name in NAMES}

        def loss(X):
            return self.net.loss(X, self.y, reg)[0]

        self.numerical = {"X": numerical_gradient(loss, self.X.copy())}
        for name in NAMES[:-1]:  # nudges the parameter in place; loss reads it from the net
            self.numerical[name] = numerical_gradient(lambda _: loss(self.X), self.net.params[name])
        from ..symbolic import tiny_net_gradients  # SymPy loads only when this explorer is built

        symbolic = tiny_net_gradients(2, 2, 3, 2, labels=tuple(self.y), reg=reg)
        values = dict(self.net.params, X=self.X)
        self.symbolic = {name: symbolic[name].evaluate(at_zero=0.0, **values) for name in NAMES}
        super().__init__()

    def _controls(self):
        param = widgets.Dropdown(options=list(NAMES), value="W1", description="gradient of")
        entry = widgets.IntSlider(
            value=0, min=0, max=self.analytic["W1"].size - 1, description="entry"
        )
        param.observe(
            lambda change: setattr(entry, "max", self.analytic[change["new"]].size - 1),
            names="value",
        )
        return {"param": param, "entry": entry}

    def _build_figure(self):
        fig = plots.new_figure(8.4, 2.6)
        self._ax_map, self._ax_bar = fig.subplots(1, 2, width_ratios=(1, 1.3))
        self._bars = self._ax_bar.bar(
            range(3), np.zeros(3), color=["tab:blue", "tab:orange", "tab:green"]
        )
        self._ax_bar.set_xticks(range(3), ["backprop", "central diff.", "SymPy"])
        self._ax_bar.axhline(0, color="k", lw=0.5)
        self._shown = None
        self.animate(*self._bars)
        return fig

    def _show_param(self, name):
        """Redraw the heatmap for another parameter (its shape differs, so the figure changes)."""
        ax = self._ax_map
        if self._shown is not None:  # the old box goes with the axes' contents: stop drawing it
            self._animated.remove(self._box)
        ax.clear()
        values = np.atleast_2d(self.analytic[name])
        plots.signed_heatmap(ax, values, f"dL/d{name} (backprop)", colorbar=False)
        plots.label_matrix_axes(ax, "row", "column", values.shape)
        self._box = ax.add_patch(Rectangle((0, 0), 1, 1, fill=False, edgecolor="k", linewidth=2.5))
        self.animate(self._box)
        lim = 1.15 * max(float(np.max(np.abs(self.analytic[n]))) for n in NAMES)
        self._ax_bar.set_ylim(-lim, lim)
        self._shown = name
        self.invalidate(layout=False)  # the first layout fits every parameter: keep it

    def _compute(self, values):
        name, entry = values["param"], int(values["entry"])
        index = np.unravel_index(entry, self.analytic[name].shape)
        three = [float(d[name][index]) for d in (self.analytic, self.numerical, self.symbolic)]
        return {
            "name": name,
            "index": tuple(int(i) for i in index),
            "values": three,
            "agree": rel_error(self.analytic[name], self.numerical[name]) < 1e-7,
            "exact": _close(self.analytic[name], self.symbolic[name], 1e-12),
        }

    def _draw(self):
        s = self.state
        if s["name"] != self._shown:
            self._show_param(s["name"])
        row, col = (0, s["index"][0]) if len(s["index"]) == 1 else s["index"]
        self._box.set_bounds(col - 0.5, row - 0.5, 1, 1)
        for bar, value in zip(self._bars, s["values"], strict=True):
            bar.set_height(value)

    def summary(self):
        """The chosen entry three ways, and whether the whole gradient agrees each way."""
        s = self.state
        where = ", ".join(map(str, s["index"]))
        back, central, sym = s["values"]

        def yes(flag):
            return "yes" if flag else "NO"

        return "\n".join(
            [
                f"dL/d{s['name']}[{where}]   (loss with reg = {self.reg})",
                f"  backprop (net.backward)     {back:+.6f}",
                f"  central differences         {central:+.6f}",
                f"  SymPy, loss differentiated  {sym:+.6f}",
                f"whole d{s['name']}: backprop = central differences to 1e-7: {yes(s['agree'])};"
                f" = SymPy to 1e-12: {yes(s['exact'])}",
            ]
        )


def backward_explorer(reg=0.05, seed=0) -> BackwardExplorer:
    """Pick a parameter and an entry: its gradient by backprop, central differences and SymPy.

    >>> ex = backward_explorer()
    >>> print(ex.set(param="b2", entry=1).summary().splitlines()[-1])
    whole db2: backprop = central differences to 1e-7: yes; = SymPy to 1e-12: yes
    """
    return BackwardExplorer(as_scalar(reg, "reg", minimum=0.0), as_seed(seed))
