"""What a caller of :class:`~backprop_core.solver.Solver` relies on, stated with a tiny scripted
model that records every call it receives, so each test runs in milliseconds and every expected
value (step counts, accuracies, learning rates, the epoch at which parameters were kept) is
computed here, independently of the training loop.
"""

import pickle
from typing import ClassVar

import numpy as np
import pytest

from backprop_core import optim
from backprop_core.solver import Solver

C = 3  # classes


def dataset(n_train=6, n_val=5, seed=0):
    """Data whose first feature is the sample's index, so a batch says which samples it holds."""
    rng = np.random.default_rng(seed)
    X_train, X_val = rng.standard_normal((n_train, C)), rng.standard_normal((n_val, C))
    X_train[:, 0], X_val[:, 0] = np.arange(n_train), np.arange(n_val)
    return {
        "X_train": X_train,
        "y_train": rng.integers(0, C, n_train),
        "X_val": X_val,
        "y_val": rng.integers(0, C, n_val),
    }


class Scripted:
    """A model whose scores are ``X @ W`` and whose gradient is always ``g``; it records calls.

    ``calls`` holds ("score", X) for a call without labels and ("train", X) for one with them;
    the loss of the k-th training call is ``k`` unless ``losses`` says otherwise.
    """

    def __init__(self, W=None, g=None, losses=None):
        self.params = {"W": np.eye(C) if W is None else W}
        self.g = np.ones((C, C)) if g is None else g
        self.losses = losses
        self.calls = []
        self.scored_with = []  # params["W"] at each call without labels

    def loss(self, X, y=None):
        if y is None:
            self.calls.append(("score", X.copy()))
            self.scored_with.append(self.params["W"].copy())
            return X @ self.params["W"]
        self.calls.append(("train", X.copy()))
        k = sum(kind == "train" for kind, _ in self.calls)
        value = float(k) if self.losses is None else self.losses[k - 1]
        return value, {"W": self.g.copy()}

    def kinds(self):
        return [kind for kind, _ in self.calls]


def solver_for(model=None, data=None, **kwargs):
    options = {"verbose": False, "seed": 0, "progress": False, "batch_size": 2, **kwargs}
    return Solver(model or Scripted(), data or dataset(), **options)


def accuracy(X, y, W):
    return float(np.mean(np.argmax(X @ W, axis=1) == y))


# ---------------------------------------------------------------------------------- counts


@pytest.mark.parametrize(
    ("n_train", "batch_size", "per_epoch"), [(6, 2, 3), (4, 4, 1), (3, 5, 1), (7, 3, 2)]
)
def test_an_epoch_is_n_over_batch_size_steps_at_least_one(n_train, batch_size, per_epoch):
    """Each epoch takes max(N // batch_size, 1) steps; the accuracies are measured (one scoring
    call per set) before the first step and after every epoch's last step."""
    model = Scripted()
    solver = solver_for(model, dataset(n_train=n_train), batch_size=batch_size, num_epochs=3)
    solver.train()
    epoch = ["train"] * per_epoch + ["score", "score"]
    assert model.kinds() == ["score", "score"] + 3 * epoch
    assert len(solver.loss_history) == 3 * per_epoch
    assert solver.loss_history == [float(k) for k in range(1, 3 * per_epoch + 1)]
    assert solver.epoch == 3
    assert all(len(X) == batch_size for kind, X in model.calls if kind == "train")


def test_minibatches_are_drawn_with_replacement_from_every_training_sample():
    """Every index, the first one included, can be drawn, and nothing outside the set is."""
    model = Scripted()
    solver_for(model, dataset(n_train=3), batch_size=3, num_epochs=20).train()
    drawn = np.concatenate([X[:, 0] for kind, X in model.calls if kind == "train"])
    assert set(drawn.astype(int)) == {0, 1, 2}


def test_a_one_sample_training_set_is_accepted():
    """A batch of a single sample is a batch: N = 1 trains one step per epoch."""
    model = Scripted()
    solver = solver_for(model, dataset(n_train=1, n_val=1), num_epochs=2)
    solver.train()
    assert len(solver.loss_history) == 2


# ------------------------------------------------------------------------------ accuracies


def test_the_recorded_accuracies_are_the_fractions_classified_correctly():
    """train_acc_history and val_acc_history hold argmax(scores) == y over each whole set."""
    data = dataset(n_train=8, n_val=7)
    W = np.random.default_rng(3).standard_normal((C, C))
    model = Scripted(W=W, g=np.zeros((C, C)))  # parameters stay put: every epoch scores alike
    solver = solver_for(model, data, num_epochs=2, num_train_samples=None)
    solver.train()
    train, val = (
        accuracy(data["X_train"], data["y_train"], W),
        accuracy(data["X_val"], data["y_val"], W),
    )
    assert solver.train_acc_history == [train] * 3
    assert solver.val_acc_history == [val] * 3


def test_the_accuracies_are_measured_on_num_train_samples_and_num_val_samples():
    """Each epoch scores num_train_samples training and num_val_samples validation samples."""
    model = Scripted()
    data = dataset(n_train=6, n_val=5)
    solver_for(model, data, num_epochs=1, num_train_samples=4, num_val_samples=3).train()
    sizes = [len(X) for kind, X in model.calls if kind == "score"]
    assert sizes == [4, 3, 4, 3]


def test_the_accuracies_of_an_epoch_score_500_samples_per_call_of_the_model():
    """Recording the accuracies scores up to 500 samples per call, not check_accuracy's 100."""
    model = Scripted()
    data = dataset(n_train=130, n_val=110)
    solver = solver_for(model, data, batch_size=200, num_epochs=1, num_train_samples=120)
    solver.train()
    sizes = [len(X) for kind, X in model.calls if kind == "score"]
    assert sizes == [120, 110, 120, 110]


def test_check_accuracy_scores_100_samples_per_call_by_default():
    """cs231n's batch_size=100: 150 samples are scored in calls of 100 and 50, in order."""
    model = Scripted()
    data = dataset(n_train=150)
    solver = solver_for(model, data)
    solver.check_accuracy(data["X_train"], data["y_train"])
    assert [len(X) for _, X in model.calls] == [100, 50]
    assert np.array_equal(np.concatenate([X for _, X in model.calls]), data["X_train"])


@pytest.mark.parametrize("num_samples", [None, 20, 25])
def test_check_accuracy_on_at_least_the_whole_set_scores_every_sample_in_order(num_samples):
    """num_samples >= len(X) (or None) draws no subsample: the set is scored as it is."""
    model = Scripted()
    data = dataset(n_train=20)
    solver = solver_for(model, data)
    solver.check_accuracy(data["X_train"], data["y_train"], num_samples)
    ((kind, X),) = model.calls
    assert kind == "score"
    assert np.array_equal(X, data["X_train"])


def test_check_accuracy_on_a_subsample_scores_that_many_distinct_samples():
    """num_samples < len(X) scores num_samples different samples, drawn without replacement,
    and the accuracy is measured on them with their own labels."""
    data = dataset(n_train=20)
    W = np.random.default_rng(4).standard_normal((C, C))
    model = Scripted(W=W)
    solver = solver_for(model, data)
    for _ in range(10):
        model.calls.clear()
        got = solver.check_accuracy(data["X_train"], data["y_train"], num_samples=15)
        ((kind, X),) = model.calls
        assert kind == "score"
        index = X[:, 0].astype(int)
        assert X.shape == (15, C) and len(set(index)) == 15
        assert np.array_equal(X, data["X_train"][index])
        assert got == accuracy(X, data["y_train"][index], W)


@pytest.mark.parametrize(
    ("change", "error", "words"),
    [
        ({"X": np.array([["a", "b", "c"]])}, TypeError, r"^X must be a numeric array"),
        ({"y": np.zeros(4)}, TypeError, r"^y must hold integer class labels"),
        ({"y": np.zeros(5, int)}, ValueError, r"^y must have shape"),
        ({"batch_size": 0}, ValueError, r"^batch_size must be >= 1"),
        ({"num_samples": 0}, ValueError, r"^num_samples must be >= 1"),
    ],
)
def test_check_accuracy_refuses_bad_arguments_by_name(change, error, words):
    """A wrong X, y, batch_size or num_samples is refused with a message that starts with its
    name."""
    data = dataset(n_train=4)
    arguments = {"X": data["X_train"], "y": data["y_train"], **change}
    with pytest.raises(error, match=words):
        solver_for(Scripted(), data).check_accuracy(**arguments)


# ------------------------------------------------------------------------- best parameters


def peaked():
    """Data, W0 and g such that, one step per epoch at learning rate 1, the val accuracy rises
    to its maximum at epoch 1 and then stays there (ties)."""
    data = dataset(n_train=4, n_val=6)
    data["X_val"][:, 1:] = 0.0  # scores of sample i: i * W[0] (column 0 is the index)
    data["y_val"] = np.zeros(6, int)
    W0 = np.zeros((C, C))
    W0[0, 0] = -1.0  # class 0 wins on sample 0 only (a tie of zeros): 1/6
    g = np.zeros((C, C))
    g[0, 0] = -1.0  # W[0, 0] = 0 after epoch 1 (all ties: 6/6), then 1, 2, ... (6/6)
    return data, W0, g


def test_the_best_validation_accuracy_keeps_its_parameters_and_a_tie_keeps_the_earlier():
    """The model ends with the parameters of the epoch of the highest val accuracy; a later
    epoch that only equals it does not replace them."""
    data, W0, g = peaked()
    model = Scripted(W=W0.copy(), g=g)
    solver = solver_for(
        model, data, batch_size=4, num_epochs=4, optim_config={"learning_rate": 1.0}
    )
    solver.train()
    expected = [accuracy(data["X_val"], data["y_val"], W0 - e * g) for e in range(5)]
    assert solver.val_acc_history == expected
    best = expected.index(max(expected))  # the first epoch reaching the maximum
    assert best == 1 and expected.count(max(expected)) == 4, "the test needs later ties"
    assert solver.best_val_acc == max(expected)
    assert np.array_equal(model.params["W"], W0 - best * g)
    assert np.array_equal(solver.best_params["W"], W0 - best * g)


class ScriptedBatchNorm(Scripted):
    """Scripted with batch norm's settings: running_mean holds the number of steps taken."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.bn_params = [{"mode": "train", "running_mean": np.zeros(C)}, "not a dict"]

    def loss(self, X, y=None):
        if y is not None:
            self.bn_params[0]["running_mean"] = self.bn_params[0]["running_mean"] + 1.0
        return super().loss(X, y)


def test_the_batch_norm_statistics_of_the_best_epoch_come_back_with_its_parameters():
    """The model ends with the running statistics it had when the best epoch was scored."""
    data, W0, g = peaked()
    model = ScriptedBatchNorm(W=W0.copy(), g=g)
    solver = solver_for(
        model, data, batch_size=4, num_epochs=4, optim_config={"learning_rate": 1.0}
    )
    solver.train()
    assert np.array_equal(model.params["W"], W0 - g)  # the best epoch is epoch 1
    assert np.array_equal(model.bn_params[0]["running_mean"], np.ones(C))  # after its one step
    assert model.bn_params[0]["mode"] == "train" and model.bn_params[1] == "not a dict"


def test_a_new_solver_starts_with_empty_histories_and_nothing_kept():
    """Before train(): epoch 0, no histories, best_val_acc 0, no best parameters or statistics,
    each parameter with its own copy of optim_config, no step run."""
    solver = solver_for(optim_config={"learning_rate": 0.5})
    assert solver.epoch == 0
    assert solver.loss_history == solver.train_acc_history == solver.val_acc_history == []
    assert solver.best_val_acc == 0.0 and isinstance(solver.best_val_acc, float)
    assert solver.best_params == {} and solver.best_statistics == []
    assert solver.optim_configs == {"W": {"learning_rate": 0.5}}
    assert solver.kernel_ready is False


def test_each_parameter_gets_its_own_copy_of_the_state_in_optim_config():
    """An array given in optim_config (a starting velocity) is copied for every parameter: the
    caller changing it afterwards changes nothing the Solver does."""
    velocity = np.full((C, C), 2.0)
    g = np.ones((C, C))
    model = Scripted(W=np.zeros((C, C)), g=g)
    config = {"learning_rate": 0.1, "momentum": 0.5, "velocity": velocity}
    solver = solver_for(
        model, dataset(n_train=2), update_rule="sgd_momentum", optim_config=config, num_epochs=1
    )
    velocity[...] = 100.0
    solver.train()
    expected = np.zeros((C, C)) + (0.5 * 2.0 - 0.1 * g)  # one step
    assert np.array_equal(model.scored_with[-1], expected)


def test_a_batch_norm_setting_added_after_the_best_epoch_is_left_as_it_is():
    """Only settings the best epoch had get its statistics back; one a model adds later (a layer
    built lazily) keeps its own, and training finishes."""
    data, W0, g = peaked()
    model = ScriptedBatchNorm(W=W0.copy(), g=g)
    late = {"mode": "train", "running_mean": np.full(C, 7.0)}
    base_loss = model.loss

    def loss(X, y=None):
        if y is not None and len(model.loss_calls) == 1:  # the second step, after epoch 1
            model.bn_params.append(late)
        if y is not None:
            model.loss_calls.append(1)
        return base_loss(X, y)

    model.loss_calls = []
    model.loss = loss
    solver_for(model, data, batch_size=4, num_epochs=3, optim_config={"learning_rate": 1.0}).train()
    assert np.array_equal(model.bn_params[0]["running_mean"], np.ones(C))
    assert model.bn_params[2] is late and np.array_equal(late["running_mean"], np.full(C, 7.0))


# ------------------------------------------------------------------------------- lr decay


@pytest.mark.parametrize("decay", [0.5, 2.0])
def test_the_learning_rate_is_multiplied_by_lr_decay_after_each_epoch(decay):
    """The k-th epoch (from 0) steps with learning_rate * lr_decay**k, at every step of it."""
    seen = []

    def rule(w, dw, config):
        seen.append(config["learning_rate"])
        return w - config["learning_rate"] * dw, config

    solver = solver_for(
        data=dataset(n_train=4),
        update_rule=rule,
        optim_config={"learning_rate": 0.25},
        lr_decay=decay,
        num_epochs=3,
    )
    solver.train()
    assert seen == [0.25, 0.25, 0.25 * decay, 0.25 * decay, 0.25 * decay**2, 0.25 * decay**2]
    assert solver.optim_configs["W"]["learning_rate"] == 0.25 * decay**3


def test_a_config_without_a_learning_rate_is_left_alone_by_lr_decay():
    """lr_decay touches only configs holding a learning_rate: a rule of one's own without one
    trains and keeps its config as it returns it."""

    def rule(w, dw, config):
        return w - dw, {"steps": config.get("steps", 0) + 1}

    solver = solver_for(data=dataset(n_train=4), update_rule=rule, lr_decay=0.5, num_epochs=2)
    solver.train()
    assert solver.optim_configs == {"W": {"steps": 4}}


# ---------------------------------------------------------------------------- checkpoints


def test_a_checkpoint_per_epoch_holds_the_model_settings_and_histories(tmp_path):
    """After epoch e, {checkpoint_name}_epoch_{e}.pkl holds cs231n's eleven entries."""
    name = str(tmp_path / "run")
    solver = solver_for(
        data=dataset(n_train=4),
        checkpoint_name=name,
        num_epochs=2,
        lr_decay=0.5,
        optim_config={"learning_rate": 0.1},
        num_train_samples=3,
        num_val_samples=2,
    )
    solver.train()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run_epoch_1.pkl", "run_epoch_2.pkl"]
    for epoch in (1, 2):
        with open(f"{name}_epoch_{epoch}.pkl", "rb") as f:
            state = pickle.load(f)  # a file this test just wrote
        assert set(state) == {
            "model", "update_rule", "lr_decay", "optim_config", "batch_size",
            "num_train_samples", "num_val_samples", "epoch", "loss_history",
            "train_acc_history", "val_acc_history",
        }  # fmt: skip
        assert isinstance(state["model"], Scripted) and state["update_rule"] is optim.sgd
        assert state["lr_decay"] == 0.5 and state["optim_config"] == {"learning_rate": 0.1}
        assert state["batch_size"] == 2 and state["epoch"] == epoch
        assert state["num_train_samples"] == 3 and state["num_val_samples"] == 2
        assert state["loss_history"] == solver.loss_history[: 2 * epoch]
        assert state["train_acc_history"] == solver.train_acc_history[: epoch + 1]
        assert state["val_acc_history"] == solver.val_acc_history[: epoch + 1]


def test_a_checkpoint_is_announced_when_verbose(tmp_path, capsys):
    """With verbose, each checkpoint written is announced with its path."""
    name = str(tmp_path / "run")
    solver_for(data=dataset(n_train=2), checkpoint_name=name, num_epochs=1, verbose=True).train()
    assert f"saved checkpoint {name}_epoch_1.pkl\n" in capsys.readouterr().out


def test_a_model_that_cannot_be_pickled_is_named_in_a_checkpoint_error(tmp_path):
    """A checkpoint that cannot be pickled is refused with a ValueError naming its file."""
    model = Scripted()
    model.hook = lambda: None  # a lambda cannot be pickled
    name = str(tmp_path / "run")
    with pytest.raises(ValueError, match=r"^checkpoint '.*run_epoch_1\.pkl' could not be written"):
        solver_for(model, dataset(n_train=2), checkpoint_name=name, num_epochs=1).train()


# ------------------------------------------------------------------------------ printing


def test_verbose_prints_every_print_every_iterations_with_that_steps_loss(capsys):
    """Iterations 1, 1 + print_every, ... are printed with their own loss; quiet prints none."""
    losses = [0.5, 0.25, 0.125, 0.0625, 0.03125, 0.015625]
    solver_for(Scripted(losses=losses), num_epochs=2, verbose=True, print_every=2).train()
    lines = [x for x in capsys.readouterr().out.splitlines() if x.startswith("(iteration")]
    assert lines == [f"(iteration {t + 1} / 6) loss {losses[t]:.6f}" for t in (0, 2, 4)]
    solver_for(Scripted(losses=losses), num_epochs=2, print_every=2).train()
    assert capsys.readouterr().out == ""


def test_verbose_prints_each_epochs_accuracies(capsys):
    """With verbose, cs231n's line of train and val accuracy is printed before training and after
    each epoch."""
    solver = solver_for(num_epochs=2, verbose=True, print_every=100)
    solver.train()
    lines = [x for x in capsys.readouterr().out.splitlines() if x.startswith("(epoch")]
    t, v = solver.train_acc_history, solver.val_acc_history
    assert lines == [f"(epoch {e} / 2) train acc {t[e]:.3f}; val acc {v[e]:.3f}" for e in range(3)]


class Bar:
    """A stand-in for tqdm that records how it was made and how often it was advanced."""

    made: ClassVar[list] = []

    def __init__(self, **kwargs):
        self.kwargs, self.updates = kwargs, 0
        Bar.made.append(self)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def update(self):
        self.updates += 1


@pytest.mark.parametrize("progress", [True, False])
def test_the_progress_bar_counts_steps_appears_after_two_seconds_and_leaves_nothing(
    progress, monkeypatch
):
    """The bar counts every step of the run, waits two seconds before it appears, is cleared at the
    end and is off with progress=False."""
    import tqdm.auto

    monkeypatch.setattr(tqdm.auto, "tqdm", Bar)
    Bar.made = []
    solver_for(num_epochs=2, progress=progress).train()
    (bar,) = Bar.made
    assert bar.kwargs == {
        "total": 6, "delay": 2.0, "unit": "step", "leave": False, "disable": not progress
    }  # fmt: skip
    assert bar.updates == 6


# -------------------------------------------------------------------------- update paths


def test_a_named_rule_checks_its_config_on_the_first_step_then_runs_its_kernel(monkeypatch):
    """The checked rule runs the first step; later steps call the rule's kernel directly."""
    kernel_calls = []

    def kernel(w, dw, config):
        kernel_calls.append(w.dtype)
        return optim.sgd_kernel(w, dw, config)

    monkeypatch.setitem(optim.KERNELS, optim.sgd, kernel)
    solver = solver_for(num_epochs=2)  # 6 steps
    solver.train()
    assert kernel_calls == [np.dtype(np.float64)] * 5


def test_float32_parameters_stay_float32_when_the_gradients_are_float64():
    """A float64 gradient of a float32 parameter steps it as float32 at every step."""
    model = Scripted(W=np.eye(C, dtype=np.float32))
    solver_for(model, num_epochs=2).train()
    last = model.scored_with[-1]  # after the last step
    assert last.dtype == np.float32
    assert np.allclose(last, np.eye(C) - 6 * 0.01 * np.ones((C, C)))


# ------------------------------------------------------------------------ refusals by name


def test_a_loss_whose_grads_are_not_a_dict_is_named():
    """A model.loss not returning a (loss, dict) pair is refused with a message naming model.loss
    and what arrived."""
    model = Scripted()
    model.loss = lambda X, y=None: X if y is None else (1.0, [np.ones((C, C))])
    with pytest.raises(TypeError, match=r"^model\.loss\(X, y\) must return \(loss, grads\)"):
        solver_for(model).train()
    model.loss = lambda X, y=None: X if y is None else [1.0, {"W": np.ones((C, C))}]
    with pytest.raises(TypeError, match=r"with grads a dict; got list$"):
        solver_for(model).train()


def test_a_non_finite_loss_names_its_iteration():
    """A NaN loss stops training with a message naming the iteration (counted from 1) it appeared
    at."""
    model = Scripted(losses=[1.0, 2.0, float("nan")])
    with pytest.raises(ValueError, match=r"^the loss became nan at iteration 3: training diverged"):
        solver_for(model).train()


def test_a_gradient_of_the_wrong_shape_is_named_with_both_shapes():
    """A gradient of the wrong shape is refused by the Solver, naming the parameter, its shape and
    the gradient's."""
    model = Scripted(g=np.ones((C, 2)))
    with pytest.raises(
        ValueError,
        match=r"^model\.loss must return grads\['W'\] of shape \(3, 3\); got shape \(3, 2\)$",
    ):
        solver_for(model).train()


class Returns(Scripted):
    """Scripted, except that a call without labels returns ``scores`` and one with labels
    returns ``(loss, its gradient)``."""

    def __init__(self, loss=1.0, scores=None):
        super().__init__()
        self.fixed_loss, self.scores = loss, scores

    def loss(self, X, y=None):
        if y is None:
            return X @ self.params["W"] if self.scores is None else self.scores
        return self.fixed_loss, {"W": self.g.copy()}


@pytest.mark.parametrize(
    ("loss", "message"),
    [
        (
            [1.0],
            r"^model\.loss\(X, y\) must return \(loss, grads\) with loss a real number; got list$",
        ),
        (
            "1.0",
            r"^model\.loss\(X, y\) must return \(loss, grads\) with loss a real number; got str$",
        ),
        (
            True,
            r"^model\.loss\(X, y\) must return \(loss, grads\) with loss a real number; got bool$",
        ),
    ],
    ids=["list", "str", "bool"],
)
def test_a_loss_that_is_no_real_number_is_named_by_the_solver(loss, message):
    """The loss a model returns must be a real number; what arrived instead is named."""
    with pytest.raises(TypeError, match=message):
        solver_for(Returns(loss=loss)).train()


@pytest.mark.parametrize(
    ("scores", "error", "message"),
    [
        (
            [[1.0], [1.0, 2.0]],
            ValueError,
            r"^model\.loss\(X\) must be a rectangular numeric array; ",
        ),
        (np.ones(3), ValueError, r"^model\.loss\(X\) must be 2-dimensional; got shape \(3,\)$"),
        (
            np.ones((1, C)),
            ValueError,
            r"^model\.loss\(X\) must have shape \(N, C\) = \(5, \?\) for the 5 samples scored; "
            r"got \(1, 3\)$",
        ),
        ("abc", TypeError, r"^model\.loss\(X\) must be a numeric array; got str 'abc'$"),
    ],
    ids=["ragged", "1-D", "too few rows", "text"],
)
def test_scores_that_are_no_n_by_c_array_are_named_by_check_accuracy(scores, error, message):
    """check_accuracy takes the argmax of what model.loss(X) returns: it must be an (N, C) array
    of numbers, one row per sample scored, or the Solver says what arrived."""
    solver = solver_for(Returns(scores=scores))
    X, y = dataset()["X_val"], dataset()["y_val"]
    with pytest.raises(error, match=message):
        solver.check_accuracy(X, y)


def test_a_ragged_gradient_or_next_w_is_refused_by_the_solver_not_by_numpy():
    """A model's gradient, or an update rule's next_w, given as a ragged list has no shape: the
    Solver says so instead of letting NumPy fail on it."""
    ragged = [[1.0, 2.0, 3.0], [1.0]]
    with pytest.raises(
        ValueError,
        match=r"^model\.loss must return grads\['W'\] of shape \(3, 3\); got a ragged list$",
    ):
        solver_for(Scripted(g=ragged)).train()
    with pytest.raises(
        ValueError,
        match=r"^update_rule must return next_w of the shape of params\['W'\] \(3, 3\); "
        r"got a ragged list$",
    ):
        solver_for(update_rule=lambda w, dw, c: (ragged, c)).train()


def test_a_rule_returning_the_wrong_form_or_shape_is_named():
    """An update rule returning no (next_w, config) pair, or a next_w of another shape, is named
    with what it returned."""
    with pytest.raises(
        TypeError, match=r"^update_rule must return \(next_w, config\); .* it returned ndarray$"
    ):
        solver_for(update_rule=lambda w, dw, c: w - dw).train()
    with pytest.raises(ValueError, match=r"params\['W'\] \(3, 3\); got shape \(1, 3\)$"):
        solver_for(update_rule=lambda w, dw, c: (w[:1], c)).train()


def test_a_rule_of_ones_own_is_accepted_and_called_for_every_parameter_at_every_step():
    """A function rule(w, dw, config) is an update rule, called once per parameter per step."""
    calls = []

    def rule(w, dw, config):
        calls.append(w.shape)
        return w, config

    solver_for(update_rule=rule, num_epochs=1).train()
    assert calls == [(C, C)] * 3


@pytest.mark.parametrize(
    ("data", "error", "words"),
    [
        ([1, 2], TypeError, r"^data must be a dict with keys .*; got list$"),
        ({**dataset(), "X_train": np.array([["a"] * C] * 6)}, TypeError, r"^data\['X_train'\]"),
        ({**dataset(), "X_val": np.array([["a"] * C] * 5)}, TypeError, r"^data\['X_val'\]"),
    ],
)
def test_bad_data_is_refused_by_name(data, error, words):
    """data that is not a dict, or holds non-numeric X, is refused with a message naming it."""
    with pytest.raises(error, match=words):
        Solver(Scripted(), data)


def test_the_defaults_are_cs231ns(capsys):
    """Left out, the settings are cs231n's: batches of 100, 10 epochs, the training accuracy
    measured on 1000 samples, and verbose printing every 10 iterations."""
    model = Scripted(g=np.zeros((C, C)))
    data = dataset(n_train=1001, n_val=5)
    Solver(model, data, seed=0, progress=False).train()
    per_epoch = 1001 // 100
    total = 10 * per_epoch
    batches = [len(X) for kind, X in model.calls if kind == "train"]
    assert batches == [100] * total
    scored = [len(X) for kind, X in model.calls if kind == "score"]
    recordings, part = [], []  # each recording scores 1000 of the 1001 training samples, then
    for n in scored:  # all 5 validation ones, in calls of whatever size the Solver picks
        part.append(n)
        if sum(part) == 1005:
            recordings.append(part)
            part = []
    assert part == [] and len(recordings) == 11
    assert all(np.cumsum(r).tolist().count(1000) == 1 for r in recordings)
    out = capsys.readouterr().out.splitlines()
    iterations = [x.split(")")[0] for x in out if x.startswith("(iteration")]
    assert iterations == [f"(iteration {t + 1} / {total}" for t in range(0, total, 10)]
    assert sum(x.startswith("(epoch") for x in out) == 11


class NoLoss:
    params: ClassVar[dict] = {"W": np.eye(C)}


class LossNotCallable(NoLoss):
    loss = "cross-entropy"


class EmptyParams:
    params: ClassVar[dict] = {}

    def loss(self, X, y=None):
        return X


class ParamsList(EmptyParams):
    params: ClassVar[list] = [np.eye(C)]


@pytest.mark.parametrize("model", [NoLoss(), LossNotCallable(), EmptyParams(), ParamsList()])
def test_a_model_without_a_dict_of_params_and_a_callable_loss_is_refused_by_its_type(model):
    """A model needs both a non-empty params dict and a callable loss; lacking either, it is
    refused with a TypeError saying what a model must have and naming the model's type."""
    name = type(model).__name__
    with pytest.raises(
        TypeError,
        match=rf"^model must have params \(a dict of arrays\) and loss\(X, y=None\); got {name}$",
    ):
        Solver(model, dataset())


@pytest.mark.parametrize(
    ("change", "error", "words"),
    [
        ({"optim_config": [1]}, TypeError, r"^optim_config must be a dict; got list$"),
        ({"num_val_samples": 0}, ValueError, r"^num_val_samples must be >= 1; got 0$"),
        ({"num_val_samples": 2.5}, TypeError, r"^num_val_samples must be an integer"),
        ({"print_every": 0}, ValueError, r"^print_every must be >= 1; got 0$"),
        ({"print_every": "10"}, TypeError, r"^print_every must be an integer"),
    ],
)
def test_bad_settings_are_refused_with_a_message_that_starts_with_their_name(change, error, words):
    """optim_config that is not a dict is named with its type; num_val_samples and print_every
    that are not counts >= 1 are named with what arrived."""
    with pytest.raises(error, match=words):
        Solver(Scripted(), dataset(), **change)
