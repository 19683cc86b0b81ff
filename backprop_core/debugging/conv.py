"""The convolution for diagnose(): its cases, typical mistakes and broken versions.

Signature: ``fn(dout, cache) -> (dx, dw, db)``, the cache ``(x, w, b, conv_param)`` from
``conv_forward_naive``.
"""

from __future__ import annotations

import numpy as np

from ..layers import conv
from ..layers.conv import conv_backward_naive, conv_forward_naive
from .spec import Bug, Context, Pattern, Spec

CASES = (  # label, x shape, w shape, stride, pad, dtype
    ("N = 1, stride 1, pad 1", (1, 2, 5, 5), (3, 2, 3, 3), 1, 1, np.float64),
    ("stride 2, pad 1", (2, 2, 5, 5), (2, 2, 3, 3), 2, 1, np.float64),
    ("no padding, a 2 x 3 kernel", (2, 1, 4, 5), (3, 1, 2, 3), 1, 0, np.float64),
    ("float32, pad 2", (2, 3, 4, 4), (2, 3, 3, 3), 1, 2, np.float32),
)


def cases(rng):
    """N = 1, stride 2, no padding with a non-square kernel, float32 with a wide padding."""
    for label, x_shape, w_shape, stride, pad, dtype in CASES:
        x = rng.normal(size=x_shape).astype(dtype)
        w = rng.normal(size=w_shape).astype(dtype)
        out, cache = conv_forward_naive(
            x, w, rng.normal(size=w_shape[0]).astype(dtype), {"stride": stride, "pad": pad}
        )
        yield label, {"dout": rng.normal(size=out.shape).astype(dtype), "cache": cache}


def padded_gradient(dout, x, w, stride, pad):
    """dL/dxp, the gradient with respect to the padded input, before the crop."""
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    dcols = dout.transpose(0, 2, 3, 1).reshape(-1, F) @ w.reshape(F, -1)
    return conv.col2im(dcols, (N, C, H + 2 * pad, W + 2 * pad), HH, WW, stride, 0)


def context(inputs, want):
    """A kernel flipped in dw or dx, a crop in the wrong place, db over the wrong axes."""
    dout = inputs["dout"].astype(float)
    x, w, _, param = inputs["cache"]
    x, w, stride, pad = x.astype(float), w.astype(float), param["stride"], param["pad"]
    H, W = x.shape[2:]
    flipped = "the kernel is flipped (rotated 180 degrees) in dw: dw is a cross-correlation "
    flipped += "of the padded x with dout, not a convolution"
    patterns = {"dw": (Pattern("flipped-kernel", flipped, want["dw"][:, :, ::-1, ::-1]),)}
    unflipped = "dx is a full convolution of dout with the kernel rotated 180 degrees; "
    unflipped += "this one used the kernel as it is"
    dx_unflipped = padded_gradient(dout, x, w[:, :, ::-1, ::-1], stride, pad)
    dx_patterns = [
        Pattern(
            "flipped-kernel", unflipped, dx_unflipped[:, :, pad : -pad or None, pad : -pad or None]
        )
    ]
    dxp = padded_gradient(dout, x, w, stride, pad)
    for a in range(2 * pad + 1):
        for c in range(2 * pad + 1):
            if (a, c) != (pad, pad):
                crop = f"the padding is cropped from dx in the wrong place: rows {a}:{a + H} and "
                crop += f"columns {c}:{c + W} of the padded gradient, not {pad}:{pad + H}"
                dx_patterns.append(Pattern("padding-crop", crop, dxp[:, :, a : a + H, c : c + W]))
    patterns["dx"] = tuple(dx_patterns)
    if dout.shape[0] == dout.shape[1]:  # db over the wrong axes, its shape unchanged
        wrong = "db summed over axes (1, 2, 3), per sample; sum over the batch and both "
        wrong += "spatial axes, (0, 2, 3)"
        patterns["db"] = (Pattern("bias-axis", wrong, dout.sum(axis=(1, 2, 3))),)
    return Context(N=dout.shape[0], patterns=patterns)


SPEC = Spec(
    engine=conv_backward_naive,
    outputs=("dx", "dw", "db"),
    compared=("db", "dw", "dx"),
    cases=cases,
    hints={
        "flipped-kernel": "12-Convolution-and-Pooling, 'dw: a cross-correlation of the input "
        "with the upstream gradient' and 'dx: a full convolution with the flipped kernel'",
        "padding-crop": "12-Convolution-and-Pooling, 'dx: a full convolution with the flipped "
        "kernel': crop pad rows and columns from each side, dxp[:, :, pad:-pad, pad:-pad]",
        "shape": "12-Convolution-and-Pooling: dx has the shape of x (N, C, H, W), dw of w, db of "
        "b; a dx of the padded shape still holds the padding: crop it",
        "bias-axis": "12-Convolution-and-Pooling, 'dw: a cross-correlation ...': db sums dout "
        "over the batch and both spatial axes, (0, 2, 3), one entry per filter",
    },
    context=context,
)


# -- the gallery: conv_backward_naive(dout, cache) -> (dx, dw, db) ---------------------------------


def conv_dw_flipped(dout, cache):
    dx, dw, db = conv_backward_naive(dout, cache)
    return dx, dw[:, :, ::-1, ::-1].copy(), db  # a convolution of x with dout: kernel flipped


def conv_dx_not_cropped(dout, cache):
    x, w, _, param = cache
    _, dw, db = conv_backward_naive(dout, cache)
    dout = np.asarray(dout, float)
    return padded_gradient(dout, x, w, param["stride"], param["pad"]), dw, db  # padding kept


def conv_dx_cropped_one_side(dout, cache):
    x, w, _, param = cache
    _, dw, db = conv_backward_naive(dout, cache)
    dxp = padded_gradient(np.asarray(dout, float), x, w, param["stride"], param["pad"])
    H, W = x.shape[2:]
    return dxp[:, :, :H, :W], dw, db  # all 2 pad rows cut from the bottom, none from the top


def conv_db_wrong_axes(dout, cache):
    dx, dw, _ = conv_backward_naive(dout, cache)
    return dx, dw, np.asarray(dout, float).sum(axis=(1, 2, 3))  # one entry per sample


STAGE = "conv_backward_naive"
BUGS = (
    Bug(
        "conv_dw_flipped",
        STAGE,
        "dw with the kernel flipped: a convolution instead of a cross-correlation",
        "flipped-kernel",
        conv_dw_flipped,
    ),
    Bug(
        "conv_dx_not_cropped",
        STAGE,
        "dx keeps the padding: the padded input's shape",
        "shape",
        conv_dx_not_cropped,
    ),
    Bug(
        "conv_dx_cropped_one_side",
        STAGE,
        "the padding cropped from one side of dx only",
        "padding-crop",
        conv_dx_cropped_one_side,
    ),
    Bug(
        "conv_db_wrong_axes",
        STAGE,
        "db summed over axes (1, 2, 3) instead of (0, 2, 3)",
        "bias-axis",
        conv_db_wrong_axes,
    ),
)
