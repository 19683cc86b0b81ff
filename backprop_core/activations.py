"""Activations typed as text: SymPy derives the derivative, NumPy runs forward and backward.

``activation_from_text("max(0, x)")`` parses the text with :mod:`ast` and builds the SymPy
expression node by node from a fixed list of functions; nothing in the text is ever evaluated by
Python. Allowed: the variable ``x``, numbers, ``+ - * / **``, parentheses, and the functions in
:data:`FUNCTIONS`. Anything else (attribute access, other names, lambdas, comprehensions,
strings, keywords, subscripts) raises ``ValueError`` saying what and where, so the same object can
sit behind a text box served to others.
"""

from __future__ import annotations

import ast
import math
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import sympy as sp

X = sp.Symbol("x", real=True)
MAX_LENGTH = 200  # characters
MAX_DEPTH = 12  # nesting of operations and calls
MAX_EXPONENT = 64  # a constant exponent larger than this is refused (9**9**9 would not finish)


def _sigmoid(a):
    return 1 / (1 + sp.exp(-a))


def _softplus(a):
    return sp.log(1 + sp.exp(a))


FUNCTIONS = {  # name: (SymPy builder, allowed numbers of arguments)
    "exp": (sp.exp, (1,)),
    "log": (sp.log, (1,)),
    "sqrt": (sp.sqrt, (1,)),
    "abs": (sp.Abs, (1,)),
    "tanh": (sp.tanh, (1,)),
    "sinh": (sp.sinh, (1,)),
    "cosh": (sp.cosh, (1,)),
    "sin": (sp.sin, (1,)),
    "cos": (sp.cos, (1,)),
    "erf": (sp.erf, (1,)),
    "sigmoid": (_sigmoid, (1,)),
    "softplus": (_softplus, (1,)),
    "max": (sp.Max, (2, 3)),
    "min": (sp.Min, (2, 3)),
    "heaviside": (sp.Heaviside, (1,)),
    "sign": (sp.sign, (1,)),
}
_OPERATORS = {
    ast.Add: sp.Add,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: sp.Mul,
    ast.Div: lambda a, b: a / b,
    ast.Pow: sp.Pow,
}


def _refuse(node, what):
    where = f" at column {node.col_offset + 1}" if hasattr(node, "col_offset") else ""
    raise ValueError(
        f"{what} is not allowed{where}; use x, numbers, + - * / **, parentheses and "
        f"the functions {', '.join(sorted(FUNCTIONS))}"
    )


def _build(node, source, depth=0):
    if depth > MAX_DEPTH:
        raise ValueError(f"the expression nests deeper than {MAX_DEPTH} levels")
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, int | float):
            _refuse(node, f"the constant {node.value!r}")
        return sp.nsimplify(node.value) if isinstance(node.value, float) else sp.Integer(node.value)
    if isinstance(node, ast.Name):
        if node.id == "x":
            return X
        if node.id == "pi":
            return sp.pi
        _refuse(node, f"the name {node.id!r}")
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        operand = _build(node.operand, source, depth + 1)
        return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
        left, right = _build(node.left, source, depth + 1), _build(node.right, source, depth + 1)
        if isinstance(node.op, ast.Pow) and right.is_number and abs(float(right)) > MAX_EXPONENT:
            _refuse(node, f"an exponent of {right}")
        return _OPERATORS[type(node.op)](left, right)
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS or node.keywords:
            _refuse(
                node,
                "this call"
                if not isinstance(node.func, ast.Name)
                else f"the function {node.func.id!r}" + (" with keywords" if node.keywords else ""),
            )
        builder, counts = FUNCTIONS[node.func.id]
        if len(node.args) not in counts:
            _refuse(node, f"{node.func.id} with {len(node.args)} argument(s)")
        return builder(*(_build(a, source, depth + 1) for a in node.args))
    _refuse(node, f"{type(node).__name__} ({ast.get_source_segment(source, node) or '?'})")


def parse(text: str) -> sp.Expr:
    """The SymPy expression in ``x`` that ``text`` describes, built without evaluating anything.

    >>> parse("max(0, x) + 0.5 * x")
    x/2 + Max(0, x)
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a string; got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ValueError(f"text is {len(text)} characters long; at most {MAX_LENGTH} are allowed")
    if not text.strip():
        raise ValueError("text is empty; write an expression in x, such as max(0, x)")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as err:
        column = f" at column {err.offset}" if getattr(err, "offset", None) else ""
        raise ValueError(f"text is not an expression{column}: {getattr(err, 'msg', err)}") from None
    expr = sp.sympify(_build(tree.body, text.strip()))
    if not expr.has(X):
        raise ValueError(f"text must depend on x; {text!r} is the constant {expr}")
    return expr


@dataclass(frozen=True)
class Activation:
    """An elementwise activation ``f(x)``, its derivative, and NumPy functions built from them.

    ``at_zero`` is the value used for ``Heaviside(0)`` (the slope at a kink such as ReLU's 0):
    0.0 by default, as in the engine's ``relu_backward``; SymPy's own convention is 1/2. An
    ``abs(a)`` is read as ``a (2 H(a) - 1)``, so at its corner the slope is ``2 at_zero - 1``;
    the delta functions that differentiating a step produces are dropped (they vanish except at
    the step itself).
    """

    text: str
    expr: sp.Expr
    at_zero: float = 0.0
    derivative: sp.Expr = field(init=False)

    def __post_init__(self):
        # |a| = a (2 H(a) - 1): its corner becomes a step whose value at 0 at_zero decides
        smooth = self.expr.replace(sp.Abs, lambda a: a * (2 * sp.Heaviside(a) - 1))
        derivative = sp.diff(smooth, X).replace(sp.DiracDelta, lambda *_: 0)  # 0 almost everywhere
        if not derivative.has(sp.Heaviside, sp.sign):
            derivative = sp.simplify(derivative)  # (simplify would turn steps into Piecewise)
        step = lambda arg, *_: sp.Heaviside(arg, self.at_zero)  # noqa: E731
        derivative = derivative.replace(sp.Heaviside, step)
        object.__setattr__(self, "derivative", derivative)
        object.__setattr__(self, "_forward", _numeric(self.expr))
        object.__setattr__(self, "_slope", _numeric(self.derivative))

    @property
    def kinks(self) -> bool:
        """Whether the function has corners, where ``at_zero`` decides the slope."""
        return self.expr.has(sp.Max, sp.Min, sp.Abs, sp.Heaviside, sp.sign)

    def forward(self, x):
        """``(f(x), cache)``: ``f`` applied to every entry of ``x`` (same shape and dtype)."""
        x = np.asarray(x)
        out = np.asarray(self._forward(x), dtype=x.dtype) * np.ones_like(x)  # a constant broadcast
        return out, ActivationCache(x)

    def backward(self, dout, cache):
        """``dout * f'(x)``, entry by entry, for the ``x`` that ``cache`` holds."""
        return np.asarray(dout) * self.slope(cache.x)

    def slope(self, x):
        """``f'(x)`` for every entry of ``x``, same shape and dtype (what the plots show).

        >>> activation_from_text("x**2").slope(np.array([-1.0, 0.5]))
        array([-2.,  1.])
        """
        x = np.asarray(x)
        return np.asarray(self._slope(x), dtype=x.dtype) * np.ones_like(x)

    def check(self, seed: int = 0) -> Verdict:
        """Gradient check of ``backward`` against central differences of ``forward``."""
        from .gradcheck import numerical_gradient_array, rel_error, verdict

        rng = np.random.default_rng(seed)
        x = rng.uniform(-3, 3, size=(4, 6))
        x[np.abs(x) < 0.05] = 0.5  # random points away from any kink at 0
        x[0, :4] = (-4.0, -0.01, 0.01, 4.0)  # chosen ones: far out, and on either side of 0
        dout = rng.normal(size=x.shape)
        analytic = self.backward(dout, self.forward(x)[1])
        error = rel_error(analytic, numerical_gradient_array(lambda v: self.forward(v)[0], x, dout))
        return Verdict(error, verdict(error))

    def __repr__(self):
        return f"Activation({self.text!r}: f = {self.expr}, f' = {self.derivative})"


class ActivationCache(NamedTuple):
    """What :meth:`Activation.backward` needs: the input ``x`` of the activation."""

    x: np.ndarray


class Verdict(NamedTuple):
    """What :meth:`Activation.check` found: the relative error and cs231n's word for it."""

    rel_error: float
    word: str


def _numeric(expr):
    """A vectorised NumPy function of ``expr``, its common subexpressions computed once."""
    try:
        import scipy.special  # noqa: F401  (a fast erf, for GELU)

        modules = ["scipy", "numpy"]
    except ImportError:  # NumPy has no erf: fall back on the standard library's, entry by entry
        modules = [{"erf": np.vectorize(math.erf, otypes=[float])}, "numpy"]
    return sp.lambdify(X, expr, modules=modules, cse=True)


def activation_from_text(text: str, at_zero: float = 0.0) -> Activation:
    """An :class:`Activation` from text such as ``"max(0, x)"``; see :func:`parse` for the rules.

    >>> relu = activation_from_text("max(0, x)")
    >>> relu.derivative
    Heaviside(x, 0.0)
    >>> out, cache = relu.forward(np.array([-1.0, 0.0, 2.0]))
    >>> relu.backward(np.ones(3), cache)
    array([0., 0., 1.])
    """
    return Activation(text, parse(text), float(at_zero))


NAMED = {
    "relu": "max(0, x)",
    "leaky relu": "max(0.01 * x, x)",
    "sigmoid": "sigmoid(x)",
    "tanh": "tanh(x)",
    "elu": "max(0, x) + min(0, exp(x) - 1)",
    "softplus": "softplus(x)",
    "gelu": "x * (1 + erf(x / sqrt(2))) / 2",
    "silu": "x * sigmoid(x)",
}


def named(name: str, at_zero: float = 0.0) -> Activation:
    """One of the ready activations of :data:`NAMED`, defined by its text like any other."""
    if name not in NAMED:
        raise ValueError(f"name must be one of {sorted(NAMED)}; got {name!r}")
    return activation_from_text(NAMED[name], at_zero)
