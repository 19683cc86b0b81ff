"""What TwoLayerNet promises about its sizes, its parameters and its activation, beyond numbers.

A parameter dict that is not exactly W1, b1, W2, b2, with the ranks and shapes that agree, is
refused when the loss is next computed, with the entry named as ``params['...']`` and the shape
it must have and why. A constructor argument that cannot be used is refused by its own name,
sizes whose parameters would not fit in memory before anything is drawn, and an activation that
lacks forward or backward by saying what one needs.
"""

import re

import numpy as np
import pytest
from helpers import BackwardOnly, ForwardOnly

from backprop_core import TwoLayerNet

X, Y = np.ones((5, 2)), [0, 1, 2, 3, 0]


def whole(message):
    return "^" + re.escape(message) + "$"


def net_with(**changes):
    """A 2-3-4 net whose params dict has been edited by hand, as a learner might."""
    net = TwoLayerNet(2, 3, 4, seed=0)
    params = dict(net.params)
    for name, value in changes.items():
        if value is None:
            del params[name]
        else:
            params[name] = value
    net.params = params
    return net


EXACTLY = "params must hold exactly ['W1', 'b1', 'W2', 'b2']; "
BAD_PARAMS = {
    "an extra key": ({"W3": np.ones(2)}, EXACTLY + "got the extra key(s) ['W3']"),
    "a missing key": ({"b2": None}, EXACTLY + "missing ['b2']"),
    "W2 of rank 1": ({"W2": np.ones(3)}, "params['W2'] must be 2-dimensional; got shape (3,)"),
    "b1 of rank 2": (
        {"b1": np.ones((3, 1))},
        "params['b1'] must be 1-dimensional; got shape (3, 1)",
    ),
    "b2 of rank 2": (
        {"b2": np.ones((4, 1))},
        "params['b2'] must be 1-dimensional; got shape (4, 1)",
    ),
    "W2 of other rows": (
        {"W2": np.ones((4, 4))},
        "params['W2'] must have shape (H, C) = (3, ?) to match W1 of shape (2, 3); got (4, 4)",
    ),
    "b1 of other size": (
        {"b1": np.ones(4)},
        "params['b1'] must have shape (H,) = (3,) to match W1 of shape (2, 3); got (4,)",
    ),
    "b2 of other size": (
        {"b2": np.ones(5)},
        "params['b2'] must have shape (C,) = (4,) to match W2 of shape (3, 4); got (5,)",
    ),
}


@pytest.mark.parametrize("changes, message", BAD_PARAMS.values(), ids=BAD_PARAMS.keys())
def test_a_hand_edited_params_dict_is_refused_naming_the_entry_and_its_shape(changes, message):
    with pytest.raises(ValueError, match=whole(message)):
        net_with(**changes).loss(X, Y)


def test_an_extra_key_of_another_type_is_named_too():
    """Keys of mixed types (here an int beside the four names) are compared as text."""
    net = TwoLayerNet(2, 3, 4, seed=0)
    net.params = {**net.params, 3: np.ones(2)}
    with pytest.raises(ValueError, match=whole(EXACTLY + "got the extra key(s) [3]")):
        net.loss(X, Y)


def test_params_that_are_not_a_dict_are_refused_naming_their_type():
    net = TwoLayerNet(2, 3, 4, seed=0)
    net.params = list(net.params.values())
    with pytest.raises(TypeError, match=whole("params must be a dict of W1, b1, W2, b2; got list")):
        net.loss(X, Y)


def test_an_x_of_the_wrong_rank_is_named_x():
    with pytest.raises(ValueError, match=whole("X must be 2-dimensional; got shape (3,)")):
        TwoLayerNet(2, 3, 4, seed=0).loss(np.ones(3), Y)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"output_size": 0}, ValueError, "output_size must be >= 1; got 0"),
        ({"relu_at_zero": "a"}, TypeError, "relu_at_zero must be a real number; got str 'a'"),
    ],
    ids=["output_size", "relu_at_zero"],
)
def test_a_constructor_argument_is_refused_by_its_name(kwargs, error, message):
    sizes = {"input_size": 2, "hidden_size": 3, "output_size": 4}
    with pytest.raises(error, match=whole(message)):
        TwoLayerNet(**{**sizes, **kwargs})


def test_sizes_whose_parameters_would_not_fit_are_refused_before_anything_is_drawn():
    """10**11 inputs and 1,000 hidden units: W1 alone would hold 10**14 numbers. Refused by
    counting D * H + H * C, with the count and the limit, not by NumPy failing to allocate."""
    message = (
        "the parameters (input_size, hidden_size, output_size) would hold 100,000,000,001,000 "
        "numbers, more than 1,000,000,000: choose smaller sizes"
    )
    with pytest.raises(ValueError, match=whole(message)):
        TwoLayerNet(10**11, 1000, 1)


class NotCallable:
    forward = backward = "f"


@pytest.mark.parametrize("activation", [object(), ForwardOnly(), BackwardOnly(), NotCallable()])
def test_an_activation_needs_both_forward_and_backward(activation):
    """Half an activation is refused when the net is built, not at its first backward pass."""
    message = (
        "activation must be None (the ReLU) or an object with forward(x) -> (out, cache) and "
        f"backward(dout, cache), such as an Activation; got {type(activation).__name__}"
    )
    with pytest.raises(TypeError, match=whole(message)):
        TwoLayerNet(2, 3, 4, activation=activation)


def test_predict_checks_the_values_again_after_a_loss_on_the_same_dict():
    """loss() skips re-checking a dict whose names, shapes and dtypes passed before; predict()
    always looks at the values, so a weight made infinite in place in between is refused."""
    net = TwoLayerNet(2, 3, 4, seed=0)
    net.loss(X, Y)
    net.params["W1"][0, 0] = np.inf
    message = "params['W1'] holds infinity: training diverged? (try a smaller step)"
    with pytest.raises(ValueError, match=whole(message)):
        net.predict(X)
