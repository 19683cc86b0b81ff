"""Forward mode on a stack of layers: Jacobian-vector products, the tangent beside the values.

Each layer computes its value and, from the cache of that value, pushes the tangent ``v`` on:
``out + t dout = f(x + t v)`` to first order in ``t`` (Baydin et al. 2018, "Automatic
differentiation in machine learning: a survey"). :func:`tangent` is one layer's rule,
:func:`jvp` the whole stack's; :func:`~backprop_core.models.modes.jacobian_forward` runs one
JVP per input direction.
"""

from __future__ import annotations

from .._checks import as_float_array, check_shape
from ..layers import batchnorm
from . import stack
from .costs import affine_macs
from .stack_checks import ELEMENTWISE, check_stack, isolated


def tangent(layer, cache, dx):
    """The layer's Jacobian-vector product at the point its ``cache`` holds: ``(dout, macs)``.

    The kernel of :func:`jvp`: it trusts its arguments (``cache`` from the layer's forward pass,
    ``dx`` of the shape of the layer's input).

    ``dx`` is the tangent of the layer's input; parameters are held fixed. An elementwise layer
    (ReLU, an activation, dropout) has a diagonal Jacobian, its own transpose: its JVP is its
    backward function. Batch norm's normalisation of a column is symmetric too, so its JVP is
    ``gamma`` times that of ``xhat``; layer norm's scales after normalising each row.

    >>> import numpy as np
    >>> layer = stack.Layer("affine_backward", ("W", "b"))
    >>> out, caches = stack.forward([layer], {"W": np.eye(2), "b": np.ones(2)}, np.ones((1, 2)))
    >>> tangent(layer, caches[0], np.array([[1.0, -1.0]]))
    (array([[ 1., -1.]]), 4)
    """
    if layer.stage == "affine_backward":
        W = cache.W
        return (dx if dx.ndim == 2 else dx.reshape(dx.shape[0], -1)) @ W, affine_macs(cache)
    if layer.stage in ELEMENTWISE:
        return stack.KINDS[layer.stage].backward(stack.module_of(layer), dx, cache, True)[0], 0
    if layer.stage == "batchnorm_backward":
        mode, _, std, xhat, gamma = cache
        if mode == "test":
            return dx * (gamma / std), 0
        return gamma * batchnorm.normalised_backward(dx, xhat, std, axis=0), 0
    _, std, xhat, gamma = cache  # layer norm: normalise each row, then scale each column
    return gamma * batchnorm.normalised_backward(dx, xhat, std, axis=1), 0


def jvp_counted(layers, params, x, v):
    """:func:`jvp`'s kernel, trusting its arguments: ``(out, dout, macs)``, ``macs`` the
    multiply-adds of the values' and the tangents' products together.

    >>> import numpy as np
    >>> layers = [stack.Layer("affine_backward", ("W", "b"))]
    >>> params = {"W": np.ones((3, 2)), "b": np.zeros(2)}
    >>> jvp_counted(layers, params, np.ones((1, 3)), np.ones((1, 3)))
    (array([[3., 3.]]), array([[3., 3.]]), 12)
    """
    macs = 0
    for layer in layers:
        values = [params[name] for name in layer.params]
        x, cache = stack.KINDS[layer.stage].forward(
            stack.module_of(layer), x, values, layer.settings
        )
        primal = affine_macs(cache) if layer.stage == "affine_backward" else 0
        v, tangent_macs = tangent(layer, cache, v)
        macs += primal + tangent_macs
    return x, v, macs


def _as_tangent(v, x, name="v"):
    v = as_float_array(v, name)
    check_shape(v, name, x.shape, "", f"to match x of shape {x.shape}")
    return v


def jvp(layers, params, x, v):
    """Forward mode: the stack's output and its Jacobian times ``v``, in one pass.

    Each layer computes its value and, from the cache of that value, pushes the tangent on:
    ``out + t dout = f(x + t v)`` to first order in ``t``. Batch norm's running statistics in
    the layers' settings are left as they were.

    Parameters
    ----------
    layers : list of stack.Layer
    params : dict of arrays
    x : array_like, shape (N, D)
    v : array_like, shape of x
        The direction.

    Returns
    -------
    out : ndarray, shape (N, M)
    dout : ndarray, shape (N, M)
        ``J v``, with ``J`` the Jacobian of ``out`` with respect to ``x``.

    >>> import numpy as np
    >>> layers = [stack.Layer("affine_backward", ("W", "b")), stack.Layer("relu_backward")]
    >>> params = {"W": np.array([[1.0, -1.0]]), "b": np.zeros(2)}
    >>> jvp(layers, params, [[2.0]], [[1.0]])
    (array([[2., 0.]]), array([[1., 0.]]))
    """
    x = check_stack(layers, params, x)
    out, dout, _ = jvp_counted(isolated(layers), params, x, _as_tangent(v, x))
    return out, dout


__all__ = ["jvp", "jvp_counted", "tangent"]
