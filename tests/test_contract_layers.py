"""What a learner relies on in the layers: plain zeros, clear messages, the dtype given.

A gradient or output that a stage blocks is a plain 0, never -0.0. Multiplying a negative number
by 0 gives -0.0 in IEEE arithmetic, which NumPy prints as ``-0.`` and which turns ``1 / dx`` into
-inf. Where the reference (the formula, written with ``np.where``) gives +0.0, the engine's result
must too: same values, same sign bits.

A wrong cache handed to a backward function is refused with a message that names the entry that
is wrong and the shape it must have; a full Jacobian keeps the floating-point type of its inputs.
"""

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from backprop_core import TwoLayerNet
from backprop_core.layers import (
    ReLU,
    affine_backward,
    affine_forward,
    affine_jacobian,
    dropout_backward,
    dropout_forward,
    layernorm_backward,
    layernorm_forward,
    relu_backward,
    relu_forward,
    sigmoid_cross_entropy,
    softmax_cross_entropy,
    softmax_jacobian,
)
from backprop_core.layers.affine import AffineCache
from backprop_core.layers.conv import (
    conv_backward_fast,
    conv_backward_naive,
    conv_forward_fast,
    conv_forward_naive,
    conv_jacobian,
)

# + 0.0: an upstream -0.0 would make the passed-through reference entries -0.0 themselves
values = st.floats(-1e6, 1e6, allow_nan=False, allow_subnormal=False).map(lambda v: v + 0.0)
pairs = st.integers(1, 12).flatmap(
    lambda n: st.tuples(
        arrays(np.float64, n, elements=values), arrays(np.float64, n, elements=values)
    )
)


def assert_same_numbers_and_signs(result, reference):
    np.testing.assert_array_equal(result, reference)
    negative_zeros = (result == 0) & np.signbit(result)
    assert not negative_zeros.any(), f"-0.0 at {np.flatnonzero(negative_zeros)}: {result}"
    np.testing.assert_array_equal(np.signbit(result), np.signbit(reference))


@settings(max_examples=60, deadline=None)
@given(pairs)
def test_relu_backward_blocks_with_a_plain_zero(pair):
    x, dout = pair
    reference = np.where(x > 0, dout, 0.0)
    _, cache = relu_forward(x)
    assert_same_numbers_and_signs(relu_backward(dout, cache), reference)
    assert_same_numbers_and_signs(ReLU().backward(dout, cache), reference)  # the kernel a net uses


def test_a_network_blocked_hidden_unit_has_a_plain_zero_gradient():
    net = TwoLayerNet(3, 8, 4, std=1.0, seed=1)
    X = np.random.default_rng(2).standard_normal((6, 3))
    trace = net.forward(X)
    g = net.backward(trace, [0, 1, 2, 3, 0, 1])
    blocked = trace.y1 <= 0
    assert blocked.any() and (g.dh1[blocked] < 0).any()  # a negative gradient met a blocked unit
    assert_same_numbers_and_signs(g.dy1, np.where(trace.y1 > 0, g.dh1, 0.0))


@settings(max_examples=60, deadline=None)
@given(pairs, st.sampled_from([0.25, 0.5, 0.8]), st.integers(0, 2**16))
def test_dropout_drops_to_a_plain_zero_forward_and_backward(pair, p, seed):
    x, dout = pair
    param = {"p": p, "mode": "train", "seed": seed}
    out, cache = dropout_forward(x, param)
    keep = cache.mask != 0
    assert_same_numbers_and_signs(out, np.where(keep, x * cache.mask, 0.0))
    dx = dropout_backward(dout, cache)
    assert_same_numbers_and_signs(dx, np.where(keep, dout * cache.mask, 0.0))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_certain_label_gives_a_plain_zero_gradient(dtype):
    """Label 1 with a score so large that s(x) rounds to 1: the gradient (s - 1) / N is +0.0."""
    x = np.array([1000.0, 0.0, -1000.0, 800.0], dtype=dtype)
    y = np.array([1, 1, 0, 1])
    _, dx = sigmoid_cross_entropy(x, y)
    s = np.where(x >= 0, 1.0, 0.0)  # what s(x) rounds to at +-1000 and +800
    s[1] = 0.5
    reference = ((s - y) / len(y)).astype(dtype)
    assert_same_numbers_and_signs(dx, reference)


LAYOUTS = {
    "C order": lambda a: np.ascontiguousarray(a),
    "F order": lambda a: np.asfortranarray(a),
    "every other column of a wider array": lambda a: np.repeat(a, 2, axis=1)[:, ::2],
    "a transposed copy's transpose": lambda a: a.T.copy().T,
}


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_loss_does_not_depend_on_the_scores_memory_layout(layout, dtype):
    """The kernel reads each row's maximum and each label's score by flat index: any layout of
    the same numbers gives the same loss and gradient, the formula's, and the scores unchanged."""
    rng = np.random.default_rng(5)
    scores = (3 * rng.standard_normal((7, 5))).astype(dtype)
    y = np.array([0, 4, 2, 2, 1, 3, 0])
    arranged = LAYOUTS[layout](scores)
    before = arranged.copy()
    loss, dscores = softmax_cross_entropy(arranged, y)
    wide = scores.astype(np.float64)
    probs = np.exp(wide - wide.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    assert loss == pytest.approx(-np.log(probs[np.arange(7), y]).mean(), rel=1e-6)
    reference = probs.copy()
    reference[np.arange(7), y] -= 1
    np.testing.assert_allclose(dscores, reference / 7, rtol=1e-5, atol=1e-7)
    assert dscores.dtype == dtype and dscores.flags.c_contiguous
    np.testing.assert_array_equal(arranged, before)


@pytest.mark.parametrize("dtype", ["<i8", ">i8", ">i4", "<u8", ">u8", "u1", "i1", "<i2"])
def test_labels_of_any_integer_type_and_byte_order_give_the_same_loss(dtype):
    """Labels stored in any integer width, signed or not, little- or big-endian, name the same
    classes: the same loss and gradient as plain int64 labels."""
    scores = np.random.default_rng(6).standard_normal((4, 3))
    y = np.array([2, 0, 1, 1])
    expected = softmax_cross_entropy(scores, y)
    loss, dscores = softmax_cross_entropy(scores, y.astype(dtype))
    assert loss == expected[0]
    np.testing.assert_array_equal(dscores, expected[1])


@pytest.mark.parametrize("dtype", ["i1", ">i2", "<i4", ">i8"])
@pytest.mark.parametrize("C", [3, 200, 300])
def test_a_negative_label_is_refused_whatever_its_width_and_the_class_count(dtype, C):
    """-1 is refused with 200 or 300 classes as with 3, in an 8-bit label (whose bits read as
    255 unsigned) as in a wider or big-endian one."""
    message = rf"^y must lie in \[0, {C}\) for C = {C}; got -1$"
    with pytest.raises(ValueError, match=message):
        softmax_cross_entropy(np.zeros((2, C)), np.array([1, -1], dtype=dtype))


def test_the_softmax_jacobian_wants_a_batch_of_score_rows():
    with pytest.raises(ValueError, match=r"^scores must be 2-dimensional; got shape \(3,\)$"):
        softmax_jacobian([0.0, 1.0, 2.0])


def test_only_the_full_softmax_jacobian_of_a_large_batch_is_refused_as_too_large():
    """100 samples of 100 classes: the per-sample blocks (1e6 entries) are computed, the full
    (N, C, N, C) Jacobian (1e8, beyond the limit of 5e7) is refused before it is allocated."""
    scores = np.zeros((100, 100))
    assert softmax_jacobian(scores).shape == (100, 100, 100)
    message = (
        r"^the softmax Jacobian would have shape \(100, 100, 100, 100\), 100,000,000 entries "
        r"\(more than 50,000,000\)"
    )
    with pytest.raises(ValueError, match=message):
        softmax_jacobian(scores, full=True)


# -- the convolution's fast cache and its Jacobian ------------------------------------------------

CONV_PARAM = {"stride": 1, "pad": 1}


@pytest.fixture
def fast_conv():
    """A fast forward pass at stride 1, pad 1: (dout, cache); cols is (N*H'*Wg, C*HH*WW + 1),
    (2*3*5, 2*9 + 1) here."""
    rng = np.random.default_rng(3)
    x, w, b = rng.standard_normal((2, 2, 3, 3)), rng.standard_normal((3, 2, 3, 3)), np.zeros(3)
    out, cache = conv_forward_fast(x, w, b, CONV_PARAM)
    return np.ones(out.shape), cache


@pytest.mark.parametrize(
    "cols, got",
    [
        (np.ones(30 * 19), r"must be 2-dimensional; got shape \(570,\)"),
        (np.ones((30, 19, 1)), r"must be 2-dimensional; got shape \(30, 19, 1\)"),
        (np.full((30, 19), np.nan), r"must be finite; got nan at index \(0, 0\)"),
        (np.array([["a"] * 19] * 30), r"must be a numeric array; got"),
    ],
    ids=["1-D", "3-D", "NaN", "text"],
)
def test_conv_backward_fast_names_cache_cols_when_it_is_no_matrix(fast_conv, cols, got):
    """A cols entry that is not a finite 2-D float array is refused under the name cache.cols."""
    dout, cache = fast_conv
    with pytest.raises((ValueError, TypeError), match="^cache.cols " + got):
        conv_backward_fast(dout, cache._replace(cols=cols))


@pytest.mark.parametrize("shape", [(30, 18), (29, 19), (19, 30)])
def test_conv_backward_fast_says_what_shape_cache_cols_must_have(fast_conv, shape):
    """The message gives the symbols, the sizes they stand for and what they must match."""
    dout, cache = fast_conv
    message = (
        "cache.cols must have shape (N*H'*Wg, C*HH*WW + 1) = (30, 19) to match cache.x and w; "
        f"got {shape}"
    )
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        conv_backward_fast(dout, cache._replace(cols=np.ones(shape)))


@pytest.mark.parametrize("wrt", ["x", "w", "b"])
@pytest.mark.parametrize(
    "x_dtype, w_dtype, J_dtype",
    [
        (np.float32, np.float32, np.float32),
        (np.float64, np.float64, np.float64),
        (np.float32, np.float64, np.float64),
        (np.float64, np.float32, np.float64),
    ],
)
def test_conv_jacobian_keeps_the_dtype_of_x_and_w(wrt, x_dtype, w_dtype, J_dtype):
    """float32 x and w give a float32 Jacobian; a mix gives NumPy's promotion, float64."""
    rng = np.random.default_rng(4)
    x = rng.standard_normal((1, 2, 3, 3)).astype(x_dtype)
    w = rng.standard_normal((2, 2, 2, 2)).astype(w_dtype)
    J = conv_jacobian(x, w, CONV_PARAM, wrt)
    assert J.dtype == J_dtype
    reference = conv_jacobian(x.astype(np.float64), w.astype(np.float64), CONV_PARAM, wrt)
    np.testing.assert_allclose(J, reference, rtol=1e-6)


@pytest.mark.parametrize("wrt", ["x", "w", "b"])
def test_conv_jacobian_too_large_names_which_jacobian(wrt):
    """Refused before it is built, the message says which Jacobian would be too large."""
    x, w = np.ones((1, 1, 100, 100)), np.ones((100, 1, 1, 1))
    shape = {"x": (1, 100, 100, 100, 1, 1, 100, 100), "w": (1, 100, 100, 100, 100, 1, 1, 1)}
    shape["b"] = (1, 100, 100, 100, 100)
    message = f"the Jacobian of out with respect to {wrt} would have shape {shape[wrt]}, "
    with pytest.raises(ValueError, match=f"^{re.escape(message)}"):
        conv_jacobian(x, w, {"stride": 1, "pad": 0}, wrt)


# -- layer normalization's cache ------------------------------------------------------------------


@pytest.fixture
def layernorm_pass():
    """A layer norm forward pass on x (2, 3): (dout, cache)."""
    x = np.array([[1.0, 2.0, 4.0], [0.0, -1.0, 3.0]])
    out, cache = layernorm_forward(x, np.ones(3), np.zeros(3), {})
    return np.ones(out.shape), cache


WHY = "to match cache.xhat of shape (2, 3)"
LAYERNORM_BAD_CACHE = [  # (entry, value, the whole message)
    ("xhat", np.ones(6), "cache.xhat must be 2-dimensional; got shape (6,)"),
    ("xc", np.ones(6), "cache.xc must be 2-dimensional; got shape (6,)"),
    ("xc", np.ones((2, 4)), f"cache.xc must have shape (2, 3) {WHY}; got (2, 4)"),
    ("std", np.ones((2, 1)), "cache.std must be 1-dimensional; got shape (2, 1)"),
    ("std", np.ones(3), f"cache.std must have shape (N,) = (2,) {WHY}; got (3,)"),
    ("std", np.array([1.0, 0.0]), "cache.std must be > 0; got 0.0 at index (1,)"),
    ("gamma", np.ones((1, 3)), "cache.gamma must be 1-dimensional; got shape (1, 3)"),
    ("gamma", np.ones(4), f"cache.gamma must have shape (D,) = (3,) {WHY}; got (4,)"),
]


@pytest.mark.parametrize(
    "entry, value, message",
    LAYERNORM_BAD_CACHE,
    ids=[f"{entry}-{np.shape(value)}" for entry, value, _ in LAYERNORM_BAD_CACHE],
)
def test_layernorm_backward_names_the_wrong_cache_entry_and_its_shape(
    layernorm_pass, entry, value, message
):
    """Each entry of a wrong cache is refused under its name, with the shape it must have."""
    dout, cache = layernorm_pass
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        layernorm_backward(dout, cache._replace(**{entry: value}))


@pytest.mark.parametrize(
    "dout, message",
    [
        (np.ones(6), "dout must be 2-dimensional; got shape (6,)"),
        (
            np.ones((3, 2)),
            "dout must have shape (N, D) = (2, 3) to match the output of layernorm_forward; "
            "got (3, 2)",
        ),
    ],
    ids=["1-D", "transposed"],
)
def test_layernorm_backward_says_what_shape_dout_must_have(layernorm_pass, dout, message):
    """An upstream gradient that does not fit the forward pass's output is refused as dout."""
    _, cache = layernorm_pass
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        layernorm_backward(dout, cache)


def test_layernorm_forward_refuses_a_single_sample_as_a_1d_x():
    """x must be a batch (N, D): one sample given as a 1-D array is refused under the name x."""
    with pytest.raises(ValueError, match=r"^x must be 2-dimensional; got shape \(3,\)$"):
        layernorm_forward(np.ones(3), np.ones(3), np.zeros(3), {})


# -- the fast convolution's dtypes: NumPy's promotion, as the naive loops give ------------------

F32, F64 = np.float32, np.float64
FAST_CONV_SHAPES = [  # x shape, w shape, stride, pad: both paths of the fast kernels
    ((2, 3, 4, 6), (3, 3, 3, 3), 1, 1),  # stride 1: the flat grid, Wp wide
    ((1, 2, 5, 4), (2, 2, 3, 2), 1, 2),
    ((2, 2, 7, 5), (3, 2, 3, 3), 2, 0),  # other strides: strided windows
    ((1, 2, 6, 4), (2, 2, 2, 2), 2, 1),
]
FAST_CONV_IDS = [f"x{x}-w{w}-s{s}-p{p}" for x, w, s, p in FAST_CONV_SHAPES]


def conv_arguments(shapes, x_dtype, w_dtype, b_dtype):
    """x, w, b of the given dtypes and conv_param, for one entry of FAST_CONV_SHAPES."""
    x_shape, w_shape, stride, pad = shapes
    rng = np.random.default_rng(5)
    x = rng.standard_normal(x_shape).astype(x_dtype)
    w = rng.standard_normal(w_shape).astype(w_dtype)
    b = rng.standard_normal(w_shape[0]).astype(b_dtype)
    return x, w, b, {"stride": stride, "pad": pad}


def in_float64(*arrays):
    """The same numbers in float64 (every float32 number is exactly a float64 one)."""
    return [a.astype(F64) for a in arrays]


def tolerance(dtype):
    """float64 results must be the float64 numbers; float32 ones within float32's rounding."""
    return {"rtol": 1e-12, "atol": 1e-12} if dtype == F64 else {"rtol": 1e-4, "atol": 1e-4}


@pytest.mark.parametrize("shapes", FAST_CONV_SHAPES, ids=FAST_CONV_IDS)
@pytest.mark.parametrize(
    "x_dtype, w_dtype, b_dtype, out_dtype",
    [(F32, F32, F32, F32), (F64, F32, F32, F64), (F32, F64, F32, F64), (F32, F32, F64, F64)],
)
def test_the_fast_convolution_computes_in_the_promoted_dtype_of_x_w_and_b(
    shapes, x_dtype, w_dtype, b_dtype, out_dtype
):
    """float32 x, w and b give a float32 out; a float64 one among them gives a float64 out, as
    conv_forward_naive does, holding the float64 numbers: no argument rounded to float32."""
    x, w, b, param = conv_arguments(shapes, x_dtype, w_dtype, b_dtype)
    out, _ = conv_forward_fast(x, w, b, param)
    assert out.dtype == out_dtype == conv_forward_naive(x, w, b, param)[0].dtype
    reference, _ = conv_forward_naive(*in_float64(x, w, b), param)
    np.testing.assert_allclose(out, reference, **tolerance(out_dtype))


@pytest.mark.parametrize("shapes", FAST_CONV_SHAPES, ids=FAST_CONV_IDS)
@pytest.mark.parametrize(
    "x_dtype, w_dtype, dout_dtype, grad_dtype",
    [(F32, F32, F32, F32), (F32, F32, F64, F64), (F64, F32, F32, F64), (F32, F64, F32, F64)],
)
def test_the_fast_convolutions_gradients_have_the_promoted_dtype_of_dout_x_and_w(
    shapes, x_dtype, w_dtype, dout_dtype, grad_dtype
):
    """dx, dw and db have the dtype conv_backward_naive gives them, NumPy's promotion of dout,
    x and w: float32 throughout stays float32; a float64 dout, x or w gives float64 gradients
    holding the float64 numbers (b has x's dtype here)."""
    x, w, b, param = conv_arguments(shapes, x_dtype, w_dtype, x_dtype)
    out, cache = conv_forward_fast(x, w, b, param)
    dout = np.random.default_rng(6).standard_normal(out.shape).astype(dout_dtype)
    grads = conv_backward_fast(dout, cache)
    naive = conv_backward_naive(dout, conv_forward_naive(x, w, b, param)[1])
    _, cache64 = conv_forward_naive(*in_float64(x, w, b), param)
    reference = conv_backward_naive(dout.astype(F64), cache64)
    for name, got, naive_got, want in zip(("dx", "dw", "db"), grads, naive, reference, strict=True):
        assert got.dtype == grad_dtype == naive_got.dtype, name
        np.testing.assert_allclose(got, want, err_msg=name, **tolerance(grad_dtype))


LONG = np.longdouble


@pytest.mark.skipif(
    np.finfo(LONG).eps >= np.finfo(F64).eps, reason="long double is float64 on this platform"
)
@pytest.mark.parametrize("stride, pad", [(1, 0), (1, 1), (2, 1)])
def test_the_fast_convolution_keeps_the_digits_of_a_long_double_x(stride, pad):
    """A long double x is convolved in long double: entries 1 + 4k eps (eps of long double,
    far below float64's) keep their last digits through the im2col copy, padding included.
    With 2x2 filters of ones every partial sum is exact, so out equals the window sums."""
    eps = np.finfo(LONG).eps
    k = np.random.default_rng(8).integers(0, 4, size=(2, 2, 4, 6))
    x = 1 + 4 * eps * k.astype(LONG)
    w, b = np.ones((3, 2, 2, 2), dtype=LONG), np.zeros(3, dtype=LONG)
    out, _ = conv_forward_fast(x, w, b, {"stride": stride, "pad": pad})
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    N, _, Ho, Wo = out.shape
    sums = np.zeros((N, Ho, Wo), dtype=LONG)  # the same for every filter
    for n, i, j in np.ndindex(N, Ho, Wo):
        sums[n, i, j] = sum(
            xp[n, :, stride * i : stride * i + 2, stride * j : stride * j + 2].ravel()
        )
    assert out.dtype == LONG
    np.testing.assert_array_equal(out, np.broadcast_to(sums[:, None], out.shape))


# -- the affine map's Jacobians -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("x", "W", "message"),
    [
        (np.ones(3), np.ones((3, 2)), r"^x must be 2-dimensional; got shape \(3,\)$"),
        (np.ones((2, 3)), np.ones(3), r"^W must be 2-dimensional; got shape \(3,\)$"),
        (
            np.ones((2, 3)),
            np.ones((4, 2)),
            r"^W must have shape \(D, M\) = \(3, \?\) to match x of shape \(2, 3\); got \(4, 2\)$",
        ),
    ],
)
def test_affine_jacobian_names_the_argument_of_the_wrong_shape(x, W, message):
    with pytest.raises(ValueError, match=message):
        affine_jacobian(x, W, "W")


def test_affine_jacobian_too_large_names_which_jacobian():
    message = r"^the Jacobian of out with respect to x would have shape \(1000, 100, 1000, 100\)"
    with pytest.raises(ValueError, match=message):
        affine_jacobian(np.ones((1000, 100)), np.ones((100, 100)), "x")


@pytest.mark.parametrize("wrt", ["W", "b", "x"])
def test_affine_jacobian_is_in_the_promoted_dtype_and_agrees_with_its_backward(wrt):
    """float64 x and float32 W give a float64 Jacobian; contracted with an upstream gradient it
    gives what affine_backward gives (for b: the identity per sample, summed over the batch)."""
    rng = np.random.default_rng(9)
    x, W = rng.standard_normal((3, 4)), rng.standard_normal((4, 2)).astype(np.float32)
    J = affine_jacobian(x, W, wrt)
    assert J.dtype == np.float64
    dout = rng.standard_normal((3, 2))
    dx, dW, db = affine_backward(dout, affine_forward(x, W, np.zeros(2))[1])
    if wrt == "b":
        np.testing.assert_array_equal(J, np.broadcast_to(np.eye(2), (3, 2, 2)))
        np.testing.assert_allclose(np.einsum("pq,pqj->j", dout, J), db)
    else:
        expected = {"W": dW, "x": dx}[wrt]
        np.testing.assert_allclose(np.tensordot(dout, J, axes=2), expected, rtol=1e-6)


# -- the checked affine pair: each refusal names its argument and what it must fit ----------------

X23, W34 = np.ones((2, 3)), np.ones((3, 4))  # out = x W + b is (2, 4)
AFFINE_REFUSALS = {  # a call and its whole message
    "forward W 1-D": (
        lambda: affine_forward(X23, np.ones(3), np.zeros(1)),
        "W must be 2-dimensional; got shape (3,)",
    ),
    "forward W 3-D": (
        lambda: affine_forward(X23, np.ones((3, 4, 1)), np.zeros(4)),
        "W must be 2-dimensional; got shape (3, 4, 1)",
    ),
    "forward b of another length": (
        lambda: affine_forward(X23, W34, np.zeros(3)),
        "b must have shape (M,) = (4,) to match W of shape (3, 4); got (3,)",
    ),
    "backward cache.W 1-D": (
        lambda: affine_backward(np.ones((2, 4)), AffineCache(X23, np.ones(3))),
        "cache.W must be 2-dimensional; got shape (3,)",
    ),
    "backward cache.W 3-D": (
        lambda: affine_backward(np.ones((2, 4)), AffineCache(X23, np.ones((3, 4, 1)))),
        "cache.W must be 2-dimensional; got shape (3, 4, 1)",
    ),
    "backward dout 1-D": (
        lambda: affine_backward(np.ones(4), affine_forward(X23, W34, np.zeros(4))[1]),
        "dout must be 2-dimensional; got shape (4,)",
    ),
    "backward dout transposed": (
        lambda: affine_backward(np.ones((4, 2)), affine_forward(X23, W34, np.zeros(4))[1]),
        "dout must have shape (N, M) = (2, 4) to match the output of affine_forward; got (4, 2)",
    ),
}


@pytest.mark.parametrize("call, message", AFFINE_REFUSALS.values(), ids=AFFINE_REFUSALS.keys())
def test_the_affine_pair_names_the_argument_at_fault_and_what_it_must_fit(call, message):
    """The whole message: W (cache.W in the backward pass, as the caller handed it over) must
    be a matrix, said as such for any other number of axes, not as a shape mismatch; b must
    have W's M entries; dout must be a matrix shaped like affine_forward's output."""
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        call()
