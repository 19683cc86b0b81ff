"""The update rules: cs231n's keys and defaults, what each rule does to a step, that none changes
its arguments, and clear refusals of bad configs."""

import copy

import numpy as np
import pytest

from backprop_core.optim import KERNELS, RULES, adam, rmsprop, sgd, sgd_momentum

DEFAULTS = {  # cs231n assignment 2, optim.py
    "sgd": {"learning_rate": 1e-2},
    "sgd_momentum": {"learning_rate": 1e-2, "momentum": 0.9},
    "rmsprop": {"learning_rate": 1e-2, "decay_rate": 0.99, "epsilon": 1e-8},
    "adam": {"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8},
}
STATE = {"sgd": set(), "sgd_momentum": {"velocity"}, "rmsprop": {"cache"}, "adam": {"m", "v", "t"}}


@pytest.mark.parametrize("name", sorted(RULES))
def test_defaults_and_state_are_cs231ns(name):
    _, config = RULES[name](np.ones(3), np.ones(3))
    assert {k: config[k] for k in DEFAULTS[name]} == DEFAULTS[name]
    assert set(config) == set(DEFAULTS[name]) | STATE[name]


@pytest.mark.parametrize("name", sorted(RULES))
def test_nothing_is_changed_in_place(name):
    rng = np.random.default_rng(0)
    w, dw = rng.normal(size=(3, 2)), rng.normal(size=(3, 2))
    _, config = RULES[name](w, dw)  # a config with state
    before = (w.copy(), dw.copy(), copy.deepcopy(config))
    for step in (RULES[name], KERNELS[RULES[name]]):  # the checked rule and its kernel
        next_w, next_config = step(w, dw, config)
        assert np.array_equal(w, before[0]) and np.array_equal(dw, before[1])
        for key, value in before[2].items():
            assert np.array_equal(config[key], value), key
        assert next_w is not w and next_config is not config


@pytest.mark.parametrize("name", sorted(RULES))
def test_float32_stays_float32_state_included(name):
    w = np.ones((2, 2), np.float32)
    next_w, config = RULES[name](w, np.full((2, 2), 0.5, np.float32))
    next_w, config = RULES[name](next_w, np.full((2, 2), 0.5, np.float32), config)
    assert next_w.dtype == np.float32
    assert all(v.dtype == np.float32 for v in config.values() if isinstance(v, np.ndarray))


@pytest.mark.parametrize("name", sorted(RULES))
def test_every_rule_walks_down_a_quadratic_bowl(name):
    # L(w) = 0.5 |w - target|^2, gradient w - target; each rule gets close within 3000 steps
    target = np.array([1.0, -2.0, 0.5])
    w, config = np.zeros(3), {"learning_rate": 1e-2}
    for _ in range(3000):
        w, config = RULES[name](w, w - target, config)
    assert np.abs(w - target).max() < 1e-2, (name, w)


def test_sgd_steps_against_the_gradient_by_the_learning_rate():
    next_w, _ = sgd(np.array([1.0, 1.0]), np.array([2.0, -4.0]), {"learning_rate": 0.25})
    assert next_w.tolist() == [0.5, 2.0]


def test_momentum_builds_up_to_one_over_one_minus_momentum():
    w, config = np.zeros(1), {"learning_rate": 0.1, "momentum": 0.5}
    steps = []
    for _ in range(40):
        new_w, config = sgd_momentum(w, np.ones(1), config)
        steps.append(float(new_w[0] - w[0]))
        w = new_w
    assert steps[0] == pytest.approx(-0.1) and steps[1] == pytest.approx(-0.15)
    assert steps[-1] == pytest.approx(-0.1 / (1 - 0.5))


def test_rmsprop_scales_each_entry_by_its_own_gradient_size():
    next_w, config = rmsprop(np.zeros(2), np.array([100.0, 0.01]), {"learning_rate": 0.1})
    # first step: cache = 0.01 dw^2, so each entry moves 0.1 / sqrt(0.01) = 1 whatever its size
    assert next_w == pytest.approx([-1.0, -1.0], rel=1e-5)
    assert config["cache"] == pytest.approx([100.0, 1e-6])


def test_adam_corrects_the_zero_start_and_counts_steps_first():
    w, config = np.zeros(2), None
    for t in range(1, 6):
        new_w, config = adam(w, np.array([3.0, -0.2]), config)
        # with a constant gradient the corrected moments are exact: every step is lr * sign
        assert new_w - w == pytest.approx([-1e-3, 1e-3], rel=1e-6) and config["t"] == t
        w = new_w
    uncorrected = config["m"] / np.sqrt(config["v"])  # without the correction: not sign(dw)
    assert not np.allclose(np.abs(uncorrected), 1.0)


@pytest.mark.parametrize(
    ("name", "config", "error", "words"),
    [
        ("sgd", [("learning_rate", 1)], TypeError, "config must be a dict or None; got list"),
        ("sgd", {"lr": 0.1}, ValueError, r"config has keys sgd does not use: \['lr'\]"),
        ("sgd", {"learning_rate": 0.0}, ValueError, r"config\['learning_rate'\] must be > 0"),
        ("sgd", {"learning_rate": "0.1"}, TypeError, "must be a real number; got str"),
        ("sgd", {"learning_rate": float("nan")}, ValueError, "must be finite"),
        ("sgd_momentum", {"momentum": 1.0}, ValueError, r"must be in \[0, 1\); got 1.0"),
        ("sgd_momentum", {"velocity": np.zeros(4)}, ValueError, r"config\['velocity'\]"),
        ("rmsprop", {"decay_rate": -0.1}, ValueError, r"config\['decay_rate'\] must be in"),
        ("rmsprop", {"epsilon": 0}, ValueError, r"config\['epsilon'\] must be > 0"),
        ("adam", {"t": -1}, ValueError, r"config\['t'\] must be >= 0"),
        ("adam", {"t": 1.5}, TypeError, r"config\['t'\] must be an integer"),
        ("adam", {"beta2": 1}, ValueError, r"config\['beta2'\] must be in \[0, 1\)"),
        ("adam", {"m": "zeros"}, TypeError, r"config\['m'\]"),
    ],
)
def test_bad_configs_are_refused_by_name(name, config, error, words):
    with pytest.raises(error, match=words):
        RULES[name](np.zeros(3), np.zeros(3), config)


@pytest.mark.parametrize("name", sorted(RULES))
def test_bad_arrays_are_refused_by_name(name):
    with pytest.raises(ValueError, match="dw must have shape"):
        RULES[name](np.zeros(3), np.zeros(4))
    with pytest.raises(TypeError, match="w must be"):
        RULES[name]("weights", np.zeros(3))
