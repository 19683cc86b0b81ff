"""Forward mode, reverse mode and central differences on stacks of layers (models/modes.py):
the three Jacobians agree, and agree with each layer's own full Jacobian; their costs are counted
and grow as stated; the caches' memory is measured; checkpointing gives the same gradients with
less stored; bad arguments are refused with clear messages."""

import math

import numpy as np
import pytest

from backprop_core.activations import named
from backprop_core.layers import (
    affine_jacobian,
    batchnorm_jacobian,
    dropout_jacobian,
    layernorm_jacobian,
    relu_jacobian,
)
from backprop_core.models import FullyConnectedNet, modes, stack

MODES_AGREE = 1e-12  # forward against reverse: max |difference| / max(1, max |J|)
CENTRAL_AGREES = 1e-7  # central differences with h = 1e-6 in float64: truncation and rounding


def net(hidden=(6, 5), D=4, C=3, **kw):
    """A float64 FullyConnectedNet with normalisation parameters away from 1 and 0."""
    model = FullyConnectedNet(
        list(hidden), input_dim=D, num_classes=C, dtype=np.float64, seed=0, weight_scale=0.6, **kw
    )
    rng = np.random.default_rng(1)
    for name in model.params:
        if name.startswith(("gamma", "beta")):
            model.params[name] = model.params[name] + 0.3 * rng.standard_normal(
                model.params[name].shape
            )
    return model


STACKS = {
    "affine-relu": dict(),
    "tanh": dict(activation=named("tanh")),
    "sigmoid, deep": dict(hidden=(5, 4, 6, 3), activation=named("sigmoid")),
    "batchnorm": dict(normalization="batchnorm"),
    "layernorm": dict(normalization="layernorm"),
    "dropout": dict(dropout_keep_ratio=0.6),
}


def scaled_gap(a, b):
    return float(np.abs(a - b).max() / max(1.0, np.abs(a).max()))


@pytest.mark.parametrize("kind", STACKS)
def test_forward_reverse_and_central_differences_agree(kind):
    model = net(**STACKS[kind])
    x = np.random.default_rng(2).standard_normal((3, 4))
    J_fwd, _ = modes.jacobian_forward(model.layers, model.params, x)
    J_rev, _ = modes.jacobian_reverse(model.layers, model.params, x)
    J_fd, _ = modes.jacobian_central(model.layers, model.params, x)
    assert J_fwd.shape == (3, 3, 3, 4)
    assert scaled_gap(J_fwd, J_rev) <= MODES_AGREE
    assert scaled_gap(J_fwd, J_fd) <= CENTRAL_AGREES
    assert np.abs(J_fwd).max() > 1e-3  # not a vacuous agreement of zeros


def test_batch_norm_in_test_mode_agrees_too():
    model = net(normalization="batchnorm")
    x = np.random.default_rng(3).standard_normal((4, 4))
    model.loss(x, np.array([0, 1, 2, 0]))  # running statistics from one training batch
    for bn in model.bn_params:
        bn["mode"] = "test"
    J_fwd, _ = modes.jacobian_forward(model.layers, model.params, x)
    J_rev, _ = modes.jacobian_reverse(model.layers, model.params, x)
    assert scaled_gap(J_fwd, J_rev) <= MODES_AGREE
    # in test mode samples no longer interact: sample 0's scores ignore sample 1
    assert np.abs(J_fwd[0, :, 1, :]).max() == 0


def one_layer_cases():
    """Single-layer stacks with each layer's own full Jacobian as the independent oracle."""
    rng = np.random.default_rng(4)
    x, W, b = rng.standard_normal((3, 4)), rng.standard_normal((4, 2)), rng.standard_normal(2)
    gamma, beta = rng.standard_normal(4), rng.standard_normal(4)
    bn = {"mode": "train", "eps": 1e-5, "momentum": 0.9}
    bn_full = {**bn, "running_mean": np.zeros(4), "running_var": np.ones(4)}
    drop = {"p": 0.5, "mode": "train", "seed": 3}
    yield (
        "affine",
        [stack.Layer("affine_backward", ("W", "b"))],
        {"W": W, "b": b},
        x,
        (affine_jacobian(x, W, "x")),
    )
    yield "relu", [stack.Layer("relu_backward")], {}, x, relu_jacobian(x)
    yield (
        "batchnorm",
        [stack.Layer("batchnorm_backward", ("g", "b"), bn_full)],
        ({"g": gamma, "b": beta}),
        x,
        batchnorm_jacobian(x, gamma, bn),
    )
    ln = stack.Layer("layernorm_backward", ("g", "b"), {"eps": 1e-5})
    yield "layernorm", [ln], {"g": gamma, "b": beta}, x, layernorm_jacobian(x, gamma, {})
    yield "dropout", [stack.Layer("dropout_backward", (), drop)], {}, x, dropout_jacobian(x, drop)


@pytest.mark.parametrize("case", list(one_layer_cases()), ids=lambda c: c[0])
def test_each_tangent_matches_the_layers_own_jacobian(case):
    _, layers, params, x, J = case
    J_fwd, _ = modes.jacobian_forward(layers, params, x)
    J_rev, _ = modes.jacobian_reverse(layers, params, x)
    assert scaled_gap(J_fwd, J) <= MODES_AGREE
    assert scaled_gap(J_rev, J) <= MODES_AGREE


def test_jvp_is_the_jacobian_times_v_and_changes_nothing():
    model = net(normalization="batchnorm")
    rng = np.random.default_rng(5)
    x, v = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    saved = (x.copy(), v.copy(), {k: p.copy() for k, p in model.params.items()})
    running = [bn["running_mean"].copy() for bn in model.bn_params]
    out, dout = modes.jvp(model.layers, model.params, x, v)
    J, _ = modes.jacobian_reverse(model.layers, model.params, x)
    assert scaled_gap(dout, np.tensordot(J, v, axes=2)) <= MODES_AGREE
    twin = net(normalization="batchnorm")  # the same model, run by the plain forward pass
    assert np.array_equal(out, stack.forward(twin.layers, twin.params, x)[0])
    assert np.array_equal(x, saved[0]) and np.array_equal(v, saved[1])
    assert all(np.array_equal(model.params[k], p) for k, p in saved[2].items())
    # batch norm's running statistics are not touched by jvp or by the Jacobians
    assert all(
        np.array_equal(bn["running_mean"], r)
        for bn, r in zip(model.bn_params, running, strict=True)
    )


def test_float32_in_float32_out():
    model = FullyConnectedNet([5], input_dim=3, num_classes=2, dtype=np.float32, seed=0)
    x = np.ones((2, 3), np.float32)
    out, dout = modes.jvp(model.layers, model.params, x, x)
    assert out.dtype == dout.dtype == np.float32
    assert modes.jacobian_reverse(model.layers, model.params, x)[0].dtype == np.float32


def test_large_finite_inputs_stay_finite_through_normalisation():
    model = net(normalization="layernorm")
    x = np.full((3, 4), 1e300) * np.arange(1, 13).reshape(3, 4)
    out, dout = modes.jvp(model.layers, model.params, x / 1e10, np.ones((3, 4)))
    assert np.isfinite(out).all() and np.isfinite(dout).all()


# -- costs ------------------------------------------------------------------------------------


def two_layer(D, C, H=8):
    """One sample through D -> H -> C: n = D inputs, m = C outputs, F = D H + H C per pass."""
    model = FullyConnectedNet([H], input_dim=D, num_classes=C, dtype=np.float64, seed=0)
    x = np.random.default_rng(D + C).standard_normal((1, D))
    return model, x, D * H + H * C


@pytest.mark.parametrize(("D", "C"), [(2, 9), (5, 5), (9, 2), (16, 3)])
def test_costs_count_passes_and_multiply_adds(D, C):
    model, x, F = two_layer(D, C)
    _, fwd = modes.jacobian_forward(model.layers, model.params, x)
    _, rev = modes.jacobian_reverse(model.layers, model.params, x)
    _, fd = modes.jacobian_central(model.layers, model.params, x)
    n, m = D, C
    assert fwd == modes.Cost(n, 2 * n * F)  # each pass: values and tangents, one product each
    assert rev == modes.Cost(1 + m, F + 2 * m * F)  # one forward; each backward: dx and dW
    assert fd == modes.Cost(2 * n, 2 * n * F)  # forward mode's count, with no exactness
    # the crossover: forward mode is cheaper exactly when n <= m
    assert (fwd.macs < rev.macs) == (n <= m)


def test_forward_cost_grows_with_inputs_reverse_cost_with_outputs():
    passes_fwd, passes_rev = [], []
    for D in (2, 4, 8, 16):
        model, x, _ = two_layer(D, 3)
        passes_fwd.append(modes.jacobian_forward(model.layers, model.params, x)[1].passes)
        passes_rev.append(modes.jacobian_reverse(model.layers, model.params, x)[1].passes)
    assert passes_fwd == [2, 4, 8, 16] and passes_rev == [4, 4, 4, 4]
    passes_fwd, passes_rev = [], []
    for C in (2, 4, 8):
        model, x, _ = two_layer(4, C)
        passes_fwd.append(modes.jacobian_forward(model.layers, model.params, x)[1].passes)
        passes_rev.append(modes.jacobian_reverse(model.layers, model.params, x)[1].passes)
    assert passes_fwd == [4, 4, 4] and passes_rev == [3, 5, 9]


# -- memory -----------------------------------------------------------------------------------


def test_cache_memory_counts_each_array_once():
    model = net(hidden=(6,), normalization="batchnorm")
    x = np.random.default_rng(6).standard_normal((5, 4))
    _, caches = stack.forward(model.layers, model.params, x)
    table = modes.cache_memory(model.layers, model.params, caches)
    assert [row.stage for row in table] == [layer.stage for layer in model.layers]
    eight = np.dtype(np.float64).itemsize
    # affine keeps x (5, 4); batch norm xc and xhat (5, 6) and std (6,); the ReLU its input (5, 6);
    # the last affine its input (5, 6)
    assert [row.nbytes for row in table] == [20 * eight, 66 * eight, 30 * eight, 30 * eight]
    assert table[0].param_bytes == model.params["W1"].nbytes  # W1 referred to, counted apart
    total = modes.stored_bytes(caches, exclude=list(model.params.values()))
    assert total == sum(row.nbytes for row in table)


def test_stored_bytes_counts_a_view_as_its_base():
    a = np.zeros((4, 4))
    assert modes.stored_bytes([a[:2], a.T, (a,)]) == a.nbytes
    assert modes.stored_bytes([a[:2]], exclude=[a]) == 0


# -- checkpointing ------------------------------------------------------------------------------


def deep(depth=8, width=6, N=4, **kw):
    model = net(hidden=(width,) * depth, D=width, C=3, **kw)
    x = np.random.default_rng(7).standard_normal((N, width))
    return model, x


def plain(model, x, dout):
    _, caches = stack.forward(model.layers, model.params, x)
    grads = stack.backward(model.layers, caches, dout, need_dx=True)
    return grads, modes.stored_bytes(caches, exclude=list(model.params.values()))


@pytest.mark.parametrize("kw", [{}, {"normalization": "batchnorm"}, {"dropout_keep_ratio": 0.7}])
def test_checkpointing_gives_the_same_gradients_for_every_k(kw):
    model, x = deep(**kw)
    L = len(model.layers)
    dout = np.random.default_rng(8).standard_normal((4, 3))
    expected, full = plain(model, x, dout)
    for every in (1, 2, 3, 5, L - 1, L, L + 4):
        _, tape = modes.forward_checkpointed(model.layers, model.params, x, every)
        grads, trade = modes.backward_checkpointed(model.layers, model.params, tape, dout, True)
        assert sorted(grads) == sorted(expected)
        assert max(scaled_gap(expected[k], grads[k]) for k in grads) <= 1e-12
        last_segment = L - (L - 1) // every * every
        assert trade.recomputed == L - last_segment
        assert trade.segments == math.ceil(L / every)
        if every >= L:
            assert trade.peak_bytes == full and trade.recomputed == 0


def test_checkpointing_stores_less_at_the_square_root():
    model, x = deep(depth=15)  # 31 layers
    L = len(model.layers)
    dout = np.ones((4, 3))
    _, full = plain(model, x, dout)
    peaks = {}
    for every in (1, 2, 4, 6, 8, 16, L):
        _, tape = modes.forward_checkpointed(model.layers, model.params, x, every)
        peaks[every] = modes.backward_checkpointed(model.layers, model.params, tape, dout)[1]
    assert peaks[L].peak_bytes == full
    best = min(peaks, key=lambda k: peaks[k].peak_bytes)
    assert 4 <= best <= 8  # near sqrt(31) = 5.6: sqrt(L) inputs plus one segment's caches
    assert peaks[best].peak_bytes < full / 2
    # the price: about one more forward pass, all but the last segment run again
    assert all(L - k <= peaks[k].recomputed <= L - 1 for k in peaks if k < L)
    assert peaks[L].recomputed == 0


def test_batch_norm_running_statistics_move_once_as_with_the_plain_pass():
    model, x = deep(depth=3, normalization="batchnorm")
    twin, _ = deep(depth=3, normalization="batchnorm")
    modes.backward_checkpointed(
        model.layers,
        model.params,
        modes.forward_checkpointed(model.layers, model.params, x, 2)[1],
        np.ones((4, 3)),
    )
    stack.forward(twin.layers, twin.params, x)
    for ours, theirs in zip(model.bn_params, twin.bn_params, strict=True):
        assert np.array_equal(ours["running_mean"], theirs["running_mean"])
        assert np.array_equal(ours["running_var"], theirs["running_var"])


# -- refusals -----------------------------------------------------------------------------------

AFFINE = [stack.Layer("affine_backward", ("W", "b"))]
PARAMS = {"W": np.ones((3, 2)), "b": np.zeros(2)}
X1 = np.ones((2, 3))


@pytest.mark.parametrize(
    ("call", "error", "text"),
    [
        (lambda: modes.jvp("affine", PARAMS, X1, X1), TypeError, "layers must be a list"),
        (lambda: modes.jvp([], PARAMS, X1, X1), ValueError, "at least one layer"),
        (lambda: modes.jvp([3], PARAMS, X1, X1), TypeError, "layers[0] must be a stack.Layer"),
        (lambda: modes.jvp(AFFINE, [1], X1, X1), TypeError, "params must be a dict"),
        (lambda: modes.jvp(AFFINE, {"W": PARAMS["W"]}, X1, X1), ValueError, "params has no 'b'"),
        (
            lambda: modes.jvp(AFFINE, PARAMS, np.ones((2, 4)), np.ones((2, 4))),
            ValueError,
            "params['W'] must have shape (D, M) = (4, ?)",
        ),
        (
            lambda: modes.jvp(AFFINE, {**PARAMS, "b": np.zeros(3)}, X1, X1),
            ValueError,
            "params['b'] must have shape (M,) = (2,)",
        ),
        (
            lambda: modes.jvp(AFFINE, PARAMS, X1, np.ones((2, 2))),
            ValueError,
            "v must have shape (2, 3)",
        ),
        (
            lambda: modes.jvp(AFFINE, PARAMS, np.ones(3), np.ones(3)),
            ValueError,
            "x must be a batch (N, D)",
        ),
        (
            lambda: modes.jvp(AFFINE, PARAMS, [[1.0, np.nan, 1.0]], X1[:1]),
            ValueError,
            "x must be finite",
        ),
        (lambda: modes.jvp(AFFINE, PARAMS, X1, "v"), TypeError, "v must be a numeric array"),
        (lambda: modes.jacobian_central(AFFINE, PARAMS, X1, h=-1.0), ValueError, "h must be > 0"),
        (
            lambda: modes.jacobian_forward(
                [stack.Layer("max_pool_backward_naive", (), {})], {}, np.ones((1, 1, 2, 2))
            ),
            ValueError,
            "is a 'max_pool_backward_naive' layer; this module handles",
        ),
        (
            lambda: modes.jacobian_forward(
                [stack.Layer("dropout_backward", (), {"p": 0.5, "mode": "train"})], {}, X1
            ),
            ValueError,
            "needs a 'seed' in train mode",
        ),
        (
            lambda: modes.jacobian_forward(
                [stack.Layer("batchnorm_backward", ("g", "b"), {"mode": "train"})],
                {"g": np.ones(3), "b": np.zeros(3)},
                X1,
            ),
            ValueError,
            "must hold ['mode', 'eps', 'momentum', 'running_mean', 'running_var']",
        ),
        (
            lambda: modes.jacobian_forward(
                [stack.Layer("layernorm_backward", ("g", "b"), {"eps": 1e-5})],
                {"g": np.ones(2), "b": np.zeros(2)},
                X1,
            ),
            ValueError,
            "params['g'] must have shape (D,) = (3,)",
        ),
        (
            lambda: modes.forward_checkpointed(AFFINE, PARAMS, X1, 0),
            ValueError,
            "every must be >= 1",
        ),
        (
            lambda: modes.forward_checkpointed(AFFINE, PARAMS, X1, 1.5),
            TypeError,
            "every must be an integer",
        ),
        (
            lambda: modes.backward_checkpointed(AFFINE, PARAMS, (), np.ones((2, 2))),
            TypeError,
            "tape must be the Tape",
        ),
        (
            lambda: modes.backward_checkpointed(
                AFFINE,
                PARAMS,
                modes.forward_checkpointed(AFFINE, PARAMS, X1, 1)[1],
                np.ones((2, 3)),
            ),
            ValueError,
            "dout must have shape (2, 2)",
        ),
        (
            lambda: modes.backward_checkpointed(
                AFFINE * 2,
                PARAMS,
                modes.forward_checkpointed(AFFINE, PARAMS, X1, 1)[1],
                np.ones((2, 2)),
            ),
            ValueError,
            "layers must be the 1 layers the tape was recorded with",
        ),
        (
            lambda: modes.cache_memory(AFFINE, PARAMS, []),
            ValueError,
            "caches must be the list of 1 caches",
        ),
    ],
)
def test_bad_arguments_are_refused_clearly(call, error, text):
    with pytest.raises(error) as info:
        call()
    assert text in str(info.value)


def test_a_step_too_small_for_float32_is_refused():
    x = np.ones((2, 3), np.float32)
    with pytest.raises(ValueError, match=r"h = 1e-09 does not move x\[0, 0\] = 1.0 in float32"):
        modes.jacobian_central(
            AFFINE, {k: v.astype(np.float32) for k, v in PARAMS.items()}, x, 1e-9
        )


def test_a_batch_of_images_flattened_by_the_first_affine_layer():
    model = net(D=4)
    x = np.random.default_rng(9).standard_normal((3, 2, 2))  # each sample flattened to 4 numbers
    J_fwd, fwd = modes.jacobian_forward(model.layers, model.params, x)
    J_rev, rev = modes.jacobian_reverse(model.layers, model.params, x)
    assert J_fwd.shape == (3, 3, 3, 2, 2)
    assert scaled_gap(J_fwd, J_rev) <= MODES_AGREE
    F = 3 * (4 * 6 + 6 * 5 + 5 * 3)  # N = 3 samples through 4 -> 6 -> 5 -> 3
    assert fwd == modes.Cost(12, 2 * 12 * F) and rev == modes.Cost(10, F + 2 * 9 * F)


@pytest.mark.parametrize(
    ("call", "text"),
    [
        (lambda: modes.cache_memory(3, PARAMS, []), "layers must be a list of stack.Layer"),
        (lambda: modes.cache_memory(AFFINE, None, [None]), "params must be a dict"),
        (
            lambda: modes.backward_checkpointed(
                AFFINE, None, modes.forward_checkpointed(AFFINE, PARAMS, X1, 1)[1], X1[:, :2]
            ),
            "params must be a dict",
        ),
    ],
)
def test_more_refusals(call, text):
    with pytest.raises(TypeError, match=text):
        call()


def test_a_float32_batch_through_float64_weights_gives_a_float64_jacobian():
    x = np.ones((2, 3), np.float32)
    for jacobian in (modes.jacobian_forward, modes.jacobian_reverse, modes.jacobian_central):
        assert jacobian(AFFINE, PARAMS, x)[0].dtype == np.float64
