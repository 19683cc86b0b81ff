"""What a caller of :func:`~backprop_core.training.sgd` relies on, stated with learning rates and
decays other than 1, minibatches other than the whole set, and a loss that records what it saw.

The loss used here is a linear softmax classifier built from the engine's own affine and softmax
stages, so that every expected value below is computed independently of the training loop.
"""

import numpy as np
import pytest

from backprop_core import TwoLayerNet, affine_backward, affine_forward, softmax_cross_entropy
from backprop_core.training import sgd

N, D, C = 10, 3, 4


def data(seed=0):
    """Ten samples whose first feature is their index, so a batch says which samples it holds."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N, D))
    X[:, 0] = np.arange(N)
    return X, rng.integers(0, C, N)


class Recorder:
    """A linear softmax loss in cs231n's form that records every training call it receives."""

    def __init__(self, params):
        self.params = params
        self.calls = []  # (X_batch, y_batch, reg, copy of params before the step)

    def __call__(self, X, y=None, reg=0.0):
        scores, cache = affine_forward(X, self.params["W"], self.params["b"])
        if y is None:
            return scores
        self.calls.append((X.copy(), y.copy(), reg, {k: v.copy() for k, v in self.params.items()}))
        loss, dscores = softmax_cross_entropy(scores, y)
        _, dW, db = affine_backward(dscores, cache)
        return loss + reg * float(np.sum(self.params["W"] ** 2)), {
            "W": dW + 2 * reg * self.params["W"],
            "b": db,
        }


def fresh_params(seed=1):
    rng = np.random.default_rng(seed)
    return {"W": rng.standard_normal((D, C)), "b": rng.standard_normal(C)}


class Constant:
    """A loss whose gradient is the same array ``g`` everywhere: each step moves params by -lr g."""

    def __init__(self, g):
        self.g = g

    def __call__(self, X, y=None, reg=0.0):
        if y is None:
            return np.zeros((len(X), C))
        return 0.0, {"w": self.g.copy()}


@pytest.mark.parametrize("learning_rate", [0.1, 0.25, 3.0])
def test_one_step_moves_each_parameter_by_minus_learning_rate_times_its_gradient(learning_rate):
    X, y = data()
    params = fresh_params()
    loss = Recorder(params)
    before = {k: v.copy() for k, v in params.items()}
    _, grads = Recorder(before)(X, y, 0.0)  # the gradient at the starting point, full batch
    sgd(loss, params, X, y, X, y, rng=0, learning_rate=learning_rate, num_iters=1, batch_size=N)
    for name in params:
        expected = before[name] - learning_rate * grads[name]
        np.testing.assert_allclose(params[name], expected, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(
    ("decay", "batch_size", "num_iters"),
    [(0.5, N, 4), (0.9, N // 2, 6), (2.0, 4, 7)],  # 1, 2 and 3 minibatches per epoch
)
def test_the_learning_rate_is_multiplied_by_the_decay_once_per_epoch(decay, batch_size, num_iters):
    g = np.array([1.0, -2.0])
    params = {"w": np.zeros(2)}
    X, y = data()
    lr = 0.1
    sgd(
        Constant(g),
        params,
        X,
        y,
        X,
        y,
        rng=0,
        learning_rate=lr,
        learning_rate_decay=decay,
        num_iters=num_iters,
        batch_size=batch_size,
    )
    per_epoch = -(-N // batch_size)
    rates = [lr * decay ** (it // per_epoch) for it in range(num_iters)]
    np.testing.assert_allclose(params["w"], -sum(rates) * g, rtol=1e-12)


@pytest.mark.parametrize("batch_size", [3, 4, 5, 9])
def test_each_epoch_visits_every_sample_once_in_minibatches_of_the_batch_size(batch_size):
    X, y = data()
    loss = Recorder(fresh_params())
    per_epoch = -(-N // batch_size)
    epochs = 4
    sgd(
        loss,
        loss.params,
        X,
        y,
        X,
        y,
        rng=3,
        learning_rate=0.01,
        num_iters=epochs * per_epoch,
        batch_size=batch_size,
    )
    sizes = [len(call[0]) for call in loss.calls]
    last = N - (per_epoch - 1) * batch_size
    assert sizes == ([batch_size] * (per_epoch - 1) + [last]) * epochs
    orders = []
    for e in range(epochs):
        batches = loss.calls[e * per_epoch : (e + 1) * per_epoch]
        ids = np.concatenate([Xb[:, 0] for Xb, *_ in batches]).astype(int)
        assert sorted(ids) == list(range(N)), f"epoch {e} saw samples {ids}"
        labels = np.concatenate([yb for _, yb, *_ in batches])
        np.testing.assert_array_equal(labels, y[ids])  # each sample keeps its own label
        orders.append(tuple(ids))
    assert len(set(orders)) > 1, "every epoch saw the samples in the same order: no shuffle"


def test_full_batch_training_does_not_depend_on_the_seed():
    """One minibatch per epoch is plain gradient descent: no order to draw, same result always."""
    X, y = data()
    results = []
    for seed in (0, 1, 2):
        params = fresh_params()
        history = sgd(
            Recorder(params),
            params,
            X,
            y,
            X,
            y,
            rng=seed,
            learning_rate=0.3,
            num_iters=5,
            batch_size=N,
        )
        results.append((history, params))
    for history, params in results[1:]:
        assert history == results[0][0]
        for name in params:
            np.testing.assert_array_equal(params[name], results[0][1][name])


def test_the_histories_record_each_epoch_as_documented():
    """train_acc: the epoch's last minibatch, before its step; val_acc: after it; one per epoch."""
    X, y = data()
    X_val, y_val = data(seed=7)
    loss = Recorder(fresh_params())
    batch_size, epochs, per_epoch = 4, 3, 3
    history = sgd(
        loss,
        loss.params,
        X,
        y,
        X_val,
        y_val,
        rng=1,
        learning_rate=0.5,
        num_iters=epochs * per_epoch,
        batch_size=batch_size,
        reg=0.01,
    )

    def params_before(step):  # the parameters the loss saw at a step; after the last, the result
        return loss.calls[step][3] if step < len(loss.calls) else loss.params

    def accuracy(params, Xs, ys):
        return float(((Xs @ params["W"] + params["b"]).argmax(axis=1) == ys).mean())

    last = [(e + 1) * per_epoch - 1 for e in range(epochs)]  # each epoch's last step
    batches = [loss.calls[k][:2] for k in last]
    assert len(history["loss_history"]) == epochs * per_epoch
    train_acc = [accuracy(params_before(k), *b) for k, b in zip(last, batches, strict=True)]
    val_acc = [accuracy(params_before(k + 1), X_val, y_val) for k in last]
    assert history["train_acc_history"] == train_acc
    assert history["val_acc_history"] == val_acc
    # the data tell "before the step" from "after it" apart, so that timing is checked too
    assert train_acc != [
        accuracy(params_before(k + 1), *b) for k, b in zip(last, batches, strict=True)
    ]
    assert val_acc != [accuracy(params_before(k), X_val, y_val) for k in last]


def test_the_loss_history_holds_each_steps_loss_at_its_minibatch():
    X, y = data()
    loss = Recorder(fresh_params())
    history = sgd(
        loss, loss.params, X, y, X, y, rng=2, learning_rate=0.2, num_iters=5, batch_size=3, reg=0.05
    )
    expected = [Recorder(before)(Xb, yb, reg)[0] for Xb, yb, reg, before in loss.calls]
    assert history["loss_history"] == pytest.approx(expected, rel=1e-12)
    assert all(reg == 0.05 for _, _, reg, _ in loss.calls)  # reg reaches the loss as given


@pytest.mark.parametrize(
    ("argument", "value"),
    [
        ("learning_rate_decay", 0.0),
        ("learning_rate_decay", -0.5),
        ("reg", -1e-12),
        ("reg", -1.0),
    ],
)
def test_a_decay_that_is_not_positive_or_a_negative_reg_is_refused(argument, value):
    X, y = data()
    params = fresh_params()
    before = {k: v.copy() for k, v in params.items()}
    with pytest.raises(ValueError, match=rf"{argument} must be"):
        sgd(Recorder(params), params, X, y, X, y, rng=0, num_iters=2, **{argument: value})
    for name in params:  # refused before any step
        np.testing.assert_array_equal(params[name], before[name])
    net = TwoLayerNet(D, 5, C, seed=0)
    with pytest.raises(ValueError, match=rf"{argument} must be"):
        net.train(X, y, X, y, num_iters=2, **{argument: value})


@pytest.mark.parametrize(("argument", "value"), [("learning_rate_decay", 1e-300), ("reg", 0.0)])
def test_the_smallest_allowed_decay_and_reg_are_accepted(argument, value):
    X, y = data()
    params = fresh_params()
    history = sgd(Recorder(params), params, X, y, X, y, rng=0, num_iters=2, **{argument: value})
    assert len(history["loss_history"]) == 2


def test_a_gradient_that_is_the_parameter_array_itself_gives_the_documented_step():
    params = {"w": np.array([1.0, -2.0])}

    def half_square(X, y=None, reg=0.0):  # L = |w|^2 / 2, whose gradient is w itself
        if y is None:
            return np.zeros((len(X), C))
        return 0.5 * float(params["w"] @ params["w"]), {"w": params["w"]}

    X, y = data()
    sgd(half_square, params, X, y, X, y, rng=0, learning_rate=0.1, num_iters=1, batch_size=N)
    np.testing.assert_allclose(params["w"], [0.9, -1.8], rtol=1e-12)  # w - 0.1 w


def test_the_defaults_are_cs231ns():
    """Called with no options: 100 iterations of minibatches of 200, learning rate 1e-3 decayed
    by 0.95 after each epoch, no regularisation (the assignment's ``train`` defaults)."""
    n = 450  # epochs of three minibatches: 200, 200 and the last 50
    rng = np.random.default_rng(5)
    X, y = rng.standard_normal((n, D)), rng.integers(0, C, n)
    seen = []  # (batch size, reg) of every training call

    def constant(Xb, yb=None, reg=0.0):
        if yb is None:
            return np.zeros((len(Xb), C))
        seen.append((len(Xb), reg))
        return 0.0, {"w": np.ones(2)}

    params = {"w": np.zeros(2)}
    history = sgd(constant, params, X, y, X, y, rng=0)
    assert len(history["loss_history"]) == 100
    assert [size for size, _ in seen] == ([200, 200, 50] * 34)[:100]
    assert {reg for _, reg in seen} == {0.0}
    rates = [1e-3 * 0.95 ** (it // 3) for it in range(100)]
    np.testing.assert_allclose(params["w"], -sum(rates) * np.ones(2), rtol=1e-12)
    assert len(history["val_acc_history"]) == 100 // 3


def test_verbose_prints_the_loss_every_hundred_iterations_and_quiet_prints_nothing(capsys):
    X, y = data()
    values = iter(np.linspace(3.0, 1.0, 250))

    def falling(Xb, yb=None, reg=0.0):
        if yb is None:
            return np.zeros((len(Xb), C))
        return float(next(values)), {"w": np.zeros(2)}

    history = sgd(falling, {"w": np.zeros(2)}, X, y, X, y, rng=0, num_iters=250, verbose=True)
    lines = capsys.readouterr().out.splitlines()
    loss = history["loss_history"]
    assert lines == [f"iteration {it} / 250: loss {loss[it]:.6f}" for it in (0, 100, 200)]
    values = iter(np.linspace(3.0, 1.0, 250))
    sgd(falling, {"w": np.zeros(2)}, X, y, X, y, rng=0, num_iters=250)
    assert capsys.readouterr().out == ""


BAD_OPTIONS = [  # (argument, a bad value): the message starts with the argument's own name
    ("rng", -1),
    ("learning_rate", 0.0),
    ("learning_rate_decay", float("nan")),
    ("reg", -0.5),
    ("num_iters", 0),
    ("batch_size", 1.5),
]


@pytest.mark.parametrize(("argument", "value"), BAD_OPTIONS)
def test_a_refused_option_is_named_at_the_start_of_the_message(argument, value):
    X, y = data()
    params = fresh_params()
    with pytest.raises((TypeError, ValueError), match=rf"^{argument} must "):
        sgd(Recorder(params), params, X, y, X, y, **{argument: value})


def test_a_decay_must_be_positive_and_the_message_says_so():
    X, y = data()
    params = fresh_params()
    with pytest.raises(ValueError, match=r"^learning_rate_decay must be > 0; got 0.0$"):
        sgd(Recorder(params), params, X, y, X, y, learning_rate_decay=0.0)


class ScoresOf:
    """A loss whose gradient is zero and whose scores, called without labels, are ``scores``."""

    def __init__(self, scores):
        self.scores = scores

    def __call__(self, X, y=None, reg=0.0):
        return self.scores if y is None else (0.0, {"w": np.zeros(2)})


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda X, y: sgd(3, {"w": np.zeros(2)}, X, y, X, y), r"; got int$"),
        (lambda X, y: sgd(Constant(np.ones(2)), [np.zeros(2)], X, y, X, y), r"; got list$"),
        (
            lambda X, y: sgd(lambda *a: (0.0, [np.ones(2)]), {"w": np.zeros(2)}, X, y, X, y),
            r"grads a dict; got list$",
        ),
        (
            lambda X, y: sgd(lambda *a: (0.0, {}), {"w": np.zeros(2)}, X, y, X, y),
            r"grads\['w'\] of the shape of params\['w'\] \(2,\); got nothing$",
        ),
        (
            lambda X, y: sgd(lambda *a: (0.0, {"w": np.ones(3)}), {"w": np.zeros(2)}, X, y, X, y),
            r"grads\['w'\] of the shape of params\['w'\] \(2,\); got shape \(3,\)$",
        ),
        (
            lambda X, y: sgd(
                lambda *a: (0.0, {"w": [[1.0], [1.0, 2.0]]}), {"w": np.zeros(2)}, X, y, X, y
            ),
            r"grads\['w'\] of the shape of params\['w'\] \(2,\); got a ragged list$",
        ),
        (
            lambda X, y: sgd(ScoresOf(np.ones(3)), {"w": np.zeros(2)}, X, y, X, y),
            r"^loss\(X\) must be 2-dimensional; got shape \(3,\)$",
        ),
        (
            lambda X, y: sgd(ScoresOf(np.ones((1, 2))), {"w": np.zeros(2)}, X, y, X, y),
            r"^loss\(X\) must have shape \(N, C\) = \(\d+, \?\) for the \d+ samples scored; "
            r"got \(1, 2\)$",
        ),
    ],
    ids=[
        "loss not callable",
        "params a list",
        "grads a list",
        "grad missing",
        "grad misshapen",
        "grad ragged",
        "scores 1-D",
        "scores of one sample",
    ],
)
def test_a_refusal_says_what_arrived(call, message):
    X, y = data()
    with pytest.raises((TypeError, ValueError), match=message):
        call(X, y)


@pytest.mark.parametrize("right", [True, False])
def test_an_accuracy_is_the_fraction_of_samples_whose_top_score_is_their_label(right):
    """A loss that scores the true class highest (or never) has accuracy 1 (or 0) everywhere."""
    X, y = data()
    X_val, y_val = data(seed=4)
    rows, truths = np.vstack([X, X_val]), [*y, *y_val]
    labels = {tuple(row): label for row, label in zip(rows, truths, strict=True)}

    def oracle(Xb, yb=None, reg=0.0):
        if yb is None:
            truth = np.array([labels[tuple(row)] for row in Xb])
            target = truth if right else (truth + 1) % C
            return np.eye(C)[target]
        return 0.0, {"w": np.zeros(2)}

    history = sgd(oracle, {"w": np.zeros(2)}, X, y, X_val, y_val, rng=0, num_iters=6, batch_size=4)
    expected = 1.0 if right else 0.0
    assert history["train_acc_history"] == [expected, expected]
    assert history["val_acc_history"] == [expected, expected]
