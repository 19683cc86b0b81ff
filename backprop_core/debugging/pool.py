"""Max pooling for diagnose(): its cases, typical mistakes and broken versions.

Signature: ``fn(dout, cache) -> dx``, the cache ``(x, pool_param)`` from
``max_pool_forward_naive``. Ties go to the first maximum of each window (row-major order).
"""

from __future__ import annotations

import numpy as np

from ..layers.pool import max_pool_backward_naive, max_pool_forward_naive
from .spec import Bug, Context, Pattern, Spec


def _param(ph, pw, stride):
    return {"pool_height": ph, "pool_width": pw, "stride": stride}


def cases(rng):
    """Ties (small integers, a constant image), overlapping and non-square pools, float32."""
    for label, x, param in (
        ("2x2 stride 2 with ties", rng.integers(0, 3, (2, 2, 4, 4)), _param(2, 2, 2)),
        (
            "N = 1, 3x3 stride 2 overlapping, ties",
            rng.integers(0, 3, (1, 1, 5, 5)),
            _param(3, 3, 2),
        ),
        ("a 2 x 3 pool, stride 1", rng.normal(size=(2, 1, 4, 5)), _param(2, 3, 1)),
        ("a constant image: every entry tied", np.ones((1, 2, 4, 4)), _param(2, 2, 2)),
        ("float32", rng.normal(size=(2, 3, 4, 6)).astype(np.float32), _param(2, 2, 2)),
    ):
        x = x.astype(x.dtype if x.dtype == np.float32 else np.float64)
        out, cache = max_pool_forward_naive(x, param)
        dout = rng.normal(size=out.shape).astype(x.dtype)
        yield label, {"dout": dout, "cache": cache}


def _routes(x, pool_param, rule):
    """dx for dout = the window's own gradient, with the entries ``rule(window)`` picks."""
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    Ho, Wo = 1 + (x.shape[2] - ph) // s, 1 + (x.shape[3] - pw) // s

    def dx(dout):
        grad = np.zeros(x.shape)
        for n, c, i, j in np.ndindex(*x.shape[:2], Ho, Wo):
            window = x[n, c, s * i : s * i + ph, s * j : s * j + pw]
            for u, v in rule(window, s * i, s * j):
                grad[n, c, u, v] += dout[n, c, i, j]
        return grad

    return dx


def _every_tie(window, top, left):
    return [(top + u, left + v) for u, v in np.argwhere(window == window.max())]


def _no_offset(window, top, left):
    return [divmod(int(np.argmax(window)), window.shape[1])]  # the index within the window


def context(inputs, want):
    """The gradient sent to every tied maximum, or to the index within the window."""
    dout, (x, param) = inputs["dout"].astype(float), inputs["cache"]
    x = x.astype(float)
    ties = "the gradient goes to every tied maximum of a window; max routes it to one entry "
    ties += "(here the first maximum in row-major order), or the window's gradient is counted "
    ties += "several times"
    offset = "the index of the maximum within its window is used as an index into x: add the "
    offset += "window's corner (stride * i, stride * j)"
    return Context(
        N=dout.shape[0],
        patterns={
            "dx": (
                Pattern("ties", ties, _routes(x, param, _every_tie)(dout)),
                Pattern("window-offset", offset, _routes(x, param, _no_offset)(dout)),
            )
        },
    )


SPEC = Spec(
    engine=max_pool_backward_naive,
    outputs=("dx",),
    compared=("dx",),
    cases=cases,
    hints={
        "ties": "12-Convolution-and-Pooling, 'Max pooling: routing and ties': one entry per "
        "window takes the gradient, the first maximum (np.argmax of the window)",
        "window-offset": "12-Convolution-and-Pooling, 'Max pooling: routing and ties': the "
        "maximum of window (i, j) sits at x[n, c, stride*i + u, stride*j + v]",
    },
    context=context,
)


# -- the gallery: max_pool_backward_naive(dout, cache) -> dx ---------------------------------------


def pool_every_tie(dout, cache):
    x, param = cache
    ph, pw, s = param["pool_height"], param["pool_width"], param["stride"]
    dout = np.asarray(dout, float)
    dx = np.zeros(x.shape)
    for n, c, i, j in np.ndindex(dout.shape):
        window = x[n, c, s * i : s * i + ph, s * j : s * j + pw]
        mask = window == window.max()  # every tied maximum gets the whole gradient
        dx[n, c, s * i : s * i + ph, s * j : s * j + pw] += mask * dout[n, c, i, j]
    return dx


def pool_index_without_offset(dout, cache):
    x, param = cache
    ph, pw, s = param["pool_height"], param["pool_width"], param["stride"]
    dout = np.asarray(dout, float)
    dx = np.zeros(x.shape)
    for n, c, i, j in np.ndindex(dout.shape):
        window = x[n, c, s * i : s * i + ph, s * j : s * j + pw]
        u, v = np.unravel_index(np.argmax(window), window.shape)
        dx[n, c, u, v] += dout[n, c, i, j]  # the window's own index, without its corner
    return dx


STAGE = "max_pool_backward_naive"
BUGS = (
    Bug(
        "pool_every_tie",
        STAGE,
        "the gradient sent to every tied maximum (mask x == max)",
        "ties",
        pool_every_tie,
    ),
    Bug(
        "pool_index_without_offset",
        STAGE,
        "argmax within the window used as an index into x, without the window's corner",
        "window-offset",
        pool_index_without_offset,
    ),
)
