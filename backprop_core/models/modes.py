"""Backpropagation as an algorithm: forward and reverse mode on a stack of layers, their costs
counted, the memory of the stored caches, and gradient checkpointing.

A stack (:mod:`backprop_core.models.stack`) computes ``out = f(x)``. Its Jacobian can be built
three ways (Baydin et al. 2018, "Automatic differentiation in machine learning: a survey"):

- **forward mode**, :func:`jacobian_forward`: one Jacobian-vector product per input direction,
  the tangent ``v`` pushed through the layers beside the values (:func:`jvp`), one column each;
- **reverse mode**, :func:`jacobian_reverse`: one forward pass, then one vector-Jacobian
  product per output direction, :func:`stack.backward <backprop_core.models.stack.backward>`
  with ``need_dx=True``, one row each;
- **central differences**, :func:`jacobian_central`: two forward passes per input entry.

Each returns the Jacobian, shape ``out.shape + x.shape``, and its :class:`Cost`: the passes
run and the multiply-adds of the matrix products in them, counted from the arrays' shapes as
each product runs (elementwise work is not counted). :func:`cache_memory` measures the bytes the
forward pass stores per layer for the backward pass; :func:`forward_checkpointed` and
:func:`backward_checkpointed` store only every k-th layer's input and recompute the rest
segment by segment (Griewank & Walther 2008, "Evaluating Derivatives", ch. 12).

Forward mode knows the fully connected kinds of :data:`TANGENT_KINDS`; so do the checks here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from .._checks import as_count, as_float_array, as_scalar, check_jacobian_size, check_shape
from ..layers import batchnorm, dropout, layernorm
from . import stack

ELEMENTWISE = ("relu_backward", "activation", "dropout_backward")
TANGENT_KINDS = ("affine_backward", "batchnorm_backward", "layernorm_backward", *ELEMENTWISE)
BN_KEYS = ("mode", "eps", "momentum", "running_mean", "running_var")


class Cost(NamedTuple):
    """What a way of computing a Jacobian ran: ``passes`` through the stack, and ``macs``, the
    multiply-adds of their matrix products (an (N, D) @ (D, M) product counts N * D * M)."""

    passes: int
    macs: int


# -- checks ------------------------------------------------------------------------------------


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


def _check_layers(layers, params):
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
    return _checked(layers, params, x, repeated)[0]


def _checked(layers, params, x, repeated):
    """:func:`check_stack`'s work: ``x`` as a float array, and the stack's output shape."""
    _check_layers(layers, params)
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


def _as_tangent(v, x, name="v"):
    v = as_float_array(v, name)
    check_shape(v, name, x.shape, "", f"to match x of shape {x.shape}")
    return v


def _result_dtype(layers, params, x):
    """The dtype of the stack's output: x's, promoted by its parameters'."""
    return np.result_type(x, *(params[name] for layer in layers for name in layer.params))


def _isolated(layers):
    """The same layers with copied settings: batch norm's running statistics stay unchanged."""
    return [stack.Layer(layer.stage, layer.params, dict(layer.settings)) for layer in layers]


# -- forward mode -------------------------------------------------------------------------------


def _affine_macs(cache):
    x, W = cache
    return x.shape[0] * W.shape[0] * W.shape[1]  # N * D * M


def tangent(layer, cache, dx):
    """The layer's Jacobian-vector product at the point its ``cache`` holds: ``(dout, macs)``.

    The kernel of :func:`jvp`: it trusts its arguments (``cache`` from the layer's forward pass,
    ``dx`` of the shape of the layer's input).

    ``dx`` is the tangent of the layer's input; parameters are held fixed. An elementwise layer
    (ReLU, an activation, dropout) has a diagonal Jacobian, its own transpose: its JVP is its
    backward function. Batch norm's normalisation of a column is symmetric too, so its JVP is
    ``gamma`` times that of ``xhat``; layer norm's scales after normalising each row.

    >>> layer = stack.Layer("affine_backward", ("W", "b"))
    >>> out, caches = stack.forward([layer], {"W": np.eye(2), "b": np.ones(2)}, np.ones((1, 2)))
    >>> tangent(layer, caches[0], np.array([[1.0, -1.0]]))
    (array([[ 1., -1.]]), 4)
    """
    if layer.stage == "affine_backward":
        W = cache.W
        return (dx if dx.ndim == 2 else dx.reshape(dx.shape[0], -1)) @ W, _affine_macs(cache)
    if layer.stage in ELEMENTWISE:
        return stack.KINDS[layer.stage].backward(stack.module_of(layer), dx, cache, True)[0], 0
    if layer.stage == "batchnorm_backward":
        mode, _, std, xhat, gamma = cache
        if mode == "test":
            return dx * (gamma / std), 0
        return gamma * batchnorm.normalised_backward(dx, xhat, std, axis=0), 0
    _, std, xhat, gamma = cache  # layer norm: normalise each row, then scale each column
    return gamma * batchnorm.normalised_backward(dx, xhat, std, axis=1), 0


def _jvp(layers, params, x, v):
    macs = 0
    for layer in layers:
        values = [params[name] for name in layer.params]
        x, cache = stack.KINDS[layer.stage].forward(
            stack.module_of(layer), x, values, layer.settings
        )
        primal = _affine_macs(cache) if layer.stage == "affine_backward" else 0
        v, tangent_macs = tangent(layer, cache, v)
        macs += primal + tangent_macs
    return x, v, macs


def jvp(layers, params, x, v):
    """Forward mode: the stack's output and its Jacobian times ``v``, in one pass.

    Each layer computes its value and, from the cache of that value, pushes the tangent on:
    ``out + t dout = f(x + t v)`` to first order in ``t``. Batch norm's running statistics in
    the layers' settings are left as they were.

    Parameters
    ----------
    layers : list of stack.Layer
    params : dict of arrays
    x : array_like, shape (N, D)
    v : array_like, shape of x
        The direction.

    Returns
    -------
    out : ndarray, shape (N, M)
    dout : ndarray, shape (N, M)
        ``J v``, with ``J`` the Jacobian of ``out`` with respect to ``x``.

    >>> layers = [stack.Layer("affine_backward", ("W", "b")), stack.Layer("relu_backward")]
    >>> params = {"W": np.array([[1.0, -1.0]]), "b": np.zeros(2)}
    >>> jvp(layers, params, [[2.0]], [[1.0]])
    (array([[2., 0.]]), array([[1., 0.]]))
    """
    x = check_stack(layers, params, x)
    out, dout, _ = _jvp(_isolated(layers), params, x, _as_tangent(v, x))
    return out, dout


# -- three Jacobians ----------------------------------------------------------------------------


def jacobian_forward(layers, params, x):
    """The Jacobian of the stack's output with respect to ``x`` by forward mode, and its cost.

    One :func:`jvp` per entry of ``x`` (a basis direction), each a full pass computing values
    and tangents together: ``passes`` is ``x.size``.

    Returns
    -------
    J : ndarray, shape ``out.shape + x.shape``
    cost : Cost

    >>> layers = [stack.Layer("affine_backward", ("W", "b"))]
    >>> params = {"W": np.ones((3, 2)), "b": np.zeros(2)}
    >>> J, cost = jacobian_forward(layers, params, np.ones((1, 3)))
    >>> J.shape, cost
    ((1, 2, 1, 3), Cost(passes=3, macs=36))
    """
    x, out_shape = _checked(layers, params, x, repeated=True)
    check_jacobian_size(out_shape + x.shape, "the stack's Jacobian")
    layers = _isolated(layers)
    J = np.zeros(out_shape + x.shape, dtype=_result_dtype(layers, params, x))
    macs = 0
    for index in np.ndindex(x.shape):
        direction = np.zeros_like(x)
        direction[index] = 1
        _, column, used = _jvp(layers, params, x, direction)
        J[(..., *index)] = column
        macs += used
    return J, Cost(x.size, macs)


def _pass_macs(layers, caches, products=1):
    """Multiply-adds of a pass whose affine layers each ran ``products`` products of their shape
    (1 forward; 2 for ``stack.backward(..., need_dx=True)``: ``dx`` and ``dW``)."""
    return sum(
        products * _affine_macs(c)
        for layer, c in zip(layers, caches, strict=True)
        if layer.stage == "affine_backward"
    )


def jacobian_reverse(layers, params, x):
    """The same Jacobian by reverse mode: one forward pass, then one backward pass per output.

    Each backward pass is ``stack.backward(..., need_dx=True)`` seeded with a basis direction of
    the output; it also computes every parameter's gradient, as training needs, and those
    products are counted. ``passes`` is ``1 + out.size``.

    >>> layers = [stack.Layer("affine_backward", ("W", "b"))]
    >>> params = {"W": np.ones((3, 2)), "b": np.zeros(2)}
    >>> J, cost = jacobian_reverse(layers, params, np.ones((1, 3)))
    >>> J.shape, cost
    ((1, 2, 1, 3), Cost(passes=3, macs=30))
    """
    x, out_shape = _checked(layers, params, x, repeated=True)
    check_jacobian_size(out_shape + x.shape, "the stack's Jacobian")
    layers = _isolated(layers)
    out, caches = stack.forward(layers, params, x)
    J = np.zeros(out.shape + x.shape, dtype=out.dtype)
    macs = _pass_macs(layers, caches)
    for index in np.ndindex(out.shape):
        seed = np.zeros_like(out)
        seed[index] = 1
        J[index] = stack.backward(layers, params, caches, seed, need_dx=True)["x"]
        macs += _pass_macs(layers, caches, 2)
    return J, Cost(1 + out.size, macs)


def jacobian_central(layers, params, x, h=1e-6):
    """The same Jacobian by central differences, ``(f(x + h e) - f(x - h e)) / 2h`` per entry.

    Two forward passes per entry of ``x``: ``passes`` is ``2 * x.size``. Use float64: the
    difference cancels most digits.

    >>> layers = [stack.Layer("affine_backward", ("W", "b"))]
    >>> params = {"W": np.ones((3, 2)), "b": np.zeros(2)}
    >>> J, cost = jacobian_central(layers, params, np.ones((1, 3)))
    >>> J.round(6)[0, :, 0], cost
    (array([[1., 1., 1.], [1., 1., 1.]]), Cost(passes=6, macs=36))
    """
    x, out_shape = _checked(layers, params, x, repeated=True)
    h = as_scalar(h, "h", positive=True)
    check_jacobian_size(out_shape + x.shape, "the stack's Jacobian")
    layers = _isolated(layers)
    J = np.zeros(out_shape + x.shape, dtype=_result_dtype(layers, params, x))
    macs = 0
    for index in np.ndindex(x.shape):
        ends, moves = [], []
        for step in (h, -h):
            moved = x.copy()
            moved[index] += step
            out, caches = stack.forward(layers, params, moved)
            ends.append(out)
            moves.append(float(moved[index]))  # the point actually stored, after rounding
            macs += _pass_macs(layers, caches)
        if moves[0] == moves[1]:
            raise ValueError(
                f"h = {h} does not move x[{', '.join(map(str, index))}] = {x[index]} in "
                f"{x.dtype}: choose a larger step"
            )
        J[(..., *index)] = (ends[0] - ends[1]) / (moves[0] - moves[1])
    return J, Cost(2 * x.size, macs)


# -- memory ---------------------------------------------------------------------------------------


def _arrays(obj, path):
    """``(path, array)`` for every array inside nested tuples, lists and dicts."""
    if isinstance(obj, np.ndarray):
        yield path, obj
    elif isinstance(obj, tuple | list):
        names = getattr(obj, "_fields", None) or [f"[{i}]" for i in range(len(obj))]
        for name, item in zip(names, obj, strict=True):
            yield from _arrays(item, f"{path}.{name}" if path and name[0] != "[" else path + name)
    elif isinstance(obj, dict):
        for key, item in obj.items():
            yield from _arrays(item, f"{path}[{key!r}]")


def _owner(array):
    """The array that owns ``array``'s memory (a view keeps its whole base alive)."""
    while isinstance(array.base, np.ndarray):
        array = array.base
    return array


def stored_bytes(objects, exclude=()):
    """Bytes of the distinct arrays inside ``objects`` (nested tuples, lists, dicts), each once.

    Arrays sharing memory with one in ``exclude`` (such as the parameters, which exist whether
    or not anything is stored) are not counted; a view counts the array it is a view of.

    >>> a = np.zeros(10)
    >>> stored_bytes([(a, a[:5]), {"b": np.zeros(3)}]), stored_bytes([a], exclude=[a])
    (104, 0)
    """
    skip = {id(_owner(a)) for _, a in _arrays(list(exclude), "")}
    seen = {}
    for _, array in _arrays(list(objects), ""):
        owner = _owner(array)
        if id(owner) not in skip:
            seen[id(owner)] = owner.nbytes
    return sum(seen.values())


class LayerMemory(NamedTuple):
    """What one layer's cache holds: ``fields`` (the cached arrays new at this layer, with their
    shapes), their ``nbytes``, and ``param_bytes``, the parameters it refers to (stored anyway)."""

    stage: str
    fields: tuple[str, ...]
    nbytes: int
    param_bytes: int


def cache_memory(layers, params, caches):
    """The bytes each layer's cache stores for the backward pass, each array counted once.

    An array two caches share (a layer's output kept as the next layer's input) is counted at
    the first layer that holds it; the parameters a cache refers to are counted apart.

    >>> layers = [stack.Layer("affine_backward", ("W", "b")), stack.Layer("relu_backward")]
    >>> params = {"W": np.ones((3, 4)), "b": np.zeros(4)}
    >>> out, caches = stack.forward(layers, params, np.ones((2, 3)))
    >>> [(m.fields, m.nbytes, m.param_bytes) for m in cache_memory(layers, params, caches)]
    [(('x (2, 3)',), 48, 96), (('x (2, 4)',), 64, 0)]
    """
    _check_layers(layers, params)
    if not isinstance(caches, list) or len(caches) != len(layers):
        raise ValueError(
            f"caches must be the list of {len(layers)} caches stack.forward returned for layers; "
            f"got {type(caches).__name__}"
        )
    owners = {id(_owner(a)) for _, a in _arrays(list(params.values()), "")}
    seen, table = set(), []
    for layer, cache in zip(layers, caches, strict=True):
        fields, nbytes, param_bytes = [], 0, 0
        for path, array in _arrays(cache, ""):
            key = id(_owner(array))
            if key in owners:
                param_bytes += _owner(array).nbytes
            elif key not in seen:
                seen.add(key)
                nbytes += _owner(array).nbytes
                fields.append(f"{path} {array.shape}")
        table.append(LayerMemory(layer.stage, tuple(fields), nbytes, param_bytes))
    return table


# -- gradient checkpointing ---------------------------------------------------------------------


class Tape(NamedTuple):
    """What :func:`forward_checkpointed` keeps: the input of each segment but the last
    (``inputs``, keyed by layer index), the index ``last`` where the last segment starts, its
    ``caches``, the peak bytes stored so far and the shape of the stack's output."""

    every: int
    inputs: dict
    last: int
    caches: list
    peak_bytes: int
    out_shape: tuple


class Tradeoff(NamedTuple):
    """What checkpointing cost: the ``peak_bytes`` stored at any moment (segment inputs and
    caches, parameters not counted) and the layer forwards run again in the backward pass."""

    every: int
    segments: int
    peak_bytes: int
    recomputed: int


def forward_checkpointed(layers, params, x, every):
    """Forward pass storing the input of every ``every``-th layer instead of every cache.

    The stack is cut into segments of ``every`` layers; the last segment keeps its caches (its
    backward pass comes first), the others only their input. ``every >= len(layers)`` is
    ordinary backpropagation. Batch norm's running statistics are updated once, as by
    ``stack.forward``.

    >>> layers = [stack.Layer("affine_backward", ("W", "b")), stack.Layer("relu_backward")] * 2
    >>> params = {"W": np.eye(3), "b": np.zeros(3)}
    >>> out, tape = forward_checkpointed(layers, params, np.ones((2, 3)), every=2)
    >>> sorted(tape.inputs), tape.last, len(tape.caches)
    ([0], 2, 2)
    """
    x = check_stack(layers, params, x, repeated=True)
    every = as_count(every, "every")
    L = len(layers)
    last = (L - 1) // every * every  # the first layer of the last segment
    excluded = list(params.values())
    inputs, caches, peak = {}, [], 0
    for i, layer in enumerate(layers):
        if i % every == 0 and i < last:
            inputs[i] = x
        values = [params[name] for name in layer.params]
        x, cache = stack.KINDS[layer.stage].forward(
            stack.module_of(layer), x, values, layer.settings
        )
        live = [inputs, caches, cache] if i >= last else [inputs, cache]
        peak = max(peak, stored_bytes(live, excluded))
        if i >= last:
            caches.append(cache)
    return x, Tape(every, inputs, last, caches, peak, x.shape)


def backward_checkpointed(layers, params, tape, dout, need_dx=False):
    """Backward pass from a :class:`Tape`: each earlier segment is run forward again from its
    stored input, then backward, and its storage released.

    Returns ``(grads, tradeoff)``: the gradients :func:`stack.backward
    <backprop_core.models.stack.backward>` gives (``"x"`` too with ``need_dx``), and the
    :class:`Tradeoff`. Recomputations leave batch norm's running statistics alone.

    >>> layers = [stack.Layer("affine_backward", ("W", "b")), stack.Layer("relu_backward")] * 2
    >>> params = {"W": np.eye(3), "b": np.zeros(3)}
    >>> out, tape = forward_checkpointed(layers, params, np.ones((2, 3)), every=2)
    >>> grads, tradeoff = backward_checkpointed(layers, params, tape, np.ones((2, 3)))
    >>> grads["W"][0], tradeoff.recomputed
    (array([2., 2., 2.]), 2)
    """
    if not isinstance(tape, Tape):
        raise TypeError(
            f"tape must be the Tape forward_checkpointed returned; got {type(tape).__name__}"
        )
    _check_layers(layers, params)
    if len(tape.caches) != len(layers) - tape.last:
        raise ValueError(
            f"layers must be the {tape.last + len(tape.caches)} layers the tape was recorded with"
        )
    dout = as_float_array(dout, "dout")
    check_shape(dout, "dout", tape.out_shape, "", "to match the stack's output")
    excluded = list(params.values())
    inputs, peak, recomputed = dict(tape.inputs), tape.peak_bytes, 0
    grads = {}
    starts = [*sorted(inputs), tape.last]
    for s, e in reversed(list(zip(starts, [*starts[1:], len(layers)], strict=True))):
        if s == tape.last:
            caches = tape.caches
        else:
            _, caches = stack.forward(_isolated(layers[s:e]), params, inputs[s])
            recomputed += e - s
            peak = max(peak, stored_bytes([inputs, caches], excluded))
        segment = stack.backward(layers[s:e], params, caches, dout, need_dx=need_dx or s > 0)
        dout = segment.pop("x", None)
        grads.update(segment)
        inputs.pop(s, None)
    if need_dx:
        grads["x"] = dout
    return grads, Tradeoff(tape.every, len(starts), peak, recomputed)


__all__ = [
    "TANGENT_KINDS",
    "Cost",
    "LayerMemory",
    "Tape",
    "Tradeoff",
    "backward_checkpointed",
    "cache_memory",
    "check_stack",
    "forward_checkpointed",
    "jacobian_central",
    "jacobian_forward",
    "jacobian_reverse",
    "jvp",
    "stored_bytes",
    "tangent",
]
