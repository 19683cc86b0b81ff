"""What a learner relies on in batch norm, layer norm and max pooling: Jacobians and clear refusals.

The full Jacobians are for looking at, entry by entry, so each entry must be the documented one:
with respect to gamma, ``1{q = j} xhat[p, q]``; with respect to beta, ``1{q = j}``. They keep the
floating-point type of their inputs (float32 x and gamma give a float32 Jacobian, a mix gives
NumPy's promotion), and the size limit refuses only the Jacobian that was asked for: an 8000-sample
batch has a small Jacobian with respect to gamma even though its Jacobian with respect to x would
have 64 million entries. A refusal names the Jacobian that would be too large.

A wrong argument or a wrong cache entry is refused with a message that starts with its name and
says the shape it must have, so a learner reads what to fix, not a NumPy broadcasting error.
Max pooling's backward gives dx NumPy's promotion of dout and x, and its fast forward takes the
maximum of every window whether or not the pools tile x.
"""

import re

import numpy as np
import pytest

from backprop_core.layers import (
    batchnorm_jacobian,
    layernorm_backward,
    layernorm_forward,
    layernorm_jacobian,
    max_pool_backward_fast,
    max_pool_backward_naive,
    max_pool_forward_fast,
    max_pool_forward_naive,
    max_pool_jacobian,
)

EPS = 1e-5  # cs231n's default eps, for bn_param and ln_param alike
RUNNING = {"running_mean": np.array([0.5, -1.0, 2.0]), "running_var": np.array([0.25, 4.0, 1.0])}


def sample(N=4, D=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, D)) * [1.0, 3.0, 0.5][:D] + [0.0, 2.0, -1.0][:D]
    return x, rng.standard_normal(D) + 1.5


# Each normalisation: its Jacobian, the param dict it reads, and xhat written out in NumPy.
NORMS = {
    "batch norm, train": (
        batchnorm_jacobian,
        lambda: {"mode": "train"},
        lambda x: (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + EPS),
    ),
    "batch norm, test": (
        batchnorm_jacobian,
        lambda: {"mode": "test", **RUNNING},
        lambda x: (x - RUNNING["running_mean"]) / np.sqrt(RUNNING["running_var"] + EPS),
    ),
    "layer norm": (
        layernorm_jacobian,
        lambda: {},
        lambda x: (x - x.mean(axis=1, keepdims=True)) / np.sqrt(x.var(axis=1, keepdims=True) + EPS),
    ),
}


@pytest.mark.parametrize("norm", NORMS)
def test_the_jacobian_wrt_gamma_is_xhat_on_the_diagonal(norm):
    """d out[p, j] / d gamma[q] = xhat[p, j] if q == j, else 0: gamma scales its own column."""
    jacobian, param, xhat_of = NORMS[norm]
    x, gamma = sample()
    J = jacobian(x, gamma, param(), "gamma")
    reference = np.zeros((4, 3, 3))
    for j in range(3):
        reference[:, j, j] = xhat_of(x)[:, j]
    assert J.shape == (4, 3, 3)
    np.testing.assert_allclose(J, reference, rtol=1e-12, atol=1e-13)
    assert np.count_nonzero(J) == 12  # nothing off the diagonal


@pytest.mark.parametrize("norm", NORMS)
def test_the_jacobian_wrt_beta_is_one_on_the_diagonal(norm):
    """d out[p, j] / d beta[q] = 1 if q == j, else 0, for every sample p: beta shifts its column."""
    jacobian, param, _ = NORMS[norm]
    x, gamma = sample()
    J = jacobian(x, gamma, param(), "beta")
    np.testing.assert_array_equal(J, np.broadcast_to(np.eye(3), (4, 3, 3)))


@pytest.mark.parametrize("wrt", ["x", "gamma", "beta"])
@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize(
    "x_dtype, gamma_dtype, J_dtype",
    [
        (np.float32, np.float32, np.float32),
        (np.float64, np.float64, np.float64),
        (np.float32, np.float64, np.float64),
        (np.float64, np.float32, np.float64),
    ],
)
def test_the_normalisation_jacobians_keep_the_dtype_of_x_and_gamma(
    norm, wrt, x_dtype, gamma_dtype, J_dtype
):
    """float32 x and gamma give a float32 Jacobian; a mix gives NumPy's promotion, float64."""
    jacobian, param, _ = NORMS[norm]
    x, gamma = sample()
    J = jacobian(x.astype(x_dtype), gamma.astype(gamma_dtype), param(), wrt)
    assert J.dtype == J_dtype
    reference = jacobian(x, gamma, param(), wrt)
    np.testing.assert_allclose(J, reference, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_max_pool_jacobian_keeps_the_dtype_of_x(dtype):
    """A float32 x gives a float32 selection matrix: a 1 at each window's maximum."""
    x = np.random.default_rng(1).standard_normal((1, 2, 4, 4)).astype(dtype)
    J = max_pool_jacobian(x, {"pool_height": 2, "pool_width": 2, "stride": 2})
    assert J.dtype == dtype
    windows = x.reshape(1, 2, 2, 2, 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(1, 2, 2, 2, 4)
    chosen = (J * x[None, None, None, None]).sum(axis=(4, 5, 6, 7))  # the entry each row picks
    np.testing.assert_array_equal(chosen, windows.max(axis=-1))
    np.testing.assert_array_equal(J.sum(axis=(4, 5, 6, 7)), np.ones((1, 2, 2, 2)))


# -- the size limit: 50,000,000 entries, counted for the Jacobian asked for -----------------------

BIG_BATCH = np.linspace(-1.0, 1.0, 8000)[:, None]  # (8000, 1): 64,000,000 entries wrt x


@pytest.mark.parametrize("wrt", ["gamma", "beta"])
@pytest.mark.parametrize(
    "jacobian, param",
    [(batchnorm_jacobian, {"mode": "train"}), (layernorm_jacobian, {})],
    ids=["batch norm", "layer norm"],
)
def test_a_large_batch_still_has_its_small_gamma_and_beta_jacobians(jacobian, param, wrt):
    """(8000, 1, 1) is 8000 entries: given, although the Jacobian wrt x would be refused."""
    J = jacobian(BIG_BATCH, [2.0], dict(param), wrt)
    assert J.shape == (8000, 1, 1)


@pytest.mark.parametrize(
    "call, what",
    [
        (
            lambda: batchnorm_jacobian(BIG_BATCH, [2.0], {"mode": "train"}, "x"),
            "the Jacobian of out with respect to x",
        ),
        (
            lambda: layernorm_jacobian(BIG_BATCH, [2.0], {}, "x"),
            "the Jacobian of out with respect to x",
        ),
    ],
    ids=["batch norm", "layer norm"],
)
def test_a_jacobian_wrt_x_too_large_is_refused_by_name(call, what):
    """The message starts with which Jacobian it is, then its shape and its number of entries."""
    message = f"{what} would have shape (8000, 1, 8000, 1), 64,000,000 entries (more than"
    with pytest.raises(ValueError, match=f"^{re.escape(message)}"):
        call()


def test_max_pool_jacobian_too_large_is_refused_by_name():
    """1x1 pools at stride 1 over a 100x100 image: 10,000 outputs by 10,000 inputs, refused."""
    x = np.ones((1, 1, 100, 100))
    message = (
        "the Jacobian of max pooling would have shape (1, 1, 100, 100, 1, 1, 100, 100), "
        "100,000,000 entries (more than 50,000,000)"
    )
    with pytest.raises(ValueError, match=f"^{re.escape(message)}"):
        max_pool_jacobian(x, {"pool_height": 1, "pool_width": 1, "stride": 1})


# -- arguments the Jacobians refuse, by name ------------------------------------------------------

X43, GAMMA3 = sample()


@pytest.mark.parametrize(
    "jacobian, param",
    [(batchnorm_jacobian, {"mode": "train"}), (layernorm_jacobian, {})],
    ids=["batch norm", "layer norm"],
)
@pytest.mark.parametrize(
    "x, gamma, wrt, message",
    [
        (np.ones(6), GAMMA3, "x", "x must be 2-dimensional; got shape (6,)"),
        (np.ones((2, 3, 1)), GAMMA3, "x", "x must be 2-dimensional; got shape (2, 3, 1)"),
        (
            X43,
            np.ones(2),
            "x",
            "gamma must have shape (D,) = (3,) to match x of shape (4, 3); got (2,)",
        ),
        (
            X43,
            np.ones(1),
            "gamma",
            "gamma must have shape (D,) = (3,) to match x of shape (4, 3); got (1,)",
        ),
        (X43, GAMMA3, "y", "wrt must be one of 'x', 'gamma', 'beta'; got 'y'"),
        (X43, GAMMA3, "X", "wrt must be one of 'x', 'gamma', 'beta'; got 'X'"),
    ],
    ids=["x 1-D", "x 3-D", "gamma short", "gamma of 1", "wrt y", "wrt X"],
)
def test_the_normalisation_jacobians_name_the_wrong_argument(
    jacobian, param, x, gamma, wrt, message
):
    """The message starts with the argument's name and says what it must be; a gamma of one
    entry is not broadcast over the columns."""
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        jacobian(x, gamma, dict(param), wrt)


# -- layernorm_backward: a wrong cache is refused, naming the entry --------------------------------


def layernorm_cache():
    """The cache of a (2, 3) batch: xc and xhat (2, 3), std (2,), gamma (3,)."""
    x = np.array([[1.0, 2.0, 4.0], [0.0, -3.0, 5.0]])
    return layernorm_forward(x, np.ones(3), np.zeros(3), {})[1]


@pytest.mark.parametrize(
    "change, error, message",
    [
        (
            lambda c: (*c, None),
            TypeError,
            "cache must be the LayernormCache (xc, std, xhat, gamma) returned by the matching "
            "forward function; got tuple",
        ),
        (
            lambda c: c._replace(xhat=np.ones(6)),
            ValueError,
            "cache.xhat must be 2-dimensional; got shape (6,)",
        ),
        (
            lambda c: c._replace(xhat=np.ones((2, 3, 1))),
            ValueError,
            "cache.xhat must be 2-dimensional; got shape (2, 3, 1)",
        ),
        (
            lambda c: c._replace(xc=np.ones(6)),
            ValueError,
            "cache.xc must be 2-dimensional; got shape (6,)",
        ),
        (
            lambda c: c._replace(xc=np.ones((3, 2))),
            ValueError,
            "cache.xc must have shape (2, 3) to match cache.xhat of shape (2, 3); got (3, 2)",
        ),
        (
            lambda c: c._replace(std=np.ones(3)),
            ValueError,
            "cache.std must have shape (N,) = (2,) to match cache.xhat of shape (2, 3); got (3,)",
        ),
        (
            lambda c: c._replace(gamma=np.ones(2)),
            ValueError,
            "cache.gamma must have shape (D,) = (3,) to match cache.xhat of shape (2, 3); got (2,)",
        ),
    ],
    ids=["5 entries", "xhat 1-D", "xhat 3-D", "xc 1-D", "xc transposed", "std", "gamma"],
)
def test_layernorm_backward_names_the_wrong_cache_entry(change, error, message):
    """The message starts with the entry's name and gives the shape it must have."""
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        layernorm_backward(np.ones((2, 3)), change(layernorm_cache()))


# -- layernorm_forward: arguments it refuses, by name ---------------------------------------------


@pytest.mark.parametrize(
    "x, gamma, beta, ln_param, error, message",
    [
        (
            np.ones((2, 3, 1)),
            GAMMA3,
            GAMMA3,
            {},
            ValueError,
            "x must be 2-dimensional; got shape (2, 3, 1)",
        ),
        (
            X43,
            np.ones(1),
            GAMMA3,
            {},
            ValueError,
            "gamma must have shape (D,) = (3,) to match x of shape (4, 3); got (1,)",
        ),
        (
            X43,
            GAMMA3,
            np.ones(4),
            {},
            ValueError,
            "beta must have shape (D,) = (3,) to match x of shape (4, 3); got (4,)",
        ),
        (
            X43,
            GAMMA3,
            GAMMA3,
            [("eps", EPS)],
            TypeError,
            "ln_param must be a dict (keys: 'eps'); got list",
        ),
        (
            X43,
            GAMMA3,
            GAMMA3,
            {"mode": "train", "momentum": 0.9},
            ValueError,
            "ln_param has unknown key(s) ['mode', 'momentum']; the only key is 'eps'",
        ),
        (X43, GAMMA3, GAMMA3, {"eps": 0.0}, ValueError, "ln_param['eps'] must be > 0; got 0.0"),
        (
            X43,
            GAMMA3,
            GAMMA3,
            {"eps": "1e-5"},
            TypeError,
            "ln_param['eps'] must be a real number; got str '1e-5'",
        ),
    ],
    ids=["x 3-D", "gamma of 1", "beta long", "ln_param list", "bn keys", "eps 0", "eps str"],
)
def test_layernorm_forward_names_the_wrong_argument(x, gamma, beta, ln_param, error, message):
    """The message starts with the argument's name (ln_param's eps as ln_param['eps']) and says
    what it must be and what arrived; a gamma of one entry is not broadcast over the columns,
    and batch norm's keys are not taken silently."""
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        layernorm_forward(x, gamma, beta, ln_param)


# -- max pooling's backward refusals, its dtypes and the fast forward's windows -------------------

POOL22 = {"pool_height": 2, "pool_width": 2, "stride": 2}
POOL_BACKWARDS = [
    (max_pool_forward_naive, max_pool_backward_naive),
    (max_pool_forward_fast, max_pool_backward_fast),
]
POOL_IDS = ["naive", "fast"]


@pytest.mark.parametrize("pair", POOL_BACKWARDS, ids=POOL_IDS)
@pytest.mark.parametrize(
    "dout, message",
    [
        (np.ones((1, 2, 2)), "dout must be 4-dimensional; got shape (1, 2, 2)"),
        (
            np.ones((1, 2, 3, 2)),
            "dout must have shape (N, C, H', W') = (1, 2, 2, 2) to match the pooled output; "
            "got (1, 2, 3, 2)",
        ),
        (
            np.ones((2, 2, 2, 2)),
            "dout must have shape (N, C, H', W') = (1, 2, 2, 2) to match the pooled output; "
            "got (2, 2, 2, 2)",
        ),
    ],
    ids=["3-D", "rows", "batch"],
)
def test_max_pool_backward_says_what_shape_dout_must_have(pair, dout, message):
    """A dout of the wrong number of dimensions is refused as such, and one of the wrong shape
    with the pooled output's shape it must match, not with a NumPy indexing error."""
    forward, backward = pair
    _, cache = forward(np.arange(32.0).reshape(1, 2, 4, 4), POOL22)
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        backward(dout, cache)


@pytest.mark.parametrize("pair", POOL_BACKWARDS, ids=POOL_IDS)
@pytest.mark.parametrize(
    "cache, error, message",
    [
        (
            (np.ones((1, 4, 4)), POOL22),
            ValueError,
            "cache.x must be 4-dimensional; got shape (1, 4, 4)",
        ),
        (
            (np.ones((1, 2, 4, 4)), [2, 2, 2]),
            TypeError,
            "cache.pool_param must be a dict with 'pool_height', 'pool_width', 'stride'; got list",
        ),
        (
            (np.ones((1, 2, 4, 4)), {"pool_height": 2, "pool_width": 2}),
            ValueError,
            "cache.pool_param must hold exactly 'pool_height', 'pool_width', 'stride'; "
            "missing ['stride'], unknown []",
        ),
        (
            (np.ones((1, 2, 4, 4)), {"pool_height": 5, "pool_width": 2, "stride": 1}),
            ValueError,
            "cache.pool_param['pool_height'] must be at most x's H = 4; got 5",
        ),
    ],
    ids=["x 3-D", "pool_param list", "no stride", "pool too tall"],
)
def test_max_pool_backward_names_the_wrong_cache_entry(pair, cache, error, message):
    """A cache built by hand is checked as the forward checks its arguments, and the message
    names the entry as cache.x or cache.pool_param, so the learner looks at the cache."""
    _, backward = pair
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        backward(np.ones((1, 2, 2, 2)), cache)


@pytest.mark.parametrize("pair", POOL_BACKWARDS, ids=POOL_IDS)
@pytest.mark.parametrize(
    "x_dtype, dout_dtype",
    [(np.float32, np.float32), (np.float32, np.float64), (np.float64, np.float32)],
)
def test_max_pool_backward_gives_dx_the_promoted_dtype_of_dout_and_x(pair, x_dtype, dout_dtype):
    """dx has NumPy's promotion of dout and x: float32 throughout stays float32, and a float64
    dout or x gives a float64 dx holding dout's numbers at each window's maximum."""
    forward, backward = pair
    x = np.arange(16.0).reshape(1, 1, 4, 4).astype(x_dtype)
    _, cache = forward(x, POOL22)
    dout = (np.array([[[[0.1, 0.2], [0.3, 0.4]]]])).astype(dout_dtype)
    dx = backward(dout, cache)
    assert dx.dtype == np.result_type(x_dtype, dout_dtype)
    assert dx[0, 0, 1, 1] == dout[0, 0, 0, 0] and dx[0, 0, 3, 3] == dout[0, 0, 1, 1]


def pooled_by_loops(x, ph, pw, s):
    """Max pooling written out window by window, as the definition reads."""
    N, C, H, W = x.shape
    Ho, Wo = 1 + (H - ph) // s, 1 + (W - pw) // s
    out = np.zeros((N, C, Ho, Wo), dtype=x.dtype)
    for n, c, i, j in np.ndindex(N, C, Ho, Wo):
        out[n, c, i, j] = max(x[n, c, s * i + u, s * j + v] for u in range(ph) for v in range(pw))
    return out


@pytest.mark.parametrize(
    "shape, ph, pw, s",
    [
        ((2, 2, 4, 4), 2, 2, 2),  # the pools tile x
        ((1, 2, 6, 6), 3, 3, 3),
        ((2, 1, 5, 4), 2, 2, 2),  # a row left over: no tiling
        ((2, 1, 4, 5), 2, 2, 2),  # a column left over
        ((1, 2, 7, 8), 3, 3, 3),
        ((1, 2, 5, 5), 3, 3, 2),  # overlapping windows
        ((1, 1, 5, 6), 2, 3, 1),
    ],
)
def test_max_pool_forward_fast_takes_each_windows_maximum(shape, ph, pw, s):
    """max_pool_forward_fast gives the maximum of every window, whether or not the pools tile x:
    rows or columns past the last whole window are dropped, overlapping windows share entries;
    the out keeps x's dtype."""
    x = np.random.default_rng(7).standard_normal(shape).astype(np.float32)
    out, _ = max_pool_forward_fast(x, {"pool_height": ph, "pool_width": pw, "stride": s})
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, pooled_by_loops(x, ph, pw, s))


# -- max pooling: what its checks say -------------------------------------------------------------

POOL_FORWARDS = [max_pool_forward_naive, max_pool_forward_fast]


@pytest.mark.parametrize("forward", POOL_FORWARDS)
def test_max_pool_names_x_when_it_is_not_a_batch_of_images(forward):
    param = {"pool_height": 2, "pool_width": 2, "stride": 2}
    with pytest.raises(ValueError, match=r"^x must be 4-dimensional; got shape \(4, 4\)$"):
        forward(np.zeros((4, 4)), param)


@pytest.mark.parametrize("forward", POOL_FORWARDS)
def test_max_pool_lists_unknown_settings_of_any_type(forward):
    """Unknown keys are listed in the order of their text, whatever their types (an int and a
    str cannot be sorted as they are)."""
    param = {"pool_height": 2, "pool_width": 2, "stride": 2, 1: 0, "extra": 0}
    message = (
        r"^pool_param must hold exactly 'pool_height', 'pool_width', 'stride'; "
        r"missing \[\], unknown \[1, 'extra'\]$"
    )
    with pytest.raises(ValueError, match=message):
        forward(np.zeros((1, 1, 4, 4)), param)


@pytest.mark.parametrize("forward", POOL_FORWARDS)
@pytest.mark.parametrize(
    ("height", "width", "message"),
    [
        (3, 1, r"^pool_param\['pool_height'\] must be at most x's H = 2; got 3$"),
        (1, 6, r"^pool_param\['pool_width'\] must be at most x's W = 5; got 6$"),
    ],
)
def test_a_pool_larger_than_the_image_names_the_axis_it_does_not_fit(
    forward, height, width, message
):
    """x of 2 rows and 5 columns: a pool 3 high does not fit its rows though it would fit its
    columns, and a pool 6 wide does not fit its columns."""
    param = {"pool_height": height, "pool_width": width, "stride": 1}
    with pytest.raises(ValueError, match=message):
        forward(np.zeros((1, 1, 2, 5)), param)
