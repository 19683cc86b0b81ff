"""The affine map's gradients by matrix calculus: a second road to the index results.

Near a point, a scalar loss changes with ``y`` as ``tr(G^T dy)``, where ``G = dL/dy`` is the
upstream gradient. So, for the gradient with respect to W, b or h, the loss may be replaced by
the linear function ``tr(G^T (h W + 1 b^T))`` and differentiated with SymPy's matrix calculus.
"""

from __future__ import annotations

import sympy as sp

from .derivation import Derivation, Step
from .index import C, H, N

h = sp.MatrixSymbol("h", N, H)
W = sp.MatrixSymbol("W", H, C)
b = sp.MatrixSymbol("b", C, 1)  # a column, as SymPy's matrix calculus wants it
G = sp.MatrixSymbol("G", N, C)
ONES = sp.OneMatrix(N, 1)


def affine_matrix_gradient(wrt: str) -> Derivation:
    """Gradient of ``tr(G^T (h W + 1 b^T))`` with respect to ``"W"``, ``"b"`` or ``"h"``.

    >>> [affine_matrix_gradient(name).result for name in "Wbh"]
    [h.T*G, G.T*1, G*W.T]
    """
    target = {"W": W, "b": b, "h": h}[wrt]
    linearised = sp.Trace(G.T * (h * W + ONES * b.T))
    gradient = linearised.diff(target)
    ell = sp.Symbol(r"\ell")
    steps = (
        Step("linearised loss", ell, linearised),
        Step(
            "matrix derivative", sp.Symbol(rf"\frac{{\partial \ell}}{{\partial {wrt}}}"), gradient
        ),
    )
    inputs = tuple(m for m in (h, W, G) if gradient.has(m))
    return Derivation(f"d/d{wrt} by matrix calculus", steps, inputs, {}, ())
