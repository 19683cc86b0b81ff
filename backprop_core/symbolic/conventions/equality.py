"""What every convention check is made of: an :class:`Equality` and the helpers that decide it.

An :class:`Equality` is a statement shown in matrix notation at symbolic sizes (``lhs = rhs``,
each side a SymPy expression or a :class:`Tex` symbol that prints as its LaTeX) and ``holds``,
whether SymPy finds it true with every matrix replaced by a matrix of symbols at a small concrete
size (:func:`matrix_of_symbols`, :func:`is_zero`). A chain of such steps, each checked against an
explicit value or the step before (:func:`chain_of_steps`), is how the trace method is shown;
:func:`as_latex` prints the chain with SymPy's verdict on every line.
"""

from __future__ import annotations

from typing import NamedTuple

import sympy as sp

from ..._checks import as_count
from ..concrete import symbol_array

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


def check_sizes(**sizes) -> None:
    """Refuse a size that is not an int >= 1, naming it (SymPy's own error would not).

    >>> check_sizes(m=2, n=3)
    >>> check_sizes(m=0)
    Traceback (most recent call last):
    ValueError: m must be >= 1; got 0
    """
    for name, value in sizes.items():
        as_count(value, name)


def check_order(order: object) -> None:
    """Refuse an ``order`` of flattening other than ``"C"`` (row-major) or ``"F"`` (column-major).

    >>> check_order("F")
    >>> check_order("R")
    Traceback (most recent call last):
    ValueError: order must be 'C' or 'F'; got 'R'
    """
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
    "Equality",
    "Tex",
    "as_latex",
    "chain_of_steps",
    "check_order",
    "check_sizes",
    "eps_",
    "explicit",
    "first_order",
    "is_zero",
    "matrix_of_symbols",
]
