"""cs231n's ``FullyConnectedNet``: any number of hidden layers, as a list of registered layers.

Each hidden layer is ``affine - [batch norm | layer norm] - relu - [dropout]``; the last is an
affine map to the class scores, followed by softmax cross-entropy. The forward and backward passes
are the two loops of :mod:`backprop_core.models.stack`.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from .._checks import (
    all_finite,
    as_count,
    as_float_array,
    as_float_dtype,
    as_labels,
    as_scalar,
    as_seed,
    check_finite_param,
    check_shape,
    params_signature,
)
from ..layers import softmax_loss
from . import stack

NORMALIZATIONS = (None, "batchnorm", "layernorm")


_PASSED: set = set()  # signatures of params that passed check_params: they pass again


def check_params(params, expected, dtype) -> None:
    """Every parameter present, a float array of its expected shape and the model's dtype.

    Their values are not scanned here (a pass over every weight at every step): a model calls
    :func:`check_scores`, which looks for the non-finite parameter only when the scores are not
    finite. A dict of the same names, shapes and dtypes as one that passed before is not checked
    again (see :func:`~backprop_core._checks.params_signature`).
    """
    key = params_signature(params)
    if key is not None:
        key = (key, tuple(expected.items()), np.dtype(dtype))
        if key in _PASSED:
            return
    _check_params_in_full(params, expected, dtype)
    if key is not None:
        if len(_PASSED) >= 256:  # many models built in one session: start the memory afresh
            _PASSED.clear()
        _PASSED.add(key)


def _check_params_in_full(params, expected, dtype):
    if not isinstance(params, dict):
        raise TypeError(f"params must be a dict of arrays; got {type(params).__name__}")
    missing = [n for n in expected if n not in params]
    extra = [n for n in params if n not in expected]
    if missing or extra:
        raise ValueError(
            f"params must hold exactly {list(expected)}; "
            + (f"missing {missing}" if missing else f"got the extra key(s) {extra}")
        )
    for name, shape in expected.items():
        label = f"params[{name!r}]"
        value = as_float_array(params[name], label, finite=False)
        check_shape(value, label, shape, "", "as the model was built")
        if value.dtype != dtype:
            raise TypeError(
                f"{label} must be {np.dtype(dtype).name}, as the model; got {value.dtype}"
            )


def check_scores(scores, params) -> None:
    """Scores with NaN or infinity name the parameter that holds one, or say they overflowed."""
    if all_finite(scores):
        return
    for name, value in params.items():
        check_finite_param(value, f"params[{name!r}]")
    raise ValueError(
        "the scores are not finite although every parameter is: they overflowed (weights or "
        "inputs too large for the model's dtype?)"
    )


def params_dtype(params, default):
    """The dtype a batch is computed in: that of ``params["W1"]`` (float64 in a gradient check's
    copy of a float32 model), or the model's own if there is no such array to read."""
    if isinstance(params, dict) and isinstance(params.get("W1"), np.ndarray):
        return params["W1"].dtype
    return default


def classify(layers, params, X, y, weights, reg):
    """A classifier's ``loss(X, y=None)`` on checked arguments: the scores when ``y`` is None,
    else ``(loss, grads)`` of softmax cross-entropy plus ``0.5 * reg * sum(W**2)`` over
    ``weights``. Non-finite scores name the parameter at fault (:func:`check_scores`)."""
    with np.errstate(over="ignore", invalid="ignore"):  # check_scores says what went wrong
        scores, caches = stack.forward(layers, params, X)
    check_scores(scores, params)
    if y is None:
        return scores
    loss, dscores = softmax_loss.loss(scores, y)
    grads = stack.backward(layers, caches, dscores)
    loss += stack.penalty(params, weights, reg, grads)
    return loss, grads


def as_batch(X, input_shape, dtype, name="X"):
    """``X`` (N, *input_shape) as an array of the model's dtype; N >= 1 (an empty X is refused
    as such by :func:`~backprop_core._checks.as_float_array`)."""
    X = as_float_array(X, name)
    if X.ndim < 2 or math.prod(X.shape[1:]) != math.prod(input_shape):
        raise ValueError(
            f"{name} must hold N >= 1 samples of {int(np.prod(input_shape))} numbers "
            f"(shape (N, {', '.join(map(str, input_shape))})); got shape {X.shape}"
        )
    return X.astype(dtype, copy=False)


class FullyConnectedNet:
    """A fully connected network of any depth, with cs231n's signature and parameter names.

    Parameters
    ----------
    hidden_dims : sequence of int
        The size of each hidden layer (an empty list gives a linear softmax classifier).
    input_dim : int, default 3 * 32 * 32
    num_classes : int, default 10
    dropout_keep_ratio : float, default 1
        Probability of keeping each hidden unit (1: no dropout).
    normalization : {None, "batchnorm", "layernorm"}
    reg : float, default 0.0
        Strength of cs231n's penalty ``0.5 * reg * sum(W**2)`` over every W (the two-layer net of
        the seed uses ``reg * sum(W**2)``, without the 1/2).
    weight_scale : float, default 1e-2
        Standard deviation of the initial weights (biases start at 0, gamma at 1, beta at 0).
    dtype : float32 or float64, default float32
    seed : int or None
        Seeds the initial weights, and, as in cs231n, fixes the dropout mask: every step and
        every dropout layer then draws the same mask, which is what a gradient check needs and
        not what training wants (train with ``seed=None``, or change ``dropout_param["seed"]``).
    activation : activation object or None
        Not in cs231n's signature: the hidden layers' activation, any object with ``forward(x)``
        and ``backward(dout, cache)`` such as ``activations.named("tanh")``; None is the ReLU.

    Attributes: ``params`` (``W1, b1, ..., WL, bL`` and ``gamma1, beta1, ...`` for normalized
    layers), ``layers`` (the :class:`~backprop_core.models.stack.Layer` list), ``bn_params`` and
    ``dropout_param`` (the settings the layers share with the model), ``num_layers``.

    >>> net = FullyConnectedNet([20, 30], input_dim=5, num_classes=3, normalization="batchnorm",
    ...                         dtype=np.float64, seed=0)
    >>> sorted(net.params)
    ['W1', 'W2', 'W3', 'b1', 'b2', 'b3', 'beta1', 'beta2', 'gamma1', 'gamma2']
    >>> [layer.stage for layer in net.layers][:4]
    ['affine_backward', 'batchnorm_backward', 'relu_backward', 'affine_backward']
    >>> loss, grads = net.loss(np.ones((4, 5)), np.array([0, 1, 2, 0]))
    >>> round(loss, 4), grads["gamma2"].shape  # small weights: the loss starts near ln 3
    (1.0986, (30,))
    """

    def __init__(
        self,
        hidden_dims,
        input_dim=3 * 32 * 32,
        num_classes=10,
        dropout_keep_ratio=1,
        normalization=None,
        reg=0.0,
        weight_scale=1e-2,
        dtype=np.float32,
        seed=None,
        activation=None,
    ):
        if isinstance(hidden_dims, str | bytes) or not hasattr(hidden_dims, "__iter__"):
            raise TypeError(f"hidden_dims must be a list of sizes; got {hidden_dims!r:.60}")
        hidden = [as_count(h, f"hidden_dims[{i}]") for i, h in enumerate(hidden_dims)]
        self.input_dim = as_count(input_dim, "input_dim")
        self.num_classes = as_count(num_classes, "num_classes")
        keep = as_scalar(dropout_keep_ratio, "dropout_keep_ratio", positive=True)
        if keep > 1:
            raise ValueError(f"dropout_keep_ratio must be in (0, 1]; got {keep}")
        if normalization not in NORMALIZATIONS:
            raise ValueError(
                f"normalization must be one of {NORMALIZATIONS}; got {normalization!r}"
            )
        self.normalization = normalization
        self.use_dropout = keep != 1
        self.reg = as_scalar(reg, "reg", minimum=0.0)
        weight_scale = as_scalar(weight_scale, "weight_scale", positive=True)
        self.dtype = as_float_dtype(dtype)
        seed = as_seed(seed)
        self.num_layers = len(hidden) + 1
        if activation is not None and not (
            callable(getattr(activation, "forward", None))
            and callable(getattr(activation, "backward", None))
        ):
            raise TypeError(
                "activation must be None (the ReLU) or an object with forward(x) and "
                f"backward(dout, cache), such as activations.named('tanh'); got {activation!r:.60}"
            )
        self.activation = activation

        rng = np.random.default_rng(seed)
        sizes = [self.input_dim, *hidden, self.num_classes]
        self.params, self.shapes = {}, {}
        for i, (fan_in, fan_out) in enumerate(itertools.pairwise(sizes), start=1):
            self._add(f"W{i}", weight_scale * rng.standard_normal((fan_in, fan_out)))
            self._add(f"b{i}", np.zeros(fan_out))
            if normalization and i < self.num_layers:
                self._add(f"gamma{i}", np.ones(fan_out))
                self._add(f"beta{i}", np.zeros(fan_out))

        self.dropout_param = {"mode": "train", "p": keep}
        if seed is not None:
            self.dropout_param["seed"] = seed
        self.bn_params = (
            [{"mode": "train", "eps": 1e-5, "momentum": 0.9} for _ in range(len(hidden))]
            if normalization
            else []
        )
        for i, bn in enumerate(self.bn_params):  # running statistics, in the model's dtype
            bn["running_mean"] = np.zeros(hidden[i], self.dtype)
            bn["running_var"] = np.zeros(hidden[i], self.dtype)
        self.layers = self._build_layers()

    def _add(self, name, value):
        self.params[name] = value.astype(self.dtype)
        self.shapes[name] = value.shape

    def _build_layers(self):
        layers = []
        for i in range(1, self.num_layers):
            layers.append(stack.Layer("affine_backward", (f"W{i}", f"b{i}")))
            if self.normalization:
                settings = (
                    self.bn_params[i - 1] if self.normalization == "batchnorm" else {"eps": 1e-5}
                )
                stage = f"{self.normalization}_backward"
                layers.append(stack.Layer(stage, (f"gamma{i}", f"beta{i}"), settings))
            if self.activation is None:
                layers.append(stack.Layer("relu_backward"))
            else:
                layers.append(stack.Layer("activation", (), {"activation": self.activation}))
            if self.use_dropout:
                layers.append(stack.Layer("dropout_backward", (), self.dropout_param))
        L = self.num_layers
        layers.append(stack.Layer("affine_backward", (f"W{L}", f"b{L}")))
        return layers

    def __repr__(self):
        hidden = [self.shapes[f"W{i}"][1] for i in range(1, self.num_layers)]
        return (
            f"FullyConnectedNet(hidden_dims={hidden}, input_dim={self.input_dim}, "
            f"num_classes={self.num_classes}, normalization={self.normalization!r})"
        )

    def loss(self, X, y=None):
        """Scores (N, C) for ``X`` (N, d1, ..., dk) when ``y`` is None (test mode: running
        statistics, no dropout); else ``(loss, grads)`` in training mode, grads keyed like params.

        The parameters may be float32 or float64 (a gradient check runs on a float64 copy); the
        batch is computed in the parameters' dtype.
        """
        dtype = params_dtype(self.params, self.dtype)
        check_params(self.params, self.shapes, dtype)
        X = as_batch(X, (self.input_dim,), dtype)
        X = X.reshape(X.shape[0], -1)
        mode = "test" if y is None else "train"
        if y is not None:
            y = as_labels(y, "y", X.shape[0], self.num_classes)
        self.dropout_param["mode"] = mode
        for bn in self.bn_params:
            bn["mode"] = mode
        weights = [f"W{i}" for i in range(1, self.num_layers + 1)]
        return classify(self.layers, self.params, X, y, weights, self.reg)


__all__ = ["FullyConnectedNet"]
