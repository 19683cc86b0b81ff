"""The binary loss: a sigmoid and its mean cross-entropy on 0/1 labels, stable for any finite score.

For one score ``x`` and a label ``y`` in {0, 1}, ``-[y log s(x) + (1 - y) log(1 - s(x))]`` with
``s(x) = 1 / (1 + exp(-x))``. Written that way it overflows: ``exp(-x)`` is infinite below
``x = -709`` and ``log(1 - s)`` is ``log 0`` once ``s`` rounds to 1 (near ``x = 37``). With
``t = (1 - 2y) x`` (``x`` for label 0, ``-x`` for label 1) the same loss is the softplus
``log(1 + exp(t)) = max(t, 0) + log1p(exp(-|t|))``, whose exponent is never positive, and its
gradient is ``(s(x) - y) / N = (1 - 2y) s(t) / N``, both finite for every finite ``x``.
"""

from __future__ import annotations

import numpy as np

from .._checks import as_float_array, as_labels, check_jacobian_size
from ..stage import GradientCase, JacobianCase, Stage


def sigmoid_kernel(x):
    """Kernel of :func:`sigmoid`: ``1/(1 + e^-x)`` for x >= 0, ``e^x/(1 + e^x)`` below."""
    e = np.exp(-np.abs(x))  # in (0, 1]: never overflows
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


def loss(x, y):
    """Kernel of :func:`sigmoid_cross_entropy`, for trusted scores (N,) and 0/1 labels (N,)."""
    n = x.shape[0]
    sign = (1 - 2 * y).astype(x.dtype)  # +1 for label 0, -1 for label 1
    t = sign * x  # the loss of each sample is softplus(t)
    terms = np.maximum(t, 0) + np.log1p(np.exp(-np.abs(t)))  # (N,), each finite
    value = float((terms / n).sum())  # each term divided first: the mean never overflows
    dx = sign * sigmoid_kernel(t)
    dx /= n  # (s(x) - y) / N
    dx += 0.0  # a -0.0 (label 1, s(-x) = 0) becomes a plain 0
    return value, dx


def _as_scores(x):
    x = as_float_array(x, "x")
    if x.ndim != 1:
        raise ValueError(
            f"x must be 1-dimensional (N,), one score per sample; got shape {x.shape}"
            " (for scores of shape (N, 1) use x[:, 0])"
        )
    return x


def sigmoid(x):
    """The logistic sigmoid ``1 / (1 + exp(-x))`` of an array of any shape, without overflow.

    >>> sigmoid([-1000.0, 0.0, 1000.0])
    array([0. , 0.5, 1. ])
    """
    return sigmoid_kernel(as_float_array(x, "x"))


def sigmoid_cross_entropy(x, y):
    """Mean binary cross-entropy of sigmoid probabilities and its gradient with respect to x.

    ``L = (1/N) sum_i -[y_i log s(x_i) + (1 - y_i) log(1 - s(x_i))]``, ``s`` the sigmoid,
    computed as a softplus so that every finite score gives a finite loss and gradient.

    Parameters
    ----------
    x : array_like, shape (N,)
        One score per sample (the logit of the probability of label 1).
    y : array_like of int, shape (N,)
        Labels 0 or 1.

    Returns
    -------
    loss : float
    dx : ndarray, shape (N,), dtype of ``x``
        ``(s(x) - y) / N``.

    >>> loss, dx = sigmoid_cross_entropy([0.0, 1000.0, -1000.0], [1, 1, 1])
    >>> round(loss, 6), dx.round(6)
    (333.564382, array([-0.166667,  0.      , -0.333333]))
    """
    x = _as_scores(x)
    y = as_labels(y, "y", x.shape[0], 2)
    return loss(x, y)


def sigmoid_jacobian(x):
    """Jacobian of the elementwise sigmoid at x (N,): ``diag(s (1 - s))``, shape (N, N).

    ``s (1 - s)`` is computed as ``s(x) s(-x)``, exact in the tails where ``1 - s`` would round
    to 0.

    >>> sigmoid_jacobian([0.0, 2.0]).round(4)
    array([[0.25 , 0.   ], [0.   , 0.105]])
    """
    x = as_float_array(x, "x", ndim=1)
    check_jacobian_size(x.shape * 2, "the sigmoid Jacobian")
    return np.diag(sigmoid_kernel(x) * sigmoid_kernel(-x))


STAGE = Stage(
    name="sigmoid_cross_entropy",
    title="sigmoid and its binary cross-entropy loss",
    signature="fn(x, y) -> (loss, dx)",
    notebook="13-Dropout-and-Other-Losses",
    numeric="backprop_core.layers.sigmoid_loss",
    debugging="backprop_core.debugging.sigmoid",
    symbolic="backprop_core.symbolic.sigmoid",
)

# -- what the registry's tests run ---------------------------------------------------------------
# pragma: no mutate block (the registry's test inputs below, not the engine: make mutation)


def gradient_cases(rng):
    """dx of the mean loss against central differences of the loss, ordinary scores."""
    x, y = rng.standard_normal(6), np.array([0, 1, 1, 0, 1, 0])
    analytic = sigmoid_cross_entropy(x, y)[1]
    f = lambda s: np.float64(sigmoid_cross_entropy(s, y)[0])  # noqa: E731
    yield GradientCase("dx", f, x, np.float64(1.0), analytic)


def jacobian_cases(rng):
    """The (N, N) sigmoid Jacobian; contracted with dL/ds it gives dx."""
    x, y = rng.standard_normal(6), np.array([0, 1, 1, 0, 1, 0])
    s = sigmoid(x)
    dprobs = -(y / s - (1 - y) / (1 - s)) / len(y)  # d/ds of the mean cross-entropy
    analytic = sigmoid_cross_entropy(x, y)[1]
    yield JacobianCase("d s/dx", sigmoid, x, sigmoid_jacobian(x), dprobs, analytic)


__all__ = ["sigmoid", "sigmoid_cross_entropy", "sigmoid_jacobian"]
