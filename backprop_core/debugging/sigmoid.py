"""The sigmoid cross-entropy (binary loss) for diagnose(): its cases, mistakes and broken versions.

Signature: ``fn(x, y) -> (loss, dx)``, x (N,) scores and y (N,) labels 0 or 1.
"""

from __future__ import annotations

import numpy as np

from ..gradcheck import numerical_gradient, rel_error
from ..layers.sigmoid_loss import sigmoid_cross_entropy
from .spec import Bug, Context, Pattern, Spec


def cases(rng):
    """N = 1, a batch, scores of size 1e3 (both signs, both labels), float32."""
    for label, N, scale, dtype in (
        ("N = 1", 1, 1.0, np.float64),
        ("N = 6", 6, 1.0, np.float64),
        ("scores of size 1e3", 6, 1e3, np.float64),
        ("float32", 5, 1.0, np.float32),
    ):
        x = scale * rng.normal(size=N)
        y = rng.integers(0, 2, N)
        if scale > 1:  # every combination of a huge score's sign and the label
            x[:4], y[:4] = [800.0, -800.0, 1000.0, -1000.0], [0, 1, 1, 0]
        yield label, {"x": x.astype(dtype), "y": y}


def context(inputs, want):
    """The batch size, and the gradient with its sign flipped."""
    explanation = (
        "dx = (y - s(x)) / N: the sign is flipped; the derivative of "
        "-[y log s + (1 - y) log(1 - s)] is s(x) - y"
    )
    patterns = {"dx": (Pattern("sign", explanation, -want["dx"], False),)}
    return Context(N=len(inputs["y"]), patterns=patterns)


def plain_check(call, inputs):
    """Relative error of the candidate's dx against central differences of the loss."""
    x, y = inputs["x"].astype(float), inputs["y"]
    numeric = numerical_gradient(lambda s: sigmoid_cross_entropy(s, y)[0], x.copy())
    return rel_error(call({"x": x, "y": y})["dx"], numeric)


SPEC = Spec(
    engine=sigmoid_cross_entropy,
    outputs=("loss", "dx"),
    compared=("dx",),
    cases=cases,
    hints={
        "overflow": "13-Dropout-and-Other-Losses, the stable form: softplus with log1p(exp(-|x|))",
        "sign": "13-Dropout-and-Other-Losses, the binary loss: dL/dx = (s(x) - y) / N",
        "factor-N": "13-Dropout-and-Other-Losses, the binary loss is a mean: divide by N",
        "loss": "13-Dropout-and-Other-Losses, the stable form: the loss of each sample is a "
        "softplus, finite for every finite score",
    },
    context=context,
    plain_check=plain_check,
)


# -- the gallery: sigmoid_cross_entropy(x, y) -> (loss, dx) ----------------------------------------


def _naive(x, y):
    x, y = np.asarray(x, float), np.asarray(y)
    s = np.exp(x) / (1 + np.exp(x))  # inf / inf = NaN once x > 709
    loss = -np.mean(y * np.log(s) + (1 - y) * np.log(1 - s))
    return float(loss), s, y


def sigmoid_unstable(x, y):
    loss, s, y = _naive(x, y)
    return loss, (s - y) / len(y)


def sigmoid_sign_flipped(x, y):
    loss, dx = sigmoid_cross_entropy(x, y)
    return loss, -dx  # (y - s) / N: the derivative of +log instead of -log


def sigmoid_no_mean(x, y):
    loss, dx = sigmoid_cross_entropy(x, y)
    return loss, dx * len(np.asarray(y))  # forgot the 1/N of the mean


STAGE = "sigmoid_cross_entropy"
BUGS = (
    Bug(
        "sigmoid_unstable",
        STAGE,
        "s = exp(x) / (1 + exp(x)) and log(1 - s): overflow at large |x|",
        "overflow",
        sigmoid_unstable,
    ),
    Bug("sigmoid_sign_flipped", STAGE, "dx = (y - s) / N", "sign", sigmoid_sign_flipped),
    Bug("sigmoid_no_mean", STAGE, "dx without its 1/N", "factor-N", sigmoid_no_mean),
)
