"""One record per stage of the network, and the registry every consumer iterates over.

A :class:`Stage` names the modules that hold what the workbook knows about one stage:

- ``numeric``: the checked forward/backward pair with the cs231n names, its unchecked kernels, its
  full Jacobian, and ``gradient_cases(rng)`` / ``jacobian_cases(rng)`` for the tests;
- ``debugging``: ``SPEC``, the cases learners forget and the typical mistakes
  :func:`~backprop_core.debugging.diagnose` recognises, and ``BUGS``, the gallery's broken versions;
- ``symbolic``: the SymPy derivations and ``verify_rows(rng)``, the rows of
  :func:`~backprop_core.symbolic.verify_all`.

The modules are named, not imported, so that reading the registry costs nothing and SymPy loads
only when a symbolic part is asked for. ``verify_all``, ``diagnose``/``check``, the gallery and
the parametrised tests all iterate over :data:`STAGES`: adding a stage is adding one record here
(see CONTRIBUTING.md, "Adding a layer").

>>> [stage.name for stage in STAGES]
['softmax_cross_entropy', 'affine_backward', 'relu_backward', 'two_layer_loss']
>>> get("relu_backward").signature
'fn(dout, cache) -> dx'
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import NamedTuple

import numpy as np


@dataclass(frozen=True)
class Stage:
    """What the workbook knows about one stage, by the modules that hold it.

    ``name`` is the function a learner writes for this stage (the name ``check(fn, name)`` takes);
    ``signature`` is how that function is called; ``notebook`` is where the workbook derives it.
    """

    name: str
    title: str
    signature: str
    notebook: str
    numeric: str
    debugging: str
    symbolic: str

    def load(self, part: str) -> ModuleType:
        """The module of ``part`` (``"numeric"``, ``"debugging"`` or ``"symbolic"``), imported."""
        if part not in ("numeric", "debugging", "symbolic"):
            raise ValueError(f"part must be 'numeric', 'debugging' or 'symbolic'; got {part!r}")
        return importlib.import_module(getattr(self, part))


STAGES = (
    Stage(
        name="softmax_cross_entropy",
        title="softmax and its mean cross-entropy loss",
        signature="fn(scores, y) -> (loss, dscores)",
        notebook="02-Softmax-Gradient",
        numeric="backprop_core.layers.softmax_loss",
        debugging="backprop_core.debugging.softmax",
        symbolic="backprop_core.symbolic.softmax",
    ),
    Stage(
        name="affine_backward",
        title="affine map out = x W + b",
        signature="fn(dout, cache) -> (dx, dW, db)",
        notebook="03-Weight-Gradient",
        numeric="backprop_core.layers.affine",
        debugging="backprop_core.debugging.affine",
        symbolic="backprop_core.symbolic.affine",
    ),
    Stage(
        name="relu_backward",
        title="ReLU max(0, x)",
        signature="fn(dout, cache) -> dx",
        notebook="05-ReLU-Gradient",
        numeric="backprop_core.layers.relu",
        debugging="backprop_core.debugging.relu",
        symbolic="backprop_core.symbolic.relu",
    ),
    Stage(
        name="two_layer_loss",
        title="the whole two-layer network",
        signature="fn(params, X, y, reg) -> (loss, grads)",
        notebook="06-Full-Backward-Pass",
        numeric="backprop_core.net",
        debugging="backprop_core.debugging.net",
        symbolic="backprop_core.symbolic.net",
    ),
)

NAMES = tuple(stage.name for stage in STAGES)


def get(name: str) -> Stage:
    """The registered stage called ``name``; a ``ValueError`` lists the names otherwise."""
    for stage in STAGES:
        if stage.name == name:
            return stage
    raise ValueError(f"stage must be one of {NAMES}; got {name!r}")


class GradientCase(NamedTuple):
    """A backward result to check against central differences of ``f`` at ``x``.

    ``analytic`` is what the stage's backward pass gives for ``dL/dx`` when the upstream gradient
    is ``dout`` (shape of ``f(x)``; a loss has ``dout = 1.0``).
    """

    label: str
    f: Callable
    x: np.ndarray
    dout: np.ndarray
    analytic: np.ndarray


class JacobianCase(NamedTuple):
    """A full Jacobian ``J`` of ``f`` at ``x`` (shape ``f(x).shape + x.shape``), and the backward
    result ``analytic`` that contracting it with ``dout`` must give."""

    label: str
    f: Callable
    x: np.ndarray
    J: np.ndarray
    dout: np.ndarray
    analytic: np.ndarray
