"""cs231n's ``Solver``: minibatch training of any model with ``params`` and ``loss``.

The model needs what cs231n's models have: ``model.params``, a dict of float arrays, and
``model.loss(X, y=None)``, giving the scores (N, C) when ``y`` is None and ``(loss, grads)``
otherwise, ``grads`` keyed like ``params``. Each parameter keeps its own copy of ``optim_config``,
in which the update rule carries its state (a velocity, Adam's moments) from step to step.

Two differences from cs231n's, neither visible through its interface: randomness comes from a
``seed`` (cs231n's draws from NumPy's global state), and a progress bar (tqdm) appears on a run
that lasts more than two seconds. Minibatches are drawn with replacement, as cs231n's are.
"""

from __future__ import annotations

import copy
import math
import numbers
import pickle
from collections.abc import Callable, Mapping

import numpy as np

from . import optim
from ._checks import (
    as_count,
    as_float_array,
    as_labels,
    as_scalar,
    as_scores,
    as_seed,
    shape_got,
    shape_of,
)

DATA_KEYS = ("X_train", "y_train", "X_val", "y_val")
PROGRESS_DELAY = 2.0  # seconds before a progress bar appears: short runs print nothing
ACCURACY_BATCH = 500  # samples scored per call of model.loss when the accuracies are recorded
RUNNING = ("running_mean", "running_var")  # what batch norm's test mode reads from bn_params


def as_update_rule(rule) -> Callable:
    if callable(rule):
        return rule
    if isinstance(rule, str) and rule in optim.RULES:
        return optim.RULES[rule]
    raise ValueError(
        f"update_rule must be one of {sorted(optim.RULES)} or a function "
        f"rule(w, dw, config) -> (next_w, config); got {rule!r}"
    )


def as_data(data) -> dict:
    """The four arrays of ``data``, checked against each other (not copied: never changed)."""
    if not isinstance(data, Mapping):
        raise TypeError(f"data must be a dict with keys {DATA_KEYS}; got {type(data).__name__}")
    missing = [k for k in DATA_KEYS if k not in data]
    if missing:
        raise ValueError(f"data must have keys {DATA_KEYS}; missing {missing}")
    out = {}
    for split in ("train", "val"):
        X = as_float_array(data[f"X_{split}"], f"data['X_{split}']")
        if X.ndim < 2 or len(X) == 0:
            raise ValueError(
                f"data['X_{split}'] must hold a batch (N, ...) with N >= 1; got {X.shape}"
            )
        out[f"X_{split}"] = X
        out[f"y_{split}"] = as_labels(data[f"y_{split}"], f"data['y_{split}']", len(X), None)
    return out


def check_model(model) -> None:
    params = getattr(model, "params", None)
    if not isinstance(params, dict) or not params or not callable(getattr(model, "loss", None)):
        raise TypeError(
            "model must have params (a dict of arrays) and loss(X, y=None); "
            f"got {type(model).__name__}"
        )


class Solver:
    """Train ``model`` on ``data`` by minibatch steps of an update rule (cs231n's interface).

    Parameters
    ----------
    model : object
        With ``params`` and ``loss(X, y=None)`` (see the module's docstring).
    data : dict
        ``X_train`` (N, ...), ``y_train`` (N,), ``X_val``, ``y_val``.
    update_rule : str or callable, default "sgd"
        A name in :data:`backprop_core.optim.RULES` or ``rule(w, dw, config) -> (next_w, config)``.
    optim_config : dict, optional
        The rule's hyperparameters (``learning_rate``, ...); each parameter starts with a copy.
    lr_decay : float, default 1.0
        After each epoch every ``learning_rate`` is multiplied by it.
    batch_size : int, default 100
    num_epochs : int, default 10
    num_train_samples : int or None, default 1000
        How many training samples the accuracy after each epoch is measured on (None: all).
    num_val_samples : int or None, default None
        The same for the validation set (None: all).
    checkpoint_name : str or None
        If given, the model and histories are pickled to ``{checkpoint_name}_epoch_{e}.pkl``
        after each epoch.
    print_every : int, default 10
        With ``verbose``, the loss is printed every that many iterations.
    verbose : bool, default True
    seed : int or None
        Seeds the minibatch draws and the accuracy subsamples (not part of cs231n's interface).
    progress : bool, default True
        Show a progress bar once a run has lasted two seconds (not part of cs231n's interface;
        a notebook whose outputs are compared, as under nbval, passes False).

    After :meth:`train`: ``loss_history`` (one per iteration), ``train_acc_history`` and
    ``val_acc_history`` (before the first step and after each epoch), ``best_val_acc`` and
    ``best_params``, which the model is left holding. A model with batch norm (a ``bn_params``
    list, as ``FullyConnectedNet`` has) is also left with the running statistics of that best
    epoch, which its test mode uses with those parameters; cs231n's Solver keeps the last
    epoch's, which belong to other weights.

    >>> from backprop_core import TwoLayerNet, spiral
    >>> X, y = spiral(n_per_class=50)
    >>> net = TwoLayerNet(2, 50, 3, std=0.1, seed=0)
    >>> class Model:  # TwoLayerNet's loss with reg fixed, the form a Solver calls
    ...     params = net.params
    ...     def loss(self, X, y=None):
    ...         return net.loss(X, y, 1e-3)
    >>> solver = Solver(Model(), {"X_train": X, "y_train": y, "X_val": X, "y_val": y},
    ...                 update_rule="adam", optim_config={"learning_rate": 5e-2},
    ...                 num_epochs=30, batch_size=50, verbose=False, seed=0)
    >>> solver.train()
    >>> len(solver.loss_history), len(solver.val_acc_history), solver.best_val_acc > 0.85
    (90, 31, True)
    """

    def __init__(
        self,
        model,
        data,
        *,
        update_rule="sgd",
        optim_config=None,
        lr_decay=1.0,
        batch_size=100,
        num_epochs=10,
        num_train_samples=1000,
        num_val_samples=None,
        checkpoint_name=None,
        print_every=10,
        verbose=True,
        seed=None,
        progress=True,
    ):
        check_model(model)
        self.model = model
        data = as_data(data)
        self.X_train, self.y_train = data["X_train"], data["y_train"]
        self.X_val, self.y_val = data["X_val"], data["y_val"]
        self.update_rule = as_update_rule(update_rule)
        # a rule of backprop_core.optim runs checked on the first step, then as its kernel
        self.kernel = next(  # by identity: a rule of one's own need not be hashable
            (kernel for rule, kernel in optim.KERNELS.items() if rule is self.update_rule), None
        )
        if optim_config is not None and not isinstance(optim_config, Mapping):
            raise TypeError(f"optim_config must be a dict; got {type(optim_config).__name__}")
        self.optim_config = dict(optim_config or {})
        if isinstance(update_rule, str):  # a named rule knows its keys: say so before training
            known = optim.config_keys(update_rule)
            unknown = sorted(str(k) for k in self.optim_config if k not in known)
            if unknown:
                raise ValueError(
                    f"optim_config has keys {update_rule} does not use: {unknown}; "
                    f"it uses {sorted(optim.HYPERPARAMETERS[update_rule])}"
                )
        self.lr_decay = as_scalar(lr_decay, "lr_decay", positive=True)
        self.batch_size = as_count(batch_size, "batch_size")
        self.num_epochs = as_count(num_epochs, "num_epochs")
        self.num_train_samples = self._as_optional_count(num_train_samples, "num_train_samples")
        self.num_val_samples = self._as_optional_count(num_val_samples, "num_val_samples")
        if checkpoint_name is not None and not isinstance(checkpoint_name, str):
            raise TypeError(f"checkpoint_name must be a str or None; got {checkpoint_name!r}")
        self.checkpoint_name = checkpoint_name
        self.print_every = as_count(print_every, "print_every")
        if not isinstance(verbose, bool):
            raise TypeError(f"verbose must be True or False; got {verbose!r}")
        self.verbose = verbose
        if not isinstance(progress, bool):
            raise TypeError(f"progress must be True or False; got {progress!r}")
        self.progress = progress
        self.rng = np.random.default_rng(as_seed(seed))
        self._reset()

    @staticmethod
    def _as_optional_count(value, name):
        return None if value is None else as_count(value, name)

    def _reset(self):
        """Histories empty, best accuracy 0, one fresh copy of ``optim_config`` per parameter."""
        self.epoch = 0
        self.best_val_acc = 0.0
        self.best_params = {}
        self.best_statistics = []  # batch norm's running statistics at the best epoch
        self.loss_history, self.train_acc_history, self.val_acc_history = [], [], []
        self.optim_configs = {name: copy.deepcopy(self.optim_config) for name in self.model.params}
        self.kernel_ready = False  # the rule checks these configs on the first step

    def _step(self):
        """One update of every parameter from the gradient of a random minibatch."""
        # with replacement, as cs231n's np.random.choice(num_train, batch_size); the same stream
        batch = self.rng.integers(0, len(self.X_train), self.batch_size)
        with np.errstate(over="ignore", invalid="ignore"):  # a diverged run: one message, below
            result = self.model.loss(self.X_train[batch], self.y_train[batch])
        if not (isinstance(result, tuple) and len(result) == 2 and isinstance(result[1], dict)):
            raise TypeError(
                "model.loss(X, y) must return (loss, grads) with grads a dict; "
                f"got {type(result).__name__}"
            )
        loss, grads = result
        if isinstance(loss, bool) or not isinstance(loss, numbers.Real):
            raise TypeError(
                "model.loss(X, y) must return (loss, grads) with loss a real number; "
                f"got {type(loss).__name__}"
            )
        if not math.isfinite(loss):
            raise ValueError(
                f"the loss became {loss} at iteration {len(self.loss_history) + 1}: training "
                "diverged (try a smaller learning_rate)"
            )
        new = {name: self._update(name, w, grads) for name, w in self.model.params.items()}
        for name, (next_w, config) in new.items():  # only once every rule has succeeded
            self.model.params[name] = next_w
            self.optim_configs[name] = config
        self.kernel_ready = self.kernel is not None  # every config is now complete and checked
        self.loss_history.append(float(loss))

    def _update(self, name, w, grads):
        """``(next_w, config)`` for ``params[name]``: the rule's kernel on a gradient of the
        parameter's own dtype once the rule has checked the config, else the checked rule."""
        dw = grads.get(name)
        if shape_of(dw) != np.shape(w):
            raise ValueError(
                f"model.loss must return grads[{name!r}] of shape {w.shape}; got {shape_got(dw)}"
            )
        # numbers, all finite: refused here with one message, whichever path the step takes below
        dw = as_float_array(dw, f"grads[{name!r}]")
        config = self.optim_configs[name]
        if self.kernel_ready and type(w) is np.ndarray and dw.dtype == w.dtype:
            return self.kernel(w, dw, config)
        result = self.update_rule(w, dw, config)
        if not (isinstance(result, tuple) and len(result) == 2):
            raise TypeError(
                "update_rule must return (next_w, config); "
                f"for params[{name!r}] it returned {type(result).__name__}"
            )
        if shape_of(result[0]) != np.shape(w):
            raise ValueError(
                f"update_rule must return next_w of the shape of params[{name!r}] {w.shape}; "
                f"got {shape_got(result[0])}"
            )
        return result

    def check_accuracy(self, X, y, num_samples=None, batch_size=100):
        """Fraction of ``X`` (or of ``num_samples`` of it, drawn at random) classified as ``y``.

        Scores are computed ``batch_size`` samples at a time, so a large set fits in memory.
        """
        X = as_float_array(X, "X")
        y = as_labels(y, "y", len(X), None)
        batch_size = as_count(batch_size, "batch_size")
        if num_samples is not None and as_count(num_samples, "num_samples") < len(X):
            keep = self.rng.choice(len(X), num_samples, replace=False)
            X, y = X[keep], y[keep]
        predicted = []
        for start in range(0, len(X), batch_size):
            batch = X[start : start + batch_size]
            scores = as_scores(self.model.loss(batch), "model.loss(X)", len(batch))
            predicted.append(scores.argmax(axis=1))
        return float(np.mean(np.concatenate(predicted) == y))

    def _record_accuracy(self):
        # scored ACCURACY_BATCH samples at a time: the same accuracies as cs231n's 100 at a time,
        # in fewer calls of the model
        train = self.check_accuracy(
            self.X_train, self.y_train, self.num_train_samples, batch_size=ACCURACY_BATCH
        )
        val = self.check_accuracy(self.X_val, self.y_val, self.num_val_samples, ACCURACY_BATCH)
        self.train_acc_history.append(train)
        self.val_acc_history.append(val)
        if self.verbose:
            print(
                f"(epoch {self.epoch} / {self.num_epochs}) train acc {train:.3f}; val acc {val:.3f}"
            )
        if val > self.best_val_acc or not self.best_params:
            self.best_val_acc = val
            self.best_params = {k: v.copy() for k, v in self.model.params.items()}
            self.best_statistics = [
                {key: bn[key].copy() for key in RUNNING if key in bn} for bn in self._bn_params()
            ]

    def _bn_params(self):
        """The model's batch-norm settings, each a dict that may hold running statistics."""
        bn_params = getattr(self.model, "bn_params", None)
        if not isinstance(bn_params, list):
            return []
        return [bn for bn in bn_params if isinstance(bn, dict)]

    def _save_checkpoint(self):
        if self.checkpoint_name is None:
            return
        state = {
            "model": self.model,
            "update_rule": self.update_rule,
            "lr_decay": self.lr_decay,
            "optim_config": self.optim_config,
            "batch_size": self.batch_size,
            "num_train_samples": self.num_train_samples,
            "num_val_samples": self.num_val_samples,
            "epoch": self.epoch,
            "loss_history": self.loss_history,
            "train_acc_history": self.train_acc_history,
            "val_acc_history": self.val_acc_history,
        }
        path = f"{self.checkpoint_name}_epoch_{self.epoch}.pkl"
        try:
            with open(path, "wb") as f:
                pickle.dump(state, f)
        except (pickle.PicklingError, TypeError, AttributeError) as err:
            raise ValueError(f"checkpoint {path!r} could not be written: {err}") from None
        if self.verbose:
            print(f"saved checkpoint {path}")

    def train(self):
        """Run ``num_epochs`` epochs of ``max(N // batch_size, 1)`` steps each.

        The accuracies are measured before the first step and after each epoch; the learning
        rate of every parameter decays by ``lr_decay`` after each epoch. The model ends holding
        the parameters of the best validation accuracy (``best_params``).
        """
        from tqdm.auto import tqdm

        per_epoch = max(len(self.X_train) // self.batch_size, 1)
        total = self.num_epochs * per_epoch
        self._record_accuracy()
        bar = tqdm(
            total=total, delay=PROGRESS_DELAY, unit="step", leave=False, disable=not self.progress
        )
        with bar:
            for t in range(total):
                self._step()
                bar.update()
                if self.verbose and t % self.print_every == 0:
                    print(f"(iteration {t + 1} / {total}) loss {self.loss_history[-1]:.6f}")
                if (t + 1) % per_epoch == 0:
                    self.epoch += 1
                    for config in self.optim_configs.values():
                        if "learning_rate" in config:
                            config["learning_rate"] *= self.lr_decay
                    self._record_accuracy()
                    self._save_checkpoint()
        self.model.params.update(self.best_params)
        for bn, statistics in zip(self._bn_params(), self.best_statistics, strict=False):
            bn.update(statistics)


__all__ = ["Solver"]
