"""Layer normalization: batch norm's derivation read along the other axis, its full Jacobian at
small sizes, and the rows of :func:`~backprop_core.symbolic.verify_all`.

A sample's D features play the role of a column's N samples: :func:`layernorm_gradient` is
:func:`~backprop_core.symbolic.batchnorm.normalised_gradient` at symbolic D, with the upstream
gradient ``U = gamma_q G[i, q]`` of row i (gamma now differs along the sum).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import sympy as sp

from .. import jacobians, registry
from .batchnorm import (
    D,
    U,
    gamma,
    normalise_array,
    normalised_gradient,
    scale_shift_gradients,
    sigma,
    sigma_s,
    xhat,
)
from .concrete import Concrete, jacobian, symbol_array
from .derivation import Derivation, Step
from .notation import G, N, i, j, partial
from .verify import Check, table_rows

ln_layer = registry.get("layernorm_backward").load("numeric")


@sp.cacheit
def layernorm_gradient() -> Derivation:
    """dL/dx_ij of layer normalization: the closed form over the D features of row i.

    Evaluate with ``G=`` (N, D), ``xhat=`` (N, D), ``gamma=`` (D,) and ``sigma=`` (N,).

    >>> from backprop_core.symbolic.notation import p
    >>> layernorm_gradient().result.has(sp.Sum(G[i, p] * gamma[p], (p, 0, D - 1)))
    True
    """
    closed = normalised_gradient(D)["closed form"].rhs.subs(i, j)
    in_row = closed.replace(
        lambda e: isinstance(e, sp.Indexed) and e.base in (U, xhat),
        lambda e: (
            (gamma[e.indices[0]] * G[i, e.indices[0]]) if e.base == U else xhat[i, e.indices[0]]
        ),
    ).subs(sigma_s, sigma[i])
    steps = (Step("one row, U = gamma G", partial("x", i, j), in_row),)
    dims = {G: (N, D), xhat: (N, D), gamma: (D,), sigma: (N,)}
    return Derivation("layer norm dx", steps, (G, xhat, gamma, sigma), dims, ((i, N), (j, D)))


@sp.cacheit
def layernorm_jacobian_symbols(n: int = 2, d: int = 3) -> Concrete:
    """d out / d x (n, d, n, d) of layer norm at eps = 1e-5, by ``derive_by_array``.

    Evaluate with ``x=`` and ``gamma=``.

    >>> J = layernorm_jacobian_symbols(2, 3)
    >>> J.shape, J.nonzero()  # only within a sample: 2 blocks of 3 x 3
    ((2, 3, 2, 3), 18)
    """
    v, g, b = symbol_array("x", (n, d)), symbol_array("gamma", (d,)), symbol_array("beta", (d,))
    return Concrete(
        "d out/dx, layer norm", jacobian(normalise_array(v, 1, g, b), v), {"x": v, "gamma": g}
    )


# -- the rows of verify_all ------------------------------------------------------------------------


class Point(NamedTuple):
    """A (3, 4) batch with a tie in one row, the layer's gradients, and a (2, 3) corner."""

    x: np.ndarray
    gamma: np.ndarray
    G: np.ndarray
    xhat: np.ndarray
    sigma: np.ndarray
    grads: tuple
    corner: np.ndarray
    corner_G: np.ndarray
    corner_J: np.ndarray


def _point(rng) -> Point:
    x = rng.normal(size=(3, 4)) * [[1.0], [2.0], [0.5]]
    x[0, 1] = x[0, 2]  # a tie: two equal features in one sample
    gamma, G = rng.uniform(0.5, 2.0, 4), rng.normal(size=(3, 4))
    centred = x - x.mean(axis=1, keepdims=True)
    sigma = np.sqrt((centred**2).mean(axis=1) + 1e-5)  # written out here
    _, cache = ln_layer.layernorm_forward(x, gamma, np.zeros(4), {})
    corner = x[:2, :3]
    J = layernorm_jacobian_symbols(2, 3).evaluate(x=corner, gamma=gamma[:3])
    grads = ln_layer.layernorm_backward(G, cache)
    return Point(x, gamma, G, centred / sigma[:, None], sigma, grads, corner, G[:2, :3], J)


def _corner_dx(a: Point):
    _, cache = ln_layer.layernorm_forward(a.corner, a.gamma[:3], np.zeros(3), {})
    return ln_layer.layernorm_backward(a.corner_G, cache)[0]


ROWS = (  # quantity, symbolic value, numeric value
    (
        "dx closed form (index, symbolic D)",
        lambda a: layernorm_gradient().evaluate(
            G=a.G, **{"xhat": a.xhat, "gamma": a.gamma, "sigma": a.sigma}
        ),
        lambda a: a.grads[0],
    ),
    (
        "dgamma, index notation",
        lambda a: scale_shift_gradients()["gamma"].evaluate(G=a.G, xhat=a.xhat),
        lambda a: a.grads[1],
    ),
    (
        "dbeta, index notation",
        lambda a: scale_shift_gradients()["beta"].evaluate(G=a.G),
        lambda a: a.grads[2],
    ),
    (
        "Jacobian (2,3,2,3) = layernorm_jacobian",
        lambda a: a.corner_J,
        lambda a: ln_layer.layernorm_jacobian(a.corner, a.gamma[:3], {}),
    ),
    (
        "Jacobian contracted = layernorm_backward",
        lambda a: jacobians.vjp(a.corner_J, a.corner_G),
        _corner_dx,
    ),
)


def verify_rows(rng: np.random.Generator) -> list[Check]:
    """The layer-norm rows of :func:`~backprop_core.symbolic.verify_all`.

    >>> [row.passed for row in verify_rows(np.random.default_rng(0))].count(True)
    5
    """
    return table_rows("layernorm", ROWS, _point(rng))
