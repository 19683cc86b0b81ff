"""The Solver: cs231n's histories and epochs, learning-rate decay, best parameters kept, every
update rule, determinism from a seed, checkpoints, and clear refusals."""

import pickle

import numpy as np
import pytest

from backprop_core import TwoLayerNet, spiral
from backprop_core import solver as solver_module
from backprop_core.solver import Solver


class Model:
    """A TwoLayerNet with a fixed reg, in the form a Solver calls: loss(X, y=None)."""

    def __init__(self, seed=0, reg=1e-3):
        self.net = TwoLayerNet(2, 20, 3, std=0.1, seed=seed)
        self.params, self.reg = self.net.params, reg

    def loss(self, X, y=None):
        return self.net.loss(X, y, self.reg)


@pytest.fixture
def data():
    X, y = spiral(n_per_class=30)
    return {"X_train": X, "y_train": y, "X_val": X[::2], "y_val": y[::2]}


def solve(data, **kwargs):
    options = {"num_epochs": 3, "batch_size": 30, "verbose": False, "seed": 0, **kwargs}
    solver = Solver(Model(), data, **options)
    solver.train()
    return solver


def test_histories_have_cs231ns_lengths(data):
    solver = solve(data, num_epochs=4, batch_size=25)  # 90 samples: 3 steps per epoch
    assert len(solver.loss_history) == 4 * 3
    assert len(solver.train_acc_history) == len(solver.val_acc_history) == 4 + 1
    assert solver.epoch == 4


def test_the_model_ends_with_the_best_validation_parameters(data):
    solver = solve(data, update_rule="sgd", optim_config={"learning_rate": 0.5}, num_epochs=8)
    assert solver.best_val_acc == max(solver.val_acc_history)
    for name, value in solver.best_params.items():
        assert np.array_equal(solver.model.params[name], value)
    assert solver.check_accuracy(data["X_val"], data["y_val"]) == solver.best_val_acc


def test_learning_rate_decays_once_per_epoch_for_every_parameter(data):
    solver = solve(
        data,
        update_rule="sgd_momentum",
        optim_config={"learning_rate": 0.1},
        lr_decay=0.5,
        num_epochs=3,
    )
    for config in solver.optim_configs.values():
        assert config["learning_rate"] == pytest.approx(0.1 * 0.5**3)
        assert config["velocity"].shape  # each parameter carries its own state


@pytest.mark.parametrize("rule", ["sgd", "sgd_momentum", "rmsprop", "adam"])
def test_every_update_rule_lowers_the_loss(data, rule):
    rates = {"sgd": 1.0, "sgd_momentum": 0.1, "rmsprop": 1e-2, "adam": 1e-2}
    solver = solve(
        data, update_rule=rule, optim_config={"learning_rate": rates[rule]}, num_epochs=40
    )
    first, last = np.mean(solver.loss_history[:3]), np.mean(solver.loss_history[-3:])
    assert last < 0.9 * first, (rule, first, last)


def test_a_function_of_ones_own_is_an_update_rule(data):
    calls = []

    def halving(w, dw, config=None):
        calls.append(w.shape)
        return w - 0.5 * dw, config or {}

    solver = solve(data, update_rule=halving, num_epochs=1)
    assert len(calls) == len(solver.loss_history) * 4  # W1, b1, W2, b2 at each step


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        (lambda w, dw, config=None: w - dw, "update_rule must return \\(next_w, config\\)"),
        (lambda w, dw, config=None: (w[:1], config), "next_w of the shape of params"),
    ],
)
def test_a_wrong_update_rule_is_named_and_changes_nothing(data, rule, words):
    model = Model()
    before = {k: v.copy() for k, v in model.params.items()}
    with pytest.raises((TypeError, ValueError), match=words):
        Solver(model, data, update_rule=rule, verbose=False, seed=0).train()
    assert all(np.array_equal(model.params[k], before[k]) for k in before)


def test_a_seed_makes_a_run_repeatable_and_data_is_not_changed(data):
    before = {k: v.copy() for k, v in data.items()}
    one, two = solve(data, update_rule="adam"), solve(data, update_rule="adam")
    assert one.loss_history == two.loss_history
    assert all(np.array_equal(data[k], before[k]) for k in data)


def test_checkpoints_hold_the_model_and_histories(data, tmp_path):
    name = str(tmp_path / "run")
    solver = solve(data, num_epochs=2, checkpoint_name=name)
    with open(f"{name}_epoch_2.pkl", "rb") as f:
        state = pickle.load(f)  # a file this test just wrote
    assert state["epoch"] == 2 and state["loss_history"] == solver.loss_history


def test_verbose_prints_cs231ns_lines(data, capsys):
    solve(data, num_epochs=1, verbose=True, print_every=2)
    out = capsys.readouterr().out
    assert "(iteration 1 / 3) loss" in out and "(epoch 1 / 1) train acc" in out


def test_a_progress_bar_appears_only_on_a_long_run(data, capsys, monkeypatch):
    solve(data, num_epochs=1)
    assert "step" not in capsys.readouterr().err  # under PROGRESS_DELAY: nothing
    monkeypatch.setattr(solver_module, "PROGRESS_DELAY", 0.0)
    solve(data, num_epochs=1)
    assert "/3 [" in capsys.readouterr().err  # tqdm's "k/3 [elapsed<remaining" (then cleared)
    solve(data, num_epochs=1, progress=False)
    assert "/3 [" not in capsys.readouterr().err


def test_divergence_stops_with_a_clear_message_and_nothing_half_updated(data):
    with pytest.raises(ValueError, match="training diverged"):
        solve(data, optim_config={"learning_rate": 1e300}, num_epochs=5)


def test_wrong_gradients_change_no_parameter(data):
    model = Model()
    before = {k: v.copy() for k, v in model.params.items()}

    def loss(X, y=None):
        if y is None:
            return model.net.loss(X)
        value, grads = model.net.loss(X, y)
        del grads["b2"]
        return value, grads

    model.loss = loss
    solver = Solver(model, data, verbose=False, seed=0)
    with pytest.raises(ValueError, match=r"grads\['b2'\] of shape \(3,\); got nothing"):
        solver.train()
    assert all(np.array_equal(model.params[k], before[k]) for k in before)


@pytest.mark.parametrize("rule", ["sgd", "sgd_momentum", "rmsprop", "adam"])
def test_a_named_rule_trains_exactly_as_its_checked_function_does(data, rule):
    # after the first step the Solver runs the rule's kernel; a wrapper has no kernel and is
    # called checked at every step: the two runs must agree to the last bit
    from backprop_core import optim

    options = {"update_rule": rule, "optim_config": {"learning_rate": 0.05}, "lr_decay": 0.9}
    fast = solve(data, **options)
    checked = solve(
        data, **{**options, "update_rule": lambda w, dw, c: optim.RULES[rule](w, dw, c)}
    )
    assert fast.kernel is optim.KERNELS[optim.RULES[rule]] and checked.kernel is None
    assert fast.loss_history == checked.loss_history
    for name in fast.model.params:
        assert np.array_equal(fast.model.params[name], checked.model.params[name])
        assert fast.optim_configs[name].keys() == checked.optim_configs[name].keys()


def test_an_unhashable_rule_of_ones_own_is_accepted(data):
    from backprop_core import optim

    class Rule:  # defines __eq__ without __hash__: not hashable
        def __eq__(self, other):
            return self is other

        def __call__(self, w, dw, config=None):
            return optim.sgd(w, dw, config)

    solver = solve(data, update_rule=Rule(), num_epochs=1)
    assert solver.kernel is None and len(solver.loss_history) == 3


@pytest.mark.parametrize("step", [1, 3])  # the checked rule runs the first step, kernels after
def test_a_non_finite_gradient_is_named_and_changes_nothing(data, step):
    model = Model()
    before = []

    def loss(X, y=None):
        if y is None:
            return model.net.loss(X)
        value, grads = model.net.loss(X, y)
        before.append({k: v.copy() for k, v in model.params.items()})
        if len(before) == step:
            grads["W2"][0, 0] = np.nan
        return value, grads

    model.loss = loss
    solver = Solver(model, data, update_rule="adam", verbose=False, seed=0)
    with pytest.raises(ValueError, match=r"grads\['W2'\] must be finite"):
        solver.train()
    assert len(before) == step
    assert all(np.array_equal(model.params[k], before[-1][k]) for k in model.params)


@pytest.mark.parametrize(
    ("change", "error", "words"),
    [
        ({"update_rule": "adamw"}, ValueError, "update_rule must be one of"),
        ({"optim_config": [1]}, TypeError, "optim_config must be a dict"),
        ({"lr_decay": 0}, ValueError, "lr_decay must be > 0"),
        ({"batch_size": 0}, ValueError, "batch_size must be >= 1"),
        ({"num_epochs": 2.5}, TypeError, "num_epochs must be an integer"),
        ({"num_train_samples": -1}, ValueError, "num_train_samples must be >= 1"),
        ({"checkpoint_name": 3}, TypeError, "checkpoint_name must be a str"),
        ({"verbose": "yes"}, TypeError, "verbose must be True or False"),
        ({"progress": None}, TypeError, "progress must be True or False"),
        ({"seed": -2}, ValueError, "seed must be >= 0"),
    ],
)
def test_bad_settings_are_refused_by_name(data, change, error, words):
    with pytest.raises(error, match=words):
        Solver(Model(), data, **change)


@pytest.mark.parametrize(
    ("change", "error", "words"),
    [
        ({"X_val": None}, ValueError, r"missing \['X_val'\]"),
        ({"y_train": np.zeros(5, int)}, ValueError, r"y_train.\] must have shape \(N,\) = \(90,\)"),
        ({"y_val": np.zeros(45)}, TypeError, r"data\['y_val'\] must hold integer class labels"),
        ({"y_val": -np.ones(45, int)}, ValueError, r"data\['y_val'\] must hold labels >= 0"),
        ({"X_train": np.zeros(90)}, ValueError, r"data\['X_train'\] must hold a batch"),
    ],
)
def test_bad_data_is_refused_by_name(data, change, error, words):
    data = {**data, **change}
    data = {k: v for k, v in data.items() if v is not None}
    with pytest.raises(error, match=words):
        Solver(Model(), data)


def test_a_model_without_params_or_loss_is_refused(data):
    with pytest.raises(TypeError, match="model must have params"):
        Solver(object(), data)


def test_unknown_optim_config_keys_of_a_named_rule_are_refused_before_training(data):
    with pytest.raises(ValueError, match=r"optim_config has keys sgd does not use: \['lr'\]"):
        Solver(Model(), data, update_rule="sgd", optim_config={"lr": 0.1})


def test_a_model_loss_of_the_wrong_form_is_named(data):
    model = Model()
    model.loss = lambda X, y=None: (1.0, 2.0, 3.0) if y is not None else model.net.loss(X)
    with pytest.raises(TypeError, match=r"model.loss\(X, y\) must return \(loss, grads\)"):
        Solver(model, data, verbose=False, seed=0).train()


def test_batch_norm_statistics_of_the_best_epoch_come_back_with_its_parameters():
    # test mode reads the running statistics: restoring the best epoch's weights without its
    # statistics would score them with another epoch's normalisation
    from backprop_core.models import FullyConnectedNet

    X, y = spiral(n_per_class=40)
    data = {"X_train": X, "y_train": y, "X_val": X[::3], "y_val": y[::3]}
    net = FullyConnectedNet([16], input_dim=2, num_classes=3, normalization="batchnorm", seed=0)
    seen = []
    solver = Solver(
        net,
        data,
        update_rule="adam",
        optim_config={"learning_rate": 0.3},
        num_epochs=6,
        batch_size=20,
        verbose=False,
        seed=0,
        progress=False,
    )
    record = solver.check_accuracy

    def check_accuracy(X, y, num_samples=None, batch_size=100):  # one per epoch and set
        accuracy = record(X, y, num_samples, batch_size)
        seen.append({k: net.bn_params[0][k].copy() for k in ("running_mean", "running_var")})
        return accuracy

    solver.check_accuracy = check_accuracy
    solver.train()
    best_epoch = solver.val_acc_history.index(solver.best_val_acc)
    assert best_epoch < len(solver.val_acc_history) - 1, "the best epoch should not be the last"
    expected = seen[2 * best_epoch + 1]  # the statistics when that epoch's val accuracy was taken
    for key, value in expected.items():
        assert np.array_equal(net.bn_params[0][key], value), key
    assert solver.check_accuracy(data["X_val"], data["y_val"]) == solver.best_val_acc
