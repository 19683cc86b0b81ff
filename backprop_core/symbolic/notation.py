"""The symbols every index-notation derivation shares, and the seed's eq. (1) that they all use.

Sizes (positive integers): ``N`` samples, ``D`` inputs, ``H`` hidden units, ``C`` classes.
Indices (from 0): ``p, q`` name an entry of a stage's output, ``i, j, k`` an entry of what it is
differentiated with respect to, ``u, c`` are summed over.

Arrays (``IndexedBase``), with the seed's names where it has one:

h, W, b   the affine map ``out = h W + b`` (layer 2 of the seed: ``y2 = h1 W2 + b2``)
x         the ReLU's input (``y1`` in the seed)
out       a stage's output, entry ``out[p, q]``
G         the upstream gradient ``dL/dout``, entry ``G[p, q]``
f, y      the scores (the seed's ``y2``) and the labels, for the softmax cross-entropy
prob      the softmax probabilities, displayed as ``p``

Every derivation follows eq. (1) of the seed: the loss L is a scalar, so its derivative with
respect to one entry of an array is the sum, over every entry of the stage's output, of
``G[p, q]`` times the local derivative ``dout[p, q]/d(entry)`` (:func:`chain`).
"""

from __future__ import annotations

import sympy as sp

N, D, H, C = sp.symbols("N D H C", integer=True, positive=True)
p, q, i, j, u, c, k = sp.symbols("p q i j u c k", integer=True, nonnegative=True)
h, W, b = sp.IndexedBase("h"), sp.IndexedBase("W"), sp.IndexedBase("b")
x, out, G = sp.IndexedBase("x"), sp.IndexedBase("out"), sp.IndexedBase("G")
f, y, prob = sp.IndexedBase("f"), sp.IndexedBase("y"), sp.IndexedBase("p")


def partial(name: str, *indices: sp.Symbol) -> sp.Symbol:
    """A symbol that displays as the partial derivative of L with respect to ``name[indices]``.

    >>> partial("W", i, j)
    \\frac{\\partial L}{\\partial W_{ij}}
    """
    sub = "".join(sp.latex(s) for s in indices)
    return sp.Symbol(rf"\frac{{\partial L}}{{\partial {name}_{{{sub}}}}}")


def chain(local: sp.Basic, inner: tuple, outer: tuple) -> sp.Sum:
    """Seed eq. (1): the sum of ``G[p, q]`` times ``local``, over ``inner`` first, then ``outer``.

    >>> chain(sp.KroneckerDelta(q, j), (q, 0, C - 1), (p, 0, N - 1))
    Sum(KroneckerDelta(j, q)*G[p, q], (q, 0, C - 1), (p, 0, N - 1))
    """
    return sp.Sum(G[p, q] * local, inner, outer)


def in_range(expr: sp.Basic) -> sp.Basic:
    """Keep the first branch of every ``Piecewise``: the one where all indices lie in range.

    Summing a Kronecker delta over an index leaves ``Piecewise((..., i <= H - 1), (0, True))``,
    since SymPy cannot know that ``i`` is a valid index; in a gradient it always is.

    >>> in_range(sp.Sum(sp.KroneckerDelta(i, q) * G[p, q], (q, 0, H - 1)).doit())
    G[p, i]
    """
    while expr.has(sp.Piecewise):
        expr = expr.replace(lambda e: isinstance(e, sp.Piecewise), lambda e: e.args[0].expr)
    return expr


def matrix_symbol(base: sp.IndexedBase, rows: sp.Expr, cols: sp.Expr) -> sp.MatrixSymbol:
    """The matrix symbol with the name of ``base``: ``W`` is the same matrix in both notations.

    >>> matrix_symbol(W, H, C).shape
    (H, C)
    """
    return sp.MatrixSymbol(base.label.name, rows, cols)
