"""What a caller of a typed activation sees at its edges: each refusal's whole message (the
argument it names, the type or dtype that arrived, the list of names it allows), a cache taken only
as the named tuple ``forward`` returns, no warning from an overflow in ``backward``, the exponent
and power quoted in a refusal cut where the message says, the float that mirrors a constant in the
grammar, and the label ``<typed activation>`` that the code NumPy runs carries in a profile."""

import ast
import cProfile
import functools
import multiprocessing
import pstats
import re
import warnings
from types import SimpleNamespace

import numpy as np
import pytest
import sympy as sp

from backprop_core.activations import (
    MAX_EXPONENT,
    NAMED,
    Activation,
    ActivationCache,
    X,
    activation_from_text,
    budget,
    grammar,
    named,
    stable,
)
from backprop_core.activations.grammar import FUNCTIONS


@functools.cache
def typed(text):
    """One activation per text for the whole module (each costs a SymPy derivation)."""
    return activation_from_text(text)


def whole(message):
    """A pattern that matches ``message`` and nothing longer or shorter."""
    return "^" + re.escape(message) + "$"


def refusal(what):
    """The whole message of a grammar refusal of ``what`` at column 1."""
    return (
        f"{what} is not allowed at column 1; use x, numbers, + - * / **, parentheses and "
        f"the functions {', '.join(sorted(FUNCTIONS))}"
    )


# -- forward, slope and backward: what they accept and how they refuse the rest ----------------


@pytest.mark.parametrize("method", ["forward", "slope"])
@pytest.mark.parametrize("x", [np.array([1 + 2j]), np.array(["1.0"]), np.array([None])])
def test_forward_and_slope_refuse_an_x_that_is_not_real_naming_x_and_its_dtype(method, x):
    message = f"x must be an array of real numbers; got dtype {x.dtype}"
    with pytest.raises(TypeError, match=whole(message)):
        getattr(typed("tanh(x)"), method)(x)


def test_backward_refuses_a_cache_x_that_is_not_real_naming_cache_x_and_its_dtype():
    cache = ActivationCache(np.array([1 + 0j, 2 + 0j]))
    message = "cache.x must be an array of real numbers; got dtype complex128"
    with pytest.raises(TypeError, match=whole(message)):
        typed("tanh(x)").backward(np.ones(2), cache)


def test_backward_refuses_a_dout_that_is_not_real_naming_dout_and_its_dtype():
    _, cache = typed("tanh(x)").forward(np.zeros(2))
    message = "dout must be an array of real numbers; got dtype complex64"
    with pytest.raises(TypeError, match=whole(message)):
        typed("tanh(x)").backward(np.ones(2, dtype=np.complex64), cache)


@pytest.mark.parametrize(
    ("cache", "kind"),
    [
        (SimpleNamespace(x=np.zeros(2)), "SimpleNamespace"),  # has an x, but is no tuple
        ({"x": np.zeros(2)}, "dict"),
        ((np.zeros(2),), "tuple"),  # a tuple without a field x
        (None, "NoneType"),
    ],
)
def test_backward_takes_only_a_named_tuple_holding_x_and_names_what_arrived(cache, kind):
    """A cache is read only as the tuple ``forward`` returns (or another layer's cache tuple with
    a field ``x``); any other object, even one with an attribute ``x``, is refused by its type."""
    message = (
        f"cache must be the ActivationCache returned by forward (a cache holding x); got {kind}"
    )
    with pytest.raises(TypeError, match=whole(message)):
        typed("tanh(x)").backward(np.ones(2), cache)


def test_backward_lets_an_overflowing_product_become_inf_without_a_warning():
    """``dout * f'(x)`` beyond the float range is inf, silently, as ``forward``'s overflow is."""
    square = typed("x**2")
    _, cache = square.forward(np.array([1e200, -1e200]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dx = square.backward(np.array([1e200, 1e200]), cache)
    np.testing.assert_array_equal(dx, [np.inf, -np.inf])


def test_named_refuses_an_unknown_name_listing_the_names_it_knows():
    message = f"name must be one of {sorted(NAMED)}; got 'swish'"
    with pytest.raises(ValueError, match=whole(message)):
        named("swish")


# -- the grammar: a refused exponent or power is quoted where the message says --------------------


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        # SymPy's form has 40 characters: shown whole, as SymPy holds it
        ("x ** (10**37 / 3)", "10000000000000000000000000000000000000/3"),
        # SymPy's form has 41: the exponent as typed is shown instead
        ("x ** (10**38 / 3)", "10**38 / 3"),
        # and what was typed, when longer than 40 characters, is cut to its first 40
        (
            "x ** (10**38 / 3 + 0 * 1000000000000000000000000000000)",
            "10**38 / 3 + 0 * 10000000000000000000000",
        ),
    ],
)
def test_an_exponent_too_large_is_shown_as_sympy_holds_it_up_to_40_characters(text, shown):
    """The refusal quotes SymPy's form of the exponent when it has at most 40 characters, and
    otherwise the first 40 characters of the exponent as it was typed."""
    assert len(shown) <= 40
    with pytest.raises(ValueError, match=whole(refusal(f"an exponent of {shown}"))):
        grammar.expression(text)


def test_a_combined_power_too_large_is_quoted_cut_to_40_and_60_characters():
    """``(x**(32 + 1e-30))**3`` is ``x**(96 + 3e-30)``: its exponent is quoted by its first 39
    characters and the power by its first 59, each followed by an ellipsis."""
    exponent = "96" + "0" * 29 + "3/1" + "0" * 30  # 96 + 3/10**30 as SymPy writes it
    power = f"x**({exponent})"
    message = (
        f"text raises to the power {exponent[:39]}… once its powers are combined "
        f"({power[:59]}…); at most {MAX_EXPONENT} is allowed"
    )
    with pytest.raises(ValueError, match=whole(message)):
        grammar.expression("(x ** (32 + 1 / 10**30)) ** 3")


@pytest.mark.parametrize("constant", ["log(74)", "log(48)", "pi - sin(11)"])
def test_a_constant_that_x_cancels_out_of_is_mirrored_by_its_nearest_float(constant):
    """``x + c - x`` is the constant ``c``, and the float that stands for it in the checks of
    constants is the float nearest its value (for these three, 15 significant digits would
    miss it by one unit in the last place)."""
    text = f"x + {constant} - x"
    expr, value = grammar.build(ast.parse(text, mode="eval").body, text)
    assert expr == sp.sympify(constant)
    assert value == float(expr.evalf(40))


# -- the stable code ------------------------------------------------------------------------------


def test_as_tanh_finds_tanh_in_a_quotient_whose_numerator_is_a_power_of_a_sum():
    """``(exp(2x) - 1)**3 / (exp(6x) - exp(4x) - exp(2x) + 1)`` is ``tanh(x)``: its numerator is a
    power of a sum, not a sum, and it is found all the same, so at x = 400, where both sides of
    the quotient overflow, the activation gives tanh's 1.0 instead of inf/inf = nan."""
    u = sp.exp(2 * X)
    denominator = sp.exp(6 * X) - sp.exp(4 * X) - u + 1
    assert stable.as_tanh((u - 1) ** 3 / denominator) == sp.tanh(X)
    act = activation_from_text("(exp(2*x) - 1)**3 / (exp(6*x) - exp(4*x) - exp(2*x) + 1)")
    assert act.forward(np.array([400.0, -400.0]))[0].tolist() == [1.0, -1.0]


@pytest.mark.skipif(
    np.finfo(np.longdouble).eps >= np.finfo(np.float64).eps,
    reason="long double is float64 on this platform",
)
def test_a_long_double_x_is_refused_by_name_where_a_function_has_no_long_double_version():
    """SciPy's erf has no long double version: gelu refuses such an x (forward, slope, and
    backward's cache.x) naming it, what it must be and what arrived; tanh, which NumPy computes
    in long double, keeps the dtype."""
    x = np.array([0.5], dtype=np.longdouble)
    gelu = named("gelu")
    expected = (
        "{} must be float64, float32 or float16 for 'x * (1 + erf(x / sqrt(2))) / 2', which "
        "calls a function that has no float128 version; got dtype float128"
    )
    with pytest.raises(TypeError, match=whole(expected.format("x"))):
        gelu.forward(x)
    with pytest.raises(TypeError, match=whole(expected.format("x"))):
        gelu.slope(x)
    with pytest.raises(TypeError, match=whole(expected.format("cache.x"))):
        gelu.backward(np.ones(1), ActivationCache(x))
    out, cache = named("tanh").forward(x)
    assert out.dtype == np.longdouble == named("tanh").backward(np.ones(1), cache).dtype


def test_the_code_numpy_runs_is_labelled_typed_activation_in_a_profile():
    """Profiling ``forward`` and ``slope`` shows the generated functions under the file name
    ``<typed activation>`` (a traceback through them names it the same way)."""
    act = typed("tanh(x)")
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        act.forward(np.zeros(3))
        act.slope(np.zeros(3))
    finally:
        profiler.disable()
    calls = pstats.Stats(profiler).stats
    assert {file for file, _, name in calls if name == "_lambdifygenerated"} == {
        "<typed activation>"
    }


# -- Activation built from an expression, and the process budget's start method --------------------


@pytest.mark.parametrize(
    ("expr", "shown"),
    [(sp.Symbol("y"), "y"), (sp.Integer(2), "2"), ("x", "'x'"), (sp.Symbol("x") > 0, "x > 0")],
)
def test_activation_refuses_an_expr_without_x_and_no_symbol_x_by_type_alone(expr, shown):
    """An expr that does not hold X is refused by type; the clause about a Symbol('x') of one's
    own is added only for an expression holding a symbol named x (see the next test), not for
    another symbol, a number, a string or a relation."""
    message = f"expr must be a SymPy expression in backprop_core.activations.X; got {shown}"
    with pytest.raises(TypeError, match=whole(message)):
        Activation("f", expr)


def test_activation_refuses_a_plain_symbol_x_saying_it_is_not_x():
    message = (
        "expr must be a SymPy expression in backprop_core.activations.X (a Symbol('x') of your "
        "own is not X, which is real); got x**2"
    )
    with pytest.raises(TypeError, match=whole(message)):
        Activation("x**2", sp.Symbol("x") ** 2)


@pytest.mark.parametrize("at_zero", [1, np.float32(0.5), np.float64(0.25), 0.75])
def test_an_activation_holds_its_at_zero_as_a_python_float(derive_here, at_zero):
    """``act.at_zero`` reads back as a Python float of the value given (an int or NumPy float
    becomes a float), and the slope at ReLU's kink is that value."""
    act = Activation("max(0, x)", None, at_zero)
    assert type(act.at_zero) is float
    assert act.at_zero == float(at_zero)
    assert act.slope(np.array([0.0])).tolist() == [float(at_zero)]


def test_an_activation_given_an_expression_derives_it_and_keeps_the_text_as_a_label(derive_here):
    """With ``expr`` given, ``text`` is not parsed: it may say anything, even what the grammar
    refuses, and the function is the expression's."""
    act = Activation("my square!", X**2)
    assert derive_here == [(None, X**2, 0.0)]
    assert act.text == "my square!"
    assert act.expr == X**2
    assert act.derivative == 2 * X
    assert act.forward(np.array([3.0]))[0].tolist() == [9.0]


def test_the_budget_forks_where_the_platform_can_whatever_start_method_the_program_set():
    """SymPy is imported already, so a forked worker starts in milliseconds: the budget forks
    where fork exists, even when the program has made spawn its default start method."""
    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("this platform cannot fork")
    before = multiprocessing.get_start_method(allow_none=True)
    multiprocessing.set_start_method("spawn", force=True)
    try:
        assert budget.context().get_start_method() == "fork"
    finally:
        multiprocessing.set_start_method(before, force=True)


def test_the_budget_spawns_where_the_platform_cannot_fork(monkeypatch):
    monkeypatch.setattr(multiprocessing, "get_all_start_methods", lambda: ["spawn", "forkserver"])
    assert budget.context().get_start_method() == "spawn"
