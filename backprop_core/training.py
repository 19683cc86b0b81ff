"""Minibatch stochastic gradient descent, the training loop of :meth:`TwoLayerNet.train`.

Each epoch visits the training set once in a fresh random order (the net's own generator), in
``ceil(N / batch_size)`` minibatches, the last possibly smaller; after each epoch the accuracies
are recorded and the learning rate decays, as in the cs231n assignment. The loop validates its
arguments once and then calls the net's unchecked passes.
"""

from __future__ import annotations

import math

from ._checks import as_count, as_scalar


def sgd(
    net, X, y, X_val, y_val, learning_rate, learning_rate_decay, reg, num_iters, batch_size, verbose
):
    """Train ``net`` in place; returns ``loss_history``, ``train_acc_history``, ``val_acc_history``.

    See :meth:`backprop_core.net.TwoLayerNet.train` for the arguments.
    """
    X, y = net._check_batch(X, y)
    X_val, y_val = net._check_batch(X_val, y_val, names=("X_val", "y_val"))
    learning_rate = as_scalar(learning_rate, "learning_rate", positive=True)
    decay = as_scalar(learning_rate_decay, "learning_rate_decay", positive=True)
    reg = as_scalar(reg, "reg", minimum=0.0)
    num_iters = as_count(num_iters, "num_iters")
    n = X.shape[0]
    batch_size = min(as_count(batch_size, "batch_size"), n)
    per_epoch = math.ceil(n / batch_size)
    history = {"loss_history": [], "train_acc_history": [], "val_acc_history": []}
    for it in range(num_iters):
        step = it % per_epoch
        if step == 0 and per_epoch > 1:  # a full batch needs no shuffle: order is irrelevant
            order = net._rng.permutation(n)
            X_epoch, y_epoch = X[order], y[order]
        elif it == 0:
            X_epoch, y_epoch = X, y
        batch = slice(step * batch_size, (step + 1) * batch_size)
        X_batch, y_batch = X_epoch[batch], y_epoch[batch]
        trace = net._forward(X_batch, with_probs=False)  # backward reads y2, not probs
        g = net._backward(trace, y_batch, reg, need_dX=False)
        for name, param in net.params.items():
            grad = getattr(g, "d" + name)  # this step's own array: scale it in place
            grad *= learning_rate
            param -= grad
        history["loss_history"].append(g.loss)
        if verbose and it % 100 == 0:
            print(f"iteration {it} / {num_iters}: loss {g.loss:.6f}")
        if step == per_epoch - 1:
            history["train_acc_history"].append(float((trace.y2.argmax(1) == y_batch).mean()))
            val_scores = net._forward(X_val, with_probs=False).y2
            history["val_acc_history"].append(float((val_scores.argmax(1) == y_val).mean()))
            learning_rate *= decay
    return history
