"""What cs231n's ``FullyConnectedNet`` (:mod:`~backprop_core.models.fc_net`) promises a caller
when it is built: the standard deviation of its weights when no ``weight_scale`` is given, the
refusal of a bad ``input_dim`` or ``num_classes`` by name, and dropout layers that really drop
units in training whenever ``dropout_keep_ratio`` is below 1.

Expected numbers come from the arguments (1e-2 is the documented default, cs231n's too) or from
the public layers (:func:`~backprop_core.layers.softmax_loss.softmax_loss`), never from a run.
"""

import math

import numpy as np
import pytest

from backprop_core.layers.softmax_loss import softmax_loss
from backprop_core.models import FullyConnectedNet

rng = np.random.default_rng(22)
X = rng.standard_normal((8, 5))
Y = np.array([0, 1, 2, 0, 1, 2, 0, 1])


def test_a_net_built_without_weight_scale_draws_its_weights_with_standard_deviation_1e_2():
    """cs231n's default ``weight_scale=1e-2``: every W is drawn from N(0, 1e-4), every b is 0.

    W1 of the default 3072 inputs and 40 hidden units holds 122,880 numbers and W2 (40, 10)
    holds 400: the sample standard deviation of n normal numbers is within 6 of its standard
    errors, sigma / sqrt(2 n), of sigma, and the mean within 6 of sigma / sqrt(n), of 0."""
    net = FullyConnectedNet([40], seed=0)
    for name in ("W1", "W2"):
        W = net.params[name].astype(np.float64)
        n = W.size
        assert abs(W.std() / 1e-2 - 1) < 6 / math.sqrt(2 * n), name
        assert abs(W.mean()) < 6 * 1e-2 / math.sqrt(n), name
    for name in ("b1", "b2"):
        np.testing.assert_array_equal(net.params[name], 0.0)


def test_a_net_built_without_weight_scale_is_the_net_built_with_weight_scale_1e_2():
    """Leaving ``weight_scale`` out and passing 1e-2 build the same weights from the same seed."""
    default = FullyConnectedNet([6], input_dim=5, num_classes=3, seed=4)
    explicit = FullyConnectedNet([6], input_dim=5, num_classes=3, weight_scale=1e-2, seed=4)
    assert sorted(default.params) == sorted(explicit.params)
    for name, value in explicit.params.items():
        np.testing.assert_array_equal(default.params[name], value, err_msg=name)


@pytest.mark.parametrize(
    ("name", "value", "error", "message"),
    [
        ("input_dim", 0, ValueError, r"^input_dim must be >= 1; got 0$"),
        ("input_dim", 2.5, TypeError, r"^input_dim must be an integer; got float 2\.5$"),
        ("num_classes", 0, ValueError, r"^num_classes must be >= 1; got 0$"),
        ("num_classes", "10", TypeError, r"^num_classes must be an integer; got str '10'$"),
    ],
    ids=["input_dim-0", "input_dim-float", "num_classes-0", "num_classes-str"],
)
def test_a_bad_input_dim_or_num_classes_is_refused_naming_the_argument(name, value, error, message):
    """A net needs at least one input and one class, each an integer: the refusal names the
    argument as the caller wrote it, what it must be and what arrived."""
    settings = {"input_dim": 5, "num_classes": 3, name: value}
    with pytest.raises(error, match=message):
        FullyConnectedNet([4], **settings)


@pytest.mark.parametrize(("keep", "dropout"), [(0.5, True), (1, False)])
def test_a_keep_ratio_below_1_puts_a_dropout_layer_after_every_hidden_activation(keep, dropout):
    """``use_dropout`` says whether units are dropped; with dropout each hidden layer ends in a
    dropout layer sharing the net's ``dropout_param``, and none follows the last affine map."""
    net = FullyConnectedNet([6, 4], input_dim=5, num_classes=3, dropout_keep_ratio=keep, seed=0)
    assert net.use_dropout is dropout
    hidden = ["affine_backward", "relu_backward"] + (["dropout_backward"] if dropout else [])
    assert [layer.stage for layer in net.layers] == [*hidden, *hidden, "affine_backward"]


@pytest.mark.parametrize("keep", [0.5, 1])
def test_training_drops_hidden_units_only_when_the_keep_ratio_is_below_1(keep):
    """Without penalty, the training loss of a batch is softmax cross-entropy of the scores the
    training pass computes. Without dropout these are the test-mode scores ``net.loss(X)``; with
    a keep ratio of 0.5 about half the hidden units are dropped in training (and the kept ones
    doubled), so the training loss is not the loss of the test-mode scores."""
    net = FullyConnectedNet(
        [20, 20],
        input_dim=5,
        num_classes=3,
        dropout_keep_ratio=keep,
        weight_scale=0.5,
        dtype=np.float64,
        seed=0,
    )
    test_loss, _ = softmax_loss(net.loss(X), Y)
    train_loss, _ = net.loss(X, Y)
    if keep == 1:
        assert train_loss == pytest.approx(test_loss, rel=1e-12)
    else:
        assert abs(train_loss - test_loss) > 1e-3 * test_loss


class ForwardOnly:
    """Half an activation: ``forward`` without ``backward``."""

    def forward(self, x):
        return np.tanh(x), x


@pytest.mark.parametrize("activation", [ForwardOnly(), "tanh"], ids=["forward only", "a name"])
def test_an_activation_without_forward_and_backward_is_refused_when_the_net_is_built(activation):
    """The net would fail only on its first backward pass; it says so when built, naming what
    an activation must have."""
    message = (
        r"^activation must be None \(the ReLU\) or an object with forward\(x\) and "
        r"backward\(dout, cache\), such as activations\.named\('tanh'\); got "
    )
    with pytest.raises(TypeError, match=message):
        FullyConnectedNet([4], input_dim=5, num_classes=3, activation=activation)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_batch_norm_settings_exist_only_with_batch_norm_and_keep_the_nets_dtype(dtype):
    """cs231n's ``bn_params``: one dict per hidden layer with batch norm, none without; the
    running statistics start as zeros of each layer's width in the model's dtype."""
    plain = FullyConnectedNet([6, 4], input_dim=5, num_classes=3, dtype=dtype, seed=0)
    assert plain.bn_params == []
    net = FullyConnectedNet(
        [6, 4], input_dim=5, num_classes=3, normalization="batchnorm", dtype=dtype, seed=0
    )
    assert len(net.bn_params) == 2
    for bn, width in zip(net.bn_params, (6, 4), strict=True):
        for key in ("running_mean", "running_var"):
            assert bn[key].dtype == dtype and bn[key].shape == (width,), key
            np.testing.assert_array_equal(bn[key], 0.0)


def test_a_single_sample_is_a_batch():
    """N = 1 is a batch like any other: its scores, and its loss and gradients."""
    net = FullyConnectedNet([4], input_dim=5, num_classes=3, dtype=np.float64, seed=0)
    assert net.loss(X[:1]).shape == (1, 3)
    loss, grads = net.loss(X[:1], Y[:1])
    assert np.isfinite(loss) and grads["W1"].shape == (5, 4)


def test_an_image_batch_is_read_as_its_rows_of_pixels():
    """cs231n feeds its nets image batches (N, 3, 32, 32); a batch (N, d1, d2) gives the scores,
    the loss and the gradients of its (N, d1 * d2) rows (the first layer, which needs no dx,
    too)."""
    net = FullyConnectedNet([4], input_dim=6, num_classes=3, dtype=np.float64, seed=0)
    images = np.random.default_rng(1).standard_normal((5, 2, 3))
    labels = np.array([0, 1, 2, 1, 0])
    np.testing.assert_array_equal(net.loss(images), net.loss(images.reshape(5, 6)))
    loss, grads = net.loss(images, labels)
    flat_loss, flat_grads = net.loss(images.reshape(5, 6), labels)
    assert loss == flat_loss
    for name in flat_grads:
        np.testing.assert_array_equal(grads[name], flat_grads[name])


@pytest.mark.parametrize(
    ("shape", "message"),
    [
        ((5,), r"^X must hold N >= 1 samples of 1 numbers \(shape \(N, 1\)\); got shape \(5,\)$"),
        (
            (2, 3),
            r"^X must hold N >= 1 samples of 1 numbers \(shape \(N, 1\)\); got shape \(2, 3\)$",
        ),
    ],
)
def test_a_batch_of_the_wrong_shape_is_refused_with_the_shape_it_must_have(shape, message):
    """With one input per sample, a 1-D X of 5 numbers is still not 5 samples: X is (N, 1)."""
    net = FullyConnectedNet([4], input_dim=1, num_classes=3, seed=0)
    with pytest.raises(ValueError, match=message):
        net.loss(np.ones(shape))


def test_an_image_batch_of_the_wrong_size_names_every_axis_of_an_image():
    from backprop_core.models import ThreeLayerConvNet

    net = ThreeLayerConvNet(input_dim=(1, 8, 8), num_filters=2, filter_size=3, hidden_dim=4)
    message = (
        r"^X must hold N >= 1 samples of 64 numbers \(shape \(N, 1, 8, 8\)\); got shape \(2, 65\)$"
    )
    with pytest.raises(ValueError, match=message):
        net.loss(np.ones((2, 65)))
