"""Layouts of a Jacobian: the same numbers, arranged the way each book or library arranges them.

The derivative of an output ``out`` with respect to an input ``in`` holds one number per pair
(entry of out, entry of in). Sources differ only in where they put it:

tensor          shape ``out.shape + in.shape``: :mod:`backprop_core.jacobians`, PyTorch's
                ``torch.autograd.functional.jacobian`` and JAX's ``jax.jacobian``; for a scalar
                loss (``out.shape == ()``) it is the gradient, with the shape of the input
numerator       a matrix (size of out, size of in): one row per output entry (Parr & Howard)
denominator     its transpose, (size of in, size of out): one row per input entry

A matrix layout also needs an order in which the entries of a 2-D (or N-D) array are counted:
``"C"`` (row-major, NumPy's default, ``vec_r``) or ``"F"`` (column-major, the ``vec`` of
textbooks, which stacks the columns). ``"numerator"`` means ``"numerator-C"``; ``"numerator-F"``,
``"denominator"`` (``"denominator-C"``) and ``"denominator-F"`` are the others.

Storing vectors as rows or as columns changes ``out.shape`` and ``in.shape`` themselves, not the
layout: :func:`transpose_arrays` gives the Jacobian of the same map with its output or input
stored transposed.
"""

from __future__ import annotations

import numbers

import numpy as np

from ._checks import as_float_array, check_shape

LAYOUTS = (
    "tensor",
    "numerator",
    "numerator-C",
    "numerator-F",
    "denominator",
    "denominator-C",
    "denominator-F",
)


def _as_shape(value: object, name: str) -> tuple[int, ...]:
    """``value`` as a tuple of sizes >= 1 (``()`` for a scalar)."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        value = (value,)
    if not isinstance(value, tuple | list) or not all(
        isinstance(s, numbers.Integral) and not isinstance(s, bool) and s >= 1 for s in value
    ):
        got = f"{value!r}"[:80]
        raise TypeError(f"{name} must be a tuple of sizes >= 1, such as (2, 3); got {got}")
    return tuple(int(s) for s in value)


def _as_layout(value: object, name: str) -> tuple[str, str]:
    """``(form, order)``: form "tensor", "numerator" or "denominator", order "C" or "F"."""
    if not isinstance(value, str) or value not in LAYOUTS:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, LAYOUTS))}; got {value!r}")
    form, _, order = value.partition("-")
    return form, order or "C"


def _expected(form: str, out_shape: tuple, in_shape: tuple) -> tuple[int, ...]:
    n_out, n_in = int(np.prod(out_shape, dtype=int)), int(np.prod(in_shape, dtype=int))
    return {
        "tensor": out_shape + in_shape,
        "numerator": (n_out, n_in),
        "denominator": (n_in, n_out),
    }[form]


def convert_layout(J, out_shape, in_shape, source="tensor", target="numerator"):
    """The Jacobian ``J`` of ``out`` with respect to ``in``, moved from one layout to another.

    Parameters
    ----------
    J : array_like
        The Jacobian in the ``source`` layout: shape ``out_shape + in_shape`` for ``"tensor"``,
        (size of out, size of in) for a numerator layout, the reverse for a denominator one.
    out_shape, in_shape : tuple of int
        The shapes of the output and the input; ``()`` for a scalar (a loss).
    source, target : str
        One of :data:`LAYOUTS`: ``"tensor"``, ``"numerator"`` / ``"denominator"`` (row-major
        order, also spelled with ``-C``) or ``"numerator-F"`` / ``"denominator-F"`` (column-major).

    Returns
    -------
    ndarray
        A new array (never a view of ``J``) in the ``target`` layout.

    The affine map ``y = h W`` with ``h`` of shape (1, 2) and ``W`` (2, 2): ``dy/dW`` in tensor
    form (shape (1, 2, 2, 2)) becomes ``h ⊗ I`` in numerator layout, row-major order:

    >>> from backprop_core.jacobians import affine_jacobian
    >>> h = np.array([[1.0, 2.0]])
    >>> J = affine_jacobian(h, np.zeros((2, 2)), "W")
    >>> convert_layout(J, (1, 2), (2, 2), "tensor", "numerator")
    array([[1., 0., 2., 0.], [0., 1., 0., 2.]])
    >>> flat = convert_layout(J, (1, 2), (2, 2), "tensor", "numerator")
    >>> np.array_equal(flat, np.kron(h, np.eye(2)))
    True

    The gradient of a scalar loss: the tensor form has the shape of the input, the numerator
    layout is a row, the denominator layout a column:

    >>> g = np.array([[1.0, 2.0], [3.0, 4.0]])
    >>> convert_layout(g, (), (2, 2), "tensor", "numerator")
    array([[1., 2., 3., 4.]])
    >>> convert_layout(g, (), (2, 2), "tensor", "denominator-F").ravel()
    array([1., 3., 2., 4.])
    """
    out_shape = _as_shape(out_shape, "out_shape")
    in_shape = _as_shape(in_shape, "in_shape")
    (src, src_order), (tgt, tgt_order) = _as_layout(source, "source"), _as_layout(target, "target")
    J = as_float_array(J, "J")
    check_shape(
        J,
        "J",
        _expected(src, out_shape, in_shape),
        "",
        f"for the {source!r} layout of out {out_shape} and in {in_shape}",
    )
    tensor = J.T if src == "denominator" else J
    tensor = tensor.reshape(out_shape + in_shape, order=src_order)  # a view where it can be
    if tgt == "tensor":
        return np.array(tensor, copy=True)
    matrix = tensor.reshape(_expected("numerator", out_shape, in_shape), order=tgt_order)
    return np.array(matrix.T if tgt == "denominator" else matrix, copy=True)


def transpose_arrays(J, out_shape, in_shape, which="both"):
    """The tensor-form Jacobian of the same map with its output and/or input stored transposed.

    Vectors written as rows (a sample is a row of ``h``, ``y = h W``: cs231n's assignment code,
    this workbook) or as columns (``y = W^T h^T``: cs231n's notes, Parr & Howard) are the same
    numbers in arrays whose axes are reversed. The Jacobian keeps its values; its output axes,
    its input axes or both are reversed with them.

    Parameters
    ----------
    J : array_like, shape ``out_shape + in_shape``
    out_shape, in_shape : tuple of int
    which : {"both", "out", "in"}
        Which of the two arrays is stored transposed in the result.

    Returns
    -------
    ndarray, shape ``out_shape[::-1] + in_shape[::-1]`` for ``which="both"``
        A new array.

    >>> J = np.arange(6.0).reshape(1, 2, 3, 1)  # out a row (1, 2), in a column (3, 1)
    >>> transpose_arrays(J, (1, 2), (3, 1)).shape
    (2, 1, 1, 3)
    >>> float(transpose_arrays(J, (1, 2), (3, 1), "out")[1, 0, 2, 0]), float(J[0, 1, 2, 0])
    (5.0, 5.0)
    """
    out_shape = _as_shape(out_shape, "out_shape")
    in_shape = _as_shape(in_shape, "in_shape")
    if not isinstance(which, str) or which not in ("both", "out", "in"):
        raise ValueError(f"which must be one of 'both', 'out', 'in'; got {which!r}")
    J = as_float_array(J, "J")
    check_shape(J, "J", out_shape + in_shape, "out_shape + in_shape", "(the tensor layout)")
    k, m = len(out_shape), len(in_shape)
    out_axes = list(range(k))[::-1] if which in ("both", "out") else list(range(k))
    in_axes = list(range(k, k + m))
    in_axes = in_axes[::-1] if which in ("both", "in") else in_axes
    return np.array(J.transpose(out_axes + in_axes), copy=True)


__all__ = ["LAYOUTS", "convert_layout", "transpose_arrays"]
