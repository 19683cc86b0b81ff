"""Full Jacobians at concrete sizes, every entry a SymPy expression in named symbols.

Where :mod:`~backprop_core.symbolic.index` works at any size, these work at small fixed sizes and
show everything: every zero of dy/dW, the diagonal of the ReLU's Jacobian, the softmax's
``diag(p) - p p^T``, and the gradient of a whole tiny network's loss taken in one go.
Arrays are laid out as ``out.shape + in.shape``, like :mod:`backprop_core.jacobians`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import mpmath
import numpy as np
import sympy as sp

from .derivation import reference_digits


def symbol_array(name: str, shape: tuple[int, ...]) -> sp.Array:
    """An array of symbols ``name_{ij}`` (indices from 0), e.g. ``symbol_array("h", (2, 3))``.

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
    """
    k, m = len(_shape(wrt)), len(_shape(out))
    return sp.permutedims(sp.derive_by_array(out, wrt), (*range(k, k + m), *range(k)))


@dataclass(frozen=True)
class Concrete:
    """A symbolic array (a Jacobian or a gradient) and the symbol arrays it is a function of."""

    name: str
    value: sp.Array
    inputs: dict  # name -> symbol array

    @property
    def shape(self) -> tuple[int, ...]:
        return _shape(self.value)

    def nonzero(self) -> int:
        """How many entries are not identically zero."""
        return sum(1 for entry in sp.flatten(self.value) if entry != 0)

    def matrix(self, out_ndim: int) -> sp.Matrix:
        """The array as a matrix: its ``out_ndim`` leading axes become rows, the rest columns."""
        rows = int(np.prod(self.shape[:out_ndim]))
        return sp.Matrix(rows, len(sp.flatten(self.value)) // rows, sp.flatten(self.value))

    def evaluate(self, at_zero=None, **arrays) -> np.ndarray:
        """The array at NumPy inputs (by name), in mpmath with digits to spare (no overflow)."""
        expr = self.value
        if at_zero is not None:
            expr = expr.replace(sp.Heaviside, lambda arg, *_: sp.Heaviside(arg, at_zero))
        used = expr.free_symbols
        names = [n for n, array in self.inputs.items() if used & set(sp.flatten(array))]
        symbols = [s for n in names for s in sp.flatten(self.inputs[n])]
        values = [float(v) for n in names for v in np.asarray(arrays[n], dtype=float).ravel()]
        fn = sp.lambdify(symbols, sp.flatten(expr), modules=["mpmath"], cse=True)
        with mpmath.workdps(reference_digits(values)):
            return np.array([float(v) for v in fn(*values)]).reshape(self.shape)


def _affine(h: sp.Array, W: sp.Array, b: sp.Array) -> sp.Array:
    (n, d), m = h.shape, W.shape[1]
    return sp.Array(
        [sum(h[r, s] * W[s, c] for s in range(d)) + b[c] for r in range(n) for c in range(m)],
        (n, m),
    )


def affine_jacobians(N: int = 2, H: int = 3, C: int = 2) -> dict[str, Concrete]:
    """dy/dW (N, C, H, C), dy/db (N, C, C) and dy/dh (N, C, N, H) of ``y = h W + b``.

    >>> J = affine_jacobians()["W"]
    >>> J.shape, J.nonzero(), J.value[1, 0, 2, 0], J.value[1, 0, 2, 1]
    ((2, 2, 3, 2), 12, h_{12}, 0)
    """
    h, W, b = symbol_array("h", (N, H)), symbol_array("W", (H, C)), symbol_array("b", (C,))
    y = _affine(h, W, b)
    inputs = {"h": h, "W": W, "b": b}
    return {name: Concrete(f"dy/d{name}", jacobian(y, inputs[name]), inputs) for name in "Wbh"}


def relu_jacobian(shape: tuple[int, ...] = (3,)) -> Concrete:
    """Jacobian of ``max(0, x)`` for ``x`` of any shape: ``Heaviside`` on the diagonal, 0 elsewhere.

    >>> relu_jacobian((2,)).value
    [[Heaviside(x_{0}), 0], [0, Heaviside(x_{1})]]
    """
    x = symbol_array("x", shape)
    out = sp.Array([sp.Max(0, v) for v in sp.flatten(x)], shape)
    return Concrete("d relu(x)/dx", jacobian(out, x), {"x": x})


def softmax_jacobian(C: int = 3) -> Concrete:
    """Jacobian of the softmax of one score vector ``f`` (C,): shape (C, C).

    >>> J = softmax_jacobian(2)
    >>> sp.simplify(J.value[0, 1] + sp.exp(J.inputs["f"][0] + J.inputs["f"][1])
    ...             / (sp.exp(J.inputs["f"][0]) + sp.exp(J.inputs["f"][1]))**2)
    0
    """
    f = symbol_array("f", (C,))
    total = sum(sp.exp(v) for v in f)
    probs = sp.Array([sp.exp(v) / total for v in f], (C,))
    return Concrete("dp/df", jacobian(probs, f), {"f": f})


def softmax_identity_residual(C: int = 3) -> sp.Matrix:
    """``J - (diag(p) - p p^T)`` for the softmax Jacobian J, simplified: the zero matrix.

    >>> softmax_identity_residual(3).is_zero_matrix
    True
    """
    J = softmax_jacobian(C)
    f = J.inputs["f"]
    p = sp.Matrix([sp.exp(v) / sum(sp.exp(t) for t in f) for v in f])
    return sp.simplify(J.matrix(1) - (sp.diag(*p) - p * p.T))


def tiny_net_gradients(
    N: int = 2,
    D: int = 2,
    H: int = 3,
    C: int = 2,
    labels=(0, 1),
    reg: float = 0.0,
    activation: str | None = None,
) -> dict[str, Concrete]:
    """Gradient of a whole tiny network's loss, by differentiating the loss expression directly.

    ``L = mean_n -log softmax(y2)[n, labels[n]] + reg * (sum W1^2 + sum W2^2)`` with
    ``y2 = max(0, X W1 + b1) W2 + b2``, or another ``activation`` given as text (see
    :mod:`backprop_core.activations`); returns ``{"W1": dL/dW1, "b1": ..., "X": dL/dX}``.

    >>> grads = tiny_net_gradients()
    >>> {name: g.shape for name, g in grads.items()}
    {'W1': (2, 3), 'b1': (3,), 'W2': (3, 2), 'b2': (2,), 'X': (2, 2)}
    """
    return dict(_tiny_net_gradients(N, D, H, C, tuple(labels), float(reg), activation))


@functools.lru_cache(maxsize=8)  # the notebooks, verify_all and an explorer ask for the same net
def _tiny_net_gradients(N, D, H, C, labels, reg, activation):
    inputs = {
        "W1": symbol_array("W1", (D, H)),
        "b1": symbol_array("b1", (H,)),
        "W2": symbol_array("W2", (H, C)),
        "b2": symbol_array("b2", (C,)),
        "X": symbol_array("X", (N, D)),
    }
    if activation is None:
        hidden = lambda v: sp.Max(0, v)  # noqa: E731
    else:  # an activation typed as text, in the variable x
        from ..activations import X, parse

        expr = parse(activation)
        hidden = lambda v: expr.subs(X, v)  # noqa: E731
    h1 = _affine(inputs["X"], inputs["W1"], inputs["b1"]).applyfunc(hidden)
    y2 = _affine(h1, inputs["W2"], inputs["b2"])
    # -log(exp(y2[n, t]) / sum_c exp(y2[n, c])) written as log(sum_c exp(y2[n, c])) - y2[n, t]:
    # the same function (the log of a quotient), which SymPy differentiates twice as fast
    loss = sum(sp.log(sum(sp.exp(y2[n, c]) for c in range(C))) - y2[n, labels[n]] for n in range(N))
    loss /= N
    reg = sp.nsimplify(reg)
    loss += reg * sum(v**2 for name in ("W1", "W2") for v in sp.flatten(inputs[name]))
    return {
        name: Concrete(f"dL/d{name}", sp.derive_by_array(loss, symbols), inputs)
        for name, symbols in inputs.items()
    }


__all__ = [
    "Concrete",
    "affine_jacobians",
    "jacobian",
    "relu_jacobian",
    "softmax_identity_residual",
    "softmax_jacobian",
    "symbol_array",
    "tiny_net_gradients",
]
