"""TwoLayerNet: its gradients against central differences, its records, its training."""

import numpy as np
import pytest

from backprop_core import (
    Gradients,
    Trace,
    TwoLayerNet,
    affine_backward,
    affine_forward,
    numerical_gradient,
    rel_error,
    relu_backward,
    relu_forward,
    softmax,
    softmax_cross_entropy,
    spiral,
)


@pytest.fixture
def net():
    return TwoLayerNet(4, 6, 3, std=0.5, seed=0)


@pytest.mark.parametrize("reg", [0.0, 0.05])
def test_loss_gradients_match_central_differences(net, toy, reg):
    X, y = toy
    _loss, grads = net.loss(X, y, reg=reg)
    assert abs(net.forward(X).y1).min() > 1e-3  # no pre-activation near the kink
    for name, param in net.params.items():
        numeric = numerical_gradient(lambda _: net.loss(X, y, reg=reg)[0], param)
        # cs231n's "good"; the loss (~1) carries round-off of ~1e-16 / h = 1e-11 into every
        # numerical entry, which is 1e-7 relative to the smallest gradients here (~1e-4)
        assert rel_error(grads[name], numeric) < 1e-7, name
        assert grads[name].shape == param.shape


def test_forward_and_backward_compose_the_layer_functions(net, toy):
    X, y = toy
    p = net.params
    y1, c1 = affine_forward(X, p["W1"], p["b1"])
    h1, cr = relu_forward(y1)
    y2, c2 = affine_forward(h1, p["W2"], p["b2"])
    loss, dy2 = softmax_cross_entropy(y2, y)
    dh1, dW2, db2 = affine_backward(dy2, c2)
    dy1 = relu_backward(dh1, cr)
    dX, dW1, db1 = affine_backward(dy1, c1)
    trace = net.forward(X)
    g = net.backward(trace, y)
    assert isinstance(trace, Trace) and isinstance(g, Gradients)
    assert all(
        np.array_equal(a, b) for a, b in zip(trace, (X, y1, h1, y2, softmax(y2)), strict=True)
    )
    expected = (loss, dy2, dW2, db2, dh1, dy1, dW1, db1, dX)
    assert all(np.array_equal(a, b) for a, b in zip(g, expected, strict=True))
    assert net.backward(trace, y, need_dX=False).dX is None


def test_loss_is_built_from_forward_and_backward(net, toy):
    X, y = toy
    g = net.backward(net.forward(X), y, reg=0.1)
    loss, grads = net.loss(X, y, reg=0.1)
    assert loss == g.loss
    assert all(np.array_equal(grads[k], getattr(g, "d" + k)) for k in net.params)
    assert np.array_equal(net.loss(X), net.forward(X).y2)


def test_regularisation_adds_reg_times_squared_weights(net, toy):
    X, y = toy
    p = net.params
    plain, g0 = net.loss(X, y)
    loss, g1 = net.loss(X, y, reg=0.3)
    assert loss == pytest.approx(plain + 0.3 * (np.sum(p["W1"] ** 2) + np.sum(p["W2"] ** 2)))
    assert np.allclose(g1["W1"] - g0["W1"], 0.6 * p["W1"], rtol=0, atol=1e-15)
    assert np.array_equal(g1["b1"], g0["b1"])  # biases are not regularised


def test_parameters_start_as_std_times_normal_and_zero_biases():
    net = TwoLayerNet(300, 200, 10, std=0.01, seed=3)
    p = net.params
    assert p["W1"].std() == pytest.approx(0.01, rel=0.02) and abs(p["W1"].mean()) < 1e-3
    assert not p["b1"].any() and not p["b2"].any()
    assert np.array_equal(TwoLayerNet(300, 200, 10, std=0.01, seed=3).params["W2"], p["W2"])
    assert repr(net) == "TwoLayerNet(input_size=300, hidden_size=200, output_size=10)"


def test_relu_at_zero_reaches_the_backward_pass(toy):
    X, y = toy
    seeds_convention = TwoLayerNet(4, 6, 3, std=0.5, seed=0, relu_at_zero=1.0)
    pytorchs = TwoLayerNet(4, 6, 3, std=0.5, seed=0)
    X = X.copy()
    X[0] = 0.0  # with b1 = 0, every pre-activation of sample 0 is exactly 0
    g1 = seeds_convention.backward(seeds_convention.forward(X), y)
    g0 = pytorchs.backward(pytorchs.forward(X), y)
    assert (g1.dy1[0] == g1.dh1[0]).all() and not g0.dy1[0].any()
    assert np.array_equal(g1.dy1[1:], g0.dy1[1:])


def test_float32_network_stays_float32(toy):
    X, y = toy
    net = TwoLayerNet(4, 6, 3, std=0.5, seed=0, dtype=np.float32)
    _loss, grads = net.loss(X.astype(np.float32), y)
    assert {g.dtype for g in grads.values()} == {np.dtype(np.float32)}
    assert net.forward(X.astype(np.float32)).probs.dtype == np.float32


def test_huge_scores_give_a_finite_loss_and_gradients(toy):
    X, y = toy
    net = TwoLayerNet(4, 6, 3, std=300.0, seed=0)  # scores of magnitude ~1e4 and more
    assert np.abs(net.loss(X)).max() > 1e4
    loss, grads = net.loss(X, y)
    assert np.isfinite(loss) and all(np.isfinite(g).all() for g in grads.values())
    scores = net.loss(X)
    reference = np.mean(np.logaddexp.reduce(scores, axis=1) - scores[np.arange(5), y])
    assert loss == pytest.approx(reference, rel=1e-12)


def test_predict_returns_the_largest_score(net, toy):
    X, _ = toy
    assert np.array_equal(net.predict(X), net.loss(X).argmax(axis=1))


def test_train_records_one_loss_per_iteration_and_accuracies_per_epoch():
    X, y = spiral(n_per_class=50)
    net = TwoLayerNet(2, 20, 3, std=0.1, seed=0)
    history = net.train(X, y, X, y, learning_rate=0.5, num_iters=30, batch_size=40)
    assert len(history["loss_history"]) == 30
    assert len(history["train_acc_history"]) == len(history["val_acc_history"]) == 30 // 4
    again = TwoLayerNet(2, 20, 3, std=0.1, seed=0)
    assert again.train(X, y, X, y, learning_rate=0.5, num_iters=30, batch_size=40) == history


@pytest.mark.slow
def test_training_on_the_spiral_reproduces_the_cs231n_case_study():
    """cs231n case study: 100 hidden units, step 1, reg 1e-3 with a 1/2 factor, 10,000 steps.

    It reports the loss going from about ln 3 to 0.245 and a training accuracy of 98 %.
    """
    X, y = spiral()
    net = TwoLayerNet(2, 100, 3, std=0.01, seed=0)
    history = net.train(
        X,
        y,
        X,
        y,
        learning_rate=1.0,
        learning_rate_decay=1.0,
        reg=5e-4,
        num_iters=10_000,
        batch_size=len(X),
    )
    losses = history["loss_history"]
    assert losses[0] == pytest.approx(np.log(3), abs=1e-3)
    assert losses[-1] == pytest.approx(0.245, abs=0.02)
    assert (net.predict(X) == y).mean() >= 0.98


def test_a_linear_softmax_cannot_separate_the_spiral():
    """The same case study's linear classifier stops near 49 %: the ReLU layer is what helps."""
    X, y = spiral()
    W, b = np.zeros((2, 3)), np.zeros(3)
    for _ in range(200):
        out, cache = affine_forward(X, W, b)
        _, dscores = softmax_cross_entropy(out, y)
        _, dW, db = affine_backward(dscores, cache)
        W, b = W - (dW + 1e-3 * W), b - db
    accuracy = (affine_forward(X, W, b)[0].argmax(axis=1) == y).mean()
    assert 0.40 <= accuracy <= 0.60


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda p: p.update(W2=p["W2"][:, :2]), r"params\['b2'\] must have shape \(C,\) = \(2,\)"),
        (lambda p: p.update(b1=p["b1"][:-1]), r"params\['b1'\] must have shape \(H,\) = \(6,\)"),
        (lambda p: p.update(W1=p["W1"][None]), r"params\['W1'\] must be 2-dimensional"),
        (lambda p: p.pop("b2"), r"missing \['b2'\]"),
    ],
)
def test_params_changed_after_a_passing_call_are_checked_again(net, toy, change, words):
    # the net skips its parameter check while names, shapes and dtypes stay those that passed
    X, y = toy
    net.loss(X, y)
    change(net.params)
    with pytest.raises(ValueError, match=words):
        net.loss(X, y)
