"""The ReLU ``out = max(0, x)``: its gradient in index notation, its full Jacobian, its slope at
exactly 0 by four sources, and the rows of :func:`~backprop_core.symbolic.verify_all`.

``x`` (N, H) is the ReLU's input (the seed's ``y1``) and ``G = dL/dout`` (N, H) the upstream
gradient (the seed's ``dh1``). SymPy's ``Heaviside(0)`` is 1/2; every ``evaluate`` takes
``at_zero=`` to choose another value at the kink.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import sympy as sp

from .. import registry
from ..gradcheck import numerical_gradient
from .concrete import Concrete, jacobian, symbol_array
from .derivation import Derivation, Step
from .notation import G, H, N, chain, i, in_range, j, out, p, partial, q, x
from .verify import Check, table_rows

# The numeric module the registry names for this stage; its functions are looked up at call
# time (relu_layer.<name>), so a test can swap in a broken one.
relu_layer = registry.get("relu_backward").load("numeric")


@sp.cacheit
def relu_gradient() -> Derivation:
    """dL/dx_ij for ``out = max(0, x)`` on a matrix x (N, H): an elementwise Heaviside factor.

    This is the matrix case the seed leaves to the reader. Evaluate with ``G=`` and ``x=``, both
    (N, H).

    >>> relu_gradient().result == G[i, j] * sp.Heaviside(x[i, j])
    True
    """
    forward = sp.Max(0, x[p, q])
    local = sp.diff(forward, x[i, j])  # Heaviside(x[p, q]) 1{p = i} 1{q = j}
    chained = chain(local, (q, 0, H - 1), (p, 0, N - 1))
    collapsed = in_range(chained.doit())
    steps = (
        Step("forward", out[p, q], forward),
        Step("local derivative", sp.Derivative(out[p, q], x[i, j]), local),
        Step("chain rule", partial("x", i, j), chained),
        Step("Kronecker collapse", partial("x", i, j), collapsed),
    )
    return Derivation("ReLU gradient", steps, (G, x), {G: (N, H), x: (N, H)}, ((i, N), (j, H)))


@sp.cacheit
def relu_jacobian_symbols(shape: tuple[int, ...] = (3,)) -> Concrete:
    """Jacobian of ``max(0, x)`` for ``x`` of any shape, in symbols: shape ``shape + shape``.

    ``Heaviside`` on the diagonal, 0 elsewhere; the numeric
    :func:`~backprop_core.jacobians.relu_jacobian` computes its value. Evaluate with ``x=``.

    >>> relu_jacobian_symbols((2,)).value
    [[Heaviside(x_{0}), 0], [0, Heaviside(x_{1})]]
    """
    x = symbol_array("x", shape)
    value = sp.Array([sp.Max(0, v) for v in sp.flatten(x)], shape)
    return Concrete("d relu(x)/dx", jacobian(value, x), {"x": x})


class Convention(NamedTuple):
    """One answer to "what is d max(0, x)/dx at x = 0?"."""

    source: str
    rule: str
    value: float


def relu_at_zero() -> list[Convention]:
    """The ReLU's slope at an input exactly 0, computed four ways (plus this package's default).

    Each value is computed here, not quoted: SymPy differentiates ``Max(0, x)`` and evaluates the
    resulting ``Heaviside`` at 0; the seed's and PyTorch's rules are run on a NumPy 0; the
    central difference is taken with :func:`~backprop_core.gradcheck.numerical_gradient`.

    >>> for row in relu_at_zero():
    ...     print(f"{row.source:<24} {row.value}")
    SymPy                    0.5
    seed (y1 >= 0)           1.0
    PyTorch (x > 0)          0.0
    central difference       0.5
    backprop_core default    0.0
    """
    t = sp.Symbol("x", real=True)
    derivative = sp.diff(sp.Max(0, t), t)
    zero = np.zeros(1)
    upstream = np.ones(1)
    central = numerical_gradient(lambda v: float(relu_layer.relu_forward(v)[0][0]), zero)
    default = relu_layer.relu_backward(upstream, relu_layer.relu_forward(zero)[1])
    return [
        Convention("SymPy", f"d/dx Max(0, x) = {derivative}", float(derivative.subs(t, 0))),
        Convention("seed (y1 >= 0)", "dh1 * (y1 >= 0)", float((upstream * (zero >= 0))[0])),
        Convention("PyTorch (x > 0)", "dout * (x > 0)", float((upstream * (zero > 0))[0])),
        Convention("central difference", "(relu(h) - relu(-h)) / 2h", float(central[0])),
        Convention("backprop_core default", "relu_backward(at_zero=0.0)", float(default[0])),
    ]


# -- the rows of verify_all ------------------------------------------------------------------------


class Point(NamedTuple):
    """Where the rows are checked: the input x (N, H), some entries exactly 0, and G (N, H)."""

    x: np.ndarray
    G: np.ndarray
    at_zero: float


ROWS = (  # quantity, symbolic value, numeric value
    (
        "Jacobian, vector case (diagonal)",
        lambda a: relu_jacobian_symbols(a.x[0].shape).evaluate(x=a.x[0], at_zero=a.at_zero),
        lambda a: relu_layer.relu_jacobian(a.x[0], at_zero=a.at_zero),
    ),
    (
        "Jacobian, matrix case (diagonal mask)",
        lambda a: relu_jacobian_symbols(a.x.shape).evaluate(x=a.x, at_zero=a.at_zero),
        lambda a: relu_layer.relu_jacobian(a.x, at_zero=a.at_zero),
    ),
    (
        "dy1 = dh1 * Heaviside(y1), index notation",
        lambda a: relu_gradient().evaluate(G=a.G, x=a.x, at_zero=a.at_zero),
        lambda a: relu_layer.relu_backward(a.G, relu_layer.relu_forward(a.x)[1], at_zero=a.at_zero),
    ),
)


def verify_rows(rng: np.random.Generator) -> list[Check]:
    """The ReLU rows of :func:`~backprop_core.symbolic.verify_all`, one per row of :data:`ROWS`.

    At N = 3, H = 4 with two inputs exactly at the kink, under the package's default
    ``at_zero = 0``; the vector case is the first row of ``x``.

    >>> [row.quantity for row in verify_rows(np.random.default_rng(0))][-1]
    'dy1 = dh1 * Heaviside(y1), index notation'
    """
    x = rng.normal(size=(3, 4))
    x[0, 0] = x[-1, -1] = 0.0  # exactly at the kink
    return table_rows("relu", ROWS, Point(x, rng.normal(size=(3, 4)), at_zero=0.0))
