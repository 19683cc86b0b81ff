"""What the training and activation explorers share: a net trained on the spiral, and Train.

Both train a fresh :class:`~backprop_core.net.TwoLayerNet` full-batch on the 3-class spiral when
their Train button is pressed, and show its decision regions, blank until then.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np

from .. import plots
from ..datasets import spiral
from .base import Explorer


class SpiralExplorer(Explorer):
    """Base class: the spiral, a net trained on it (``None`` before), its regions and Train.

    ``X`` (N, 2) and ``y`` (N,) are the spiral of ``spiral(seed=seed)``. The Train button, below
    the controls, calls :meth:`train`; a subclass defines it (through :meth:`_fit`), draws the
    regions with :meth:`_draw_regions` in ``_build_figure`` and recolours them with
    :meth:`_redraw_regions` in ``_draw``.
    """

    train_label = "Train"  # the button's text

    def __init__(self, seed=0):
        self.X, self.y = spiral(seed=seed)
        self.seed = seed
        self.net = None
        self._drawn = None  # the net whose regions the figure shows
        self.train_button = widgets.Button(description=self.train_label, button_style="primary")
        super().__init__()
        self.train_button.on_click(lambda _: self._run(self.train))

    def train(self) -> SpiralExplorer:
        """Train a fresh net with the current settings and show it (the Train button calls this)."""
        raise NotImplementedError

    def _train_row(self):
        """The widget under the controls: the Train button (and whatever goes beside it)."""
        return self.train_button

    def _layout_controls(self):
        return widgets.VBox([super()._layout_controls(), self._train_row()])

    def _fit(self, net, steps: int, learning_rate: float, reg: float) -> list[float]:
        """Train ``net`` for ``steps`` full-batch steps on the spiral, no decay; its losses."""
        run = net.train(
            self.X,
            self.y,
            self.X,
            self.y,
            learning_rate=learning_rate,
            learning_rate_decay=1.0,
            reg=reg,
            num_iters=steps,
            batch_size=len(self.X),
        )
        losses = run["loss_history"]
        if not np.isfinite(losses[-1]) or not all(
            np.isfinite(p).all() for p in net.params.values()
        ):
            steps_done = next((i for i, v in enumerate(losses) if not np.isfinite(v)), len(losses))
            raise ValueError(
                f"training diverged within {steps_done + 1} steps (the parameters are no longer "
                f"finite): try a step size smaller than {learning_rate:g}"
            )
        return losses

    def _accuracy(self) -> float | None:
        """The trained net's accuracy on the spiral it was trained on; None before training."""
        if self.net is None:
            return None
        return float((self.net.predict(self.X) == self.y).mean())

    def _predict(self, points):
        if self.net is None:  # not trained: a blank plane under the points
            return np.full(len(points), np.nan)
        return self.net.predict(points)

    def _draw_regions(self, ax, resolution: int) -> plots.Regions:
        """Draw the regions (blank before training) and the points on ``ax``, both animated."""
        self._regions = plots.decision_regions(
            ax, self._predict, self.X, self.y, resolution=resolution
        )
        self.animate(self._regions.image, self._regions.points)  # points after: on top
        return self._regions

    def _redraw_regions(self) -> bool:
        """Recolour the regions if the net changed since they were drawn; whether it did."""
        if self._drawn is self.net:
            return False
        self._drawn = self.net
        self._regions.recolour(self._predict)
        return True
