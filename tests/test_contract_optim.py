"""What the update rules promise beyond cs231n's reference values: Adam's epsilon added to the
root of the second moment, a momentum of 0 allowed, and a bad config named with what it needed."""

import numpy as np
import pytest

from backprop_core.optim import adam, sgd, sgd_momentum


def test_adams_first_step_is_lr_times_g_over_abs_g_plus_epsilon():
    """At t = 1 the bias-corrected moments are g and g**2, so the step is lr * g / (|g| + eps):
    for g equal to eps it is half the learning rate (epsilon adds to the root, never subtracts)."""
    g, eps, lr = 1e-8, 1e-8, 1e-3
    next_w, config = adam(np.zeros(1), np.array([g]), {"learning_rate": lr, "epsilon": eps})
    np.testing.assert_allclose(next_w, [-lr * g / (g + eps)], rtol=1e-12)
    assert config["t"] == 1


def test_a_momentum_of_0_is_plain_sgd():
    """momentum lies in [0, 1): 0 is allowed, and then the step is plain SGD's."""
    w, dw = np.array([1.0, -2.0]), np.array([0.5, 4.0])
    next_w, _ = sgd_momentum(w, dw, {"momentum": 0.0, "learning_rate": 0.1})
    np.testing.assert_allclose(next_w, sgd(w, dw, {"learning_rate": 0.1})[0])


def test_a_hyperparameter_that_is_not_a_number_is_named():
    """A config value is read as a real number; what arrived instead is named with its key."""
    with pytest.raises(
        TypeError, match=r"^config\['learning_rate'\] must be a real number; got str"
    ):
        sgd(np.ones(2), np.ones(2), {"learning_rate": "fast"})


def test_a_state_of_the_wrong_shape_is_named_with_the_shape_it_needs():
    """A velocity (or cache, m, v) carried over must have w's shape: the message names the key,
    the shape wanted and why."""
    message = r"^config\['velocity'\] must have shape \(2,\) to match w; got \(3,\)$"
    with pytest.raises(ValueError, match=message):
        sgd_momentum(np.ones(2), np.ones(2), {"velocity": np.ones(3)})
