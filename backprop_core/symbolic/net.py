"""The whole tiny network: the gradient of its loss by differentiating the loss expression
directly, with no chain rule of ours, and the rows of :func:`~backprop_core.symbolic.verify_all`.

The network is the seed's, at sizes small enough for SymPy: ``y1 = X W1 + b1``,
``h1 = max(0, y1)`` (or an activation typed as text), ``y2 = h1 W2 + b2`` and the mean
cross-entropy of ``softmax(y2)`` plus ``reg * (sum W1^2 + sum W2^2)``.
"""

from __future__ import annotations

import functools

import numpy as np
import sympy as sp

from .. import activations
from ..net import TwoLayerNet
from .concrete import Concrete, affine_array, symbol_array
from .verify import Check, compare

SIZES = (2, 2, 3, 2)  # N, D, H, C of the networks verify_rows checks
LABELS = (0, 1)


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
    :mod:`backprop_core.activations`); returns ``{"W1": dL/dW1, "b1": ..., "X": dL/dX}``, each
    evaluated with ``X=`` (N, D) and the parameters by name. Memoised in SymPy's cache: the
    notebooks, ``verify_all`` and an explorer ask for the same nets.

    >>> grads = tiny_net_gradients()
    >>> {name: g.shape for name, g in grads.items()}
    {'W1': (2, 3), 'b1': (3,), 'W2': (3, 2), 'b2': (2,), 'X': (2, 2)}
    """
    return dict(_tiny_net_gradients(N, D, H, C, tuple(labels), float(reg), activation))


@sp.cacheit
def _tiny_net_gradients(N, D, H, C, labels, reg, activation) -> tuple[tuple[str, Concrete], ...]:
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
        expr = activations.parse(activation)
        hidden = lambda v: expr.subs(activations.X, v)  # noqa: E731
    h1 = affine_array(inputs["X"], inputs["W1"], inputs["b1"]).applyfunc(hidden)
    y2 = affine_array(h1, inputs["W2"], inputs["b2"])
    # -log(exp(y2[n, t]) / sum_c exp(y2[n, c])) written as log(sum_c exp(y2[n, c])) - y2[n, t]:
    # the same function (the log of a quotient), which SymPy differentiates twice as fast
    loss = sum(sp.log(sum(sp.exp(y2[n, c]) for c in range(C))) - y2[n, labels[n]] for n in range(N))
    loss /= N
    reg = sp.nsimplify(reg)
    loss += reg * sum(v**2 for name in ("W1", "W2") for v in sp.flatten(inputs[name]))
    return tuple(
        (name, Concrete(f"dL/d{name}", sp.derive_by_array(loss, symbols), inputs))
        for name, symbols in inputs.items()
    )


# -- the rows of verify_all ------------------------------------------------------------------------


def _gradient_rows(stage, quantity, names, *, exact, values, grads, at_zero=None) -> list[Check]:
    return [
        compare(
            stage,
            quantity.format(name),
            exact[name].evaluate(at_zero, **values),
            getattr(grads, "d" + name),
        )
        for name in names
    ]


def _relu_net_rows(rng: np.random.Generator, reg: float = 0.05) -> list[Check]:
    N, D, H, C = SIZES
    initial = TwoLayerNet(D, H, C, std=0.7, seed=int(rng.integers(1 << 30))).params
    params = dict(initial, b1=0.1 * rng.normal(size=H))
    X = rng.normal(size=(N, D))
    exact = tiny_net_gradients(N, D, H, C, labels=LABELS, reg=reg)
    # sample 0 is all zeros and b1 is zero, so every hidden unit of sample 0 sits at its kink
    kinked = (np.vstack([np.zeros(D), X[1]]), dict(params, b1=np.zeros(H)))
    rows = []
    for case, (inputs, case_params) in (("", (X, params)), (", at a kink", kinked)):
        net = TwoLayerNet.from_params(case_params)
        grads = net.backward(net.forward(inputs), list(LABELS), reg=reg)
        values = dict(case_params, X=inputs)
        rows_of = functools.partial(
            _gradient_rows, exact=exact, values=values, grads=grads, at_zero=net.relu_at_zero
        )
        if not case:  # layer 1 through the whole loss: what the seed leaves to the reader
            rows += rows_of("affine (layer 1)", "d{}, whole loss differentiated", ("W1", "b1", "X"))
        rows += rows_of("whole net", f"d{{}}, reg {reg:g}{case}", ("W1", "b1", "W2", "b2"))
    return rows


def _typed_rows(rng: np.random.Generator, reg: float = 0.05) -> list[Check]:
    N, D, H, C = SIZES
    rows = []
    for name in ("tanh", "gelu"):
        seed = int(rng.integers(1 << 30))
        net = TwoLayerNet(D, H, C, std=0.7, seed=seed, activation=activations.named(name))
        X = rng.normal(size=(N, D))
        grads = net.backward(net.forward(X), list(LABELS), reg=reg)
        text = activations.NAMED[name]
        exact = tiny_net_gradients(N, D, H, C, LABELS, reg, activation=text)
        values = dict(net.params, X=X)
        quantity = f"d{{}}, {name} hidden layer"
        rows += _gradient_rows(
            "typed activation", quantity, ("W1", "b1"), exact=exact, values=values, grads=grads
        )
    return rows


def verify_rows(rng: np.random.Generator) -> list[Check]:
    """The whole-net rows of :func:`~backprop_core.symbolic.verify_all`: ReLU net, then typed.

    The 2-2-3-2 ReLU network's gradients, by :class:`~backprop_core.net.TwoLayerNet` and by
    :func:`tiny_net_gradients`, at a random point and at one where a sample sits at every hidden
    unit's kink; then the same network with a tanh and a GELU hidden layer.

    >>> sorted({row.stage for row in verify_rows(np.random.default_rng(0))})
    ['affine (layer 1)', 'typed activation', 'whole net']
    """
    return [*_relu_net_rows(rng), *_typed_rows(rng)]
