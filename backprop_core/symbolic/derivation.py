"""The record every symbolic derivation returns: named steps, and a way to evaluate the last one."""

from __future__ import annotations

from dataclasses import dataclass

import mpmath
import numpy as np
import sympy as sp


@dataclass(frozen=True)
class Step:
    """One step of a derivation: ``lhs = rhs``, with a name saying what was done."""

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
    """

    title: str
    steps: tuple[Step, ...]
    inputs: tuple[sp.IndexedBase | sp.MatrixSymbol, ...]
    dims: dict
    index: tuple[tuple[sp.Symbol, sp.Symbol], ...]
    numeric: str | None = None

    @property
    def result(self) -> sp.Basic:
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

    def evaluate(self, at_zero=None, **arrays) -> np.ndarray:
        """The result at concrete NumPy arrays, e.g. ``evaluate(h=..., G=...)``.

        ``at_zero`` replaces SymPy's ``Heaviside(0) = 1/2`` by another value at a ReLU kink.
        Index results are computed entry by entry with mpmath (:func:`reference_digits`), so large
        scores neither overflow nor cancel;
        matrix-symbol results are computed with NumPy.
        """
        sizes = {}
        for base in self.inputs:
            value = np.asarray(arrays[base.name])
            dims = base.shape if isinstance(base, sp.MatrixSymbol) else self.dims[base]
            for symbol, size in zip(dims, value.shape, strict=True):
                if sizes.setdefault(symbol, size) != size:
                    raise ValueError(
                        f"{base.name} has {symbol} = {size}; another input has {sizes[symbol]}"
                    )
        source = self[self.numeric].rhs if self.numeric else self.result
        expr = source.subs(sizes)
        if at_zero is not None:
            expr = expr.replace(sp.Heaviside, lambda arg, *_: sp.Heaviside(arg, at_zero))
        values = [np.asarray(arrays[base.name], dtype=float) for base in self.inputs]
        if all(isinstance(base, sp.MatrixSymbol) for base in self.inputs):
            inputs = [base.subs(sizes) for base in self.inputs]
            return np.asarray(sp.lambdify(inputs, expr, modules="numpy")(*values), dtype=float)
        indices = [symbol for symbol, _ in self.index]
        fn = sp.lambdify([*self.inputs, *indices], expr, modules=["mpmath"], cse=True)
        shape = tuple(int(sizes[extent]) for _, extent in self.index)
        out = np.empty(shape)
        with mpmath.workdps(reference_digits(values)):
            for idx in np.ndindex(shape):
                out[idx] = float(fn(*values, *idx))
        return out


def reference_digits(values) -> int:
    """Decimal digits for an mpmath reference that stays exact where float64 loses everything.

    With scores as far apart as ``s``, a probability can differ from 1 by ``exp(-s)``, and a
    formula like ``p - p**2`` cancels about ``s / ln 10`` digits: keep that many, twice, plus 30.
    """
    spread = max((float(np.max(np.abs(v))) for v in values), default=0.0)
    return 30 + int(2 * spread / np.log(10))


def in_range(expr: sp.Basic) -> sp.Basic:
    """Keep the first branch of every ``Piecewise``: the one where all indices lie in range.

    Summing a Kronecker delta over an index leaves ``Piecewise((..., i <= H - 1), (0, True))``,
    since SymPy cannot know that ``i`` is a valid index; in a gradient it always is.
    """
    while expr.has(sp.Piecewise):
        expr = expr.replace(lambda e: isinstance(e, sp.Piecewise), lambda e: e.args[0].expr)
    return expr
