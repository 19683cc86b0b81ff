"""The affine map ``out = h W + b``: its three gradients in index notation and by matrix calculus,
its full Jacobians at small sizes, and the rows of :func:`~backprop_core.symbolic.verify_all`.

``h`` (N, H) is the input, ``W`` (H, C) the weights, ``b`` (C,) the bias and ``G = dL/dout``
(N, C) the upstream gradient: layer 2 of the seed, ``y2 = h1 W2 + b2``, read with ``out = y2``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixElement

from .. import jacobians, registry
from .concrete import Concrete, affine_array, jacobian, symbol_array
from .derivation import Derivation, Step
from .notation import (
    C,
    G,
    H,
    N,
    W,
    b,
    chain,
    h,
    i,
    in_range,
    j,
    matrix_symbol,
    out,
    p,
    partial,
    q,
    u,
)
from .verify import Check, table_rows

# The numeric module the registry names for this stage; its functions are looked up at call
# time (affine_layer.<name>), so a test can swap in a broken one.
affine_layer = registry.get("affine_backward").load("numeric")

FORWARD = sp.Sum(h[p, u] * W[u, q], (u, 0, H - 1)) + b[q]  # out[p, q]: seed eq. (2)

# The same arrays as matrix symbols, for matrix calculus; ``b`` is a column, as SymPy wants it.
MATRICES = {
    "h": matrix_symbol(h, N, H),
    "W": matrix_symbol(W, H, C),
    "b": matrix_symbol(b, C, 1),
    "G": matrix_symbol(G, N, C),
}


@sp.cacheit
def weight_gradient() -> Derivation:
    """dL/dW_ij for ``out = h W + b``: the seed's eqs. (1)-(3), ending at ``(h^T G)_ij``.

    Evaluate with ``h=`` (N, H) and ``G=`` (N, C).

    >>> d = weight_gradient()
    >>> [step.name for step in d.steps]
    ['forward', 'local derivative', 'chain rule', 'Kronecker collapse', 'matrix product']
    >>> d["Kronecker collapse"].rhs
    Sum(G[p, j]*h[p, i], (p, 0, N - 1))
    """
    local = in_range(sp.diff(FORWARD, W[i, j]).doit())  # 1{q = j} h[p, i]: seed eq. (2)
    chained = chain(local, (q, 0, C - 1), (p, 0, N - 1))
    collapsed = in_range(chained.doit())
    product = MatrixElement(MATRICES["h"].T * MATRICES["G"], i, j)  # (h^T G)_ij, unexpanded
    steps = (
        Step("forward", out[p, q], FORWARD),
        Step("local derivative", sp.Derivative(out[p, q], W[i, j]), local),
        Step("chain rule", partial("W", i, j), chained),
        Step("Kronecker collapse", partial("W", i, j), collapsed),
        Step("matrix product", partial("W", i, j), product),
    )
    dims = {h: (N, H), G: (N, C)}
    return Derivation(
        "weight gradient", steps, (h, G), dims, ((i, H), (j, C)), "Kronecker collapse"
    )


@sp.cacheit
def bias_gradient() -> Derivation:
    """dL/db_j: every sample adds its own G[p, j] (the seed's Figure 1), a sum over rows.

    Evaluate with ``G=`` (N, C).

    >>> bias_gradient().result
    Sum(G[p, j], (p, 0, N - 1))
    """
    local = sp.diff(FORWARD, b[j])  # 1{q = j}: one identity per sample
    chained = chain(local, (q, 0, C - 1), (p, 0, N - 1))
    collapsed = in_range(chained.doit())
    steps = (
        Step("forward", out[p, q], FORWARD),
        Step("local derivative", sp.Derivative(out[p, q], b[j]), local),
        Step("chain rule", partial("b", j), chained),
        Step("Kronecker collapse", partial("b", j), collapsed),
    )
    return Derivation("bias gradient", steps, (G,), {G: (N, C)}, ((j, C),))


@sp.cacheit
def input_gradient() -> Derivation:
    """dL/dh_ij for ``out = h W + b``, ending at ``(G W^T)_ij``: how the gradient flows back.

    Evaluate with ``G=`` (N, C) and ``W=`` (H, C).

    >>> input_gradient()["Kronecker collapse"].rhs
    Sum(G[i, q]*W[j, q], (q, 0, C - 1))
    """
    local = in_range(sp.diff(FORWARD, h[i, j]).doit())  # 1{p = i} W[j, q]
    chained = chain(local, (p, 0, N - 1), (q, 0, C - 1))
    collapsed = in_range(chained.doit())
    product = MatrixElement(MATRICES["G"] * MATRICES["W"].T, i, j)  # (G W^T)_ij, unexpanded
    steps = (
        Step("forward", out[p, q], FORWARD),
        Step("local derivative", sp.Derivative(out[p, q], h[i, j]), local),
        Step("chain rule", partial("h", i, j), chained),
        Step("Kronecker collapse", partial("h", i, j), collapsed),
        Step("matrix product", partial("h", i, j), product),
    )
    dims = {G: (N, C), W: (H, C)}
    return Derivation("input gradient", steps, (G, W), dims, ((i, N), (j, H)), "Kronecker collapse")


@sp.cacheit
def affine_matrix_gradient(wrt: str) -> Derivation:
    """Gradient of ``tr(G^T (h W + 1 b^T))`` with respect to ``"W"``, ``"b"`` or ``"h"``.

    Near a point, a scalar loss changes with ``out`` as ``tr(G^T dout)``, so for the gradient
    with respect to W, b or h the loss may be replaced by this linear function and differentiated
    with SymPy's matrix calculus: a second road to the index results.

    >>> [affine_matrix_gradient(name).result for name in "Wbh"]
    [h.T*G, G.T*1, G*W.T]
    """
    h, W, b, G = (MATRICES[name] for name in "hWbG")  # matrices here, not indexed arrays
    linearised = sp.Trace(G.T * (h * W + sp.OneMatrix(N, 1) * b.T))
    gradient = linearised.diff(MATRICES[wrt])
    ell = sp.Symbol(r"\ell")
    d_ell = sp.Symbol(rf"\frac{{\partial \ell}}{{\partial {wrt}}}")
    steps = (Step("linearised loss", ell, linearised), Step("matrix derivative", d_ell, gradient))
    inputs = tuple(m for m in (h, W, G) if gradient.has(m))
    return Derivation(f"d/d{wrt} by matrix calculus", steps, inputs, {}, ())


def affine_jacobian_symbols(N: int = 2, H: int = 3, C: int = 2) -> dict[str, Concrete]:
    """dout/dW (N, C, H, C), dout/db (N, C, C) and dout/dh (N, C, N, H) of ``out = h W + b``.

    In symbols, keyed by ``"W"``, ``"b"``, ``"h"``; the numeric
    :func:`~backprop_core.jacobians.affine_jacobian` computes their values. Evaluate with
    ``h=``, ``W=`` and ``b=``.

    >>> J = affine_jacobian_symbols()["W"]
    >>> J.shape, J.nonzero(), J.value[1, 0, 2, 0], J.value[1, 0, 2, 1]
    ((2, 2, 3, 2), 12, h_{12}, 0)
    """
    inputs = {"h": symbol_array("h", (N, H)), "W": symbol_array("W", (H, C))}
    inputs["b"] = symbol_array("b", (C,))
    value = affine_array(inputs["h"], inputs["W"], inputs["b"])
    return {
        name: Concrete(f"dout/d{name}", jacobian(value, inputs[name]), inputs) for name in "Wbh"
    }


# -- the rows of verify_all ------------------------------------------------------------------------


class Sample(NamedTuple):
    """The inputs of ``out = h W + b``, an upstream gradient, and affine_backward's answer."""

    h: np.ndarray
    W: np.ndarray
    b: np.ndarray
    G: np.ndarray
    dh: np.ndarray
    dW: np.ndarray
    db: np.ndarray


def _sample(h, W, b, G) -> Sample:
    dh, dW, db = affine_layer.affine_backward(G, affine_layer.affine_forward(h, W, b)[1])
    return Sample(h, W, b, G, dh, dW, db)


class Point(NamedTuple):
    """A sample at N = 4, H = 5, C = 3, its 2-3-2 corner, and the corner's symbolic Jacobians."""

    full: Sample
    corner: Sample
    J: dict


ROWS = (  # quantity, symbolic value, numeric value
    (
        "dW2 = h1^T dy2, index notation",
        lambda a: weight_gradient().evaluate(h=a.full.h, G=a.full.G),
        lambda a: a.full.dW,
    ),
    (
        "dW2, matrix calculus",
        lambda a: affine_matrix_gradient("W").evaluate(h=a.full.h, G=a.full.G),
        lambda a: a.full.dW,
    ),
    (
        "dW2, Jacobian (N,C,H,C) contracted",
        lambda a: jacobians.vjp(a.J["W"], a.corner.G),
        lambda a: a.corner.dW,
    ),
    (
        "Jacobian dy2/dW2 against jacobians",
        lambda a: a.J["W"],
        lambda a: affine_layer.affine_jacobian(a.corner.h, a.corner.W, "W"),
    ),
    (
        "db2 = sum over samples, index notation",
        lambda a: bias_gradient().evaluate(G=a.full.G),
        lambda a: a.full.db,
    ),
    (
        "db2, matrix calculus",
        lambda a: affine_matrix_gradient("b").evaluate(G=a.full.G).ravel(),
        lambda a: a.full.db,
    ),
    (
        "db2, Jacobian (N,C,C) contracted",
        lambda a: jacobians.vjp(a.J["b"], a.corner.G),
        lambda a: a.corner.db,
    ),
    (
        "dh1 = dy2 W2^T, index notation",
        lambda a: input_gradient().evaluate(G=a.full.G, W=a.full.W),
        lambda a: a.full.dh,
    ),
    (
        "dh1, matrix calculus",
        lambda a: affine_matrix_gradient("h").evaluate(G=a.full.G, W=a.full.W),
        lambda a: a.full.dh,
    ),
    (
        "dh1, Jacobian (N,C,N,H) contracted",
        lambda a: jacobians.vjp(a.J["h"], a.corner.G),
        lambda a: a.corner.dh,
    ),
)


def verify_rows(rng: np.random.Generator) -> list[Check]:
    """The affine rows of :func:`~backprop_core.symbolic.verify_all`, one per row of :data:`ROWS`.

    Each gradient three ways: index notation and matrix calculus at N = 4, H = 5, C = 3, and the
    full Jacobian contracted with G at the 2-3-2 corner of the same arrays.

    >>> verify_rows(np.random.default_rng(0))[0].quantity
    'dW2 = h1^T dy2, index notation'
    """
    n, hidden, classes = 4, 5, 3
    h, W = rng.normal(size=(n, hidden)), rng.normal(size=(hidden, classes))
    b, G = rng.normal(size=classes), rng.normal(size=(n, classes))
    corner = _sample(h[:2, :3], W[:3, :2], b[:2], G[:2, :2])
    J = {
        name: jac.evaluate(h=corner.h, W=corner.W, b=corner.b)
        for name, jac in affine_jacobian_symbols(2, 3, 2).items()
    }
    return table_rows("affine (layer 2)", ROWS, Point(_sample(h, W, b, G), corner, J))
