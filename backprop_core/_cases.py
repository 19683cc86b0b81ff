"""The cases diagnose() runs a candidate on, and how it calls the candidate and the engine.

Each stage has cases learners forget (N = 1, non-square and square shapes, inputs exactly at the
ReLU kink, scores of size 1e3, float32); the engine's answer is the reference.
"""

from __future__ import annotations

import numpy as np

from . import layers
from .net import TwoLayerNet


def _softmax_cases(rng):
    for label, N, C, scale, dtype in (
        ("N = 1, C = 2", 1, 2, 1.0, np.float64),
        ("N = 5, C = 3", 5, 3, 1.0, np.float64),
        ("scores of size 1e3", 4, 3, 1e3, np.float64),
        ("float32", 3, 4, 1.0, np.float32),
    ):
        scores = (scale * rng.normal(size=(N, C))).astype(dtype)
        yield label, {"scores": scores, "y": rng.integers(0, C, N)}


def _affine_cases(rng):
    for label, (N, D, M), dtype in (
        ("N = 1", (1, 3, 2), np.float64),
        ("non-square 5 x 4 -> 3", (5, 4, 3), np.float64),
        ("square 3 x 3 -> 3", (3, 3, 3), np.float64),
        ("float32", (4, 2, 3), np.float32),
    ):
        x, W = rng.normal(size=(N, D)).astype(dtype), rng.normal(size=(D, M)).astype(dtype)
        _, cache = layers.affine_forward(x, W, rng.normal(size=M).astype(dtype))
        yield label, {"dout": rng.normal(size=(N, M)).astype(dtype), "cache": cache}


def _relu_cases(rng):
    for label, shape, dtype in (
        ("a vector with exact zeros", (7,), np.float64),
        ("a matrix with exact zeros", (4, 5), np.float64),
        ("float32", (3, 4), np.float32),
    ):
        x = rng.normal(size=shape).astype(dtype)
        x.flat[::3] = 0.0  # every third input exactly at the kink
        _, cache = layers.relu_forward(x)
        yield label, {"dout": rng.normal(size=shape).astype(dtype), "cache": cache}


def _net_cases(rng):
    for label, (N, D, H, C), reg, kink in (
        ("N = 1", (1, 3, 4, 2), 0.0, False),
        ("N = 5, no reg", (5, 4, 6, 3), 0.0, False),
        ("N = 5, reg 0.1", (5, 4, 6, 3), 0.1, False),
        ("an input at a kink", (4, 3, 5, 3), 0.05, True),
    ):
        net = TwoLayerNet(D, H, C, std=0.5, seed=int(rng.integers(1 << 30)))
        X = rng.normal(size=(N, D))
        if kink:
            X[0] = 0.0  # with b1 = 0 every pre-activation of sample 0 is exactly 0
        yield label, {"params": net.params, "X": X, "y": rng.integers(0, C, N), "reg": reg}


CASES = {
    "softmax_cross_entropy": _softmax_cases,
    "affine_backward": _affine_cases,
    "relu_backward": _relu_cases,
    "two_layer_loss": _net_cases,
}


ORDER = {
    "softmax_cross_entropy": ("dscores",),
    "affine_backward": ("dW", "db", "dx"),
    "relu_backward": ("dx",),
    "two_layer_loss": ("dW2", "db2", "dW1", "db1"),
}


def _reference(stage, inputs):
    if stage == "softmax_cross_entropy":
        return dict(zip(("loss", "dscores"), layers.softmax_cross_entropy(**inputs), strict=True))
    if stage == "affine_backward":
        return dict(zip(("dx", "dW", "db"), layers.affine_backward(**inputs), strict=True))
    if stage == "relu_backward":
        return {"dx": layers.relu_backward(**inputs)}
    net = TwoLayerNet(*inputs["params"]["W1"].shape, inputs["params"]["W2"].shape[1])
    net.params = {k: v.copy() for k, v in inputs["params"].items()}
    loss, grads = net.loss(inputs["X"], inputs["y"], inputs["reg"])
    return {"loss": loss, **{"d" + k: v for k, v in grads.items()}}


def _call(stage, fn, inputs):
    args = list(inputs.values())  # positional: a learner may name the parameters differently
    if stage == "two_layer_loss":
        loss, grads = fn(*args)
        return {"loss": loss, **{"d" + k: grads.get(k) for k in ("W2", "b2", "W1", "b1")}}
    out = fn(*args)
    names = {
        "softmax_cross_entropy": ("loss", "dscores"),
        "affine_backward": ("dx", "dW", "db"),
        "relu_backward": ("dx",),
    }[stage]
    out = out if isinstance(out, tuple) else (out,)
    return dict(zip(names, out, strict=False))


def _copy(value):
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return (
            type(value)(*(_copy(v) for v in value))
            if hasattr(value, "_fields")
            else tuple(_copy(v) for v in value)
        )
    return value


def _changed(before, after, prefix=""):
    """Name of the first argument whose arrays differ after the call, or None."""
    for key in before:
        b, a = before[key], after[key]
        if isinstance(b, np.ndarray) and not np.array_equal(a, b, equal_nan=True):
            return prefix + key
        if isinstance(b, dict | tuple):
            keys = b.keys() if isinstance(b, dict) else getattr(b, "_fields", range(len(b)))
            for k in keys:
                bv, av = (b[k], a[k]) if isinstance(b, dict) else (getattr(b, k), getattr(a, k))
                if isinstance(bv, np.ndarray) and not np.array_equal(av, bv):
                    return f"{prefix}{key}.{k}" if not isinstance(b, dict) else f"{key}['{k}']"
    return None
