"""Full Jacobians of each stage, as arrays of shape ``out.shape + in.shape``, and their use.

The backward functions of :mod:`backprop_core.layers` never build these: they are far too large
(dy/dW of a (64, 10) output with W (784, 10) has 64 * 10 * 784 * 10 = 5,017,600 entries, of which
only the 64 * 784 * 10 = 501,760 with matching columns can be non-zero: one in ten). They exist to
be looked at, and to show that contracting one with the upstream gradient, :func:`vjp`, gives
exactly what the compact backward formula gives. Each stage's Jacobian lives beside its pair in
:mod:`backprop_core.layers`; this module gathers them with the tools to flatten and contract them.
"""

from __future__ import annotations

import numpy as np

from ._checks import as_count, as_float_array, check_shape
from .layers import affine_jacobian, relu_jacobian, softmax_jacobian


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


__all__ = ["affine_jacobian", "flatten_jacobian", "relu_jacobian", "softmax_jacobian", "vjp"]
