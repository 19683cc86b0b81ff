"""What a learner relies on in dropout, the binary sigmoid loss and the convolution.

A wrong argument is refused with a message that starts with its name (``x``, ``dout``,
``cache.mask``, ``dropout_param``, ``y``) and says in full what was expected and what arrived: a
dropout cache whose mask does not fit its mode, a mask or an upstream gradient holding NaN, a
``dropout_param`` that is no dict, scores of shape (N, 1) where the sigmoid loss wants (N,) (the
message says how to get them), labels of another length than the scores, a convolution's
``dout`` of the wrong rank or shape; its ``w`` and ``b`` of the wrong rank, filters over other
channels than x's, a bias of another length than the filters, a ``conv_param`` that is no dict,
a stride that does not tile the input (``cache.w`` and so on when they come in a cache). A full
Jacobian too large to build is refused by its name before anything is allocated, and the size
limit counts the entries of that Jacobian, N * N for the sigmoid. Dropout's Jacobian keeps the
floating-point type of ``x`` in both modes.
"""

import re

import numpy as np
import pytest

from backprop_core.layers import (
    dropout_backward,
    dropout_forward,
    dropout_jacobian,
    sigmoid,
    sigmoid_cross_entropy,
    sigmoid_jacobian,
)
from backprop_core.layers.conv import (
    conv_backward_fast,
    conv_backward_naive,
    conv_forward_fast,
    conv_forward_naive,
    conv_jacobian,
)

TRAIN = {"p": 0.5, "mode": "train", "seed": 3}
TEST = {"p": 0.5, "mode": "test"}


def refused(error, message):
    """pytest.raises for exactly ``message``: the whole text, nothing before or after it."""
    return pytest.raises(error, match=f"^{re.escape(message)}$")


# -- dropout --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cache", "message"),
    [
        ((TEST, np.ones(4)), "cache.mask must be None in test mode; got an array"),
        ((TRAIN, None), "cache.mask must be an array in train mode; got None"),
    ],
    ids=["array in test mode", "None in train mode"],
)
def test_dropout_backward_says_the_cache_mask_does_not_fit_the_mode(cache, message):
    """At test time there is no mask (the layer is the identity); in training there must be one.
    A cache that mixes the two is refused by naming cache.mask, the mode and what arrived."""
    with refused(ValueError, message):
        dropout_backward(np.ones(4), cache)


def test_dropout_backward_names_cache_mask_when_it_holds_nan():
    """A mask with NaN in it is not one dropout_forward drew: the message names cache.mask and
    says where the NaN is."""
    mask = np.array([2.0, np.nan, 0.0, 2.0])
    with refused(ValueError, "cache.mask must be finite; got nan at index (1,)"):
        dropout_backward(np.ones(4), (TRAIN, mask))


@pytest.mark.parametrize(("param", "got"), [(0.5, "float"), ([0.5, "train"], "list")])
def test_a_dropout_param_that_is_no_dict_is_refused_naming_its_type(param, got):
    """dropout_param must be a dict; the message says which keys it needs and what type came."""
    message = (
        f"dropout_param must be a dict with keys 'p' and 'mode' (and optionally 'seed'); got {got}"
    )
    with refused(TypeError, message):
        dropout_forward(np.ones(4), param)


@pytest.mark.parametrize("param", [TRAIN, TEST], ids=["train", "test"])
def test_dropout_backward_names_dout_when_it_holds_nan(param):
    """An upstream gradient with NaN in it is refused in either mode, by its name ``dout``."""
    _, cache = dropout_forward(np.ones((2, 3)), param)
    dout = np.ones((2, 3))
    dout[1, 2] = np.nan
    with refused(ValueError, "dout must be finite; got nan at index (1, 2)"):
        dropout_backward(dout, cache)


def test_dropout_jacobian_names_x_when_it_holds_nan():
    """The Jacobian is taken at x, so an x with NaN in it is refused by its name."""
    with refused(ValueError, "x must be finite; got nan at index (1,)"):
        dropout_jacobian([1.0, np.nan, 2.0], TRAIN)


@pytest.mark.parametrize("param", [TRAIN, TEST], ids=["train", "test"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dropout_jacobian_keeps_the_float_type_of_x(param, dtype):
    """diag(mask) in training, the identity at test time: either way of x's dtype, as
    dropout_forward's output is, and holding the mask dropout_forward uses."""
    x = np.linspace(-1.0, 1.0, 6, dtype=dtype).reshape(2, 3)
    J = dropout_jacobian(x, param)
    _, cache = dropout_forward(x, param)
    slope = np.ones(x.shape, dtype=dtype) if cache.mask is None else cache.mask
    assert J.dtype == dtype
    np.testing.assert_array_equal(J.reshape(6, 6), np.diag(slope.ravel()))


# -- the sigmoid and its binary cross-entropy -----------------------------------------------------


def test_sigmoid_cross_entropy_refuses_a_column_of_scores_and_says_how_to_flatten_it():
    """One score per sample is a vector (N,). A column (N, 1), what a network with one output
    gives, is refused with the fix: x[:, 0]."""
    message = (
        "x must be 1-dimensional (N,), one score per sample; got shape (3, 1)"
        " (for scores of shape (N, 1) use x[:, 0])"
    )
    with refused(ValueError, message):
        sigmoid_cross_entropy(np.zeros((3, 1)), [0, 1, 1])


@pytest.mark.parametrize("n_labels", [1, 2, 4])
def test_sigmoid_cross_entropy_wants_one_label_per_score(n_labels):
    """Labels of another length than the scores are refused, a single label too: it is never
    broadcast over the batch."""
    message = (
        f"y must have shape (N,) = (3,) to match the 3 samples of the batch; got ({n_labels},)"
    )
    with refused(ValueError, message):
        sigmoid_cross_entropy(np.zeros(3), np.ones(n_labels, dtype=int))


def test_a_too_large_sigmoid_jacobian_is_refused_by_name_before_it_is_built():
    """7072 scores would give a 7072 x 7072 Jacobian, 50,013,184 entries, more than the limit of
    50,000,000: refused, naming the sigmoid Jacobian, its shape and its size."""
    n = 7072
    message = f"the sigmoid Jacobian would have shape ({n}, {n}), {n * n:,} entries (more than"
    with pytest.raises(ValueError, match=f"^{re.escape(message)}"):
        sigmoid_jacobian(np.zeros(n))


def test_the_sigmoid_jacobian_of_400_scores_is_built():
    """The limit counts N * N entries: 400 scores give their 400 x 400 Jacobian diag(s (1 - s))."""
    x = np.linspace(-8.0, 8.0, 400)
    s = sigmoid(x)
    J = sigmoid_jacobian(x)
    assert J.shape == (400, 400)
    np.testing.assert_allclose(np.diag(J), s * (1 - s), rtol=1e-12, atol=1e-15)
    assert np.count_nonzero(J - np.diag(np.diag(J))) == 0


# -- the convolution's backward functions ---------------------------------------------------------

CONV_PAIRS = {
    "naive": (conv_forward_naive, conv_backward_naive),
    "fast": (conv_forward_fast, conv_backward_fast),
}


def conv_cache(forward):
    """The cache of a (1, 2, 4, 4) input and two 3 x 3 filters, stride 1, no padding: out is
    (N, F, H', W') = (1, 2, 2, 2)."""
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((1, 2, 4, 4)), rng.standard_normal((2, 2, 3, 3)), np.zeros(2)
    return forward(x, w, b, {"stride": 1, "pad": 0})[1]


@pytest.mark.parametrize("pair", CONV_PAIRS)
def test_conv_backward_names_dout_when_it_holds_nan(pair):
    """An upstream gradient with NaN in it is refused by its name, with where the NaN is."""
    forward, backward = CONV_PAIRS[pair]
    dout = np.ones((1, 2, 2, 2))
    dout[0, 1, 0, 1] = np.nan
    with refused(ValueError, "dout must be finite; got nan at index (0, 1, 0, 1)"):
        backward(dout, conv_cache(forward))


@pytest.mark.parametrize("pair", CONV_PAIRS)
def test_conv_backward_wants_a_four_dimensional_dout(pair):
    """dout of the wrong rank is refused as such, before its shape is compared with out's."""
    forward, backward = CONV_PAIRS[pair]
    with refused(ValueError, "dout must be 4-dimensional; got shape (2, 2, 2)"):
        backward(np.ones((2, 2, 2)), conv_cache(forward))


@pytest.mark.parametrize("pair", CONV_PAIRS)
def test_conv_backward_says_dout_must_have_the_shape_of_the_forward_output(pair):
    """A dout of another shape than the output is refused with the shape it must have, named
    (N, F, H', W'), and why: it is the gradient of that output."""
    forward, backward = CONV_PAIRS[pair]
    message = (
        "dout must have shape (N, F, H', W') = (1, 2, 2, 2) to match the output of the forward "
        "pass; got (1, 2, 3, 3)"
    )
    with refused(ValueError, message):
        backward(np.ones((1, 2, 3, 3)), conv_cache(forward))


@pytest.mark.parametrize("pair", CONV_PAIRS)
def test_a_kernel_as_large_as_the_padded_input_gives_one_output_per_filter(pair):
    """A 5 x 4 kernel on a 3 x 2 input with pad 1 fits exactly (span 0): one output entry per
    filter and sample, the sum over the whole padded input, and its gradient."""
    forward, backward = CONV_PAIRS[pair]
    x = np.arange(12.0).reshape(2, 1, 3, 2)
    w, b = np.ones((2, 1, 5, 4)), np.array([0.5, -1.0])
    out, cache = forward(x, w, b, {"stride": 1, "pad": 1})
    assert out.shape == (2, 2, 1, 1)
    np.testing.assert_allclose(out[:, :, 0, 0], x.sum(axis=(1, 2, 3))[:, None] + b)
    dx = backward(np.ones(out.shape), cache)[0]
    np.testing.assert_allclose(dx, np.full(x.shape, 2.0))


@pytest.mark.parametrize("axis, w_shape, size", [("H", (1, 1, 6, 2), 5), ("W", (1, 1, 3, 5), 4)])
def test_a_kernel_larger_than_the_padded_input_names_the_axis_and_the_padded_size(
    axis, w_shape, size
):
    """x (1, 1, 3, 2) with pad 1 is 5 x 4 padded: a kernel one larger along H or W is refused,
    naming that axis, the padded size H + 2 pad or W + 2 pad, and the kernel."""
    kernel = w_shape[2] if axis == "H" else w_shape[3]
    message = (
        f"w's kernel ({kernel}) must fit in the padded input along {axis}: "
        f"{axis} + 2 pad = {size}; got a kernel of {kernel}"
    )
    with refused(ValueError, message):
        conv_forward_naive(
            np.ones((1, 1, 3, 2)), np.ones(w_shape), np.zeros(1), {"stride": 1, "pad": 1}
        )


def test_a_conv_param_with_unknown_keys_of_any_type_lists_them_sorted_as_text():
    """Unknown keys of mixed types (an int and a str) are listed in the order of their text."""
    param = {"stride": 1, "pad": 0, 2: "x", "a": 1}
    message = "conv_param must hold exactly 'stride' and 'pad'; missing [], unknown [2, 'a']"
    with refused(ValueError, message):
        conv_forward_naive(np.ones((1, 1, 3, 3)), np.ones((1, 1, 2, 2)), np.zeros(1), param)


# -- the convolution's argument checks ------------------------------------------------------------

CHECKED_BY = {  # entry point: the prefix of the names in its messages, a call with x, w, b, param
    "conv_forward_naive": ("", conv_forward_naive),
    "conv_forward_fast": ("", conv_forward_fast),
    "conv_backward_naive": ("cache.", lambda *c: conv_backward_naive(np.ones((1, 1, 1, 1)), c)),
    "conv_backward_fast": (
        "cache.",
        lambda *c: conv_backward_fast(np.ones((1, 1, 1, 1)), (*c, None)),
    ),
}
X4, W4, B4, P4 = np.ones((1, 2, 4, 4)), np.ones((3, 2, 3, 3)), np.zeros(3), {"stride": 1, "pad": 0}


@pytest.mark.parametrize("entry", CHECKED_BY)
@pytest.mark.parametrize(
    ("arg", "value", "message"),
    [
        ("w", np.ones((3, 3, 3)), "w must be 4-dimensional; got shape (3, 3, 3)"),
        ("b", np.zeros((3, 1)), "b must be 1-dimensional; got shape (3, 1)"),
    ],
    ids=["w 3-D", "b 2-D"],
)
def test_conv_refuses_w_or_b_of_the_wrong_rank_as_such(entry, arg, value, message):
    """Filters w are (F, C, HH, WW), the bias b is (F,): one of another rank is refused by its
    name (cache.w, cache.b in a cache) and its shape, before its sizes are compared."""
    where, call = CHECKED_BY[entry]
    args = {"x": X4, "w": W4, "b": B4, "conv_param": P4} | {arg: value}
    with refused(ValueError, where + message):
        call(*args.values())


@pytest.mark.parametrize("entry", CHECKED_BY)
def test_conv_says_w_must_have_the_channels_of_x(entry):
    """w's second axis is x's channel axis C: filters over 3 channels on a 2-channel x are
    refused, naming the axes (F, C, HH, WW), the one size fixed by x, and x's shape."""
    where, call = CHECKED_BY[entry]
    message = (
        f"{where}w must have shape (F, C, HH, WW) = (?, 2, ?, ?) to match x of shape "
        "(1, 2, 4, 4); got (3, 3, 3, 3)"
    )
    with refused(ValueError, message):
        call(X4, np.ones((3, 3, 3, 3)), B4, P4)


@pytest.mark.parametrize("entry", CHECKED_BY)
def test_conv_says_b_must_have_one_entry_per_filter(entry):
    """Three filters want three biases: two are refused, naming (F,), F and w's shape."""
    where, call = CHECKED_BY[entry]
    message = f"{where}b must have shape (F,) = (3,) to match w of shape (3, 2, 3, 3); got (2,)"
    with refused(ValueError, message):
        call(X4, W4, np.zeros(2), P4)


@pytest.mark.parametrize("entry", CHECKED_BY)
@pytest.mark.parametrize(
    ("param", "got"), [([1, 0], "list"), ((1, 0), "tuple")], ids=["list", "tuple"]
)
def test_a_conv_param_that_is_no_dict_is_refused_naming_its_type(entry, param, got):
    """conv_param must be a dict; the message says which keys it needs and what type came."""
    where, call = CHECKED_BY[entry]
    message = f"{where}conv_param must be a dict with 'stride' and 'pad'; got {got}"
    with refused(TypeError, message):
        call(X4, W4, B4, param)


@pytest.mark.parametrize(("axis", "x_shape"), [("H", (1, 1, 6, 5)), ("W", (1, 1, 5, 6))])
def test_a_stride_that_does_not_tile_the_input_is_refused_with_the_arithmetic_and_the_fix(
    axis, x_shape
):
    """Stride 2, pad 1, a 3 x 3 kernel: 6 + 2 - 3 = 5 along one axis is no multiple of 2, while
    5 + 2 - 3 = 4 along the other is. Refused as cs231n's fast convolution refuses it, naming that
    axis, the sum, and the fix."""
    message = (
        f"{axis} + 2 pad - kernel = 6 + 2*1 - 3 = 5 must be divisible by the stride 2, so the "
        "windows tile the input exactly (cs231n's fast convolution asserts the same); change pad "
        "or stride"
    )
    with refused(ValueError, message):
        conv_forward_fast(
            np.ones(x_shape), np.ones((1, 1, 3, 3)), np.zeros(1), {"stride": 2, "pad": 1}
        )


@pytest.mark.parametrize(
    ("x", "w", "message"),
    [
        (np.ones((1, 1, 3, 3)), [[1.0, 2.0], [3.0]], r"^w must be a rectangular numeric array; "),
        ([[1.0, 2.0], [3.0]], [[1.0, 2.0], [3.0]], r"^x must be a rectangular numeric array; "),
        (np.ones((1, 1, 3, 3)), np.ones((2, 2)), r"^w must be 4-dimensional; got shape \(2, 2\)$"),
    ],
    ids=["w ragged", "x ragged too", "w 2-D"],
)
def test_conv_jacobian_refuses_a_bad_x_or_w_naming_it_before_reading_w(x, w, message):
    """conv_jacobian checks x, then w, as the forward pass does, before it reads w's shape for
    the bias it does not need: a ragged w is named, not left to NumPy."""
    with pytest.raises(ValueError, match=message):
        conv_jacobian(x, w, {"stride": 1, "pad": 0}, "x")
