"""The ReLU for diagnose(): its cases, typical mistakes and broken versions.

Signature: ``fn(dout, cache) -> dx``, the cache from ``relu_forward``.
"""

from __future__ import annotations

import numpy as np

from ..gradcheck import numerical_gradient_array, rel_error
from ..layers import relu_backward, relu_forward
from .spec import Bug, Context, Pattern, Spec


def cases(rng):
    """A vector and a matrix with inputs exactly at the kink, float32."""
    for label, shape, dtype in (
        ("a vector with exact zeros", (7,), np.float64),
        ("a matrix with exact zeros", (4, 5), np.float64),
        ("float32", (3, 4), np.float32),
    ):
        x = rng.normal(size=shape).astype(dtype)
        x.flat[::3] = 0.0  # every third input exactly at the kink
        _, cache = relu_forward(x)
        yield label, {"dout": rng.normal(size=shape).astype(dtype), "cache": cache}


def context(inputs, want):
    """Where the input is exactly 0, and the mask taken from dout instead of the input."""
    dout, x = inputs["dout"].astype(float), inputs["cache"].x
    explanation = "the mask is taken from dout, not from the ReLU's input"
    return Context(
        kinks=x == 0, patterns={"dx": (Pattern("mask-array", explanation, dout * (dout > 0)),)}
    )


def plain_check(call, inputs):
    """Relative error of the candidate's dx against central differences of the ReLU."""
    x, dout = inputs["cache"].x.astype(float), inputs["dout"].astype(float)
    numeric = numerical_gradient_array(lambda v: relu_forward(v)[0], x.copy(), dout)
    return rel_error(call({"dout": dout.copy(), "cache": relu_forward(x)[1]})["dx"], numeric)


SPEC = Spec(
    engine=relu_backward,
    outputs=("dx",),
    compared=("dx",),
    cases=cases,
    hints={
        "mask-array": "05-ReLU-Gradient: the mask comes from the ReLU's input, x > 0",
        "kink": "05-ReLU-Gradient, the value at exactly zero: x > 0 (or the chosen at_zero)",
    },
    context=context,
    plain_check=plain_check,
)


# -- the gallery: relu_backward(dout, cache, at_zero=0.0) -> dx ------------------------------------


def relu_mutates_dout(dout, cache, at_zero=0.0):
    dout[cache.x <= 0] = 0  # right values, but the caller's dout is changed in place
    return dout


def relu_mask_from_dout(dout, cache, at_zero=0.0):
    dout = np.asarray(dout, float)
    return dout * (dout > 0)  # mask from the gradient instead of the input


def relu_seed_convention(dout, cache, at_zero=0.0):
    return np.asarray(dout, float) * (cache.x >= 0)  # the seed's >= whatever at_zero says


STAGE = "relu_backward"
BUGS = (
    Bug(
        "relu_mutates_dout",
        STAGE,
        "zeroes the caller's dout in place",
        "mutation",
        relu_mutates_dout,
    ),
    Bug(
        "relu_mask_from_dout",
        STAGE,
        "mask taken from dout instead of the input",
        "mask-array",
        relu_mask_from_dout,
    ),
    Bug(
        "relu_seed_convention",
        STAGE,
        "the seed's >= 0: slope 1 at an input of 0",
        "kink",
        relu_seed_convention,
    ),
)
