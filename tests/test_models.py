"""FullyConnectedNet and ThreeLayerConvNet: every parameter's gradient checked, cs231n's sanity
checks (the initial loss, overfitting 50 samples), the 0.5 * reg convention, train and test modes,
any depth from one loop, and clear refusals."""

import math

import numpy as np
import pytest

from backprop_core import digits, gradcheck
from backprop_core.models import FullyConnectedNet, ThreeLayerConvNet
from backprop_core.solver import Solver

RNG = np.random.default_rng(0)
X, Y = RNG.standard_normal((6, 5)), RNG.integers(0, 4, 6)
IMAGES, LABELS = RNG.standard_normal((3, 2, 6, 6)), RNG.integers(0, 10, 3)


def fcn(normalization=None, reg=0.0, keep=1, hidden=(12, 10), dtype=np.float64, scale=0.5):
    return FullyConnectedNet(
        list(hidden),
        input_dim=5,
        num_classes=4,
        dropout_keep_ratio=keep,
        normalization=normalization,
        reg=reg,
        weight_scale=scale,
        dtype=dtype,
        seed=1,
    )


@pytest.mark.parametrize("normalization", [None, "batchnorm", "layernorm"])
@pytest.mark.parametrize("reg", [0.0, 0.7])
@pytest.mark.parametrize("keep", [1, 0.75])
def test_every_fcn_parameter_passes_the_gradient_check(normalization, reg, keep):
    report = gradcheck(fcn(normalization, reg, keep), X, Y)
    assert all(row.verdict == "good" for row in report.rows), str(report)
    if normalization == "batchnorm" and not reg:  # b1, b2: gradient 0, the difference rounding
        assert {row.name for row in report.rows if row.rounding} <= {"b1", "b2"}


@pytest.mark.parametrize("reg", [0.0, 0.5])
def test_every_conv_net_parameter_passes_the_gradient_check(reg):
    net = ThreeLayerConvNet(
        input_dim=(2, 6, 6),
        num_filters=3,
        filter_size=3,
        hidden_dim=7,
        weight_scale=0.3,
        reg=reg,
        dtype=np.float64,
        seed=0,
    )
    report = gradcheck(net, IMAGES, LABELS)
    assert all(row.verdict == "good" for row in report.rows), str(report)


def test_a_bias_before_batch_norm_really_has_no_effect():
    net = fcn("batchnorm")
    _, grads = net.loss(X, Y)
    assert np.abs(grads["b1"]).max() < 1e-14  # the mean subtraction cancels it
    shifted = fcn("batchnorm")
    shifted.params["b1"] = shifted.params["b1"] + 3.0
    assert shifted.loss(X, Y)[0] == pytest.approx(net.loss(X, Y)[0], abs=1e-12)


@pytest.mark.parametrize("depth", [1, 2, 3, 5])
def test_any_depth_is_one_loop_and_checks_good(depth):
    net = fcn("layernorm", hidden=[6] * (depth - 1))
    assert net.num_layers == depth and len(net.params) == 2 * depth + 2 * (depth - 1)
    assert gradcheck(net, X, Y).ok


def test_the_initial_loss_is_ln_of_the_number_of_classes():
    x = RNG.standard_normal((50, 5))
    loss, _ = fcn(scale=1e-3, hidden=(20, 20)).loss(x, RNG.integers(0, 4, 50))
    assert loss == pytest.approx(math.log(4), abs=1e-3)
    conv = ThreeLayerConvNet(input_dim=(2, 6, 6), num_filters=4, filter_size=3, seed=0)
    loss, _ = conv.loss(RNG.standard_normal((20, 2, 6, 6)), RNG.integers(0, 10, 20))
    assert loss == pytest.approx(math.log(10), abs=1e-3)


def test_the_penalty_is_half_reg_times_every_squared_weight():
    plain, penalised = fcn(reg=0.0), fcn(reg=0.3)
    (l0, g0), (l1, g1) = plain.loss(X, Y), penalised.loss(X, Y)
    weights = sum(float(np.sum(plain.params[f"W{i}"] ** 2)) for i in (1, 2, 3))
    assert l1 - l0 == pytest.approx(0.5 * 0.3 * weights, rel=1e-12)
    assert np.allclose(g1["W2"] - g0["W2"], 0.3 * plain.params["W2"], rtol=0, atol=1e-14)
    assert np.array_equal(g1["b2"], g0["b2"])  # biases are not penalised


def test_test_mode_uses_running_statistics_and_no_dropout():
    net = fcn("batchnorm", keep=0.5)
    before = [bn["running_mean"].copy() for bn in net.bn_params]
    net.loss(X, Y)  # training: the running statistics move, the mask is applied
    assert not np.allclose(net.bn_params[0]["running_mean"], before[0])
    one, two = net.loss(X), net.loss(X[:2])
    assert np.allclose(one[:2], two)  # test mode: each sample's scores depend on it alone
    assert net.bn_params[0]["mode"] == "test" and net.dropout_param["mode"] == "test"


def test_float32_stays_float32_and_nothing_changes_its_inputs():
    net = fcn("batchnorm", dtype=np.float32)
    params = {k: v.copy() for k, v in net.params.items()}
    x = X.copy()
    _, grads = net.loss(x, Y)
    assert all(g.dtype == np.float32 for g in grads.values())
    assert np.array_equal(x, X) and all(np.array_equal(net.params[k], params[k]) for k in params)
    report = gradcheck(net, X, Y)
    assert report.in_float64 and report.ok  # checked on a float64 copy, and good


@pytest.mark.slow  # trains two small nets for about a second each
@pytest.mark.parametrize("kind", ["fcn", "conv"])
def test_both_models_overfit_50_digits(kind):
    images, labels = digits()
    if kind == "fcn":
        model = FullyConnectedNet(
            [100, 100], input_dim=64, weight_scale=0.1, dtype=np.float64, seed=0
        )
        data_x = images[:50]
    else:
        model = ThreeLayerConvNet(
            input_dim=(1, 8, 8),
            num_filters=16,
            filter_size=3,
            hidden_dim=100,
            weight_scale=0.1,
            dtype=np.float64,
            seed=0,
        )
        data_x = images[:50].reshape(50, 1, 8, 8)
    data = {"X_train": data_x, "y_train": labels[:50], "X_val": data_x, "y_val": labels[:50]}
    solver = Solver(
        model,
        data,
        update_rule="adam",
        optim_config={"learning_rate": 1e-2},
        num_epochs=30,
        batch_size=25,
        verbose=False,
        seed=0,
    )
    solver.train()
    assert solver.train_acc_history[-1] == 1.0, solver.train_acc_history


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"hidden_dims": 5}, TypeError, "hidden_dims must be a list of sizes"),
        ({"hidden_dims": [5, 0]}, ValueError, r"hidden_dims\[1\] must be >= 1"),
        ({"normalization": "groupnorm"}, ValueError, "normalization must be one of"),
        ({"dropout_keep_ratio": 1.5}, ValueError, r"dropout_keep_ratio must be in \(0, 1\]"),
        ({"dropout_keep_ratio": 0}, ValueError, "dropout_keep_ratio must be > 0"),
        ({"reg": -1}, ValueError, "reg must be >= 0"),
        ({"weight_scale": 0}, ValueError, "weight_scale must be > 0"),
        ({"dtype": "int32"}, TypeError, "dtype must be float32 or float64"),
        ({"seed": "abc"}, TypeError, "seed must be None, an integer"),
        ({"activation": "tanh"}, TypeError, "activation must be None"),
    ],
)
def test_bad_fcn_settings_are_refused_by_name(kwargs, error, words):
    args = {"hidden_dims": [5], "input_dim": 4, **kwargs}
    with pytest.raises(error, match=words):
        FullyConnectedNet(**args)


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"input_dim": (3, 32)}, TypeError, r"input_dim must be \(C, H, W\)"),
        ({"input_dim": (1, 7, 8)}, ValueError, "even H and W"),
        ({"filter_size": 4}, ValueError, "filter_size must be odd"),
        ({"num_filters": -2}, ValueError, "num_filters must be >= 1"),
    ],
)
def test_bad_conv_net_settings_are_refused_by_name(kwargs, error, words):
    with pytest.raises(error, match=words):
        ThreeLayerConvNet(**kwargs)


def test_bad_batches_and_params_are_refused_by_name():
    net = fcn()
    with pytest.raises(ValueError, match=r"X must hold N >= 1 samples of 5 numbers"):
        net.loss(np.zeros((3, 6)))
    with pytest.raises(ValueError, match=r"y must lie in \[0, 4\)"):
        net.loss(X, np.full(6, 4))
    net.params["W2"] = net.params["W2"][:, :2]
    with pytest.raises(ValueError, match=r"params\['W2'\] must have shape"):
        net.loss(X)
    net = fcn()
    net.params["W1"] = net.params["W1"].copy()
    net.params["W1"][0, 0] = np.nan
    with pytest.raises(ValueError, match=r"params\['W1'\] holds NaN"):
        net.loss(X)
    with pytest.raises(ValueError, match=r"X must hold N >= 1 samples of 72 numbers"):
        ThreeLayerConvNet(input_dim=(2, 6, 6)).loss(np.zeros((2, 3, 6, 6)))


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda p: p.update(W2=p["W2"][:, :2]), r"params\['W2'\] must have shape"),
        (lambda p: p.update(b1=p["b1"].astype(np.float32)), r"params\['b1'\] must be float64"),
        (lambda p: p.update(W1=p["W1"][None]), r"params\['W1'\] must have shape"),
        (lambda p: p.pop("b2"), r"missing \['b2'\]"),
        (lambda p: p.update(W9=p["W1"]), r"extra key\(s\) \['W9'\]"),
    ],
)
def test_params_changed_after_a_passing_call_are_checked_again(change, words):
    # a model skips the parameter check while names, shapes and dtypes stay those that passed
    net = fcn()
    net.loss(X)
    change(net.params)
    with pytest.raises((ValueError, TypeError), match=words):
        net.loss(X)


def test_scores_that_overflow_say_so_and_nan_weights_are_named():
    net = fcn(scale=1e200)
    with pytest.raises(ValueError, match="the scores are not finite although every parameter is"):
        net.loss(X)
    conv = ThreeLayerConvNet(
        input_dim=(2, 6, 6), num_filters=2, filter_size=3, hidden_dim=4, dtype=np.float64, seed=0
    )
    conv.params["b3"] = np.array([np.inf] + [0.0] * 9)
    with pytest.raises(ValueError, match=r"params\['b3'\] holds infinity"):
        conv.loss(IMAGES)


def test_images_in_another_layout_are_refused_not_reshaped():
    conv = ThreeLayerConvNet(input_dim=(3, 8, 8), num_filters=2, filter_size=3, seed=0)
    with pytest.raises(ValueError, match=r"X must hold images of shape \(N, C, H, W\) = \(N, 3, 8"):
        conv.loss(np.zeros((2, 8, 8, 3)))
