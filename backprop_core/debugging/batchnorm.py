"""Batch normalization for diagnose(): its cases, typical mistakes and broken versions.

Signature: ``fn(dout, cache) -> (dx, dgamma, dbeta)``, the cache from ``batchnorm_forward``
(a :class:`~backprop_core.layers.batchnorm.BatchnormCache`: ``mode, xc, std, xhat, gamma``).
"""

from __future__ import annotations

import numpy as np

from ..gradcheck import numerical_gradient_array, rel_error
from ..layers.batchnorm import batchnorm_backward, batchnorm_forward
from .spec import Bug, Context, Pattern, Spec

EPS = 1e-5  # the eps of every case, so a plain check can run the forward pass again


def cases(rng):
    """A square batch first (a sum over the wrong axis keeps its shape), then a tall one, a
    test-mode cache, float32 and N = 2."""
    for label, (N, D), mode, dtype in (
        ("square N = D = 4, train", (4, 4), "train", np.float64),
        ("N = 8, D = 3, train", (8, 3), "train", np.float64),
        ("test mode (running statistics)", (5, 3), "test", np.float64),
        ("float32, train", (6, 2), "train", np.float32),
        ("N = 2, train", (2, 3), "train", np.float64),
    ):
        x = (rng.normal(size=(N, D)) * rng.uniform(0.5, 3, D) + rng.normal(size=D)).astype(dtype)
        bn_param = {"mode": mode, "eps": EPS}
        if mode == "test":
            bn_param["running_mean"] = rng.normal(size=D).astype(dtype)
            bn_param["running_var"] = rng.uniform(0.5, 2, D).astype(dtype)
        gamma = rng.uniform(0.5, 2, D).astype(dtype)
        _, cache = batchnorm_forward(x, gamma, rng.normal(size=D).astype(dtype), bn_param)
        yield label, {"dout": rng.normal(size=(N, D)).astype(dtype), "cache": cache}


EXPLAIN = {
    "bn-mean-path": "the path through the batch mean is missing: dx lacks -mean(dxhat) / sigma "
    "(every x moves mu, and mu moves every xhat of its column)",
    "bn-variance-path": "the path through the batch variance is missing: dx lacks "
    "-xhat * mean(dxhat * xhat) / sigma (every x moves var, and var rescales every xhat)",
    "bn-frozen-statistics": "dx = dout * gamma / sigma: the batch mean and variance are treated "
    "as constants, the gradient of test mode, or of a forward pass that normalised with the "
    "running statistics while training; both coupling paths are missing",
    "bn-test-mode": "a test-mode cache got the training formula: in test mode the running "
    "statistics are constants, and dx = dout * gamma / sigma",
    "dgamma-axis": "dgamma summed over axis 1 (features) instead of axis 0 (samples): gamma has "
    "one entry per column, shared by every sample",
    "dbeta-axis": "dbeta summed over axis 1 (features) instead of axis 0 (samples)",
}


def train_dx(dxhat, xhat, std, axis, mean_path=True, variance_path=True):
    """dx of a normalisation with batch statistics along ``axis``, with or without each path."""
    dx = dxhat.copy()
    if mean_path:
        dx -= dxhat.mean(axis=axis, keepdims=True)
    if variance_path:
        dx -= xhat * (dxhat * xhat).mean(axis=axis, keepdims=True)
    return dx / np.expand_dims(std, axis)


def context(inputs, want):
    """The batch size, and the gradient each typical mistake gives on this case."""
    dout, cache = inputs["dout"].astype(float), inputs["cache"]
    xhat, std, gamma = (np.asarray(a, dtype=float) for a in (cache.xhat, cache.std, cache.gamma))
    dxhat = dout * gamma
    frozen = dxhat / std
    if cache.mode == "test":
        dx = (Pattern("bn-test-mode", EXPLAIN["bn-test-mode"], train_dx(dxhat, xhat, std, 0)),)
    else:
        dx = (
            Pattern("bn-frozen-statistics", EXPLAIN["bn-frozen-statistics"], frozen),
            Pattern("bn-mean-path", EXPLAIN["bn-mean-path"], train_dx(dxhat, xhat, std, 0, False)),
            Pattern(
                "bn-variance-path",
                EXPLAIN["bn-variance-path"],
                train_dx(dxhat, xhat, std, 0, True, False),
            ),
        )
    patterns = {"dx": dx}
    if dout.shape[0] == dout.shape[1]:
        patterns["dgamma"] = (
            Pattern("dgamma-axis", EXPLAIN["dgamma-axis"], (dout * xhat).sum(axis=1), False),
        )
        patterns["dbeta"] = (Pattern("dbeta-axis", EXPLAIN["dbeta-axis"], dout.sum(axis=1), False),)
    return Context(N=dout.shape[0], patterns=patterns)


def plain_check(call, inputs):
    """The largest relative error of the candidate's dx, dgamma and dbeta against central
    differences of the forward pass.

    The input is rebuilt from the cache: ``xc`` (the mean does not change a train-mode output;
    in test mode the running mean is taken as 0 and the running variance as ``std**2 - eps``).
    """
    dout, cache = inputs["dout"].astype(float), inputs["cache"]
    x, gamma = np.asarray(cache.xc, float), np.asarray(cache.gamma, float)
    beta = np.zeros_like(gamma)

    def param():
        if cache.mode == "train":
            return {"mode": "train", "eps": EPS}
        var = np.asarray(cache.std, float) ** 2 - EPS
        return {"mode": "test", "eps": EPS, "running_mean": 0 * var, "running_var": var}

    return worst_error(
        call, dout, batchnorm_forward(x, gamma, beta, param())[1],
        (lambda v: batchnorm_forward(v, gamma, beta, param())[0], x),
        (lambda v: batchnorm_forward(x, v, beta, param())[0], gamma),
        (lambda v: batchnorm_forward(x, gamma, v, param())[0], beta),
    )  # fmt: skip


def worst_error(call, dout, cache, *functions):
    """The largest relative error of dx, dgamma, dbeta, each ``(f, at)`` in that order."""
    got = call({"dout": dout.copy(), "cache": cache})
    errors = [
        rel_error(got[name], numerical_gradient_array(f, at.copy(), dout))
        for name, (f, at) in zip(("dx", "dgamma", "dbeta"), functions, strict=True)
    ]
    return max(errors)


SPEC = Spec(
    engine=batchnorm_backward,
    outputs=("dx", "dgamma", "dbeta"),
    compared=("dbeta", "dgamma", "dx"),
    cases=cases,
    hints={
        "bn-mean-path": "11-Batch-Normalization, the staged graph: x reaches xc directly "
        "and through mu (dx = dxc + dmu / N)",
        "bn-variance-path": "11-Batch-Normalization, the staged graph: xc reaches xhat "
        "directly and through var and std",
        "bn-frozen-statistics": "11-Batch-Normalization, train and test mode: in training "
        "the statistics are functions of the batch",
        "bn-test-mode": "11-Batch-Normalization, train and test mode: read cache.mode; "
        "test mode is a fixed affine map",
        "dgamma-axis": "11-Batch-Normalization, dgamma and dbeta: sum over the samples, axis 0",
        "dbeta-axis": "11-Batch-Normalization, dgamma and dbeta: sum over the samples, axis 0",
    },
    context=context,
    plain_check=plain_check,
)


# -- the gallery: batchnorm_backward(dout, cache) -> (dx, dgamma, dbeta) -------------------------


def gallery_parts(dout, cache):
    """``(dout, dxhat, dbeta, dgamma)``: what every broken normalization backward starts from."""
    dout = np.asarray(dout, dtype=np.result_type(cache.xhat, cache.gamma))
    return dout, dout * cache.gamma, dout.sum(axis=0), (dout * cache.xhat).sum(axis=0)


def batchnorm_no_mean_path(dout, cache):
    dout, dxhat, dbeta, dgamma = gallery_parts(dout, cache)
    N = dout.shape[0]
    dxc = dxhat / cache.std
    dvar = -0.5 * (dxhat * cache.xc).sum(axis=0) / cache.std**3
    dxc = dxc + 2 * cache.xc * dvar / N
    return dxc, dgamma, dbeta  # forgot: dx = dxc + dmu / N, with dmu = -dxc.sum(axis=0)


def batchnorm_no_variance_path(dout, cache):
    dout, dxhat, dbeta, dgamma = gallery_parts(dout, cache)
    N = dout.shape[0]
    dxc = dxhat / cache.std  # std treated as a constant: nothing flows into var
    dmu = -dxc.sum(axis=0)
    return dxc + dmu / N, dgamma, dbeta


def batchnorm_frozen_statistics(dout, cache):
    dout, dxhat, dbeta, dgamma = gallery_parts(dout, cache)
    return dxhat / cache.std, dgamma, dbeta  # the running statistics' gradient, while training


def batchnorm_dgamma_wrong_axis(dout, cache):
    dx, _, dbeta = batchnorm_backward(dout, cache)
    return dx, (np.asarray(dout) * cache.xhat).sum(axis=1), dbeta  # over features, not samples


def batchnorm_ignores_mode(dout, cache):
    dout, dxhat, dbeta, dgamma = gallery_parts(dout, cache)
    N = dout.shape[0]  # the cs231n training formula, whatever cache.mode says
    dx = (N * dxhat - dxhat.sum(axis=0) - cache.xhat * (dxhat * cache.xhat).sum(axis=0)) / (
        N * cache.std
    )
    return dx, dgamma, dbeta


STAGE = "batchnorm_backward"
BUGS = (
    Bug(
        "batchnorm_no_mean_path",
        STAGE,
        "staged graph without the path through the batch mean",
        "bn-mean-path",
        batchnorm_no_mean_path,
    ),
    Bug(
        "batchnorm_no_variance_path",
        STAGE,
        "staged graph without the path through the batch variance",
        "bn-variance-path",
        batchnorm_no_variance_path,
    ),
    Bug(
        "batchnorm_frozen_statistics",
        STAGE,
        "statistics treated as constants while training (running statistics)",
        "bn-frozen-statistics",
        batchnorm_frozen_statistics,
    ),
    Bug(
        "batchnorm_dgamma_wrong_axis",
        STAGE,
        "dgamma summed over the features (axis=1)",
        "dgamma-axis",
        batchnorm_dgamma_wrong_axis,
    ),
    Bug(
        "batchnorm_ignores_mode",
        STAGE,
        "the training formula applied to a test-mode cache",
        "bn-test-mode",
        batchnorm_ignores_mode,
    ),
)
