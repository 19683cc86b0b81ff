"""The affine map for diagnose(): its cases, typical mistakes and broken versions.

Signature: ``fn(dout, cache) -> (dx, dW, db)``, the cache from ``affine_forward``.
"""

from __future__ import annotations

import numpy as np

from ..layers import affine_backward, affine_forward
from .spec import Bug, Context, Pattern, Spec


def cases(rng):
    """N = 1, a non-square and a square map (where a transpose keeps its shape), float32."""
    for label, (N, D, M), dtype in (
        ("N = 1", (1, 3, 2), np.float64),
        ("non-square 5 x 4 -> 3", (5, 4, 3), np.float64),
        ("square 3 x 3 -> 3", (3, 3, 3), np.float64),
        ("float32", (4, 2, 3), np.float32),
    ):
        x, W = rng.normal(size=(N, D)).astype(dtype), rng.normal(size=(D, M)).astype(dtype)
        _, cache = affine_forward(x, W, rng.normal(size=M).astype(dtype))
        yield label, {"dout": rng.normal(size=(N, M)).astype(dtype), "cache": cache}


def context(inputs, want):
    """The batch size, and ``dout W`` (without the transpose) when W is square."""
    dout, W = inputs["dout"].astype(float), inputs["cache"].W.astype(float)
    patterns = {}
    if W.shape[0] == W.shape[1]:
        explanation = "dx = dout W: the weights need their transpose, dout W^T"
        patterns["dx"] = (Pattern("transpose", explanation, dout @ W),)
    return Context(N=dout.shape[0], patterns=patterns)


SPEC = Spec(
    engine=affine_backward,
    outputs=("dx", "dW", "db"),
    compared=("dW", "db", "dx"),
    cases=cases,
    context=context,
)


# -- the gallery: affine_backward(dout, cache) -> (dx, dW, db) -------------------------------------


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


STAGE = "affine_backward"
BUGS = (
    Bug(
        "bias_wrong_axis",
        STAGE,
        "db summed over the wrong axis (axis=1)",
        "bias-axis",
        bias_wrong_axis,
    ),
    Bug(
        "weight_operands_swapped",
        STAGE,
        "dW = dout^T x: operands in the wrong order",
        "transpose",
        weight_operands_swapped,
    ),
    Bug(
        "dx_without_transpose",
        STAGE,
        "dx = dout W instead of dout W^T",
        "transpose",
        dx_without_transpose,
    ),
)
