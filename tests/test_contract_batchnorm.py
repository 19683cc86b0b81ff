"""What a learner relies on in batch norm's checked functions: refusals that name what to fix,
and running averages that keep their arrays and their dtype.

A wrong cache entry or a wrong ``bn_param`` is refused with a message that starts with its name
(``cache.std``, ``bn_param['running_var']``), says what it must be and what arrived; a shape
message says what the shape must match, and a refused value is shown with its index, wherever
it lies in the array.

``bn_param`` holds the running averages. A float32 running mean and variance stay float32 after
a training step on a float64 batch, and a test-mode pass keeps the very arrays ``bn_param``
held, so a change made to them in place is what the next test-mode pass uses. ``momentum`` may
be anything in [0, 1], ends included, and an infinite running variance (what a batch whose
variance overflows leaves behind) is accepted, while NaN, an infinite running mean and a
negative running variance are refused.
"""

import re
import warnings

import numpy as np
import pytest

from backprop_core.layers import (
    batchnorm_backward,
    batchnorm_backward_alt,
    batchnorm_forward,
    batchnorm_jacobian,
    layernorm_backward,
    layernorm_forward,
    layernorm_jacobian,
)
from backprop_core.layers.batchnorm import forward as batchnorm_kernel

X = np.array([[1.0, -2.0, 0.5], [3.0, 4.0, -1.5]])  # N = 2 samples of D = 3 features
GAMMA = np.array([1.0, 2.0, 0.5])
BETA = np.array([0.0, -1.0, 3.0])
KEYS_TEXT = "['mode', 'eps', 'momentum', 'running_mean', 'running_var']"


def exactly(message):
    """A pattern that matches ``message`` and nothing longer or shorter."""
    return f"^{re.escape(message)}$"


def train_cache(D=3):
    """The train-mode cache of a (2, D) batch: xc and xhat (2, D), std and gamma (D,)."""
    x = np.arange(2.0 * D).reshape(2, D) ** 2
    return batchnorm_forward(x, np.ones(D), np.zeros(D), {"mode": "train"})[1]


# -- the backward passes: a wrong cache entry or dout, named ---------------------------------------


@pytest.mark.parametrize("backward", [batchnorm_backward, batchnorm_backward_alt])
@pytest.mark.parametrize(
    "change, message",
    [
        (lambda c: c._replace(xhat=np.ones(6)), "cache.xhat must be 2-dimensional; got shape (6,)"),
        (lambda c: c._replace(xc=np.ones(6)), "cache.xc must be 2-dimensional; got shape (6,)"),
        (
            lambda c: c._replace(xc=np.ones((3, 2))),
            "cache.xc must have shape (2, 3) to match cache.xhat of shape (2, 3); got (3, 2)",
        ),
        (
            lambda c: c._replace(std=np.ones((1, 3))),
            "cache.std must be 1-dimensional; got shape (1, 3)",
        ),
        (
            lambda c: c._replace(std=np.ones(2)),
            "cache.std must have shape (3,) to match cache.xhat of shape (2, 3); got (2,)",
        ),
        (
            lambda c: c._replace(gamma=np.ones((1, 3))),
            "cache.gamma must be 1-dimensional; got shape (1, 3)",
        ),
        (
            lambda c: c._replace(gamma=np.ones(2)),
            "cache.gamma must have shape (D,) = (3,) to match cache.xhat of shape (2, 3); got (2,)",
        ),
    ],
    ids=["xhat 1-D", "xc 1-D", "xc transposed", "std 2-D", "std of N", "gamma 2-D", "gamma short"],
)
def test_batchnorm_backward_names_the_wrong_cache_entry(backward, change, message):
    """The message starts with the entry's name (cache.xhat, cache.xc, cache.std, cache.gamma),
    says its number of dimensions or the shape it must have to match cache.xhat, and what
    arrived; an xhat of the wrong dimension is refused as such, not by an IndexError."""
    with pytest.raises(ValueError, match=exactly(message)):
        backward(np.ones((2, 3)), change(train_cache()))


@pytest.mark.parametrize("backward", [batchnorm_backward, batchnorm_backward_alt])
@pytest.mark.parametrize(
    "dout, message",
    [
        (np.ones(6), "dout must be 2-dimensional; got shape (6,)"),
        (
            np.ones((3, 2)),
            "dout must have shape (N, D) = (2, 3) to match the output of the forward pass; "
            "got (3, 2)",
        ),
    ],
    ids=["1-D", "transposed"],
)
def test_batchnorm_backward_says_what_dout_must_be(backward, dout, message):
    """dout is named, with its dimensions or the (N, D) shape of the forward pass's output."""
    with pytest.raises(ValueError, match=exactly(message)):
        backward(dout, train_cache())


@pytest.mark.parametrize("bad", [0.0, -6.0])
@pytest.mark.parametrize(
    "backward",
    [batchnorm_backward, batchnorm_backward_alt, layernorm_backward],
    ids=lambda backward: backward.__name__,
)
def test_a_cache_std_that_is_not_positive_is_shown_with_its_index(backward, bad):
    """An std (one per feature in batch norm, per sample in layer norm) with a zero or a
    negative number, which no forward pass gives, in its eighth and last entry is refused; the
    message shows that entry and its index, wherever it lies."""
    if backward is layernorm_backward:
        dout = np.ones((8, 3))
        _, cache = layernorm_forward(np.arange(24.0).reshape(8, 3), np.ones(3), np.zeros(3), {})
    else:
        dout, cache = np.ones((2, 8)), train_cache(D=8)
    std = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, bad])
    message = f"cache.std must be > 0; got {bad} at index (7,)"
    with pytest.raises(ValueError, match=exactly(message)):
        backward(dout, cache._replace(std=std))


# -- the forward pass: a wrong argument or bn_param, named ----------------------------------------


@pytest.mark.parametrize(
    "gamma, beta, bn_param, error, message",
    [
        (
            np.ones(2),
            BETA,
            {"mode": "train"},
            ValueError,
            "gamma must have shape (D,) = (3,) to match x of shape (2, 3); got (2,)",
        ),
        (
            GAMMA,
            np.ones(4),
            {"mode": "train"},
            ValueError,
            "beta must have shape (D,) = (3,) to match x of shape (2, 3); got (4,)",
        ),
        (
            np.ones((1, 3)),
            BETA,
            {"mode": "train"},
            ValueError,
            "gamma must be 1-dimensional; got shape (1, 3)",
        ),
        (
            GAMMA,
            np.ones((3, 1)),
            {"mode": "train"},
            ValueError,
            "beta must be 1-dimensional; got shape (3, 1)",
        ),
        (
            GAMMA,
            BETA,
            [("mode", "train")],
            TypeError,
            "bn_param must be a dict with 'mode' ('train' or 'test'); got list",
        ),
        (
            GAMMA,
            BETA,
            {"mode": "train", "momentun": 0.9},
            ValueError,
            f"bn_param has unknown key(s) ['momentun']; the keys are {KEYS_TEXT}",
        ),
        (
            GAMMA,
            BETA,
            {"eps": 1e-5},
            ValueError,
            "bn_param must hold 'mode', 'train' or 'test'; got no 'mode' key",
        ),
        (
            GAMMA,
            BETA,
            {"mode": "train", "momentum": -0.1},
            ValueError,
            "bn_param['momentum'] must be >= 0.0; got -0.1",
        ),
        (
            GAMMA,
            BETA,
            {"mode": "train", "momentum": 1.5},
            ValueError,
            "bn_param['momentum'] must be in [0, 1]; got 1.5",
        ),
        (
            GAMMA,
            BETA,
            {"mode": "test", "running_mean": np.zeros((1, 3))},
            ValueError,
            "bn_param['running_mean'] must be 1-dimensional; got shape (1, 3)",
        ),
        (
            GAMMA,
            BETA,
            {"mode": "test", "running_var": np.ones((3, 1))},
            ValueError,
            "bn_param['running_var'] must be 1-dimensional; got shape (3, 1)",
        ),
        (
            GAMMA,
            BETA,
            {"mode": "test", "running_mean": np.array([np.inf, 0.0, 0.0])},
            ValueError,
            "bn_param['running_mean'] must be finite; got inf at index (0,)",
        ),
        (
            GAMMA,
            BETA,
            {"mode": "test", "running_var": np.array([1.0, np.nan, 1.0])},
            ValueError,
            "bn_param['running_var'] must be finite; got nan at index (1,)",
        ),
        (
            GAMMA,
            BETA,
            {"mode": "test", "running_var": np.array([1.0, -1.0, 1.0])},
            ValueError,
            "bn_param['running_var'] must be >= 0; got -1.0 at index (1,)",
        ),
    ],
    ids=[
        "gamma short",
        "beta long",
        "gamma 2-D",
        "beta 2-D",
        "bn_param list",
        "misspelt key",
        "no mode",
        "momentum < 0",
        "momentum > 1",
        "running_mean 2-D",
        "running_var 2-D",
        "running_mean inf",
        "running_var nan",
        "running_var < 0",
    ],
)
def test_batchnorm_forward_names_the_wrong_argument(gamma, beta, bn_param, error, message):
    """The message starts with the argument's name (a bn_param entry as bn_param['key']), says
    what it must be and what arrived: gamma and beta are vectors (a row or a column of D numbers
    is refused as having two axes, not as a wrong shape) of x's D entries, an unknown key by
    its own name with the list of keys, momentum's range, the running arrays' dimensions."""
    with pytest.raises(error, match=exactly(message)):
        batchnorm_forward(X, gamma, beta, bn_param)


@pytest.mark.parametrize(
    "key, value, message",
    [
        ("running_mean", -np.inf, "bn_param['running_mean'] must be finite; got -inf"),
        ("running_var", np.nan, "bn_param['running_var'] must be finite; got nan"),
        ("running_var", -2.0, "bn_param['running_var'] must be >= 0; got -2.0"),
    ],
    ids=["mean inf", "var nan", "var < 0"],
)
def test_a_refused_running_entry_is_shown_wherever_it_lies(key, value, message):
    """The bad entry of a running array of eight is the last: the message shows it and its
    index, not a list of the first few entries that would leave it out."""
    running = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, value])
    with pytest.raises(ValueError, match=exactly(f"{message} at index (7,)")):
        batchnorm_forward(np.ones((2, 8)), np.ones(8), np.zeros(8), {"mode": "test", key: running})


# -- what bn_param holds after a pass --------------------------------------------------------------


@pytest.mark.parametrize("momentum", [0.0, 1.0])
def test_momentum_may_be_either_end_of_0_to_1(momentum):
    """momentum 1 keeps the running averages as they were, momentum 0 replaces them by the
    batch's mean and biased variance; both are accepted."""
    mean, var = np.array([0.5, -1.0, 2.0]), np.array([0.25, 4.0, 1.0])
    bn_param = {"mode": "train", "momentum": momentum, "running_mean": mean, "running_var": var}
    batchnorm_forward(X, GAMMA, BETA, bn_param)
    np.testing.assert_allclose(
        bn_param["running_mean"], momentum * mean + (1 - momentum) * X.mean(axis=0), rtol=1e-12
    )
    np.testing.assert_allclose(
        bn_param["running_var"], momentum * var + (1 - momentum) * X.var(axis=0), rtol=1e-12
    )


def test_an_infinite_running_variance_is_accepted():
    """A running variance of infinity (left by a batch whose variance overflowed) is used: in
    test mode its column's xhat is 0, so the output is beta; a training step keeps it infinite."""
    var = np.array([np.inf, 1.0, 1.0])
    out, _ = batchnorm_forward(X, GAMMA, BETA, {"mode": "test", "running_var": var})
    np.testing.assert_array_equal(out[:, 0], [BETA[0], BETA[0]])
    bn_param = {"mode": "train", "running_var": var}
    batchnorm_forward(X, GAMMA, BETA, bn_param)
    assert bn_param["running_var"][0] == np.inf and np.isfinite(bn_param["running_var"][1:]).all()


def test_float32_running_averages_stay_float32_after_a_float64_batch():
    """The running arrays keep their dtype: a float32 running mean and variance are float32
    after a training step on a float64 batch, with the documented values to float32 precision."""
    mean, var = np.array([0.5, -1.0, 2.0], np.float32), np.array([0.25, 4.0, 1.0], np.float32)
    bn_param = {"mode": "train", "running_mean": mean, "running_var": var}
    batchnorm_forward(X, GAMMA, BETA, bn_param)
    assert bn_param["running_mean"].dtype == np.float32
    assert bn_param["running_var"].dtype == np.float32
    np.testing.assert_allclose(bn_param["running_mean"], 0.9 * mean + 0.1 * X.mean(axis=0), 1e-6)
    np.testing.assert_allclose(bn_param["running_var"], 0.9 * var + 0.1 * X.var(axis=0), 1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_test_mode_keeps_the_arrays_bn_param_holds(dtype):
    """After a test-mode pass bn_param holds the same running arrays, not copies: a change made
    to them in place afterwards is what the next test-mode pass normalises with."""
    mean, var = np.array([0.5, -1.0, 2.0], dtype), np.array([0.25, 4.0, 1.0], dtype)
    bn_param = {"mode": "test", "running_mean": mean, "running_var": var}
    batchnorm_forward(X, GAMMA, BETA, bn_param)
    assert bn_param["running_mean"] is mean and bn_param["running_var"] is var
    mean += 1.0
    var *= 4.0
    out, _ = batchnorm_forward(X, GAMMA, BETA, bn_param)
    expected = GAMMA * (X - mean.astype(float)) / np.sqrt(var.astype(float) + 1e-5) + BETA
    np.testing.assert_allclose(out, expected, rtol=1e-6)


def test_the_first_negative_running_variance_is_shown_not_a_zero_before_it():
    """A running variance may be 0 (a constant feature); the message shows the first entry
    below 0, after the zeros and the numbers in [0, 1) that come before it."""
    running_var = np.array([0.0, 0.5, -1.0])
    message = "bn_param['running_var'] must be >= 0; got -1.0 at index (2,)"
    with pytest.raises(ValueError, match=exactly(message)):
        batchnorm_forward(X, GAMMA, BETA, {"mode": "test", "running_var": running_var})


# -- the statistics: per feature, whatever the other features hold --------------------------------


def textbook(x, dout, axis):
    """Normalisation and its gradient from the formulas, for arrays small enough not to overflow."""
    mean, var = x.mean(axis=axis, keepdims=True), x.var(axis=axis, keepdims=True)
    std = np.sqrt(var + 1e-5)
    xhat = (x - mean) / std
    dx = (dout - dout.mean(axis=axis, keepdims=True)) / std
    dx -= xhat * (dout * xhat).mean(axis=axis, keepdims=True) / std
    return xhat, dx


@pytest.mark.parametrize("normalise", ["batchnorm", "layernorm"])
def test_a_tiny_feature_beside_a_huge_one_is_normalised_as_if_alone(normalise):
    """Each feature (batch norm) or sample (layer norm) is scaled by its own largest magnitude.
    Beside entries of 1e300, entries of 1e-300 have a variance far below eps: their std is
    sqrt(eps), their xhat about 3e-298, and dx the textbook (dout - mean(dout)) / sqrt(eps),
    with no warning on the way (scaling them up to 1 once made eps / scale**2 overflow)."""
    x = np.array([[1e-300, 1e300], [-1e-300, -1e300], [0.0, 0.0]])
    dout = np.array([[1.0, 0.0], [0.0, 2.0], [0.5, 1.0]])
    ones, zeros = np.ones(2), np.zeros(2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        if normalise == "batchnorm":
            _, cache = batchnorm_forward(x, ones, zeros, {"mode": "train"})
            dx = batchnorm_backward(dout, cache)[0][:, 0]
            xhat, expected = textbook(x[:, :1], dout[:, :1], axis=0)
        else:
            _, cache = layernorm_forward(x.T, np.ones(3), np.zeros(3), {})
            dx = layernorm_backward(dout.T, cache)[0][0]
            xhat, expected = textbook(x.T[:1], dout.T[:1], axis=1)
    tiny = cache.xhat[:, 0] if normalise == "batchnorm" else cache.xhat[0]
    np.testing.assert_allclose(tiny, xhat.ravel(), rtol=1e-12)
    np.testing.assert_allclose(dx, expected.ravel(), rtol=1e-12)


def test_one_feature_keeps_running_averages_of_shape_1():
    """With D = 1 the running mean and variance are still arrays of shape (1,), not scalars,
    and layer norm's cache keeps one standard deviation per sample for a single sample."""
    bn_param = {"mode": "train"}
    batchnorm_forward(np.array([[1.0], [3.0]]), [1.0], [0.0], bn_param)
    assert bn_param["running_mean"].shape == bn_param["running_var"].shape == (1,)
    _, cache = layernorm_forward(np.array([[1.0, 3.0]]), [1.0, 1.0], [0.0, 0.0], {})
    assert cache.std.shape == (1,)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("wrt", ["x", "gamma", "beta"])
def test_the_normalisation_jacobians_keep_the_dtype_of_x(dtype, wrt):
    """Batch norm's and layer norm's Jacobians, in train and test mode, are of x's dtype."""
    x = np.array([[1.0, -2.0, 0.5], [3.0, 4.0, -1.5]], dtype=dtype)
    gamma = np.array([1.0, 2.0, 0.5], dtype=dtype)
    for mode in ("train", "test"):
        assert batchnorm_jacobian(x, gamma, {"mode": mode}, wrt).dtype == dtype
    assert layernorm_jacobian(x, gamma, {}, wrt).dtype == dtype


def blocks_in(dtype, scale, xhat_rows, std=None):
    """``scale * (I - (1 + v v^T) / n)`` for each row v of ``xhat_rows``, divided by ``std``
    when given, every step in ``dtype``: the (n, n) blocks of the docstrings' formula."""
    scale, xhat_rows = scale.astype(dtype), xhat_rows.astype(dtype)
    n = xhat_rows.shape[1]
    coupling = (dtype(1) + xhat_rows[:, :, None] * xhat_rows[:, None, :]) / dtype(n)
    blocks = scale * (np.eye(n, dtype=dtype) - coupling)
    return blocks if std is None else blocks / std.astype(dtype)[:, None, None]


@pytest.mark.parametrize("normalise", ["batchnorm", "layernorm"])
def test_a_float32_normalisation_jacobian_is_computed_in_float32(normalise):
    """float32 x and gamma give a Jacobian computed in float32 arithmetic, as the float32
    forward and backward passes are: each block is the formula evaluated in float32 from the
    float32 cache, not evaluated in float64 and rounded (which differs in the last bit of a few
    entries of this batch, as the second assertion shows)."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((5, 4)).astype(np.float32)
    gamma = (rng.standard_normal(4) + 1.5).astype(np.float32)
    zeros, cols, rows = np.zeros(4, np.float32), np.arange(4), np.arange(5)
    if normalise == "batchnorm":
        _, cache = batchnorm_forward(x, gamma, zeros, {"mode": "train"})
        J = batchnorm_jacobian(x, gamma, {"mode": "train"})[:, cols, :, cols]  # (D, N, N)
        args = ((gamma / cache.std)[:, None, None], cache.xhat.T)  # one block per column
    else:
        _, cache = layernorm_forward(x, gamma, zeros, {})
        J = layernorm_jacobian(x, gamma, {})[rows, :, rows, :]  # (N, D, D)
        args = (gamma[None, :, None], cache.xhat, cache.std)  # one block per sample
    assert J.dtype == np.float32
    np.testing.assert_array_equal(J, blocks_in(np.float32, *args))
    assert (J != blocks_in(np.float64, *args).astype(np.float32)).any()


HUGE = np.array([[1e300, 1.0], [-1e300, 2.0]])  # the first feature's variance overflows to inf


@pytest.mark.parametrize(
    ("momentum", "x", "running_var", "expected"),
    [
        (
            1.0,
            np.array([[1.0, -2.0], [3.0, 4.0]]),
            np.array([np.inf, 1.0]),
            np.array([np.inf, 1.0]),
        ),
        (1.0, HUGE, np.array([2.0, 3.0]), np.array([2.0, 3.0])),
        (0.0, np.array([[1.0, -2.0], [3.0, 4.0]]), np.array([np.inf, 1.0]), np.array([1.0, 9.0])),
    ],
    ids=["momentum 1, running inf", "momentum 1, batch inf", "momentum 0, running inf"],
)
def test_a_weight_of_0_drops_an_infinite_variance_instead_of_making_it_nan(
    momentum, x, running_var, expected
):
    """A variance may be infinite (a batch's overflowed, now or before). Momentum 1 keeps the
    running statistics as they are and momentum 0 replaces them with the batch's: no NaN from
    0 * inf, and no warning."""
    bn = {"mode": "train", "momentum": momentum, "running_var": running_var.copy()}
    batchnorm_forward(x, np.ones(2), np.zeros(2), bn)
    np.testing.assert_array_equal(bn["running_var"], expected)
    np.testing.assert_array_equal(bn["running_mean"], np.zeros(2) if momentum else x.mean(axis=0))


@pytest.mark.parametrize("momentum", [0.0, 0.5, 1.0])
@pytest.mark.parametrize(
    ("x_dtype", "running_dtype"),
    [(np.float32, np.float32), (np.float32, np.float64), (np.float64, np.float32)],
)
def test_the_kernels_running_statistics_take_the_wider_of_their_dtype_and_the_batchs(
    momentum, x_dtype, running_dtype
):
    """The kernel's momentum * running + (1 - momentum) * batch has NumPy's dtype for the two
    arrays, also at momentum 0 and 1, where one term is dropped: float32 stays float32 (as in a
    float32 FullyConnectedNet, whose stack stores what the kernel returns), float64 wins."""
    x = np.array([[1.0, -2.0], [3.0, 4.0]], dtype=x_dtype)
    running = np.array([1.0, 2.0], dtype=running_dtype)
    gamma, beta = np.ones(2, x_dtype), np.zeros(2, x_dtype)
    *_, mean, var = batchnorm_kernel(x, gamma, beta, "train", 1e-5, running, running, momentum)
    wider = np.result_type(x_dtype, running_dtype)
    assert mean.dtype == wider and var.dtype == wider
