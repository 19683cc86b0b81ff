"""What the gradient check of a typed activation promises (:meth:`Activation.check` and
:mod:`backprop_core.activations.check`): a seed that is a non-negative integer, 0 by default, and
the same verdict for the same seed; the documented points (24 random ones in [-3, 3] kept 0.05 away
from 0, then -4, -0.01, 0.01 and 4); the documented error (a five-point difference at the step whose
estimated error is least, cs231n's relative error with a 1e-8 floor, rounding forgiven where f' is
0); a note that says where ``f`` is undefined and at how many points the check was made; and no
warning, whatever the function does.

Most tests use small activation objects written here: anything with ``forward(x) -> (out, cache)``,
``backward(dout, cache)`` and ``slope(x)`` is what :func:`run_check` reads, so a slope can be made
wrong in one region only.
"""

import functools
import warnings

import numpy as np
import pytest

from backprop_core.activations import activation_from_text
from backprop_core.activations.check import (
    SPAN,
    STEPS,
    best_difference,
    finite_on,
    five_point,
    run_check,
)


@functools.cache
def typed(text):
    """One activation per text for the whole module (each costs a SymPy derivation)."""
    return activation_from_text(text)


class Written:
    """An activation from two NumPy functions ``f`` and ``fprime``; remembers what backward saw."""

    def __init__(self, f, fprime):
        self.f, self.fprime = f, fprime
        self.seen = None

    def forward(self, x):
        return self.f(x), x

    def backward(self, dout, cache):
        self.seen = (cache.copy(), dout.copy())
        return dout * self.fprime(cache)

    def slope(self, x):
        return self.fprime(x) * np.ones_like(x)


def documented_points(seed):
    """The check's points and upstream gradient as documented: 24 uniform draws in [-3/4 SPAN,
    3/4 SPAN], those within 0.05 of 0 moved to 0.5, then x[0, :4] = (-SPAN, -0.01, 0.01, SPAN);
    dout is the next 24 standard normal draws of the same generator."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-0.75 * SPAN, 0.75 * SPAN, size=(4, 6))
    x[np.abs(x) < 0.05] = 0.5
    x[0, :4] = (-SPAN, -0.01, 0.01, SPAN)
    return x, rng.normal(size=(4, 6))


def documented_error(f, fprime, seed):
    """The relative error as the module documents it, written here independently (a contract
    test of the method, not a copy of its code): per point the five-point difference at h/2 for
    the step h of STEPS with the least estimate |D(h) - D(h/2)| + 8 eps |f| / h; then
    max |a - n| / max(1e-8, |a| + |n|) over the points where f, f', a and n are finite, with
    a = dout f' and n = dout D, where a = 0 forgiving |dout| times the estimate."""
    x, dout = documented_points(seed)
    eps = np.finfo(np.float64).eps

    def D(h):
        return (f(x - 2 * h) - 8 * f(x - h) + 8 * f(x + h) - f(x + 2 * h)) / (12 * h)

    with np.errstate(all="ignore"):
        fines, estimates = [], []
        for h in STEPS:
            fine = D(h / 2)
            estimate = np.abs(D(h) - fine) + 8 * eps * np.abs(f(x)) / h
            fines.append(fine)
            estimates.append(np.where(np.isfinite(fine), estimate, np.inf))
        k = np.argmin(estimates, axis=0)  # the first of equal estimates
        difference = np.take_along_axis(np.array(fines), k[None], 0)[0]
        estimate = np.take_along_axis(np.array(estimates), k[None], 0)[0]
        a, n, noise = dout * fprime(x), dout * difference, np.abs(dout) * estimate
        ok = np.isfinite(f(x)) & np.isfinite(fprime(x)) & np.isfinite(a) & np.isfinite(n)
        gap = np.abs(a - n)
        gap = np.where(a == 0, np.maximum(gap - noise, 0.0), gap)
        return float(np.max(gap[ok] / np.maximum(1e-8, np.abs(a[ok]) + np.abs(n[ok]))))


# -- the seed --------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [True, -1, 1.5, "0", None])
def test_check_refuses_a_seed_that_is_not_an_integer_at_least_0(seed):
    with pytest.raises(ValueError, match=r"seed must be an integer >= 0; got "):
        typed("tanh(x)").check(seed)


def test_check_takes_a_numpy_integer_seed_as_the_same_python_integer():
    assert typed("tanh(x)").check(np.int64(2)) == typed("tanh(x)").check(2)


def test_the_default_seed_is_0_and_another_seed_checks_other_points():
    tanh = typed("tanh(x)")
    assert tanh.check() == tanh.check(seed=0)
    assert tanh.check(seed=1).rel_error != tanh.check(seed=0).rel_error


def test_the_same_seed_gives_the_same_verdict():
    tanh = typed("tanh(x)")
    assert tanh.check(seed=3) == tanh.check(seed=3)
    act = Written(np.sin, np.cos)
    assert run_check(act, 5) == run_check(act, 5)


# -- the points ------------------------------------------------------------------------------------


def seed_with_a_draw_near_0():
    """The first seed whose random points (outside the four chosen ones) come within 0.05 of 0."""
    for seed in range(1000):
        x = np.random.default_rng(seed).uniform(-0.75 * SPAN, 0.75 * SPAN, size=(4, 6))
        x[0, :4] = 1.0
        if (np.abs(x) < 0.05).any():
            return seed
    raise AssertionError("no seed below 1000 draws a point near 0")


@pytest.mark.parametrize("seed", [0, 7, seed_with_a_draw_near_0()])
def test_the_check_looks_at_the_documented_points_with_the_documented_dout(seed):
    """Points and dout are the documented draws of ``default_rng(seed)``, in their places; a
    random point within 0.05 of 0 (a kink) is looked at in 0.5 instead."""
    act = Written(np.sin, np.cos)
    run_check(act, seed)
    x, dout = documented_points(seed)
    seen_x, seen_dout = act.seen
    np.testing.assert_array_equal(seen_x, x)
    np.testing.assert_array_equal(seen_dout, dout)


def test_a_random_point_near_0_is_moved_to_one_half():
    seed = seed_with_a_draw_near_0()
    drawn = np.random.default_rng(seed).uniform(-0.75 * SPAN, 0.75 * SPAN, size=(4, 6))
    near = np.abs(drawn) < 0.05
    near[0, :4] = False
    act = Written(np.sin, np.cos)
    run_check(act, seed)
    assert (act.seen[0][near] == 0.5).all()


def wrong_in(lo, hi):
    """sin, with a slope 1.5 times too large for lo < x < hi only."""
    return Written(np.sin, lambda v: np.cos(v) * np.where((lo < v) & (v < hi), 1.5, 1.0))


@pytest.mark.parametrize(
    ("lo", "hi"),
    [
        (-np.inf, -3.5),  # the chosen point -4
        (-0.03, 0.0),  # the chosen point -0.01
        (0.0, 0.03),  # the chosen point 0.01
        (3.5, np.inf),  # the chosen point 4
        (-3.0, -1.0),  # random points reach the left end of [-3, 3]
        (1.0, 3.0),  # and the right end
    ],
)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_slope_wrong_only_where_the_check_looks_is_caught(lo, hi, seed):
    assert run_check(wrong_in(lo, hi), seed)[1] == "wrong"


@pytest.mark.parametrize(
    ("lo", "hi"),
    [
        (3.05, 3.95),  # between the random points and the chosen 4
        (-3.95, -3.05),
        (4.05, np.inf),  # beyond the span
        (0.02, 0.05),  # nearer 0 than a random point may be, beside the chosen 0.01
    ],
)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_slope_wrong_only_where_the_check_does_not_look_passes(lo, hi, seed):
    assert run_check(Written(np.sin, np.cos), seed)[1] == "good"  # the same, right everywhere
    assert run_check(wrong_in(lo, hi), seed)[1] == "good"


# -- the error -------------------------------------------------------------------------------------


def flat_with_a_drift(v):
    """28 plus a drift far below one step's rounding error: f' is taken as 0."""
    return 28.0 + 1e-12 * v


WRITTEN = {
    "sin(50 x)": (lambda v: np.sin(50 * v), lambda v: 50 * np.cos(50 * v)),
    "exp(2 x)": (lambda v: np.exp(2 * v), lambda v: 2 * np.exp(2 * v)),
    "x**3 with f' 1% off": (lambda v: v**3, lambda v: 3.03 * v**2),
    "flat 28 with a drift, f' = 0": (flat_with_a_drift, lambda v: 0 * v),
    "flat 28 with a larger drift, f' = 0": (lambda v: 28.0 + 1e-11 * v, lambda v: 0 * v),
}


@pytest.mark.parametrize("name", list(WRITTEN))
@pytest.mark.parametrize("seed", [0, 4])
def test_the_relative_error_is_the_documented_one(name, seed):
    """The error equals the documented method's, computed independently here
    (:func:`documented_error`), to rounding."""
    f, fprime = WRITTEN[name]
    expected = documented_error(f, fprime, seed)
    assert run_check(Written(f, fprime), seed)[0] == pytest.approx(expected, rel=1e-9, abs=1e-300)


def test_where_f_prime_is_0_a_difference_within_its_estimated_error_is_forgiven():
    """A flat f with a drift below rounding checks as exactly right (not 1, as |n| / |n| would
    read); a drift of the order of the estimate is forgiven only in part."""
    assert run_check(Written(flat_with_a_drift, lambda v: 0 * v), 0)[:2] == (0.0, "good")
    error = run_check(Written(lambda v: 28.0 + 1e-11 * v, lambda v: 0 * v), 0)[0]
    assert 0.0 < error < 1.0


@pytest.mark.parametrize("scale", [1e-3, 1.0, 1e3])
def test_the_relative_error_does_not_depend_on_the_size_of_f_prime(scale):
    """A slope 10 % too large reads 0.1 / 2.1 (cs231n's |a - n| / (|a| + |n|)) at any scale."""
    act = Written(lambda v: scale * v, lambda v: 1.1 * scale * np.ones_like(v))
    error, word, _ = run_check(act, 0)
    assert error == pytest.approx(0.1 / 2.1, rel=1e-6) and word == "wrong"


def test_of_steps_with_equal_estimates_the_largest_is_used():
    """Around x = 4 this f is a staircase on which each step of STEPS reads a different slope,
    2 / h, and agrees exactly with its half step, so all estimates are 0: the largest step (the
    one least exposed to rounding) decides, and there f' = 200 is right."""

    def f(v):
        with np.errstate(all="ignore"):
            t = np.abs(v - SPAN)
            m = t / 10 ** np.floor(np.log10(t / 3.5e-3))  # 5e-3, 1e-2 or 2e-2
            stair = np.sign(v - SPAN) * np.where(t > 0, np.round(m / 5e-3), 0.0)
        return np.where(t < 0.05, stair, 200 * (v - SPAN))

    x = np.array([SPAN])
    for h in STEPS:  # the staircase reads 2 / h at every step and its half
        assert five_point(f, x, h)[0] == five_point(f, x, h / 2)[0] == pytest.approx(2 / h)
    assert run_check(Written(f, lambda v: 200 + 0 * v), 0)[1] == "good"


# -- the note --------------------------------------------------------------------------------------


def test_a_function_defined_everywhere_has_no_note():
    assert typed("tanh(x)").check().note == ""


def test_a_partly_undefined_function_says_where_and_at_how_many_points_it_was_checked():
    x, _ = documented_points(0)
    defined = int((x > 0).sum())
    verdict = typed("log(x)").check()
    assert verdict.word == "good"
    assert verdict.note == (
        f"undefined for x <= 0; checked at the {defined} of 24 points where it is defined"
    )


def test_a_point_too_near_the_edge_for_any_difference_is_not_checked():
    """log(x - 0.00999) is defined at the chosen point 0.01, but 1e-5 from its edge no step of
    the difference fits: that point is left out (and counted out), not read as an error."""
    x, _ = documented_points(0)
    checked = int((x > 0.01).sum())
    verdict = typed("log(x - 0.00999)").check()
    assert verdict.word == "good"
    assert verdict.note.endswith(f"checked at the {checked} of 24 points where it is defined")


@pytest.mark.parametrize("text", ["1/x", "log(abs(x))"])
def test_a_function_undefined_only_at_0_says_x_equals_0(text):
    """The grid the note comes from steps by 0.01 from -4 to 4 and holds 0 exactly."""
    assert typed(text).check().note.startswith("undefined for x = 0; checked at the 24 of 24")


def test_a_function_undefined_left_of_one_half_says_so():
    assert typed("log(x - 0.5)").check().note.startswith("undefined for x <= 0.5;")


def test_a_function_finite_nowhere_gets_no_number_and_the_word_undefined():
    error, word, note = typed("sqrt(-1 - x**2)").check()
    assert np.isnan(error) and (word, note) == ("undefined", "undefined for all x in [-4, 4]")


def test_a_function_finite_on_the_grid_but_at_no_point_of_the_check_says_so():
    """Only an object written for it gets here: finite on the 1-d grid the note comes from, and
    not finite at the 4 x 6 points the check looks at."""
    act = Written(lambda v: v if v.ndim == 1 else np.full_like(v, np.nan), np.ones_like)
    error, word, note = run_check(act, 0)
    assert np.isnan(error) and (word, note) == ("undefined", "no point of the check is finite")


# -- quiet -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["exp(exp(exp(x)))", "x**64", "log(x)", "1/x"])
def test_the_check_warns_of_nothing_whatever_the_function_does(text):
    """Overflow, log of a negative and 0 / 0 become the verdict's note, never a warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for seed in range(3):
            typed(text).check(seed)


def test_a_finite_slope_whose_product_with_dout_overflows_is_quiet():
    """f' of 1.5 exp(176 x) at the chosen point 4 is finite, about 1.46e308; seed 2 draws a dout
    there beyond 1.23, so dout f' and dout times the difference overflow: no warning either."""
    act = typed("1.5 * exp(176 * x)")
    _, dout = documented_points(2)
    slope = act.slope(np.array([SPAN]))[0]
    assert np.isfinite(slope) and abs(dout[0, 3]) > np.finfo(np.float64).max / slope
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert act.check(2).word == "good"


def exp_exp_exp(v):
    return np.exp(np.exp(np.exp(v)))  # overflows for v > 1.9 or so


def test_the_differences_and_the_finiteness_test_are_quiet_on_their_own():
    """Called directly, with an f that overflows: inf and nan come back, no warning."""
    x = np.array([-1.0, 0.5, 4.0])
    act = Written(exp_exp_exp, exp_exp_exp)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert not np.isfinite(five_point(exp_exp_exp, x, 1e-2)[2])
        difference, estimate = best_difference(exp_exp_exp, x)
        assert finite_on(act, x).tolist() == [True, True, False]
    assert np.isnan(difference[2]) and estimate[2] == np.inf


def test_best_difference_returns_float_arrays_shaped_like_x():
    x = np.linspace(-1.0, 1.0, 6).reshape(2, 3)
    difference, estimate = best_difference(np.sin, x)
    assert difference.dtype == estimate.dtype == np.float64
    assert difference.shape == estimate.shape == x.shape
    np.testing.assert_allclose(difference, np.cos(x), rtol=1e-10)
