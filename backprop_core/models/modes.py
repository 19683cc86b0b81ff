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

The three Jacobians are defined here; the rest lives in one module per topic and is re-exported
(``from backprop_core.models import modes; modes.jvp(...)``):

stack_checks    :func:`check_stack`, :data:`TANGENT_KINDS`: what a stack must be to run here
tangents        forward mode: :func:`tangent`, one layer's JVP, and :func:`jvp`, the stack's
costs           :class:`Cost` and the multiply-adds of a pass
memory          :func:`cache_memory` and :func:`stored_bytes`
checkpointing   :func:`forward_checkpointed` and :func:`backward_checkpointed`
"""

from __future__ import annotations

import numpy as np

from .._checks import as_scalar, check_jacobian_size
from . import stack
from .checkpointing import Tape, Tradeoff, backward_checkpointed, forward_checkpointed
from .costs import Cost, pass_macs
from .memory import LayerMemory, cache_memory, stored_bytes
from .stack_checks import TANGENT_KINDS, check_stack, checked_stack, isolated
from .tangents import jvp, jvp_counted, tangent


def _result_dtype(layers, params, x):
    """The dtype of the stack's output: x's, promoted by its parameters'."""
    return np.result_type(x, *(params[name] for layer in layers for name in layer.params))


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
    x, out_shape = checked_stack(layers, params, x, repeated=True)
    check_jacobian_size(out_shape + x.shape, "the stack's Jacobian")
    layers = isolated(layers)
    J = np.zeros(out_shape + x.shape, dtype=_result_dtype(layers, params, x))
    macs = 0
    for index in np.ndindex(x.shape):
        direction = np.zeros_like(x)
        direction[index] = 1
        _, column, used = jvp_counted(layers, params, x, direction)
        J[(..., *index)] = column
        macs += used
    return J, Cost(x.size, macs)


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
    x, out_shape = checked_stack(layers, params, x, repeated=True)
    check_jacobian_size(out_shape + x.shape, "the stack's Jacobian")
    layers = isolated(layers)
    out, caches = stack.forward(layers, params, x)
    J = np.zeros(out.shape + x.shape, dtype=out.dtype)
    macs = pass_macs(layers, caches)
    for index in np.ndindex(out.shape):
        seed = np.zeros_like(out)
        seed[index] = 1
        J[index] = stack.backward(layers, caches, seed, need_dx=True)["x"]
        macs += pass_macs(layers, caches, 2)
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
    x, out_shape = checked_stack(layers, params, x, repeated=True)
    h = as_scalar(h, "h", positive=True)
    check_jacobian_size(out_shape + x.shape, "the stack's Jacobian")
    layers = isolated(layers)
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
            macs += pass_macs(layers, caches)
        if moves[0] == moves[1]:
            raise ValueError(
                f"h = {h} does not move x[{', '.join(map(str, index))}] = {x[index]} in "
                f"{x.dtype}: choose a larger step"
            )
        J[(..., *index)] = (ends[0] - ends[1]) / (moves[0] - moves[1])
    return J, Cost(2 * x.size, macs)


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
