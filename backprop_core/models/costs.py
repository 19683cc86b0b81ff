"""What a pass through a stack costs: the multiply-adds of its matrix products.

Counted from the arrays' shapes as each product runs: an (N, D) @ (D, M) product counts
N * D * M; elementwise work is not counted. :class:`Cost` is what each way of computing a
Jacobian in :mod:`~backprop_core.models.modes` reports.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple


class Cost(NamedTuple):
    """What a way of computing a Jacobian ran: ``passes`` through the stack, and ``macs``, the
    multiply-adds of their matrix products (an (N, D) @ (D, M) product counts N * D * M)."""

    passes: int
    macs: int


def affine_macs(cache):
    """Multiply-adds of the product ``x @ W`` of the affine layer whose ``cache`` is ``(x, W)``.

    >>> import numpy as np
    >>> affine_macs((np.ones((5, 4)), np.ones((4, 3))))  # N * D * M
    60
    """
    x, W = cache
    return x.shape[0] * W.shape[0] * W.shape[1]  # N * D * M


def pass_macs(layers, caches, products=1):
    """Multiply-adds of a pass whose affine layers each ran ``products`` products of their shape
    (1 forward; 2 for ``stack.backward(..., need_dx=True)``: ``dx`` and ``dW``).

    >>> import numpy as np
    >>> from backprop_core.models import stack
    >>> layers = [stack.Layer("affine_backward", ("W", "b")), stack.Layer("relu_backward")]
    >>> params = {"W": np.ones((3, 4)), "b": np.zeros(4)}
    >>> out, caches = stack.forward(layers, params, np.ones((2, 3)))
    >>> pass_macs(layers, caches), pass_macs(layers, caches, 2)
    (24, 48)
    """
    if isinstance(layers, str | bytes) or not isinstance(layers, Sequence):
        raise TypeError(f"layers must be a list of stack.Layer; got {type(layers).__name__}")
    if isinstance(caches, str | bytes) or not isinstance(caches, Sequence):
        raise TypeError(
            f"caches must be the list stack.forward returned; got {type(caches).__name__}"
        )
    if len(caches) != len(layers):
        raise ValueError(
            f"caches must hold one cache per layer ({len(layers)}, as stack.forward returns "
            f"them); got {len(caches)}"
        )
    return sum(
        products * affine_macs(c)
        for layer, c in zip(layers, caches, strict=True)
        if layer.stage == "affine_backward"
    )


__all__ = ["Cost", "affine_macs", "pass_macs"]
