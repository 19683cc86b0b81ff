"""Max pooling: naive and fast agree exactly, ties included; the first-maximum rule; central
differences away from ties; the Jacobian; hostile arguments, dtypes; its bugs diagnosed."""

import copy

import numpy as np
import pytest

from backprop_core import numerical_gradient_array, rel_error, vjp
from backprop_core.debugging import diagnose
from backprop_core.debugging.pool import BUGS
from backprop_core.layers.pool import (
    MaxPoolCache,
    max_pool_backward_fast,
    max_pool_backward_naive,
    max_pool_forward_fast,
    max_pool_forward_naive,
    max_pool_jacobian,
)


def param(ph, pw, stride):
    return {"pool_height": ph, "pool_width": pw, "stride": stride}


CONFIGS = [  # x shape, pool: tiling (the reshape path), overlapping, non-square, leftover rows
    ((2, 3, 4, 4), param(2, 2, 2)),
    ((1, 2, 6, 4), param(3, 2, 1)),
    ((2, 1, 5, 5), param(3, 3, 2)),
    ((1, 2, 5, 7), param(2, 2, 2)),
    ((2, 2, 6, 6), param(3, 3, 3)),
    ((1, 1, 4, 6), param(2, 3, 3)),
]
IDS = [f"x{x}-{p['pool_height']}x{p['pool_width']}-s{p['stride']}" for x, p in CONFIGS]


@pytest.mark.parametrize("shape, pool", CONFIGS, ids=IDS)
@pytest.mark.parametrize("ties", [False, True], ids=["random", "ties"])
def test_fast_equals_naive_exactly_ties_included(rng, shape, pool, ties):
    x = rng.integers(0, 3, shape).astype(float) if ties else rng.standard_normal(shape)
    out, cache = max_pool_forward_naive(x, pool)
    out_fast, cache_fast = max_pool_forward_fast(x, pool)
    dout = rng.standard_normal(out.shape)
    assert np.array_equal(out_fast, out), "forward, bit for bit"
    dx = max_pool_backward_naive(dout, cache)
    assert np.array_equal(max_pool_backward_fast(dout, cache_fast), dx), "backward, bit for bit"
    assert np.allclose(vjp(max_pool_jacobian(x, pool), dout), dx, rtol=0, atol=1e-14)


def test_a_tie_goes_to_the_first_maximum_in_row_major_order():
    x = np.array([[[[0.0, 2.0, 1.0, 1.0], [2.0, 2.0, 1.0, 1.0]]]])  # windows: 3 tied, 4 tied
    dout = np.array([[[[5.0, 7.0]]]])
    for forward, backward in (
        (max_pool_forward_naive, max_pool_backward_naive),
        (max_pool_forward_fast, max_pool_backward_fast),
    ):
        dx = backward(dout, forward(x, param(2, 2, 2))[1])
        assert dx.tolist() == [[[[0.0, 5.0, 7.0, 0.0], [0.0, 0.0, 0.0, 0.0]]]]


def test_overlapping_windows_add_their_gradients():
    x = np.zeros((1, 1, 3, 3))
    x[0, 0, 1, 1] = 9.0  # the maximum of all four 2x2 windows of stride 1
    dx = max_pool_backward_fast(np.ones((1, 1, 2, 2)), max_pool_forward_fast(x, param(2, 2, 1))[1])
    assert dx[0, 0, 1, 1] == 4.0 and dx.sum() == 4.0


@pytest.mark.parametrize("shape, pool", CONFIGS[:3], ids=IDS[:3])
def test_backward_matches_central_differences_away_from_ties(rng, shape, pool):
    x = rng.standard_normal(shape)
    out, cache = max_pool_forward_naive(x, pool)
    dout = rng.standard_normal(out.shape)
    numeric = numerical_gradient_array(lambda v: max_pool_forward_naive(v, pool)[0], x, dout)
    assert rel_error(max_pool_backward_naive(dout, cache), numeric) < 1e-7


def test_rows_and_columns_past_the_last_window_get_no_gradient(rng):
    x = rng.standard_normal((1, 1, 5, 5))
    dx = max_pool_backward_naive(
        np.ones((1, 1, 2, 2)), max_pool_forward_naive(x, param(2, 2, 2))[1]
    )
    assert not dx[:, :, 4, :].any() and not dx[:, :, :, 4].any() and dx.sum() == 4.0


@pytest.mark.parametrize(
    "forward, backward",
    [
        (max_pool_forward_naive, max_pool_backward_naive),
        (max_pool_forward_fast, max_pool_backward_fast),
    ],
)
def test_float32_and_large_inputs(rng, forward, backward):
    x = rng.standard_normal((2, 2, 4, 4)).astype(np.float32)
    out, cache = forward(x, param(2, 2, 2))
    assert out.dtype == np.float32 and backward(np.ones_like(out), cache).dtype == np.float32
    big = rng.standard_normal((2, 2, 4, 4)) * 1e300
    out, cache = forward(big, param(2, 2, 2))
    dx = backward(out, cache)
    assert np.isfinite(out).all() and np.isfinite(dx).all()


def test_nothing_is_mutated(rng):
    x, pool = rng.standard_normal((2, 2, 4, 4)), param(2, 2, 2)
    x_before, pool_before = x.copy(), dict(pool)
    for forward, backward in (
        (max_pool_forward_naive, max_pool_backward_naive),
        (max_pool_forward_fast, max_pool_backward_fast),
    ):
        out, cache = forward(x, pool)
        dout = rng.standard_normal(out.shape)
        dout_before, cache_before = dout.copy(), copy.deepcopy(cache)
        backward(dout, cache)
        assert np.array_equal(x, x_before) and pool == pool_before
        assert np.array_equal(dout, dout_before) and np.array_equal(cache.x, cache_before.x)
        assert isinstance(cache, MaxPoolCache) and cache.pool_param is not pool


X = np.ones((2, 3, 4, 4))
P2 = param(2, 2, 2)
_, CACHE = max_pool_forward_naive(X, P2)
HOSTILE = [  # label, call, error type, text the message must contain
    (
        "x 2-D",
        lambda: max_pool_forward_naive(np.ones((4, 4)), P2),
        ValueError,
        "x must be 4-dimensional",
    ),
    (
        "param a tuple",
        lambda: max_pool_forward_fast(X, (2, 2, 2)),
        TypeError,
        "pool_param must be a dict",
    ),
    (
        "stride missing",
        lambda: max_pool_forward_naive(X, {"pool_height": 2, "pool_width": 2}),
        ValueError,
        "missing ['stride']",
    ),
    (
        "unknown key",
        lambda: max_pool_forward_naive(X, {**P2, "pad": 1}),
        ValueError,
        "unknown ['pad']",
    ),
    (
        "height 0",
        lambda: max_pool_forward_naive(X, param(0, 2, 2)),
        ValueError,
        "pool_param['pool_height'] must be >= 1",
    ),
    (
        "width 2.0",
        lambda: max_pool_forward_fast(X, param(2, 2.0, 2)),
        TypeError,
        "pool_param['pool_width'] must be an integer",
    ),
    (
        "pool taller than x",
        lambda: max_pool_forward_fast(X, param(5, 2, 1)),
        ValueError,
        "pool_param['pool_height'] must be at most x's H = 4",
    ),
    (
        "inf in x",
        lambda: max_pool_forward_naive(np.full((1, 1, 2, 2), np.inf), P2),
        ValueError,
        "x must be finite",
    ),
    (
        "cache a dict",
        lambda: max_pool_backward_naive(np.ones((2, 3, 2, 2)), {"x": X}),
        TypeError,
        "cache must be the MaxPoolCache",
    ),
    (
        "dout shape",
        lambda: max_pool_backward_fast(np.ones((2, 3, 3, 3)), CACHE),
        ValueError,
        "dout must have shape (N, C, H', W') = (2, 3, 2, 2)",
    ),
    (
        "complex dout",
        lambda: max_pool_backward_naive(np.ones((2, 3, 2, 2)) * 1j, CACHE),
        TypeError,
        "dout must be real-valued",
    ),
    (
        "Jacobian too big",
        lambda: max_pool_jacobian(np.ones((16, 16, 32, 32)), P2),
        ValueError,
        "entries (more than 50,000,000)",
    ),
]


@pytest.mark.parametrize("call, error, text", [c[1:] for c in HOSTILE], ids=[c[0] for c in HOSTILE])
def test_hostile_arguments_are_refused_with_a_clear_message(call, error, text):
    with pytest.raises(error) as caught:
        call()
    assert text in str(caught.value), str(caught.value)


@pytest.mark.parametrize("bug", BUGS, ids=[b.name for b in BUGS])
def test_every_bug_is_diagnosed_with_its_cause(bug):
    found = diagnose(bug.fn, bug.stage)
    assert not found.ok and found.cause == bug.cause, str(found)


def test_the_engine_and_the_fast_version_pass_the_diagnosis():
    def fast_as_naive(dout, cache):
        return max_pool_backward_fast(dout, cache)

    assert diagnose(max_pool_backward_naive, "max_pool_backward_naive").ok
    assert diagnose(fast_as_naive, "max_pool_backward_naive").ok


def test_the_explorer_routes_one_gradient_per_window_and_shows_the_tie_rule():
    from backprop_core.widgets import conv_explorer

    ex = conv_explorer()
    windows = ex.pool_dout.size
    first = ex.set(ties="on", rule="first maximum").state["dx_pool"]
    assert np.count_nonzero(first) == windows and np.isclose(first.sum(), ex.pool_dout.sum())
    image = ex.png()
    every = ex.set(rule="every tied maximum").state["dx_pool"]
    assert np.count_nonzero(every) > windows and ex.png() != image, "ties send more gradient"
    assert f"{ex.state['tied_windows']} of {windows} windows hold a tie" in ex.summary()
    untied_first = ex.set(ties="off", rule="first maximum").state["dx_pool"]
    untied_every = ex.set(rule="every tied maximum").state["dx_pool"]
    assert np.array_equal(untied_first, untied_every), "without ties the two rules agree"
    with pytest.raises(ValueError, match="control 'ties' must be one of"):
        ex.set(ties=True)
