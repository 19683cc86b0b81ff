"""Helpers shared by the tests (imported as ``helpers``; fixtures stay in conftest.py)."""

import numpy as np

from backprop_core import numerical_gradient_array


def away_from_zero(a, margin=0.1):
    """``a`` with every entry pushed at least ``margin`` away from 0, keeping its sign."""
    return np.where(a >= 0, a + margin, a - margin)


def numerical_jacobian(f, x):
    """Jacobian of f at x by central differences, one output entry at a time."""
    out_shape = np.shape(f(x))
    J = np.zeros(out_shape + x.shape)
    for idx in np.ndindex(out_shape):
        unit = np.zeros(out_shape)
        unit[idx] = 1.0
        J[idx] = numerical_gradient_array(f, x, unit)
    return J


class ForwardOnly:
    """Half an activation: ``forward(x) -> (out, cache)`` without ``backward``."""

    def forward(self, x):
        return x, None


class BackwardOnly:
    """Half an activation: ``backward(dout, cache) -> dx`` without ``forward``."""

    def backward(self, dout, cache):
        return dout
