"""The convolution: naive and fast against each other and against independent oracles (SciPy's
correlate, central differences), its Jacobian, hostile arguments, dtypes, and its bugs diagnosed."""

import copy

import numpy as np
import pytest
from scipy.signal import correlate

from backprop_core import numerical_gradient_array, rel_error, vjp
from backprop_core.debugging import diagnose
from backprop_core.debugging.conv import BUGS
from backprop_core.layers import conv
from backprop_core.layers.conv import (
    ConvCache,
    conv_backward_fast,
    conv_backward_naive,
    conv_forward_fast,
    conv_forward_naive,
    conv_jacobian,
)

CONFIGS = [  # x shape, w shape, stride, pad
    ((2, 3, 5, 5), (4, 3, 3, 3), 1, 1),
    ((2, 2, 5, 5), (3, 2, 3, 3), 2, 1),
    ((1, 1, 7, 7), (2, 1, 3, 3), 2, 0),
    ((3, 2, 4, 6), (2, 2, 2, 3), 1, 0),
    ((1, 2, 7, 7), (1, 2, 1, 1), 3, 0),
    ((2, 1, 3, 3), (2, 1, 3, 3), 1, 2),
    ((1, 1, 8, 8), (1, 1, 4, 4), 2, 1),
]
IDS = [f"x{x}-w{w}-s{s}-p{p}" for x, w, s, p in CONFIGS]


def sample(rng, x_shape, w_shape, dtype=np.float64):
    x = rng.standard_normal(x_shape).astype(dtype)
    w = rng.standard_normal(w_shape).astype(dtype)
    return x, w, rng.standard_normal(w_shape[0]).astype(dtype)


@pytest.mark.parametrize("x_shape, w_shape, stride, pad", CONFIGS, ids=IDS)
def test_forward_matches_scipy_correlate(rng, x_shape, w_shape, stride, pad):
    x, w, b = sample(rng, x_shape, w_shape)
    out, _ = conv_forward_naive(x, w, b, {"stride": stride, "pad": pad})
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    for n in range(x.shape[0]):
        for f in range(w.shape[0]):
            full = correlate(xp[n], w[f], mode="valid")[0]  # valid cross-correlation, stride 1
            want = full[::stride, ::stride] + b[f]
            assert np.allclose(out[n, f], want, rtol=0, atol=1e-12), "naive vs scipy, 1e-12"


@pytest.mark.parametrize("x_shape, w_shape, stride, pad", CONFIGS, ids=IDS)
def test_fast_equals_naive(rng, x_shape, w_shape, stride, pad):
    x, w, b = sample(rng, x_shape, w_shape)
    param = {"stride": stride, "pad": pad}
    out, cache = conv_forward_naive(x, w, b, param)
    out_fast, cache_fast = conv_forward_fast(x, w, b, param)
    assert rel_error(out_fast, out) < 1e-13, "forward, fast vs naive"
    dout = rng.standard_normal(out.shape)
    for got, want in zip(
        conv_backward_fast(dout, cache_fast), conv_backward_naive(dout, cache), strict=True
    ):
        assert got.shape == want.shape and rel_error(got, want) < 1e-13, "backward, fast vs naive"


@pytest.mark.parametrize("x_shape, w_shape, stride, pad", CONFIGS[:4], ids=IDS[:4])
def test_backward_matches_central_differences(rng, x_shape, w_shape, stride, pad):
    x, w, b = sample(rng, x_shape, w_shape)
    param = {"stride": stride, "pad": pad}
    out, cache = conv_forward_naive(x, w, b, param)
    dout = rng.standard_normal(out.shape)
    dx, dw, db = conv_backward_naive(dout, cache)
    for analytic, f, arg in (
        (dx, lambda v: conv_forward_naive(v, w, b, param)[0], x),
        (dw, lambda v: conv_forward_naive(x, v, b, param)[0], w),
        (db, lambda v: conv_forward_naive(x, w, v, param)[0], b),
    ):
        assert (
            rel_error(analytic, numerical_gradient_array(f, arg.copy(), dout)) < 1e-7
        )  # cs231n's good, as in test_registry


@pytest.mark.parametrize("x_shape, w_shape, stride, pad", CONFIGS[:3], ids=IDS[:3])
def test_jacobian_contracts_to_backward_and_is_banded(rng, x_shape, w_shape, stride, pad):
    x, w, b = sample(rng, x_shape, w_shape)
    param = {"stride": stride, "pad": pad}
    out, cache = conv_forward_naive(x, w, b, param)
    dout = rng.standard_normal(out.shape)
    grads = conv_backward_naive(dout, cache)
    for wrt, grad in zip("xwb", grads, strict=True):
        assert rel_error(vjp(conv_jacobian(x, w, param, wrt), dout), grad) < 1e-12
    J = conv_jacobian(x, w, param, "x")
    # each output reads at most C * HH * WW inputs of one sample: the rest is exactly 0
    per_row = (J.reshape(out.size, -1) != 0).sum(axis=1)
    assert per_row.max() <= w[0].size and J.shape == out.shape + x.shape


def test_im2col_and_col2im_are_adjoint(rng):
    for x_shape, w_shape, stride, pad in CONFIGS:
        x = rng.standard_normal(x_shape)
        HH, WW = w_shape[2:]
        cols = conv.im2col(x, HH, WW, stride, pad)
        Y = rng.standard_normal(cols.shape)
        lhs, rhs = np.sum(cols * Y), np.sum(x * conv.col2im(Y, x_shape, HH, WW, stride, pad))
        assert abs(lhs - rhs) <= 1e-12 * max(1.0, abs(lhs)), "<im2col x, Y> = <x, col2im Y>"


def test_the_fast_kernels_columns_and_fold_are_adjoint(rng):
    for x_shape, w_shape, stride, pad in CONFIGS:
        x = rng.standard_normal(x_shape)
        HH, WW = w_shape[2:]
        cols_t = conv.columns(x, HH, WW, stride, pad)[:-1]  # without the bias's row of ones
        Y = rng.standard_normal(cols_t.shape)
        lhs = np.sum(cols_t * Y)
        rhs = np.sum(x * conv.fold(Y, x_shape, HH, WW, stride, pad))
        assert abs(lhs - rhs) <= 1e-12 * max(1.0, abs(lhs)), "<columns x, Y> = <x, fold Y>"


@pytest.mark.parametrize(
    "forward, backward",
    [(conv_forward_naive, conv_backward_naive), (conv_forward_fast, conv_backward_fast)],
)
def test_float32_stays_float32_and_large_inputs_stay_finite(rng, forward, backward):
    x, w, b = sample(rng, (2, 2, 5, 5), (3, 2, 3, 3), np.float32)
    out, cache = forward(x, w, b, {"stride": 2, "pad": 1})
    grads = backward(np.ones_like(out), cache)
    assert out.dtype == np.float32 and all(g.dtype == np.float32 for g in grads)
    big = sample(rng, (1, 2, 5, 5), (2, 2, 3, 3))
    out, cache = forward(big[0] * 1e100, big[1] * 1e100, big[2], {"stride": 1, "pad": 1})
    grads = backward(out * 1e-150, cache)
    assert np.isfinite(out).all() and all(np.isfinite(g).all() for g in grads)


def test_nothing_is_mutated(rng):
    x, w, b = sample(rng, (2, 2, 5, 5), (3, 2, 3, 3))
    param = {"stride": 2, "pad": 1}
    for forward, backward in (
        (conv_forward_naive, conv_backward_naive),
        (conv_forward_fast, conv_backward_fast),
    ):
        args = (x, w, b, param)
        before = copy.deepcopy(args)
        out, cache = forward(*args)
        dout = rng.standard_normal(out.shape)
        dout_before, cache_before = dout.copy(), copy.deepcopy(cache)
        backward(dout, cache)
        assert all(np.array_equal(a, c) for a, c in zip(args[:3], before[:3], strict=True))
        assert param == before[3] and np.array_equal(dout, dout_before)
        assert all(np.array_equal(a, c) for a, c in zip(cache[:3], cache_before[:3], strict=True))


X, W, B = np.ones((2, 3, 5, 5)), np.ones((4, 3, 3, 3)), np.ones(4)
P1 = {"stride": 1, "pad": 1}
_, CACHE = conv_forward_naive(X, W, B, P1)
_, FAST_CACHE = conv_forward_fast(X, W, B, P1)
HOSTILE = [  # label, call, error type, text the message must contain
    (
        "x 3-D",
        lambda: conv_forward_naive(np.ones((3, 5, 5)), W, B, P1),
        ValueError,
        "x must be 4-dimensional",
    ),
    (
        "w channels",
        lambda: conv_forward_naive(X, np.ones((4, 2, 3, 3)), B, P1),
        ValueError,
        "w must have shape (F, C, HH, WW) = (?, 3, ?, ?)",
    ),
    (
        "b length",
        lambda: conv_forward_naive(X, W, np.ones(3), P1),
        ValueError,
        "b must have shape (F,) = (4,)",
    ),
    (
        "param not a dict",
        lambda: conv_forward_naive(X, W, B, [1, 1]),
        TypeError,
        "conv_param must be a dict",
    ),
    (
        "pad missing",
        lambda: conv_forward_naive(X, W, B, {"stride": 1}),
        ValueError,
        "missing ['pad']",
    ),
    (
        "unknown key",
        lambda: conv_forward_naive(X, W, B, {"stride": 1, "padding": 1}),
        ValueError,
        "unknown ['padding']",
    ),
    (
        "stride 0",
        lambda: conv_forward_naive(X, W, B, {"stride": 0, "pad": 1}),
        ValueError,
        "conv_param['stride'] must be >= 1",
    ),
    (
        "stride 1.5",
        lambda: conv_forward_fast(X, W, B, {"stride": 1.5, "pad": 1}),
        TypeError,
        "conv_param['stride'] must be an integer",
    ),
    (
        "stride True",
        lambda: conv_forward_fast(X, W, B, {"stride": True, "pad": 1}),
        TypeError,
        "conv_param['stride'] must be an integer",
    ),
    (
        "pad -1",
        lambda: conv_forward_naive(X, W, B, {"stride": 1, "pad": -1}),
        ValueError,
        "conv_param['pad'] must be >= 0",
    ),
    (
        "stride does not divide",
        lambda: conv_forward_naive(X, W, B, {"stride": 3, "pad": 0}),
        ValueError,
        "5 + 2*0 - 3 = 2 must be divisible by the stride 3",
    ),
    (
        "kernel too big",
        lambda: conv_forward_fast(np.ones((1, 3, 2, 2)), W, B, {"stride": 1, "pad": 0}),
        ValueError,
        "must fit in the padded input",
    ),
    (
        "NaN in x",
        lambda: conv_forward_fast(np.full((2, 3, 5, 5), np.nan), W, B, P1),
        ValueError,
        "x must be finite",
    ),
    ("text x", lambda: conv_forward_naive("x", W, B, P1), TypeError, "x must be a numeric array"),
    (
        "cache a list",
        lambda: conv_backward_naive(np.ones((2, 4, 5, 5)), list(CACHE)),
        TypeError,
        "cache must be the ConvCache",
    ),
    (
        "dout shape",
        lambda: conv_backward_naive(np.ones((2, 4, 4, 4)), CACHE),
        ValueError,
        "dout must have shape (N, F, H', W') = (2, 4, 5, 5)",
    ),
    (
        "cache param broken",
        lambda: conv_backward_naive(
            np.ones((2, 4, 5, 5)), CACHE._replace(conv_param={"stride": 1})
        ),
        ValueError,
        "cache.conv_param must hold",
    ),
    (
        "naive cache to fast",
        lambda: conv_backward_fast(np.ones((2, 4, 5, 5)), CACHE),
        TypeError,
        "cache must be the ConvFastCache",
    ),
    (
        "fast cache, wrong cols",
        lambda: conv_backward_fast(
            np.ones((2, 4, 5, 5)), FAST_CACHE._replace(cols=np.ones((3, 28)))
        ),
        ValueError,
        "cache.cols must have shape",
    ),
    (
        "wrt unknown",
        lambda: conv_jacobian(X, W, P1, "z"),
        ValueError,
        "wrt must be one of 'x', 'w', 'b'",
    ),
    (
        "Jacobian too big",
        lambda: conv_jacobian(np.ones((64, 3, 32, 32)), np.ones((8, 3, 3, 3)), P1, "x"),
        ValueError,
        "entries (more than 50,000,000)",
    ),
]


@pytest.mark.parametrize("call, error, text", [c[1:] for c in HOSTILE], ids=[c[0] for c in HOSTILE])
def test_hostile_arguments_are_refused_with_a_clear_message(call, error, text):
    with pytest.raises(error) as caught:
        call()
    assert text in str(caught.value), str(caught.value)


def test_the_checked_pair_calls_the_kernels_and_the_cache_is_cs231ns():
    out, cache = conv_forward_naive(X, W, B, P1)
    _x, _w, _b, conv_param = cache  # cs231n's cache unpacks to four entries
    assert isinstance(cache, ConvCache) and conv_param == P1 and conv_param is not P1
    assert np.array_equal(out, conv.forward(X, W, B, P1)[0])


@pytest.mark.parametrize("bug", BUGS, ids=[b.name for b in BUGS])
def test_every_bug_is_diagnosed_with_its_cause(bug):
    found = diagnose(bug.fn, bug.stage)
    assert not found.ok and found.cause == bug.cause, str(found)


def test_the_padded_dx_is_named_as_a_padding_problem():
    bug = next(b for b in BUGS if b.name == "conv_dx_not_cropped")
    found = diagnose(bug.fn, bug.stage)
    assert "shape (1, 2, 7, 7), expected (1, 2, 5, 5)" in found.explanation
    assert "holds the padding: crop it" in found.hint


def test_the_engine_passes_its_own_diagnosis():
    assert diagnose(conv_backward_naive, "conv_backward_naive").ok
    assert diagnose(conv_backward_fast_as_naive, "conv_backward_naive").ok


def conv_backward_fast_as_naive(dout, cache):
    x, w, b, param = cache
    return conv_backward_fast(dout, conv_forward_fast(x, w, b, param)[1])


def test_the_explorer_shows_the_products_that_make_an_output_and_a_weight_gradient():
    from backprop_core.widgets import conv_explorer

    ex = conv_explorer()
    before = ex.png()
    state = ex.set(i=2, j=3, u=1, v=2).state
    assert np.isclose(state["products"].sum(), ex.out[0, 0, 2, 3], rtol=0, atol=1e-12)
    assert np.isclose(state["pairs"].sum(), ex.dw[0, 0, 1, 2], rtol=0, atol=1e-12)
    lines = ex.summary().splitlines()
    assert lines[0].startswith("out[2, 3] = sum of the 9 products") and "dw[1, 2]" in lines[1]
    assert "0 of the window's entries are padding" in lines[0] and ex.png() != before
    assert "5 of the window's entries are padding" in ex.set(i=0, j=0).summary()


def test_the_explorer_refuses_what_its_controls_cannot_show():
    from backprop_core.widgets import conv_explorer

    ex = conv_explorer()
    with pytest.raises(ValueError, match=r"control 'i' takes integers in \[0, 5\]; got 6"):
        ex.set(i=6)
    with pytest.raises(ValueError, match="unknown control"):
        ex.set(stride=2)
    with pytest.raises(ValueError, match="size must be an even number from 4 to 10; got 5"):
        conv_explorer(size=5)
    assert ex.values()["i"] == 0  # a refused value moved nothing
