"""vec and Kronecker identities: Jacobians of matrix functions flattened to matrices.

Flattening a matrix to a column takes an order: columns stacked (``"F"``, the textbooks' vec)
or rows stacked (``"C"``, NumPy's ravel, written vec_r). In either order the Jacobian of
``y = h W + b`` with respect to W, h or b is a Kronecker product, and the ReLU's is a diagonal
matrix of its mask; each is checked here against the full Jacobian of symbols.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from ..relu import relu_jacobian_symbols
from .equality import Equality, Tex, check_order, check_sizes, is_zero, matrix_of_symbols


def vec(M: sp.MatrixBase, order: str = "F") -> sp.Matrix:
    """The entries of M as a column: columns stacked (``"F"``, the textbooks' vec) or rows
    stacked (``"C"``, NumPy's ravel, written vec_r).

    >>> vec(sp.Matrix([[1, 2], [3, 4]])).T, vec(sp.Matrix([[1, 2], [3, 4]]), "C").T
    (Matrix([[1, 3, 2, 4]]), Matrix([[1, 2, 3, 4]]))
    """
    check_order(order)
    M = sp.Matrix(M)
    return (M.T if order == "F" else M).reshape(M.rows * M.cols, 1)


def flatten(J: sp.Array, out_ndim: int, order: str = "C") -> sp.Matrix:
    """A tensor-layout Jacobian as a numerator-layout matrix, entries counted in ``order``.

    >>> J = sp.Array([[[1, 2], [3, 4]]])  # out (1,), in (2, 2)
    >>> flatten(J, 1), flatten(J, 1, "F")
    (Matrix([[1, 2, 3, 4]]), Matrix([[1, 3, 2, 4]]))
    """
    check_order(order)
    entries = np.array(J.tolist(), dtype=object)
    rows = int(np.prod(entries.shape[:out_ndim]))
    return sp.Matrix(entries.reshape(rows, -1, order=order).tolist())


@sp.cacheit
def vec_identities(m: int = 2, n: int = 3, p: int = 2, q: int = 2) -> tuple[Equality, ...]:
    """``vec(AXB) = (B^T ⊗ A) vec X`` (column-major) and ``vec_r(AXB) = (A ⊗ B^T) vec_r X``
    (row-major), for A (m, n), X (n, p), B (p, q) of symbols.

    >>> [(e.name, e.holds) for e in vec_identities()]
    [('column-major', True), ('row-major', True)]
    """
    check_sizes(m=m, n=n, p=p, q=q)
    A, X, B = (
        matrix_of_symbols(s, *size) for s, size in zip("AXB", ((m, n), (n, p), (p, q)), strict=True)
    )
    Y = A * X * B
    kron = sp.kronecker_product
    show = Tex
    return (
        Equality(
            "column-major",
            show(r"\operatorname{vec}(AXB)"),
            show(r"(B^\top \otimes A)\operatorname{vec} X"),
            is_zero(vec(Y) - kron(B.T, A) * vec(X)),
        ),
        Equality(
            "row-major",
            show(r"\operatorname{vec_r}(AXB)"),
            show(r"(A \otimes B^\top)\operatorname{vec_r} X"),
            is_zero(vec(Y, "C") - kron(A, B.T) * vec(X, "C")),
        ),
    )


AFFINE_KRONECKER = {  # (wrt, order): (text, the product from the symbol matrices h, W)
    ("W", "C"): (r"h \otimes I_C", lambda h, W: sp.kronecker_product(h, sp.eye(W.cols))),
    ("W", "F"): (r"I_C \otimes h", lambda h, W: sp.kronecker_product(sp.eye(W.cols), h)),
    ("h", "C"): (r"I_N \otimes W^\top", lambda h, W: sp.kronecker_product(sp.eye(h.rows), W.T)),
    ("h", "F"): (r"W^\top \otimes I_N", lambda h, W: sp.kronecker_product(W.T, sp.eye(h.rows))),
    ("b", "C"): (
        r"\mathbf{1}_N \otimes I_C",
        lambda h, W: sp.kronecker_product(sp.ones(h.rows, 1), sp.eye(W.cols)),
    ),
    ("b", "F"): (
        r"I_C \otimes \mathbf{1}_N",
        lambda h, W: sp.kronecker_product(sp.eye(W.cols), sp.ones(h.rows, 1)),
    ),
}


@sp.cacheit
def affine_kronecker(
    wrt: str = "W", order: str = "C", n: int = 1, hidden: int = 3, classes: int = 2
):
    """The Jacobian of ``y = h W + b`` with respect to ``wrt``, flattened in ``order``, against
    its Kronecker form: ``h ⊗ I_C`` for W in row-major order, ``I_C ⊗ h`` in column-major, and
    ``I_N ⊗ W^T``, ``W^T ⊗ I_N``, ``1_N ⊗ I_C``, ``I_C ⊗ 1_N`` for h and b.

    The tensor-layout Jacobian is :func:`~backprop_core.symbolic.affine_jacobian_symbols`'s,
    of shape (N, C, H, C) for W (notebook 03), at N = ``n``, H = ``hidden``, C = ``classes``.

    >>> e = affine_kronecker("W", "C")
    >>> e.holds, e.rhs
    (True, h \\otimes I_C)
    """
    from ..affine import affine_jacobian_symbols  # affine imports the registry; import it late

    if (wrt, order) not in AFFINE_KRONECKER:
        raise ValueError(
            f"wrt must be 'W', 'h' or 'b' and order 'C' or 'F'; got {wrt!r}, {order!r}"
        )
    check_sizes(n=n, hidden=hidden, classes=classes)
    J = affine_jacobian_symbols(n, hidden, classes)[wrt]
    h, W = (sp.Matrix(J.inputs[s].tolist()) for s in "hW")
    text, product = AFFINE_KRONECKER[(wrt, order)]
    vec_name = r"\operatorname{vec}" if order == "F" else r"\operatorname{vec_r}"
    lhs = Tex(rf"\partial {vec_name} y / \partial {vec_name} {wrt}")
    return Equality(
        f"dy/d{wrt}, {order}",
        lhs,
        Tex(text),
        is_zero(flatten(J.value, 2, order) - product(h, W)),
    )


@sp.cacheit
def relu_diag_mask(shape: tuple[int, ...] = (2, 2), order: str = "C") -> Equality:
    """The ReLU's Jacobian on an array x, flattened in ``order``, is ``diag(vec(1{x > 0}))``.

    >>> relu_diag_mask().holds
    True
    """
    check_order(order)
    if not isinstance(shape, tuple) or not shape:
        raise TypeError(f"shape must be a tuple of sizes, such as (2, 3); got {shape!r}")
    check_sizes(**{f"shape[{k}]": size for k, size in enumerate(shape)})
    J = relu_jacobian_symbols(shape)
    x = np.array(J.inputs["x"].tolist(), dtype=object)
    mask = [sp.Heaviside(v) for v in x.ravel(order=order)]
    lhs = Tex(r"\partial \operatorname{vec} \max(0, x) / \partial \operatorname{vec} x")
    rhs = Tex(r"\operatorname{diag}(\operatorname{vec} \mathbb{1}\{x > 0\})")
    return Equality(
        f"ReLU, {order}", lhs, rhs, is_zero(flatten(J.value, len(shape), order) - sp.diag(*mask))
    )


__all__ = [
    "AFFINE_KRONECKER",
    "affine_kronecker",
    "flatten",
    "relu_diag_mask",
    "vec",
    "vec_identities",
]
