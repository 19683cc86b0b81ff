"""Dropout, the SVM and binary losses, softmax_loss, and affine on N-d inputs (issue 12).

Each hostile case states the error text it expects; every public function is checked for
mutation, dtype, large inputs and agreement with its kernel; the gallery's bugs are diagnosed
with their causes; the symbolic rows pass, and fail where they should (at the kink).
"""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest

import backprop_core
from backprop_core import numerical_gradient_array, rel_error
from backprop_core.debugging import BUGS, check, diagnose
from backprop_core.layers import (
    affine,
    affine_backward,
    affine_forward,
    dropout,
    dropout_backward,
    dropout_forward,
    dropout_jacobian,
    sigmoid,
    sigmoid_cross_entropy,
    sigmoid_jacobian,
    sigmoid_loss,
    softmax_cross_entropy,
    svm,
    svm_jacobian,
    svm_loss,
)
from backprop_core.layers.softmax_loss import softmax_loss
from backprop_core.symbolic import dropout as dropout_symbols
from backprop_core.symbolic import sigmoid as sigmoid_symbols
from backprop_core.symbolic import svm as svm_symbols
from backprop_core.widgets import dropout_hinge_explorer

PACKAGE = Path(backprop_core.__file__).resolve().parent
STAGES = ("dropout_backward", "svm_loss", "sigmoid_cross_entropy")
rng = np.random.default_rng(0)
X34 = rng.normal(size=(3, 4))
TRAIN = {"p": 0.5, "mode": "train", "seed": 3}
CACHE = dropout_forward(X34, TRAIN)[1]
TEST_CACHE = dropout_forward(X34, {"p": 0.5, "mode": "test"})[1]
Y3 = np.array([0, 3, 1])
B3 = np.array([0.5, -2.0, 3.0])
Y01 = np.array([1, 0, 1])

# (call, error type, text the message must contain)
HOSTILE = {
    "dropout p = 0": (
        lambda: dropout_forward(X34, {"p": 0.0, "mode": "train"}),
        ValueError,
        "dropout_param['p'] must be in (0, 1], the keep probability; got 0.0: nothing would",
    ),
    "dropout p > 1": (
        lambda: dropout_forward(X34, {"p": 1.5, "mode": "train"}),
        ValueError,
        "dropout_param['p'] must be in (0, 1]",
    ),
    "dropout p NaN": (
        lambda: dropout_forward(X34, {"p": float("nan"), "mode": "train"}),
        ValueError,
        "got nan",
    ),
    "dropout p text": (
        lambda: dropout_forward(X34, {"p": "0.5", "mode": "train"}),
        TypeError,
        "dropout_param['p'] must be a number in (0, 1]",
    ),
    "dropout p bool": (
        lambda: dropout_forward(X34, {"p": True, "mode": "train"}),
        TypeError,
        "dropout_param['p'] must be a number",
    ),
    "dropout mode": (
        lambda: dropout_forward(X34, {"p": 0.5, "mode": "eval"}),
        ValueError,
        "dropout_param['mode'] must be 'train' or 'test'; got 'eval'",
    ),
    "dropout missing mode": (
        lambda: dropout_forward(X34, {"p": 0.5}),
        ValueError,
        "dropout_param must hold 'mode'",
    ),
    "dropout unknown key": (
        lambda: dropout_forward(X34, {"p": 0.5, "mode": "train", "Seed": 1}),
        ValueError,
        "dropout_param may hold only 'p', 'mode' and 'seed'; got the key 'Seed'",
    ),
    "dropout param not a dict": (
        lambda: dropout_forward(X34, 0.5),
        TypeError,
        "dropout_param must be a dict with keys 'p' and 'mode'",
    ),
    "dropout seed negative": (
        lambda: dropout_forward(X34, {"p": 0.5, "mode": "train", "seed": -1}),
        ValueError,
        "dropout_param['seed'] must be >= 0",
    ),
    "dropout seed text": (
        lambda: dropout_forward(X34, {"p": 0.5, "mode": "train", "seed": "1"}),
        TypeError,
        "dropout_param['seed'] must be None, an integer >= 0 or a numpy Generator",
    ),
    "dropout x NaN": (
        lambda: dropout_forward([1.0, np.nan], TRAIN),
        ValueError,
        "x must be finite",
    ),
    "dropout x strings": (
        lambda: dropout_forward(["a"], TRAIN),
        TypeError,
        "x must be a numeric array",
    ),
    "dropout backward dout shape": (
        lambda: dropout_backward(np.ones((4, 3)), CACHE),
        ValueError,
        "dout must have shape (3, 4) to match the mask of dropout_forward",
    ),
    "dropout backward cache type": (
        lambda: dropout_backward(X34, X34),
        TypeError,
        "cache must be the DropoutCache (dropout_param, mask)",
    ),
    "dropout backward mask None in train": (
        lambda: dropout_backward(X34, (TRAIN, None)),
        ValueError,
        "cache.mask must be an array in train mode; got None",
    ),
    "dropout backward mask in test": (
        lambda: dropout_backward(X34, ({"p": 0.5, "mode": "test"}, np.ones((3, 4)))),
        ValueError,
        "cache.mask must be None in test mode",
    ),
    "dropout backward mask of another p": (
        lambda: dropout_backward(X34, ({"p": 0.8, "mode": "train"}, CACHE.mask)),
        ValueError,
        "cache.mask must hold only 0 and 1/p = 1.25 for p = 0.8",
    ),
    "dropout backward param of the cache": (
        lambda: dropout_backward(X34, ({"p": 0, "mode": "train"}, CACHE.mask)),
        ValueError,
        "cache.dropout_param['p'] must be in (0, 1]",
    ),
    "dropout jacobian too large": (
        lambda: dropout_jacobian(np.ones((100, 100)), TRAIN),
        ValueError,
        "the dropout Jacobian would have shape (100, 100, 100, 100)",
    ),
    "svm x 1-D": (
        lambda: svm_loss(np.ones(4), [0]),
        ValueError,
        "x must be 2-dimensional (N, C), one row of class scores per sample; got shape (4,)",
    ),
    "svm labels out of range": (
        lambda: svm_loss(X34, [0, 4, 1]),
        ValueError,
        "y must lie in [0, 4) for C = 4; got 4",
    ),
    "svm labels floats": (
        lambda: svm_loss(X34, [0.0, 1.0, 2.0]),
        TypeError,
        "y must hold integer class labels",
    ),
    "svm labels too few": (lambda: svm_loss(X34, [0, 1]), ValueError, "y must have shape (N,)"),
    "svm x inf": (lambda: svm_loss(X34 * np.inf, Y3), ValueError, "x must be finite"),
    "svm jacobian labels": (
        lambda: svm_jacobian(X34, [0, 1, 9]),
        ValueError,
        "y must lie in [0, 4)",
    ),
    "svm jacobian too large": (
        lambda: svm_jacobian(np.ones((1000, 100)), np.zeros(1000, int)),
        ValueError,
        "the SVM Jacobian would have shape",
    ),
    "binary x 2-D": (
        lambda: sigmoid_cross_entropy(np.ones((3, 1)), Y01),
        ValueError,
        "x must be 1-dimensional (N,), one score per sample; got shape (3, 1)",
    ),
    "binary label 2": (
        lambda: sigmoid_cross_entropy(B3, [0, 1, 2]),
        ValueError,
        "y must lie in [0, 2) for C = 2; got 2",
    ),
    "binary labels bool": (
        lambda: sigmoid_cross_entropy(B3, np.array([True, False, True])),
        TypeError,
        "y must hold integer class labels",
    ),
    "binary x complex": (
        lambda: sigmoid_cross_entropy(B3 + 1j, Y01),
        TypeError,
        "x must be real-valued",
    ),
    "sigmoid strings": (lambda: sigmoid("abc"), TypeError, "x must be a numeric array"),
    "sigmoid jacobian 2-D": (
        lambda: sigmoid_jacobian(np.ones((2, 2))),
        ValueError,
        "x must be 1-dimensional",
    ),
    "softmax_loss x 1-D": (
        lambda: softmax_loss(np.ones(3), [0]),
        ValueError,
        "x must be 2-dimensional (N, C), one row per sample; got shape (3,)",
    ),
    "softmax_loss labels": (lambda: softmax_loss(X34, [0, 1, 7]), ValueError, "y must lie in"),
    "affine x 1-D": (
        lambda: affine_forward(np.ones(4), np.ones((4, 3)), np.zeros(3)),
        ValueError,
        "x must be 2-dimensional (N, D), or have more axes (N, d1, ..., dk); got shape (4,)",
    ),
    "affine x N-d, W rows": (
        lambda: affine_forward(np.ones((2, 3, 4)), np.ones((7, 5)), np.zeros(5)),
        ValueError,
        "W must have shape (D, M) = (12, ?) to match x of shape (2, 3, 4) (D = 3 * 4); got (7, 5)",
    ),
    "affine cache.x 1-D": (
        lambda: affine_backward(np.ones((4, 3)), (np.ones(4), np.ones((4, 3)))),
        ValueError,
        "cache.x must be 2-dimensional (N, D), or have more axes",
    ),
    "affine cache N-d inconsistent": (
        lambda: affine_backward(np.ones((2, 5)), (np.ones((2, 3, 4)), np.ones((11, 5)))),
        ValueError,
        "cache.W must have shape (D, M) = (12, ?) to match cache.x of shape (2, 3, 4)",
    ),
    "affine N-d dout shape": (
        lambda: affine_backward(
            np.ones((3, 5)), affine_forward(np.ones((2, 3, 4)), np.ones((12, 5)), np.zeros(5))[1]
        ),
        ValueError,
        "dout must have shape (N, M) = (2, 5)",
    ),
}


@pytest.mark.parametrize("label", HOSTILE)
def test_hostile_arguments_are_refused_by_name(label):
    call, error, text = HOSTILE[label]
    with pytest.raises(error) as caught:
        with np.errstate(all="raise"):
            call()
    assert text in str(caught.value)
    where = Path(str(caught.traceback[-1].path)).resolve()
    assert PACKAGE in where.parents, f"raised from {where}, not from backprop_core"


# -- nothing changes its arguments; float32 stays float32; the checked function is its kernel ----

CALLS = {  # name: (function, arguments as a function of a dtype)
    "dropout_forward train": (dropout_forward, lambda t: (X34.astype(t), dict(TRAIN))),
    "dropout_forward test": (
        dropout_forward,
        lambda t: (X34.astype(t), {"p": 0.3, "mode": "test"}),
    ),
    "dropout_backward train": (
        dropout_backward,
        lambda t: (X34.astype(t), dropout_forward(X34.astype(t), dict(TRAIN))[1]),
    ),
    "dropout_backward test": (dropout_backward, lambda t: (X34.astype(t), TEST_CACHE)),
    "svm_loss": (svm_loss, lambda t: (X34.astype(t), Y3.copy())),
    "sigmoid_cross_entropy": (sigmoid_cross_entropy, lambda t: (B3.astype(t), Y01.copy())),
    "softmax_loss": (softmax_loss, lambda t: (X34.astype(t), Y3.copy())),
    "affine_forward N-d": (
        affine_forward,
        lambda t: (np.ones((2, 3, 2), t), np.ones((6, 4), t), np.zeros(4, t)),
    ),
    "affine_backward N-d": (
        affine_backward,
        lambda t: (
            np.ones((2, 4), t),
            affine_forward(np.ones((2, 3, 2), t), np.ones((6, 4), t), np.zeros(4, t))[1],
        ),
    ),
}


def arrays_in(value):
    if isinstance(value, np.ndarray):
        yield value
    elif isinstance(value, tuple | list):
        for item in value:
            yield from arrays_in(item)


@pytest.mark.parametrize("name", CALLS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_no_mutation_dtype_kept(name, dtype):
    fn, make = CALLS[name]
    args = make(dtype)
    before = copy.deepcopy(args)
    result = fn(*args)
    for old, new in zip(before, args, strict=True):
        if isinstance(old, dict):
            assert old == new, "dropout_param was changed"
        for a, b in zip(arrays_in(old), arrays_in(new), strict=True):
            assert np.array_equal(a, b), f"{name} changed an argument"
    for out in arrays_in(result[:1] if name.startswith("dropout_forward") else result):
        assert out.dtype == dtype, f"{name}: {out.dtype} from {dtype}"


def test_checked_functions_equal_their_kernels():
    out, cache = dropout_forward(X34, TRAIN)
    assert np.array_equal(out, dropout.forward(X34, TRAIN)[0])
    assert np.array_equal(dropout_backward(X34, cache), dropout.backward(X34, cache))
    assert np.array_equal(svm_loss(X34, Y3)[1], svm.loss(X34, Y3)[1])
    assert sigmoid_cross_entropy(B3, Y01)[0] == sigmoid_loss.loss(B3, Y01)[0]
    loss, dx = softmax_loss(X34, Y3)
    same_loss, dscores = softmax_cross_entropy(X34, Y3)
    assert loss == same_loss and np.array_equal(dx, dscores)  # the same kernel, bit for bit


def test_large_finite_inputs_give_finite_results():
    """Dropout at 1e300 (kept entries are 2e300), the SVM at 1e300, the binary loss at 1e308."""
    big = 1e300 * rng.normal(size=(3, 4))
    out, cache = dropout_forward(big, TRAIN)
    assert np.isfinite(out).all() and np.isfinite(dropout_backward(big, cache)).all()
    loss, dx = svm_loss(big, Y3)
    assert np.isfinite(loss) and np.isfinite(dx).all()
    scores = np.array([1e308, -1e308, 1e308, -1e308, 0.0])
    loss, dx = sigmoid_cross_entropy(scores, [0, 1, 1, 0, 1])
    assert np.isfinite(loss) and np.isfinite(dx).all()
    assert loss == pytest.approx(2 * (1e308 / 5) + np.log(2) / 5)  # two terms of 1e308, one log 2
    np.testing.assert_array_equal(sigmoid(np.array([-1e308, 1e308])), [0.0, 1.0])


# -- dropout's own properties --------------------------------------------------------------------


def test_backward_reuses_the_mask_and_a_seed_fixes_it():
    out, cache = dropout_forward(X34, TRAIN)
    assert set(np.unique(cache.mask)) <= {0.0, 2.0} and 0 < np.count_nonzero(cache.mask) < 12
    np.testing.assert_array_equal(out, X34 * cache.mask)
    np.testing.assert_array_equal(dropout_backward(np.ones((3, 4)), cache), cache.mask)
    np.testing.assert_array_equal(dropout_forward(X34, TRAIN)[1].mask, cache.mask)  # same seed


def test_a_generator_as_seed_draws_a_new_mask_each_call():
    gen = np.random.default_rng(5)
    param = {"p": 0.5, "mode": "train", "seed": gen}
    first, second = (dropout_forward(np.ones((10, 10)), param)[1].mask for _ in range(2))
    assert not np.array_equal(first, second)


def test_the_cache_keeps_a_copy_of_the_param():
    param = dict(TRAIN)
    _, cache = dropout_forward(X34, param)
    param["mode"] = "test"
    assert cache.dropout_param["mode"] == "train"


def test_p_one_and_test_mode_are_the_identity():
    for param in ({"p": 1.0, "mode": "train", "seed": 0}, {"p": 0.3, "mode": "test"}):
        out, cache = dropout_forward(X34, param)
        np.testing.assert_array_equal(out, X34)
        np.testing.assert_array_equal(dropout_backward(X34, cache), X34)
        np.testing.assert_array_equal(dropout_jacobian(X34, param).reshape(12, 12), np.eye(12))


def test_the_expected_output_is_the_input():
    """The mean of 20000 masks is within 4 standard errors of 1 for every unit (p = 0.3)."""
    draws = dropout_forward(np.ones((20000, 5)), {"p": 0.3, "mode": "train", "seed": 0})[0]
    standard_error = np.sqrt((1 - 0.3) / 0.3 / 20000)
    assert np.all(np.abs(draws.mean(axis=0) - 1) < 4 * standard_error)


def test_dropout_gradient_against_central_differences_on_a_3d_input():
    x, dout = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 3, 4))
    param = {"p": 0.7, "mode": "train", "seed": 11}
    numeric = numerical_gradient_array(lambda v: dropout_forward(v, param)[0], x.copy(), dout)
    assert rel_error(dropout_backward(dout, dropout_forward(x, param)[1]), numeric) < 1e-7


# -- the losses ------------------------------------------------------------------------------------


def test_svm_against_a_loop_written_here():
    x, y = rng.normal(size=(6, 5)), rng.integers(0, 5, 6)
    loss, dx = svm_loss(x, y)
    want_loss, want_dx = 0.0, np.zeros_like(x)
    for i in range(6):
        for j in range(5):
            margin = x[i, j] - x[i, y[i]] + 1
            if j != y[i] and margin > 0:
                want_loss += margin / 6
                want_dx[i, j] += 1 / 6
                want_dx[i, y[i]] -= 1 / 6
    assert loss == pytest.approx(want_loss, rel=1e-12)
    np.testing.assert_allclose(dx, want_dx, rtol=0, atol=1e-15)


def test_svm_passes_nothing_at_a_margin_of_exactly_zero():
    loss, dx = svm_loss([[2.0, 1.0, 0.0]], [0])  # class 1's margin is 1 - 2 + 1 = 0
    assert loss == 0.0 and not dx.any()


def test_binary_loss_against_the_naive_form_where_it_is_finite():
    x, y = rng.normal(size=8) * 5, rng.integers(0, 2, 8)
    s = 1 / (1 + np.exp(-x))
    naive = -np.mean(y * np.log(s) + (1 - y) * np.log(1 - s))
    loss, dx = sigmoid_cross_entropy(x, y)
    assert loss == pytest.approx(naive, rel=1e-12)
    np.testing.assert_allclose(dx, (s - y) / 8, rtol=1e-12, atol=1e-17)


# -- affine on N-d inputs -----------------------------------------------------------------------


def test_affine_on_nd_input_is_the_reshaped_2d_map():
    x, W, b = rng.normal(size=(3, 2, 2, 2)), rng.normal(size=(8, 4)), rng.normal(size=4)
    dout = rng.normal(size=(3, 4))
    out, cache = affine_forward(x, W, b)
    flat_out, flat_cache = affine_forward(x.reshape(3, 8), W, b)
    np.testing.assert_array_equal(out, flat_out)
    dx, dW, _ = affine_backward(dout, cache)
    flat = affine_backward(dout, flat_cache)
    assert dx.shape == x.shape and cache.x.shape == x.shape
    np.testing.assert_array_equal(dx, flat[0].reshape(x.shape))
    np.testing.assert_array_equal(dW, flat[1])
    numeric = numerical_gradient_array(lambda v: affine_forward(v, W, b)[0], x.copy(), dout)
    assert rel_error(dx, numeric) < 1e-9


def test_affine_2d_path_keeps_the_kernel_untouched():
    x, W, b = rng.normal(size=(4, 3)), rng.normal(size=(3, 2)), rng.normal(size=2)
    _, cache = affine.forward(x, W, b)
    assert cache.x is x  # no reshape, no copy on the 2-D path
    assert affine.rows(x) is x


# -- diagnose, check, the symbolic rows, the explorer --------------------------------------------


@pytest.mark.parametrize("bug", [b for b in BUGS if b.stage in STAGES], ids=lambda b: b.name)
def test_every_bug_is_diagnosed_with_its_cause(bug):
    found = diagnose(bug.fn, bug.stage)
    assert (found.ok, found.cause) == (False, bug.cause), str(found)


def test_the_unstable_binary_loss_is_called_an_overflow():
    bug = next(b for b in BUGS if b.name == "sigmoid_unstable")
    found = diagnose(bug.fn, bug.stage)
    assert found.cause == "overflow" and found.case == "scores of size 1e3"


@pytest.mark.parametrize("stage", STAGES)
def test_check_passes_the_engine(stage):
    fn = {"dropout_backward": dropout_backward, "svm_loss": svm_loss}.get(
        stage, sigmoid_cross_entropy
    )
    assert check(fn, stage).passed


def test_symbolic_rows_pass_over_seeds():
    for seed in range(5):
        for module in (dropout_symbols, svm_symbols, sigmoid_symbols):
            rows = module.verify_rows(np.random.default_rng(seed))
            assert rows and all(row.passed for row in rows), [r for r in rows if not r.passed]


def test_the_svm_kink_row_checks_the_kink():
    """With SymPy's own Heaviside(0) = 1/2 the kink row fails: it is at a margin of exactly 0."""
    rows = svm_symbols.verify_rows(np.random.default_rng(0))
    assert rows[0].quantity.endswith("a margin exactly 0") and rows[0].passed
    rng0 = np.random.default_rng(0)
    labels = rng0.integers(0, 3, 3)
    kink = np.round(4 * rng0.normal(size=(3, 3))) / 4
    kink[0, (labels[0] + 1) % 3] = kink[0, labels[0]] - 1
    point = svm_symbols.Point(kink, labels)
    half = svm_symbols.svm_gradient().evaluate(x=kink, Y=point.onehot())  # Heaviside(0) = 1/2
    assert not np.allclose(half, svm_loss(kink, labels)[1])


def test_the_stable_binary_form_is_the_naive_one():
    assert sigmoid_symbols.stable_form_residuals() == {0: 0, 1: 0}


def test_explorer_shows_what_it_computes_and_refuses_bad_values():
    ex = dropout_hinge_explorer()
    state = ex.state
    _, cache = dropout_forward(ex.x, {"p": 0.5, "mode": "train", "seed": 0})
    np.testing.assert_array_equal(state["mask"], cache.mask)
    kept = "".join("1" if k else "." for k in cache.mask[0] != 0)
    assert f"sample 0 kept: {kept}" in ex.summary()
    _, dx = svm_loss([[1.0, 2.2, 0.5, -1.0]], [0])
    np.testing.assert_array_equal(state["dx"], dx[0])
    assert "[1, 2]" in ex.summary().splitlines()[-1]
    assert "[1]" in ex.set(s2=0.0).summary().splitlines()[-1]  # the kink: class 2 passes nothing
    assert "identity" in ex.set(mode="test").summary()
    before = ex.summary()
    for bad in ({"p": 0.1}, {"mode": "eval"}, {"seed": 1.5}, {"label": 4}, {"s0": 9.0}):
        with pytest.raises(ValueError, match="control"):
            ex.set(**bad)
    assert ex.summary() == before
    for bad in ({"N": 0}, {"H": 100}, {"seed": -1}, {"scores": (1.0,)}, {"label": 7}):
        with pytest.raises((TypeError, ValueError)):
            dropout_hinge_explorer(**bad)


def test_a_naive_binary_loss_with_a_finite_gradient_is_caught_by_its_loss():
    """s = 1 / (1 + exp(-x)) keeps dx finite at |x| ~ 1e3, but log(1 - s) makes the loss NaN."""

    def naive(x, y):
        with np.errstate(all="ignore"):
            s = 1 / (1 + np.exp(-x))
            return float(-np.mean(y * np.log(s) + (1 - y) * np.log(1 - s))), (s - y) / len(y)

    found = diagnose(naive, "sigmoid_cross_entropy")
    assert (found.cause, found.case) == ("loss", "scores of size 1e3"), str(found)
    assert found.hint.startswith("13-Dropout-and-Other-Losses, the stable form")
