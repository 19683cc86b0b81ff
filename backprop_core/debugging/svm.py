"""The multiclass SVM loss for diagnose(): its cases, typical mistakes and broken versions.

Signature: ``fn(x, y) -> (loss, dx)``.
"""

from __future__ import annotations

import numpy as np

from ..gradcheck import numerical_gradient, rel_error
from ..layers.svm import margins, svm_loss
from .spec import Bug, Context, Pattern, Spec


def cases(rng):
    """N = 1, a batch, margins exactly 0 (integer scores one apart), scores of size 1e3, float32."""
    for label, N, C, scale, dtype in (
        ("N = 1, C = 3", 1, 3, 1.0, np.float64),
        ("N = 5, C = 4", 5, 4, 1.0, np.float64),
        ("margins exactly 0", 4, 3, 0.0, np.float64),
        ("scores of size 1e3", 4, 3, 1e3, np.float64),
        ("float32", 3, 4, 1.0, np.float32),
    ):
        y = rng.integers(0, C, N)
        if scale:
            x = scale * rng.normal(size=(N, C))
        else:  # integer scores: some x[i, j] = x[i, y_i] - 1 exactly, a margin of exactly 0
            x = rng.integers(-1, 2, size=(N, C)).astype(float)
            x[np.arange(N), (y + 1) % C] = x[np.arange(N), y] - 1
        yield label, {"x": x.astype(dtype), "y": y}


def context(inputs, want):
    """The batch size; the correct class's own margin counted; its -count missing; >= 0."""
    x, y = inputs["x"].astype(float), inputs["y"]
    n, rows = len(y), np.arange(len(y))
    m = margins(x, y)
    passing = (m > 0).astype(float)
    own = want["dx"].copy()
    own[rows, y] -= 1 / n  # the correct class's own margin (always 1) counted too
    no_count = passing / n  # the -count on the correct class's column left out
    at_kink = (m >= 0).astype(float)
    at_kink[rows, y] = 0
    kink = at_kink.copy()
    kink[rows, y] = -at_kink.sum(axis=1)
    patterns = [
        Pattern(
            "own-margin",
            "the correct class's own margin max(0, x_y - x_y + 1) = 1 is counted: in the "
            "correct column the gradient is -(count + 1)/N, and the loss is 1 too large",
            own,
        ),
        Pattern(
            "correct-column",
            "the correct class's column is missing -(number of classes with margin > 0)/N: "
            "every passing margin x_j - x_y + 1 also depends on x_y",
            no_count,
        ),
    ]
    if (m == 0).any():
        patterns.append(
            Pattern(
                "hinge-kink",
                "a margin of exactly 0 passes a gradient (margin >= 0): cs231n and this engine "
                "count only margin > 0, the subgradient 0 at the kink",
                kink / n,
            )
        )
    return Context(N=n, patterns={"dx": tuple(patterns)})


def plain_check(call, inputs):
    """Relative error of the candidate's dx against central differences of the loss."""
    x, y = inputs["x"].astype(float), inputs["y"]
    numeric = numerical_gradient(lambda s: svm_loss(s, y)[0], x.copy())
    return rel_error(call({"x": x, "y": y})["dx"], numeric)


SPEC = Spec(
    engine=svm_loss,
    outputs=("loss", "dx"),
    compared=("dx",),
    cases=cases,
    hints={
        "own-margin": "13-Dropout-and-Other-Losses, the SVM loss: the sum runs over j != y_i",
        "correct-column": "13-Dropout-and-Other-Losses, the SVM gradient: the correct column "
        "gets minus the count of passing classes",
        "hinge-kink": "13-Dropout-and-Other-Losses, the kink: a margin of exactly 0 passes nothing",
        "factor-N": "13-Dropout-and-Other-Losses, the SVM loss is a mean: divide by N",
        "loss": "13-Dropout-and-Other-Losses, the SVM loss: margins of the classes j != y_i, "
        "averaged over N",
    },
    context=context,
    plain_check=plain_check,
)


# -- the gallery: svm_loss(x, y) -> (loss, dx) -----------------------------------------------------


def _hinge(x, y):
    x, y = np.asarray(x, float), np.asarray(y)
    rows = np.arange(len(y))
    return x - x[rows, y][:, None] + 1, rows


def svm_counts_own_margin(x, y):
    m, rows = _hinge(x, y)  # the correct class's own margin (1) is not zeroed
    passing = m > 0
    dx = passing.astype(float)
    dx[rows, y] = -passing.sum(axis=1)  # the count includes the correct class itself
    return float(np.maximum(m, 0).sum() / len(y)), dx / len(y)


def svm_no_correct_column(x, y):
    m, rows = _hinge(x, y)
    m[rows, y] = 0
    dx = (m > 0).astype(float)  # forgot: dx[rows, y] -= count
    return float(np.maximum(m, 0).sum() / len(y)), dx / len(y)


def svm_no_mean(x, y):
    m, rows = _hinge(x, y)
    m[rows, y] = 0
    dx = (m > 0).astype(float)
    dx[rows, y] -= dx.sum(axis=1)
    return float(np.maximum(m, 0).sum() / len(y)), dx  # forgot: dx /= N


def svm_kink_counts(x, y):
    m, rows = _hinge(x, y)
    m[rows, y] = -1.0  # keep the correct class out of the >= test below
    dx = (m >= 0).astype(float)  # a margin of exactly 0 passes a gradient
    dx[rows, y] -= dx.sum(axis=1)
    return float(np.maximum(m, 0).sum() / len(y)), dx / len(y)


STAGE = "svm_loss"
BUGS = (
    Bug(
        "svm_counts_own_margin",
        STAGE,
        "counts the correct class's own margin of 1",
        "own-margin",
        svm_counts_own_margin,
    ),
    Bug(
        "svm_no_correct_column",
        STAGE,
        "forgets -count on the correct class's column",
        "correct-column",
        svm_no_correct_column,
    ),
    Bug("svm_no_mean", STAGE, "dx without its 1/N", "factor-N", svm_no_mean),
    Bug(
        "svm_kink_counts",
        STAGE,
        "margin >= 0 passes a gradient at the kink",
        "hinge-kink",
        svm_kink_counts,
    ),
)
