"""The memory of backpropagation: the bytes the forward pass stores for the backward pass.

Reverse mode keeps every layer's cache until the backward pass reaches that layer.
:func:`cache_memory` measures, layer by layer, the arrays each cache holds, every array counted
once (a layer's output kept as the next layer's input is shared) and the parameters apart;
:func:`stored_bytes` counts the distinct arrays inside any nesting of tuples, lists and dicts.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .stack_checks import check_layers


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

    >>> from backprop_core.models import stack
    >>> layers = [stack.Layer("affine_backward", ("W", "b")), stack.Layer("relu_backward")]
    >>> params = {"W": np.ones((3, 4)), "b": np.zeros(4)}
    >>> out, caches = stack.forward(layers, params, np.ones((2, 3)))
    >>> [(m.fields, m.nbytes, m.param_bytes) for m in cache_memory(layers, params, caches)]
    [(('x (2, 3)',), 48, 96), (('x (2, 4)',), 64, 0)]
    """
    check_layers(layers, params)
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


__all__ = ["LayerMemory", "cache_memory", "stored_bytes"]
