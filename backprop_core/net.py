"""The seed's two-layer network, with the interface of the cs231n assignment's ``TwoLayerNet``.

``y1 = X W1 + b1``, ``h1 = f(y1)`` (the ReLU unless another activation is given),
``y2 = h1 W2 + b2``, ``probs = softmax(y2)`` and the mean cross-entropy loss.
:meth:`TwoLayerNet.forward` and :meth:`TwoLayerNet.backward` expose every intermediate under the
seed's names; :meth:`TwoLayerNet.loss` and :meth:`TwoLayerNet.train` are built from the same two
passes, so there is one implementation of each. :func:`two_layer_loss` is the whole network as a
function of its parameters, the signature the workbook's exercises ask learners to write.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._checks import (
    as_count,
    as_float_array,
    as_float_dtype,
    as_labels,
    as_scalar,
    as_seed,
    check_finite_param,
    check_shape,
    check_size,
    params_signature,
)
from .layers import affine, softmax_loss
from .layers.affine import AffineCache
from .layers.relu import ReLU
from .stage import GradientCase, Stage
from .training import sgd

PARAM_NAMES = ("W1", "b1", "W2", "b2")


class Trace(NamedTuple):
    """Every intermediate of the forward pass: X (N, D), y1 and h1 (N, H), y2 and probs (N, C)."""

    X: np.ndarray
    y1: np.ndarray
    h1: np.ndarray
    y2: np.ndarray
    probs: np.ndarray


class Gradients(NamedTuple):
    """The loss and dL/d(every intermediate and parameter), each shaped like what it differentiates.

    ``dX`` is None when :meth:`TwoLayerNet.backward` was asked not to compute it.
    """

    loss: float
    dy2: np.ndarray
    dW2: np.ndarray
    db2: np.ndarray
    dh1: np.ndarray
    dy1: np.ndarray
    dW1: np.ndarray
    db1: np.ndarray
    dX: np.ndarray | None


def _is_activation(value) -> bool:
    return callable(getattr(value, "forward", None)) and callable(getattr(value, "backward", None))


class TwoLayerNet:
    """Affine - activation - affine - softmax network, trained by minibatch SGD.

    Parameters
    ----------
    input_size, hidden_size, output_size : int
        D, H and C.
    std : float, default 1e-4
        Weights start as ``std`` times standard normal samples; biases start at zero.
    seed : int or None
        Seed of the generator used for the weights and the minibatch order.
    relu_at_zero : float, default 0.0
        Derivative of the ReLU used at an input exactly 0
        (see :func:`~backprop_core.layers.relu_backward`).
    dtype : float32 or float64, default float64
        Dtype of the parameters.
    activation : activation object or None
        The hidden nonlinearity: anything with ``forward(x) -> (out, cache)`` and
        ``backward(dout, cache) -> dx``, such as an activation typed as text
        (:mod:`backprop_core.activations`). None is ``ReLU(at_zero=relu_at_zero)``, cs231n's net.

    Examples
    --------
    >>> net = TwoLayerNet(4, 10, 3, seed=0)
    >>> {name: p.shape for name, p in net.params.items()}
    {'W1': (4, 10), 'b1': (10,), 'W2': (10, 3), 'b2': (3,)}

    With tiny weights every class gets probability about 1/3, so the loss starts near ln 3:

    >>> X = np.ones((5, 4)); y = np.array([0, 1, 2, 2, 1])
    >>> loss, grads = net.loss(X, y)
    >>> grads["W1"].shape, round(loss, 4), round(float(np.log(3)), 4)
    ((4, 10), 1.0986, 1.0986)
    """

    def __init__(
        self,
        input_size,
        hidden_size,
        output_size,
        std=1e-4,
        seed=None,
        relu_at_zero=0.0,
        dtype=np.float64,
        activation=None,
    ):
        D = as_count(input_size, "input_size")
        H = as_count(hidden_size, "hidden_size")
        C = as_count(output_size, "output_size")
        check_size(D * H + H * C, "the parameters (input_size, hidden_size, output_size)")
        std = as_scalar(std, "std", minimum=0.0)
        self.relu_at_zero = as_scalar(relu_at_zero, "relu_at_zero")
        if activation is not None and not _is_activation(activation):
            raise TypeError(
                "activation must be None (the ReLU) or an object with forward(x) -> (out, cache) "
                f"and backward(dout, cache), such as an Activation; got {type(activation).__name__}"
            )
        self.activation = ReLU(self.relu_at_zero) if activation is None else activation
        dtype = as_float_dtype(dtype)
        self._rng = np.random.default_rng(as_seed(seed))
        self._passed = (None, None)  # the signature of the last parameters that passed, and (D, C)
        normal = self._rng.standard_normal
        self.params = {
            "W1": (std * normal((D, H))).astype(dtype),
            "b1": np.zeros(H, dtype=dtype),
            "W2": (std * normal((H, C))).astype(dtype),
            "b2": np.zeros(C, dtype=dtype),
        }

    @classmethod
    def from_params(cls, params, relu_at_zero=0.0, activation=None, seed=None):
        """A network holding copies of ``params`` (``W1`` (D, H), ``b1`` (H,), ``W2``, ``b2``).

        The sizes come from the arrays; ``relu_at_zero`` and ``activation`` are as in the
        constructor, and ``seed`` only sets the minibatch order of :meth:`train`.

        >>> net = TwoLayerNet.from_params({"W1": np.ones((2, 3)), "b1": np.zeros(3),
        ...                                "W2": np.ones((3, 4)), "b2": np.zeros(4)})
        >>> net
        TwoLayerNet(input_size=2, hidden_size=3, output_size=4)
        """
        if not isinstance(params, dict):
            raise TypeError(f"params must be a dict of W1, b1, W2, b2; got {type(params).__name__}")
        seed = as_seed(seed)
        # a placeholder net, sized below: its weights are drawn from a generator of its own, so
        # train() shuffles exactly as sgd(..., rng=seed) would
        net = cls(1, 1, 1, relu_at_zero=relu_at_zero, activation=activation)
        net._rng = np.random.default_rng(seed)
        net.params = params
        net._check_params(finite=True)  # the keys, shapes and values, before anything is copied
        net.params = {name: as_float_array(params[name], name).copy() for name in PARAM_NAMES}
        return net

    def __repr__(self):
        (D, H), C = self.params["W1"].shape, self.params["W2"].shape[1]
        return f"TwoLayerNet(input_size={D}, hidden_size={H}, output_size={C})"

    # -- validation at the public boundary -------------------------------------------------------

    def _check_params(self, finite=False):
        """The sizes (D, C) of checked parameters; ``finite``: no NaN or infinity either.

        Without ``finite``, a dict whose names, shapes and dtypes are those of the last check
        that passed is not checked again (see :func:`~backprop_core._checks.params_signature`).
        """
        key = params_signature(self.params)
        if not finite and key is not None and key == self._passed[0]:
            return self._passed[1]
        sizes = self._check_params_in_full(finite)
        self._passed = (key, sizes)
        return sizes

    def _check_params_in_full(self, finite):
        if not isinstance(self.params, dict):
            raise TypeError(
                f"params must be a dict of W1, b1, W2, b2; got {type(self.params).__name__}"
            )
        names = sorted(self.params, key=str)
        if names != sorted(PARAM_NAMES):
            missing = [n for n in PARAM_NAMES if n not in self.params]
            extra = [n for n in self.params if n not in PARAM_NAMES]
            raise ValueError(
                f"params must hold exactly {list(PARAM_NAMES)}; "
                + (f"missing {missing}" if missing else f"got the extra key(s) {extra}")
            )

        def param(name, ndim):
            value = self.params[name]
            label = f"params['{name}']"
            value = as_float_array(value, label, ndim, finite=False)
            if finite:
                check_finite_param(value, label)
            return value

        W1, W2, b1, b2 = param("W1", 2), param("W2", 2), param("b1", 1), param("b2", 1)
        (D, H), C = W1.shape, W2.shape[1]
        check_shape(W2, "params['W2']", (H, None), "(H, C)", f"to match W1 of shape {W1.shape}")
        check_shape(b1, "params['b1']", (H,), "(H,)", f"to match W1 of shape {W1.shape}")
        check_shape(b2, "params['b2']", (C,), "(C,)", f"to match W2 of shape {W2.shape}")
        return D, C

    def _check_batch(self, X, y=None, names=("X", "y"), finite_params=False):
        D, C = self._check_params(finite=finite_params)
        X = as_float_array(X, names[0], ndim=2)
        if X.shape[1] != D:  # the message is formatted only when it is needed
            why = f"to match W1 of shape {self.params['W1'].shape}"
            check_shape(X, names[0], (None, D), "(N, D)", why)
        if y is not None:
            y = as_labels(y, names[1], X.shape[0], C)
        return X, y

    # -- the two passes, on checked arrays -------------------------------------------------------

    def _forward(self, X):
        """The trace, without probs (the loss reads y2; forward() adds them), and the
        activation's cache."""
        p = self.params
        y1, _ = affine.forward(X, p["W1"], p["b1"])  # (N, H)
        h1, hidden = self.activation.forward(y1)  # (N, H)
        y2, _ = affine.forward(h1, p["W2"], p["b2"])  # (N, C)
        return Trace(X, y1, h1, y2, None), hidden

    def _backward(self, trace, hidden, y, reg, need_dX):
        p = self.params
        loss, dy2 = softmax_loss.loss(trace.y2, y)  # (N, C)
        dh1, dW2, db2 = affine.backward(dy2, AffineCache(trace.h1, p["W2"]))  # (N, H)
        dy1 = self.activation.backward(dh1, hidden)  # (N, H)
        dX, dW1, db1 = affine.backward(dy1, AffineCache(trace.X, p["W1"]), need_dx=need_dX)
        if reg:
            loss += reg * float(np.vdot(p["W1"], p["W1"]) + np.vdot(p["W2"], p["W2"]))
            dW1 += 2 * reg * p["W1"]
            dW2 += 2 * reg * p["W2"]
        return Gradients(loss, dy2, dW2, db2, dh1, dy1, dW1, db1, dX)

    def _loss(self, X, y=None, reg=0.0):
        """:meth:`loss` on checked arguments: the step the training loop repeats."""
        trace, hidden = self._forward(X)
        if y is None:
            return trace.y2
        g = self._backward(trace, hidden, y, reg, need_dX=False)
        return g.loss, {"W1": g.dW1, "b1": g.db1, "W2": g.dW2, "b2": g.db2}

    # -- the public interface --------------------------------------------------------------------

    def forward(self, X):
        """Run the forward pass on ``X`` (N, D) and return its :class:`Trace`.

        >>> net = TwoLayerNet(2, 3, 4, seed=0)
        >>> trace = net.forward(np.ones((5, 2)))
        >>> [(name, value.shape) for name, value in trace._asdict().items()]
        [('X', (5, 2)), ('y1', (5, 3)), ('h1', (5, 3)), ('y2', (5, 4)), ('probs', (5, 4))]
        """
        X, _ = self._check_batch(X)
        trace = self._forward(X)[0]
        return trace._replace(probs=softmax_loss.probs(trace.y2))

    def backward(self, trace, y, reg=0.0, need_dX=True):
        """Backpropagate the loss of a :class:`Trace` with labels ``y`` (N,) to every intermediate.

        ``reg`` adds ``reg * (sum(W1**2) + sum(W2**2))`` to the loss. Returns :class:`Gradients`;
        ``need_dX=False`` skips ``dX``, the costliest product, which no parameter update needs.
        The activation's cache is made again from ``trace.y1`` (a trace holds arrays only).

        >>> net = TwoLayerNet(2, 3, 4, seed=0)
        >>> g = net.backward(net.forward(np.ones((5, 2))), [0, 1, 2, 3, 0])
        >>> g.dW1.shape, g.db2.shape, g.dX.shape
        ((2, 3), (4,), (5, 2))
        """
        if not isinstance(trace, Trace):
            raise TypeError(
                f"trace must be the Trace returned by forward(); got {type(trace).__name__}"
            )
        if y is None:
            raise TypeError("y must hold the integer class labels of trace.X; got None")
        _, y = self._check_batch(trace.X, y, names=("trace.X", "y"))
        N, H, C = trace.X.shape[0], self.params["W1"].shape[1], self.params["W2"].shape[1]
        for name, cols, what in (("y1", H, "(N, H)"), ("h1", H, "(N, H)"), ("y2", C, "(N, C)")):
            value = as_float_array(getattr(trace, name), f"trace.{name}", ndim=2, finite=False)
            check_shape(
                value, f"trace.{name}", (N, cols), what, "to come from this net's forward()"
            )
        reg = as_scalar(reg, "reg", minimum=0.0)
        _, hidden = self.activation.forward(trace.y1)
        return self._backward(trace, hidden, y, reg, need_dX)

    def loss(self, X, y=None, reg=0.0):
        """Scores (N, C) when ``y`` is None; else ``(loss, grads)`` with grads keyed like params.

        ``reg`` adds ``reg * (sum(W1**2) + sum(W2**2))`` to the loss, as in the cs231n notebook.
        """
        X, y = self._check_batch(X, y)
        return self._loss(X, y, as_scalar(reg, "reg", minimum=0.0))

    def predict(self, X):
        """Predicted labels (N,): the class of largest score for each row of ``X`` (N, D).

        >>> net = TwoLayerNet(2, 3, 4, seed=0)
        >>> net.params["b2"] = np.array([0.0, 0.0, 1.0, 0.0])
        >>> net.predict(np.zeros((2, 2)))
        array([2, 2])
        """
        X, _ = self._check_batch(X, finite_params=True)
        return self._loss(X).argmax(axis=1)

    def kinks_within(self, X, h):
        """How many activation inputs a step of ``h`` in ``W1`` or ``b1`` can push across a kink.

        A step of ``h`` in ``b1[j]`` moves ``y1[n, j]`` by ``h``, and one in ``W1[i, j]`` moves it
        by ``h * X[n, i]``; ``y1[n, j]`` counts when ``|y1[n, j]|`` is below that reach. Moving W2
        or b2 never moves an activation's input. A smooth activation has no kinks to count.
        :func:`~backprop_core.gradcheck.gradcheck` uses this to explain a kink's error.

        >>> net = TwoLayerNet(3, 4, 2, seed=0)
        >>> net.kinks_within(np.zeros((2, 3)), 1e-5)  # with X = 0 and b1 = 0, y1 is exactly 0
        {'W1': 0, 'b1': 8}
        """
        X, _ = self._check_batch(X)
        h = as_scalar(h, "h", positive=True)
        if not getattr(self.activation, "kinks", True):
            return {"W1": 0, "b1": 0}
        y1 = np.abs(affine.forward(X, self.params["W1"], self.params["b1"])[0])  # (N, H)
        return {
            "W1": int(np.count_nonzero(y1 < h * np.abs(X).max(axis=1, keepdims=True))),
            "b1": int(np.count_nonzero(y1 < h)),
        }

    def train(
        self,
        X,
        y,
        X_val,
        y_val,
        learning_rate=1e-3,
        learning_rate_decay=0.95,
        reg=5e-6,
        num_iters=100,
        batch_size=200,
        verbose=False,
    ):
        """Minibatch SGD on ``(X, y)``; returns the loss and accuracy histories.

        Each epoch visits the training set once in a fresh random order, in ``ceil(N / batch_size)``
        minibatches (the last may be smaller). At the end of every epoch the accuracy on that
        epoch's last minibatch and on ``(X_val, y_val)`` is recorded and the learning rate is
        multiplied by ``learning_rate_decay``, as in the cs231n assignment. See
        :func:`~backprop_core.training.sgd`, which runs the loop on this net's checked loss.

        Returns
        -------
        dict
            ``loss_history`` (one entry per iteration), ``train_acc_history`` and
            ``val_acc_history`` (one entry per epoch).

        >>> from backprop_core import spiral
        >>> X, y = spiral()
        >>> net = TwoLayerNet(2, 50, 3, std=0.01, seed=0)
        >>> history = net.train(X, y, X, y, learning_rate=1.0, learning_rate_decay=1.0,
        ...                     num_iters=900, batch_size=100)
        >>> len(history["loss_history"]), len(history["val_acc_history"])
        (900, 300)
        >>> bool(history["loss_history"][-1] < 0.2 and history["val_acc_history"][-1] > 0.9)
        True
        """
        X, y = self._check_batch(X, y)  # keys and shapes; sgd checks each array it will update
        X_val, y_val = self._check_batch(X_val, y_val, names=("X_val", "y_val"))
        return sgd(
            self._loss,  # the arrays are checked once, here, not at every step
            self.params,
            X,
            y,
            X_val,
            y_val,
            rng=self._rng,
            learning_rate=learning_rate,
            learning_rate_decay=learning_rate_decay,
            reg=reg,
            num_iters=num_iters,
            batch_size=batch_size,
            verbose=verbose,
        )


def two_layer_loss(params, X, y, reg=0.0):
    """The whole network as a function: ``(loss, grads)`` of ``params`` on ``(X, y)``.

    ``params`` holds ``W1`` (D, H), ``b1`` (H,), ``W2`` (H, C) and ``b2`` (C,); ``grads`` is keyed
    the same way. This is the signature the workbook's whole-network exercises ask for, and the
    engine's answer :func:`~backprop_core.debugging.check` compares yours with.

    >>> params = {"W1": np.eye(2), "b1": np.zeros(2), "W2": np.eye(2), "b2": np.zeros(2)}
    >>> loss, grads = two_layer_loss(params, [[0.0, 0.0]], [1])
    >>> round(loss, 6), grads["b2"]
    (0.693147, array([ 0.5, -0.5]))
    """
    if y is None:
        raise TypeError("y must hold integer class labels (N,); got None")
    return TwoLayerNet.from_params(params).loss(X, y, reg)


STAGE = Stage(
    name="two_layer_loss",
    title="the whole two-layer network",
    signature="fn(params, X, y, reg) -> (loss, grads)",
    notebook="06-Full-Backward-Pass",
    numeric="backprop_core.net",
    debugging="backprop_core.debugging.net",
    symbolic="backprop_core.symbolic.net",
)

# -- what the registry's tests run ---------------------------------------------------------------
# pragma: no mutate block (the registry's test inputs below, not the engine: make mutation)


def gradient_cases(rng):
    """Every parameter of a 4-6-3 net with reg 0.05, inputs kept away from the ReLU's kink."""
    net = TwoLayerNet(4, 6, 3, std=0.5, seed=int(rng.integers(1 << 30)))
    X, y = rng.standard_normal((5, 4)), rng.integers(0, 3, 5)
    keep = np.abs(net.forward(X).y1).min(axis=1) > 1e-3  # a sample near a kink is left out
    X, y = X[keep], y[keep]
    _, grads = net.loss(X, y, reg=0.05)
    for name, param in net.params.items():

        def f(value, name=name):
            return np.float64(
                TwoLayerNet.from_params({**net.params, name: value}).loss(X, y, 0.05)[0]
            )

        yield GradientCase(f"d{name}", f, param.copy(), np.float64(1.0), grads[name])


def jacobian_cases(rng):
    """None: a whole network's Jacobian is its stages' Jacobians, checked one by one."""
    return iter(())


__all__ = ["PARAM_NAMES", "Gradients", "Trace", "TwoLayerNet", "two_layer_loss"]
