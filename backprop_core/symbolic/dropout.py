"""Inverted dropout: its gradient in index notation, its Jacobian at a fixed mask, and the rows of
:func:`~backprop_core.symbolic.verify_all`.

Dropout is random only in how its mask is drawn; once drawn, the mask is a constant and the layer
is linear: ``out = M * x`` entry by entry, with ``M`` holding 0 or ``1/p`` (the scaled mask the
numeric code caches). So the derivation is done at a fixed mask: ``M`` is an array of constants
in index notation, and in the concrete Jacobian the kept entries are given and ``p`` stays a
symbol. ``G = dL/dout`` is the upstream gradient.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import sympy as sp

from .. import jacobians, registry
from .concrete import Concrete, jacobian, symbol_array
from .derivation import Derivation, Step
from .notation import G, H, N, chain, i, in_range, j, out, p, partial, q, x
from .verify import Check, table_rows

# The numeric module the registry names for this stage; its functions are looked up at call
# time (dropout_layer.<name>), so a test can swap in a broken one.
dropout_layer = registry.get("dropout_backward").load("numeric")

M = sp.IndexedBase("M")  # the scaled mask: 0 where dropped, 1/p where kept
KEEP = sp.Symbol("p", positive=True)  # the keep probability


@sp.cacheit
def dropout_gradient() -> Derivation:
    """dL/dx_ij for ``out = M * x`` (entrywise) at a fixed mask M (N, H): ``G_ij M_ij``.

    Evaluate with ``G=`` and ``M=``, both (N, H).

    >>> dropout_gradient().result
    G[i, j]*M[i, j]
    """
    forward = M[p, q] * x[p, q]
    local = sp.diff(forward, x[i, j])  # M[p, q] 1{p = i} 1{q = j}
    chained = chain(local, (q, 0, H - 1), (p, 0, N - 1))
    collapsed = in_range(chained.doit())
    steps = (
        Step("forward", out[p, q], forward),
        Step("local derivative", sp.Derivative(out[p, q], x[i, j]), local),
        Step("chain rule", partial("x", i, j), chained),
        Step("Kronecker collapse", partial("x", i, j), collapsed),
    )
    return Derivation("dropout gradient", steps, (G, M), {G: (N, H), M: (N, H)}, ((i, N), (j, H)))


@sp.cacheit
def dropout_jacobian_symbols(kept: tuple[tuple[int, ...], ...], mode: str = "train") -> Concrete:
    """Jacobian of dropout at the mask ``kept`` (0/1 entries), in symbols: ``diag(kept / p)``.

    ``kept`` is a nested tuple (hashable: the derivation is memoised), shape ``kept.shape * 2``.
    In ``"test"`` mode the layer is ``out = x`` and the Jacobian the identity. Evaluate with
    ``p=[keep probability]``.

    >>> dropout_jacobian_symbols(((1, 0, 1),)).value[0, :, 0, :]
    [[1/p, 0, 0], [0, 0, 0], [0, 0, 1/p]]
    """
    keep = np.array(kept, dtype=int)
    xs = symbol_array("x", keep.shape)
    if mode == "test":
        value = xs
    else:
        entries = [k * v / KEEP for k, v in zip(keep.ravel(), sp.flatten(xs), strict=True)]
        value = sp.Array(entries, keep.shape)
    return Concrete("dout/dx", jacobian(value, xs), {"x": xs, "p": sp.Array([KEEP])})


# -- the rows of verify_all ------------------------------------------------------------------------


class Point(NamedTuple):
    """Where the rows are checked: an input x, its dropout_param, and an upstream gradient G."""

    x: np.ndarray
    param: dict
    G: np.ndarray

    def mask(self) -> np.ndarray:
        """The mask dropout_forward draws for x (ones at test time)."""
        cache = dropout_layer.dropout_forward(self.x, self.param)[1]
        return np.ones_like(self.x) if cache.mask is None else cache.mask

    def backward(self) -> np.ndarray:
        """dropout_backward of G, through the cache of dropout_forward(x)."""
        cache = dropout_layer.dropout_forward(self.x, self.param)[1]
        return dropout_layer.dropout_backward(self.G, cache)

    def kept(self) -> tuple:
        """The kept entries as a nested tuple of 0 and 1."""
        return tuple(map(tuple, (self.mask() != 0).astype(int).reshape(self.x.shape[0], -1)))


ROWS = (  # quantity, symbolic value, numeric value
    (
        "Jacobian diag(mask / p) at its mask",
        lambda a: dropout_jacobian_symbols(a.kept(), a.param["mode"]).evaluate(p=[a.param["p"]]),
        lambda a: dropout_layer.dropout_jacobian(a.x, a.param),
    ),
    (
        "dx = dout * mask, index notation",
        lambda a: dropout_gradient().evaluate(G=a.G, M=a.mask()),
        lambda a: a.backward(),
    ),
    (
        "dx, Jacobian contracted",
        lambda a: jacobians.vjp(
            dropout_jacobian_symbols(a.kept(), a.param["mode"]).evaluate(p=[a.param["p"]]), a.G
        ),
        lambda a: a.backward(),
    ),
)


def verify_rows(rng: np.random.Generator) -> list[Check]:
    """The dropout rows of :func:`~backprop_core.symbolic.verify_all`, in train and test mode.

    At N = 3, H = 4 with a fixed seed: train mode at p = 0.6 (some entries dropped), and test
    mode, where the layer is the identity.

    >>> [row.quantity for row in verify_rows(np.random.default_rng(0))][-1]
    'dx, Jacobian contracted, test'
    """
    x, G = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    seed = int(rng.integers(1 << 30))
    return [
        check
        for mode in ("train", "test")
        for check in table_rows(
            "dropout", ROWS, Point(x, {"p": 0.6, "mode": mode, "seed": seed}, G), f", {mode}"
        )
    ]
