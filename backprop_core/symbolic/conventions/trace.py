"""The trace method, by hand: gradients read off differentials, each step checked by SymPy.

Near a point the loss changes with ``Y`` (N, C) by ``dl = sum_pq G_pq dY_pq = tr(G^T dY)``,
``G = dl/dY``; when a chain of equalities brings ``dl`` to the form ``tr(M^T dX)``, the gradient
in the workbook's layout (the shape of X) is M. :func:`affine_trace_method` walks that chain for
``y = h W + 1 b^T`` and :func:`softmax_trace_method` for the mean softmax cross-entropy, every
step an :class:`~.equality.Equality` checked at a small concrete size.
"""

from __future__ import annotations

import sympy as sp

from ..notation import C, H, N
from .equality import (
    Equality,
    Tex,
    chain_of_steps,
    check_sizes,
    eps_,
    first_order,
    is_zero,
    matrix_of_symbols,
)

AFFINE = {  # the matrices of y = h W + 1 b^T and their differentials, at symbolic sizes
    name: sp.MatrixSymbol(name, *size)
    for name, size in {
        "h": (N, H), "W": (H, C), "b": (C, 1), "G": (N, C),
        "dh": (N, H), "dW": (H, C), "db": (C, 1), "dY": (N, C),
    }.items()
}  # fmt: skip
ONES = sp.MatrixSymbol(r"\mathbf{1}", N, 1)  # a column of N ones
d_ell = Tex(r"d\ell")


def _grad(name: str) -> sp.Symbol:
    return Tex(rf"\frac{{\partial \ell}}{{\partial {name}}}")


def affine_values(n: int = 2, hidden: int = 3, classes: int = 2) -> dict:
    """Symbol matrices for every matrix of :data:`AFFINE` (and the column of ones) at a size.

    >>> affine_values(2, 3, 2)[AFFINE["W"]].shape
    (3, 2)
    """
    check_sizes(n=n, hidden=hidden, classes=classes)
    sizes = {"h": (n, hidden), "W": (hidden, classes), "b": (classes, 1), "G": (n, classes)}
    sizes |= {f"d{k}": v for k, v in sizes.items() if k != "G"} | {"dY": (n, classes)}
    values = {AFFINE[k]: matrix_of_symbols(k, *size) for k, size in sizes.items()}
    return values | {ONES: sp.ImmutableMatrix(sp.ones(n, 1))}


@sp.cacheit
def affine_trace_method(wrt: str = "W", n: int = 2, hidden: int = 3, classes: int = 2):
    """The gradient of the loss with respect to ``"W"``, ``"b"`` or ``"h"`` of ``y = h W + 1 b^T``
    by the trace method, each step an :class:`Equality` checked at N = ``n``, H = ``hidden``,
    C = ``classes``.

    The steps: the linearised loss ``dl = tr(G^T dY)`` (checked against ``sum G * dY``); the
    differential ``dY = dh W + h dW + 1 db^T`` (against the derivative along a line); the other
    two differentials set to 0; rearranging the trace (each against the step before); and reading
    the gradient off ``tr(M^T dX)`` (against SymPy differentiating ``tr(G^T y)`` entry by entry).

    >>> [(e.name, e.holds) for e in affine_trace_method("W")][-1]
    ('read off the gradient', True)
    >>> affine_trace_method("W")[-1].rhs
    h.T*G
    """
    if wrt not in ("W", "b", "h"):
        raise ValueError(f"wrt must be 'W', 'b' or 'h'; got {wrt!r}")
    h, W, G, dh, dW, db, dY = (AFFINE[k] for k in ("h", "W", "G", "dh", "dW", "db", "dY"))
    values = affine_values(n, hidden, classes)
    v = {k: values[AFFINE[k]] for k in AFFINE} | {"1": values[ONES]}

    def forward(t):  # y at h + t dh, W + t dW, b + t db
        return (v["h"] + t * v["dh"]) * (v["W"] + t * v["dW"]) + v["1"] * (v["b"] + t * v["db"]).T

    loss = (v["G"].T * forward(0)).trace()  # tr(G^T y): the loss, linearised, G held fixed
    the_sum = sum(g * d for g, d in zip(v["G"], v["dY"], strict=True))
    dY_line = forward(eps_).diff(eps_).subs(eps_, 0)
    only = {"W": (dh, db), "b": (dh, dW), "h": (dW, db)}[wrt]
    frozen = {symbol: 0 for m in only for symbol in v[m.name]}  # the other differentials: 0
    moved = {"W": h * dW, "b": ONES * db.T, "h": dh * W}[wrt]
    gradient = {"W": h.T * G, "b": G.T * ONES, "h": G * W.T}[wrt]
    rearranged = {
        "W": [("group the product", sp.Trace(sp.MatMul(sp.Transpose(h.T * G), dW)))],
        "b": [
            ("cycle the trace", sp.Trace(db.T * G.T * ONES)),
            ("transpose the scalar", sp.Trace(sp.MatMul(sp.Transpose(G.T * ONES), db))),
        ],
        "h": [
            ("cycle the trace", sp.Trace(W * G.T * dh)),
            ("group the product", sp.Trace(sp.MatMul(sp.Transpose(G * W.T), dh))),
        ],
    }[wrt]
    direct = sp.Matrix(v[wrt].shape[0], v[wrt].shape[1], lambda r, c: sp.diff(loss, v[wrt][r, c]))
    setting = ", ".join(f"d{m.name[1:]} = 0" for m in only)
    steps = [
        ("linearised loss", d_ell, sp.Trace(G.T * dY), the_sum),
        ("differential of y", dY, dh * W + h * dW + ONES * db.T, dY_line),
        (
            f"only {wrt} moves ({setting})",
            d_ell,
            sp.Trace(G.T * moved),
            sum(g * d for g, d in zip(v["G"], dY_line.subs(frozen), strict=True)),
        ),
        *[(name, d_ell, rhs, None) for name, rhs in rearranged],
        ("read off the gradient", _grad(wrt), gradient, direct),
    ]
    return chain_of_steps(steps, values)


@sp.cacheit
def softmax_trace_method(labels: tuple[int, ...] = (0, 2), classes: int = 3):
    """dL/df of the mean softmax cross-entropy by the trace method, each step checked at
    N = ``len(labels)`` samples and C = ``classes``.

    Written with log-sum-exp, ``L = (1/N)(sum_p lse(f_p) - tr(Y^T F))`` (Y the one-hot labels);
    the differential of ``lse`` is ``p^T df``, so ``dL = (1/N) tr((P - Y)^T dF)``, and the
    gradient is read off: ``(P - Y)/N``.

    >>> [e.holds for e in softmax_trace_method()]
    [True, True, True, True]
    """
    check_sizes(classes=classes)
    if not isinstance(labels, (tuple, list)) or not labels:
        raise ValueError(f"labels must be a non-empty tuple of class labels; got {labels!r}")
    n = len(labels)
    if not all(isinstance(y, int) and not isinstance(y, bool) and 0 <= y < classes for y in labels):
        raise ValueError(f"labels must be integers in [0, {classes}); got {labels!r}")
    F, dF = matrix_of_symbols("f", n, classes), matrix_of_symbols("df", n, classes)
    Y = sp.Matrix(n, classes, lambda r, c: int(labels[r] == c))
    P = sp.Matrix(n, classes, lambda r, c: sp.exp(F[r, c]) / sum(sp.exp(v) for v in F.row(r)))

    def lse(row):
        return sp.log(sum(sp.exp(v) for v in row))

    def loss(M):
        return (sum(lse(M.row(r)) for r in range(n)) - (Y.T * M).trace()) / n

    original = -sum(sp.log(P[r, labels[r]]) for r in range(n)) / n
    d_lse = first_order(lambda t: lse(F.row(0) + t * dF.row(0)))
    d_loss = first_order(lambda t: loss(F + t * dF))
    direct = sp.Matrix(n, classes, lambda r, c: sp.diff(original, F[r, c]))
    Ys, Ps, dFs = (sp.MatrixSymbol(s, N, C) for s in ("Y", "P", "dF"))
    show, L = Tex, Tex("L")
    return (
        Equality(
            "loss through log-sum-exp",
            L,
            show(r"\frac{1}{N}\Big(\sum_p \operatorname{lse}(f_p)"
                 r" - \operatorname{tr}(Y^\top F)\Big)"),
            is_zero(sp.expand_log(loss(F) - original, force=True)),
        ),
        Equality(
            "differential of log-sum-exp",
            show(r"d \operatorname{lse}(f_p)"),
            show(r"p_p^\top\, df_p"),
            is_zero(d_lse - (P.row(0) * dF.row(0).T)[0]),
        ),
        Equality(
            "differential of the loss",
            show("dL"),
            sp.Trace(sp.MatMul(sp.Transpose(Ps - Ys), dFs)) / N,
            is_zero(d_loss - ((P - Y).T * dF).trace() / n),
        ),
        Equality("read off the gradient", show(r"\frac{\partial L}{\partial F}"), (Ps - Ys) / N,
                 is_zero(direct - (P - Y) / n)),
    )  # fmt: skip


__all__ = [
    "AFFINE",
    "ONES",
    "affine_trace_method",
    "affine_values",
    "d_ell",
    "softmax_trace_method",
]
