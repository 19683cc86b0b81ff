"""What a learner relies on in :class:`~backprop_core.net.TwoLayerNet`: one label per sample, a
regularisation strength that cannot be negative, the dtype asked for, and cs231n's defaults."""

import inspect

import numpy as np
import pytest

from backprop_core import TwoLayerNet

D, H, C = 4, 6, 3


@pytest.fixture
def batch():
    rng = np.random.default_rng(7)
    return rng.standard_normal((5, D)), np.array([0, 1, 2, 2, 1])


def calls(net, X, y):
    """Every public call that takes labels for the samples of X, with the argument's name."""
    return {
        "loss": (lambda labels: net.loss(X, labels), "y"),
        "backward": (lambda labels: net.backward(net.forward(X), labels), "y"),
        "train": (lambda labels: net.train(X, labels, X, y, num_iters=1), "y"),
        "train (validation)": (lambda labels: net.train(X, y, X, labels, num_iters=1), "y_val"),
    }


@pytest.mark.parametrize("call", ["loss", "backward", "train", "train (validation)"])
@pytest.mark.parametrize("change", [-1, 1])
def test_labels_must_number_exactly_one_per_sample(batch, call, change):
    X, y = batch
    net = TwoLayerNet(D, H, C, std=0.5, seed=0)
    fn, name = calls(net, X, y)[call]
    labels = np.resize(y, len(y) + change)  # one label too few or too many, each valid itself
    before = {k: v.copy() for k, v in net.params.items()}
    with pytest.raises(ValueError, match=rf"{name} must have shape \(N,\) = \(5,\)"):
        fn(labels)
    for k in before:
        np.testing.assert_array_equal(net.params[k], before[k])


@pytest.mark.parametrize("reg", [-1e-12, -0.5])
def test_backward_refuses_a_negative_reg_like_loss_does(batch, reg):
    X, y = batch
    net = TwoLayerNet(D, H, C, std=0.5, seed=0)
    trace = net.forward(X)
    with pytest.raises(ValueError, match="reg must be >= 0"):
        net.backward(trace, y, reg=reg)
    with pytest.raises(ValueError, match="reg must be >= 0"):
        net.loss(X, y, reg=reg)


def test_backward_and_loss_agree_for_every_allowed_reg(batch):
    X, y = batch
    net = TwoLayerNet(D, H, C, std=0.5, seed=0)
    for reg in (0.0, 0.1):
        g = net.backward(net.forward(X), y, reg=reg)
        loss, grads = net.loss(X, y, reg=reg)
        assert g.loss == pytest.approx(loss, rel=1e-12)
        np.testing.assert_allclose(g.dW1, grads["W1"], rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_every_parameter_has_the_dtype_asked_for_before_and_after_training(batch, dtype):
    X, y = batch
    net = TwoLayerNet(D, H, C, std=0.5, seed=0, dtype=dtype)
    assert {name: p.dtype for name, p in net.params.items()} == dict.fromkeys(
        ("W1", "b1", "W2", "b2"), np.dtype(dtype)
    )
    X = X.astype(dtype)
    net.train(X, y, X, y, learning_rate=0.1, num_iters=3, batch_size=2)
    assert {p.dtype for p in net.params.values()} == {np.dtype(dtype)}
    assert net.forward(X).y1.dtype == dtype


# cs231n assignment 1, cs231n/classifiers/neural_net.py: TwoLayerNet.__init__(..., std=1e-4),
# loss(X, y=None, reg=0.0) and train(X, y, X_val, y_val, learning_rate=1e-3,
# learning_rate_decay=0.95, reg=5e-6, num_iters=100, batch_size=200, verbose=False)
CS231N_DEFAULTS = {
    TwoLayerNet.__init__: {"std": 1e-4},
    TwoLayerNet.loss: {"y": None, "reg": 0.0},
    TwoLayerNet.train: {
        "learning_rate": 1e-3,
        "learning_rate_decay": 0.95,
        "reg": 5e-6,
        "num_iters": 100,
        "batch_size": 200,
        "verbose": False,
    },
}


@pytest.mark.parametrize("method", list(CS231N_DEFAULTS), ids=lambda m: m.__name__)
def test_the_defaults_are_those_of_the_cs231n_assignment(method):
    parameters = inspect.signature(method).parameters
    defaults = {name: parameters[name].default for name in CS231N_DEFAULTS[method]}
    assert defaults == CS231N_DEFAULTS[method]


def test_train_without_settings_trains_with_the_cs231n_settings(batch):
    """The defaults reach the loop: no settings given is the same run as cs231n's given."""
    X, y = batch
    X = np.tile(X, (50, 1))  # 250 samples: two minibatches of at most 200 per epoch
    y = np.tile(y, 50)
    net, twin = (TwoLayerNet(D, H, C, std=0.5, seed=3) for _ in range(2))
    history = net.train(X, y, X, y)
    assert history == twin.train(X, y, X, y, **CS231N_DEFAULTS[TwoLayerNet.train])
    for name in net.params:
        np.testing.assert_array_equal(net.params[name], twin.params[name])
