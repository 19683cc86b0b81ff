"""A candidate's arguments: fresh copies for every call, and what a call changed in them.

Arguments are arrays, dicts of arrays (``params``) and caches (named tuples of arrays). A call
that writes into an array, or adds or removes an entry of a dict, has changed its caller's data.
"""

from __future__ import annotations

import numpy as np


def copy_of(value):
    """A deep copy of arrays, and of dicts and tuples of them; other values as they are.

    >>> a = {"W": np.zeros(2)}
    >>> copy_of(a)["W"] is a["W"]
    False
    """
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, dict):
        return {k: copy_of(v) for k, v in value.items()}
    if isinstance(value, tuple):
        items = (copy_of(v) for v in value)
        return type(value)(*items) if hasattr(value, "_fields") else tuple(items)
    return value


def changed(before: dict, after: dict) -> tuple[str, str] | None:
    """``(name, explanation)`` for the first argument a call changed, or None.

    >>> before = {"params": {"W1": np.ones(2), "b1": np.zeros(2)}}
    >>> after = {"params": {"W1": np.ones(2)}}
    >>> changed(before, after)
    ('params', "removes the entry 'b1' from its argument params")
    """
    for key in before:
        b, a = before[key], after[key]
        if isinstance(b, dict) and isinstance(a, dict):
            gone, new = [k for k in b if k not in a], [k for k in a if k not in b]
            if gone:
                return key, f"removes the entry {gone[0]!r} from its argument {key}"
            if new:
                return key, f"adds the entry {new[0]!r} to its argument {key}"
        for name, x, y in _arrays(key, b, a):
            if not _same(x, y):
                return name, f"changes its argument {name} in place"
    return None


def _same(before: np.ndarray, after) -> bool:
    if not isinstance(after, np.ndarray) or after.shape != before.shape:
        return False
    try:
        return bool(np.array_equal(after, before, equal_nan=before.dtype.kind in "fc"))
    except TypeError:
        return False


def _arrays(name, before, after):
    """``(name, before, after)`` for an array, or for each array in a dict or a cache."""
    if isinstance(before, np.ndarray):
        yield name, before, after
    elif isinstance(before, dict):
        for k in before:
            if isinstance(before[k], np.ndarray):
                yield f"{name}['{k}']", before[k], after[k]
    elif isinstance(before, tuple):
        fields = getattr(before, "_fields", None) or [f"[{i}]" for i in range(len(before))]
        for field_name, b, a in zip(fields, before, after, strict=True):
            if isinstance(b, np.ndarray):
                yield f"{name}.{field_name}".replace(".[", "["), b, a
