"""The whole two-layer network for diagnose(): its cases, typical mistakes and broken versions.

Signature: ``fn(params, X, y, reg) -> (loss, grads)``, grads keyed like ``TwoLayerNet.params``.
"""

from __future__ import annotations

import numpy as np

from ..layers import (
    affine_backward,
    affine_forward,
    relu_backward,
    relu_forward,
    softmax_cross_entropy,
)
from ..net import PARAM_NAMES, TwoLayerNet, two_layer_loss
from .returns import WrongReturn, describe, unpack
from .spec import Bug, Context, Pattern, Spec

GRADIENTS = ("dW2", "db2", "dW1", "db1")


def cases(rng):
    """N = 1, a batch with and without regularisation, and an input at a kink."""
    for label, (N, D, H, C), reg, kink in (
        ("N = 1", (1, 3, 4, 2), 0.0, False),
        ("N = 5, no reg", (5, 4, 6, 3), 0.0, False),
        ("N = 5, reg 0.1", (5, 4, 6, 3), 0.1, False),
        ("an input at a kink", (4, 3, 5, 3), 0.05, True),
    ):
        net = TwoLayerNet(D, H, C, std=0.5, seed=int(rng.integers(1 << 30)))
        X = rng.normal(size=(N, D))
        if kink:
            X[0] = 0.0  # with b1 = 0 every pre-activation of sample 0 is exactly 0
        yield label, {"params": net.params, "X": X, "y": rng.integers(0, C, N), "reg": reg}


def read(result):
    """The loss and the four parameter gradients, named ``dW2`` ... as the engine's are.

    >>> read((0.5, {"W1": 1, "b1": 2, "W2": 3}))
    Traceback (most recent call last):
    ...
    backprop_core.debugging.returns.WrongReturn: grads has no entry 'b2':
    it needs one per parameter, keyed like params ('W1', 'b1', 'W2', 'b2')
    """
    loss, grads = unpack(result, ("loss", "grads")).values()
    keys = ", ".join(map(repr, PARAM_NAMES))
    if not isinstance(grads, dict):
        explanation = (
            f"grads is {describe(grads)} where a dict keyed like params ({keys}) was expected"
        )
        raise WrongReturn("returns-type", explanation, "grads")
    missing = [k for k in PARAM_NAMES if k not in grads]
    extra = [k for k in grads if k not in PARAM_NAMES]
    if missing and extra:
        got = ", ".join(map(repr, grads))
        explanation = f"grads has the keys {got} where those of params ({keys}) were expected"
    elif missing:
        entries = ", ".join(map(repr, missing))
        plural = "entries" if len(missing) > 1 else "entry"
        explanation = (
            f"grads has no {plural} {entries}: it needs one per parameter, keyed like params"
        )
        explanation += f" ({keys})"
    elif extra:
        entries = ", ".join(map(repr, extra))
        plural = "entries" if len(extra) > 1 else "entry"
        explanation = f"grads has the extra {plural} {entries}: params has only {keys}"
    else:
        return {"loss": loss, **{name: grads[name[1:]] for name in GRADIENTS}}
    raise WrongReturn("grads-keys", explanation, "grads")


def context(inputs, want):
    """The batch size, and the weight gradients with half or none of the regularisation term."""
    params, reg = inputs["params"], inputs["reg"]
    patterns = {}
    if reg:
        for name in ("W1", "W2"):
            right, term = want[f"d{name}"], reg * params[name]
            patterns[f"d{name}"] = (
                Pattern(
                    "reg-factor",
                    "the regularisation gradient is reg * W, half of 2 * reg * W",
                    right - term,
                    localised=False,
                ),
                Pattern(
                    "reg-missing",
                    "the regularisation gradient 2 * reg * W is missing",
                    right - 2 * term,
                    localised=False,
                ),
            )
    return Context(N=len(inputs["y"]), patterns=patterns)


def culprit(gradient, cause):
    """The stage at fault in a whole backward pass, read from the gradient and the cause."""
    if cause == "factor-N":
        return "softmax_cross_entropy (its 1/N feeds every gradient)"
    if cause in ("reg-factor", "reg-missing"):
        return "the regularisation term"
    if cause == "kink":
        return "relu_backward"
    if gradient in ("dW2", "db2"):
        return "affine_backward of layer 2"
    if gradient in ("dW1", "db1"):
        return "relu_backward or affine_backward of layer 1 (layer 2 is right)"
    return None


SPEC = Spec(
    engine=two_layer_loss,
    outputs=("loss", "grads"),
    compared=GRADIENTS,
    cases=cases,
    hints={
        "reg-factor": "06-Full-Backward-Pass: the gradient of reg * sum(W**2) is 2 * reg * W",
        "reg-missing": "06-Full-Backward-Pass: add 2 * reg * W to dW1 and dW2",
        "kink": "05-ReLU-Gradient, the value at exactly zero: x > 0 (or the chosen at_zero)",
        "grads-keys": "06-Full-Backward-Pass: one gradient per parameter, keyed like params",
    },
    context=context,
    culprit=culprit,
    read=read,
)


# -- the gallery: two_layer_loss(params, X, y, reg) -> (loss, grads) -------------------------------


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


STAGE = "two_layer_loss"
BUGS = (
    Bug(
        "reg_no_factor_2",
        STAGE,
        "regularisation gradient reg W instead of 2 reg W",
        "reg-factor",
        reg_no_factor_2,
    ),
    Bug("reg_missing", STAGE, "regularisation gradient missing", "reg-missing", reg_missing),
    Bug(
        "net_no_mean",
        STAGE,
        "the whole backward pass without the 1/N of the mean",
        "factor-N",
        net_no_mean,
    ),
)
