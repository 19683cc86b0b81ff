"""Max pooling: its Jacobian by ``derive_by_array`` at small sizes, what SymPy says at a tie, the
first-maximum convention written in SymPy, and the rows of
:func:`~backprop_core.symbolic.verify_all`.

SymPy differentiates ``Max(x_0, ..., x_m)`` with respect to ``x_k`` to
``Heaviside(x_k - Max(others))``. Away from ties that is 1 for the maximum and 0 elsewhere,
the routing the backward pass does. At a tie it is ``Heaviside(0) = 1/2`` for every tied entry
(three tied entries get 1/2 each, 3/2 in all): max has no derivative there, and SymPy's value
is a convention too, not the one the numeric code uses. The workbook's convention (the first
maximum in row-major window order takes the gradient) is the same derivative written as a
product of pairwise factors ``Heaviside(x_k - x_l, H0)``, with ``H0 = 1`` against later entries
(x_k wins a tie with them) and ``H0 = 0`` against earlier ones: equal to SymPy's everywhere off
ties (a row checks this), and what the rows with ties compare the numeric code with.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import sympy as sp

from .. import jacobians, registry
from .concrete import Concrete, jacobian, symbol_array
from .exact import entries
from .verify import Check, table_rows

pool_layer = registry.get("max_pool_backward_naive").load("numeric")


def _windows(shape, ph, pw, stride):
    """Each output index with the input indices of its window, in row-major window order."""
    N_, C_, H_, W_ = shape
    Ho_, Wo_ = 1 + (H_ - ph) // stride, 1 + (W_ - pw) // stride
    for n, c, i, j in np.ndindex(N_, C_, Ho_, Wo_):
        yield (
            (n, c, i, j),
            [(n, c, stride * i + u, stride * j + v) for u in range(ph) for v in range(pw)],
        )


def pool_array(x: sp.Array, ph: int, pw: int, stride: int) -> sp.Array:
    """Max pooling of a symbol array: ``Max`` over each window, shape (N, C, H', W')."""
    shape = tuple(int(d) for d in x.shape)
    Ho_, Wo_ = 1 + (shape[2] - ph) // stride, 1 + (shape[3] - pw) // stride
    entries = [sp.Max(*(x[idx] for idx in window)) for _, window in _windows(shape, ph, pw, stride)]
    return sp.Array(entries, (*shape[:2], Ho_, Wo_))


@sp.cacheit
def max_pool_jacobian_symbols(shape: tuple, ph: int, pw: int, stride: int) -> Concrete:
    """SymPy's own Jacobian of max pooling: ``Heaviside(x_k - Max(others))`` in each window.

    >>> J = max_pool_jacobian_symbols((1, 1, 2, 2), 2, 2, 2)
    >>> J.value[0, 0, 0, 0, 0, 0, 0, 0]
    Heaviside(x_{0000} - Max(x_{0001}, x_{0010}, x_{0011}))
    """
    x = symbol_array("x", shape)
    return Concrete("d pool(x)/dx, SymPy", jacobian(pool_array(x, ph, pw, stride), x), {"x": x})


@sp.cacheit
def first_max_jacobian_symbols(shape: tuple, ph: int, pw: int, stride: int) -> Concrete:
    """The first-maximum convention in SymPy: pairwise Heaviside factors, H0 by position.

    Entry k of a window gets ``prod_{l < k} Heaviside(x_k - x_l, 0) *
    prod_{l > k} Heaviside(x_k - x_l, 1)``: 1 exactly when x_k is the window's first maximum.

    >>> J = first_max_jacobian_symbols((1, 1, 1, 2), 1, 2, 1)
    >>> J.value[0, 0, 0, 0, 0, 0, 0, :]
    [Heaviside(x_{0000} - x_{0001}, 1), Heaviside(-x_{0000} + x_{0001}, 0)]
    >>> J.evaluate(x=np.array([[[[2.0, 2.0]]]]))[0, 0, 0, 0, 0, 0, 0]
    array([1., 0.])
    """
    x = symbol_array("x", shape)
    value = sp.MutableDenseNDimArray.zeros(*pool_array(x, ph, pw, stride).shape, *shape)
    for out_idx, window in _windows(shape, ph, pw, stride):
        for pos, idx in enumerate(window):
            value[(*out_idx, *idx)] = sp.Mul(
                *(
                    sp.Heaviside(x[idx] - x[other], 1 if later > pos else 0)
                    for later, other in enumerate(window)
                    if later != pos
                )
            )
    return Concrete("d pool(x)/dx, first maximum", sp.Array(value), {"x": x})


def sympy_at_a_tie() -> list[float]:
    """SymPy's derivative of ``Max(a, b, c, d)`` at a = b = d = 1, c = 0, entry by entry.

    >>> sympy_at_a_tie()
    [0.5, 0.5, 0.0, 0.5]
    """
    args = sp.symbols("a b c d", real=True)
    at = dict(zip(args, (1, 1, 0, 1), strict=True))
    return [float(sp.diff(sp.Max(*args), t).subs(at)) for t in args]


# -- the rows of verify_all ------------------------------------------------------------------------


class Point(NamedTuple):
    """An input, a pool, an upstream gradient, the naive and fast backward results, and the
    Jacobians at x: SymPy's own (``J_max``, only where there is no tie) and the first-max one."""

    x: np.ndarray
    param: dict
    G: np.ndarray
    naive: np.ndarray
    fast: np.ndarray
    J_max: np.ndarray | None
    J_first: np.ndarray


def exact_value(J: Concrete, x) -> np.ndarray:
    """``J`` at the input ``x``, every float replaced by the rational it is, so each Heaviside's
    sign is decided exactly (and far faster than compiling these Max expressions).

    >>> exact_value(max_pool_jacobian_symbols((1, 1, 1, 2), 1, 2, 1), [[[[1.0, 3.0]]]]).ravel()
    array([0., 1.])
    """
    values = np.asarray(x, dtype=float).ravel()
    exact = dict(zip(entries(J.inputs["x"]), map(sp.Rational, values.tolist()), strict=True))
    floats = [float(entry.xreplace(exact)) if entry != 0 else 0.0 for entry in entries(J.value)]
    return np.array(floats).reshape(J.shape)


def _point(x, ph, pw, stride, rng, ties) -> Point:
    param = {"pool_height": ph, "pool_width": pw, "stride": stride}
    out, cache = pool_layer.max_pool_forward_naive(x, param)
    G = rng.normal(size=out.shape)
    fast = pool_layer.max_pool_backward_fast(G, pool_layer.max_pool_forward_fast(x, param)[1])
    sizes = (x.shape, ph, pw, stride)
    J_max = None if ties else exact_value(max_pool_jacobian_symbols(*sizes), x)
    J_first = exact_value(first_max_jacobian_symbols(*sizes), x)
    naive = pool_layer.max_pool_backward_naive(G, cache)
    return Point(x, param, G, naive, fast, J_max, J_first)


NO_TIES = (
    (
        "Jacobian, SymPy's d Max, no ties",
        lambda a: a.J_max,
        lambda a: pool_layer.max_pool_jacobian(a.x, a.param),
    ),
    ("first-max = SymPy's d Max, no ties", lambda a: a.J_max, lambda a: a.J_first),
)

TIES = (
    (
        "Jacobian, first maximum",
        lambda a: a.J_first,
        lambda a: pool_layer.max_pool_jacobian(a.x, a.param),
    ),
    ("dx = J^T dout, naive", lambda a: jacobians.vjp(a.J_first, a.G), lambda a: a.naive),
    ("dx = J^T dout, fast", lambda a: jacobians.vjp(a.J_first, a.G), lambda a: a.fast),
)


def verify_rows(rng: np.random.Generator) -> list[Check]:
    """The max-pooling rows: SymPy's Jacobian off ties, the first-maximum one at ties.

    2 x 2 pools with stride 2 on x (1, 2, 4, 4), and overlapping 2 x 2 pools with stride 1 on
    x (1, 1, 4, 4); the tied inputs are small integers, so most windows hold a tie.

    >>> [row.quantity for row in verify_rows(np.random.default_rng(0))][2]
    'Jacobian, first maximum, 2x2 s2, ties'
    """
    rows = []
    for shape, (ph, pw, stride) in (((1, 2, 4, 4), (2, 2, 2)), ((1, 1, 4, 4), (2, 2, 1))):
        label = f", {ph}x{pw} s{stride}"
        smooth = _point(rng.normal(size=shape), ph, pw, stride, rng, ties=False)
        rows += table_rows("max pool", NO_TIES, smooth, label)
        x_tied = rng.integers(0, 3, size=shape).astype(float)
        x_tied[:, :, 0, :2] = 2.0  # the first window's top row: a tie at the maximum, always
        tied = _point(x_tied, ph, pw, stride, rng, ties=True)
        rows += table_rows("max pool", TIES, tied, label + ", ties")
    return rows
