"""The ReLU ``max(0, x)``: kernels, the checked cs231n pair, its Jacobian, and the ReLU as an
activation object like any other.

Every activation, this one and those typed as text (:mod:`backprop_core.activations`), has the
same two methods: ``forward(x) -> (out, cache)`` and ``backward(dout, cache) -> dx``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .._checks import as_cache, as_float_array, as_scalar, check_jacobian_size, check_shape
from ..stage import GradientCase, JacobianCase, Stage


class ReluCache(NamedTuple):
    """What ``relu_backward`` needs: the input ``x`` of the ReLU."""

    x: np.ndarray


def forward(x):
    """Kernel of :func:`relu_forward`, for a trusted float array."""
    return np.maximum(x, 0), ReluCache(x)


def backward(dout, cache, at_zero=0.0):
    """Kernel of :func:`relu_backward`, for trusted arrays."""
    x = cache.x
    dx = dout * (x > 0)
    dx += 0.0  # a blocked negative gradient is -0.0 after the product: make it a plain 0
    if at_zero != 0.0:
        kink = x == 0
        dx[kink] = at_zero * dout[kink]
    return dx


def relu_forward(x):
    """Elementwise ``max(0, x)`` of an array of any shape.

    Returns ``(out, cache)``: ``out`` has the shape and dtype of ``x``; ``cache`` keeps ``x``.

    >>> out, cache = relu_forward([-1.0, 0.0, 2.0])
    >>> out
    array([0., 0., 2.])
    """
    return forward(as_float_array(x, "x"))


def relu_backward(dout, cache, at_zero=0.0):
    """Gradient of the ReLU: ``dout`` where the input was positive, 0 where it was negative.

    Parameters
    ----------
    dout : array_like, same shape as the ReLU's input
    cache : ReluCache
        From :func:`relu_forward`.
    at_zero : float, default 0.0
        The derivative used where the input is exactly 0, where max(0, x) has no derivative.
        0.0 is PyTorch's choice (``x > 0``); 1.0 reproduces the seed's ``y1 >= 0``.

    Returns
    -------
    dx : ndarray, shape of ``dout``

    >>> out, cache = relu_forward([-1.0, 0.0, 2.0])
    >>> relu_backward([5.0, 5.0, 5.0], cache), relu_backward([5.0, 5.0, 5.0], cache, at_zero=1.0)
    (array([0., 0., 5.]), array([0., 5., 5.]))
    """
    (x,) = as_cache(cache, "ReluCache (x,)", 1)
    x = as_float_array(x, "cache.x")
    dout = as_float_array(dout, "dout")
    check_shape(dout, "dout", x.shape, "", "to match the ReLU's input")
    at_zero = as_scalar(at_zero, "at_zero")
    return backward(dout, ReluCache(x), at_zero)


def relu_jacobian(x, at_zero=0.0):
    """Jacobian of the elementwise ReLU at ``x``: shape ``x.shape + x.shape``, a diagonal mask.

    Entry ``[..., i, ..., i]`` is ``1{x_i > 0}`` (``at_zero`` where ``x_i`` is exactly 0); every
    off-diagonal entry is 0, since each output depends on its own input only.

    >>> relu_jacobian([-1.0, 0.0, 2.0], at_zero=1.0)
    array([[0., 0., 0.], [0., 1., 0.], [0., 0., 1.]])
    """
    x = as_float_array(x, "x")
    at_zero = as_scalar(at_zero, "at_zero")
    check_jacobian_size(x.shape + x.shape, "the ReLU's Jacobian")
    slope = np.where(x > 0, 1.0, np.where(x == 0, at_zero, 0.0)).astype(x.dtype)
    return np.diag(slope.ravel()).reshape(x.shape + x.shape)


@dataclass(frozen=True)
class ReLU:
    """The ReLU as an activation: ``forward(x) -> (out, cache)``, ``backward(dout, cache) -> dx``.

    ``at_zero`` is the slope used at an input exactly 0 (see :func:`relu_backward`). Both methods
    are the kernels: a network calls them on arrays it has already checked.

    >>> relu = ReLU(at_zero=1.0)
    >>> out, cache = relu.forward(np.array([-1.0, 0.0, 2.0]))
    >>> relu.backward(np.ones(3), cache)
    array([0., 1., 1.])
    """

    at_zero: float = 0.0

    def forward(self, x):
        """``max(0, x)`` and the cache of :func:`relu_forward`."""
        return forward(x)

    def backward(self, dout, cache):
        """``dout`` masked by the sign of the cached input, ``at_zero`` at exact zeros."""
        return backward(dout, cache, self.at_zero)


STAGE = Stage(
    name="relu_backward",
    title="ReLU max(0, x)",
    signature="fn(dout, cache) -> dx",
    notebook="05-ReLU-Gradient",
    numeric="backprop_core.layers.relu",
    debugging="backprop_core.debugging.relu",
    symbolic="backprop_core.symbolic.relu",
)

# -- what the registry's tests run ---------------------------------------------------------------
# pragma: no mutate block (the registry's test inputs below, not the engine: make mutation)


def _away_from_zero(a, margin=0.1):
    return np.where(a >= 0, a + margin, a - margin)  # no entry within reach of the kink


def gradient_cases(rng):
    """dx of a vector and of a matrix input, kept away from the kink at 0."""
    for shape in ((5,), (3, 4)):
        x, dout = _away_from_zero(rng.standard_normal(shape)), rng.standard_normal(shape)
        analytic = relu_backward(dout, relu_forward(x)[1])
        yield GradientCase(f"dx, shape {shape}", lambda v: relu_forward(v)[0], x, dout, analytic)


def jacobian_cases(rng):
    """The diagonal Jacobian of a vector and of a matrix input, away from the kink."""
    for shape in ((5,), (3, 4)):
        x, dout = _away_from_zero(rng.standard_normal(shape)), rng.standard_normal(shape)
        analytic = relu_backward(dout, relu_forward(x)[1])
        f = lambda v: relu_forward(v)[0]  # noqa: E731
        yield JacobianCase(f"d relu/dx, shape {shape}", f, x, relu_jacobian(x), dout, analytic)


__all__ = ["ReLU", "ReluCache", "relu_backward", "relu_forward", "relu_jacobian"]
