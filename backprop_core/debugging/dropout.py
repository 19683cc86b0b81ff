"""Inverted dropout for diagnose(): its cases, typical mistakes and broken versions.

Signature: ``fn(dout, cache) -> dx``, the cache ``(dropout_param, mask)`` from
``dropout_forward``; the mask already holds the scaling (0 or 1/p).
"""

from __future__ import annotations

import numpy as np

from ..gradcheck import numerical_gradient_array, rel_error
from ..layers.dropout import dropout_backward, dropout_forward
from .spec import Bug, Context, Pattern, Spec


def cases(rng):
    """Train mode (a matrix, a 3-d input, float32, p = 1) and test mode, each with a fixed seed."""
    for label, shape, p, mode, dtype in (
        ("train, p = 0.5, (4, 5)", (4, 5), 0.5, "train", np.float64),
        ("train, p = 0.8, 3-d input (2, 3, 4)", (2, 3, 4), 0.8, "train", np.float64),
        ("train, p = 1 (everything kept)", (3, 3), 1.0, "train", np.float64),
        ("test mode, p = 0.5", (4, 5), 0.5, "test", np.float64),
        ("float32, train, p = 0.6", (3, 4), 0.6, "train", np.float32),
    ):
        seed = int(rng.integers(1 << 30))
        x = rng.normal(size=shape).astype(dtype)
        _, cache = dropout_forward(x, {"p": p, "mode": mode, "seed": seed})
        yield label, {"dout": rng.normal(size=shape).astype(dtype), "cache": cache}


def redrawn_masks(shape, p, seed):
    """Masks a backward pass that draws its own would get from the forward's seed.

    cs231n's way (``np.random.seed(seed)`` then ``np.random.rand``: the legacy generator) and
    ``default_rng(seed).binomial``: both are seeded like the forward, yet draw other masks.

    >>> [m.shape for m in redrawn_masks((2, 3), 0.5, 0)]
    [(2, 3), (2, 3)]
    """
    legacy = np.random.RandomState(seed).rand(*shape) < p
    binomial = np.random.default_rng(seed).binomial(1, p, size=shape)
    return [legacy / p, binomial / p]


def context(inputs, want):
    """The mask without its 1/p, masks drawn again in the backward pass, a test-time scaling."""
    dout = inputs["dout"].astype(float)
    dropout_param, mask = inputs["cache"]
    p = dropout_param["p"]
    if dropout_param["mode"] == "test":
        explanation = (
            "dx = p * dout at test time: that is standard dropout, which scales at test time; "
            "inverted dropout scaled by 1/p in training, so at test time dx = dout"
        )
        return Context(patterns={"dx": (Pattern("test-scaling", explanation, p * dout, False),)})
    patterns = []
    if p < 1:
        explanation = (
            "dx = dout * (mask > 0): the 1/p the forward pass applied to each kept entry is "
            "missing from the gradient"
        )
        patterns.append(Pattern("no-rescale", explanation, dout * (mask != 0), False))
    explanation = (
        "dx uses a mask drawn again in the backward pass: it must reuse the forward's mask "
        "from the cache, since a fresh mask drops other entries than the forward did"
    )
    seed = dropout_param.get("seed")
    for fresh in redrawn_masks(dout.shape, p, seed) if isinstance(seed, int) else ():
        if not np.array_equal(fresh, mask):
            patterns.append(Pattern("fresh-mask", explanation, dout * fresh))
    return Context(patterns={"dx": tuple(patterns)})


def plain_check(call, inputs):
    """Relative error of the candidate's dx against central differences of dropout_forward."""
    dout, (dropout_param, _) = inputs["dout"].astype(float), inputs["cache"]
    x = np.ones(dout.shape)  # dropout is linear in x: any point gives the same derivative
    numeric = numerical_gradient_array(lambda v: dropout_forward(v, dropout_param)[0], x, dout)
    return rel_error(
        call({"dout": dout, "cache": dropout_forward(x, dropout_param)[1]})["dx"], numeric
    )


SPEC = Spec(
    engine=dropout_backward,
    outputs=("dx",),
    compared=("dx",),
    cases=cases,
    hints={
        "no-rescale": "13-Dropout-and-Other-Losses, inverted dropout: the mask holds 0 or 1/p",
        "fresh-mask": "13-Dropout-and-Other-Losses, the Jacobian: backward reuses the cached mask",
        "test-scaling": "13-Dropout-and-Other-Losses, train and test: inverted dropout is the "
        "identity at test time",
    },
    context=context,
    plain_check=plain_check,
)


# -- the gallery: dropout_backward(dout, cache) -> dx ----------------------------------------------


def dropout_mask_as_booleans(dout, cache):
    dropout_param, mask = cache
    if dropout_param["mode"] == "test":
        return np.array(dout, dtype=float)
    return np.asarray(dout, float) * (mask > 0)  # the mask read as keep/drop: 1/p forgotten


def dropout_fresh_mask(dout, cache):
    dropout_param, _ = cache
    p = dropout_param["p"]
    if dropout_param["mode"] == "test":
        return np.array(dout, dtype=float)
    # seeded as cs231n's forward seeds (np.random.seed(seed); np.random.rand), with its own
    # generator here so that the gallery leaves NumPy's global state alone
    legacy = np.random.RandomState(dropout_param.get("seed"))
    mask = (legacy.rand(*np.shape(dout)) < p) / p  # a new mask, not the forward's
    return np.asarray(dout, float) * mask


def dropout_scales_at_test(dout, cache):
    dropout_param, mask = cache
    if dropout_param["mode"] == "test":
        return dropout_param["p"] * np.asarray(dout, float)  # standard dropout's test-time p
    return np.asarray(dout, float) * mask


STAGE = "dropout_backward"
BUGS = (
    Bug(
        "dropout_mask_as_booleans",
        STAGE,
        "dout * (mask > 0): the 1/p scaling is missing",
        "no-rescale",
        dropout_mask_as_booleans,
    ),
    Bug(
        "dropout_fresh_mask",
        STAGE,
        "draws a new mask in the backward pass instead of reusing the cached one",
        "fresh-mask",
        dropout_fresh_mask,
    ),
    Bug(
        "dropout_scales_at_test",
        STAGE,
        "multiplies by p at test time (standard dropout mixed with inverted)",
        "test-scaling",
        dropout_scales_at_test,
    ),
)
