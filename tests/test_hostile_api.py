"""Hostile, odd and mistaken arguments to every public function of the numeric API.

Each case says what it expects: an error raised by backprop_core itself (its last frame inside the
package, never inside NumPy or Python's internals) whose message names the argument, or a result
that is finite. Every case also checks that no argument was changed. The cases are generated from
tables: the functions with valid arguments, and the bad values each kind of argument can meet.
"""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pytest

import backprop_core as bc
from backprop_core import TwoLayerNet, layers
from backprop_core.training import sgd

PACKAGE = Path(bc.__file__).resolve().parent


class Case(NamedTuple):
    label: str
    fn: object  # called as fn(**args)
    args: dict
    expect: str  # "raises" or "ok"
    mention: str = ""  # what the error message must contain (the argument's name)


# -- valid arguments of every function -------------------------------------------------------------

rng = np.random.default_rng(0)
X54, W43, B3 = rng.normal(size=(5, 4)), rng.normal(size=(4, 3)), rng.normal(size=3)
Y5 = np.array([0, 1, 2, 2, 1])


def net():
    return TwoLayerNet(4, 6, 3, std=0.5, seed=0)


FUNCTIONS = {  # name: (function, valid arguments)
    "affine_forward": (bc.affine_forward, lambda: {"x": X54, "W": W43, "b": B3}),
    "affine_backward": (
        bc.affine_backward,
        lambda: {"dout": np.ones((5, 3)), "cache": bc.affine_forward(X54, W43, B3)[1]},
    ),
    "relu_forward": (bc.relu_forward, lambda: {"x": X54}),
    "relu_backward": (
        bc.relu_backward,
        lambda: {"dout": np.ones((5, 4)), "cache": bc.relu_forward(X54)[1], "at_zero": 0.0},
    ),
    "softmax": (bc.softmax, lambda: {"scores": X54}),
    "softmax_cross_entropy": (bc.softmax_cross_entropy, lambda: {"scores": X54, "y": Y5}),
    "affine_jacobian": (bc.affine_jacobian, lambda: {"x": X54, "W": W43, "wrt": "W"}),
    "relu_jacobian": (bc.relu_jacobian, lambda: {"x": X54, "at_zero": 0.0}),
    "softmax_jacobian": (bc.softmax_jacobian, lambda: {"scores": X54, "full": False}),
    "flatten_jacobian": (bc.flatten_jacobian, lambda: {"J": np.ones((2, 3, 2, 3))}),
    "vjp": (bc.vjp, lambda: {"J": np.ones((2, 3, 4)), "dout": np.ones((2, 3))}),
    "shifted_copies": (
        bc.shifted_copies,
        lambda: {"X": rng.normal(size=(3, 16)), "y": np.array([0, 1, 2]), "image_shape": (4, 4)},
    ),
    "convert_layout": (
        bc.convert_layout,
        lambda: {
            "J": np.ones((2, 3, 3)),
            "out_shape": (2, 3),
            "in_shape": (3,),
            "source": "tensor",
            "target": "denominator-F",
        },
    ),
    "transpose_arrays": (
        bc.transpose_arrays,
        lambda: {
            "J": np.ones((1, 2, 3, 1)),
            "out_shape": (1, 2),
            "in_shape": (3, 1),
            "which": "in",
        },
    ),
    "numerical_gradient": (
        bc.numerical_gradient,
        lambda: {"f": lambda v: float(np.sum(v**2)), "x": np.ones(3), "h": 1e-5},
    ),
    "numerical_gradient_array": (
        bc.numerical_gradient_array,
        lambda: {"f": lambda v: 2 * v, "x": np.ones(3), "dout": np.ones(3), "h": 1e-5},
    ),
    "rel_error": (bc.rel_error, lambda: {"a": np.ones(3), "b": np.ones(3)}),
    "verdict": (bc.verdict, lambda: {"error": 1e-9, "kinks": 0}),
    "spiral": (bc.spiral, lambda: {"n_per_class": 10, "n_classes": 3, "seed": 0}),
    "TwoLayerNet": (
        TwoLayerNet,
        lambda: {
            "input_size": 4,
            "hidden_size": 6,
            "output_size": 3,
            "std": 0.1,
            "seed": 0,
            "relu_at_zero": 0.0,
            "dtype": np.float64,
        },
    ),
    "net.loss": (lambda X, y, reg: net().loss(X, y, reg), lambda: {"X": X54, "y": Y5, "reg": 0.1}),
    "net.forward": (lambda X: net().forward(X), lambda: {"X": X54}),
    "net.predict": (lambda X: net().predict(X), lambda: {"X": X54}),
    "net.backward": (
        lambda trace, y, reg: net().backward(trace, y, reg),
        lambda: {"trace": net().forward(X54), "y": Y5, "reg": 0.0},
    ),
    "net.train": (
        lambda X, y, learning_rate, reg, num_iters, batch_size: net().train(
            X, y, X, y, learning_rate, 1.0, reg, num_iters, batch_size
        ),
        lambda: {
            "X": X54,
            "y": Y5,
            "learning_rate": 0.1,
            "reg": 0.0,
            "num_iters": 3,
            "batch_size": 2,
        },
    ),
    "net.kinks_within": (lambda X, h: net().kinks_within(X, h), lambda: {"X": X54, "h": 1e-5}),
    "two_layer_loss": (
        bc.two_layer_loss,
        lambda: {"params": net().params, "X": X54, "y": Y5, "reg": 0.0},
    ),
    "gradcheck": (
        bc.gradcheck,
        lambda: {"model": net(), "X": X54, "y": Y5, "reg": 0.0, "h": 1e-5},
    ),
    "sgd": (
        lambda loss, params, rng, learning_rate, num_iters, batch_size: sgd(
            loss,
            params,
            X54,
            Y5,
            X54,
            Y5,
            rng=rng,
            learning_rate=learning_rate,
            num_iters=num_iters,
            batch_size=batch_size,
        ),
        lambda: (
            lambda n: {
                "loss": n.loss,
                "params": n.params,
                "rng": 0,
                "learning_rate": 0.1,
                "num_iters": 2,
                "batch_size": 2,
            }
        )(net()),
    ),
}

# -- the kinds of argument, and the bad values each meets ------------------------------------------

NOT_ARRAYS = {
    "None": None,
    "a string": "abc",
    "a bool": True,
    "a dict": {"a": 1},
    "an object": object(),
    "a ragged list": [[1.0], [1.0, 2.0]],
    "strings in a list": [["a", "b"]],
}
BAD_ARRAYS = {
    "complex": lambda a: a + 1j,
    "bool": lambda a: a > 0,
    "durations": lambda a: np.ones(a.shape, dtype="m8[s]"),
    "a NaN": lambda a: np.where(np.arange(a.size).reshape(a.shape) == 0, np.nan, a),
    "an infinity": lambda a: np.where(np.arange(a.size).reshape(a.shape) == 0, np.inf, a),
    "empty": lambda a: np.ones((0, *a.shape[1:])),
    "one more axis": lambda a: a[..., None],
    "one more row": lambda a: np.concatenate([a, a[:1]]),
}
BAD_SCALARS = {
    "None": None,
    "a string": "1",
    "a bool": True,
    "NaN": math.nan,
    "infinity": math.inf,
    "complex": 1j,
    "an array": np.array([1.0, 2.0]),
    "a list": [1.0],
}
BAD_COUNTS = {
    "zero": 0,
    "negative": -1,
    "a float": 1.5,
    "a string": "3",
    "None": None,
    "a bool": True,
}
BAD_LABELS = {
    "floats": lambda y: y.astype(float),
    "out of range": lambda y: y + 10,
    "negative": lambda y: y - 5,
    "too few": lambda y: y[:-1],
    "2-D": lambda y: y[:, None],
    "strings": lambda y: y.astype(str),
    "bool": lambda y: y > 0,
}
BAD_SEEDS = {"a string": "abc", "negative": -1, "a float": 1.5, "a list": [1]}

KINDS = {  # function: {argument: kind}
    "affine_forward": {"x": "array", "W": "array", "b": "array"},
    "affine_backward": {"dout": "array", "cache": "cache"},
    "relu_forward": {"x": "array*"},  # any shape is valid
    "relu_backward": {"dout": "array", "cache": "cache", "at_zero": "real"},
    "softmax": {"scores": "array"},
    "softmax_cross_entropy": {"scores": "array", "y": "labels"},
    "affine_jacobian": {"x": "array", "W": "array", "wrt": "choice"},
    "relu_jacobian": {"x": "array*", "at_zero": "real"},
    "softmax_jacobian": {"scores": "array"},
    "flatten_jacobian": {"J": "array*"},
    "vjp": {"J": "array*", "dout": "array"},
    "shifted_copies": {"X": "array", "y": "labels"},
    "convert_layout": {"J": "array", "source": "choice", "target": "choice"},
    "transpose_arrays": {"J": "array", "which": "choice"},
    "numerical_gradient": {"f": "function", "x": "array*", "h": "positive"},
    "numerical_gradient_array": {"f": "function", "x": "array*", "dout": "array", "h": "positive"},
    "rel_error": {"a": "array", "b": "array"},
    "verdict": {"error": "nonnegative", "kinks": "count0"},
    "spiral": {"n_per_class": "count", "n_classes": "count", "seed": "seed"},
    "TwoLayerNet": {
        "input_size": "count",
        "hidden_size": "count",
        "output_size": "count",
        "std": "nonnegative",
        "seed": "seed",
        "relu_at_zero": "real",
        "dtype": "dtype",
    },
    "net.loss": {"X": "array", "y": "labels", "reg": "nonnegative"},
    "net.forward": {"X": "array"},
    "net.predict": {"X": "array"},
    "net.backward": {"trace": "trace", "y": "labels", "reg": "nonnegative"},
    "net.train": {
        "X": "array",
        "y": "labels",
        "learning_rate": "positive",
        "reg": "nonnegative",
        "num_iters": "count",
        "batch_size": "count",
    },
    "net.kinks_within": {"X": "array", "h": "positive"},
    "two_layer_loss": {"params": "params", "X": "array", "y": "labels", "reg": "nonnegative"},
    "gradcheck": {
        "model": "model",
        "X": "array",
        "y": "labels",
        "reg": "nonnegative",
        "h": "positive",
    },
    "sgd": {
        "loss": "function",
        "params": "params",
        "rng": "seed",
        "learning_rate": "positive",
        "num_iters": "count",
        "batch_size": "count",
    },
}

# bad values that are nevertheless fine for an argument (what the case then expects: a result)
VALID_ANYWAY = {
    ("relu_forward", "x", "one more axis"),
    ("relu_forward", "x", "one more row"),
    ("relu_jacobian", "x", "one more axis"),
    ("relu_jacobian", "x", "one more row"),
    ("numerical_gradient", "x", "one more axis"),
    ("numerical_gradient", "x", "one more row"),
    ("rel_error", "a", "one more axis"),  # a and b both change? no: only a does, so it raises
    ("verdict", "kinks", "zero"),
    # N is free: one more row is another batch, unless another argument must match it
    ("affine_forward", "x", "one more row"),
    ("affine_forward", "x", "one more axis"),  # (N, d1, d2) with d1 * d2 = D, as in cs231n
    ("shifted_copies", "y", "out of range"),  # any label >= 0: it only copies the labels
    ("softmax", "scores", "one more row"),
    ("affine_jacobian", "x", "one more row"),
    ("softmax_jacobian", "scores", "one more row"),
    ("net.forward", "X", "one more row"),
    ("net.predict", "X", "one more row"),
    ("net.kinks_within", "X", "one more row"),
    ("two_layer_loss", "params", "W1 as a list"),  # read, not updated: any array-like will do
    ("two_layer_loss", "params", "W1 of ints"),
    ("sgd", "params", "a missing key"),
    ("numerical_gradient", "h", "None"),  # None chooses the step for x's dtype and size
    ("numerical_gradient_array", "h", "None"),  # training some parameters and freezing the others
}
VALID_ANYWAY -= {("rel_error", "a", "one more axis")}  # stated above for the reader: it raises
NON_FINITE_ALLOWED = {
    ("numerical_gradient", "x", "a NaN"),
    ("numerical_gradient", "x", "an infinity"),
}


def bad_values(function, argument, kind, valid):
    """``(label, bad value)`` for one argument of one function."""
    if kind in ("array", "array*"):
        yield from NOT_ARRAYS.items()
        base = np.asarray(valid, dtype=float)
        for label, make in BAD_ARRAYS.items():
            if kind == "array*" and label in ("one more axis", "one more row"):
                continue  # any shape is valid for this argument
            yield label, make(base)
    elif kind in ("real", "positive", "nonnegative"):
        yield from BAD_SCALARS.items()
        if kind != "real":
            yield "negative", -1.0
        if kind == "positive":
            yield "zero", 0.0
    elif kind in ("count", "count0"):
        yield from BAD_COUNTS.items()
        if kind == "count" and argument not in ("num_iters", "batch_size"):
            yield "huge", 10**12  # a size to allocate: refused (a count of steps may be large)
    elif kind == "labels":
        for label, make in BAD_LABELS.items():
            yield label, make(np.asarray(valid))
        yield "None where labels are needed", None if function != "net.loss" else "abc"
    elif kind == "seed":
        yield from BAD_SEEDS.items()
    elif kind == "dtype":
        yield from {"a name": "banana", "int": np.int32, "float16": np.float16}.items()
    elif kind == "choice":
        yield from {"another letter": "z", "a list": ["W"], "None": None}.items()
    elif kind == "function":
        yield from {"a number": 3, "None": None, "a string": "f"}.items()
    elif kind == "cache":
        x = np.ones((5, 4))
        yield from {
            "an array": x,
            "a tuple too long": (x, x, x),
            "None": None,
            "inconsistent": (np.ones((5, 3)), np.ones((7, 3))),
            "1-D input": (np.ones(4), np.ones((4, 3))),
        }.items()
    elif kind == "trace":
        yield from {
            "a tuple": (X54,),
            "from another net": TwoLayerNet(4, 5, 3).forward(X54),
            "None": None,
        }.items()
    elif kind == "params":
        params = net().params
        yield from {
            "an extra key": {**params, "W3": np.ones(2)},
            "a missing key": {k: v for k, v in params.items() if k != "b2"},
            "W1 as a list": {**params, "W1": params["W1"].tolist()},
            "W1 of ints": {**params, "W1": np.ones((4, 6), dtype=np.int64)},
            "W1 with NaN": {**params, "W1": np.full((4, 6), np.nan)},
            "W2 of a wrong shape": {**params, "W2": np.ones((5, 3))},
            "a list": [1, 2],
        }.items()
    elif kind == "model":
        yield from {"a string": "net", "None": None, "no params": object()}.items()


def expectation(function, argument, label):
    if (function, argument, label) in VALID_ANYWAY:
        return "ok"
    return "raises"


def cases():
    out = []
    for function, kinds in KINDS.items():
        fn, valid_args = FUNCTIONS[function]
        out.append(Case(f"{function}: valid arguments", fn, valid_args(), "ok"))
        for argument, kind in kinds.items():
            for label, value in bad_values(function, argument, kind, valid_args()[argument]):
                args = {**valid_args(), argument: value}
                expect = expectation(function, argument, label)
                mention = argument.split(".")[-1] if expect == "raises" else ""
                out.append(Case(f"{function}: {argument} is {label}", fn, args, expect, mention))
    return out


CASES = cases()

# some arguments are named in messages under another name: what the learner sees in the call
ALIASES = {
    "params": ("params", "W1", "W2", "b2"),
    "trace": ("trace",),
    "model": ("model",),
    "cache": ("cache",),
    "X": ("X", "x", "y"),  # one more row of X is reported as labels that no longer match
    "scores": ("scores", "y"),
    "dtype": ("dtype",),
    "input_size": ("input_size",),
}


def finite(value) -> bool:
    """Every number in a result (nested in tuples, dicts, records) is finite."""
    if isinstance(value, np.ndarray):
        return value.dtype.kind not in "fc" or bool(np.isfinite(value).all())
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(finite(v) for v in value.values())
    if isinstance(value, tuple | list):
        return all(finite(v) for v in value)
    return True


def snapshot(args):
    return {k: copy.deepcopy(v) for k, v in args.items() if not callable(v)}


def unchanged(before, args):
    for key, old in before.items():
        new = args[key]
        if isinstance(old, np.ndarray):
            if not (isinstance(new, np.ndarray) and new.shape == old.shape):
                return False
            if old.dtype.kind in "fc" and not np.array_equal(old, new, equal_nan=True):
                return False
        if isinstance(old, dict) and not unchanged(old, new):
            return False
    return True


@pytest.mark.parametrize("case", CASES, ids=[c.label for c in CASES])
def test_hostile_argument(case):
    before = snapshot(case.args)
    training = case.label.startswith(("net.train", "sgd"))
    if case.expect == "raises":
        with pytest.raises((TypeError, ValueError)) as caught:
            with np.errstate(all="raise"):  # a NumPy warning escaping would be a defect too
                case.fn(**case.args)
        where = Path(str(caught.traceback[-1].path)).resolve()
        assert PACKAGE in where.parents, f"raised from {where}, not from backprop_core"
        names = ALIASES.get(case.mention, (case.mention,))
        assert any(name in str(caught.value) for name in names), str(caught.value)
    else:
        result = case.fn(**case.args)
        allowed = tuple(case.label.split(": ")[0:1]) and any(
            case.label == f"{f}: {a} is {lbl}" for f, a, lbl in NON_FINITE_ALLOWED
        )
        assert allowed or finite(result), f"non-finite result {result!r}"
    if not training:  # training changes the net's own params by design, nothing else
        assert unchanged(before, case.args), "an argument was changed"


def test_the_table_covers_every_public_function():
    takes_nothing = {"Trace", "Gradients", "digits"}  # records, and a loader without arguments
    exported = {n for n in bc.__all__ if callable(getattr(bc, n)) and n not in takes_nothing}
    covered = {name for name in FUNCTIONS if not name.startswith(("net.", "sgd"))}
    assert exported - covered == set(), "add the new public function to FUNCTIONS and KINDS"


def test_huge_jacobians_are_refused_before_allocating():
    for call in (
        lambda: bc.affine_jacobian(np.ones((128, 1000)), np.ones((1000, 100)), "W"),
        lambda: bc.relu_jacobian(np.ones((200, 200))),
        lambda: bc.softmax_jacobian(np.ones((1000, 1000)), full=True),
    ):
        with pytest.raises(ValueError, match=r"entries .more than 50,000,000.; use the stage's"):
            call()


def test_a_float32_network_passes_its_gradient_check():
    X = np.random.default_rng(1).normal(size=(6, 3)).astype(np.float32)
    model = TwoLayerNet(3, 5, 3, std=0.5, seed=0, dtype=np.float32)
    report = bc.gradcheck(model, X, [0, 1, 2, 0, 1, 2])
    assert report.ok and report.in_float64 and "float64 copy" in str(report)
    assert model.params["W1"].dtype == np.float32  # the model itself was not touched


def test_numerical_gradients_at_large_magnitudes():
    grad32 = bc.numerical_gradient(
        lambda v: float(np.sum(v.astype(float) ** 2)), np.array([1e3], np.float32)
    )
    assert grad32[0] == pytest.approx(2000.0, rel=1e-4)
    assert bc.numerical_gradient(lambda v: float(3 * v.sum()), np.array([1e12]))[
        0
    ] == pytest.approx(3.0)


def test_a_failed_training_step_changes_nothing():
    model = net()
    model.params["W3"] = np.ones(2)
    before = {k: v.copy() for k, v in model.params.items()}
    with pytest.raises(ValueError, match="extra key"):
        model.train(X54, Y5, X54, Y5, num_iters=2)
    assert all(np.array_equal(model.params[k], before[k]) for k in before)


def test_a_diverged_net_says_so_when_asked_to_predict():
    model = net()
    model.params["W1"][0, 0] = np.nan
    with pytest.raises(ValueError, match=r"params\['W1'\] holds NaN: training diverged"):
        model.predict(X54)


def test_relative_error_of_huge_opposite_numbers_is_one():
    assert bc.rel_error([1e308], [-1e308]) == 1.0


def test_layers_module_keeps_its_kernels_unchecked_but_public_functions_checked():
    with pytest.raises(ValueError, match=r"cache\.W must have shape"):
        layers.affine_backward(
            np.ones((4, 2)), layers.AffineCache(np.ones((4, 3)), np.ones((5, 2)))
        )
