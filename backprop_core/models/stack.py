"""A network as a list of layers: one loop forward, one loop backward, whatever the depth.

A :class:`Layer` names a registered stage (``"affine_backward"``, ``"batchnorm_backward"``, ...),
the parameters it reads from the model's ``params`` (in the order its kernel takes them) and its
settings dict (``bn_param``, ``dropout_param``, ``conv_param``, ``pool_param``). :data:`KINDS`
says, once per kind of layer, how the stack calls that stage's kernels: the only code written per
layer kind; none is written per depth. Every kernel comes from the module the registry names for
its stage, and trusts its arguments: a model checks the batch and its parameters once, then calls
:func:`forward` and :func:`backward`.

>>> import numpy as np
>>> layers = [Layer("affine_backward", ("W1", "b1")), Layer("relu_backward"),
...           Layer("affine_backward", ("W2", "b2"))]
>>> params = {"W1": np.eye(2), "b1": np.array([0.0, -5.0]), "W2": np.ones((2, 1)),
...           "b2": np.zeros(1)}
>>> scores, caches = forward(layers, params, np.array([[1.0, 2.0]]))
>>> scores
array([[1.]])
>>> backward(layers, caches, np.ones((1, 1)))["W1"]  # the second unit is off
array([[1., 0.], [2., 0.]])
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from .. import registry


@dataclass(frozen=True)
class Layer:
    """One layer of a stack: a registered stage, its parameters' names and its settings.

    ``settings`` is the dict the stage's cs231n function takes (``bn_param``, ``dropout_param``,
    ``conv_param``, ``pool_param``); batch norm writes its running statistics back into it.
    """

    stage: str
    params: tuple[str, ...] = ()
    settings: dict = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self):
        if self.stage not in KINDS:
            raise ValueError(f"stage must be one of {sorted(KINDS)}; got {self.stage!r}")
        wanted = KINDS[self.stage].params
        names = self.params
        what = f"the names of its {' and '.join(wanted)}" if wanted else "empty"
        if not (isinstance(names, tuple | list) and all(isinstance(n, str) for n in names)):
            raise TypeError(
                f"params of stage {self.stage!r} must be a tuple of strings, {what}; "
                f"got {names!r:.80}"
            )
        if len(names) != len(wanted) or len(set(names)) != len(names):
            raise ValueError(f"params of stage {self.stage!r} must be {what}; got {names!r:.80}")
        object.__setattr__(self, "params", tuple(names))
        if self.stage == "activation":
            fn = self.settings.get("activation")
            if not (
                callable(getattr(fn, "forward", None)) and callable(getattr(fn, "backward", None))
            ):
                raise TypeError(
                    "an activation layer needs settings={'activation': an object with "
                    f"forward(x) and backward(dout, cache)}}; got {type(fn).__name__}"
                )
        else:
            registry.get(self.stage)  # every other kind is a registered stage


class Kind(NamedTuple):
    """How the stack calls one stage's kernels.

    ``forward(module, x, params, settings) -> (out, cache)`` with ``params`` the layer's arrays in
    order; ``backward(module, dout, cache, need_dx) -> (dx, grads)`` with ``grads`` in the order of
    the layer's parameter names (``dx`` may be None when ``need_dx`` is False). ``params`` says
    what the arrays are, in that order: a :class:`Layer` of the stage names exactly one for each.
    """

    forward: Callable
    backward: Callable
    params: tuple[str, ...] = ()


def _affine_backward(module, dout, cache, need_dx):
    dx, dW, db = module.backward(dout, cache, need_dx=need_dx)
    return dx, (dW, db)


def _batchnorm_forward(module, x, params, bn):
    out, cache, bn["running_mean"], bn["running_var"] = module.forward(
        x, *params, bn["mode"], bn["eps"], bn["running_mean"], bn["running_var"], bn["momentum"]
    )
    return out, cache


def _normalisation_backward(module, dout, cache, need_dx):
    backward = getattr(module, "backward_alt", module.backward)  # batch norm's closed form
    dx, dgamma, dbeta = backward(dout, cache)
    return dx, (dgamma, dbeta)


class ActivationStep(NamedTuple):
    """The cache of an activation layer: the activation object and its own cache."""

    activation: object
    inner: tuple


def _activation_forward(activation, x):
    out, cache = activation.forward(x)
    return out, ActivationStep(activation, cache)


def _conv_backward(module, dout, cache, need_dx):
    dx, dw, db = module.fast_backward(dout, cache)
    return dx, (dw, db)


KINDS = {
    "affine_backward": Kind(
        lambda m, x, p, s: m.forward(x, *p), _affine_backward, ("weights", "biases")
    ),
    "relu_backward": Kind(
        lambda m, x, p, s: m.forward(x), lambda m, d, c, n: (m.backward(d, c), ())
    ),
    "batchnorm_backward": Kind(_batchnorm_forward, _normalisation_backward, ("gamma", "beta")),
    "layernorm_backward": Kind(
        lambda m, x, p, s: m.forward(x, *p, s["eps"]), _normalisation_backward, ("gamma", "beta")
    ),
    "dropout_backward": Kind(
        lambda m, x, p, s: m.forward(x, s), lambda m, d, c, n: (m.backward(d, c), ())
    ),
    "conv_backward_naive": Kind(
        lambda m, x, p, s: m.fast_forward(x, *p, s), _conv_backward, ("filters", "biases")
    ),
    "activation": Kind(  # any activation object (backprop_core.activations), not a stage
        lambda m, x, p, s: _activation_forward(s["activation"], x),
        lambda m, d, c, n: (c.activation.backward(d, c.inner), ()),
    ),
    "max_pool_backward_naive": Kind(
        lambda m, x, p, s: m.fast_forward(x, s), lambda m, d, c, n: (m.fast_backward(d, c), ())
    ),
}


# stage -> (forward, backward, numeric module): one dict lookup per layer and pass
_CALLS = {
    stage: (
        kind.forward,
        kind.backward,
        None if stage == "activation" else registry.get(stage).load("numeric"),
    )
    for stage, kind in KINDS.items()
}


def module_of(layer: Layer):
    """The numeric module the registry names for the layer's stage (None for an activation)."""
    return _CALLS[layer.stage][2]


def forward(layers: Sequence[Layer], params: dict, x: np.ndarray):
    """Run ``x`` through every layer: ``(out, caches)``, one cache per layer."""
    caches = []
    for layer in layers:
        run, _, module = _CALLS[layer.stage]
        values = [params[name] for name in layer.params]
        x, cache = run(module, x, values, layer.settings)
        caches.append(cache)
    return x, caches


def backward(layers: Sequence[Layer], caches: list, dout: np.ndarray, need_dx=False):
    """Gradients of every parameter, from the last layer back to the first.

    The parameters themselves are not needed: each layer's cache holds what its backward pass
    reads (an affine layer's cache keeps ``x`` and ``W``). Returns a dict keyed like the
    parameters, by each layer's names; with ``need_dx`` it also holds ``"x"``, the gradient
    with respect to the stack's input (skipped otherwise: no parameter update needs it).
    """
    grads = {}
    for i in range(len(layers) - 1, -1, -1):
        layer = layers[i]
        _, run, module = _CALLS[layer.stage]
        dout, layer_grads = run(module, dout, caches[i], need_dx or i > 0)
        grads.update(zip(layer.params, layer_grads, strict=True))
    if need_dx:
        grads["x"] = dout
    return grads


def penalty(params: dict, names: Sequence[str], reg: float, grads: dict | None = None) -> float:
    """cs231n's ``0.5 * reg * sum(W**2)`` over the weights ``names``; adds ``reg * W`` to grads."""
    if not reg:
        return 0.0
    total = 0.0
    for name in names:
        W = params[name]
        total += float(np.vdot(W, W))
        if grads is not None:
            grads[name] += reg * W
    return 0.5 * reg * total


__all__ = ["KINDS", "Kind", "Layer", "backward", "forward", "penalty"]
