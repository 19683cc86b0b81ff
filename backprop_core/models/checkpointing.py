"""Gradient checkpointing: store every k-th layer's input, recompute the rest on the way back.

:func:`forward_checkpointed` cuts the stack into segments of ``every`` layers and keeps only
each segment's input (the last segment keeps its caches: its backward pass comes first);
:func:`backward_checkpointed` runs each earlier segment forward again from its input, then
backward, and releases it (Griewank & Walther 2008, "Evaluating Derivatives", ch. 12). The
:class:`Tradeoff` reports the peak bytes stored against the layer forwards run again.
"""

from __future__ import annotations

from typing import NamedTuple

from .._checks import as_count, as_float_array, check_shape
from . import stack
from .memory import stored_bytes
from .stack_checks import check_layers, check_stack, isolated


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

    >>> import numpy as np
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

    >>> import numpy as np
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
    check_layers(layers, params)
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
            _, caches = stack.forward(isolated(layers[s:e]), params, inputs[s])
            recomputed += e - s
            peak = max(peak, stored_bytes([inputs, caches], excluded))
        segment = stack.backward(layers[s:e], caches, dout, need_dx=need_dx or s > 0)
        dout = segment.pop("x", None)
        grads.update(segment)
        inputs.pop(s, None)
    if need_dx:
        grads["x"] = dout
    return grads, Tradeoff(tape.every, len(starts), peak, recomputed)


__all__ = ["Tape", "Tradeoff", "backward_checkpointed", "forward_checkpointed"]
