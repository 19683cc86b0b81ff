"""What a learner relies on in :class:`~backprop_core.net.TwoLayerNet`: one label per sample, a
regularisation strength that cannot be negative, the dtype asked for, and cs231n's defaults; a
trace refused array by array under its own name and shape but accepted when a diverged net made
it; from_params passing its settings on and refusing NaN parameters; no kinks for a smooth
activation; train's verbose output; two_layer_loss's labels."""

import inspect
import re

import numpy as np
import pytest

from backprop_core import TwoLayerNet, two_layer_loss
from backprop_core.activations import named
from backprop_core.training import sgd

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


# -- backward(): a trace is checked array by array, each named as the learner knows it ---------


def test_backward_refuses_what_is_not_a_trace_naming_what_arrived(batch):
    """A trace is the Trace forward() returns; a plain tuple of the same arrays is refused and the
    message says what arrived."""
    X, y = batch
    net = TwoLayerNet(D, H, C, std=0.5, seed=0)
    arrays = tuple(net.forward(X))
    message = r"^trace must be the Trace returned by forward\(\); got tuple$"
    with pytest.raises(TypeError, match=message):
        net.backward(arrays, y)


def test_backward_without_labels_says_they_are_the_labels_of_trace_x(batch):
    """y=None has no loss to backpropagate: the message says y holds the labels of trace.X."""
    X, _ = batch
    net = TwoLayerNet(D, H, C, std=0.5, seed=0)
    message = r"^y must hold the integer class labels of trace\.X; got None$"
    with pytest.raises(TypeError, match=message):
        net.backward(net.forward(X), None)


def test_backward_names_trace_x_when_it_does_not_fit_the_net(batch):
    """A trace.X with the wrong number of features is refused as trace.X, with the (N, D) the
    net expects."""
    X, y = batch
    net = TwoLayerNet(D, H, C, std=0.5, seed=0)
    trace = net.forward(X)._replace(X=np.ones((5, D + 1)))
    message = r"^trace\.X must have shape \(N, D\) = \(\?, 4\) to match W1 of shape \(4, 6\)"
    with pytest.raises(ValueError, match=message):
        net.backward(trace, y)


TRACE_ARRAYS = {"y1": ("(N, H)", H), "h1": ("(N, H)", H), "y2": ("(N, C)", C)}


@pytest.mark.parametrize("name", list(TRACE_ARRAYS))
@pytest.mark.parametrize("wrong", ["rows", "columns"])
def test_backward_names_the_trace_array_and_the_shape_it_must_have(batch, name, wrong):
    """trace.y1 and trace.h1 are (N, H), trace.y2 is (N, C), all from this net's forward(): an
    array of the wrong shape is refused by its name in the trace, with that shape in symbols
    and in numbers."""
    X, y = batch
    net = TwoLayerNet(D, H, C, std=0.5, seed=0)
    trace = net.forward(X)
    symbols, cols = TRACE_ARRAYS[name]
    bad = np.ones((4, cols)) if wrong == "rows" else np.ones((5, cols + 1))
    message = (
        rf"^trace\.{name} must have shape {re.escape(symbols)} = \(5, {cols}\) to come from "
        rf"this net's forward\(\); got {re.escape(str(bad.shape))}$"
    )
    with pytest.raises(ValueError, match=message):
        net.backward(trace._replace(**{name: bad}), y)


@pytest.mark.parametrize("name", list(TRACE_ARRAYS))
def test_backward_says_a_trace_array_must_be_two_dimensional(batch, name):
    """A trace array of one row given as a vector is refused for its number of dimensions, by
    its name in the trace, as forward() refuses a 1-D X."""
    X, y = batch
    net = TwoLayerNet(D, H, C, std=0.5, seed=0)
    trace = net.forward(X)
    row = getattr(trace, name)[0]
    message = rf"^trace\.{name} must be 2-dimensional; got shape \({row.size},\)$"
    with pytest.raises(ValueError, match=message):
        net.backward(trace._replace(**{name: row}), y)


@pytest.mark.parametrize("param", ["W1", "W2"])
def test_backward_of_a_diverged_nets_trace_reports_the_nan_loss_as_loss_does(batch, param):
    """loss() and forward() accept NaN parameters so that divergence shows up in the loss;
    backward() accepts the NaN trace such a forward() returns and reports the same NaN loss
    instead of refusing it."""
    X, y = batch
    net = TwoLayerNet(D, H, C, std=0.5, seed=0)
    net.params[param][0, 0] = np.nan
    g = net.backward(net.forward(X), y)
    assert np.isnan(g.loss)
    assert np.isnan(net.loss(X, y)[0])


# -- from_params: the network of given arrays --------------------------------------------------


def params_of(W1, W2):
    """A parameter dict with zero biases around W1 (D, H) and W2 (H, C)."""
    return {"W1": W1, "b1": np.zeros(W1.shape[1]), "W2": W2, "b2": np.zeros(W2.shape[1])}


def test_from_params_refuses_what_is_not_a_dict_naming_what_arrived():
    """params is a dict of W1, b1, W2, b2; a list of the same arrays is refused by type."""
    arrays = list(params_of(np.ones((D, H)), np.ones((H, C))).values())
    with pytest.raises(TypeError, match=r"^params must be a dict of W1, b1, W2, b2; got list$"):
        TwoLayerNet.from_params(arrays)


@pytest.mark.parametrize("name", ["W1", "b1", "W2", "b2"])
@pytest.mark.parametrize(("bad", "word"), [(np.nan, "NaN"), (np.inf, "infinity")])
def test_from_params_refuses_a_non_finite_parameter_as_a_diverged_run(name, bad, word):
    """Parameters holding NaN or infinity, as after a diverging run, are refused by their name
    in params, with the hint that training diverged."""
    params = params_of(np.ones((D, H)), np.ones((H, C)))
    params[name] = params[name].copy()
    params[name].flat[0] = bad
    message = rf"^params\['{name}'\] holds {word}: training diverged\?"
    with pytest.raises(ValueError, match=message):
        TwoLayerNet.from_params(params)


def test_from_params_runs_the_activation_given(batch):
    """from_params(..., activation=tanh) computes h1 = tanh(y1), not the ReLU."""
    X, _ = batch
    tanh = named("tanh")
    rng = np.random.default_rng(1)
    params = params_of(rng.standard_normal((D, H)), rng.standard_normal((H, C)))
    net = TwoLayerNet.from_params(params, activation=tanh)
    trace = net.forward(X)
    assert (trace.y1 < 0).any()  # the ReLU would give zeros there
    np.testing.assert_allclose(trace.h1, np.tanh(trace.y1), rtol=1e-12)


@pytest.mark.parametrize("at_zero", [0.0, 1.0, 0.5])
def test_from_params_uses_relu_at_zero_at_an_exact_zero(at_zero):
    """With X = 0 and b1 = 0 every y1 is exactly 0, where the ReLU's slope is relu_at_zero:
    db1 is relu_at_zero times dh1 summed over the batch."""
    params = params_of(np.ones((D, H)), np.arange(H * C, dtype=float).reshape(H, C))
    net = TwoLayerNet.from_params(params, relu_at_zero=at_zero)
    g = net.backward(net.forward(np.zeros((5, D))), [0, 1, 2, 2, 1])
    assert (g.dh1 != 0).any()
    np.testing.assert_allclose(g.db1, at_zero * g.dh1.sum(axis=0), rtol=1e-12, atol=0)


def test_from_params_with_the_same_seed_trains_in_the_same_order(batch):
    """seed sets the minibatch order of train(): two nets made from the same arrays with the
    same seed make the same run, step for step."""
    X, y = batch
    X, y = np.tile(X, (4, 1)), np.tile(y, 4)  # 20 samples: ten minibatches of 2 per epoch
    rng = np.random.default_rng(2)
    params = params_of(rng.standard_normal((D, H)), rng.standard_normal((H, C)))
    nets = [TwoLayerNet.from_params(params, seed=11) for _ in range(2)]
    runs = [net.train(X, y, X, y, learning_rate=0.5, num_iters=20, batch_size=2) for net in nets]
    assert runs[0] == runs[1]
    for name in params:
        np.testing.assert_array_equal(nets[0].params[name], nets[1].params[name])


def test_from_params_seed_orders_train_as_sgd_seeded_with_it(batch):
    """seed only sets train()'s minibatch order: from_params draws nothing from it first, so the
    run is sgd's with rng=seed, and a Generator passed as seed is left as it was."""
    X, y = batch
    X, y = np.tile(X, (4, 1)), np.tile(y, 4)
    rng = np.random.default_rng(2)
    params = params_of(rng.standard_normal((D, H)), rng.standard_normal((H, C)))
    settings = {"learning_rate": 0.5, "reg": 1e-3, "num_iters": 20, "batch_size": 2}
    net, twin = TwoLayerNet.from_params(params, seed=11), TwoLayerNet.from_params(params)
    assert net.train(X, y, X, y, **settings) == sgd(
        twin.loss, twin.params, X, y, X, y, rng=11, **settings
    )
    generator = np.random.default_rng(5)
    TwoLayerNet.from_params(params, seed=generator)
    assert generator.random() == np.random.default_rng(5).random()


# -- kinks_within, train's verbose, two_layer_loss ---------------------------------------------


def test_a_smooth_activation_has_no_kinks_for_a_step_to_cross(batch):
    """kinks_within counts the y1 within a step's reach of a kink; with W1 = 0 and b1 = 0 every
    y1 is 0, on the ReLU's kink, but tanh and sigmoid have no kink: both counts are 0."""
    X, _ = batch
    params = params_of(np.zeros((D, H)), np.ones((H, C)))
    at_kink = {"W1": 5 * H, "b1": 5 * H}
    assert TwoLayerNet.from_params(params).kinks_within(X, 1e-5) == at_kink
    assert TwoLayerNet.from_params(params, activation=named("relu")).kinks_within(X, 1e-5) == (
        at_kink
    )
    for smooth in ("tanh", "sigmoid"):
        net = TwoLayerNet.from_params(params, activation=named(smooth))
        assert net.kinks_within(X, 1e-5) == {"W1": 0, "b1": 0}


@pytest.mark.parametrize("verbose", [True, False])
def test_train_prints_the_loss_only_when_verbose(batch, capsys, verbose):
    """verbose=True prints the loss of iteration 0 (and of every 100th); by default train is
    silent."""
    X, y = batch
    net = TwoLayerNet(D, H, C, std=0.5, seed=0)
    history = net.train(X, y, X, y, num_iters=3, verbose=verbose)
    printed = capsys.readouterr().out
    if verbose:
        assert printed == f"iteration 0 / 3: loss {history['loss_history'][0]:.6f}\n"
    else:
        assert printed == ""


def test_two_layer_loss_without_labels_says_what_y_must_hold():
    """two_layer_loss needs the labels: y=None is refused saying y holds N integer labels."""
    params = params_of(np.ones((D, H)), np.ones((H, C)))
    with pytest.raises(TypeError, match=r"^y must hold integer class labels \(N,\); got None$"):
        two_layer_loss(params, np.ones((5, D)), None)
