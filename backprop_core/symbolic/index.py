"""The seed's derivations in index notation, at symbolic sizes N, D, H, C.

Every derivation follows the seed's eq. (1): the loss L is a scalar, so its derivative with
respect to one entry of a parameter is the sum, over every entry of the stage's output y, of
``dL/dy[p, q]`` (written ``G[p, q]``) times the local derivative ``dy[p, q]/d(entry)``. SymPy
takes the local derivative (a product of Kronecker deltas), the sum collapses the deltas, and
the survivor is recognised as a matrix product.
"""

from __future__ import annotations

import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixElement

from .derivation import Derivation, Step, in_range

N, D, H, C = sp.symbols("N D H C", integer=True, positive=True)
p, q, i, j, u, c, k = sp.symbols("p q i j u c k", integer=True, nonnegative=True)
G = sp.IndexedBase("G")  # dL/dy, the upstream gradient
h, w, b = sp.IndexedBase("h"), sp.IndexedBase("w"), sp.IndexedBase("b")
x, f, y, prob = sp.IndexedBase("x"), sp.IndexedBase("f"), sp.IndexedBase("y"), sp.IndexedBase("p")

AFFINE = sp.Sum(h[p, u] * w[u, q], (u, 0, H - 1)) + b[q]  # y[p, q] of y = h W + b: seed eq. (2)


def _partial(name: str, *indices) -> sp.Symbol:
    """A display symbol for a partial derivative of L, e.g. dL/dw_ij."""
    sub = "".join(sp.latex(s) for s in indices)
    return sp.Symbol(rf"\frac{{\partial L}}{{\partial {name}_{{{sub}}}}}")


def _matrix(base: sp.IndexedBase, rows, cols) -> sp.MatrixSymbol:
    return sp.MatrixSymbol(base.label.name, rows, cols)


def _as_matrix_entries(expr: sp.Basic, shapes: dict) -> sp.Basic:
    """Rewrite ``h[p, i]`` as an entry of the matrix symbol ``h``, to compare with a product."""
    return expr.replace(
        lambda e: isinstance(e, sp.Indexed),
        lambda e: _matrix(e.base, *shapes[e.base])[e.indices],
    )


def _chain(local: sp.Basic, inner, outer) -> sp.Sum:
    """Seed eq. (1): sum G[p, q] times the local derivative, ``inner`` being summed first."""
    return sp.Sum(G[p, q] * local, inner, outer)


def weight_gradient() -> Derivation:
    """dL/dw_ij for ``y = h W + b``: the seed's eqs. (1)-(3), ending at ``(h^T G)_ij``.

    >>> d = weight_gradient()
    >>> [step.name for step in d.steps]
    ['forward', 'local derivative', 'chain rule', 'Kronecker collapse', 'matrix product']
    >>> d["Kronecker collapse"].rhs
    Sum(G[p, j]*h[p, i], (p, 0, N - 1))
    """
    local = in_range(sp.diff(AFFINE, w[i, j]).doit())  # 1{q = j} h[p, i]: seed eq. (2)
    chain = _chain(local, (q, 0, C - 1), (p, 0, N - 1))
    collapsed = in_range(chain.doit())
    product = MatrixElement(_matrix(h, N, H).T * _matrix(G, N, C), i, j)  # (h^T G)_ij, unexpanded
    steps = (
        Step("forward", y[p, q], AFFINE),
        Step("local derivative", sp.Derivative(y[p, q], w[i, j]), local),
        Step("chain rule", _partial("w", i, j), chain),
        Step("Kronecker collapse", _partial("w", i, j), collapsed),
        Step("matrix product", _partial("w", i, j), product),
    )
    assert _as_matrix_entries(collapsed, {h: (N, H), G: (N, C)}).dummy_eq(product.doit())
    dims = {h: (N, H), G: (N, C)}
    return Derivation(
        "weight gradient", steps, (h, G), dims, ((i, H), (j, C)), "Kronecker collapse"
    )


def bias_gradient() -> Derivation:
    """dL/db_j: every sample adds its own G[p, j] (the seed's Figure 1), a sum over rows.

    >>> bias_gradient().result
    Sum(G[p, j], (p, 0, N - 1))
    """
    local = sp.diff(AFFINE, b[j])  # 1{q = j}: one identity per sample
    chain = _chain(local, (q, 0, C - 1), (p, 0, N - 1))
    collapsed = in_range(chain.doit())
    steps = (
        Step("forward", y[p, q], AFFINE),
        Step("local derivative", sp.Derivative(y[p, q], b[j]), local),
        Step("chain rule", _partial("b", j), chain),
        Step("Kronecker collapse", _partial("b", j), collapsed),
    )
    return Derivation("bias gradient", steps, (G,), {G: (N, C)}, ((j, C),))


def input_gradient() -> Derivation:
    """dL/dh_ij for ``y = h W + b``, ending at ``(G W^T)_ij``: how the gradient flows back.

    >>> input_gradient()["Kronecker collapse"].rhs
    Sum(G[i, q]*w[j, q], (q, 0, C - 1))
    """
    local = in_range(sp.diff(AFFINE, h[i, j]).doit())  # 1{p = i} w[j, q]
    chain = _chain(local, (p, 0, N - 1), (q, 0, C - 1))
    collapsed = in_range(chain.doit())
    product = MatrixElement(_matrix(G, N, C) * _matrix(w, H, C).T, i, j)  # (G W^T)_ij
    assert _as_matrix_entries(collapsed, {G: (N, C), w: (H, C)}).dummy_eq(product.doit())
    steps = (
        Step("forward", y[p, q], AFFINE),
        Step("local derivative", sp.Derivative(y[p, q], h[i, j]), local),
        Step("chain rule", _partial("h", i, j), chain),
        Step("Kronecker collapse", _partial("h", i, j), collapsed),
        Step("matrix product", _partial("h", i, j), product),
    )
    dims = {G: (N, C), w: (H, C)}
    return Derivation("input gradient", steps, (G, w), dims, ((i, N), (j, H)), "Kronecker collapse")


def relu_gradient() -> Derivation:
    """dL/dx_ij for ``y = max(0, x)`` on a matrix x (N, H): an elementwise Heaviside factor.

    This is the matrix case the seed leaves to the reader. SymPy's ``Heaviside(0)`` is 1/2;
    substitute ``Heaviside(x, value)`` to choose another convention at the kink.

    >>> relu_gradient().result == G[i, j] * sp.Heaviside(x[i, j])
    True
    """
    forward = sp.Max(0, x[p, q])
    local = sp.diff(forward, x[i, j])  # Heaviside(x[p, q]) 1{p = i} 1{q = j}
    chain = _chain(local, (q, 0, H - 1), (p, 0, N - 1))
    collapsed = in_range(chain.doit())
    steps = (
        Step("forward", y[p, q], forward),
        Step("local derivative", sp.Derivative(y[p, q], x[i, j]), local),
        Step("chain rule", _partial("x", i, j), chain),
        Step("Kronecker collapse", _partial("x", i, j), collapsed),
    )
    return Derivation("ReLU gradient", steps, (G, x), {G: (N, H), x: (N, H)}, ((i, N), (j, H)))


def softmax_cross_entropy_gradient() -> Derivation:
    """dL/df_ik of the mean cross-entropy: ``(p_ik - 1{k = y_i}) / N``, with ``-log`` and ``1/N``.

    ``f`` holds the scores (N, C) and ``y`` the labels; the seed's loss lacks the ``-log``.

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
        Step("raw derivative", _partial("f", i, k), raw),
        Step("Kronecker collapse", _partial("f", i, k), collapsed),
        Step("simplified", _partial("f", i, k), simplified),
        Step("softmax recognised", _partial("f", i, k), recognised),
    )
    dims = {f: (N, C), y: (N,)}
    return Derivation(
        "softmax cross-entropy gradient",
        steps,
        (f, y),
        dims,
        ((i, N), (k, C)),
        numeric="simplified",
    )
