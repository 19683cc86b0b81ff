"""Layer normalization for diagnose(): its cases, typical mistakes and broken versions.

Signature: ``fn(dout, cache) -> (dx, dgamma, dbeta)``, the cache from ``layernorm_forward``
(a :class:`~backprop_core.layers.layernorm.LayernormCache`: ``xc, std, xhat, gamma``).
"""

from __future__ import annotations

import numpy as np

from ..layers.layernorm import layernorm_backward, layernorm_forward
from .batchnorm import EXPLAIN, gallery_parts, train_dx, worst_error
from .spec import Bug, Context, Pattern, Spec

EPS = 1e-5


def cases(rng):
    """A square batch first (a wrong axis keeps its shape), a wide one, float32, and N = 1."""
    for label, (N, D), dtype in (
        ("square N = D = 4", (4, 4), np.float64),
        ("N = 3, D = 6", (3, 6), np.float64),
        ("float32", (5, 3), np.float32),
        ("N = 1", (1, 5), np.float64),
    ):
        x = rng.normal(size=(N, D)) * rng.uniform(0.5, 3, (N, 1)) + rng.normal(size=(N, 1))
        gamma = rng.uniform(0.5, 2, D).astype(dtype)
        beta = rng.normal(size=D).astype(dtype)
        _, cache = layernorm_forward(x.astype(dtype), gamma, beta, {"eps": EPS})
        yield label, {"dout": rng.normal(size=(N, D)).astype(dtype), "cache": cache}


LN_EXPLAIN = {
    "ln-batch-axis": "the means of the backward pass are taken over the batch (axis 0), as in "
    "batch norm: layer norm normalises each sample over its features (axis 1)",
    "ln-mean-path": "the path through each sample's mean is missing: dx lacks "
    "-mean(dxhat) / sigma, the mean over the features",
    "ln-variance-path": "the path through each sample's variance is missing: dx lacks "
    "-xhat * mean(dxhat * xhat) / sigma, the mean over the features",
    "ln-dgamma-axis": "dgamma summed over the features (axis 1), like the statistics: gamma has "
    "one entry per feature, shared by every sample, so it sums over axis 0",
}


def context(inputs, want):
    """The batch size, and the gradient each typical mistake gives on this case."""
    dout, cache = inputs["dout"].astype(float), inputs["cache"]
    xhat, std, gamma = (np.asarray(a, dtype=float) for a in (cache.xhat, cache.std, cache.gamma))
    dxhat = dout * gamma
    patterns = {
        "dx": (
            Pattern(
                "ln-mean-path", LN_EXPLAIN["ln-mean-path"], train_dx(dxhat, xhat, std, 1, False)
            ),
            Pattern(
                "ln-variance-path",
                LN_EXPLAIN["ln-variance-path"],
                train_dx(dxhat, xhat, std, 1, True, False),
            ),
        )
    }
    if dout.shape[0] > 1:  # with one sample, a mean over the batch is the sample itself
        batch_axis = (dxhat - dxhat.mean(0) - xhat * (dxhat * xhat).mean(0)) / std[:, None]
        patterns["dx"] += (Pattern("ln-batch-axis", LN_EXPLAIN["ln-batch-axis"], batch_axis),)
    if dout.shape[0] == dout.shape[1]:
        patterns["dgamma"] = (
            Pattern(
                "ln-dgamma-axis", LN_EXPLAIN["ln-dgamma-axis"], (dout * xhat).sum(axis=1), False
            ),
        )
        patterns["dbeta"] = (Pattern("dbeta-axis", EXPLAIN["dbeta-axis"], dout.sum(axis=1), False),)
    return Context(N=dout.shape[0], patterns=patterns)


def plain_check(call, inputs):
    """The largest relative error of the candidate's dx, dgamma and dbeta against central
    differences, at the input ``xc`` of the cache (a row's mean does not change its output)."""
    dout, cache = inputs["dout"].astype(float), inputs["cache"]
    x, gamma = np.asarray(cache.xc, float), np.asarray(cache.gamma, float)
    beta, param = np.zeros_like(gamma), {"eps": EPS}
    return worst_error(
        call, dout, layernorm_forward(x, gamma, beta, param)[1],
        (lambda v: layernorm_forward(v, gamma, beta, param)[0], x),
        (lambda v: layernorm_forward(x, v, beta, param)[0], gamma),
        (lambda v: layernorm_forward(x, gamma, v, param)[0], beta),
    )  # fmt: skip


SPEC = Spec(
    engine=layernorm_backward,
    outputs=("dx", "dgamma", "dbeta"),
    compared=("dbeta", "dgamma", "dx"),
    cases=cases,
    hints={
        "ln-batch-axis": "11-Batch-Normalization, layer norm: the same closed form, "
        "its means over axis 1",
        "ln-mean-path": "11-Batch-Normalization, layer norm: each sample's mean depends on "
        "all of its features",
        "ln-variance-path": "11-Batch-Normalization, layer norm: each sample's variance "
        "depends on all of its features",
        "ln-dgamma-axis": "11-Batch-Normalization, layer norm: dgamma and dbeta still sum over "
        "the samples, axis 0",
        "dbeta-axis": "11-Batch-Normalization, dgamma and dbeta: sum over the samples, axis 0",
    },
    context=context,
    plain_check=plain_check,
)


# -- the gallery: layernorm_backward(dout, cache) -> (dx, dgamma, dbeta) -------------------------


def layernorm_batch_axis(dout, cache):
    dout, dxhat, dbeta, dgamma = gallery_parts(dout, cache)
    N = dout.shape[0]  # batch norm's formula, copied with its sums over the samples
    dx = N * dxhat - dxhat.sum(axis=0) - cache.xhat * (dxhat * cache.xhat).sum(axis=0)
    return dx / (N * cache.std[:, None]), dgamma, dbeta


def layernorm_no_variance_path(dout, cache):
    dout, dxhat, dbeta, dgamma = gallery_parts(dout, cache)
    dx = (dxhat - dxhat.mean(axis=1, keepdims=True)) / cache.std[:, None]  # std held constant
    return dx, dgamma, dbeta


def layernorm_dgamma_over_features(dout, cache):
    dx, _, dbeta = layernorm_backward(dout, cache)
    return dx, (np.asarray(dout) * cache.xhat).sum(axis=1), dbeta  # axis 1, like the statistics


STAGE = "layernorm_backward"
BUGS = (
    Bug(
        "layernorm_batch_axis",
        STAGE,
        "batch norm's backward: means over the batch instead of the features",
        "ln-batch-axis",
        layernorm_batch_axis,
    ),
    Bug(
        "layernorm_no_variance_path",
        STAGE,
        "without the path through each sample's variance",
        "ln-variance-path",
        layernorm_no_variance_path,
    ),
    Bug(
        "layernorm_dgamma_over_features",
        STAGE,
        "dgamma summed over the features (axis=1)",
        "ln-dgamma-axis",
        layernorm_dgamma_over_features,
    ),
)
