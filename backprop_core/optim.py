"""Update rules with cs231n's signature: ``rule(w, dw, config=None) -> (next_w, config)``.

``config`` holds the rule's hyperparameters and the state it carries from one step to the next
(a velocity, running averages, a step count). A rule fills in the defaults of a missing or partial
``config`` and returns the config to pass to the next call, as cs231n's do. Unlike cs231n's, they
change neither ``w`` nor the ``config`` they were given: ``next_w`` and the returned config are new
objects, so a step can be retried or compared. Keys and defaults are cs231n's:

==============  =====================================================================
sgd             ``learning_rate`` 1e-2
sgd_momentum    ``learning_rate`` 1e-2, ``momentum`` 0.9, state ``velocity``
rmsprop         ``learning_rate`` 1e-2, ``decay_rate`` 0.99, ``epsilon`` 1e-8, state ``cache``
adam            ``learning_rate`` 1e-3, ``beta1`` 0.9, ``beta2`` 0.999, ``epsilon`` 1e-8,
                state ``m``, ``v`` and the step count ``t``
==============  =====================================================================

Adam is Kingma & Ba (2015), Algorithm 1, with ``t`` counted before it is used; RMSProp is
Tieleman & Hinton's (2012, lecture 6.5). float32 parameters stay float32, state included.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ._checks import as_count, as_float_array, as_scalar, check_shape

HYPERPARAMETERS = {  # rule -> {key: (default, lowest allowed, highest allowed or None)}
    "sgd": {"learning_rate": (1e-2, 0.0, None)},
    "sgd_momentum": {"learning_rate": (1e-2, 0.0, None), "momentum": (0.9, 0.0, 1.0)},
    "rmsprop": {
        "learning_rate": (1e-2, 0.0, None),
        "decay_rate": (0.99, 0.0, 1.0),
        "epsilon": (1e-8, 0.0, None),
    },
    "adam": {
        "learning_rate": (1e-3, 0.0, None),
        "beta1": (0.9, 0.0, 1.0),
        "beta2": (0.999, 0.0, 1.0),
        "epsilon": (1e-8, 0.0, None),
    },
}
STATE = {"sgd": (), "sgd_momentum": ("velocity",), "rmsprop": ("cache",), "adam": ("m", "v")}


def config_keys(rule) -> set:
    """Every key a config of ``rule`` may hold: its hyperparameters and its state."""
    return {*HYPERPARAMETERS[rule], *STATE[rule], *(("t",) if rule == "adam" else ())}


def read_config(rule, w, config):
    """``config`` completed with the defaults of ``rule``, every value checked; a new dict."""
    if config is None:
        config = {}
    if not isinstance(config, Mapping):
        raise TypeError(f"config must be a dict or None; got {type(config).__name__}")
    known = config_keys(rule)
    unknown = sorted(str(k) for k in config if k not in known)
    if unknown:
        raise ValueError(f"config has keys {rule} does not use: {unknown}; it uses {sorted(known)}")
    out = {}
    for key, (default, low, high) in HYPERPARAMETERS[rule].items():
        value = as_scalar(config.get(key, default), f"config[{key!r}]")
        below = value <= low if key in ("learning_rate", "epsilon") else value < low
        if below or (high is not None and value >= high):
            bounds = f"> {low:g}" if high is None else f"in [{low:g}, {high:g})"
            raise ValueError(f"config[{key!r}] must be {bounds}; got {value!r}")
        out[key] = value
    for key in STATE[rule]:
        if key in config:
            state = as_float_array(config[key], f"config[{key!r}]")
            check_shape(state, f"config[{key!r}]", w.shape, "", "to match w")
            out[key] = state.astype(w.dtype, copy=False)
        else:
            out[key] = np.zeros_like(w)
    if rule == "adam":
        out["t"] = as_count(config.get("t", 0), "config['t']", minimum=0)
    return out


def checked(w, dw):
    w = as_float_array(w, "w")
    dw = as_float_array(dw, "dw")
    check_shape(dw, "dw", w.shape, "", "to match w")
    return w, dw.astype(w.dtype, copy=False)


def sgd(w, dw, config=None):
    """Plain stochastic gradient descent: ``next_w = w - learning_rate * dw``.

    >>> next_w, config = sgd(np.array([1.0, 2.0]), np.array([10.0, -10.0]))
    >>> next_w, config
    (array([0.9, 2.1]), {'learning_rate': 0.01})
    """
    w, dw = checked(w, dw)
    return sgd_kernel(w, dw, read_config("sgd", w, config))


def sgd_kernel(w, dw, config):
    """The step of :func:`sgd` for trusted arguments: arrays of one dtype and shape, ``config``
    complete and valid (as :func:`read_config` or a previous step returns it). ``config`` is
    not changed: the step returns a new one, as every kernel here does.

    >>> sgd_kernel(np.array([1.0]), np.array([10.0]), {"learning_rate": 0.1})
    (array([0.]), {'learning_rate': 0.1})
    """
    return w - config["learning_rate"] * dw, dict(config)


def sgd_momentum(w, dw, config=None):
    """SGD with momentum: ``v = momentum * v - learning_rate * dw``, then ``next_w = w + v``.

    The velocity ``v`` starts at 0 and is carried in ``config["velocity"]``: a constant gradient
    builds up to a step ``1 / (1 - momentum)`` times SGD's (10 times at the default 0.9).

    >>> w, config = np.array([0.0]), None
    >>> for _ in range(3):
    ...     w, config = sgd_momentum(w, np.array([1.0]), config)
    >>> config["velocity"]  # -0.01 * (1 + 0.9 + 0.81)
    array([-0.0271])
    """
    w, dw = checked(w, dw)
    return sgd_momentum_kernel(w, dw, read_config("sgd_momentum", w, config))


def sgd_momentum_kernel(w, dw, config):
    """The step of :func:`sgd_momentum` for trusted arguments (see :func:`sgd_kernel`).

    >>> config = {"learning_rate": 0.1, "momentum": 0.5, "velocity": np.array([2.0])}
    >>> sgd_momentum_kernel(np.array([0.0]), np.array([10.0]), config)[0]  # 0.5 * 2 - 0.1 * 10
    array([0.])
    """
    velocity = config["momentum"] * config["velocity"] - config["learning_rate"] * dw
    return w + velocity, {**config, "velocity": velocity}


def rmsprop(w, dw, config=None):
    """RMSProp: each entry's step divided by a running root mean square of its gradient.

    ``cache = decay_rate * cache + (1 - decay_rate) * dw**2`` and
    ``next_w = w - learning_rate * dw / (sqrt(cache) + epsilon)``.

    >>> next_w, config = rmsprop(np.array([0.0, 0.0]), np.array([4.0, -0.5]))
    >>> next_w.round(6)  # first step: cache = 0.01 dw**2, so each entry moves 10 * lr
    array([-0.1,  0.1])
    """
    w, dw = checked(w, dw)
    return rmsprop_kernel(w, dw, read_config("rmsprop", w, config))


def rmsprop_kernel(w, dw, config):
    """The step of :func:`rmsprop` for trusted arguments (see :func:`sgd_kernel`).

    >>> config = {"learning_rate": 0.1, "decay_rate": 0.0, "epsilon": 0.0, "cache": np.zeros(1)}
    >>> rmsprop_kernel(np.array([0.0]), np.array([-3.0]), config)[0]  # cache = dw**2: a step of lr
    array([0.1])
    """
    rate = config["decay_rate"]
    cache = rate * config["cache"] + (1 - rate) * (dw * dw)
    step = config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"])
    return w - step, {**config, "cache": cache}


def adam(w, dw, config=None):
    """Adam: momentum on the gradient and RMSProp's scaling, both corrected for their zero start.

    ``t += 1``; ``m = beta1 m + (1 - beta1) dw``; ``v = beta2 v + (1 - beta2) dw**2``;
    ``next_w = w - learning_rate * (m / (1 - beta1**t)) / (sqrt(v / (1 - beta2**t)) + epsilon)``.

    >>> next_w, config = adam(np.array([0.0, 0.0]), np.array([4.0, -0.5]))
    >>> next_w.round(6), config["t"]  # the first step is learning_rate * sign(dw)
    (array([-0.001,  0.001]), 1)
    """
    w, dw = checked(w, dw)
    return adam_kernel(w, dw, read_config("adam", w, config))


def adam_kernel(w, dw, config):
    """The step of :func:`adam` for trusted arguments (see :func:`sgd_kernel`).

    >>> config = read_config("adam", np.zeros(1), {"t": 9})
    >>> adam_kernel(np.array([0.0]), np.array([2.0]), config)[1]["t"]
    10
    """
    b1, b2, t = config["beta1"], config["beta2"], config["t"] + 1
    m = b1 * config["m"] + (1 - b1) * dw
    v = b2 * config["v"] + (1 - b2) * (dw * dw)
    m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
    step = config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"])
    return w - step, {**config, "m": m, "v": v, "t": t}


RULES = {"sgd": sgd, "sgd_momentum": sgd_momentum, "rmsprop": rmsprop, "adam": adam}
# each checked rule's kernel: what the Solver calls once a rule has checked a parameter's config
KERNELS = {
    sgd: sgd_kernel,
    sgd_momentum: sgd_momentum_kernel,
    rmsprop: rmsprop_kernel,
    adam: adam_kernel,
}

__all__ = [
    "KERNELS",
    "RULES",
    "adam",
    "adam_kernel",
    "rmsprop",
    "rmsprop_kernel",
    "sgd",
    "sgd_kernel",
    "sgd_momentum",
    "sgd_momentum_kernel",
]
