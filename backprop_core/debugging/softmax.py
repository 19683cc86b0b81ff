"""The softmax cross-entropy for diagnose(): its cases, typical mistakes and broken versions.

Signature: ``fn(scores, y) -> (loss, dscores)``.
"""

from __future__ import annotations

import numpy as np

from ..gradcheck import numerical_gradient, rel_error
from ..layers import softmax_cross_entropy
from .spec import Bug, Context, Pattern, Spec


def cases(rng):
    """N = 1, an ordinary batch, scores of size 1e3 (overflow), float32."""
    for label, N, C, scale, dtype in (
        ("N = 1, C = 2", 1, 2, 1.0, np.float64),
        ("N = 5, C = 3", 5, 3, 1.0, np.float64),
        ("scores of size 1e3", 4, 3, 1e3, np.float64),
        ("float32", 3, 4, 1.0, np.float32),
    ):
        scores = (scale * rng.normal(size=(N, C))).astype(dtype)
        yield label, {"scores": scores, "y": rng.integers(0, C, N)}


def context(inputs, want):
    """The batch size, and the gradient of probabilities normalised over the wrong axis."""
    scores, y = inputs["scores"].astype(float), inputs["y"]
    shifted = np.exp(scores - scores.max(axis=0, keepdims=True))
    other = shifted / shifted.sum(axis=0, keepdims=True)
    other[np.arange(len(y)), y] -= 1
    explanation = (
        "probabilities normalised along axis 0 (over samples) instead of axis 1 (over classes)"
    )
    return Context(
        N=len(y), patterns={"dscores": (Pattern("softmax-axis", explanation, other / len(y)),)}
    )


def plain_check(call, inputs):
    """Relative error of the candidate's dscores against central differences of the loss."""
    scores, y = inputs["scores"].astype(float), inputs["y"]
    numeric = numerical_gradient(lambda s: softmax_cross_entropy(s, y)[0], scores.copy())
    return rel_error(call({"scores": scores, "y": y})["dscores"], numeric)


SPEC = Spec(
    engine=softmax_cross_entropy,
    outputs=("loss", "dscores"),
    compared=("dscores",),
    cases=cases,
    hints={
        "softmax-axis": "02-Softmax-Gradient: probabilities are normalised over classes (axis=1)"
    },
    context=context,
    plain_check=plain_check,
)


# -- the gallery: softmax_cross_entropy(scores, y) -> (loss, dscores) ------------------------------


def _mean_loss(probs, y):
    return float(-np.mean(np.log(probs[np.arange(probs.shape[0]), y])))


def softmax_no_mean(scores, y):
    scores, y = np.asarray(scores, float), np.asarray(y)
    shifted = np.exp(scores - scores.max(axis=1, keepdims=True))
    probs = shifted / shifted.sum(axis=1, keepdims=True)
    dscores = probs.copy()
    dscores[np.arange(len(y)), y] -= 1
    return _mean_loss(probs, y), dscores  # forgot: dscores /= N


def softmax_no_shift(scores, y):
    scores, y = np.asarray(scores, float), np.asarray(y)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        exps = np.exp(scores)  # the seed's direct exp: overflows for large scores
        probs = exps / exps.sum(axis=1, keepdims=True)
        dscores = probs.copy()
        dscores[np.arange(len(y)), y] -= 1
        return _mean_loss(probs, y), dscores / len(y)


def softmax_wrong_axis(scores, y):
    scores, y = np.asarray(scores, float), np.asarray(y)
    shifted = np.exp(scores - scores.max(axis=0, keepdims=True))
    probs = shifted / shifted.sum(axis=0, keepdims=True)  # normalised over samples, not classes
    dscores = probs.copy()
    dscores[np.arange(len(y)), y] -= 1
    return _mean_loss(probs, y), dscores / len(y)


STAGE = "softmax_cross_entropy"
BUGS = (
    Bug(
        "softmax_no_mean",
        STAGE,
        "the softmax gradient without its 1/N",
        "factor-N",
        softmax_no_mean,
    ),
    Bug(
        "softmax_no_shift",
        STAGE,
        "exp of the raw scores: overflows when large",
        "overflow",
        softmax_no_shift,
    ),
    Bug(
        "softmax_wrong_axis",
        STAGE,
        "probabilities normalised over samples",
        "softmax-axis",
        softmax_wrong_axis,
    ),
)
