"""A gallery of realistic broken backward passes, each a drop-in replacement for an engine function.

Every :class:`Bug` has the signature of the stage it breaks (see :mod:`backprop_core.debug`), a
one-line description of the mistake, and the cause :func:`~backprop_core.debug.diagnose` should
name. They are the mistakes learners make, and the ones the seed note invites.

>>> [bug.name for bug in BUGS if bug.stage == "relu_backward"]
['relu_mutates_dout', 'relu_mask_from_dout', 'relu_seed_convention']
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from .layers import (
    affine_backward,
    affine_forward,
    relu_backward,
    relu_forward,
    softmax_cross_entropy,
)


class Bug(NamedTuple):
    """One broken function: ``fn`` replaces the engine's function of ``stage``."""

    name: str
    stage: str
    description: str
    cause: str  # the cause code diagnose() should report
    fn: Callable


# -- softmax_cross_entropy(scores, y) -> (loss, dscores) ------------------------------------------


def _softmax_loss(probs, y):
    n = probs.shape[0]
    return float(-np.mean(np.log(probs[np.arange(n), y])))


def softmax_no_mean(scores, y):
    scores, y = np.asarray(scores, float), np.asarray(y)
    shifted = np.exp(scores - scores.max(axis=1, keepdims=True))
    probs = shifted / shifted.sum(axis=1, keepdims=True)
    dscores = probs.copy()
    dscores[np.arange(len(y)), y] -= 1
    return _softmax_loss(probs, y), dscores  # forgot: dscores /= N


def softmax_no_shift(scores, y):
    scores, y = np.asarray(scores, float), np.asarray(y)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        exps = np.exp(scores)  # the seed's direct exp: overflows for large scores
        probs = exps / exps.sum(axis=1, keepdims=True)
        dscores = probs.copy()
        dscores[np.arange(len(y)), y] -= 1
        return _softmax_loss(probs, y), dscores / len(y)


def softmax_wrong_axis(scores, y):
    scores, y = np.asarray(scores, float), np.asarray(y)
    shifted = np.exp(scores - scores.max(axis=0, keepdims=True))
    probs = shifted / shifted.sum(axis=0, keepdims=True)  # normalised over samples, not classes
    dscores = probs.copy()
    dscores[np.arange(len(y)), y] -= 1
    return _softmax_loss(probs, y), dscores / len(y)


# -- affine_backward(dout, cache) -> (dx, dW, db) -------------------------------------------------


def bias_wrong_axis(dout, cache):
    dx, dW, _ = affine_backward(dout, cache)
    return dx, dW, np.asarray(dout, float).sum(axis=1)  # summed over classes, not samples


def weight_operands_swapped(dout, cache):
    x, _ = cache
    dx, _, db = affine_backward(dout, cache)
    return dx, np.asarray(dout, float).T @ x, db  # dout^T x: the transpose of x^T dout


def dx_without_transpose(dout, cache):
    _, W = cache
    _, dW, db = affine_backward(dout, cache)
    return np.asarray(dout, float) @ W, dW, db  # dout W instead of dout W^T


# -- relu_backward(dout, cache, at_zero=0.0) -> dx -------------------------------------------------


def relu_mutates_dout(dout, cache, at_zero=0.0):
    dout[cache.x <= 0] = 0  # right values, but the caller's dout is changed in place
    return dout


def relu_mask_from_dout(dout, cache, at_zero=0.0):
    dout = np.asarray(dout, float)
    return dout * (dout > 0)  # mask from the gradient instead of the input


def relu_seed_convention(dout, cache, at_zero=0.0):
    return np.asarray(dout, float) * (cache.x >= 0)  # the seed's >= whatever at_zero says


# -- two_layer_loss(params, X, y, reg) -> (loss, grads) -------------------------------------------


def _two_layer(params, X, y, reg, dy2_scale=1.0, reg_factor=2.0):
    W1, b1, W2, b2 = (params[k] for k in ("W1", "b1", "W2", "b2"))
    y1, c1 = affine_forward(X, W1, b1)
    h1, cr = relu_forward(y1)
    y2, c2 = affine_forward(h1, W2, b2)
    loss, dy2 = softmax_cross_entropy(y2, y)
    dh1, dW2, db2 = affine_backward(dy2 * dy2_scale, c2)
    _, dW1, db1 = affine_backward(relu_backward(dh1, cr), c1)
    loss += reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
    grads = {
        "W1": dW1 + reg_factor * reg * W1,
        "b1": db1,
        "W2": dW2 + reg_factor * reg * W2,
        "b2": db2,
    }
    return loss, grads


def reg_no_factor_2(params, X, y, reg):
    return _two_layer(params, X, y, reg, reg_factor=1.0)  # d(reg W^2)/dW written as reg W


def reg_missing(params, X, y, reg):
    return _two_layer(params, X, y, reg, reg_factor=0.0)  # the penalty's gradient forgotten


def net_no_mean(params, X, y, reg):
    return _two_layer(params, X, y, reg, dy2_scale=len(X))  # dy2 without its 1/N


BUGS = (
    Bug(
        "softmax_no_mean",
        "softmax_cross_entropy",
        "the softmax gradient without its 1/N",
        "factor-N",
        softmax_no_mean,
    ),
    Bug(
        "softmax_no_shift",
        "softmax_cross_entropy",
        "exp of the raw scores: overflows when large",
        "overflow",
        softmax_no_shift,
    ),
    Bug(
        "softmax_wrong_axis",
        "softmax_cross_entropy",
        "probabilities normalised over samples",
        "softmax-axis",
        softmax_wrong_axis,
    ),
    Bug(
        "bias_wrong_axis",
        "affine_backward",
        "db summed over the wrong axis (axis=1)",
        "bias-axis",
        bias_wrong_axis,
    ),
    Bug(
        "weight_operands_swapped",
        "affine_backward",
        "dW = dout^T x: operands in the wrong order",
        "transpose",
        weight_operands_swapped,
    ),
    Bug(
        "dx_without_transpose",
        "affine_backward",
        "dx = dout W instead of dout W^T",
        "transpose",
        dx_without_transpose,
    ),
    Bug(
        "relu_mutates_dout",
        "relu_backward",
        "zeroes the caller's dout in place",
        "mutation",
        relu_mutates_dout,
    ),
    Bug(
        "relu_mask_from_dout",
        "relu_backward",
        "mask taken from dout instead of the input",
        "mask-array",
        relu_mask_from_dout,
    ),
    Bug(
        "relu_seed_convention",
        "relu_backward",
        "the seed's >= 0: slope 1 at an input of 0",
        "kink",
        relu_seed_convention,
    ),
    Bug(
        "reg_no_factor_2",
        "two_layer_loss",
        "regularisation gradient reg W instead of 2 reg W",
        "reg-factor",
        reg_no_factor_2,
    ),
    Bug(
        "reg_missing",
        "two_layer_loss",
        "regularisation gradient missing",
        "reg-missing",
        reg_missing,
    ),
    Bug(
        "net_no_mean",
        "two_layer_loss",
        "the whole backward pass without the 1/N of the mean",
        "factor-N",
        net_no_mean,
    ),
)
