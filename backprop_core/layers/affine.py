"""The affine map ``out = x @ W + b``: kernels, the checked cs231n pair, and its full Jacobian.

``forward``/``backward`` are the kernels: they trust their arguments and are what a network calls
after checking a batch once. ``affine_forward``/``affine_backward`` check theirs and call them.

As in cs231n, ``x`` may have more than two axes, (N, d1, ..., dk), as a convolution's output
does: each sample is then flattened to a row of D = d1 * ... * dk entries, and ``dx`` comes back
in ``x``'s own shape. A 2-D ``x`` takes the same path as before, with no reshape.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .._checks import as_cache, as_float_array, check_jacobian_size, check_shape
from ..stage import GradientCase, JacobianCase, Stage


class AffineCache(NamedTuple):
    """What ``affine_backward`` needs: the input ``x`` and the weights ``W`` (D, M).

    ``x`` is kept in its own shape, (N, D) or (N, d1, ..., dk), so that ``dx`` can take it.
    """

    x: np.ndarray
    W: np.ndarray


def rows(x):
    """``x`` (N, d1, ..., dk) as the (N, D) matrix of its samples' rows; a 2-D ``x`` as it is."""
    return x if x.ndim == 2 else x.reshape(x.shape[0], -1)


def _transposed_first(x):
    """Whether ``x.T @ dout`` is the faster way to compute ``x^T dout`` (else ``(dout.T @ x).T``).

    Measured with this machine's OpenBLAS: in float32, with a batch of at most 256 rows and no
    more rows than columns (x (64, 784): 52 against 80 microseconds); otherwise the other way
    round (x (512, 3072), float32: 10.5 against 11.6 ms; float64 at every size but the smallest).
    """
    N, D = x.shape
    return x.dtype == np.float32 and N <= min(256, D)


def forward(x, W, b):
    """Kernel of :func:`affine_forward`, for trusted arrays."""
    out = rows(x) @ W  # (N, M)
    out += b
    return out, AffineCache(x, W)


def backward(dout, cache, need_dx=True):
    """Kernel of :func:`affine_backward`; ``need_dx=False`` skips ``dx`` (returned as None)."""
    x, W = cache
    x2 = rows(x)
    dW = x2.T @ dout if _transposed_first(x2) else (dout.T @ x2).T  # (D, M): seed eq. (3), x^T dout
    db = dout.sum(axis=0)  # (M,): one incoming gradient per sample, summed
    dx = dout @ W.T if need_dx else None  # (N, D)
    if dx is not None and x.ndim != 2:
        dx = dx.reshape(x.shape)  # (N, d1, ..., dk)
    return dx, dW, db


def _as_input(x, name):
    """``x`` as a float array of two or more axes, and its row length D = d1 * ... * dk."""
    x = as_float_array(x, name)
    if x.ndim < 2:
        raise ValueError(
            f"{name} must be 2-dimensional (N, D), or have more axes (N, d1, ..., dk); "
            f"got shape {x.shape}"
        )
    return x, int(np.prod(x.shape[1:]))


def _why(x, name):
    """Why W's rows must be D: x's shape, and the product when x has more than two axes."""
    product = "" if x.ndim == 2 else f" (D = {' * '.join(map(str, x.shape[1:]))})"
    return f"to match {name} of shape {x.shape}{product}"


def affine_forward(x, W, b):
    """Affine map ``out = x @ W + b`` of a batch.

    Parameters
    ----------
    x : array_like, shape (N, D) or (N, d1, ..., dk)
        With more than two axes, each sample is flattened to a row of D = d1 * ... * dk
        entries (C order, as ``x.reshape(N, -1)``), as cs231n does.
    W : array_like, shape (D, M)
    b : array_like, shape (M,)

    Returns
    -------
    out : ndarray, shape (N, M)
    cache : AffineCache
        ``(x, W)``, ``x`` in its own shape, for :func:`affine_backward`.

    Examples
    --------
    >>> W = [[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]]
    >>> out, cache = affine_forward([[1.0, 2.0]], W, [0.0, 0.0, 1.0])
    >>> out
    array([[1., 2., 4.]])
    >>> out, cache = affine_forward(np.ones((2, 3, 4)), np.ones((12, 5)), np.zeros(5))
    >>> out.shape, float(out[0, 0])
    ((2, 5), 12.0)
    """
    x, D = _as_input(x, "x")
    W = as_float_array(W, "W", ndim=2)
    check_shape(W, "W", (D, None), "(D, M)", _why(x, "x"))
    b = as_float_array(b, "b", ndim=1)
    check_shape(b, "b", (W.shape[1],), "(M,)", f"to match W of shape {W.shape}")
    return forward(x, W, b)


def affine_backward(dout, cache):
    """Gradients of the affine map with respect to its input, weights and bias.

    Parameters
    ----------
    dout : array_like, shape (N, M)
        Upstream gradient dL/dout.
    cache : AffineCache
        From :func:`affine_forward`.

    Returns
    -------
    dx : ndarray, shape of the input x: (N, D) or (N, d1, ..., dk)
        ``dout @ W.T``, reshaped to ``x``'s shape.
    dW : ndarray, shape (D, M)
        ``x.T @ dout`` (the seed's eq. 3), with ``x`` as its (N, D) rows.
    db : ndarray, shape (M,)
        ``dout`` summed over the N samples.

    Examples
    --------
    >>> out, cache = affine_forward([[1.0, 2.0], [3.0, 4.0]], [[1.0], [1.0]], [0.5])
    >>> dx, dW, db = affine_backward([[1.0], [1.0]], cache)
    >>> dx, dW.ravel(), db
    (array([[1., 1.], [1., 1.]]), array([4., 6.]), array([2.]))
    >>> out, cache = affine_forward(np.ones((2, 3, 4)), np.ones((12, 5)), np.zeros(5))
    >>> affine_backward(np.ones((2, 5)), cache)[0].shape
    (2, 3, 4)
    """
    x, W = as_cache(cache, "AffineCache (x, W)", 2)
    x, D = _as_input(x, "cache.x")
    W = as_float_array(W, "cache.W", ndim=2)
    check_shape(W, "cache.W", (D, None), "(D, M)", _why(x, "cache.x"))
    dout = as_float_array(dout, "dout", ndim=2)
    check_shape(
        dout, "dout", (x.shape[0], W.shape[1]), "(N, M)", "to match the output of affine_forward"
    )
    return backward(dout, AffineCache(x, W))


def affine_jacobian(x, W, wrt):
    """Jacobian of ``out = x @ W + b`` with respect to ``"W"``, ``"b"`` or ``"x"``.

    The bias does not appear: no entry of these Jacobians depends on it.

    Parameters
    ----------
    x : array_like, shape (N, D)
    W : array_like, shape (D, M)
    wrt : {"W", "b", "x"}

    Returns
    -------
    ndarray
        ``wrt="W"``: (N, M, D, M), ``d out[p, q] / d W[i, j] = 1{q = j} x[p, i]`` (seed eq. 2);
        ``wrt="b"``: (N, M, M), ``1{q = j}``; ``wrt="x"``: (N, M, N, D), ``1{p = r} W[s, q]``.

    >>> J = affine_jacobian([[1.0, 2.0]], [[0.0], [0.0]], "W")
    >>> J.shape, J[0, 0, :, 0]
    ((1, 1, 2, 1), array([1., 2.]))
    """
    x = as_float_array(x, "x", ndim=2)
    W = as_float_array(W, "W", ndim=2)
    check_shape(W, "W", (x.shape[1], None), "(D, M)", f"to match x of shape {x.shape}")
    (N, D), M = x.shape, W.shape[1]
    shapes = {"W": (N, M, D, M), "b": (N, M, M), "x": (N, M, N, D)}
    if not isinstance(wrt, str) or wrt not in shapes:
        raise ValueError(f"wrt must be one of 'W', 'b', 'x'; got {wrt!r}")
    check_jacobian_size(shapes[wrt], f"the Jacobian of out with respect to {wrt}")
    dtype = np.result_type(x, W)
    diag_M = np.arange(M)
    J = np.zeros(shapes[wrt], dtype=dtype)
    if wrt == "W":
        J[:, diag_M, :, diag_M] = x  # the entries q = j hold x[p, i]; all others are 0
    elif wrt == "b":
        J[:, diag_M, diag_M] = 1  # one identity block per sample
    else:  # "x"
        diag_N = np.arange(N)
        J[diag_N, :, diag_N, :] = W.T  # sample p only depends on row p of x
    return J


STAGE = Stage(
    name="affine_backward",
    title="affine map out = x W + b",
    signature="fn(dout, cache) -> (dx, dW, db)",
    notebook="03-Weight-Gradient",
    numeric="backprop_core.layers.affine",
    debugging="backprop_core.debugging.affine",
    symbolic="backprop_core.symbolic.affine",
)

# -- what the registry's tests run: each gradient against central differences and the Jacobian ---
# pragma: no mutate block (the registry's test inputs below, not the engine: make mutation)


def _sample(rng, N=3, D=4, M=2):
    return rng.standard_normal((N, D)), rng.standard_normal((D, M)), rng.standard_normal(M)


def gradient_cases(rng):
    """dx, dW and db of a (3, 4) -> (3, 2) map, each with the function of that one argument."""
    x, W, b = _sample(rng)
    dout = rng.standard_normal((3, 2))
    dx, dW, db = affine_backward(dout, affine_forward(x, W, b)[1])
    yield GradientCase("dx", lambda v: affine_forward(v, W, b)[0], x, dout, dx)
    yield GradientCase("dW", lambda v: affine_forward(x, v, b)[0], W, dout, dW)
    yield GradientCase("db", lambda v: affine_forward(x, W, v)[0], b, dout, db)


def jacobian_cases(rng):
    """The three Jacobians of :func:`affine_jacobian`, with the gradient each contracts to."""
    x, W, b = _sample(rng)
    dout = rng.standard_normal((3, 2))
    dx, dW, db = affine_backward(dout, affine_forward(x, W, b)[1])
    for wrt, arg, f, analytic in (
        ("W", W, lambda v: affine_forward(x, v, b)[0], dW),
        ("b", b, lambda v: affine_forward(x, W, v)[0], db),
        ("x", x, lambda v: affine_forward(v, W, b)[0], dx),
    ):
        yield JacobianCase(f"d out/d{wrt}", f, arg, affine_jacobian(x, W, wrt), dout, analytic)


__all__ = ["AffineCache", "affine_backward", "affine_forward", "affine_jacobian"]
