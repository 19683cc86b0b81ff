"""Reading the difference between a candidate's result and the engine's: the likely cause.

Shapes first (a transpose, a sum over the wrong axis), then values: non-finite entries (an
overflow when the case has large inputs), a stage's typical mistakes (from its
:class:`~backprop_core.debugging.spec.Context`), a constant factor (N, 2, -1), a transpose that a
square shape hid, differences only at kinks.
"""

from __future__ import annotations

import numpy as np

from .spec import Context


def where(diff_mask: np.ndarray) -> str:
    """Which entries differ, in a line: how many, and the rows and columns (or a few indices).

    >>> where(np.array([[True, False], [False, False]]))
    '1 of 4 entries, rows [0], columns [0]'
    """
    idx = np.argwhere(diff_mask)
    if diff_mask.ndim == 2:
        rows, cols = sorted(set(idx[:, 0].tolist())), sorted(set(idx[:, 1].tolist()))
        return f"{len(idx)} of {diff_mask.size} entries, rows {rows[:8]}, columns {cols[:8]}"
    return f"{len(idx)} of {diff_mask.size} entries, e.g. {[tuple(i) for i in idx[:4].tolist()]}"


def classify(name: str, got, want: np.ndarray, context: Context, tol: float):
    """``(cause, explanation, where)`` for a result ``got`` that differs from the engine's ``want``.

    >>> classify("dW", np.ones((2, 3)), np.ones((3, 2)), Context(), 1e-9)[0]
    'transpose'
    >>> classify("dscores", 4 * np.eye(2), np.eye(2), Context(N=4), 1e-9)[1]
    'every entry is N = 4 times too large: the 1/N is missing'
    >>> classify("dx", np.full(2, np.nan), np.ones(2), Context(), 1e-9)[:2]
    ('non-finite', "NaN where the engine's values are finite, on inputs of ordinary size")
    """
    got = np.asarray(got, dtype=float) if got is not None else None
    if got is None or got.shape != want.shape:
        shape = None if got is None else got.shape
        if shape == want.shape[::-1]:
            return "transpose", f"shape {shape}, the transpose of the expected {want.shape}", None
        if name.startswith("db") and shape == (context.N,):
            return "bias-axis", f"shape {shape}: one entry per sample instead of per column", None
        return "shape", f"shape {shape}, expected {want.shape}", None
    finite = np.isfinite(got)
    if not finite.all():
        if context.large:
            return (
                "overflow",
                "non-finite values where the engine's are finite (large inputs)",
                None,
            )
        kinds = " and ".join(
            k for k, m in (("NaN", np.isnan(got)), ("inf", np.isinf(got))) if m.any()
        )
        explanation = f"{kinds} where the engine's values are finite, on inputs of ordinary size"
        return "non-finite", explanation, where(~finite)
    diff = ~np.isclose(got, want, rtol=tol, atol=tol * max(1.0, float(np.abs(want).max())))
    at = where(diff)
    for pattern in context.patterns.get(name, ()):
        if np.allclose(got, pattern.alternative, atol=tol):
            return pattern.cause, pattern.explanation, at if pattern.localised else None
    nonzero = np.abs(want) > tol
    if nonzero.any() and not got.any():
        return "zeros", "every entry is 0: an array made (np.zeros_like) and never filled?", at
    if nonzero.any():
        ratios = got[nonzero] / want[nonzero]
        k = float(np.median(ratios))
        if np.allclose(ratios, k, rtol=1e-6) and np.allclose(got, k * want, rtol=1e-6, atol=tol):
            N = context.N
            if N and N > 1 and np.isclose(k, N):
                return "factor-N", f"every entry is N = {N} times too large: the 1/N is missing", at
            return "factor", f"every entry is {k:.3g} times the right value", at
    if want.ndim == 2 and want.shape[0] == want.shape[1] and np.allclose(got, want.T, atol=tol):
        return "transpose", "the transpose of the right gradient (square, so the shape agreed)", at
    kinks = context.kinks
    if kinks is not None and kinks.shape == diff.shape and diff[~kinks].sum() == 0:
        return "kink", "differs only where the ReLU's input is exactly 0", at
    return "values", f"max |difference| {float(np.max(np.abs(got - want))):.3g}", at
