"""Conventions checked by SymPy: vec and Kronecker identities, the trace method step by step, and
cs231n's gate patterns against the full Jacobian.

Every result is an :class:`Equality`: a statement shown in matrix notation at symbolic sizes
(``lhs = rhs``) and ``holds``, whether SymPy finds it true with every matrix replaced by a matrix
of symbols at a small concrete size. Nothing is asserted in prose: a notebook prints ``holds``.

The trace method reads a gradient off a differential. Near a point the loss changes with ``Y``
(N, C) by ``dl = sum_pq G_pq dY_pq = tr(G^T dY)``, ``G = dl/dY``; when a chain of equalities brings
``dl`` to the form ``tr(M^T dX)``, the gradient in the workbook's layout (the shape of X) is M.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import sympy as sp

from .._checks import as_count, as_float_array, check_shape
from .concrete import jacobian, symbol_array
from .notation import C, H, N
from .relu import relu_jacobian_symbols

eps_ = sp.Symbol("varepsilon")


class Tex(sp.Symbol):
    """A symbol that displays as the LaTeX it is named by, untouched (for statements).

    >>> sp.latex(Tex("p_p^T df_p")), sp.latex(sp.Symbol("p_p^T df_p"))
    ('p_p^T df_p', 'p^{T df}_{p p}')
    """

    def _latex(self, printer) -> str:
        return self.name


class Equality(NamedTuple):
    """``lhs = rhs``, shown in matrix notation, and whether SymPy found it true.

    >>> t = sp.Symbol("t")
    >>> Equality("double", 2 * t, t + t, True).equation
    Eq(2*t, 2*t)
    """

    name: str
    lhs: sp.Basic
    rhs: sp.Basic
    holds: bool

    @property
    def equation(self) -> sp.Eq:
        """``lhs = rhs`` as an unevaluated SymPy equation, for display."""
        return sp.Eq(self.lhs, self.rhs, evaluate=False)


def matrix_of_symbols(name: str, rows: int, cols: int) -> sp.ImmutableMatrix:
    """A ``rows`` x ``cols`` matrix of real symbols ``name_{ij}`` (indices from 0).

    >>> matrix_of_symbols("A", 1, 2)
    Matrix([[A_{00}, A_{01}]])
    """
    return sp.ImmutableMatrix(sp.Matrix(symbol_array(name, (rows, cols)).tolist()))


def is_zero(value) -> bool:
    """Whether a SymPy expression, or every entry of a matrix, simplifies to 0.

    >>> x = sp.Symbol("x", positive=True)
    >>> is_zero(sp.log(sp.exp(x)) - x), is_zero(sp.Matrix([x, 0]))
    (True, False)
    """
    entries = value if isinstance(value, sp.MatrixBase) else [value]
    return all(_zero(sp.expand(e)) for e in entries)


def _sizes(**sizes) -> None:
    """Refuse a size that is not an int >= 1, naming it (SymPy's own error would not)."""
    for name, value in sizes.items():
        as_count(value, name)


def _order(order: object) -> None:
    if order not in ("C", "F"):
        raise ValueError(f"order must be 'C' or 'F'; got {order!r}")


def _zero(e: sp.Basic) -> bool:
    if e == 0 or e.is_polynomial():  # an expanded polynomial is 0 only if it reads 0
        return e == 0
    return sp.cancel(e) == 0 or sp.simplify(e) == 0


def explicit(expr: sp.Basic, values: dict) -> sp.Basic:
    """``expr`` with each matrix symbol replaced by its value, every product and trace done.

    >>> A = sp.MatrixSymbol("A", 2, 2)
    >>> explicit(sp.Trace(A.T * A), {A: sp.ImmutableMatrix([[1, 2], [3, 4]])})
    30
    """
    return sp.sympify(expr).xreplace(values).doit()


def chain_of_steps(steps, values: dict) -> tuple[Equality, ...]:
    """Each step ``(name, lhs, rhs, reference)`` checked: ``rhs`` with the matrices replaced by
    ``values`` against ``reference`` (an explicit value computed another way), or, when the
    reference is None, against the previous step's ``rhs``.

    >>> A = sp.MatrixSymbol("A", 2, 2)
    >>> values = {A: matrix_of_symbols("a", 2, 2)}
    >>> steps = [("transpose twice", A, A.T.T, values[A]), ("transposed", A, A.T, None)]
    >>> [e.holds for e in chain_of_steps(steps, values)]
    [True, False]
    """
    result, previous = [], None
    for name, lhs, rhs, reference in steps:
        value = explicit(rhs, values)
        target = previous if reference is None else reference
        result.append(Equality(name, lhs, rhs, is_zero(sp.Matrix([value]) - sp.Matrix([target]))))
        previous = value
    return tuple(result)


def first_order(f) -> sp.Basic:
    """The differential along a line: ``d/dt f(t)`` at ``t = 0``, ``f`` a function of the step.

    >>> x, dx = sp.symbols("x dx")
    >>> first_order(lambda t: (x + t * dx) ** 2)
    2*dx*x
    """
    return sp.diff(f(eps_), eps_).subs(eps_, 0)


def vec(M: sp.MatrixBase, order: str = "F") -> sp.Matrix:
    """The entries of M as a column: columns stacked (``"F"``, the textbooks' vec) or rows
    stacked (``"C"``, NumPy's ravel, written vec_r).

    >>> vec(sp.Matrix([[1, 2], [3, 4]])).T, vec(sp.Matrix([[1, 2], [3, 4]]), "C").T
    (Matrix([[1, 3, 2, 4]]), Matrix([[1, 2, 3, 4]]))
    """
    _order(order)
    M = sp.Matrix(M)
    return (M.T if order == "F" else M).reshape(M.rows * M.cols, 1)


def flatten(J: sp.Array, out_ndim: int, order: str = "C") -> sp.Matrix:
    """A tensor-layout Jacobian as a numerator-layout matrix, entries counted in ``order``.

    >>> J = sp.Array([[[1, 2], [3, 4]]])  # out (1,), in (2, 2)
    >>> flatten(J, 1), flatten(J, 1, "F")
    (Matrix([[1, 2, 3, 4]]), Matrix([[1, 3, 2, 4]]))
    """
    _order(order)
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
    _sizes(m=m, n=n, p=p, q=q)
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
    from .affine import affine_jacobian_symbols  # affine imports the registry; import it late

    if (wrt, order) not in AFFINE_KRONECKER:
        raise ValueError(
            f"wrt must be 'W', 'h' or 'b' and order 'C' or 'F'; got {wrt!r}, {order!r}"
        )
    _sizes(n=n, hidden=hidden, classes=classes)
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
    _order(order)
    if not isinstance(shape, tuple) or not shape:
        raise TypeError(f"shape must be a tuple of sizes, such as (2, 3); got {shape!r}")
    _sizes(**{f"shape[{k}]": size for k, size in enumerate(shape)})
    J = relu_jacobian_symbols(shape)
    x = np.array(J.inputs["x"].tolist(), dtype=object)
    mask = [sp.Heaviside(v) for v in x.ravel(order=order)]
    lhs = Tex(r"\partial \operatorname{vec} \max(0, x) / \partial \operatorname{vec} x")
    rhs = Tex(r"\operatorname{diag}(\operatorname{vec} \mathbb{1}\{x > 0\})")
    return Equality(
        f"ReLU, {order}", lhs, rhs, is_zero(flatten(J.value, len(shape), order) - sp.diag(*mask))
    )


# -- the trace method, by hand -----------------------------------------------------------------

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
    _sizes(n=n, hidden=hidden, classes=classes)
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
            ("group the product", sp.Trace(sp.MatMul(sp.Transpose(G.T * ONES), db))),
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
    _sizes(classes=classes)
    n = len(labels)
    if not all(isinstance(y, int) and 0 <= y < classes for y in labels):
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


# -- cs231n's gate patterns and dimension analysis, against the full Jacobian --------------------


def contract(J: sp.Array, upstream: sp.MatrixBase, out_ndim: int) -> np.ndarray:
    """``sum_o upstream[o] J[o, ...]``: a symbolic Jacobian (tensor layout) applied to G.

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
    _sizes(rows=rows, cols=cols)
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


def as_latex(equalities) -> str:
    """The equalities as one aligned LaTeX block, each marked with SymPy's verdict (✓ or ✗).

    >>> t = sp.Symbol("t")
    >>> as_latex([Equality("double", 2 * t, t + t, True)])
    '\\\\begin{aligned} 2 t &= 2 t && \\\\text{double ✓} \\\\end{aligned}'
    """
    rows = [
        rf"{sp.latex(e.lhs)} &= {sp.latex(e.rhs)} && \text{{{e.name} {'✓' if e.holds else '✗'}}}"
        for e in equalities
    ]
    return r"\begin{aligned} " + r" \\ ".join(rows) + r" \end{aligned}"


__all__ = [
    "AFFINE",
    "ONES",
    "Equality",
    "Tex",
    "affine_kronecker",
    "affine_trace_method",
    "affine_values",
    "agree",
    "as_latex",
    "chain_of_steps",
    "contract",
    "dimension_analysis",
    "explicit",
    "first_order",
    "flatten",
    "gate_patterns",
    "is_zero",
    "matrix_of_symbols",
    "relu_diag_mask",
    "softmax_trace_method",
    "vec",
    "vec_identities",
]
