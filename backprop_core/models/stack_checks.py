"""Checking a stack of layers before forward mode, reverse mode or checkpointing runs it.

The functions of :mod:`~backprop_core.models.modes`, :mod:`~backprop_core.models.memory` and
:mod:`~backprop_core.models.checkpointing` take a list of
:class:`~backprop_core.models.stack.Layer`, a dict of parameters and an input, and check them
here, once, at their public boundary: every layer of a kind in :data:`TANGENT_KINDS` (the fully
connected kinds, whose tangents forward mode knows), every parameter present and of the shape the
previous layer's output asks for. :func:`isolated` copies the layers' settings, so that running
a stack again leaves batch norm's running statistics alone.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .._checks import as_float_array, check_shape
from ..layers import batchnorm, dropout, layernorm
from . import stack

ELEMENTWISE = ("relu_backward", "activation", "dropout_backward")
TANGENT_KINDS = ("affine_backward", "batchnorm_backward", "layernorm_backward", *ELEMENTWISE)
BN_KEYS = ("mode", "eps", "momentum", "running_mean", "running_var")


def _check_settings(layer, i, width, dtype, repeated):
    where = f"layers[{i}].settings"
    if layer.stage == "batchnorm_backward":
        missing = [key for key in BN_KEYS if key not in layer.settings]
        if missing:
            raise ValueError(f"{where} must hold {list(BN_KEYS)} (a bn_param); missing {missing}")
        batchnorm.read_bn_param(layer.settings, width, dtype)
    elif layer.stage == "layernorm_backward":
        if "eps" not in layer.settings:
            raise ValueError(f"{where} must hold 'eps' (an ln_param); got {sorted(layer.settings)}")
        layernorm.read_ln_param(layer.settings)
    elif layer.stage == "dropout_backward":
        param = dropout.check_param(layer.settings, where)
        if repeated and param["mode"] == "train" and param.get("seed") is None:
            raise ValueError(
                f"{where} needs a 'seed' in train mode: this runs the stack more than once and "
                "every run must drop the same units"
            )


def check_layers(layers, params):
    """Refuse ``layers`` that is not a non-empty list of stack.Layer, or ``params`` not a dict.

    >>> check_layers([stack.Layer("relu_backward")], {})
    >>> check_layers([], {})
    Traceback (most recent call last):
    ValueError: layers must hold at least one layer; got an empty list
    """
    if isinstance(layers, str | bytes) or not isinstance(layers, Sequence):
        raise TypeError(f"layers must be a list of stack.Layer; got {type(layers).__name__}")
    if not layers:
        raise ValueError("layers must hold at least one layer; got an empty list")
    for i, layer in enumerate(layers):
        if not isinstance(layer, stack.Layer):
            raise TypeError(f"layers[{i}] must be a stack.Layer; got {type(layer).__name__}")
    if not isinstance(params, dict):
        raise TypeError(f"params must be a dict of arrays; got {type(params).__name__}")


def check_stack(layers, params, x, repeated=False):
    """``x`` as a float array after checking that ``layers`` can run on it with ``params``.

    Every layer must be a :class:`~backprop_core.models.stack.Layer` of a kind in
    :data:`TANGENT_KINDS`, every parameter it names a float array in ``params`` of the shape the
    previous layer's output asks for. ``repeated`` (the stack runs more than once) also asks
    train-mode dropout for a seed, so that every run drops the same units.

    >>> layers = [stack.Layer("affine_backward", ("W", "b"))]
    >>> check_stack(layers, {"W": np.ones((3, 2)), "b": np.zeros(2)}, [[1, 2, 3]]).dtype
    dtype('float64')
    >>> check_stack(layers, {"W": np.ones((4, 2)), "b": np.zeros(2)}, [[1, 2, 3]])
    Traceback (most recent call last):
    ValueError: params['W'] must have shape (D, M) = (3, ?) to match the input of layers[0], of
    shape (1, 3); got (4, 2)
    """
    return checked_stack(layers, params, x, repeated)[0]


def checked_stack(layers, params, x, repeated):
    """:func:`check_stack`'s work: ``x`` as a float array, and the stack's output shape.

    >>> layers = [stack.Layer("affine_backward", ("W", "b"))]
    >>> params = {"W": np.ones((3, 2)), "b": np.zeros(2)}
    >>> x, out_shape = checked_stack(layers, params, [[1, 2, 3]], repeated=False)
    >>> out_shape
    (1, 2)
    """
    check_layers(layers, params)
    x = as_float_array(x, "x")
    if x.ndim < 2:
        raise ValueError(f"x must be a batch (N, D) or (N, d1, ..., dk); got shape {x.shape}")
    shape = x.shape
    for i, layer in enumerate(layers):
        if layer.stage not in TANGENT_KINDS:
            raise ValueError(
                f"layers[{i}] is a {layer.stage!r} layer; this module handles {TANGENT_KINDS}"
            )
        values = []
        for name in layer.params:
            if name not in params:
                raise ValueError(f"params has no {name!r}, which layers[{i}] reads")
            values.append(as_float_array(params[name], f"params[{name!r}]"))
        why = f"to match the input of layers[{i}], of shape {shape}"
        if layer.stage == "affine_backward":
            W, b = values
            check_shape(
                W, f"params[{layer.params[0]!r}]", (int(np.prod(shape[1:])), None), "(D, M)", why
            )
            check_shape(
                b, f"params[{layer.params[1]!r}]", (W.shape[1],), "(M,)", f"to match {W.shape}"
            )
            shape = (shape[0], W.shape[1])
        elif layer.stage in ("batchnorm_backward", "layernorm_backward"):
            if len(shape) != 2:
                raise ValueError(f"layers[{i}] normalises a 2-D input (N, D); got shape {shape}")
            for name, value in zip(layer.params, values, strict=True):
                check_shape(value, f"params[{name!r}]", (shape[1],), "(D,)", why)
        _check_settings(layer, i, shape[-1], x.dtype, repeated)
    return x, shape


def isolated(layers):
    """The same layers with copied settings: batch norm's running statistics stay unchanged.

    >>> layers = [stack.Layer("dropout_backward", (), {"p": 0.5, "mode": "test"})]
    >>> copy = isolated(layers)
    >>> copy == layers, copy[0].settings is layers[0].settings
    (True, False)
    """
    return [stack.Layer(layer.stage, layer.params, dict(layer.settings)) for layer in layers]


__all__ = [
    "ELEMENTWISE",
    "TANGENT_KINDS",
    "check_layers",
    "check_stack",
    "checked_stack",
    "isolated",
]
