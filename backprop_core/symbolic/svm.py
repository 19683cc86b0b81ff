"""The multiclass SVM loss: its gradient in index notation and at small concrete sizes, its
Jacobian, and the rows of :func:`~backprop_core.symbolic.verify_all`.

The scores are ``x`` (N, C). In index notation the labels enter as a one-hot array ``Y`` (N, C),
so that the correct class's score is a sum, ``x_{p, y_p} = sum_u Y[p, u] x[p, u]``, which SymPy
can differentiate; at concrete sizes they are a tuple of ints. The hinge's derivative is a
``Heaviside`` of the margin; every evaluation here takes ``at_zero=0``, cs231n's choice (a
margin of exactly 0 passes nothing), in place of SymPy's ``Heaviside(0) = 1/2``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import sympy as sp

from .. import jacobians, registry
from .concrete import Concrete, jacobian, symbol_array
from .derivation import Derivation, Step
from .notation import C, N, c, i, in_range, k, p, partial, u, x
from .verify import Check, table_rows

# The numeric module the registry names for this stage; its functions are looked up at call
# time (svm_layer.<name>), so a test can swap in a broken one.
svm_layer = registry.get("svm_loss").load("numeric")

Y = sp.IndexedBase("Y")  # the labels one-hot: Y[p, c] = 1{c = y_p}
AT_KINK = 0.0  # Heaviside(0): a margin of exactly 0 passes no gradient (cs231n's margin > 0)


@sp.cacheit
def svm_gradient() -> Derivation:
    """dL/dx_ik of the mean hinge loss, from SymPy's derivative down to the closed form.

    ``(1/N) [ (1 - Y_ik) H(m_ik) - Y_ik sum_c (1 - Y_ic) H(m_ic) ]`` with ``m`` the margins and
    ``H`` the Heaviside step: +1/N for a wrong class with a positive margin, minus their count
    over N on the correct class. Evaluate with ``x=`` (N, C), ``Y=`` (N, C) and ``at_zero=0``.

    >>> [step.name for step in svm_gradient().steps]
    ['loss', 'raw derivative', 'Kronecker collapse']
    """
    correct = sp.Sum(Y[p, u] * x[p, u], (u, 0, C - 1))  # x[p, y_p]
    margin = x[p, c] - correct + 1
    loss = sp.Sum((1 - Y[p, c]) * sp.Max(0, margin), (c, 0, C - 1), (p, 0, N - 1)) / N
    raw = sp.diff(loss, x[i, k])
    collapsed = in_range(raw.doit())
    steps = (
        Step("loss", sp.Symbol("L"), loss),
        Step("raw derivative", partial("x", i, k), raw),
        Step("Kronecker collapse", partial("x", i, k), collapsed),
    )
    return Derivation("SVM gradient", steps, (x, Y), {x: (N, C), Y: (N, C)}, ((i, N), (k, C)))


def hinge_terms(xs: sp.Array, labels: tuple[int, ...]) -> sp.Array:
    """The terms ``Max(0, x_ij - x_iy + 1)`` for ``j != y_i`` (0 for the correct class), (N, C).

    >>> hinge_terms(symbol_array("x", (1, 2)), (0,))
    [[0, Max(0, -x_{00} + x_{01} + 1)]]
    """
    n, classes = (int(s) for s in xs.shape)
    entries = [
        0 if j == labels[r] else sp.Max(0, xs[r, j] - xs[r, labels[r]] + 1)
        for r in range(n)
        for j in range(classes)
    ]
    return sp.Array(entries, (n, classes))


@sp.cacheit
def svm_symbols(labels: tuple[int, ...], C: int = 3) -> dict[str, Concrete]:
    """The loss's gradient (N, C) and the hinge terms' Jacobian (N, C, N, C), in symbols.

    Both by ``derive_by_array``, at N = ``len(labels)``, keyed ``"dx"`` and ``"J"``; evaluate
    with ``x=`` and ``at_zero=0``.

    >>> g = svm_symbols((0,), 2)["dx"]
    >>> g.value
    [[-Heaviside(-x_{00} + x_{01} + 1), Heaviside(-x_{00} + x_{01} + 1)]]
    """
    xs = symbol_array("x", (len(labels), C))
    terms = hinge_terms(xs, labels)
    loss = sum(sp.flatten(terms)) / len(labels)
    return {
        "dx": Concrete("dL/dx", jacobian(sp.Array([loss]), xs)[0], {"x": xs}),
        "J": Concrete("d hinge/dx", jacobian(terms, xs), {"x": xs}),
    }


# -- the rows of verify_all ------------------------------------------------------------------------


class Point(NamedTuple):
    """Scores (N, C) with at least one margin exactly 0, their labels, and the labels one-hot."""

    x: np.ndarray
    labels: np.ndarray

    def onehot(self) -> np.ndarray:
        """The labels as an (N, C) array of 0 and 1."""
        return np.eye(self.x.shape[1])[self.labels]


ROWS = (  # quantity, symbolic value, numeric value
    (
        "dx, index notation",
        lambda a: svm_gradient().evaluate(x=a.x, Y=a.onehot(), at_zero=AT_KINK),
        lambda a: svm_layer.svm_loss(a.x, a.labels)[1],
    ),
    (
        "dx, derive_by_array",
        lambda a: svm_symbols(tuple(a.labels.tolist()), a.x.shape[1])["dx"].evaluate(
            x=a.x, at_zero=AT_KINK
        ),
        lambda a: svm_layer.svm_loss(a.x, a.labels)[1],
    ),
    (
        "Jacobian of the hinge terms",
        lambda a: svm_symbols(tuple(a.labels.tolist()), a.x.shape[1])["J"].evaluate(
            x=a.x, at_zero=AT_KINK
        ),
        lambda a: svm_layer.svm_jacobian(a.x, a.labels),
    ),
    (
        "dx, Jacobian contracted with 1/N",
        lambda a: jacobians.vjp(
            svm_symbols(tuple(a.labels.tolist()), a.x.shape[1])["J"].evaluate(
                x=a.x, at_zero=AT_KINK
            ),
            np.full(a.x.shape, 1 / a.x.shape[0]),
        ),
        lambda a: svm_layer.svm_loss(a.x, a.labels)[1],
    ),
)


def verify_rows(rng: np.random.Generator) -> list[Check]:
    """The SVM rows of :func:`~backprop_core.symbolic.verify_all`, at N = 3, C = 3.

    Each row of :data:`ROWS` at random scores with one margin set to exactly 0 (the kink), then
    at scores of size 1e3.

    >>> [row.quantity for row in verify_rows(np.random.default_rng(0))][0]
    'dx, index notation, a margin exactly 0'
    """
    n, classes = 3, 3
    labels = rng.integers(0, classes, n)
    kink = np.round(4 * rng.normal(size=(n, classes))) / 4  # quarters: every margin is exact
    kink[0, (labels[0] + 1) % classes] = kink[0, labels[0]] - 1  # a margin of exactly 0
    cases = (
        ("a margin exactly 0", kink),
        ("|x| ~ 1e3", 1e3 * rng.normal(size=(n, classes))),
    )
    return [
        check
        for case, scores in cases
        for check in table_rows("svm", ROWS, Point(scores, labels), f", {case}")
    ]
