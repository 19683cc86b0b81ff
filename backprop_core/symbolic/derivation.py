"""The record every index-notation or matrix-calculus derivation returns: named steps, and a way
to evaluate the result at NumPy arrays."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy as sp

from .exact import evaluate_exactly


@dataclass(frozen=True)
class Step:
    """One step of a derivation: ``lhs = rhs``, with a name saying what was done.

    >>> Step("square", sp.Symbol("L"), sp.Symbol("t") ** 2).equation
    Eq(L, t**2)
    """

    name: str
    lhs: sp.Basic
    rhs: sp.Basic

    @property
    def equation(self) -> sp.Eq:
        """``lhs = rhs`` as an unevaluated SymPy equation, for display."""
        return sp.Eq(self.lhs, self.rhs, evaluate=False)


@dataclass(frozen=True)
class Derivation:
    """A derivation as a sequence of named :class:`Step` s, the last one being the result.

    ``inputs`` are the symbolic arrays the result reads; ``dims`` gives the sizes of the indexed
    ones in size symbols (``{h: (N, H)}``; a matrix symbol carries its own); ``index`` lists the
    free indices of the result with their ranges (``((i, H), (j, C))``). :meth:`evaluate` uses
    them to compute the result for NumPy arrays, from the step named ``numeric`` (by default the
    last: a step written with matrix symbols, or with ``p`` for the softmax, cannot be evaluated
    from the inputs alone).

    >>> t, n = sp.IndexedBase("t"), sp.Symbol("n", integer=True)
    >>> d = Derivation("double", (Step("twice", sp.Symbol("L"), 2 * t[n]),), (t,),
    ...                {t: (sp.Symbol("M"),)}, ((n, sp.Symbol("M")),))
    >>> d.result, d.evaluate(t=np.array([1.0, -3.0]))
    (2*t[n], array([ 2., -6.]))
    """

    title: str
    steps: tuple[Step, ...]
    inputs: tuple[sp.IndexedBase | sp.MatrixSymbol, ...]
    dims: dict
    index: tuple[tuple[sp.Symbol, sp.Symbol], ...]
    numeric: str | None = None

    @property
    def result(self) -> sp.Basic:
        """The right-hand side of the last step."""
        return self.steps[-1].rhs

    def __getitem__(self, name: str) -> Step:
        for step in self.steps:
            if step.name == name:
                return step
        raise KeyError(f"no step named {name!r}; the steps are {[s.name for s in self.steps]}")

    def _repr_latex_(self) -> str:
        rows = [
            rf"\text{{{s.name}}}: && {sp.latex(s.lhs)} &= {sp.latex(s.rhs)}" for s in self.steps
        ]
        return r"$\begin{aligned}" + r"\\ ".join(rows) + r"\end{aligned}$"

    def evaluate(self, at_zero: float | None = None, **arrays) -> np.ndarray:
        """The result at concrete NumPy arrays given by name, e.g. ``evaluate(h=..., G=...)``.

        ``at_zero`` replaces SymPy's ``Heaviside(0) = 1/2`` by another value at a ReLU kink.
        Index results are computed entry by entry in mpmath
        (:func:`~backprop_core.symbolic.exact.evaluate_exactly`); matrix-symbol results, which
        hold no kink and no exponential, with NumPy.
        """
        sizes = self._sizes(arrays)
        source = self[self.numeric].rhs if self.numeric else self.result
        expr = source.subs(sizes)
        values = [np.asarray(arrays[base.name], dtype=float) for base in self.inputs]
        if all(isinstance(base, sp.MatrixSymbol) for base in self.inputs):
            inputs = [base.subs(sizes) for base in self.inputs]
            return np.asarray(sp.lambdify(inputs, expr, modules="numpy")(*values), dtype=float)
        indices = [symbol for symbol, _ in self.index]
        shape = tuple(int(sizes[extent]) for _, extent in self.index)
        points = np.ndindex(shape)
        return evaluate_exactly([*self.inputs, *indices], expr, values, shape, at_zero, points)

    def _sizes(self, arrays: dict) -> dict:
        """The size symbols' values, read off the arrays and checked to agree."""
        missing = [base.name for base in self.inputs if base.name not in arrays]
        if missing:
            needed = ", ".join(f"{base.name}=" for base in self.inputs)
            raise TypeError(f"evaluate needs {needed}; {', '.join(missing)} missing")
        sizes, decided_by = {}, {}
        for base in self.inputs:
            value = np.asarray(arrays[base.name])
            dims = base.shape if isinstance(base, sp.MatrixSymbol) else self.dims[base]
            if value.ndim != len(dims):
                raise ValueError(
                    f"{base.name} must have shape {tuple(dims)}; got shape {value.shape}"
                )
            for symbol, size in zip(dims, value.shape, strict=True):
                if sizes.setdefault(symbol, size) != size:
                    raise ValueError(
                        f"{base.name} must have {symbol} = {sizes[symbol]} to match "
                        f"{decided_by[symbol]}; got {symbol} = {size}"
                    )
                decided_by.setdefault(symbol, base.name)
        return sizes
