"""The gradient check of a typed activation: a verdict for every text, never an exception.

``f'`` is compared with a five-point central difference of ``f`` (error of order ``h**4``), entry
by entry, in float64. The step is chosen per point from ``STEPS`` where two differences at ``h`` and
``h/2`` agree best (an estimate that does not look at ``f'``), so steep functions such as
``exp(64 x)`` or ``x**64`` are judged fairly,
only at points where ``f`` and ``f'`` are finite. Where they are not (``log(x)`` for ``x <= 0``)
the verdict says so instead of failing.
"""

from __future__ import annotations

import numpy as np

SPAN = 4.0  # the check looks at [-SPAN, SPAN]
STEPS = (1e-2, 1e-3, 1e-4, 1e-5)  # of the central difference


def finite_on(act, x):
    """Where ``f`` and ``f'`` are finite at ``x``."""
    with np.errstate(all="ignore"):
        return np.isfinite(act.forward(x)[0]) & np.isfinite(act.slope(x))


def describe(xs, bad):
    """Text such as ``x <= 0`` or ``x = 0`` for the grid points ``xs[bad]``.

    Each run of neighbouring bad points is one part; at most four parts are named.

    >>> xs = np.linspace(-2, 2, 5)
    >>> describe(xs, xs <= 0), describe(xs, xs == 1), describe(xs, xs != 0)
    ('x <= 0', 'x = 1', 'x <= -1, x >= 1')
    """
    padded = np.concatenate(([False], np.asarray(bad, dtype=bool), [False]))
    edges = np.flatnonzero(padded[1:] != padded[:-1])  # a run's first point, then one past its last
    last, parts = len(xs) - 1, []
    for i, j in edges.reshape(-1, 2) - (0, 1):  # each run's first and last point
        lo, hi = f"{xs[i]:.3g}", f"{xs[j]:.3g}"
        if i == j:
            parts.append(f"x = {lo}")
        elif i == 0 and j == last:
            parts.append(f"all x in [{lo}, {hi}]")
        elif i == 0:
            parts.append(f"x <= {hi}")
        elif j == last:
            parts.append(f"x >= {lo}")
        else:
            parts.append(f"{lo} <= x <= {hi}")
    return ", ".join(parts[:4]) + (" and elsewhere" if len(parts) > 4 else "")


def five_point(f, x, h):
    with np.errstate(all="ignore"):
        return (f(x - 2 * h) - 8 * f(x - h) + 8 * f(x + h) - f(x + 2 * h)) / (12 * h)


def best_difference(f, x):
    """Per point, the five-point difference with the least estimated error over ``STEPS``, and
    that estimate: ``(difference, error)``.

    The estimate is the gap to the difference at half the step (truncation) plus the rounding
    error of differencing ``f`` at that step. Where two steps' estimates tie, the larger step,
    the one met first in ``STEPS``, is kept.
    """
    best, spread = np.full_like(x, np.nan), np.full_like(x, np.inf)
    with np.errstate(all="ignore"):
        size = np.abs(f(x))
        for h in STEPS:
            coarse, fine = five_point(f, x, h), five_point(f, x, h / 2)
            gap = np.abs(coarse - fine) + 8 * np.finfo(float).eps * size / h
            better = np.isfinite(fine) & (gap < spread)
            best, spread = np.where(better, fine, best), np.where(better, gap, spread)
    return best, spread


def run_check(act, seed):
    """``(rel_error, word, note)`` for ``act`` on random and chosen points of [-4, 4]."""
    from ..gradcheck import verdict

    grid = np.round(np.linspace(-SPAN, SPAN, 801), 10)  # step 0.01, with an exact 0
    bad = ~finite_on(act, grid)
    note = f"undefined for {describe(grid, bad)}" if bad.any() else ""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-0.75 * SPAN, 0.75 * SPAN, size=(4, 6))
    x[np.abs(x) < 0.05] = 0.5  # away from a kink at 0
    x[0, :4] = (-SPAN, -0.01, 0.01, SPAN)  # far out, and either side of 0
    dout = rng.normal(size=x.shape)
    f = lambda v: act.forward(v)[0]  # noqa: E731
    with np.errstate(all="ignore"):
        analytic = act.backward(dout, act.forward(x)[1])
        difference, spread = best_difference(f, x)
        numeric, noise = dout * difference, np.abs(dout) * spread
        ok = finite_on(act, x) & np.isfinite(numeric) & np.isfinite(analytic)
    if not ok.any():
        return float("nan"), "undefined", note or "no point of the check is finite"
    a, n = analytic[ok] / 2, numeric[ok] / 2  # halved: a - n cannot overflow
    # Where f' is exactly 0 (f flat), a difference within its own estimated error is rounding, not
    # evidence: a flat f of size 28 differs from 0 by ~1e-13, which over the floor would read 3e-5.
    gap = np.abs(a - n)
    gap = np.where(a == 0, np.maximum(gap - noise[ok] / 2, 0.0), gap)
    error = float(np.max(gap / np.maximum(0.5e-8, np.abs(a) + np.abs(n))))
    if note:
        note += f"; checked at the {int(ok.sum())} of {ok.size} points where it is defined"
    return error, verdict(error), note
