"""Minibatch stochastic gradient descent: the training loop of :meth:`TwoLayerNet.train`.

The loop knows nothing of the model: it takes a loss function in cs231n's form, ``loss(X, y=None,
reg=0.0)`` giving the scores (N, C) when ``y`` is None and ``(loss, grads)`` otherwise, and the
dict of parameters that ``grads`` is keyed like, which it updates in place. Each epoch visits the
training set once in a fresh random order, in ``ceil(N / batch_size)`` minibatches, the last
possibly smaller; after each epoch the accuracies are recorded and the learning rate decays, as in
the cs231n assignment.
"""

from __future__ import annotations

import math

import numpy as np

from ._checks import as_count, as_scalar, as_scores, as_seed, check_updatable, shape_got, shape_of


def sgd(
    loss,
    params,
    X,
    y,
    X_val,
    y_val,
    *,
    rng=None,
    learning_rate=1e-3,
    learning_rate_decay=0.95,
    reg=0.0,
    num_iters=100,
    batch_size=200,
    verbose=False,
):
    """Train ``params`` in place by minibatch SGD on ``loss``; returns the histories.

    Parameters
    ----------
    loss : callable
        ``loss(X_batch, y_batch, reg) -> (loss, grads)`` and ``loss(X) -> scores`` (N, C).
    params : dict of ndarray
        Updated in place: ``params[name] -= learning_rate * grads[name]``.
    X, y, X_val, y_val : ndarray
        Training and validation data, (N, D) and (N,), already checked by the caller.
    rng : numpy Generator, int or None
        Source of each epoch's order.

    Returns
    -------
    dict
        ``loss_history`` (one entry per iteration), ``train_acc_history`` (accuracy on each
        epoch's last minibatch) and ``val_acc_history`` (on the validation set, each epoch).

    >>> from backprop_core import TwoLayerNet, spiral
    >>> X, y = spiral(n_per_class=20)
    >>> net = TwoLayerNet(2, 10, 3, std=0.1, seed=0)
    >>> history = sgd(net.loss, net.params, X, y, X, y, rng=0, learning_rate=0.5, num_iters=6,
    ...               batch_size=30)
    >>> len(history["loss_history"]), len(history["val_acc_history"])
    (6, 3)
    """
    if not callable(loss):
        raise TypeError(f"loss must be a function loss(X, y, reg); got {type(loss).__name__}")
    _check_updatable(params)
    rng = np.random.default_rng(as_seed(rng, "rng"))
    learning_rate = as_scalar(learning_rate, "learning_rate", positive=True)
    decay = as_scalar(learning_rate_decay, "learning_rate_decay", positive=True)
    reg = as_scalar(reg, "reg", minimum=0.0)
    num_iters = as_count(num_iters, "num_iters")
    n = len(X)
    batch_size = min(as_count(batch_size, "batch_size"), n)
    per_epoch = math.ceil(n / batch_size)
    history = {"loss_history": [], "train_acc_history": [], "val_acc_history": []}
    for it in range(num_iters):
        step = it % per_epoch
        if step == 0 and per_epoch > 1:  # a full batch needs no shuffle: order is irrelevant
            order = rng.permutation(n)
            X_epoch, y_epoch = X[order], y[order]
        elif it == 0:
            X_epoch, y_epoch = X, y
        batch = slice(step * batch_size, (step + 1) * batch_size)
        X_batch, y_batch = X_epoch[batch], y_epoch[batch]
        value, grads = loss(X_batch, y_batch, reg)
        _check_grads(grads, params)  # before any parameter changes
        epoch_ends = step == per_epoch - 1
        if epoch_ends:  # the minibatch's accuracy before this step's update, as cs231n records it
            history["train_acc_history"].append(_accuracy(loss(X_batch), y_batch))
        for name, param in params.items():
            # a new array for the step: the loss's gradient arrays are the loss's, and one may even
            # be the parameter itself (the gradient of |w|^2 / 2 is w)
            param -= learning_rate * grads[name]
        history["loss_history"].append(value)
        if verbose and it % 100 == 0:
            print(f"iteration {it} / {num_iters}: loss {value:.6f}")
        if epoch_ends:
            history["val_acc_history"].append(_accuracy(loss(X_val), y_val))
            learning_rate *= decay
    return history


def _check_updatable(params) -> None:
    """Every parameter is a finite, writeable float array that a step can update in place."""
    if not isinstance(params, dict) or not params:
        raise TypeError(f"params must be a dict of float arrays; got {type(params).__name__}")
    for name, value in params.items():
        check_updatable(value, f"params[{name!r}]")


def _check_grads(grads, params) -> None:
    """``grads`` has one array per parameter, of its shape (checked before any update)."""
    if not isinstance(grads, dict):
        raise TypeError(
            f"loss must return (loss, grads) with grads a dict; got {type(grads).__name__}"
        )
    for name, value in params.items():
        grad = grads.get(name)
        if shape_of(grad) != value.shape:
            raise ValueError(
                f"loss must return grads[{name!r}] of the shape of params[{name!r}] "
                f"{value.shape}; got {shape_got(grad)}"
            )


def _accuracy(scores, y) -> float:
    return float((as_scores(scores, "loss(X)", len(y)).argmax(axis=1) == y).mean())
