"""Activations typed as text: SymPy derives the derivative, NumPy runs forward and backward.

``activation_from_text("max(0, x)")`` parses the text with :mod:`ast` and builds the SymPy
expression node by node from a fixed list of functions; nothing in the text is ever evaluated by
Python. Allowed: the variable ``x``, numbers, ``+ - * / **``, parentheses, and the functions in
:data:`FUNCTIONS`. Anything else (attribute access, other names, lambdas, comprehensions,
strings, keywords, subscripts) raises ``ValueError`` saying what and where, and so does a text
whose SymPy work would exceed :data:`TIME_BUDGET` seconds, so the same object can sit behind a
text box served to others.

Modules: ``grammar`` (the language), ``budget`` (the time limit), ``stable`` (the NumPy code
that does not overflow), ``check`` (the gradient check).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import sympy as sp

from . import budget
from .budget import MAX_OPS, TIME_BUDGET
from .check import run_check
from .grammar import FUNCTIONS, MAX_CONSTANT, MAX_DEPTH, MAX_EXPONENT, MAX_LENGTH, X

__all__ = [
    "FUNCTIONS",
    "MAX_CONSTANT",
    "MAX_DEPTH",
    "MAX_EXPONENT",
    "MAX_LENGTH",
    "MAX_OPS",
    "NAMED",
    "TIME_BUDGET",
    "Activation",
    "ActivationCache",
    "Verdict",
    "X",
    "activation_from_text",
    "named",
    "parse",
]


def parse(text: str) -> sp.Expr:
    """The SymPy expression in ``x`` that ``text`` describes, built without evaluating anything.

    >>> parse("max(0, x) + 0.5 * x")
    x/2 + Max(0, x)
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a string; got {type(text).__name__}")
    return budget.parse(text)


def as_real_array(x, name):
    """``x`` as a float array: integers and booleans become float64, floats keep their dtype."""
    arr = np.asarray(x)
    if arr.dtype.kind in "biu":
        return arr.astype(np.float64)
    if arr.dtype.kind != "f":
        raise TypeError(f"{name} must be an array of real numbers; got dtype {arr.dtype}")
    return arr


@dataclass(frozen=True)
class Activation:
    """An elementwise activation ``f(x)``, its derivative, and NumPy functions built from them.

    ``at_zero`` is the value used for ``Heaviside(0)`` (the slope at a kink such as ReLU's 0):
    0.0 by default, as in the engine's ``relu_backward``; SymPy's own convention is 1/2. An
    ``abs(a)`` is read as ``a (2 H(a) - 1)``, so at its corner the slope is ``2 at_zero - 1``;
    the delta functions that differentiating a step produces are dropped (they vanish except at
    the step itself).

    >>> Activation("x**2", X**2).derivative
    2*x
    """

    text: str
    expr: sp.Expr | None  # None: parse text
    at_zero: float = 0.0
    derivative: sp.Expr = field(init=False)

    def __post_init__(self):
        mine = " (a Symbol('x') of your own is not X, which is real)"
        if self.expr is not None and not (isinstance(self.expr, sp.Expr) and self.expr.has(X)):
            named_x = isinstance(self.expr, sp.Expr) and "x" in map(str, self.expr.free_symbols)
            raise TypeError(
                f"expr must be a SymPy expression in backprop_core.activations.X"
                f"{mine if named_x else ''}; got {self.expr!r:.80}"
            )
        others = self.expr is not None and sorted(set(map(str, self.expr.free_symbols - {X})))
        if others:  # another symbol, or a plain Symbol("x") without X's real assumption
            mine = mine if "x" in others else ""
            raise ValueError(
                "expr must have backprop_core.activations.X as its only symbol; it also holds "
                f"{others}{mine}: {self.expr!r:.80}"
            )
        at_zero = self.at_zero
        if isinstance(at_zero, bool) or not isinstance(at_zero, int | float | np.floating):
            raise TypeError(f"at_zero must be a real number; got {type(at_zero).__name__}")
        if not np.isfinite(at_zero):
            raise ValueError(f"at_zero must be a finite number; got {at_zero}")
        object.__setattr__(self, "at_zero", float(at_zero))
        derivation, forward, slope = budget.derive(self.text, self.expr, self.at_zero)
        object.__setattr__(self, "expr", derivation.expr)  # None: the text's expression
        object.__setattr__(self, "derivative", derivation.derivative)
        object.__setattr__(self, "_forward", forward)
        object.__setattr__(self, "_slope", slope)

    @property
    def kinks(self) -> bool:
        """Whether the function has corners, where ``at_zero`` decides the slope."""
        return self.expr.has(sp.Max, sp.Min, sp.Abs, sp.Heaviside, sp.sign)

    def forward(self, x):
        """``(f(x), cache)``: ``f`` applied to every entry of ``x`` (same shape; float dtype).

        >>> named("sigmoid").forward(np.array([0, 2]))[0].round(3)
        array([0.5  , 0.881])
        """
        x = as_real_array(x, "x")
        return self._computed(self._forward, x, "x"), ActivationCache(x)

    def _computed(self, fn, x, name):
        """``fn(x)`` (``f`` or ``f'``) with x's shape and dtype; overflow gives inf, where the
        function itself is infinite. A dtype that one of its functions has no version of (SciPy's
        ``erf`` has none for long double) is refused by name instead of by SciPy."""
        try:
            with np.errstate(all="ignore"):
                return np.asarray(fn(x), dtype=x.dtype) * np.ones_like(x)
        except TypeError:  # a ufunc with no loop for x's dtype: the only TypeError of fn
            raise TypeError(
                f"{name} must be float64, float32 or float16 for {self.text!r}, which calls a "
                f"function that has no {x.dtype} version; got dtype {x.dtype}"
            ) from None

    def backward(self, dout, cache):
        """``dout * f'(x)``, entry by entry, for the ``x`` that ``cache`` holds.

        ``cache`` is what :meth:`forward` returned, or any cache whose ``x`` is the input (the
        ``ReluCache`` of ``relu_forward`` is one).

        >>> out, cache = named("tanh").forward(np.zeros(2))
        >>> named("tanh").backward(np.ones(2), cache)
        array([1., 1.])
        """
        x = getattr(cache, "x", None) if isinstance(cache, tuple) else None
        if x is None:
            raise TypeError(
                "cache must be the ActivationCache returned by forward (a cache holding x); "
                f"got {type(cache).__name__}"
            )
        x = as_real_array(x, "cache.x")
        dout = as_real_array(dout, "dout")
        if dout.shape != x.shape:
            raise ValueError(f"dout must have the shape of cache.x, {x.shape}; got {dout.shape}")
        slope = self._computed(self._slope, x, "cache.x")
        with np.errstate(all="ignore"):
            return dout * slope

    def slope(self, x):
        """``f'(x)`` for every entry of ``x``, same shape and dtype (what the plots show).

        >>> activation_from_text("x**2").slope(np.array([-1.0, 0.5]))
        array([-2.,  1.])
        """
        x = as_real_array(x, "x")
        return self._computed(self._slope, x, "x")

    def check(self, seed: int = 0) -> Verdict:
        """Gradient check of ``backward`` against central differences of ``forward``.

        Never raises: where ``f`` or ``f'`` is not finite, ``note`` says where.

        >>> verdict = activation_from_text("log(x)").check()
        >>> verdict.word, verdict.note.split(";")[0]
        ('good', 'undefined for x <= 0')
        """
        if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
            raise ValueError(f"seed must be an integer >= 0; got {seed!r}")
        return Verdict(*run_check(self, int(seed)))

    def __repr__(self):
        return f"Activation({self.text!r}: f = {self.expr}, f' = {self.derivative})"


class ActivationCache(NamedTuple):
    """What :meth:`Activation.backward` needs: the input ``x`` of the activation."""

    x: np.ndarray


class Verdict(NamedTuple):
    """What :meth:`Activation.check` found: the relative error, cs231n's word, and a note."""

    rel_error: float
    word: str
    note: str = ""


def activation_from_text(text: str, at_zero: float = 0.0) -> Activation:
    """An :class:`Activation` from text such as ``"max(0, x)"``; see :func:`parse` for the rules.

    >>> relu = activation_from_text("max(0, x)")
    >>> relu.derivative
    Heaviside(x, 0.0)
    >>> out, cache = relu.forward(np.array([-1.0, 0.0, 2.0]))
    >>> relu.backward(np.ones(3), cache)
    array([0., 0., 1.])
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a string; got {type(text).__name__}")
    return Activation(text, None, at_zero)


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
    """One of the ready activations of :data:`NAMED`, defined by its text like any other.

    >>> named("relu").text
    'max(0, x)'
    """
    if name not in NAMED:
        raise ValueError(f"name must be one of {sorted(NAMED)}; got {name!r}")
    return activation_from_text(NAMED[name], at_zero)
