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


def test_a_gradient_that_is_not_finite_or_not_of_ws_shape_is_named():
    """dw is checked before any step: NaN or a shape other than w's is refused naming dw."""
    with pytest.raises(ValueError, match=r"^dw must be finite"):
        sgd(np.ones(2), [np.nan, 1.0])
    with pytest.raises(ValueError, match=r"^dw must have shape \(2,\) to match w; got \(3,\)$"):
        sgd(np.ones(2), np.ones(3))


def test_only_adam_keeps_a_step_count():
    """'t' is Adam's step count; the other rules refuse it as a key they do not use."""
    with pytest.raises(ValueError, match=r"^config has keys sgd does not use: \['t'\]"):
        sgd(np.ones(2), np.ones(2), {"t": 3})
    assert adam(np.ones(2), np.ones(2), {"t": 3})[1]["t"] == 4


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_first_momentum_step_starts_from_a_zero_velocity_of_ws_dtype(dtype):
    """Without a velocity given, it starts at zeros like w: the step is -lr * dw, in w's dtype."""
    w, dw = np.ones(2, dtype), np.array([1.0, -2.0], dtype)
    next_w, config = sgd_momentum(w, dw, {"learning_rate": 0.5, "momentum": 0.9})
    assert next_w.dtype == dtype and config["velocity"].dtype == dtype
    np.testing.assert_allclose(next_w, [0.5, 2.0])
