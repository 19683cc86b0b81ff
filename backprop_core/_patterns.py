"""Reading the difference between a candidate's gradient and the engine's: the likely cause.

Shapes first (a transpose, a sum over the wrong axis), then values: non-finite entries, a constant
factor (N, 2, -1), a transpose that a square shape hid, a stage's typical alternative (a softmax
over the wrong axis, a mask from the wrong array, the regularisation term), differences only at
kinks.
"""

from __future__ import annotations

import numpy as np


def _where(diff_mask) -> str:
    idx = np.argwhere(diff_mask)
    if diff_mask.ndim == 2:
        rows, cols = sorted(set(idx[:, 0].tolist())), sorted(set(idx[:, 1].tolist()))
        return f"{len(idx)} of {diff_mask.size} entries, rows {rows[:8]}, columns {cols[:8]}"
    return f"{len(idx)} of {diff_mask.size} entries, e.g. {[tuple(i) for i in idx[:4].tolist()]}"


def _classify(name, got, want, context):
    """``(cause, explanation, where)`` for a gradient that differs from the engine's."""
    got = np.asarray(got, dtype=float) if got is not None else None
    if got is None or got.shape != want.shape:
        shape = None if got is None else got.shape
        if shape == want.shape[::-1]:
            return "transpose", f"shape {shape}, the transpose of the expected {want.shape}", None
        if name.startswith("db") and shape == (context.get("N"),):
            return "bias-axis", f"shape {shape}: one entry per sample instead of per column", None
        return "shape", f"shape {shape}, expected {want.shape}", None
    if not np.isfinite(got).all():
        return "overflow", "non-finite values where the engine's are finite (large inputs)", None
    tol = context["tol"]
    diff = ~np.isclose(got, want, rtol=tol, atol=tol * max(1.0, float(np.abs(want).max())))
    where = _where(diff)
    nonzero = np.abs(want) > tol
    if nonzero.any():
        ratios = got[nonzero] / want[nonzero]
        k = float(np.median(ratios))
        if np.allclose(ratios, k, rtol=1e-6) and np.allclose(got, k * want, rtol=1e-6, atol=tol):
            N = context.get("N")
            if N and N > 1 and np.isclose(k, N):
                return (
                    "factor-N",
                    f"every entry is N = {N} times too large: the 1/N is missing",
                    where,
                )
            return "factor", f"every entry is {k:.3g} times the right value", where
    if want.ndim == 2 and want.shape[0] == want.shape[1] and np.allclose(got, want.T, atol=tol):
        return (
            "transpose",
            "the transpose of the right gradient (square, so the shape agreed)",
            where,
        )
    for cause, explain, alternative in context.get("patterns", ()):
        if alternative is not None and np.allclose(got, alternative, atol=tol):
            return cause, explain, where
    kinks = context.get("kinks")
    if kinks is not None and kinks.shape == diff.shape and diff[~kinks].sum() == 0:
        return "kink", "differs only where the ReLU's input is exactly 0", where
    return "values", f"max |difference| {float(np.max(np.abs(got - want))):.3g}", where


def _context(stage, inputs, want):
    """What the classifier needs to recognise this stage's typical mistakes."""
    dtype = (
        next(v.dtype for v in inputs.values() if isinstance(v, np.ndarray) and v.dtype.kind == "f")
        if stage != "two_layer_loss"
        else np.float64
    )
    context = {"tol": 1e-4 if dtype == np.float32 else 1e-9, "patterns": []}
    if stage == "softmax_cross_entropy":
        scores, y = inputs["scores"].astype(float), inputs["y"]
        context["N"] = len(y)
        shifted = np.exp(scores - scores.max(axis=0, keepdims=True))
        other = shifted / shifted.sum(axis=0, keepdims=True)
        other[np.arange(len(y)), y] -= 1
        context["patterns"].append(
            (
                "softmax-axis",
                "probabilities normalised along axis 0 (over "
                "samples) instead of axis 1 (over classes)",
                other / len(y),
            )
        )
    elif stage == "affine_backward":
        dout, W = inputs["dout"].astype(float), inputs["cache"].W.astype(float)
        context["N"] = dout.shape[0]
        if W.shape[0] == W.shape[1]:
            context["patterns"].append(
                ("transpose", "dx = dout W: the weights need their transpose, dout W^T", dout @ W)
            )
    elif stage == "relu_backward":
        dout, x = inputs["dout"].astype(float), inputs["cache"].x
        context["kinks"] = x == 0
        context["patterns"].append(
            (
                "mask-array",
                "the mask is taken from dout, not from the ReLU's input",
                dout * (dout > 0),
            )
        )
    else:
        params, reg = inputs["params"], inputs["reg"]
        context["N"] = len(inputs["y"])
        for name in ("W1", "W2"):
            if reg:
                context[f"reg d{name}"] = (
                    want[f"d{name}"] - reg * params[name],
                    want[f"d{name}"] - 2 * reg * params[name],
                )
    return context


def _net_classify(name, got, want, context):
    """Two-layer gradients: first the regularisation patterns, then the generic reading."""
    pair = context.get(f"reg {name}")
    if pair is not None and got is not None and np.shape(got) == want.shape:
        half, none = pair
        if np.allclose(got, half, atol=1e-9):
            return "reg-factor", "the regularisation gradient is reg * W, half of 2 * reg * W", None
        if np.allclose(got, none, atol=1e-9):
            return "reg-missing", "the regularisation gradient 2 * reg * W is missing", None
    return _classify(name, got, want, context)


def _net_stage(got, want, explanation):
    """A whole-net difference that matches no pattern: list every gradient that is wrong."""
    wrong = [
        n
        for n in ("dW2", "db2", "dW1", "db1")
        if got.get(n) is None
        or np.shape(got[n]) != want[n].shape
        or not np.allclose(got[n], want[n], atol=1e-8)
    ]
    return f"{explanation}; wrong: {', '.join(wrong)}"
