"""A deep network at initialisation: what each layer sees forward and back.

:func:`layer_statistics` runs one forward and one backward pass and reports, per layer, the mean
and standard deviation of its output, of the gradient arriving at that output, and of its weight
gradient: where gradients vanish or explode, these numbers show it. :func:`statistics_table`
prints them and :func:`trend` names the trend across the hidden layers.

The nets are built by :mod:`~backprop_core.models.initialisation` (He's and Xavier's scales,
:func:`deep_net`), whose names are re-exported here.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from .._checks import as_float_array, as_labels, as_scalar
from ..layers import softmax_loss
from . import stack
from .fc_net import FullyConnectedNet, as_batch, check_params
from .initialisation import (
    INITS,
    as_init,
    deep_net,
    he_scale,
    hidden_activation,
    layer_scales,
    xavier_scale,
)


class LayerStatistics(NamedTuple):
    """One layer's numbers: its output ``h_l`` (``scores`` for the last), the gradient arriving
    at that output on the way back, and the gradient of its weights ``W_l``."""

    layer: int
    name: str
    activation_mean: float
    activation_std: float
    gradient_mean: float
    gradient_std: float
    weight_gradient_mean: float
    weight_gradient_std: float


def moments(a):
    """Mean and standard deviation of every entry of ``a``, without overflow for large entries.

    >>> moments(np.array([1e200, -1e200]))
    (0.0, 1e+200)
    """
    a = as_float_array(a, "a", finite=False).astype(np.float64, copy=False)
    top = float(np.max(np.abs(a)))
    if top == 0.0 or not np.isfinite(top):  # all zeros, or inf / nan: nothing to rescale
        with np.errstate(invalid="ignore", over="ignore"):
            return float(np.mean(a)), float(np.std(a))
    scaled = a / top
    return float(top * np.mean(scaled)), float(top * np.std(scaled))


def _training_copy(layer):
    """``layer`` with its own copy of its settings, in training mode (batch norm's running
    statistics are then written into the copy, never into the model's)."""
    settings = dict(layer.settings)
    if "mode" in settings:
        settings["mode"] = "train"
    return stack.Layer(layer.stage, layer.params, settings)


def layer_statistics(net, X, y):
    """Per layer of ``net``: mean and std of its output, of the gradient arriving there, of dW.

    One forward and one backward pass in training mode, as ``net.loss(X, y)`` runs them (the
    penalty ``reg * W`` included in dW), the layers of ``net.layers`` taken one at a time so that
    every intermediate result can be measured. The model is not changed (batch norm's running
    statistics stay as they were). A value beyond the range of the net's dtype (a float32 net at
    a huge scale) is reported as inf or nan, never as an error.

    Parameters
    ----------
    net : FullyConnectedNet
    X : ndarray, shape (N, input_dim)
    y : ndarray of int, shape (N,)

    Returns
    -------
    list of LayerStatistics, one per layer ``l = 1 ... L``: ``h1 ... h(L-1)`` (each hidden
    layer's output, after its normalisation, activation and dropout: what ``W(l+1)`` reads) and
    ``scores``.

    >>> rng = np.random.default_rng(0)
    >>> X, y = rng.standard_normal((200, 100)), rng.integers(0, 10, 200)
    >>> small = layer_statistics(deep_net([100] * 4, 100, 10, init=0.01), X, y)
    >>> [f"{r.activation_std:.0e}" for r in small]  # each layer about 0.07 times the last
    ['6e-02', '4e-03', '3e-04', '2e-05', '2e-06']
    >>> he = layer_statistics(deep_net([100] * 4, 100, 10, init="he"), X, y)
    >>> [f"{r.activation_std:.1f}" for r in he[:4]]
    ['0.8', '0.9', '0.9', '0.9']
    """
    if not isinstance(net, FullyConnectedNet):
        raise TypeError(f"net must be a FullyConnectedNet; got {type(net).__name__}")
    dtype = net.params["W1"].dtype if "W1" in net.params else net.dtype
    check_params(net.params, net.shapes, dtype)
    X = as_batch(X, (net.input_dim,), dtype)
    X = X.reshape(X.shape[0], -1)
    y = as_labels(y, "y", X.shape[0], net.num_classes)
    layers = [_training_copy(layer) for layer in net.layers]

    outputs, caches = [], []
    x = X
    with np.errstate(over="ignore", invalid="ignore"):
        for layer in layers:  # stack.forward, one layer at a time
            x, (cache,) = stack.forward([layer], net.params, x)
            outputs.append(x)
            caches.append(cache)
        _, dout = softmax_loss.loss(x, y)
        arriving, grads = [None] * len(layers), {}
        for k in range(len(layers) - 1, -1, -1):  # stack.backward, one layer at a time
            arriving[k] = dout
            layer_grads = stack.backward([layers[k]], [caches[k]], dout, need_dx=True)
            dout = layer_grads.pop("x")
            grads.update(layer_grads)

    # layer l's output is what the (l+1)-th affine layer reads; the last layer's, the scores
    starts = [k for k, layer in enumerate(layers) if layer.stage == "affine_backward"]
    ends = [k - 1 for k in starts[1:]] + [len(layers) - 1]
    records = []
    for i, end in enumerate(ends, start=1):
        W = net.params[f"W{i}"]
        dW = grads[f"W{i}"] + net.reg * W if net.reg else grads[f"W{i}"]  # the penalty's share
        records.append(
            LayerStatistics(
                i,
                "scores" if i == net.num_layers else f"h{i}",
                *moments(outputs[end]),
                *moments(arriving[end]),
                *moments(dW),
            )
        )
    return records


def statistics_table(records):
    """The records as a text table, one row per layer, numbers in scientific notation.

    A mean of at most 1e-9 of its standard deviation is rounding error (the gradient of the scores
    sums to 0 over the classes) and is shown as 0.

    >>> rng = np.random.default_rng(0)
    >>> net = deep_net([20], input_dim=5, num_classes=3)
    >>> records = layer_statistics(net, rng.standard_normal((8, 5)), [0, 1, 2, 0, 1, 2, 0, 1])
    >>> print(statistics_table(records))
    layer     h mean     h std    dh mean    dh std   dW mean    dW std
    h1      +3.7e-01  6.0e-01  +2.6e-03  3.1e-02  -7.0e-03  5.6e-02
    scores  +8.4e-03  9.4e-01  +0.0e+00  6.2e-02  +0.0e+00  1.2e-01
    """
    if not isinstance(records, list | tuple) or not all(
        isinstance(r, LayerStatistics) for r in records
    ):
        raise TypeError("records must be the list layer_statistics returns")
    head = f"{'layer':<7}{'h mean':>9}{'h std':>10}{'dh mean':>11}{'dh std':>10}"
    head += f"{'dW mean':>10}{'dW std':>10}"
    rows = [head]
    for r in records:
        pairs = (
            (r.activation_mean, r.activation_std),
            (r.gradient_mean, r.gradient_std),
            (r.weight_gradient_mean, r.weight_gradient_std),
        )
        cells = [
            f"{mean if abs(mean) > 1e-9 * std else 0.0:+.1e}  {std:.1e}" for mean, std in pairs
        ]
        rows.append(f"{r.name:<7} " + "  ".join(cells))
    return "\n".join(rows)


def trend(records, field, factor=10.0):
    """``(ratio, word)``: how ``field`` changes across the hidden layers, in the pass's direction.

    For activations (forward) the ratio is the last hidden layer's value over the first's; for
    gradients (``gradient_std``, ``weight_gradient_std``: the backward pass) the first hidden
    layer's over the last's, since the gradient travels from the last to the first. The word is
    "vanishing" below ``1 / factor``, "exploding" above ``factor``, else "steady". A value of 0
    at the end it divides by gives an infinite ratio, or NaN with "vanishing" when it is 0 at
    both ends; a NaN or infinite statistic (an overflowed network) gives "exploding".

    >>> rng = np.random.default_rng(0)
    >>> X, y = rng.standard_normal((200, 100)), rng.integers(0, 10, 200)
    >>> records = layer_statistics(deep_net([100] * 6, 100, 10, init=1.0), X, y)
    >>> ratio, word = trend(records, "gradient_std")
    >>> f"{ratio:.0e}", word
    ('2e+04', 'exploding')
    """
    fields = ("activation_std", "gradient_std", "weight_gradient_std")
    if field not in fields:
        raise ValueError(f"field must be one of {fields}; got {field!r}")
    factor = as_scalar(factor, "factor", positive=True)
    hidden = [r for r in records if r.name != "scores"] if isinstance(records, list) else None
    if not hidden or not all(isinstance(r, LayerStatistics) for r in hidden):
        raise TypeError("records must be the list layer_statistics returns, with a hidden layer")
    first, last = getattr(hidden[0], field), getattr(hidden[-1], field)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        top, bottom = (last, first) if field == "activation_std" else (first, last)
        ratio = float(np.float64(top) / np.float64(bottom))  # inf or nan, not an exception, at 0
    if top == 0 and bottom == 0:  # nothing reaches either end: gone before the hidden layers
        word = "vanishing"
    elif math.isnan(ratio):  # a NaN or infinite statistic: the numbers overflowed on the way
        word = "exploding"
    else:
        word = "vanishing" if ratio < 1 / factor else "exploding" if ratio > factor else "steady"
    return ratio, word


__all__ = [
    "INITS",
    "LayerStatistics",
    "deep_net",
    "he_scale",
    "layer_scales",
    "layer_statistics",
    "statistics_table",
    "trend",
    "xavier_scale",
]

# the other names the single module statistics.py held, still reachable from here
__all__ += ["as_init", "hidden_activation"]
