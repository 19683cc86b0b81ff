"""What the public functions of :mod:`backprop_core.jacobians` promise a caller.

The dtype rule is the package's (README, ``backprop_core.layers``): float32 and float64 inputs keep
their dtype, so a float32 Jacobian is float32 and float64 ones are float64; integers and lists
become float64. And a Jacobian has output axes *and* input axes: ``out_ndim`` and ``dout`` must
leave at least one axis for the input.
"""

import numpy as np
import pytest

from backprop_core import jacobians
from backprop_core.jacobians import (
    affine_jacobian,
    flatten_jacobian,
    relu_jacobian,
    softmax_jacobian,
    vjp,
)

rng = np.random.default_rng(11)
X = rng.standard_normal((3, 4))
W = rng.standard_normal((4, 2))
J4 = rng.standard_normal((3, 2, 3, 4))  # an (N, M) output against an (N, D) input
DOUT = rng.standard_normal((3, 2))

CALLS = {  # every public function, called on arrays of one dtype
    "affine_jacobian W": lambda t: affine_jacobian(X.astype(t), W.astype(t), "W"),
    "affine_jacobian b": lambda t: affine_jacobian(X.astype(t), W.astype(t), "b"),
    "affine_jacobian x": lambda t: affine_jacobian(X.astype(t), W.astype(t), "x"),
    "relu_jacobian": lambda t: relu_jacobian(X.astype(t)),
    "relu_jacobian at_zero": lambda t: relu_jacobian(np.zeros(3, dtype=t), at_zero=0.5),
    "softmax_jacobian": lambda t: softmax_jacobian(X.astype(t)),
    "softmax_jacobian full": lambda t: softmax_jacobian(X.astype(t), full=True),
    "flatten_jacobian": lambda t: flatten_jacobian(J4.astype(t)),
    "flatten_jacobian out_ndim": lambda t: flatten_jacobian(J4.astype(t), out_ndim=3),
    "vjp": lambda t: vjp(J4.astype(t), DOUT.astype(t)),
}


def test_the_table_covers_every_public_function():
    public = {name for name in jacobians.__all__ if callable(getattr(jacobians, name))}
    assert public == {name.split()[0] for name in CALLS}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("call", list(CALLS))
def test_a_jacobian_keeps_the_dtype_of_its_inputs(call, dtype):
    result = CALLS[call](dtype)
    assert result.dtype == dtype, f"{call} of {np.dtype(dtype)} input gave {result.dtype}"
    if dtype == np.float32:  # and holds the float64 values, to float32's precision
        np.testing.assert_allclose(result, CALLS[call](np.float64), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    ("call", "mixed"),
    [
        ("affine_jacobian", lambda: affine_jacobian(X.astype(np.float32), W, "x")),
        ("vjp", lambda: vjp(J4.astype(np.float32), np.ones((3, 2)))),
        ("relu_jacobian of ints", lambda: relu_jacobian([[1, -2], [0, 3]])),
        ("flatten_jacobian of a list", lambda: flatten_jacobian(np.zeros((2, 2)).tolist())),
    ],
)
def test_float64_wins_where_inputs_mix_or_are_not_floats(call, mixed):
    assert mixed().dtype == np.float64, call


@pytest.mark.parametrize("out_ndim", [1, 2, 3])
def test_flatten_jacobian_accepts_every_split_that_leaves_input_axes(out_ndim):
    rows = int(np.prod(J4.shape[:out_ndim]))
    flat = flatten_jacobian(J4, out_ndim=out_ndim)
    assert flat.shape == (rows, J4.size // rows)
    np.testing.assert_array_equal(flat, J4.reshape(rows, -1))


@pytest.mark.parametrize("out_ndim", [4, 5])
def test_flatten_jacobian_refuses_out_ndim_that_leaves_no_input_axis(out_ndim):
    with pytest.raises(ValueError, match=rf"out_ndim must be < J.ndim = 4; got {out_ndim}"):
        flatten_jacobian(J4, out_ndim=out_ndim)


def test_vjp_contracts_every_leading_axis_that_dout_covers():
    dout = rng.standard_normal((3, 2))
    expected = np.einsum("pq,pqrs->rs", dout, J4)
    np.testing.assert_allclose(vjp(J4, dout), expected, rtol=1e-12)
    dout3 = rng.standard_normal((3, 2, 3))  # three output axes, one input axis left
    np.testing.assert_allclose(vjp(J4, dout3), np.einsum("pqr,pqrs->s", dout3, J4), rtol=1e-12)


def test_vjp_refuses_a_dout_with_as_many_axes_as_the_jacobian():
    """dout shaped like all of J leaves no input axis: the contraction would be a number."""
    with pytest.raises(ValueError, match=r"dout must have fewer axes than J \(3, 2, 3, 4\)"):
        vjp(J4, np.ones_like(J4))


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda: flatten_jacobian("abc"), "J"),
        (lambda: flatten_jacobian(J4, out_ndim=0), "out_ndim"),
        (lambda: flatten_jacobian(J4, out_ndim=1.5), "out_ndim"),
        (lambda: vjp([[np.nan]], [1.0]), "J"),
        (lambda: vjp(J4, "abc"), "dout"),
        (lambda: vjp(J4, np.ones((2, 2))), "dout"),
    ],
    ids=["J text", "out_ndim 0", "out_ndim 1.5", "J NaN", "dout text", "dout misshapen"],
)
def test_a_refused_argument_is_named_at_the_start_of_the_message(call, argument):
    with pytest.raises((TypeError, ValueError), match=rf"^{argument} must "):
        call()


def test_a_dout_of_the_wrong_shape_is_told_the_shape_it_must_match():
    with pytest.raises(ValueError) as caught:
        vjp(J4, np.ones((2, 2)))
    assert str(caught.value) == (
        "dout must have shape (3, 2) to match the leading axes of J (3, 2, 3, 4); got (2, 2)"
    )


def test_an_odd_jacobian_needs_out_ndim_and_the_message_says_so():
    with pytest.raises(ValueError, match=r"^out_ndim is needed .* odd number of axes \(3, 2, 3\)$"):
        flatten_jacobian(np.ones((3, 2, 3)))
    assert flatten_jacobian(np.ones((3, 2, 3)), out_ndim=1).shape == (3, 6)
