"""Batch normalization, its spatial version and layer normalization: the cs231n interface,
hostile arguments, the running averages, both backward passes, the Jacobians' block structure,
the symbolic derivation, the gallery's bugs and the explorer."""

import numpy as np
import pytest

from backprop_core import layers
from backprop_core.debugging import batchnorm as bn_debug
from backprop_core.debugging import check, diagnose
from backprop_core.debugging import layernorm as ln_debug
from backprop_core.layers import (
    BatchnormCache,
    LayernormCache,
    batchnorm_backward,
    batchnorm_backward_alt,
    batchnorm_forward,
    batchnorm_jacobian,
    layernorm_backward,
    layernorm_forward,
    layernorm_jacobian,
    spatial_batchnorm_backward,
    spatial_batchnorm_forward,
)

EXACT = 1e-12  # two formulas of the same gradient, relative to its largest entry


def close(a, b, tol=EXACT):
    a, b = np.asarray(a, float), np.asarray(b, float)
    return a.shape == b.shape and np.abs(a - b).max() <= tol * max(1.0, np.abs(b).max())


def batch(rng, N=5, D=3, dtype=np.float64):
    x = rng.normal(size=(N, D)) * rng.uniform(0.5, 3, D) + rng.normal(size=D)
    return x.astype(dtype), rng.uniform(0.5, 2, D).astype(dtype), rng.normal(size=D).astype(dtype)


# -- the forward pass and the running averages -----------------------------------------------------


def test_train_mode_normalises_each_column_and_updates_the_running_averages_as_cs231n(rng):
    x, gamma, beta = batch(rng)
    old_mean, old_var = rng.normal(size=3), rng.uniform(0.5, 2, 3)
    bn_param = {"mode": "train", "momentum": 0.8, "running_mean": old_mean, "running_var": old_var}
    out, _ = batchnorm_forward(x, gamma, beta, bn_param)
    xhat = (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + 1e-5)  # biased variance, eps 1e-5
    assert close(out, gamma * xhat + beta)
    assert close(bn_param["running_mean"], 0.8 * old_mean + 0.2 * x.mean(axis=0))
    assert close(bn_param["running_var"], 0.8 * old_var + 0.2 * x.var(axis=0))
    assert bn_param["running_mean"] is not old_mean  # new arrays: the old ones are not written


def test_missing_running_averages_start_at_zeros_of_the_dtype_of_x(rng):
    x, gamma, beta = batch(rng, dtype=np.float32)
    bn_param = {"mode": "train"}
    batchnorm_forward(x, gamma, beta, bn_param)
    assert bn_param["running_mean"].dtype == np.float32
    assert close(bn_param["running_mean"], 0.1 * x.astype(float).mean(axis=0), 1e-6)
    assert close(bn_param["running_var"], 0.1 * x.astype(float).var(axis=0), 1e-6)


def test_test_mode_uses_the_running_averages_and_leaves_them(rng):
    x, gamma, beta = batch(rng)
    mean, var = rng.normal(size=3), rng.uniform(0.5, 2, 3)
    bn_param = {"mode": "test", "running_mean": mean, "running_var": var, "eps": 1e-3}
    out, cache = batchnorm_forward(x, gamma, beta, bn_param)
    assert close(out, gamma * (x - mean) / np.sqrt(var + 1e-3) + beta)
    assert np.array_equal(bn_param["running_mean"], mean) and cache.mode == "test"


def test_nothing_but_bn_param_is_changed(rng):
    x, gamma, beta = batch(rng)
    mean, var = np.zeros(3), np.ones(3)
    args = [a.copy() for a in (x, gamma, beta, mean, var)]
    out, cache = batchnorm_forward(
        x, gamma, beta, {"mode": "train", "running_mean": mean, "running_var": var}
    )
    dout = rng.normal(size=out.shape)
    saved = (dout.copy(), [np.copy(c) for c in cache])
    batchnorm_backward(dout, cache)
    batchnorm_backward_alt(dout, cache)
    assert all(np.array_equal(a, b) for a, b in zip(args, (x, gamma, beta, mean, var), strict=True))
    assert np.array_equal(saved[0], dout)
    assert all(np.array_equal(a, b) for a, b in zip(saved[1], cache, strict=True))
    param = {"eps": 1e-5}
    layernorm_backward(dout, layernorm_forward(x, gamma, beta, param)[1])
    assert param == {"eps": 1e-5} and np.array_equal(args[0], x)


def test_the_jacobian_reads_bn_param_without_changing_it(rng):
    x, gamma, _ = batch(rng)
    bn_param = {"mode": "train"}
    batchnorm_jacobian(x, gamma, bn_param)
    assert bn_param == {"mode": "train"}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_kept(rng, dtype):
    x, gamma, beta = batch(rng, dtype=dtype)
    for mode in ("train", "test"):
        out, cache = batchnorm_forward(x, gamma, beta, {"mode": mode})
        grads = [*batchnorm_backward(out, cache), *batchnorm_backward_alt(out, cache)]
        assert {a.dtype for a in [out, *grads]} == {np.dtype(dtype)}
    out, cache = layernorm_forward(x, gamma, beta, {})
    assert {a.dtype for a in [out, *layernorm_backward(out, cache)]} == {np.dtype(dtype)}
    images = rng.normal(size=(2, 3, 2, 2)).astype(dtype)
    out, cache = spatial_batchnorm_forward(images, gamma, beta, {"mode": "train"})
    assert {a.dtype for a in [out, *spatial_batchnorm_backward(out, cache)]} == {np.dtype(dtype)}


@pytest.mark.parametrize(
    "scale, dtype", [(1e150, np.float64), (1e300, np.float64), (1e30, np.float32)]
)
def test_large_inputs_give_finite_outputs_and_the_closed_form_stays_exact(rng, scale, dtype):
    """At x * scale the output is that of x with eps shrunk by scale^2 (about 0), and dx is that
    of x divided by scale; the staged pass stays finite (and exact while var is a float)."""
    x, gamma, beta = batch(rng)
    dout = rng.normal(size=x.shape)
    big = (x * scale).astype(dtype)
    out, cache = batchnorm_forward(big, gamma.astype(dtype), beta.astype(dtype), {"mode": "train"})
    ref_out, ref_cache = batchnorm_forward(x, gamma, beta, {"mode": "train", "eps": 1e-300})
    tol = 1e-5 if dtype == np.float32 else 1e-12
    assert np.isfinite(out).all() and close(out, ref_out, tol)
    dx = batchnorm_backward_alt(dout.astype(dtype), cache)[0]
    assert close(dx.astype(float) * scale, batchnorm_backward_alt(dout, ref_cache)[0], tol)
    assert all(np.isfinite(g).all() for g in batchnorm_backward(dout.astype(dtype), cache))
    if scale < np.sqrt(np.finfo(dtype).max) / 10:  # the batch variance is a float
        assert close(
            batchnorm_backward(dout, cache)[0] * scale, batchnorm_backward(dout, ref_cache)[0]
        )
    out, cache = layernorm_forward(
        big.T.copy(), gamma[:1].repeat(5).astype(dtype), np.zeros(5, dtype), {}
    )
    assert np.isfinite(out).all() and np.isfinite(layernorm_backward(out, cache)[0]).all()


# -- the backward passes ---------------------------------------------------------------------------


@pytest.mark.parametrize("N, D", [(1, 3), (2, 2), (4, 4), (7, 3), (32, 10)])
@pytest.mark.parametrize("mode", ["train", "test"])
def test_staged_and_closed_form_agree_to_1e_12(rng, N, D, mode):
    x, gamma, beta = batch(rng, N, D)
    param = {
        "mode": mode,
        "running_mean": rng.normal(size=D),
        "running_var": rng.uniform(0.5, 2, D),
    }
    _, cache = batchnorm_forward(x, gamma, beta, param)
    dout = rng.normal(size=(N, D))
    for a, b in zip(
        batchnorm_backward(dout, cache), batchnorm_backward_alt(dout, cache), strict=True
    ):
        assert close(a, b)


def test_test_mode_backward_is_a_plain_affine_scale(rng):
    x, gamma, beta = batch(rng)
    var = rng.uniform(0.5, 2, 3)
    _, cache = batchnorm_forward(x, gamma, beta, {"mode": "test", "running_var": var})
    dout = rng.normal(size=x.shape)
    assert close(batchnorm_backward(dout, cache)[0], dout * gamma / np.sqrt(var + 1e-5))


def test_a_shift_of_every_sample_cannot_be_caused_by_x_and_n_equal_1_has_no_gradient(rng):
    x, gamma, beta = batch(rng)
    _, cache = batchnorm_forward(x, gamma, beta, {"mode": "train"})
    assert close(batchnorm_backward(np.ones_like(x), cache)[0], np.zeros_like(x))
    _, cache = batchnorm_forward(x[:1], gamma, beta, {"mode": "train"})
    assert not batchnorm_backward_alt(rng.normal(size=(1, 3)), cache)[0].any()


def test_layer_norm_is_batch_norm_on_the_transpose(rng):
    x = rng.normal(size=(4, 6))
    ones, zeros = np.ones(6), np.zeros(6)
    out, cache = layernorm_forward(x, ones, zeros, {})
    bn_out, bn_cache = batchnorm_forward(x.T, np.ones(4), np.zeros(4), {"mode": "train"})
    assert close(out, bn_out.T)
    dout = rng.normal(size=x.shape)
    assert close(layernorm_backward(dout, cache)[0], batchnorm_backward(dout.T, bn_cache)[0].T)


def test_spatial_batch_norm_is_batch_norm_of_the_pixels(rng):
    images = rng.normal(size=(2, 3, 4, 5)) * 2 + 1
    gamma, beta = rng.uniform(0.5, 2, 3), rng.normal(size=3)
    bn_param = {"mode": "train"}
    out, cache = spatial_batchnorm_forward(images, gamma, beta, bn_param)
    mean, var = images.mean(axis=(0, 2, 3)), images.var(axis=(0, 2, 3))
    expected = (images - mean[:, None, None]) / np.sqrt(var[:, None, None] + 1e-5)
    assert close(out, gamma[:, None, None] * expected + beta[:, None, None])
    assert close(bn_param["running_mean"], 0.1 * mean)
    dout = rng.normal(size=images.shape)
    dx, _, dbeta = spatial_batchnorm_backward(dout, cache)
    flat = dout.transpose(0, 2, 3, 1).reshape(-1, 3)
    dx_flat = batchnorm_backward(flat, cache)[0]
    assert close(dx, dx_flat.reshape(2, 4, 5, 3).transpose(0, 3, 1, 2))
    assert close(dbeta, dout.sum(axis=(0, 2, 3)))


# -- the Jacobians ---------------------------------------------------------------------------------


def test_batch_norm_jacobian_has_one_coupling_block_per_column(rng):
    x, gamma, _ = batch(rng, 4, 3)
    J = batchnorm_jacobian(x, gamma, {"mode": "train"})
    N = 4
    xhat = (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + 1e-5)
    sigma = np.sqrt(x.var(axis=0) + 1e-5)
    for j in range(3):
        block = gamma[j] / sigma[j] * (np.eye(N) - 1 / N - np.outer(xhat[:, j], xhat[:, j]) / N)
        assert close(J[:, j, :, j], block)
        for s in set(range(3)) - {j}:
            assert not J[:, j, :, s].any()  # out[:, j] ignores every other column of x
    test = batchnorm_jacobian(x, gamma, {"mode": "test", "running_var": np.ones(3)})
    assert np.count_nonzero(test) == 12  # test mode: diagonal


def test_layer_norm_jacobian_has_one_block_per_sample(rng):
    x, gamma, _ = batch(rng, 3, 4)
    J = layernorm_jacobian(x, gamma, {})
    D = 4
    sigma = np.sqrt(x.var(axis=1) + 1e-5)
    xhat = (x - x.mean(axis=1, keepdims=True)) / sigma[:, None]
    for p in range(3):
        block = (np.eye(D) - 1 / D - np.outer(xhat[p], xhat[p]) / D) / sigma[p]
        assert close(J[p, :, p, :], gamma[:, None] * block)
        assert not J[p, :, (p + 1) % 3, :].any()


# -- hostile arguments: each refused with a message naming the argument ----------------------------

GOOD_X, GOOD_G = np.ones((3, 2)) * [[1.0], [2.0], [4.0]], np.ones(2)
FORWARD_CASES = [
    ((np.ones(3), GOOD_G, GOOD_G, {"mode": "train"}), ValueError, "x must be 2-dimensional"),
    (
        (np.array([[1.0, np.nan]]), GOOD_G, GOOD_G, {"mode": "train"}),
        ValueError,
        "x must be finite",
    ),
    ((GOOD_X, np.ones(3), GOOD_G, {"mode": "train"}), ValueError, r"gamma must have shape \(D,\)"),
    ((GOOD_X, GOOD_G, [[0.0, 0.0]], {"mode": "train"}), ValueError, "beta must be 1-dimensional"),
    ((GOOD_X, GOOD_G, GOOD_G, "train"), TypeError, "bn_param must be a dict"),
    ((GOOD_X, GOOD_G, GOOD_G, {}), ValueError, "bn_param must hold 'mode'"),
    (
        (GOOD_X, GOOD_G, GOOD_G, {"mode": "eval"}),
        ValueError,
        r"bn_param\['mode'\] must be 'train' or 'test'",
    ),
    ((GOOD_X, GOOD_G, GOOD_G, {"mode": "train", "momentom": 0.9}), ValueError, "unknown key"),
    (
        (GOOD_X, GOOD_G, GOOD_G, {"mode": "train", "eps": 0.0}),
        ValueError,
        r"bn_param\['eps'\] must be > 0",
    ),
    (
        (GOOD_X, GOOD_G, GOOD_G, {"mode": "train", "momentum": 1.5}),
        ValueError,
        r"must be in \[0, 1\]",
    ),
    (
        (GOOD_X, GOOD_G, GOOD_G, {"mode": "train", "eps": "1e-5"}),
        TypeError,
        "must be a real number",
    ),
    (
        (GOOD_X, GOOD_G, GOOD_G, {"mode": "test", "running_mean": np.zeros(3)}),
        ValueError,
        r"bn_param\['running_mean'\] must have shape \(D,\) = \(2,\)",
    ),
    (
        (GOOD_X, GOOD_G, GOOD_G, {"mode": "test", "running_var": -np.ones(2)}),
        ValueError,
        r"running_var'\] must be >= 0",
    ),
]


@pytest.mark.parametrize("args, error, message", FORWARD_CASES)
def test_batchnorm_forward_refuses(args, error, message):
    bn_param = args[3]
    before = dict(bn_param) if isinstance(bn_param, dict) else None
    with pytest.raises(error, match=message):
        batchnorm_forward(*args)
    assert before is None or bn_param == before  # a refused call stores nothing


def good_cache():
    return batchnorm_forward(GOOD_X, GOOD_G, GOOD_G, {"mode": "train"})[1]


BACKWARD_CASES = [
    (lambda: (np.ones((3, 2)), (1, 2)), TypeError, "cache must be the BatchnormCache"),
    (
        lambda: (np.ones((3, 2)), good_cache()._replace(mode="eval")),
        ValueError,
        "cache.mode must be",
    ),
    (
        lambda: (np.ones((2, 2)), good_cache()),
        ValueError,
        r"dout must have shape \(N, D\) = \(3, 2\)",
    ),
    (
        lambda: (np.ones((3, 2)), good_cache()._replace(std=np.zeros(2))),
        ValueError,
        "cache.std must be > 0",
    ),
    (
        lambda: (np.ones((3, 2)), good_cache()._replace(gamma=np.ones(3))),
        ValueError,
        "cache.gamma must have",
    ),
    (
        lambda: (np.ones((3, 2)), good_cache()._replace(xc=np.ones((2, 2)))),
        ValueError,
        "cache.xc must have",
    ),
]


@pytest.mark.parametrize("make, error, message", BACKWARD_CASES)
@pytest.mark.parametrize("backward", [batchnorm_backward, batchnorm_backward_alt])
def test_batchnorm_backward_refuses(backward, make, error, message):
    with pytest.raises(error, match=message):
        backward(*make())


def test_layernorm_spatial_and_jacobians_refuse_what_they_cannot_use():
    cases = [
        (
            lambda: layernorm_forward(GOOD_X, GOOD_G, GOOD_G, None),
            TypeError,
            "ln_param must be a dict",
        ),
        (
            lambda: layernorm_forward(GOOD_X, GOOD_G, GOOD_G, {"mode": "train"}),
            ValueError,
            "unknown key",
        ),
        (
            lambda: layernorm_forward(GOOD_X, GOOD_G, GOOD_G, {"eps": -1.0}),
            ValueError,
            "must be > 0",
        ),
        (lambda: layernorm_backward(np.ones((3, 2)), good_cache()), TypeError, "LayernormCache"),
        (
            lambda: layernorm_backward(
                np.ones((3, 3)), layernorm_forward(GOOD_X, GOOD_G, GOOD_G, {})[1]
            ),
            ValueError,
            "dout must have shape",
        ),
        (
            lambda: spatial_batchnorm_forward(GOOD_X, GOOD_G, GOOD_G, {"mode": "train"}),
            ValueError,
            "x must be 4-dim",
        ),
        (
            lambda: spatial_batchnorm_backward(GOOD_X, good_cache()),
            ValueError,
            "dout must be 4-dim",
        ),
        (
            lambda: batchnorm_jacobian(GOOD_X, GOOD_G, {"mode": "train"}, "W"),
            ValueError,
            "wrt must be one of",
        ),
        (lambda: layernorm_jacobian(GOOD_X, GOOD_G, {}, None), ValueError, "wrt must be one of"),
        (
            lambda: batchnorm_jacobian(np.ones((100, 100)), np.ones(100), {"mode": "train"}),
            ValueError,
            "more than 50,000,000",
        ),
    ]
    for call, error, message in cases:
        with pytest.raises(error, match=message):
            call()


def test_the_caches_are_named_tuples_with_the_documented_fields():
    assert BatchnormCache._fields == ("mode", "xc", "std", "xhat", "gamma")
    assert LayernormCache._fields == ("xc", "std", "xhat", "gamma")


# -- symbolic --------------------------------------------------------------------------------------


def test_the_index_derivation_reaches_the_closed_form_at_symbolic_n():
    from backprop_core.symbolic import batchnorm as sym

    assert sym.closed_form_residual() == 0
    assert sym.normalised_gradient()["centred values sum to 0"].rhs == 0


@pytest.mark.parametrize("stage", ["batchnorm", "layernorm"])
def test_verify_rows_pass(stage):
    import importlib

    rows = importlib.import_module(f"backprop_core.symbolic.{stage}").verify_rows(
        np.random.default_rng(3)
    )
    assert rows and all(row.passed for row in rows), [r for r in rows if not r.passed]


def test_a_broken_backward_fails_its_verify_rows(monkeypatch):
    from backprop_core.symbolic import batchnorm as sym

    monkeypatch.setattr(sym.bn_layer, "batchnorm_backward", bn_debug.batchnorm_no_mean_path)
    failed = [row.quantity for row in sym.verify_rows(np.random.default_rng(0)) if not row.passed]
    assert failed == [
        "dx closed form (index, symbolic N) = staged",
        "Jacobian contracted = staged dx",
        "test-mode Jacobian contracted = staged dx",  # the bug also ignores cache.mode
    ]


# -- debugging -------------------------------------------------------------------------------------


@pytest.mark.parametrize("bug", bn_debug.BUGS + ln_debug.BUGS, ids=lambda b: b.name)
def test_each_bug_is_diagnosed_with_its_cause(bug):
    found = diagnose(bug.fn, bug.stage)
    assert not found.ok and found.cause == bug.cause, str(found)
    assert found.hint.startswith("11-Batch-Normalization")


def test_the_engines_and_the_closed_form_pass():
    assert diagnose(batchnorm_backward, "batchnorm_backward").ok
    assert diagnose(batchnorm_backward_alt, "batchnorm_backward").ok
    assert check(layernorm_backward, "layernorm_backward").passed


def test_a_layer_norm_backward_given_to_batch_norm_is_caught():
    found = diagnose(
        lambda dout, cache: layernorm_backward(dout, LayernormCache(*cache[1:])),
        "batchnorm_backward",
    )
    assert not found.ok


# -- the explorer ----------------------------------------------------------------------------------


def test_the_explorer_shows_the_coupling_and_its_absence():
    from backprop_core.widgets import norm_explorer

    ex = norm_explorer()
    assert "changed since the start: none" in ex.summary()
    state = ex.set(value=2.5).state
    x = ex.X[:4].copy()
    x[0, 0] = 2.5
    _, cache = batchnorm_forward(x, ex.gamma, np.zeros(3), {"mode": "train"})
    assert close(state["dx"], batchnorm_backward(ex.dout[:4], cache)[0])
    assert "[0, 1, 2, 3]" in ex.summary().splitlines()[2]  # every sample's dx moved
    assert ex.set(mode="test").summary().splitlines()[2].endswith("none")
    assert ex.set(kind="layer norm").summary().splitlines()[2].endswith("[0]")
    assert "in 6 blocks of 3 x 3" in ex.set(N=6).summary()
    assert "in 3 blocks of 6 x 6" in ex.set(kind="batch norm", mode="train").summary()


def test_the_explorer_refuses_bad_values_and_sizes():
    from backprop_core.widgets import norm_explorer

    ex = norm_explorer()
    before = ex.summary()
    for name, value in (("kind", "group norm"), ("mode", "eval"), ("N", 1), ("value", 9.0)):
        with pytest.raises(ValueError, match=name):
            ex.set(**{name: value})
    assert ex.summary() == before
    for kwargs in ({"max_batch": 1}, {"max_batch": 50}, {"D": 0}, {"seed": -1}):
        with pytest.raises((TypeError, ValueError), match=next(iter(kwargs))):
            norm_explorer(**kwargs)


def test_the_layers_are_registered():
    assert {"batchnorm_backward", "layernorm_backward"} <= {s.name for s in layers.STAGES}
