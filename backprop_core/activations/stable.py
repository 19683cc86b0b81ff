"""Numerically stable NumPy code for an activation and its derivative.

The expression shown to the reader stays as SymPy writes it; what NumPy runs is a rewritten twin.
Recognised sub-expressions become stable functions before differentiation: ``1/(1 + exp(-a))`` is
:class:`Sigmoid`, computed by ``scipy.special.expit``; ``log(1 + exp(a))`` is :class:`Softplus`,
``np.logaddexp(0, a)``; a quotient of exponentials equal to ``tanh(a)`` is ``tanh``. A product with
a step, ``H(a) * v``, is a :class:`Gate` that is 0 where the step is 0 even if ``v`` overflowed
(ELU's ``exp(x) * H(1 - exp(x))`` at large ``x``).
"""

from __future__ import annotations

import inspect

import numpy as np
import scipy.special
import sympy as sp

from .grammar import X


class Sigmoid(sp.Function):
    """``1 / (1 + exp(-a))``, evaluated without overflow."""

    def fdiff(self, argindex=1):
        a = self.args[0]
        return Sigmoid(a) * Sigmoid(-a)


class Softplus(sp.Function):
    """``log(1 + exp(a))``, evaluated without overflow."""

    def fdiff(self, argindex=1):
        return Sigmoid(self.args[0])


class Gate(sp.Function):
    """``h * v``, but 0 wherever the step ``h`` is 0, whatever ``v`` is there."""


def gate(h, v):
    with np.errstate(all="ignore"):
        return np.where(h == 0, 0.0, h * v)


NAMESPACE = {
    "Sigmoid": scipy.special.expit,
    "Softplus": lambda a: np.logaddexp(0.0, a),
    "Gate": gate,
}
MODULES = [NAMESPACE, "scipy", "numpy"]


def one_plus_exp(e):
    """``a`` if ``e`` is ``1 + exp(a)``, else None."""
    if e.is_Add and len(e.args) == 2 and sp.S.One in e.args:
        other = e.args[1] if e.args[0] == 1 else e.args[0]
        if other.func == sp.exp:
            return other.args[0]
    return None


def sigmoid_power(factor, a):
    """``k`` if ``factor`` is ``Sigmoid(-a)**k`` with ``k >= 1`` an integer, else 0."""
    base, k = factor.as_base_exp()
    if base == Sigmoid(-a) and k.is_Integer and k >= 1:
        return int(k)
    return 0


def tanh_of(numerator, denominator):
    """``c`` if ``numerator / denominator`` is ``tanh(c)`` written with exponentials, else None.

    ``(exp(x) - exp(-x)) / (exp(x) + exp(-x))`` is ``inf/inf`` for large ``x``; ``tanh`` is not.
    The candidates for ``c`` are the exponents of the denominator, their halves and negatives.
    """
    exponents = {f.args[0] for f in denominator.atoms(sp.exp) if f.args[0].free_symbols}
    for a in exponents:
        for c in (a, a / 2, -a, -a / 2):
            twice = sp.exp(2 * c)
            if sp.expand(numerator * (twice + 1) - denominator * (twice - 1)) == 0:
                return c
    return None


def as_tanh(e):
    """``e`` with a factor pair ``Q * P**-1`` that is ``tanh`` (or ``1/tanh``) in disguise replaced.

    Tried before the factors' own rewrites, which would hide the pair (``1/(1 + exp(2x))`` becomes
    a sigmoid). None if there is no such pair.
    """
    factors = list(e.args)
    for i, f in enumerate(factors):
        if not (f.is_Pow and f.exp == -1 and f.base.is_Add and f.base.has(sp.exp)):
            continue
        for j, g in enumerate(factors):
            if j == i or not g.has(sp.exp):  # a sum, or a power of one: tanh_of decides
                continue
            rest = [h for k, h in enumerate(factors) if k not in (i, j)]
            if (c := tanh_of(g, f.base)) is not None:
                return sp.Mul(sp.tanh(c), *rest)
            if (c := tanh_of(f.base, g)) is not None:
                return sp.Mul(1 / sp.tanh(c), *rest)
    return None


def rewrite(e):
    """``e`` with the stable forms of one node, its arguments already rewritten."""
    if e.func == sp.log:
        a = one_plus_exp(e.args[0])
        if a is not None:
            return Softplus(a)
        if e.args[0].func == Sigmoid:
            return -Softplus(-e.args[0].args[0])
    if e.is_Pow and e.exp.is_Integer and e.exp < 0:
        a = one_plus_exp(e.base)
        if a is not None:
            return Sigmoid(-a) ** (-e.exp)
    if e.is_Mul:  # exp(a) * Sigmoid(-a)**k = Sigmoid(a) * Sigmoid(-a)**(k - 1)
        factors = list(e.args)
        for i, f in enumerate(factors):
            if f.func != sp.exp:
                continue
            a = f.args[0]
            for j, g in enumerate(factors):
                k = sigmoid_power(g, a)
                if k:
                    factors[i], factors[j] = Sigmoid(a), Sigmoid(-a) ** (k - 1)
                    return rewrite(sp.Mul(*factors))
    return e


def stabilise(expr, memo=None):
    """``expr`` with every recognised sub-expression replaced by its stable function.

    >>> stabilise(sp.log(1 + sp.exp(X)) + X / (1 + sp.exp(-X)))
    x*Sigmoid(x) + Softplus(x)
    """
    memo = {} if memo is None else memo
    if expr.is_Atom or not expr.free_symbols:  # constants stay as SymPy wrote them
        return expr
    if expr not in memo and expr.is_Mul and (tanh := as_tanh(expr)) is not None:
        memo[expr] = stabilise(tanh, memo)
    if expr not in memo:
        args = [stabilise(a, memo) for a in expr.args]
        memo[expr] = rewrite(expr.func(*args) if args != list(expr.args) else expr)
    return memo[expr]


STEPS = (sp.Heaviside, sp.sign)


def gated(expr, memo=None):
    """``expr`` with every product of steps and other factors written as a :class:`Gate`."""
    memo = {} if memo is None else memo
    if expr.is_Atom:
        return expr
    if expr not in memo:
        args = [gated(a, memo) for a in expr.args]
        new = expr.func(*args) if args != list(expr.args) else expr
        if new.is_Mul:
            steps = [f for f in new.args if f.func in STEPS]
            rest = [f for f in new.args if f.func not in STEPS]
            if steps and rest:
                new = Gate(sp.Mul(*steps), sp.Mul(*rest))
        memo[expr] = new
    return memo[expr]


def without_corners(expr):
    """``|a|`` written as ``a (2 H(a) - 1)``, so its corner becomes a step."""
    return expr.replace(sp.Abs, lambda a: a * (2 * sp.Heaviside(a) - 1))


def derivative_of(expr, at_zero):
    """``f'`` of ``expr``: delta functions dropped, every step valued ``at_zero`` at 0."""
    derivative = sp.sympify(sp.diff(without_corners(expr), X))
    derivative = sp.sympify(derivative.replace(sp.DiracDelta, lambda *_: sp.S.Zero))
    return derivative


def with_steps_at(expr, at_zero):
    return sp.sympify(expr.replace(sp.Heaviside, lambda arg, *_: sp.Heaviside(arg, at_zero)))


def numeric_forms(expr, at_zero):
    """``(forward, slope)``: the SymPy twins of ``f`` and ``f'`` that NumPy should run."""
    stable = stabilise(expr)
    slope = with_steps_at(derivative_of(stable, at_zero), at_zero)
    return gated(stable), gated(slope)


def compiled(cse_form):
    """A vectorised NumPy function from ``(replacements, reduced)`` that :func:`sp.cse` made."""
    return sp.lambdify(X, cse_form[1], modules=MODULES, cse=lambda _: cse_form)


BASE: dict = {}  # the namespace every generated function starts from


def base_namespace() -> dict:
    if not BASE:
        BASE.update(compiled(((), X)).__globals__)
    return BASE


def source_of(cse_form):
    """``(source, names)``: the code ``lambdify`` prints, and what it needs beyond the base.

    Printing can be the slow part (nested ``Min`` of steps), so it runs in the budgeted child.
    """
    function = compiled(cse_form)
    base = base_namespace()
    extra = {k: v for k, v in function.__globals__.items() if k not in base}
    return inspect.getsource(function), extra


def from_source(source, names):
    """The function that :func:`source_of` printed (SymPy's code, from a vetted expression)."""
    namespace = {**base_namespace(), **names}
    exec(compile(source, "<typed activation>", "exec"), namespace)
    return namespace["_lambdifygenerated"]
