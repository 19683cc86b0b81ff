"""Arrays at small concrete sizes, every entry a SymPy expression in named symbols.

Where the index-notation derivations work at any size, these show everything at a fixed one:
every zero of a Jacobian, and the gradient of a whole tiny network's loss taken in one go.
Jacobians are laid out as ``out.shape + in.shape``, like :mod:`backprop_core.jacobians`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy as sp

from .exact import entries, evaluate_exactly


def symbol_array(name: str, shape: tuple[int, ...]) -> sp.Array:
    """An array of real symbols ``name_{ij}`` (indices from 0) of the given shape.

    >>> symbol_array("b", (3,))
    [b_{0}, b_{1}, b_{2}]
    """
    entries = [
        sp.Symbol(f"{name}_{{{''.join(map(str, idx))}}}", real=True) for idx in np.ndindex(shape)
    ]
    return sp.Array(entries, shape)


def _shape(array: sp.Array) -> tuple[int, ...]:
    return tuple(int(n) for n in array.shape)


def jacobian(out: sp.Array, wrt: sp.Array) -> sp.Array:
    """Every ``d out[o] / d wrt[w]``, laid out with shape ``out.shape + wrt.shape``.

    SymPy's ``derive_by_array`` puts the variables' axes first; they are moved to the end.

    >>> t = symbol_array("t", (2,))
    >>> jacobian(sp.Array([t[0] * t[1], t[0]]), t)
    [[t_{1}, t_{0}], [1, 0]]
    """
    k, m = len(_shape(wrt)), len(_shape(out))
    return sp.permutedims(sp.derive_by_array(out, wrt), (*range(k, k + m), *range(k)))


def affine_array(h: sp.Array, W: sp.Array, b: sp.Array) -> sp.Array:
    """The affine map ``h W + b`` of symbol arrays h (N, H), W (H, C), b (C,): shape (N, C).

    >>> affine_array(symbol_array("h", (1, 2)), symbol_array("W", (2, 1)), symbol_array("b", (1,)))
    [[W_{00}*h_{00} + W_{10}*h_{01} + b_{0}]]
    """
    (n, d), m = _shape(h), _shape(W)[1]
    return sp.Array(
        [sum(h[r, s] * W[s, c] for s in range(d)) + b[c] for r in range(n) for c in range(m)],
        (n, m),
    )


@dataclass(frozen=True)
class Concrete:
    """A symbolic array (a Jacobian or a gradient) and the symbol arrays it is a function of.

    >>> t = symbol_array("t", (2,))
    >>> square = Concrete("d|t|^2/dt", sp.Array([2 * t[0], 2 * t[1]]), {"t": t})
    >>> square.shape, square.nonzero(), square.evaluate(t=[1.5, -1.0])
    ((2,), 2, array([ 3., -2.]))
    """

    name: str
    value: sp.Array
    inputs: dict  # name -> symbol array

    @property
    def shape(self) -> tuple[int, ...]:
        """The shape of :attr:`value`."""
        return _shape(self.value)

    def nonzero(self) -> int:
        """How many entries are not identically zero."""
        return sum(1 for entry in entries(self.value) if entry != 0)

    def matrix(self, out_ndim: int) -> sp.Matrix:
        """The array as a matrix: its ``out_ndim`` leading axes become rows, the rest columns."""
        rows = int(np.prod(self.shape[:out_ndim]))
        return sp.Matrix(rows, len(entries(self.value)) // rows, entries(self.value))

    def evaluate(self, at_zero: float | None = None, **arrays) -> np.ndarray:
        """The array at NumPy inputs given by name, in mpmath with digits to spare (no overflow).

        ``at_zero`` replaces SymPy's ``Heaviside(0) = 1/2`` by another value at a ReLU kink; an
        input the array does not depend on may be left out.
        """
        used = self.value.free_symbols
        names = [n for n, array in self.inputs.items() if used & set(entries(array))]
        for n in names:
            if n not in arrays:
                raise TypeError(f"evaluate needs {', '.join(f'{m}=' for m in names)}; {n} missing")
            if np.shape(arrays[n]) != _shape(self.inputs[n]):
                expected = _shape(self.inputs[n])
                raise ValueError(f"{n} must have shape {expected}; got {np.shape(arrays[n])}")
        symbols = [s for n in names for s in entries(self.inputs[n])]
        values = [float(v) for n in names for v in np.asarray(arrays[n], dtype=float).ravel()]
        return evaluate_exactly(symbols, self.value, values, self.shape, at_zero)
