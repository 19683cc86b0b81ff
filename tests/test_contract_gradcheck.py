"""What :mod:`backprop_core.gradcheck` promises: cs231n's scale with its bounds included, the
caller's step used everywhere, kinks counted and used, float32 arrays accepted, a printed report
whose notes explain its verdicts, reg passed to the model only when it is positive, and bad
arguments refused by name.

The central difference of ``v**3`` at ``v`` is ``3 v**2 + h**2`` exactly (the ``v**3`` terms
cancel), so a cubic tells which step a check used; ``(v - x)**3`` at ``x`` gives ``h**2`` alone.
"""

import numpy as np
import pytest

from backprop_core import TwoLayerNet
from backprop_core.gradcheck import (
    gradcheck,
    numerical_gradient,
    numerical_gradient_array,
    rel_error,
    verdict,
)

# -- the verdict's scale: each bound belongs to the better word ------------------------------------


def above(bound):
    return float(np.nextafter(bound, np.inf))


@pytest.mark.parametrize(
    ("error", "kinks", "word"),
    [
        (0.0, 0, "good"),
        (1e-7, 0, "good"),
        (above(1e-7), 0, "suspicious"),
        (1e-7, 2, "good"),
        (above(1e-7), 2, "acceptable at kinks"),
        (1e-4, 1, "acceptable at kinks"),
        (above(1e-4), 1, "suspicious"),
        (1e-4, 0, "suspicious"),
        (1e-2, 0, "suspicious"),
        (1e-2, 5, "suspicious"),
        (above(1e-2), 0, "wrong"),
        (above(1e-2), 5, "wrong"),
    ],
)
def test_verdict_bounds_are_inclusive(error, kinks, word):
    """cs231n: at most 1e-7 is good, up to 1e-4 acceptable at kinks; above 1e-2 wrong."""
    assert verdict(error, kinks) == word


# -- a model of one's own: the report uses the caller's h and the model's kink counts ------------


class Cubic:
    """``L = sum(w**3)`` with its exact gradient, and a kink count the test chooses."""

    def __init__(self, kinks, dtype=np.float64):
        self.params = {"w": np.array([1.0, -2.0, 0.5], dtype=dtype)}
        self.kinks = kinks
        self.asked = []  # the h of every kinks_within call

    def loss(self, X, y, reg=0.0):
        w = self.params["w"].astype(np.float64)
        return float(np.sum(w**3)), {"w": (3 * w**2).astype(self.params["w"].dtype)}

    def kinks_within(self, X, h):
        self.asked.append(h)
        return {"w": self.kinks}


@pytest.mark.parametrize("h", [1e-2, 3e-3])
@pytest.mark.parametrize(("kinks", "word"), [(0, "suspicious"), (3, "acceptable at kinks")])
def test_gradcheck_uses_the_callers_step_and_the_models_kinks(h, kinks, word):
    model = Cubic(kinks)
    w = model.params["w"].copy()
    (row,) = gradcheck(model, np.zeros((2, 1)), [0, 1], h=h).rows
    # the central difference with this h, written out: 3 w**2 + h**2
    expected = rel_error(3 * w**2, 3 * w**2 + h**2)
    assert 1e-7 < expected <= 1e-4  # where kinks decide the word
    assert row.rel_error == pytest.approx(expected, rel=1e-6)
    assert model.asked == [h]
    assert (row.kinks, row.verdict) == (kinks, word)
    np.testing.assert_array_equal(model.params["w"], w)  # put back


def test_a_float32_model_of_ones_own_is_checked_in_float64():
    model = Cubic(0, dtype=np.float32)
    report = gradcheck(model, np.zeros((2, 1)), [0, 1], h=1e-5)
    assert report.in_float64 and report.ok
    assert model.params["w"].dtype == np.float32


# -- a two-layer net: how many ReLU inputs a step of h can push across 0 ---------------------------


def reach_counts(X, y1, h):
    """Counted entry by entry: W1[i, j] moves y1[n, j] by h * X[n, i]; b1[j] moves it by h."""
    w1 = b1 = 0
    for n, row in enumerate(y1):
        reach = max(h * abs(value) for value in X[n])
        w1 += sum(abs(value) < reach for value in row)
        b1 += sum(abs(value) < h for value in row)
    return {"W1": int(w1), "b1": int(b1), "W2": 0, "b2": 0}


def test_gradcheck_reports_the_kinks_each_parameter_can_cross():
    h = 1e-4
    net = TwoLayerNet(3, 4, 3, std=1.0, seed=2)
    X = np.random.default_rng(4).standard_normal((5, 3))
    X[0] = [3.0, -0.5, 1.0]
    y1 = X @ net.params["W1"]
    net.params["b1"] = -y1[0] + np.array([0.5e-4, 2e-4, -0.2e-4, 1.0])  # near 0 in row 0
    expected = reach_counts(X, net.forward(X).y1, h)
    assert expected["W1"] > expected["b1"] > 0  # the two reaches differ here
    report = gradcheck(net, X, [0, 1, 2, 0, 1], h=h)
    assert {row.name: row.kinks for row in report.rows} == expected
    assert net.kinks_within(X, h) == {"W1": expected["W1"], "b1": expected["b1"]}


@pytest.mark.parametrize(
    ("b1", "W1_count", "b1_count"),
    [
        (float(np.nextafter(1e-5, 0)), 8, 8),
        (1e-5, 8, 0),  # exactly h: not below the reach of a step in b1
        (float(np.nextafter(2e-5, 0)), 8, 0),
        (2e-5, 0, 0),  # exactly h * max|X|: not below the reach of a step in W1
        (-1e-5, 8, 0),
    ],
)
def test_a_kink_counts_when_it_lies_strictly_within_reach(b1, W1_count, b1_count):
    net = TwoLayerNet(3, 4, 2, seed=0)
    net.params["W1"] = np.zeros((3, 4))
    net.params["b1"] = np.full(4, b1)  # y1 = X W1 + b1 = b1 exactly, in each of 2 x 4 entries
    X = np.full((2, 3), -2.0)  # a step h in W1 moves y1 by 2h
    assert net.kinks_within(X, 1e-5) == {"W1": W1_count, "b1": b1_count}


# -- the step: h > 0, used as given; by default the documented one ---------------------------------


def model_and_data():
    net = TwoLayerNet(3, 4, 2, std=0.5, seed=0)
    return net, np.ones((2, 3)), [0, 1]


@pytest.mark.parametrize("h", [0.0, -1e-5, -5e-324])
@pytest.mark.parametrize(
    "call",
    [
        lambda h: gradcheck(*model_and_data(), h=h),
        lambda h: numerical_gradient(lambda v: float(v.sum()), np.ones(2), h=h),
        lambda h: numerical_gradient_array(lambda v: v, np.ones(2), np.ones(2), h=h),
        lambda h: model_and_data()[0].kinks_within(np.ones((2, 3)), h),
    ],
    ids=["gradcheck", "numerical_gradient", "numerical_gradient_array", "kinks_within"],
)
def test_a_step_that_is_not_positive_is_refused(call, h):
    with pytest.raises(ValueError, match=r"h must be > 0"):
        call(h)


@pytest.mark.parametrize("h", [1e-2, 1e-3])
def test_numerical_gradients_use_the_step_given(h):
    x = np.array([1.0, -2.0])
    np.testing.assert_allclose(
        numerical_gradient(lambda v: float(np.sum(v**3)), x, h=h), 3 * x**2 + h**2, rtol=1e-9
    )
    dout = np.array([1.0, 2.0])
    np.testing.assert_allclose(
        numerical_gradient_array(lambda v: v**3, x, dout, h=h), dout * (3 * x**2 + h**2), rtol=1e-9
    )


def documented_step(x):
    """The module's docstring: float64 max(1e-5, |x| sqrt(eps)); float32 eps^(1/3) max(1, |x|)."""
    eps = float(np.finfo(x.dtype).eps)
    size = abs(float(x))
    return max(1e-5, size * eps**0.5) if x.dtype == np.float64 else eps ** (1 / 3) * max(1, size)


@pytest.mark.parametrize(
    "x", [np.float64(0.0), np.float64(0.5), np.float64(1e6), np.float32(0.5), np.float32(1e3)]
)
def test_the_default_step_follows_the_dtype_and_size_of_x(x):
    centre = float(x)
    grad = numerical_gradient(lambda v: float((float(v[0]) - centre) ** 3), np.array([x]))
    assert grad.dtype == x.dtype
    assert np.sqrt(float(grad[0])) == pytest.approx(documented_step(x), rel=1e-3)


@pytest.mark.parametrize("fn", ["numerical_gradient", "numerical_gradient_array"])
def test_float32_arrays_are_accepted_and_stay_float32(fn):
    x = np.array([[0.5, -1.5], [2.0, 0.25]], dtype=np.float32)
    before = x.copy()
    if fn == "numerical_gradient":
        grad = numerical_gradient(lambda v: float(np.sum(v.astype(float) ** 2)), x)
        expected = 2 * x
    else:
        dout = np.array([[1.0, -1.0], [0.5, 2.0]], dtype=np.float32)
        grad = numerical_gradient_array(lambda v: v.astype(float) ** 2, x, dout)
        expected = 2 * x * dout
    assert grad.dtype == np.float32
    np.testing.assert_allclose(grad, expected, rtol=1e-4)
    np.testing.assert_array_equal(x, before)


# -- the printed report: notes only where they explain a verdict -----------------------------------


@pytest.mark.parametrize(
    ("kinks", "h", "word", "note"),
    [
        (3, 1e-2, "acceptable at kinks", ": 3 ReLU inputs within reach of 0"),
        (3, 1e-5, "good", ""),  # kinks nearby, but nothing to explain
        (0, 1e-2, "suspicious", ""),  # no kinks: nothing explains the error
    ],
)
def test_the_report_explains_a_non_good_verdict_by_the_kinks_nearby(kinks, h, word, note):
    """A row names its kinks only when there are some and its verdict is not good."""
    report = gradcheck(Cubic(kinks), np.zeros((2, 1)), [0, 1], h=h)
    assert report.rows[0].verdict == word
    _header, line = str(report).splitlines()
    assert line.endswith(f"  {word}{note}")


class Centred:
    """``L = sum((z - mean z)**2)`` with ``z = x + b``: the centring cancels ``b``, so dL/db = 0."""

    def __init__(self):
        self.params = {"b": np.array([0.3])}

    def loss(self, X, y=None):
        z = X[:, 0] + self.params["b"][0]
        return float(np.sum((z - z.mean()) ** 2)), {"b": np.zeros(1)}


def test_the_report_says_when_rounding_alone_explains_the_difference():
    """A zero gradient read as an error by the plain measure is good, and the report says why."""
    report = gradcheck(Centred(), np.array([[0.1], [0.7], [-1.3], [2.9]]), None)
    (row,) = report.rows
    assert row.rel_error > 1e-7 and row.verdict == "good" and row.rounding
    line = str(report).splitlines()[1]
    assert line.endswith("  good: the difference is within the rounding of a central difference")


def test_a_float32_models_report_says_it_was_checked_on_a_float64_copy():
    """The last line of a float32 model's report says so; a float64 model's report does not."""
    note = "(a float32 model, checked on a float64 copy as cs231n does)"
    report = gradcheck(Cubic(0, dtype=np.float32), np.zeros((2, 1)), [0, 1])
    assert str(report).splitlines()[-1] == note
    report = gradcheck(Cubic(0), np.zeros((2, 1)), [0, 1])
    assert note not in str(report) and "float32" not in str(report)


# -- what gradcheck refuses, by name ---------------------------------------------------------------


class ParamsOnly:
    def __init__(self):
        self.params = {"w": np.ones(2)}


class LossOnly:
    def loss(self, X, y=None):
        return 1.0, {}


class ParamsNotADict(LossOnly):
    def __init__(self):
        self.params = [np.ones(2)]


@pytest.mark.parametrize(
    "model",
    [ParamsOnly(), LossOnly(), ParamsNotADict(), object()],
    ids=["no loss", "no params", "params a list", "neither"],
)
def test_gradcheck_refuses_a_model_without_a_params_dict_and_a_loss_method(model):
    """Both are needed: a params dict alone, or a loss method alone, is refused with a TypeError."""
    with pytest.raises(TypeError, match=r"^model must have a params dict and a loss\(X, y"):
        gradcheck(model, np.ones((1, 2)), None)


@pytest.mark.parametrize("reg", [-0.1, -5e-324])
def test_gradcheck_refuses_a_negative_reg_naming_reg(reg):
    """reg >= 0 is checked by gradcheck itself, not left to a model that may not check it."""
    model = Cubic(0)  # its loss takes any reg
    with pytest.raises(ValueError, match=r"^reg must be >= 0"):
        gradcheck(model, np.zeros((2, 1)), [0, 1], reg=reg)


class ScalarParam:
    """A model whose parameter is a Python float: its loss reads it, but it cannot be nudged."""

    def __init__(self):
        self.params = {"w": 2.0}

    def loss(self, X, y=None):
        w = float(self.params["w"])
        return w**3, {"w": np.array(3 * w**2)}


def test_gradcheck_refuses_a_parameter_that_is_not_an_array_naming_it():
    """A parameter must be an array that can be nudged in place; a float is refused by its key."""
    with pytest.raises(TypeError, match=r"^params\['w'\] must be an ndarray .*; got float"):
        gradcheck(ScalarParam(), np.ones((1, 2)), None)


@pytest.mark.parametrize(
    ("X", "dtype", "message"),
    [
        (np.array([[1.0, np.nan]]), np.float64, r"^X must be finite"),
        ([[1.0, np.nan]], np.float32, r"^X must be finite"),
        ([["a", "b"]], np.float32, r"^X must be a numeric array"),
    ],
    ids=["nan, float64 model", "nan, float32 model", "strings, float32 model"],
)
def test_gradcheck_refuses_a_bad_X_naming_X(X, dtype, message):
    """A float X with NaN is refused whatever the model's dtype (every loss would be NaN and
    every check pass as NaN); for a float32 model, checked on a float64 copy, X is converted and
    refused by name if it cannot be."""
    with pytest.raises((ValueError, TypeError), match=message):
        gradcheck(Cubic(0, dtype=dtype), X, [0])


class Embedding:
    """A float64 model whose X holds indices (token ids): ``L = sum(W[X]**2)``."""

    def __init__(self):
        self.params = {"W": np.array([[1.0, 2.0], [3.0, -1.0], [0.5, 0.0]])}

    def loss(self, X, y=None):
        rows = self.params["W"][X]
        grad = np.zeros_like(self.params["W"])
        np.add.at(grad, X, 2 * rows)
        return float(np.sum(rows**2)), {"W": grad}


@pytest.mark.parametrize("X", [np.array([0, 2, 2]), None], ids=["indices", "None"])
def test_gradcheck_passes_any_other_X_to_a_float64_model_as_given(X):
    """X need not be floats: integer indices (an embedding) or None (a model that ignores X)
    reach model.loss unchanged."""
    model = Embedding() if X is not None else Cubic(0)
    assert gradcheck(model, X, None).ok


class NoParams(LossOnly):
    def __init__(self):
        self.params = {}


def test_gradcheck_refuses_a_model_with_no_parameters():
    """A model with an empty params dict has nothing to check: refused, not reported as passing."""
    with pytest.raises(ValueError, match=r"^model.params must hold at least one parameter"):
        gradcheck(NoParams(), np.ones((1, 2)), None)


# -- how gradcheck calls the model's loss ---------------------------------------------------------


class Recorder(Cubic):
    """The cubic model, remembering the keyword arguments of every ``loss`` call."""

    def __init__(self):
        super().__init__(0)
        self.calls = []

    def loss(self, X, y, **options):
        self.calls.append(options)
        return super().loss(X, y)


@pytest.mark.parametrize(("reg", "options"), [(0.25, {"reg": 0.25}), (0.0, {})])
def test_gradcheck_passes_a_positive_reg_and_calls_loss_x_y_when_reg_is_0(reg, options):
    """reg > 0 reaches every loss call as reg=...; with reg == 0 the call is loss(X, y)."""
    model = Recorder()
    gradcheck(model, np.zeros((2, 1)), [0, 1], reg=reg)
    assert len(model.calls) == 1 + 2 * 3  # the analytic pass, then two per entry of w
    assert all(call == options for call in model.calls)


# -- what the numerical gradients refuse, by name --------------------------------------------------


def test_numerical_gradient_array_refuses_a_non_finite_dout_naming_dout():
    """The upstream gradient dout is checked by its name before any difference is taken."""
    with pytest.raises(ValueError, match=r"^dout must be finite"):
        numerical_gradient_array(lambda v: v, np.ones(2), np.array([1.0, np.inf]))


@pytest.mark.parametrize(
    ("returned", "message"),
    [
        ("low", r"^f\(x\) must be a real number or array; got str"),
        (None, r"^f\(x\) must be a real number or array; got NoneType"),
        (1j, r"^f\(x\) must be real; got complex values \(complex\)"),
        ([[1.0], [1.0, 2.0]], r"^f\(x\) must be a real number or array; got a ragged list$"),
    ],
    ids=["str", "None", "complex", "ragged"],
)
@pytest.mark.parametrize("fn", ["numerical_gradient", "numerical_gradient_array"])
def test_numerical_gradients_refuse_an_f_that_does_not_return_real_numbers(fn, returned, message):
    """What f returned is refused by the name f(x), with the type that arrived, whichever of the
    two functions calls it."""
    x = np.ones(2)
    with pytest.raises(TypeError, match=message):
        if fn == "numerical_gradient":
            numerical_gradient(lambda v: returned, x)
        else:
            numerical_gradient_array(lambda v: returned, x, np.ones(()))


# -- what gradcheck says about a model's grads, by name -------------------------------------------


class Returns:
    """A model of one parameter ``w`` (3,) whose loss does not depend on it: its central
    differences are exactly 0. ``grads`` is what its loss returns as the gradients."""

    def __init__(self, grads, loss=0.5, w=None):
        self.params = {"w": np.zeros(3) if w is None else w}
        self.grads, self.value = grads, loss

    def loss(self, X, y=None):
        return self.value, self.grads


@pytest.mark.parametrize(
    ("grads", "got"),
    [
        ([np.zeros(3)], "nothing"),
        ({}, "nothing"),
        ({"w": np.zeros(2)}, r"shape \(2,\)"),
        ({"w": [[1.0], [1.0, 2.0]]}, "a ragged list"),
    ],
    ids=["a list", "no w", "wrong shape", "ragged"],
)
def test_gradcheck_refuses_grads_that_are_not_a_dict_of_the_params_shapes(grads, got):
    """grads must be a dict holding each parameter's gradient in its shape; the message says
    what arrived instead (nothing, the shape, or a ragged list, which has no shape)."""
    message = (
        rf"^model.loss must return grads\['w'\] with the shape of params\['w'\] \(3,\); got {got}"
    )
    with pytest.raises(ValueError, match=message):
        gradcheck(Returns(grads), np.ones((1, 2)), None)


@pytest.mark.parametrize(
    ("w", "message"),
    [
        (np.zeros(3, dtype=int), r"^params\['w'\] must be a floating-point array"),
        (
            np.lib.stride_tricks.as_strided(np.zeros(3), writeable=False),
            r"^params\['w'\] must be writeable",
        ),
    ],
    ids=["integers", "read-only"],
)
def test_gradcheck_refuses_a_parameter_it_cannot_nudge_naming_it(w, message):
    """Each parameter is nudged in place: an integer or read-only array is refused by its key."""
    with pytest.raises((TypeError, ValueError), match=message):
        gradcheck(Returns({"w": np.zeros(3)}, w=w), np.ones((1, 2)), None)


def test_the_rounding_allowance_is_four_eps_times_max_1_and_L_over_h():
    """Where the central difference is exactly 0, an analytic gradient within the allowance
    ROUNDING * eps * max(1, |L|) / h (8.9e-11 for |L| <= 1 and h = 1e-5) is good; one just over
    it is not, whatever |L| is below 1."""
    allowance = 4 * np.finfo(np.float64).eps * 1.0 / 1e-5
    for loss in (0.5, 1.0):
        inside = gradcheck(Returns({"w": np.full(3, 0.9 * allowance)}, loss), np.ones((1, 2)), None)
        outside = gradcheck(
            Returns({"w": np.full(3, 1.2 * allowance)}, loss), np.ones((1, 2)), None
        )
        assert inside.rows[0].verdict == "good"
        assert outside.rows[0].verdict != "good"


def test_a_correct_check_raises_no_warning():
    """Checking a correct model, and reading an f that returns a 1 x 1 array as its number,
    raise no warning (no NumPy deprecation on the way)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        report = gradcheck(Cubic(0), np.zeros((2, 1)), [0, 1])
        grad = numerical_gradient(lambda v: np.sum(v**2).reshape(1, 1), np.array([1.0, -2.0]))
    assert report.ok
    np.testing.assert_allclose(grad, [2.0, -4.0], rtol=1e-6)


@pytest.mark.parametrize(("a", "b", "name"), [([np.nan], [1.0], "a"), ([1.0], [np.inf], "b")])
def test_rel_error_refuses_non_finite_input_naming_it(a, b, name):
    """rel_error names the argument that holds NaN or infinity."""
    with pytest.raises(ValueError, match=rf"^{name} must be finite"):
        rel_error(a, b)


@pytest.mark.parametrize("noise", [-1e-10, -5e-324])
def test_rel_error_refuses_a_negative_noise_naming_it(noise):
    """A rounding allowance is an amount >= 0: a negative one would widen every gap."""
    with pytest.raises(ValueError, match=r"^noise must be >= 0"):
        rel_error([1.0], [1.0], noise=noise)


@pytest.mark.parametrize("fn", ["numerical_gradient", "numerical_gradient_array"])
def test_numerical_gradients_refuse_an_f_that_is_not_a_function(fn):
    """f must be callable; what arrived instead is named by its type."""
    with pytest.raises(TypeError, match=r"^f must be a function of x; got str"):
        if fn == "numerical_gradient":
            numerical_gradient("v**2", np.ones(2))
        else:
            numerical_gradient_array("v**2", np.ones(2), np.ones(2))


def test_an_explicit_step_too_small_for_the_dtype_gives_0_not_nan():
    """An explicit h that float32 cannot add to 1 moves nothing: the difference, 0, is divided
    by 2h as the formula says (0), not by the move actually stored (0 / 0)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        grad = numerical_gradient(lambda v: float(np.sum(v)), np.ones(2, np.float32), h=1e-10)
    np.testing.assert_array_equal(grad, [0.0, 0.0])


def test_an_explicit_step_divides_by_2h_even_when_the_dtype_rounds_the_steps():
    """With h given, the difference of the values actually stored is divided by 2h; with the
    default step, by the move actually stored (which makes a linear f exact)."""
    x = np.ones(1, np.float32)
    stored = float(np.float32(1.0 + 1e-3)) - float(np.float32(1.0 - 1e-3))
    given = numerical_gradient(lambda v: float(v.astype(np.float64).sum()), x, h=1e-3)
    default = numerical_gradient(lambda v: float(v.astype(np.float64).sum()), x)
    assert given[0] == np.float32(stored / 2e-3) != 1.0
    assert default[0] == 1.0


def test_x_may_be_a_list():
    """x need not be an array: a list of numbers is read as one (and left unchanged)."""
    x = [1.0, -2.0]
    np.testing.assert_allclose(numerical_gradient(lambda v: float(np.sum(v**2)), x), [2.0, -4.0])
    assert x == [1.0, -2.0]


@pytest.mark.parametrize(("args", "name"), [((-1.0, 0), "error"), ((0.1, -1), "kinks")])
def test_verdict_names_a_negative_error_or_kink_count(args, name):
    """A relative error and a kink count are >= 0; a negative one is refused by its name."""
    with pytest.raises(ValueError, match=rf"^{name} must be >= 0"):
        verdict(*args)
