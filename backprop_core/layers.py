"""Forward and backward passes of the three stages of the seed's network.

Conventions, stated once for the whole package:

- A batch holds one sample per row (the row-vector convention of the seed): ``x`` is (N, D) and
  an affine map is ``x @ W + b`` with ``W`` (D, M) and ``b`` (M,).
- ``<stage>_forward(x, ...) -> (out, cache)`` and ``<stage>_backward(dout, cache) -> grads``;
  the loss returns ``(loss, dscores)``. ``dname`` is dL/dname and has the shape of ``name``.
- Nothing modifies its arguments; float32 and float64 inputs keep their dtype.

The public functions validate their arguments; the ``_``-prefixed kernels they call trust theirs
and are what :class:`~backprop_core.net.TwoLayerNet` uses after checking a batch once.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._checks import as_float_array, as_labels, as_scalar, check_shape


class AffineCache(NamedTuple):
    """What ``affine_backward`` needs: the input ``x`` (N, D) and the weights ``W`` (D, M)."""

    x: np.ndarray
    W: np.ndarray


class ReluCache(NamedTuple):
    """What ``relu_backward`` needs: the input ``x`` of the ReLU."""

    x: np.ndarray


def _affine_forward(x, W, b):
    out = x @ W  # (N, M)
    out += b
    return out, AffineCache(x, W)


def _affine_backward(dout, cache, need_dx=True):
    x, W = cache
    dW = (dout.T @ x).T  # (D, M): seed eq. (3), x^T dout (OpenBLAS is faster this way round)
    db = dout.sum(axis=0)  # (M,): one incoming gradient per sample, summed
    dx = dout @ W.T if need_dx else None  # (N, D)
    return dx, dW, db


def _relu_forward(x):
    return np.maximum(x, 0), ReluCache(x)


def _relu_backward(dout, cache, at_zero=0.0):
    x = cache.x
    dx = dout * (x > 0)
    dx += 0.0  # a blocked negative gradient is -0.0 after the product: make it a plain 0
    if at_zero != 0.0:
        kink = x == 0
        dx[kink] = at_zero * dout[kink]
    return dx


def _softmax(scores):
    exps = np.exp(scores - scores.max(axis=1, keepdims=True))  # no overflow: every exponent <= 0
    exps /= exps.sum(axis=1, keepdims=True)
    return exps


def _log_softmax(scores):
    shifted = scores - scores.max(axis=1, keepdims=True)  # largest score per row becomes 0
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def _softmax_cross_entropy(scores, y):
    n, C = scores.shape
    rows = np.arange(n)
    # scores.max(axis=1), written as a lookup of argmax: several times faster for a few classes
    shifted = scores - scores[rows, scores.argmax(axis=1)][:, None]  # (N, C), every entry <= 0
    exps = np.exp(shifted)
    sums = exps @ np.ones(C, dtype=exps.dtype)  # (N,) row sums, each >= 1 so its log is finite
    # -log p[i, y_i] = log(sum_j exp(shifted[i, j])) - shifted[i, y_i], summed then averaged
    loss = (np.log(sums).sum() - shifted[rows, y].sum()) / n
    dscores = exps
    dscores /= (n * sums)[:, None]  # probs / N
    dscores[rows, y] -= 1 / n
    return float(loss), dscores


def affine_forward(x, W, b):
    """Affine map ``out = x @ W + b`` of a batch.

    Parameters
    ----------
    x : array_like, shape (N, D)
    W : array_like, shape (D, M)
    b : array_like, shape (M,)

    Returns
    -------
    out : ndarray, shape (N, M)
    cache : AffineCache
        ``(x, W)``, for :func:`affine_backward`.

    Examples
    --------
    >>> W = [[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]]
    >>> out, cache = affine_forward([[1.0, 2.0]], W, [0.0, 0.0, 1.0])
    >>> out
    array([[1., 2., 4.]])
    """
    x = as_float_array(x, "x", ndim=2)
    W = as_float_array(W, "W", ndim=2)
    check_shape(W, "W", (x.shape[1], None), "(D, M)", f"to match x of shape {x.shape}")
    b = as_float_array(b, "b", ndim=1)
    check_shape(b, "b", (W.shape[1],), "(M,)", f"to match W of shape {W.shape}")
    return _affine_forward(x, W, b)


def _as_cache(cache, kind, size):
    if not isinstance(cache, tuple) or len(cache) != size:
        raise TypeError(
            f"cache must be the {kind} returned by the matching forward function; "
            f"got {type(cache).__name__}"
        )
    return cache


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
    dx : ndarray, shape (N, D)
        ``dout @ W.T``.
    dW : ndarray, shape (D, M)
        ``x.T @ dout`` (the seed's eq. 3).
    db : ndarray, shape (M,)
        ``dout`` summed over the N samples.

    Examples
    --------
    >>> out, cache = affine_forward([[1.0, 2.0], [3.0, 4.0]], [[1.0], [1.0]], [0.5])
    >>> dx, dW, db = affine_backward([[1.0], [1.0]], cache)
    >>> dx, dW.ravel(), db
    (array([[1., 1.], [1., 1.]]), array([4., 6.]), array([2.]))
    """
    x, W = _as_cache(cache, "AffineCache (x, W)", 2)
    dout = as_float_array(dout, "dout", ndim=2)
    check_shape(
        dout, "dout", (x.shape[0], W.shape[1]), "(N, M)", "to match the output of affine_forward"
    )
    return _affine_backward(dout, AffineCache(x, W))


def relu_forward(x):
    """Elementwise ``max(0, x)`` of an array of any shape.

    Returns ``(out, cache)``: ``out`` has the shape and dtype of ``x``; ``cache`` keeps ``x``.

    >>> out, cache = relu_forward([-1.0, 0.0, 2.0])
    >>> out
    array([0., 0., 2.])
    """
    x = as_float_array(x, "x")
    return _relu_forward(x)


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
    (x,) = _as_cache(cache, "ReluCache (x,)", 1)
    x = as_float_array(x, "cache.x")
    dout = as_float_array(dout, "dout")
    check_shape(dout, "dout", x.shape, "", "to match the ReLU's input")
    at_zero = as_scalar(at_zero, "at_zero")
    return _relu_backward(dout, ReluCache(x), at_zero)


def _as_scores(scores):
    scores = as_float_array(scores, "scores")
    if scores.ndim != 2:
        raise ValueError(
            f"scores must be 2-dimensional (N, C), one row per sample; got shape {scores.shape}"
            " (for a single sample use scores[None, :])"
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
    return _softmax(_as_scores(scores))


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
    return _softmax_cross_entropy(scores, y)
