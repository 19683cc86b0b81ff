"""Full Jacobians of each stage, as arrays of shape ``out.shape + in.shape``.

The backward functions of :mod:`backprop_core.layers` never build these: they are far too large
(dy/dW of a (64, 10) output with W (784, 10) has 5 million entries, all but 50 thousand zero).
They exist to be looked at, and to show that contracting one with the upstream gradient,
:func:`vjp`, gives exactly what the compact backward formula gives.
"""

from __future__ import annotations

import numpy as np

from ._checks import as_count, as_float_array, as_scalar, check_shape
from .layers import _softmax


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
    dtype = np.result_type(x, W)
    diag_M = np.arange(M)
    if wrt == "W":
        J = np.zeros((N, M, D, M), dtype=dtype)
        J[:, diag_M, :, diag_M] = x  # the entries q = j hold x[p, i]; all others are 0
    elif wrt == "b":
        J = np.zeros((N, M, M), dtype=dtype)
        J[:, diag_M, diag_M] = 1  # one identity block per sample
    elif wrt == "x":
        J = np.zeros((N, M, N, D), dtype=dtype)
        diag_N = np.arange(N)
        J[diag_N, :, diag_N, :] = W.T  # sample p only depends on row p of x
    else:
        raise ValueError(f"wrt must be one of 'W', 'b', 'x'; got {wrt!r}")
    return J


def relu_jacobian(x, at_zero=0.0):
    """Jacobian of the elementwise ReLU at ``x``: shape ``x.shape + x.shape``, a diagonal mask.

    Entry ``[..., i, ..., i]`` is ``1{x_i > 0}`` (``at_zero`` where ``x_i`` is exactly 0); every
    off-diagonal entry is 0, since each output depends on its own input only.

    >>> relu_jacobian([-1.0, 0.0, 2.0], at_zero=1.0)
    array([[0., 0., 0.], [0., 1., 0.], [0., 0., 1.]])
    """
    x = as_float_array(x, "x")
    at_zero = as_scalar(at_zero, "at_zero")
    slope = np.where(x > 0, 1.0, np.where(x == 0, at_zero, 0.0)).astype(x.dtype)
    return np.diag(slope.ravel()).reshape(x.shape + x.shape)


def softmax_jacobian(scores, full=False):
    """Jacobian of the row-wise softmax: ``diag(p) - p p^T`` for each sample.

    Parameters
    ----------
    scores : array_like, shape (N, C)
    full : bool, default False
        False gives the per-sample blocks, shape (N, C, C). True gives the Jacobian of the whole
        (N, C) output with respect to the whole (N, C) input, shape (N, C, N, C), which is zero
        between different samples and can be passed to :func:`vjp`.

    >>> softmax_jacobian([[0.0, 0.0]])
    array([[[ 0.25, -0.25], [-0.25,  0.25]]])
    """
    scores = as_float_array(scores, "scores", ndim=2)
    p = _softmax(scores)  # (N, C)
    eye = np.eye(p.shape[1], dtype=p.dtype)
    blocks = -p[:, :, None] * p[:, None, :]  # off the diagonal: -p_k p_j
    # on it, p_k - p_k^2 = p_k (sum of the other p_j): summed directly, it keeps its precision
    # when p_k is close to 1, where 1 - p_k would cancel
    blocks[:, eye.astype(bool)] = p * (p @ (1 - eye))
    if not full:
        return blocks
    N, C = p.shape
    J = np.zeros((N, C, N, C), dtype=p.dtype)
    J[np.arange(N), :, np.arange(N), :] = blocks
    return J


def flatten_jacobian(J, out_ndim=None):
    """The Jacobian as a 2-D matrix: rows are output entries, columns input entries, row-major.

    ``out_ndim`` is how many leading axes of ``J`` belong to the output; by default half of them
    (which needs an even number of axes).

    >>> flatten_jacobian(np.zeros((2, 3, 4, 3))).shape
    (6, 12)
    """
    J = as_float_array(J, "J")
    if out_ndim is None:
        if J.ndim % 2:
            raise ValueError(
                f"out_ndim is needed for a Jacobian with an odd number of axes {J.shape}"
            )
        out_ndim = J.ndim // 2
    out_ndim = as_count(out_ndim, "out_ndim")
    if out_ndim >= J.ndim:
        raise ValueError(f"out_ndim must be < J.ndim = {J.ndim}; got {out_ndim}")
    return J.reshape(int(np.prod(J.shape[:out_ndim])), -1)


def vjp(J, dout):
    """Contract a full Jacobian with an upstream gradient: ``sum_pq dout[p, q] J[p, q, ...]``.

    Parameters
    ----------
    J : array_like, shape ``out.shape + in.shape``
    dout : array_like, shape ``out.shape``

    Returns
    -------
    ndarray, shape ``in.shape``
        The gradient with respect to the input, what the stage's backward function returns.

    >>> vjp(affine_jacobian([[1.0, 2.0]], [[3.0], [4.0]], "x"), [[1.0]])
    array([[3., 4.]])
    """
    J = as_float_array(J, "J")
    dout = as_float_array(dout, "dout")
    check_shape(dout, "dout", J.shape[: dout.ndim], "", f"to match the leading axes of J {J.shape}")
    if dout.ndim >= J.ndim:
        raise ValueError(f"dout must have fewer axes than J {J.shape}; got shape {dout.shape}")
    return np.tensordot(dout, J, axes=dout.ndim)
