"""A deep network at initialisation: the scale of each layer's weights, He's or Xavier's.

He et al. (2015, "Delving Deep into Rectifiers", section 2.2) draw each weight of a ReLU layer
with standard deviation ``sqrt(2 / fan_in)``; Glorot & Bengio (2010, "Understanding the
difficulty of training deep feedforward neural networks") use the variance ``2 / (fan_in +
fan_out)`` for tanh layers (from a uniform distribution; here, as for He, a normal one).

:func:`deep_net` builds a :class:`~backprop_core.models.FullyConnectedNet` with either scale per
layer (the net itself takes one ``weight_scale`` for every layer, so it is built with scale 1 and
each ``W`` multiplied by its own scale). What each layer of such a net sees, forward and back, is
measured by :mod:`~backprop_core.models.statistics`.
"""

from __future__ import annotations

import functools
import itertools
import numbers

import numpy as np

from .. import activations
from .._checks import as_count, as_scalar, as_seed
from .fc_net import FullyConnectedNet

INITS = ("he", "xavier")  # the named rules; a number is a fixed scale for every layer


def he_scale(fan_in):
    """He et al.'s standard deviation for the weights of a ReLU layer: ``sqrt(2 / fan_in)``.

    A ReLU zeroes half of a symmetric input, halving its mean square; the factor 2 gives it back.

    >>> he_scale(50)
    0.2
    """
    return float(np.sqrt(2.0 / as_count(fan_in, "fan_in")))


def xavier_scale(fan_in, fan_out):
    """Glorot & Bengio's standard deviation for tanh layers: ``sqrt(2 / (fan_in + fan_out))``.

    It keeps the variance of the activations (which asks for ``1 / fan_in``) and of the
    gradients (``1 / fan_out``) both near their values, for a layer near its linear regime.

    >>> xavier_scale(100, 100)
    0.1
    """
    fan_in, fan_out = as_count(fan_in, "fan_in"), as_count(fan_out, "fan_out")
    return float(np.sqrt(2.0 / (fan_in + fan_out)))


def as_init(init):
    """``"he"``, ``"xavier"`` or a fixed scale > 0, checked."""
    if isinstance(init, str):
        if init not in INITS:
            raise ValueError(f"init must be one of {INITS} or a number > 0; got {init!r}")
        return init
    if isinstance(init, bool) or not isinstance(init, numbers.Real):
        raise TypeError(f"init must be one of {INITS} or a number > 0; got {init!r:.60}")
    return as_scalar(init, "init", positive=True)


def layer_scales(sizes, init):
    """The standard deviation of each weight matrix ``W1 ... WL`` for layer sizes and a rule.

    Parameters
    ----------
    sizes : sequence of int, length L + 1
        ``[input_dim, *hidden_dims, num_classes]``; ``W_l`` has shape (sizes[l-1], sizes[l]).
    init : "he", "xavier" or float > 0
        A number is the same fixed scale for every layer.

    Returns
    -------
    list of float, length L

    >>> layer_scales([8, 8, 2], "he")
    [0.5, 0.5]
    >>> layer_scales([8, 8, 2], 0.01)
    [0.01, 0.01]
    """
    if isinstance(sizes, str | bytes) or not hasattr(sizes, "__iter__"):
        raise TypeError(f"sizes must be a list of layer sizes; got {sizes!r:.60}")
    sizes = [as_count(s, f"sizes[{i}]") for i, s in enumerate(sizes)]
    if len(sizes) < 2:
        raise ValueError(f"sizes must hold an input and an output size at least; got {sizes}")
    init = as_init(init)
    pairs = list(itertools.pairwise(sizes))
    if init == "he":
        return [he_scale(fan_in) for fan_in, _ in pairs]
    if init == "xavier":
        return [xavier_scale(fan_in, fan_out) for fan_in, fan_out in pairs]
    return [init] * len(pairs)


def hidden_activation(name):
    """The activation object for a name in ``activations.NAMED``; None for the engine's ReLU.

    Derived once per name (SymPy takes a moment) and shared, as activation objects are frozen.

    >>> hidden_activation("relu") is None, hidden_activation("tanh").text
    (True, 'tanh(x)')
    """
    if not isinstance(name, str) or name not in activations.NAMED:
        raise ValueError(f"activation must be one of {sorted(activations.NAMED)}; got {name!r:.60}")
    return None if name == "relu" else _named(name)


@functools.cache
def _named(name):
    return activations.named(name)


def deep_net(
    hidden_dims,
    input_dim,
    num_classes,
    init="he",
    activation="relu",
    normalization=None,
    dtype=np.float64,
    seed=0,
):
    """A :class:`FullyConnectedNet` whose ``W_l`` has the scale ``init`` gives layer ``l``.

    Built with ``weight_scale=1`` (standard normal weights), then each ``W_l`` is multiplied by
    its scale from :func:`layer_scales`; biases 0, gamma 1, beta 0 as the net makes them.

    Parameters
    ----------
    hidden_dims : sequence of int
    input_dim, num_classes : int
    init : "he", "xavier" or float > 0
    activation : str, default "relu"
        A name in ``activations.NAMED`` ("relu", "tanh", "sigmoid", ...).
    normalization : None, "batchnorm" or "layernorm"
    dtype : float32 or float64, default float64 (a badly scaled deep net leaves float32's range)
    seed : int, default 0

    >>> net = deep_net([50, 50], input_dim=50, num_classes=3, init="he")
    >>> [round(float(net.params[f"W{i}"].std()), 2) for i in (1, 2)]  # about sqrt(2 / 50)
    [0.2, 0.2]
    """
    init = as_init(init)
    net = FullyConnectedNet(
        hidden_dims,
        input_dim=input_dim,
        num_classes=num_classes,
        normalization=normalization,
        weight_scale=1.0,
        dtype=dtype,
        seed=as_seed(seed),
        activation=hidden_activation(activation),
    )
    sizes = [net.shapes[f"W{i}"][0] for i in range(1, net.num_layers + 1)] + [num_classes]
    for i, scale in enumerate(layer_scales(sizes, init), start=1):
        net.params[f"W{i}"] = (scale * net.params[f"W{i}"]).astype(net.dtype)
    return net


__all__ = [
    "INITS",
    "as_init",
    "deep_net",
    "he_scale",
    "hidden_activation",
    "layer_scales",
    "xavier_scale",
]
