"""cs231n's gate patterns and dimension analysis, against the full Jacobian.

cs231n's notes read backward flow off a few patterns: the add gate distributes the upstream
gradient G, the max gate routes it, the multiply gate swaps its inputs, and a matrix product's
gradient is the one product of the factors with the right shape. :func:`gate_patterns` checks
each pattern against the full Jacobian of symbols contracted with G (:func:`contract`);
:func:`dimension_analysis` lists the products whose shape fits, to show when the shape alone
decides.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from ..._checks import as_float_array, check_shape
from ..concrete import jacobian
from ..relu import relu_jacobian_symbols
from .equality import Equality, Tex, check_sizes, is_zero, matrix_of_symbols


def contract(J: sp.Array, upstream: sp.MatrixBase, out_ndim: int) -> np.ndarray:
    """``sum_o upstream[o] J[o, ...]``: a symbolic Jacobian (tensor layout) applied to G.

    >>> from backprop_core.symbolic.concrete import symbol_array
    >>> t = symbol_array("t", (2,))
    >>> contract(jacobian(sp.Array([t[0] * t[1], t[0]]), t), sp.Matrix([1, 1]), 1)
    array([t_{1} + 1, t_{0}], dtype=object)
    """
    return np.tensordot(
        np.array(upstream.tolist(), dtype=object).reshape(J.shape[:out_ndim]),
        np.array(J.tolist(), dtype=object),
        axes=out_ndim,
    )


def agree(a, b) -> bool:
    """Whether two arrays of expressions are equal entry by entry.

    >>> x = sp.Symbol("x")
    >>> agree([x * (x + 1)], [x**2 + x]), agree([x], [2 * x])
    (True, False)
    """
    return is_zero(sp.Matrix(np.array(a, dtype=object).reshape(-1).tolist())
                   - sp.Matrix(np.array(b, dtype=object).reshape(-1).tolist()))  # fmt: skip


@sp.cacheit
def gate_patterns(rows: int = 2, cols: int = 3) -> tuple[Equality, ...]:
    """cs231n's patterns of backward flow, each against the full Jacobian contracted with G:
    the add gate distributes G to both inputs (and a broadcast bias sums it back), the max gate
    routes it to the larger input, the multiply gate swaps the inputs.

    >>> [(e.name, e.holds) for e in gate_patterns()]  # doctest: +NORMALIZE_WHITESPACE
    [('add distributes', True), ('broadcast add sums', True), ('max routes', True),
     ('ReLU routes', True), ('multiply swaps', True), ('matrix product swaps', True)]
    """
    check_sizes(rows=rows, cols=cols)
    X, Y = matrix_of_symbols("x", rows, cols), matrix_of_symbols("y", rows, cols)
    G, W = matrix_of_symbols("G", rows, cols), matrix_of_symbols("W", cols, cols)
    b, ones = matrix_of_symbols("b", cols, 1), sp.ones(rows, 1)

    def through(value, wrt, upstream=G):
        J = jacobian(sp.Array(value.tolist()), sp.Array(wrt.tolist()))
        return contract(J, upstream, 2)

    x, y, g = sp.symbols("x y g", real=True)
    relu = relu_jacobian_symbols((rows, cols))
    xs = np.array(relu.inputs["x"].tolist(), dtype=object)
    show = Tex
    checks = (
        ("add distributes", r"(dx, dy)\ \text{of}\ z = x + y", r"(G,\ G)",
         agree(through(X + Y, X), G) and agree(through(X + Y, Y), G)),
        ("broadcast add sums", r"db\ \text{of}\ z = x + \mathbf{1} b^\top", r"G^\top \mathbf{1}",
         agree(through(X + ones * b.T, b), G.T * ones)),
        ("max routes", r"(dx, dy)\ \text{of}\ z = \max(x, y)", r"(g\,[x > y],\ g\,[y > x])",
         is_zero(g * sp.diff(sp.Max(x, y), x) - g * sp.Heaviside(x - y))
         and is_zero(g * sp.diff(sp.Max(x, y), y) - g * sp.Heaviside(y - x))),
        ("ReLU routes", r"dx\ \text{of}\ z = \max(0, x)", r"G \odot [x > 0]",
         agree(contract(relu.value, G, 2), np.array(G.tolist(), dtype=object)
               * np.vectorize(sp.Heaviside)(xs))),
        ("multiply swaps", r"(dx, dy)\ \text{of}\ z = x y", r"(g\, y,\ g\, x)",
         is_zero(g * sp.diff(x * y, x) - g * y) and is_zero(g * sp.diff(x * y, y) - g * x)),
        ("matrix product swaps", r"(dx, dW)\ \text{of}\ z = x W", r"(G W^\top,\ x^\top G)",
         agree(through(X * W, X), G * W.T) and agree(through(X * W, W), X.T * G)),
    )  # fmt: skip
    return tuple(Equality(name, show(lhs), show(rhs), bool(ok)) for name, lhs, rhs, ok in checks)


def dimension_analysis(h, G) -> dict[str, np.ndarray]:
    """Every product of ``h`` or ``h^T`` with ``G`` or ``G^T``, in either order, that has the
    shape (H, C) of W: cs231n's "dimension analysis" for ``dW`` of ``y = h W``.

    Parameters
    ----------
    h : array_like, shape (N, H)
    G : array_like, shape (N, C), the upstream gradient

    Returns
    -------
    dict
        The name of each product whose shape fits (``"hᵀG"``, ...) and its value.

    With N, H and C all different one product fits; with N = H = C all eight do:

    >>> list(dimension_analysis(np.ones((4, 3)), np.ones((4, 2))))
    ['hᵀG']
    >>> len(dimension_analysis(np.ones((2, 2)), np.ones((2, 2))))
    8
    """
    h, G = as_float_array(h, "h", ndim=2), as_float_array(G, "G", ndim=2)
    check_shape(G, "G", (h.shape[0], None), "(N, C)", f"to match h of shape {h.shape}")
    factors = {"h": h, "hᵀ": h.T}, {"G": G, "Gᵀ": G.T}
    products = {}
    for first, second in (factors, factors[::-1]):
        for a_name, a in first.items():
            for b_name, b in second.items():
                if a.shape[1] == b.shape[0] and (a.shape[0], b.shape[1]) == (
                    h.shape[1],
                    G.shape[1],
                ):
                    products[a_name + b_name] = a @ b
    return products


__all__ = ["agree", "contract", "dimension_analysis", "gate_patterns"]
