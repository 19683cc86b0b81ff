"""The softmax cross-entropy: its gradient in index notation, the softmax's full Jacobian, and
the rows of :func:`~backprop_core.symbolic.verify_all` that check them.

The scores are ``f`` (the seed's ``y2``, (N, C)), the labels ``y`` (N,) and the probabilities
``p``; the loss is the mean of ``-log p[n, y_n]`` (the seed's loss lacks the ``-log``).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import sympy as sp

from .. import registry
from .._checks import as_count
from .concrete import Concrete, jacobian, symbol_array
from .derivation import Derivation, Step
from .notation import C, N, c, f, i, in_range, k, p, partial, prob, y
from .verify import Check, table_rows

# The numeric module the registry names for this stage; its functions are looked up at call
# time (softmax_layer.<name>), so a test can swap in a broken one.
softmax_layer = registry.get("softmax_cross_entropy").load("numeric")


@sp.cacheit
def softmax_cross_entropy_gradient() -> Derivation:
    """dL/df_ik of the mean cross-entropy: ``(p_ik - 1{k = y_i}) / N``, with ``-log`` and ``1/N``.

    ``f`` holds the scores (N, C) and ``y`` the labels (N,); evaluate with ``f=`` and ``y=``.

    >>> softmax_cross_entropy_gradient().result
    (-KroneckerDelta(k, y[i]) + p[i, k])/N
    """
    log_softmax = sp.log(sp.exp(f[p, y[p]]) / sp.Sum(sp.exp(f[p, c]), (c, 0, C - 1)))
    loss = sp.Sum(-log_softmax, (p, 0, N - 1)) / N
    raw = sp.diff(loss, f[i, k])
    collapsed = in_range(raw.doit())
    simplified = sp.simplify(collapsed)
    softmax_ik = sp.exp(f[i, k]) / sp.Sum(sp.exp(f[i, c]), (c, 0, C - 1))
    recognised = simplified.subs(softmax_ik, prob[i, k])
    steps = (
        Step("loss", sp.Symbol("L"), loss),
        Step("raw derivative", partial("f", i, k), raw),
        Step("Kronecker collapse", partial("f", i, k), collapsed),
        Step("simplified", partial("f", i, k), simplified),
        Step("softmax recognised", partial("f", i, k), recognised),
    )
    dims = {f: (N, C), y: (N,)}
    return Derivation(
        "softmax cross-entropy gradient", steps, (f, y), dims, ((i, N), (k, C)), "simplified"
    )


@sp.cacheit
def softmax_jacobian_symbols(C: int = 3) -> Concrete:
    """Jacobian dp/df of the softmax of one score vector ``f`` (C,), in symbols: shape (C, C).

    The numeric :func:`~backprop_core.jacobians.softmax_jacobian` computes its value.

    >>> J = softmax_jacobian_symbols(2)
    >>> f0, f1 = J.inputs["f"]
    >>> sp.simplify(J.value[0, 1] + sp.exp(f0 + f1) / (sp.exp(f0) + sp.exp(f1)) ** 2)
    0
    """
    f = symbol_array("f", (C,))
    total = sum(sp.exp(v) for v in f)
    probs = sp.Array([sp.exp(v) / total for v in f], (C,))
    return Concrete("dp/df", jacobian(probs, f), {"f": f})


def softmax_identity_residual(C: int = 3) -> sp.Matrix:
    """``J - (diag(p) - p p^T)`` for the softmax Jacobian J, simplified: the zero matrix.

    >>> softmax_identity_residual(3).is_zero_matrix
    True
    """
    J = softmax_jacobian_symbols(C)
    f = J.inputs["f"]
    p = sp.Matrix([sp.exp(v) / sum(sp.exp(t) for t in f) for v in f])
    return sp.simplify(J.matrix(1) - (sp.diag(*p) - p * p.T))


@sp.cacheit
def softmax_cross_entropy_hessian_symbols(C: int = 3, label: int = 0) -> Concrete:
    """Hessian of one sample's loss ``-log p[label]`` with respect to its scores ``f`` (C,).

    Entry ``(k, j)`` is ``d^2 L / df_k df_j``; the shape is (C, C). It does not depend on the
    label, and equals ``diag(p) - p p^T`` (:func:`softmax_hessian_residual`); the mean over N
    samples has one such block per sample, divided by N.

    >>> Hs = softmax_cross_entropy_hessian_symbols(2, label=1)
    >>> Hs.shape
    (2, 2)
    >>> Hs.evaluate(f=np.zeros(2)).tolist()
    [[0.25, -0.25], [-0.25, 0.25]]
    """
    classes, label = as_count(C, "C"), as_count(label, "label", minimum=0)
    if label >= classes:
        raise ValueError(f"label must lie in [0, {classes}) for C = {classes}; got {label}")
    f = symbol_array("f", (classes,))
    loss = sp.log(sum(sp.exp(v) for v in f)) - f[label]  # -log p[label], by log-sum-exp
    gradient = sp.Array([sp.diff(loss, v) for v in f], (classes,))
    return Concrete("d2L/df2", jacobian(gradient, f), {"f": f})


def softmax_hessian_residual(C: int = 3, label: int = 0) -> sp.Matrix:
    """``H - (diag(p) - p p^T)`` for the Hessian H of ``-log p[label]``, simplified: zero.

    >>> softmax_hessian_residual(3, label=2).is_zero_matrix
    True
    """
    H = softmax_cross_entropy_hessian_symbols(C, label)
    f = H.inputs["f"]
    p = sp.Matrix([sp.exp(v) / sum(sp.exp(t) for t in f) for v in f])
    return sp.simplify(H.matrix(1) - (sp.diag(*p) - p * p.T))


def softmax_hessian_quadratic_form(C: int = 3) -> tuple[sp.Expr, sp.Expr, sp.Expr]:
    """``v^T (diag(p) - p p^T) v``, the variance form ``sum_k p_k (v_k - p.v)^2``, and their
    difference simplified, for symbols ``v`` (C,) and softmax probabilities ``p`` of scores f.

    The difference is 0 because the p_k sum to 1. The variance form is a sum of terms
    ``p_k * (...)^2`` with every ``p_k > 0``, so it is never negative: the Hessian is positive
    semi-definite, and ``v = 1`` (all ones) makes it 0.

    >>> form, variance, difference = softmax_hessian_quadratic_form(2)
    >>> difference
    0
    """
    classes = as_count(C, "C")
    f, v = symbol_array("f", (classes,)), symbol_array("v", (classes,))
    p = sp.Matrix([sp.exp(t) / sum(sp.exp(s) for s in f) for t in f])
    vec = sp.Matrix(list(v))
    form = (vec.T * (sp.diag(*p) - p * p.T) * vec)[0, 0]
    mean = (p.T * vec)[0, 0]
    variance = sum(p[k] * (v[k] - mean) ** 2 for k in range(classes))
    return form, variance, sp.simplify(form - variance)


def in_probabilities(expr: sp.Expr, C: int = 3) -> sp.Expr:
    """``expr`` with each softmax fraction ``exp(f_k) / (exp(f_0) + ... )`` of ``C`` scores
    written as the positive symbol ``p_k``: how a derivation reads once the probabilities have
    names (``softmax_hessian_quadratic_form``'s variance becomes a sum of ``p_k`` times squares).

    >>> form, variance, _ = softmax_hessian_quadratic_form(2)
    >>> sorted(map(str, in_probabilities(variance, 2).free_symbols))  # no f_k is left
    ['p_0', 'p_1', 'v_{0}', 'v_{1}']
    >>> in_probabilities(variance, 3)
    Traceback (most recent call last):
    ValueError: expr must hold scores only in softmax fractions of C = 3; left ['f_{0}', 'f_{1}']
    """
    classes = as_count(C, "C")
    if not isinstance(expr, sp.Basic):
        raise TypeError(f"expr must be a SymPy expression; got {type(expr).__name__}")
    f = symbol_array("f", (classes,))
    total = sum(sp.exp(s) for s in f)
    p = sp.symbols(f"p_0:{classes}", positive=True)
    named = expr.subs({sp.exp(f[k]) / total: p[k] for k in range(classes)})
    left = sorted(str(s) for s in named.free_symbols if str(s).startswith("f_"))
    if left:  # scores of another C, or not inside a softmax fraction of these C
        raise ValueError(
            f"expr must hold scores only in softmax fractions of C = {classes}; left {left}"
        )
    return named


# -- the rows of verify_all ------------------------------------------------------------------------


class Point(NamedTuple):
    """Where the rows are checked: scores (N, C) and labels (N,)."""

    scores: np.ndarray
    labels: np.ndarray


ROWS = (  # quantity, symbolic value, numeric value
    (
        "dL/dy2 = (p - 1{k = y}) / N",
        lambda a: softmax_cross_entropy_gradient().evaluate(f=a.scores, y=a.labels),
        lambda a: softmax_layer.softmax_cross_entropy(a.scores, a.labels)[1],
    ),
    (
        "Jacobian diag(p) - p p^T",
        lambda a: np.stack(  # (N, C, C), one block per sample
            [softmax_jacobian_symbols(len(row)).evaluate(f=row) for row in a.scores]
        ),
        lambda a: softmax_layer.softmax_jacobian(a.scores),
    ),
)


def verify_rows(rng: np.random.Generator) -> list[Check]:
    """The softmax rows of :func:`~backprop_core.symbolic.verify_all`, at N = 4, C = 3.

    Each row of :data:`ROWS` at random scores, then at scores of size 1e3, where a float64
    formula that is not written with care overflows or cancels.

    >>> [row.quantity for row in verify_rows(np.random.default_rng(0))][:2]
    ['dL/dy2 = (p - 1{k = y}) / N, random', 'Jacobian diag(p) - p p^T, random']
    """
    n, classes = 4, 3
    labels = rng.integers(0, classes, n)
    cases = (
        ("random", rng.normal(size=(n, classes))),
        ("|f| ~ 1e3", 1e3 * rng.normal(size=(n, classes))),
    )
    return [
        check
        for case, scores in cases
        for check in table_rows("softmax", ROWS, Point(scores, labels), f", {case}")
    ]
