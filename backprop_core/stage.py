"""The records that describe a stage: :class:`Stage`, and the test cases its module yields.

A :class:`Stage` is defined beside the numeric code of its stage (``STAGE`` in
``backprop_core/layers/<name>.py``, or in ``backprop_core/net.py`` for the whole network) and
collected by :mod:`backprop_core.registry`. It names the modules that hold the rest of what the
workbook knows about the stage:

- ``numeric``: the checked forward/backward pair with the cs231n names, its unchecked kernels, its
  full Jacobian, and ``gradient_cases(rng)`` / ``jacobian_cases(rng)`` for the tests;
- ``debugging``: ``SPEC``, the cases learners forget and the typical mistakes
  :func:`~backprop_core.debugging.diagnose` recognises, and ``BUGS``, the gallery's broken versions;
- ``symbolic``: the SymPy derivations and ``verify_rows(rng)``, the rows of
  :func:`~backprop_core.symbolic.verify_all`.

The modules are named, not imported, so that SymPy loads only when a symbolic part is asked for.
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
