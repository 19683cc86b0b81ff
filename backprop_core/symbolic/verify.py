"""Every symbolic derivation against the numeric code, one row per check.

Each stage's symbolic module (named by its record in :data:`backprop_core.registry.STAGES`) has
``verify_rows(rng) -> list[Check]``, most of them read from a table of
``(quantity, symbolic value, numeric value)`` rows (:func:`table_rows`). The stage modules look
the numeric functions up on their modules at call time (``affine_layer.affine_backward``), so a
test can swap in a broken one and watch its rows, and only its rows, fail.
``python -m backprop_core verify`` prints the table and exits 0 only when every row passes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

import numpy as np

from .. import registry
from .._checks import as_seed
from ..registry import STAGES

TOLERANCE = 1e-12  # largest |difference| / largest |expected| that passes, in float64


class Check(NamedTuple):
    """One row of :func:`verify_all`: symbolic ``expected`` against numeric ``got``."""

    stage: str
    quantity: str
    shape: tuple
    max_abs: float
    max_rel: float
    passed: bool


def compare(stage: str, quantity: str, expected, got) -> Check:
    """A :class:`Check` of ``got`` against ``expected``; a shape mismatch fails with infinity.

    >>> compare("demo", "twice", [2.0, 4.0], [2.0, 4.0 + 1e-9]).passed
    False
    >>> compare("demo", "twice", [2.0, 4.0], [[2.0, 4.0]]).quantity
    'twice (got shape (1, 2))'
    """
    expected, got = np.asarray(expected, dtype=float), np.asarray(got, dtype=float)
    if expected.shape != got.shape:
        return Check(
            stage, f"{quantity} (got shape {got.shape})", expected.shape, np.inf, np.inf, False
        )
    max_abs = float(np.max(np.abs(expected - got)))
    max_rel = max_abs / max(float(np.max(np.abs(expected))), np.finfo(float).tiny)
    return Check(stage, quantity, expected.shape, max_abs, max_rel, bool(max_rel <= TOLERANCE))


Row = tuple[str, Callable[[Any], Any], Callable[[Any], Any]]  # quantity, symbolic, numeric


def table_rows(stage: str, table: Iterable[Row], point: Any, suffix: str = "") -> list[Check]:
    """One :class:`Check` per ``(quantity, symbolic, numeric)`` row, both callables at ``point``.

    ``suffix`` is appended to every quantity (``", at a kink"``).

    >>> table = [("2 t", lambda t: 2 * t, lambda t: t + t)]
    >>> [(c.quantity, c.passed) for c in table_rows("demo", table, np.ones(3), ", ones")]
    [('2 t, ones', True)]
    """
    return [
        compare(stage, quantity + suffix, symbolic(point), numeric(point))
        for quantity, symbolic, numeric in table
    ]


class Report(NamedTuple):
    """The rows of :func:`verify_all`; ``str(report)`` is the terminal table.

    >>> print(Report((compare("demo", "twice", [2.0], [2.0]),)))
    stage            quantity                                     shape            max |Δ|
    ----------------------------------------------------------------------------------------
    demo             twice                                        (1,)             0.0e+00  ✓
    <BLANKLINE>
    all checks pass (relative tolerance 1e-12)
    """

    rows: tuple

    @property
    def ok(self) -> bool:
        """Whether every row passed."""
        return all(row.passed for row in self.rows)

    @property
    def failed(self) -> tuple:
        """The rows that did not pass, in order."""
        return tuple(row for row in self.rows if not row.passed)

    def __str__(self) -> str:
        header = f"{'stage':<16} {'quantity':<44} {'shape':<14} {'max |Δ|':>9}  "
        lines = [header, "-" * len(header)]
        for r in self.rows:
            mark = "✓" if r.passed else "✗"
            lines.append(f"{r.stage:<16} {r.quantity:<44} {r.shape!s:<14} {r.max_abs:9.1e}  {mark}")
        verdict = "all checks pass" if self.ok else f"{len(self.failed)} of {len(self.rows)} failed"
        return "\n".join([*lines, "", f"{verdict} (relative tolerance {TOLERANCE:g})"])


def verify_all(seed: int = 0, stages=None) -> Report:
    """Check every symbolic derivation against ``backprop_core``'s numeric code.

    ``stages`` restricts the check to the registered stages of those names (all by default).

    Runs ``verify_rows`` of every stage's symbolic module, in the order of
    :data:`~backprop_core.registry.STAGES`, all drawing their test points from one generator
    seeded with ``seed``: the softmax gradient and Jacobian (also at scores of size 1e3), the
    three gradients of the affine map by three roads (index notation, matrix calculus, full
    Jacobian), the ReLU (vector and matrix, with inputs exactly 0), and the gradient of every
    parameter of a tiny network (also with a hidden unit exactly at its kink, and with a typed
    activation).

    >>> report = verify_all(seed=0)
    >>> report.ok, report.rows[0].stage, report.rows[-1].quantity
    (True, 'softmax', 'db1, gelu hidden layer')
    >>> sorted({row.stage for row in verify_all(stages=["relu_backward"]).rows})
    ['relu']
    """
    rng = np.random.default_rng(as_seed(seed))
    if stages is None:
        chosen = STAGES
    else:
        if isinstance(stages, str) or not hasattr(stages, "__iter__"):
            raise TypeError(f"stages must be a list of stage names; got {stages!r:.60}")
        names = list(stages)
        chosen = [registry.get(name) for name in names]  # an unknown name: registry's message
    return Report(tuple(row for stage in chosen for row in stage.load("symbolic").verify_rows(rng)))
