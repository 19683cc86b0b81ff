"""The multiclass SVM (hinge) loss: kernel, the checked cs231n function, and its Jacobian.

For scores ``x`` (N, C) and labels ``y`` (N,), sample i's loss sums the margins
``max(0, x[i, j] - x[i, y_i] + 1)`` over the classes ``j != y_i`` (margin 1, as in cs231n); the
loss is their mean over the batch. The correct class's own term would always be
``max(0, 1) = 1``, so it is left out of the sum.

At a margin of exactly 0 the hinge has no derivative; like cs231n, a class passes a gradient only
when its margin is strictly positive (the subgradient 0 at the kink).
"""

from __future__ import annotations

import numpy as np

from .._checks import as_float_array, as_labels, check_jacobian_size
from ..stage import GradientCase, JacobianCase, Stage


def margins(x, y):
    """Kernel: ``x - x[y] + 1`` with the correct class's own entry set to 0, shape (N, C)."""
    rows = np.arange(x.shape[0])
    with np.errstate(over="ignore"):  # beyond the largest float: inf, which only compares > 0
        m = x - x[rows, y][:, None] + 1  # (N, C)
    m[rows, y] = 0
    return m


def loss(x, y):
    """Kernel of :func:`svm_loss`, for trusted scores (N, C) and labels (N,)."""
    n = x.shape[0]
    m = margins(x, y)
    passing = m > 0  # (N, C): the classes that pass a gradient (cs231n: margin > 0)
    with np.errstate(over="ignore"):
        value = float(np.where(passing, m, 0).sum() / n)
    dx = passing.astype(x.dtype)
    dx[np.arange(n), y] = -passing.sum(axis=1)  # the correct class: minus the count
    dx /= n
    return value, dx


def _as_scores(x):
    x = as_float_array(x, "x")
    if x.ndim != 2:
        raise ValueError(
            f"x must be 2-dimensional (N, C), one row of class scores per sample; got shape "
            f"{x.shape} (for a single sample use x[None, :])"
        )
    return x


def svm_loss(x, y):
    """Mean multiclass SVM loss (margin 1) over the batch and its gradient with respect to x.

    ``L = (1/N) sum_i sum_{j != y_i} max(0, x[i, j] - x[i, y_i] + 1)``.

    Parameters
    ----------
    x : array_like, shape (N, C)
        Class scores, one row per sample.
    y : array_like of int, shape (N,)
        Labels in ``[0, C)``.

    Returns
    -------
    loss : float
        Finite whenever the sum of the margins is a finite float.
    dx : ndarray, shape (N, C), dtype of ``x``
        ``1/N`` for every class with a margin > 0, ``-(their count)/N`` for the correct class.
        At a margin of exactly 0 the class passes nothing (cs231n's subgradient).

    >>> loss, dx = svm_loss([[3.0, 1.0, 2.5]], [0])
    >>> loss, dx
    (0.5, array([[-1.,  0.,  1.]]))
    """
    x = _as_scores(x)
    y = as_labels(y, "y", x.shape[0], x.shape[1])
    return loss(x, y)


def svm_jacobian(x, y):
    """Jacobian of the hinge terms ``H[i, j] = max(0, margin_ij)`` (N, C) with respect to x.

    ``dH[i, j]/dx[k, l] = 1{k = i} 1{margin_ij > 0} (1{l = j} - 1{l = y_i})`` for ``j != y_i``,
    and 0 for the correct class's own term. The loss is ``sum(H) / N``, so contracting this
    Jacobian with ``ones / N`` gives the ``dx`` of :func:`svm_loss`. Shape (N, C, N, C).

    >>> svm_jacobian([[3.0, 1.0, 2.5]], [0])[0, 2, 0]
    array([-1.,  0.,  1.])
    """
    x = _as_scores(x)
    y = as_labels(y, "y", x.shape[0], x.shape[1])
    N, C = x.shape
    check_jacobian_size((N, C, N, C), "the SVM Jacobian")
    passing = (margins(x, y) > 0).astype(x.dtype)  # (N, C)
    blocks = np.zeros((N, C, C), dtype=x.dtype)  # one (C, C) block per sample
    blocks[:, np.arange(C), np.arange(C)] = passing  # +1 on its own score
    blocks[np.arange(N), :, y] -= passing  # -1 on the correct class's score
    J = np.zeros((N, C, N, C), dtype=x.dtype)
    J[np.arange(N), :, np.arange(N), :] = blocks
    return J


STAGE = Stage(
    name="svm_loss",
    title="multiclass SVM (hinge) loss, margin 1",
    signature="fn(x, y) -> (loss, dx)",
    notebook="13-Dropout-and-Other-Losses",
    numeric="backprop_core.layers.svm",
    debugging="backprop_core.debugging.svm",
    symbolic="backprop_core.symbolic.svm",
)

# -- what the registry's tests run ---------------------------------------------------------------
# pragma: no mutate block (the registry's test inputs below, not the engine: make mutation)


def _away_from_kinks(rng, N=4, C=3):
    """Scores whose margins all lie at least 0.05 away from 0, and labels."""
    y = np.arange(N) % C
    while True:
        x = rng.standard_normal((N, C))
        m = margins(x, y)
        m[np.arange(N), y] = 1.0
        if np.abs(m).min() > 0.05:
            return x, y


def gradient_cases(rng):
    """dx of the mean loss against central differences, margins kept away from the kink."""
    x, y = _away_from_kinks(rng)
    analytic = svm_loss(x, y)[1]
    f = lambda s: np.float64(svm_loss(s, y)[0])  # noqa: E731
    yield GradientCase("dx", f, x, np.float64(1.0), analytic)


def jacobian_cases(rng):
    """The (N, C, N, C) Jacobian of the hinge terms; contracted with ones / N it gives dx."""
    x, y = _away_from_kinks(rng)
    dout = np.full(x.shape, 1 / x.shape[0])

    def hinges(s):
        return np.maximum(margins(s, y), 0)

    yield JacobianCase("d hinge/dx", hinges, x, svm_jacobian(x, y), dout, svm_loss(x, y)[1])


__all__ = ["svm_jacobian", "svm_loss"]
