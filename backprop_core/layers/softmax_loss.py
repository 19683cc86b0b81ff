"""The softmax and its mean cross-entropy loss: kernels, checked functions, the softmax Jacobian.

``probs``/``loss`` are the kernels a network calls on trusted arrays; :func:`softmax` and
:func:`softmax_cross_entropy` check their arguments first. A loss returns ``(loss, dscores)``.
:func:`softmax_loss` is the same loss under cs231n's name and argument names ``(x, y)``.
"""

from __future__ import annotations

import numpy as np

from .._checks import as_float_array, as_labels, check_jacobian_size
from ..stage import GradientCase, JacobianCase, Stage


def probs(scores):
    """Kernel of :func:`softmax`, for a trusted (N, C) float array."""
    exps = np.exp(scores - scores.max(axis=1, keepdims=True))  # no overflow: every exponent <= 0
    exps /= exps.sum(axis=1, keepdims=True)
    return exps


def loss(scores, y):
    """Kernel of :func:`softmax_cross_entropy`, for trusted scores (N, C) and labels (N,)."""
    n, C = scores.shape
    first = np.arange(0, n * C, C)  # where each row starts in the flattened (N, C) arrays
    # each row's maximum, read at its argmax: several times faster than max(axis=1) for a few
    # classes. C order, whatever the scores' layout: the flat lookups below index it.
    shifted = np.subtract(
        scores, scores.reshape(-1)[first + scores.argmax(axis=1)][:, None], order="C"
    )
    exps = np.exp(shifted)  # (N, C), every exponent <= 0: no overflow
    sums = exps @ np.ones(C, dtype=exps.dtype)  # (N,) row sums, each >= 1: a finite log
    at_label = first + y  # flat index of each sample's label
    # -log p[i, y_i] = log(sum_j exp(shifted[i, j])) - shifted[i, y_i], summed then averaged
    value = (np.log(sums).sum() - shifted.reshape(-1)[at_label].sum()) / n
    dscores = exps
    dscores /= (n * sums)[:, None]  # probs / N
    dscores.reshape(-1)[at_label] -= 1 / n  # a view: exps is C-ordered like shifted
    return float(value), dscores


def _as_scores(scores, name="scores"):
    scores = as_float_array(scores, name)
    if scores.ndim != 2:
        raise ValueError(
            f"{name} must be 2-dimensional (N, C), one row per sample; got shape {scores.shape}"
            f" (for a single sample use {name}[None, :])"
        )
    return scores


def softmax(scores):
    """Row-wise softmax, computed stably by first subtracting each row's maximum.

    Parameters
    ----------
    scores : array_like, shape (N, C)

    Returns
    -------
    probs : ndarray, shape (N, C)
        Each row is positive and sums to 1.

    >>> softmax([[0.0, 0.0], [1000.0, 0.0]]).round(6)
    array([[0.5, 0.5], [1. , 0. ]])
    """
    return probs(_as_scores(scores))


def softmax_cross_entropy(scores, y):
    """Mean softmax cross-entropy loss over the batch and its gradient with respect to the scores.

    ``L = (1/N) sum_i -log(p_{i, y_i})`` with ``p = softmax(scores)``, computed with log-sum-exp so
    that scores of any finite size give a finite loss (the seed's direct ``np.exp`` overflows).

    Parameters
    ----------
    scores : array_like, shape (N, C)
    y : array_like of int, shape (N,)
        Labels in ``[0, C)``.

    Returns
    -------
    loss : float
    dscores : ndarray, shape (N, C)
        ``(p - onehot(y)) / N``.

    >>> loss, dscores = softmax_cross_entropy([[0.0, 0.0]], [1])
    >>> round(loss, 6), dscores
    (0.693147, array([[ 0.5, -0.5]]))
    """
    scores = _as_scores(scores)
    y = as_labels(y, "y", scores.shape[0], scores.shape[1])
    return loss(scores, y)


def softmax_loss(x, y):
    """cs231n's name for :func:`softmax_cross_entropy`: the same kernel, arguments named x, y.

    Import it from this module (``from backprop_core.layers.softmax_loss import softmax_loss``):
    in :mod:`backprop_core.layers` the name ``softmax_loss`` is this module.

    Parameters
    ----------
    x : array_like, shape (N, C)
        Class scores, one row per sample.
    y : array_like of int, shape (N,)
        Labels in ``[0, C)``.

    Returns
    -------
    loss : float
        The mean over the batch of ``-log softmax(x)[i, y_i]``.
    dx : ndarray, shape (N, C)
        ``(softmax(x) - onehot(y)) / N``.

    >>> loss, dx = softmax_loss([[0.0, 0.0]], [1])
    >>> round(loss, 6), dx
    (0.693147, array([[ 0.5, -0.5]]))
    >>> same_loss, dscores = softmax_cross_entropy([[0.0, 0.0]], [1])
    >>> loss == same_loss and np.array_equal(dx, dscores)
    True
    """
    x = _as_scores(x, "x")
    y = as_labels(y, "y", x.shape[0], x.shape[1])
    return loss(x, y)


def softmax_jacobian(scores, full=False):
    """Jacobian of the row-wise softmax: ``diag(p) - p p^T`` for each sample.

    Parameters
    ----------
    scores : array_like, shape (N, C)
    full : bool, default False
        False gives the per-sample blocks, shape (N, C, C). True gives the Jacobian of the whole
        (N, C) output with respect to the whole (N, C) input, shape (N, C, N, C), which is zero
        between different samples and can be passed to :func:`~backprop_core.jacobians.vjp`.

    >>> softmax_jacobian([[0.0, 0.0]])
    array([[[ 0.25, -0.25], [-0.25,  0.25]]])
    """
    scores = as_float_array(scores, "scores", ndim=2)
    N, C = scores.shape
    check_jacobian_size((N, C, N, C) if full else (N, C, C), "the softmax Jacobian")
    p = probs(scores)  # (N, C)
    diagonal = np.eye(C, dtype=bool)
    blocks = -p[:, :, None] * p[:, None, :]  # off the diagonal: -p_k p_j
    # on it, p_k - p_k^2 = p_k (sum of the other p_j): summed directly, it keeps its precision
    # when p_k is close to 1, where 1 - p_k would cancel (booleans keep p's dtype in the product)
    blocks[:, diagonal] = p * (p @ ~diagonal)
    if not full:
        return blocks
    J = np.zeros((N, C, N, C), dtype=p.dtype)
    J[np.arange(N), :, np.arange(N), :] = blocks
    return J


STAGE = Stage(
    name="softmax_cross_entropy",
    title="softmax and its mean cross-entropy loss",
    signature="fn(scores, y) -> (loss, dscores)",
    notebook="02-Softmax-Gradient",
    numeric="backprop_core.layers.softmax_loss",
    debugging="backprop_core.debugging.softmax",
    symbolic="backprop_core.symbolic.softmax",
)

# -- what the registry's tests run ---------------------------------------------------------------
# pragma: no mutate block (the registry's test inputs below, not the engine: make mutation)


def gradient_cases(rng):
    """dscores of the mean loss, against central differences of the loss itself."""
    scores, y = rng.standard_normal((4, 3)), np.array([0, 2, 2, 1])
    analytic = softmax_cross_entropy(scores, y)[1]
    f = lambda s: np.float64(softmax_cross_entropy(s, y)[0])  # noqa: E731
    yield GradientCase("dscores", f, scores, np.float64(1.0), analytic)


def jacobian_cases(rng):
    """The whole (N, C, N, C) softmax Jacobian; contracted with dL/dprobs it gives dscores."""
    scores, y = rng.standard_normal((4, 3)), np.array([0, 2, 2, 1])
    p = softmax(scores)
    rows = np.arange(len(y))
    dprobs = np.zeros_like(p)
    dprobs[rows, y] = -1 / (len(y) * p[rows, y])  # d/dp of mean -log p[y]
    analytic = softmax_cross_entropy(scores, y)[1]
    J = softmax_jacobian(scores, full=True)
    yield JacobianCase("d probs/d scores", softmax, scores, J, dprobs, analytic)


__all__ = ["softmax", "softmax_cross_entropy", "softmax_jacobian", "softmax_loss"]
