"""backprop_core.layouts: round trips between every pair of layouts, agreement with the Jacobians
of backprop_core.jacobians and with the Kronecker products of the textbooks, hostile inputs."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backprop_core import affine_jacobian, convert_layout, relu_jacobian, transpose_arrays, vjp
from backprop_core.layouts import LAYOUTS

shapes = st.lists(st.integers(1, 3), min_size=0, max_size=3).map(tuple)


@settings(max_examples=60, deadline=None)
@given(out_shape=shapes, in_shape=shapes, source=st.sampled_from(LAYOUTS), seed=st.integers(0, 99))
def test_every_layout_goes_there_and_back(out_shape, in_shape, source, seed):
    """tensor -> any layout -> any other -> tensor gives back the same numbers, exactly."""
    J = np.random.default_rng(seed).normal(size=out_shape + in_shape)
    moved = convert_layout(J, out_shape, in_shape, "tensor", source)
    for target in LAYOUTS:
        there = convert_layout(moved, out_shape, in_shape, source, target)
        back = convert_layout(there, out_shape, in_shape, target, "tensor")
        assert np.array_equal(back, J), (source, target)


@settings(max_examples=30, deadline=None)
@given(out_shape=shapes, in_shape=shapes, seed=st.integers(0, 99))
def test_entry_by_entry_meaning_of_each_layout(out_shape, in_shape, seed):
    """Entry (o, i) of the tensor sits at (vec index of o, vec index of i) in numerator layout,
    with the vec index row-major for -C and column-major for -F; denominator is the transpose."""
    J = np.random.default_rng(seed).normal(size=out_shape + in_shape)
    for order in "CF":
        num = convert_layout(J, out_shape, in_shape, "tensor", f"numerator-{order}")
        den = convert_layout(J, out_shape, in_shape, "tensor", f"denominator-{order}")
        for o in np.ndindex(out_shape):
            for i in np.ndindex(in_shape):
                r = np.ravel_multi_index(o, out_shape, order=order) if o else 0
                c = np.ravel_multi_index(i, in_shape, order=order) if i else 0
                assert num[r, c] == J[o + i] == den[c, r]


def test_plain_names_mean_row_major():
    J = np.random.default_rng(0).normal(size=(2, 3, 4))
    for form in ("numerator", "denominator"):
        plain = convert_layout(J, (2, 3), (4,), "tensor", form)
        assert np.array_equal(plain, convert_layout(J, (2, 3), (4,), "tensor", f"{form}-C"))


def test_affine_weight_jacobian_is_a_kronecker_product_in_both_orders():
    """dy/dW of y = h W: h ⊗ I_C in row-major numerator layout, I_C ⊗ h in column-major."""
    rng = np.random.default_rng(1)
    h, W = rng.normal(size=(3, 4)), rng.normal(size=(4, 2))
    J = affine_jacobian(h, W, "W")  # (N, C, D, C)
    assert np.array_equal(convert_layout(J, (3, 2), (4, 2)), np.kron(h, np.eye(2)))
    assert np.array_equal(
        convert_layout(J, (3, 2), (4, 2), target="numerator-F"), np.kron(np.eye(2), h)
    )
    Jh = affine_jacobian(h, W, "x")  # (N, C, N, D)
    assert np.array_equal(convert_layout(Jh, (3, 2), (3, 4)), np.kron(np.eye(3), W.T))
    assert np.array_equal(
        convert_layout(Jh, (3, 2), (3, 4), target="numerator-F"), np.kron(W.T, np.eye(3))
    )


def test_relu_jacobian_is_diag_of_the_vectorised_mask():
    x = np.array([[1.0, -2.0, 0.5], [-0.1, 3.0, -4.0]])
    J = relu_jacobian(x)
    for order in "CF":
        mask = (x > 0).astype(float).ravel(order=order)
        assert np.array_equal(convert_layout(J, x.shape, x.shape, target=f"numerator-{order}"),
                              np.diag(mask))  # fmt: skip


def test_gradient_of_a_scalar_is_a_row_in_numerator_and_a_column_in_denominator_layout():
    rng = np.random.default_rng(2)
    h, W, G = rng.normal(size=(3, 4)), rng.normal(size=(4, 2)), rng.normal(size=(3, 2))
    dW = vjp(affine_jacobian(h, W, "W"), G)  # the gradient of tr(G^T y): shape of W
    assert np.allclose(dW, h.T @ G, rtol=0, atol=1e-12)
    row = convert_layout(dW, (), W.shape, "tensor", "numerator")
    col = convert_layout(dW, (), W.shape, "tensor", "denominator")
    assert row.shape == (1, 8) and col.shape == (8, 1)
    assert np.array_equal(row.ravel(), dW.ravel()) and np.array_equal(col.ravel(), dW.ravel())
    # the numerator layout, reshaped to W's shape in column-major order, is (G^T h)^T = h^T G:
    # Parr & Howard's G^T h is the same numbers with the axes of W swapped
    num_f = convert_layout(dW, (), W.shape, "tensor", "numerator-F")
    assert np.array_equal(num_f.reshape(W.shape[::-1]), dW.T)
    assert np.allclose(num_f.reshape(W.shape[::-1]), G.T @ h, rtol=0, atol=1e-12)


def test_the_result_is_a_new_array_and_the_argument_is_unchanged():
    J = np.arange(6.0).reshape(2, 3)
    before = J.copy()
    for target in LAYOUTS:
        result = convert_layout(J, (2,), (3,), "tensor", target)
        result[...] = -1.0
        assert np.array_equal(J, before), target
    moved = transpose_arrays(J.reshape(1, 2, 3, 1), (1, 2), (3, 1))
    moved[...] = -1.0
    assert np.array_equal(J, before)


def test_transpose_arrays_is_the_jacobian_of_the_transposed_map():
    """y = h W with rows, and y^T = W^T h^T with columns: the same Jacobian with the axes of each
    array reversed, and twice reversed is the original."""
    rng = np.random.default_rng(3)
    h, W = rng.normal(size=(1, 3)), rng.normal(size=(3, 2))
    J = affine_jacobian(h, W, "x")  # (1, 2, 1, 3): y (1, 2) by h (1, 3)
    column = transpose_arrays(J, (1, 2), (1, 3))  # y^T (2, 1) by h^T (3, 1)
    assert column.shape == (2, 1, 3, 1)
    assert np.array_equal(column[:, 0, :, 0], W.T)  # d(W^T h^T)/d(h^T) = W^T
    assert np.array_equal(transpose_arrays(column, (2, 1), (3, 1)), J)
    only_out = transpose_arrays(J, (1, 2), (1, 3), "out")
    assert only_out.shape == (2, 1, 1, 3) and np.array_equal(only_out[:, 0, 0, :], W.T)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda J: convert_layout(J, (2, 3), (4,), "tensor", "numerater"), ValueError,
         r"target must be one of 'tensor', 'numerator'.*got 'numerater'"),
        (lambda J: convert_layout(J, (2, 3), (4,), 3, "tensor"), ValueError,
         r"source must be one of .*; got 3"),
        (lambda J: convert_layout(J, (2, 3), (4,), "numerator", "tensor"), ValueError,
         r"J must have shape \(6, 4\) for the 'numerator' layout of out \(2, 3\) and in \(4,\); "
         r"got \(2, 3, 4\)"),
        (lambda J: convert_layout(J.reshape(6, 4).T, (2, 3), (4,), "numerator", "tensor"),
         ValueError, r"J must have shape \(6, 4\) .* got \(4, 6\)"),
        (lambda J: convert_layout(J, (3, 2), (4,)), ValueError,
         r"J must have shape \(3, 2, 4\) for the 'tensor' layout"),
        (lambda J: convert_layout(J, (2, 0), (4,)), TypeError,
         r"out_shape must be a tuple of sizes >= 1, such as \(2, 3\); got \(2, 0\)"),
        (lambda J: convert_layout(J, (2, 3), "4"), TypeError, r"in_shape must be a tuple"),
        (lambda J: convert_layout(J, (2, 3), (True,)), TypeError, r"in_shape must be a tuple"),
        (lambda J: convert_layout(J.astype(complex), (2, 3), (4,)), TypeError,
         r"J must be real-valued"),
        (lambda J: convert_layout(np.where(J > 0, np.nan, J), (2, 3), (4,)), ValueError,
         r"J must be finite"),
        (lambda J: convert_layout("J", (2, 3), (4,)), TypeError, r"J must be a numeric array"),
        (lambda J: transpose_arrays(J, (2, 3), (4,), "rows"), ValueError,
         r"which must be one of 'both', 'out', 'in'; got 'rows'"),
        (lambda J: transpose_arrays(J.reshape(6, 4), (2, 3), (4,)), ValueError,
         r"J must have shape out_shape \+ in_shape = \(2, 3, 4\)"),
    ],
)  # fmt: skip
def test_hostile_inputs_are_refused_with_a_message_naming_the_argument(call, error, message):
    J = np.random.default_rng(4).normal(size=(2, 3, 4))
    with pytest.raises(error, match=message):
        call(J)


def test_an_integer_size_is_a_one_axis_shape():
    J = np.arange(12.0).reshape(3, 4)
    assert np.array_equal(convert_layout(J, 3, 4, "tensor", "denominator"), J.T)
