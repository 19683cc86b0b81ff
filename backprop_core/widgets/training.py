"""Explorer of notebook 07: train the two-layer net on the spiral and watch the boundary."""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np

from .. import plots
from ..datasets import spiral
from ..net import TwoLayerNet
from .base import Explorer


class TrainingExplorer(Explorer):
    """Hidden size, learning rate, regularisation and steps; the Train button trains full-batch."""

    height = "520px"
    chunks = 20  # progress bar steps

    def __init__(self, seed=0):
        self.X, self.y = spiral(seed=seed)
        self.seed = seed
        self.net = None
        self._drawn = False  # the net whose boundary the figure shows
        self.history = []
        self.train_button = widgets.Button(description="Train", button_style="primary")
        self.progress = widgets.IntProgress(value=0, min=0, max=self.chunks, description="progress")
        super().__init__()
        self.train_button.on_click(lambda _: self._run(self.train))

    def _controls(self):
        return {
            "hidden": widgets.IntSlider(value=100, min=2, max=200, description="hidden H"),
            "learning_rate": widgets.FloatLogSlider(
                value=1.0, base=10, min=-2, max=1, step=0.25, description="step size"
            ),
            "reg": widgets.FloatLogSlider(
                value=5e-4, base=10, min=-6, max=-1, step=0.25, description="reg"
            ),
            "steps": widgets.IntSlider(
                value=2000, min=200, max=10000, step=200, description="steps"
            ),
        }

    def _layout_controls(self):
        row = widgets.HBox(
            list(self.controls.values()), layout=widgets.Layout(flex_flow="row wrap")
        )
        return widgets.VBox([row, widgets.HBox([self.train_button, self.progress])])

    def _build_figure(self):
        fig = plots.new_figure(8.4, 3.0)
        self._ax_regions, self._ax_loss = fig.subplots(1, 2)
        self._regions, points = plots.decision_regions(
            self._ax_regions, self._predict, self.X, self.y, resolution=120
        )
        self._ax_regions.set_title("decision regions")
        self._ax_regions.set_xlabel("X[:, 0]")
        self._ax_regions.set_ylabel("X[:, 1]")
        (self._curve,) = self._ax_loss.plot([], [], color="tab:blue")
        self._ax_loss.set_title("training loss")
        self._ax_loss.set(xlim=(0, self.controls["steps"].value), ylim=(0, 1.5))  # until trained
        self._ax_loss.set_xlabel("step")
        self.animate(self._regions, points, self._curve)  # points after regions: on top
        return fig

    def _predict(self, points):
        if self.net is None:  # not trained: a blank plane under the points
            return np.full(len(points), np.nan)
        return self.net.predict(points)

    def _compute(self, values):
        trained = self.net is not None and self._trained_with == values
        accuracy = float((self.net.predict(self.X) == self.y).mean()) if self.net else None
        return {**values, "trained": trained, "accuracy": accuracy}

    def _draw(self):
        if self._drawn is self.net:  # moving a slider does not retrain: nothing to redraw
            return False
        self._drawn = self.net
        grid = self._regions.grid
        shape = self._regions.get_array().shape
        self._regions.set_data(self._predict(grid).reshape(shape))
        if self.history:
            self._curve.set_data(np.arange(len(self.history)), self.history)

    def train(self) -> TrainingExplorer:
        """Train a fresh net with the current settings (the Train button calls this)."""
        v = self.values()
        self.net = TwoLayerNet(2, v["hidden"], 3, std=0.01, seed=self.seed)
        self.history = []
        self.progress.value = 0
        chunk = max(v["steps"] // self.chunks, 1)
        for done in range(0, v["steps"], chunk):
            run = self.net.train(
                self.X,
                self.y,
                self.X,
                self.y,
                learning_rate=v["learning_rate"],
                learning_rate_decay=1.0,
                reg=v["reg"],
                num_iters=min(chunk, v["steps"] - done),
                batch_size=len(self.X),
            )
            self.history += run["loss_history"]
            self.progress.value = min(self.progress.value + 1, self.chunks)
        self._trained_with = v
        self._ax_loss.set_xlim(0, len(self.history))
        self._ax_loss.set_ylim(0, max(self.history) * 1.05)
        self.invalidate()
        self.refresh()
        return self

    def summary(self):
        s = self.state
        settings = (
            f"H = {s['hidden']}, step size {s['learning_rate']:.3g}, reg {s['reg']:.2g}, "
            f"{s['steps']} full-batch steps"
        )
        if self.net is None:
            return f"{settings}\nnot trained yet: press Train"
        status = "" if s["trained"] else "   (settings changed since: press Train again)"
        return (
            f"{settings}{status}\nloss {self.history[0]:.3f} -> {self.history[-1]:.3f}, "
            f"training accuracy {s['accuracy']:.1%}"
        )


def training_explorer(seed=0) -> TrainingExplorer:
    """Settings sliders, a Train button and a progress bar; shows the boundary and the loss curve.

    >>> ex = training_explorer()
    >>> print(ex.set(hidden=20, steps=400).train().summary().splitlines()[0])
    H = 20, step size 1, reg 0.0005, 400 full-batch steps
    """
    return TrainingExplorer(seed)
