"""What a few checked entry points promise about their arguments, by name and shape: the
spatial batch norm's gamma and beta, softmax_loss's labels, Xavier's fan-in, and check_stack's
default of one run (train-mode dropout needs a seed only when the stack runs more than once)."""

import numpy as np
import pytest
from helpers import BackwardOnly, ForwardOnly

from backprop_core.layers.batchnorm import spatial_batchnorm_forward
from backprop_core.layers.softmax_loss import softmax_loss
from backprop_core.models import stack
from backprop_core.models.initialisation import xavier_scale
from backprop_core.models.stack_checks import check_stack


@pytest.mark.parametrize("wrong", ["gamma", "beta"])
def test_spatial_batchnorm_wants_one_gamma_and_beta_per_channel(wrong):
    """gamma and beta hold C numbers for x (N, C, H, W); a wrong length is refused naming the
    parameter, the C expected and x's shape."""
    x = np.ones((2, 3, 4, 4))
    gamma, beta = np.ones(3), np.zeros(3)
    bad = {"gamma": (np.ones(2), beta), "beta": (gamma, np.zeros(2))}[wrong]
    message = (
        rf"^{wrong} must have shape \(D,\) = \(3,\) to match x of shape \(2, 3, 4, 4\); got \(2,\)"
    )
    with pytest.raises(ValueError, match=message):
        spatial_batchnorm_forward(x, *bad, {"mode": "train"})


def test_softmax_loss_wants_one_label_per_sample():
    """y must hold one label for each of the N rows of scores."""
    with pytest.raises(ValueError, match=r"^y must have shape \(N,\) = \(4,\) to match the 4"):
        softmax_loss(np.ones((4, 3)), [0, 1, 2])


def test_xavier_scale_names_a_fan_in_below_1():
    """A layer has at least one input: fan_in 0 is refused by name."""
    with pytest.raises(ValueError, match=r"^fan_in must be >= 1; got 0"):
        xavier_scale(0, 3)


def test_check_stack_by_default_checks_one_run_where_train_dropout_needs_no_seed():
    """Run once (the default), a stack with train-mode dropout and no seed is fine; asked to run
    it more than once, check_stack wants the seed that makes every run drop the same units."""
    layers = [stack.Layer("dropout_backward", (), {"p": 0.5, "mode": "train"})]
    x = np.ones((2, 3))
    assert check_stack(layers, {}, x) is not None
    with pytest.raises(ValueError, match=r"needs a 'seed' in train mode"):
        check_stack(layers, {}, x, repeated=True)


def test_a_layer_of_an_unknown_stage_is_refused_listing_the_known_ones():
    """Layer('conv') is not a stage: the message lists the stages a stack can run."""
    with pytest.raises(
        ValueError, match=r"^stage must be one of \['activation', 'affine_backward'"
    ):
        stack.Layer("conv")


@pytest.mark.parametrize(
    "fn", [ForwardOnly(), BackwardOnly(), None], ids=lambda f: type(f).__name__
)
def test_an_activation_layer_needs_both_forward_and_backward(fn):
    """An activation layer's object must have forward(x) and backward(dout, cache); the
    message says so and names what arrived."""
    message = (
        r"^an activation layer needs settings=\{'activation': an object with forward\(x\) and "
        rf"backward\(dout, cache\)\}}; got {type(fn).__name__}$"
    )
    with pytest.raises(TypeError, match=message):
        stack.Layer("activation", (), {"activation": fn})


def two_affine_layers():
    layers = [
        stack.Layer("affine_backward", ("W1", "b1")),
        stack.Layer("affine_backward", ("W2", "b2")),
    ]
    rng = np.random.default_rng(0)
    params = {
        "W1": rng.standard_normal((3, 4)),
        "b1": np.zeros(4),
        "W2": rng.standard_normal((4, 2)),
        "b2": np.zeros(2),
    }
    return layers, params


def test_a_first_affine_layer_reads_an_image_batch_as_rows_and_needs_no_dx():
    """An affine first layer takes a batch (N, d1, d2) as its (N, d1 * d2) rows; backward without
    need_dx gives its weights' gradients and no "x", as for a flat batch."""
    rng = np.random.default_rng(2)
    layers = [stack.Layer("affine_backward", ("W1", "b1"))]
    params = {"W1": rng.standard_normal((6, 3)), "b1": rng.standard_normal(3)}
    images, dout = rng.standard_normal((4, 2, 3)), rng.standard_normal((4, 3))
    out, caches = stack.forward(layers, params, images)
    flat_out, flat_caches = stack.forward(layers, params, images.reshape(4, 6))
    np.testing.assert_array_equal(out, flat_out)
    grads = stack.backward(layers, caches, dout)
    flat = stack.backward(layers, flat_caches, dout)
    assert set(grads) == set(flat) == {"W1", "b1"}
    for name in flat:
        np.testing.assert_array_equal(grads[name], flat[name])


def test_backward_through_two_affine_layers_in_a_row():
    """With no elementwise layer between them, the second affine layer passes its dx back to
    the first: dW1 = x^T (dout W2^T)."""
    layers, params = two_affine_layers()
    x, dout = np.ones((5, 3)), np.ones((5, 2))
    _, caches = stack.forward(layers, params, x)
    grads = stack.backward(layers, caches, dout)
    np.testing.assert_allclose(grads["W1"], x.T @ (dout @ params["W2"].T))
    assert "x" not in grads  # the stack's own dx is left out unless asked for
    with_dx = stack.backward(layers, caches, dout, need_dx=True)
    np.testing.assert_allclose(with_dx["x"], dout @ params["W2"].T @ params["W1"].T)


@pytest.mark.parametrize(
    ("stage", "params", "wanted"),
    [
        ("batchnorm_backward", ("gamma",), "the names of its gamma and beta"),
        ("layernorm_backward", ("g", "b", "c"), "the names of its gamma and beta"),
        ("affine_backward", ("W",), "the names of its weights and biases"),
        ("affine_backward", ("W", "W"), "the names of its weights and biases"),
        ("conv_backward_naive", ("W", "b", "c"), "the names of its filters and biases"),
        ("relu_backward", ("W",), "empty"),
    ],
)
def test_a_layer_names_exactly_the_parameters_its_kernels_take(stage, params, wanted):
    """A layer names its stage's parameters, in order and each once: two for affine, conv and
    the normalisations, none for the others. Any other count is refused when the layer is made,
    not later inside a kernel as a missing argument."""
    with pytest.raises(ValueError, match=rf"^params of stage '{stage}' must be {wanted}; got "):
        stack.Layer(stage, params)


@pytest.mark.parametrize("params", ["Wb", ("W", 1), None])
def test_parameter_names_that_are_not_a_tuple_of_strings_are_refused_by_type(params):
    """params is a tuple (or list) of strings; a string, a number among them or None is a
    TypeError saying so."""
    with pytest.raises(TypeError, match=r"^params of stage 'affine_backward' must be a tuple of "):
        stack.Layer("affine_backward", params)


def test_a_list_of_parameter_names_is_kept_as_a_tuple():
    """params may be written as a list; the layer keeps a tuple, so layers compare and hash."""
    layer = stack.Layer("affine_backward", ["W1", "b1"])
    assert layer.params == ("W1", "b1")
    assert layer == stack.Layer("affine_backward", ("W1", "b1"))
