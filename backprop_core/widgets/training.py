"""Explorer of notebook 07: train the two-layer net on the spiral and watch the boundary."""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np

from .. import plots
from .._checks import as_seed
from ..net import TwoLayerNet
from .spiral import SpiralExplorer

# The penalties the explorer offers: none, then 1, 2 and 5 times each power of ten up to 0.1. A menu
# rather than a log slider, whose quarter-decade steps miss the notebook's own 5e-4.
REG_CHOICES = (0.0, *(float(f"{m}e{e}") for e in range(-6, -1) for m in (1, 2, 5)), 0.1)


class TrainingExplorer(SpiralExplorer):
    """Hidden size, learning rate, regularisation and steps; the Train button trains full-batch.

    Moving a control changes only the settings line of the summary; the figure and the results
    change when the explorer trains. The progress bar fills as it trains and stays full (green)
    while the figure belongs to the settings shown; moving a control empties it.
    """

    notebook = "07-Training.ipynb"
    height = "520px"
    redraws_on_move = False
    chunks = 20  # progress bar steps

    def __init__(self, seed=0):
        self.history = []
        self.progress = widgets.IntProgress(value=0, min=0, max=self.chunks, description="progress")
        super().__init__(seed)

    def _controls(self):
        return {
            "hidden": widgets.IntSlider(value=100, min=2, max=200, description="hidden H"),
            "learning_rate": widgets.FloatLogSlider(
                value=1.0, base=10, min=-2, max=1, step=0.25, description="step size"
            ),
            "reg": widgets.Dropdown(options=REG_CHOICES, value=5e-4, description="reg"),
            "steps": widgets.IntSlider(
                value=2000, min=200, max=10000, step=200, description="steps"
            ),
        }

    def _train_row(self):
        return widgets.HBox([self.train_button, self.progress])

    def _build_figure(self):
        fig = plots.new_figure(8.4, 3.0)
        self._ax_regions, self._ax_loss = fig.subplots(1, 2)
        self._draw_regions(self._ax_regions, resolution=120)
        self._ax_regions.set_title("decision regions")
        self._ax_regions.set_xlabel("X[:, 0]")
        self._ax_regions.set_ylabel("X[:, 1]")
        (self._curve,) = self._ax_loss.plot([], [], color="tab:blue")
        self._ax_loss.set_title("training loss")
        self._ax_loss.set(xlim=(0, self.controls["steps"].value), ylim=(0, 1.5))  # until trained
        self._ax_loss.set_xlabel("step")
        self.animate(self._curve)
        return fig

    def _compute(self, values):
        trained = self.net is not None and self._trained_with == values
        self.progress.value = self.chunks if trained else 0
        self.progress.bar_style = "success" if trained else ""
        return {**values, "trained": trained, "accuracy": self._accuracy()}

    def _draw(self):
        if not self._redraw_regions():  # moving a slider does not retrain: nothing to redraw
            return False
        if self.history:
            self._curve.set_data(np.arange(len(self.history)), self.history)

    def train(self) -> TrainingExplorer:
        """Train a fresh net with the current settings (the Train button calls this)."""
        v = self.values()
        net, history = TwoLayerNet(2, v["hidden"], 3, std=0.01, seed=self.seed), []
        self.progress.value, self.progress.bar_style = 0, "info"
        chunk = max(v["steps"] // self.chunks, 1)
        for done in range(0, v["steps"], chunk):  # an error here leaves the explorer as it was
            history += self._fit(net, min(chunk, v["steps"] - done), v["learning_rate"], v["reg"])
            self.progress.value = min(self.progress.value + 1, self.chunks)
        self.net, self.history, self._trained_with = net, history, v
        self._ax_loss.set_xlim(0, len(self.history))
        self._ax_loss.set_ylim(0, max(self.history) * 1.05)
        self.invalidate()
        self.refresh()
        return self

    def summary(self):
        """The settings; once trained, the first and last loss and the training accuracy.

        When the settings have moved since the last run, the second line names the settings of
        the run the figure and the numbers belong to.
        """
        s = self.state
        settings = _settings(s)
        if self.net is None:
            return f"{settings}\nnot trained yet: press Train"
        results = (
            f"loss {self.history[0]:.3f} -> {self.history[-1]:.3f}, "
            f"training accuracy {s['accuracy']:.1%}"
        )
        if s["trained"]:
            return f"{settings}\n{results}"
        return (
            f"{settings}   (not trained with these: press Train)\n"
            f"shown: the run with {_settings(self._trained_with)}\n{results}"
        )


def _settings(values: dict) -> str:
    return (
        f"H = {values['hidden']}, step size {values['learning_rate']:.3g}, "
        f"reg {values['reg']:.2g}, {values['steps']} full-batch steps"
    )


def training_explorer(seed=0) -> TrainingExplorer:
    """Settings sliders, a Train button and a progress bar; shows the boundary and the loss curve.

    >>> ex = training_explorer()
    >>> print(ex.set(hidden=20, steps=400).train().summary().splitlines()[0])
    H = 20, step size 1, reg 0.0005, 400 full-batch steps
    """
    return TrainingExplorer(as_seed(seed))
