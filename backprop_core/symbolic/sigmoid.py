"""The binary loss (sigmoid and cross-entropy): its gradient in index notation, the identity of
its naive and stable forms, the sigmoid's Jacobian, and the rows of
:func:`~backprop_core.symbolic.verify_all`.

``x`` (N,) holds the scores and ``y`` (N,) the labels 0 or 1; ``s`` is the sigmoid.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import sympy as sp

from .. import registry
from .concrete import Concrete, jacobian, symbol_array
from .derivation import Derivation, Step
from .notation import N, i, in_range, p, partial, x, y
from .verify import Check, table_rows

# The numeric module the registry names for this stage; its functions are looked up at call
# time (sigmoid_layer.<name>), so a test can swap in a broken one.
sigmoid_layer = registry.get("sigmoid_cross_entropy").load("numeric")

s = sp.IndexedBase("s")  # the sigmoid of the scores, s[i] = 1 / (1 + exp(-x[i]))


def logistic(v: sp.Expr) -> sp.Expr:
    """The sigmoid ``1 / (1 + exp(-v))`` of a SymPy expression.

    >>> logistic(sp.Integer(0))
    1/2
    """
    return 1 / (1 + sp.exp(-v))


@sp.cacheit
def sigmoid_cross_entropy_gradient() -> Derivation:
    """dL/dx_i of the mean binary cross-entropy: ``(s(x_i) - y_i) / N``.

    Evaluate with ``x=`` and ``y=``, both (N,).

    >>> sigmoid_cross_entropy_gradient().result
    (s[i] - y[i])/N
    """
    sigma = logistic(x[p])
    loss = sp.Sum(-(y[p] * sp.log(sigma) + (1 - y[p]) * sp.log(1 - sigma)), (p, 0, N - 1)) / N
    raw = sp.diff(loss, x[i])
    collapsed = in_range(raw.doit())
    simplified = sp.simplify(collapsed)
    recognised = (s[i] - y[i]) / N
    if sp.simplify(simplified - (logistic(x[i]) - y[i]) / N) != 0:  # proved, not assumed
        raise ArithmeticError("SymPy's simplified gradient is not (s - y) / N")
    steps = (
        Step("loss", sp.Symbol("L"), loss),
        Step("raw derivative", partial("x", i), raw),
        Step("Kronecker collapse", partial("x", i), collapsed),
        Step("simplified", partial("x", i), simplified),
        Step("sigmoid recognised", partial("x", i), recognised),
    )
    return Derivation(
        "binary cross-entropy gradient", steps, (x, y), {x: (N,), y: (N,)}, ((i, N),), "simplified"
    )


def stable_form_residuals() -> dict[int, sp.Expr]:
    """For each label, the naive loss minus the softplus ``log(1 + exp(t))``, ``t = (1 - 2y) x``.

    Both are 0 after simplification: the stable form is the same function, rewritten so that no
    exponent is positive (``log(1 + exp(t)) = max(t, 0) + log(1 + exp(-|t|))``).

    >>> stable_form_residuals()
    {0: 0, 1: 0}
    """
    t = sp.Symbol("x", real=True)
    out = {}
    for label in (0, 1):
        naive = -(label * sp.log(logistic(t)) + (1 - label) * sp.log(1 - logistic(t)))
        softplus = sp.log(1 + sp.exp((1 - 2 * label) * t))
        out[label] = sp.simplify(naive - softplus)
    return out


@sp.cacheit
def sigmoid_jacobian_symbols(n: int = 3) -> Concrete:
    """Jacobian ds/dx of the elementwise sigmoid of x (n,), in symbols: diagonal, shape (n, n).

    >>> sigmoid_jacobian_symbols(2).nonzero()
    2
    """
    xs = symbol_array("x", (n,))
    return Concrete("ds/dx", jacobian(sp.Array([logistic(v) for v in xs]), xs), {"x": xs})


# -- the rows of verify_all ------------------------------------------------------------------------


class Point(NamedTuple):
    """Scores (N,) and labels (N,)."""

    x: np.ndarray
    labels: np.ndarray


ROWS = (  # quantity, symbolic value, numeric value
    (
        "dx = (s - y) / N, index notation",
        lambda a: sigmoid_cross_entropy_gradient().evaluate(x=a.x, y=a.labels),
        lambda a: sigmoid_layer.sigmoid_cross_entropy(a.x, a.labels)[1],
    ),
    (
        "Jacobian diag(s (1 - s))",
        lambda a: sigmoid_jacobian_symbols(len(a.x)).evaluate(x=a.x),
        lambda a: sigmoid_layer.sigmoid_jacobian(a.x),
    ),
)


def verify_rows(rng: np.random.Generator) -> list[Check]:
    """The binary-loss rows of :func:`~backprop_core.symbolic.verify_all`, at N = 4.

    At random scores, then at scores of size 1e3 with both signs and both labels, where the
    naive form overflows.

    >>> [row.quantity for row in verify_rows(np.random.default_rng(0))][2]
    'dx = (s - y) / N, index notation, |x| ~ 1e3'
    """
    labels = np.array([0, 1, 1, 0])
    cases = (
        ("random", rng.normal(size=4)),
        ("|x| ~ 1e3", np.array([1e3, -1e3, 7e2, -8e2]) * rng.uniform(0.9, 1.1, 4)),
    )
    return [
        check
        for case, scores in cases
        for check in table_rows("sigmoid", ROWS, Point(scores, labels), f", {case}")
    ]
