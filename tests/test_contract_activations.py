"""What a learner typing an activation relies on: signs and ``pi`` read as written, the ready-made
activations honouring ``at_zero``, and each published limit exactly where it says it is."""

import ast
import math
import multiprocessing
import os
import signal
import threading
import time

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from backprop_core.activations import (
    MAX_CONSTANT,
    MAX_DEPTH,
    MAX_EXPONENT,
    MAX_LENGTH,
    NAMED,
    Activation,
    X,
    activation_from_text,
    budget,
    grammar,
    named,
    parse,
    stable,
)
from backprop_core.activations.check import describe


@settings(max_examples=25, deadline=None)
@given(st.lists(st.sampled_from("+-"), min_size=1, max_size=6))
def test_signs_in_front_of_x_multiply_out(signs):
    """Each unary minus flips the sign and each plus keeps it: ``-+-x`` is ``x``."""
    expected = X if signs.count("-") % 2 == 0 else -X
    assert parse("".join(signs) + "x") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("x * -2", -2 * X),
        ("x * +2", 2 * X),
        ("-(x - 3)", 3 - X),
        ("x ** -2", X**-2),
        ("pi * x", sp.pi * X),
        ("sin(pi * x) / pi", sp.sin(sp.pi * X) / sp.pi),
        ("x - pi", X - sp.pi),
    ],
)
def test_text_means_what_it_says(text, expected):
    assert sp.simplify(parse(text) - expected) == 0


def test_a_minus_sign_is_kept_in_the_numbers_computed_from_the_text():
    """``-x`` runs as -x, and a negative constant is small where its positive twin is too large."""
    out, _ = activation_from_text("-x").forward(np.array([1.0, -2.0]))
    np.testing.assert_array_equal(out, [-1.0, 2.0])
    assert parse("x * exp(-1000)") == X * sp.exp(-1000)  # about 5e-435: allowed
    with pytest.raises(ValueError, match=r"exp\(1000\) \(a number beyond"):
        parse("x * exp(1000)")
    assert parse("x + 2 ** (-(-3))") == X + 8
    out, _ = activation_from_text("x * (-1) ** 3").forward(np.array([2.0]))
    np.testing.assert_array_equal(out, [-2.0])


def test_pi_is_a_number_and_other_names_are_refused():
    out, _ = activation_from_text("x + pi").forward(np.array([0.0]))
    assert out[0] == pytest.approx(np.pi, rel=1e-15)
    with pytest.raises(ValueError, match="the name 'e' is not allowed"):
        parse("x + e")


@pytest.mark.parametrize("name", ["elu", "leaky relu", "relu"])  # the NAMED ones with kinks
def test_named_activations_with_kinks_take_at_zero_as_the_text_does(name):
    at_zero = 0.25
    ready = named(name, at_zero=at_zero)
    typed = activation_from_text(NAMED[name], at_zero=at_zero)
    assert ready.at_zero == at_zero
    x = np.array([-1.0, 0.0, 2.0])
    np.testing.assert_array_equal(ready.slope(x), typed.slope(x))


@pytest.mark.parametrize("at_zero", [1.0, 0.25])
def test_the_named_relu_uses_at_zero_as_its_slope_at_zero(at_zero):
    relu = named("relu", at_zero=at_zero)
    _, cache = relu.forward(np.array([-1.0, 0.0, 2.0]))
    np.testing.assert_array_equal(relu.backward(np.full(3, 4.0), cache), [0.0, 4.0 * at_zero, 4.0])


# -- the limits: allowed exactly at each one, refused one past it ----------------------------------


def nested(depth):
    return "sin(" * depth + "x" + ")" * depth


@pytest.mark.parametrize(
    ("allowed", "refused", "message"),
    [
        (
            "x" + " " * (MAX_LENGTH - 1),
            "x" + " " * MAX_LENGTH,
            f"characters long; at most {MAX_LENGTH}",
        ),
        ("x" + "+x" * ((MAX_LENGTH - 1) // 2), "x" + "+x" * ((MAX_LENGTH + 1) // 2), "at most"),
        (nested(MAX_DEPTH), nested(MAX_DEPTH + 1), f"nests deeper than {MAX_DEPTH} levels"),
        (
            "-" * MAX_DEPTH + "x",
            "-" * (MAX_DEPTH + 1) + "x",
            f"nests deeper than {MAX_DEPTH} levels",
        ),
        (f"x ** {MAX_EXPONENT}", f"x ** {MAX_EXPONENT + 1}", f"an exponent of {MAX_EXPONENT + 1}"),
        (
            f"x ** -{MAX_EXPONENT}",
            f"x ** -{MAX_EXPONENT + 1}",
            f"an exponent of -{MAX_EXPONENT + 1}",
        ),
        (
            f"x ** ({MAX_EXPONENT - 1} + 1)",
            f"x ** ({MAX_EXPONENT} + 1)",
            f"an exponent of {MAX_EXPONENT + 1}",
        ),
    ],
    ids=["length", "length of a sum", "depth", "depth of signs", "exponent", "negative", "sum"],
)
def test_each_limit_allows_its_value_and_refuses_one_more(allowed, refused, message):
    assert len(allowed) <= MAX_LENGTH
    assert parse(allowed).has(X)
    with pytest.raises(ValueError, match=message):
        parse(refused)


def test_a_long_chain_of_one_operation_counts_as_one_level():
    """``x + x + ... + x`` nests in the syntax tree, but is one level for the depth limit."""
    text = "+".join(["x"] * (3 * MAX_DEPTH))
    assert parse(text) == 3 * MAX_DEPTH * X


# -- the grammar, called in this process (budget.run would do it in a child) ----------------------
# mutmut sees only what runs in the test's own process, so these tests call grammar, stable and
# budget's stage functions directly instead of going through budget.run's worker process.


def refusal(text):
    """The message of the ValueError that grammar.expression raises for ``text``."""
    with pytest.raises(ValueError) as info:
        grammar.expression(text)
    return str(info.value)


def allowed_functions(message):
    """The function names a refusal lists after 'the functions '."""
    return message.rsplit("the functions ", 1)[1].split(", ")


def test_expression_refuses_a_text_that_is_not_a_string_naming_its_type():
    with pytest.raises(TypeError, match=r"^text must be a string; got int$"):
        grammar.expression(3)


def test_parse_refuses_a_text_that_is_not_a_string_naming_its_type():
    """The public parse says, before any work, that text must be a string and what arrived."""
    with pytest.raises(TypeError, match=r"^text must be a string; got int$"):
        parse(3)


def test_expression_allows_max_length_characters_and_refuses_one_more():
    assert grammar.expression("x" + " " * (MAX_LENGTH - 1)) == X
    long = "x" + " " * MAX_LENGTH
    with pytest.raises(ValueError, match=f"^text is {MAX_LENGTH + 1} characters long; at most "):
        grammar.expression(long)


@pytest.mark.parametrize("text", ["", "   "])
def test_expression_refuses_an_empty_text_with_an_example(text):
    with pytest.raises(ValueError, match=r"^text is empty; write an expression in x, such as max"):
        grammar.expression(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x )", "text is not an expression at column 3: unmatched ')'"),
        ("(x", "text is not an expression at column 1: '(' was never closed"),
        # Python reports offset 0 for a text that ends too early: no column is better than 0
        ("x +", "text is not an expression: invalid syntax"),
    ],
)
def test_a_syntax_error_names_its_column_and_pythons_reason(text, message):
    assert refusal(text) == message


def test_a_text_python_cannot_encode_is_refused_with_the_codecs_reason():
    """A lone surrogate makes ``ast.parse`` raise UnicodeEncodeError (a ValueError, no column)."""
    message = refusal("x + '\ud800'")
    assert message.startswith("text is not an expression: 'utf-8' codec can't encode")
    assert "surrogates not allowed" in message


@pytest.mark.parametrize(("text", "constant"), [("2 + 3", "5"), ("x - x", "0")])
def test_expression_refuses_a_text_without_x_naming_its_value(text, constant):
    assert refusal(text) == f"text must depend on x; {text!r} is the constant {constant}"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("x", X),
        ("-x + 2.5", sp.Rational(5, 2) - X),
        ("x ** 2 / 4", X**2 / 4),
        ("pi * x", sp.pi * X),
        ("max(0, x, 2 * x)", sp.Max(0, X, 2 * X)),
        ("min(1, x)", sp.Min(1, X)),
        ("abs(x) + sign(x)", sp.Abs(X) + sp.sign(X)),
        ("heaviside(x)", sp.Heaviside(X, sp.S.Half)),
        ("sigmoid(x)", 1 / (1 + sp.exp(-X))),
        ("softplus(x)", sp.log(1 + sp.exp(X))),
        ("tanh(x) * erf(x)", sp.tanh(X) * sp.erf(X)),
    ],
)
def test_expression_builds_the_sympy_expression_the_text_writes(text, expected):
    assert grammar.expression(text) == expected


def test_a_float_in_the_text_becomes_the_exact_rational_it_prints_as():
    """``0.1`` is 1/10, not the binary float 0.1000000000000000055..."""
    assert grammar.expression("0.1 * x") == sp.Rational(1, 10) * X
    assert grammar.expression("3 * x") == 3 * X


def test_an_integer_in_the_text_is_kept_exactly_beyond_float_precision():
    big = 2**53 + 1  # the nearest float is 2**53
    assert grammar.expression(f"x + {big}") == X + big


@pytest.mark.parametrize(
    ("text", "what", "column"),
    [
        ("x + e", "the name 'e'", 5),
        ("x + X", "the name 'X'", 5),
        ("x + 'a'", "the constant 'a'", 5),
        ("x + True", "the constant True", 5),
        ("x + 1j", "the constant 1j", 5),
        ("2 * x.real", "Attribute (x.real)", 5),
        ("x + x[0]", "Subscript (x[0])", 5),
        ("x + f(x)", "the function 'f'", 5),
        ("x + (lambda: 1)(x)", "this call", 5),
        ("x + exp(x=1)", "the function 'exp' with keywords", 5),
        ("x + exp(x, 2)", "exp with 2 argument(s)", 5),
        ("x + max(x)", "max with 1 argument(s)", 5),
        ("x + ~x", "UnaryOp (~x)", 5),
        ("x + x % 2", "BinOp (x % 2)", 5),
        ("x + x ** 65", "an exponent of 65", 5),
        ("x + x ** -65", "an exponent of -65", 5),
        ("x + 1/0", "1/0 (a division by zero)", 5),
        ("x + x/(x - x)", "x/(x - x) (a division by zero)", 5),
        ("x + sqrt(-1)", "sqrt(-1) (not a real number)", 5),
        ("x + (-1)**0.5", "(-1)**0.5 (not a real number)", 5),
        ("x + log(x - x)", "log(x - x) (not a real number)", 5),
        ("x + exp(1000)", "exp(1000) (a number beyond ±1e+300)", 5),
        ("x + 1e301", "1e301 (a number beyond ±1e+300)", 5),
        ("x + 1e400", "1e400 (a number beyond ±1e+300)", 5),
        ("x + 0**(-x**2 - 1)", "0**(-x**2 - 1) (undefined: zoo)", 5),
        ("0**(-exp(x))", "0**(-exp(x)) (undefined: zoo)", 1),
        ("x + sqrt(-x**2)", "sqrt(-x**2) (undefined: I*Abs(x))", 5),
        ("(-x**2)**0.5", "(-x**2)**0.5 (undefined: I*Abs(x))", 1),
    ],
)
def test_a_refusal_names_the_offending_part_and_its_column(text, what, column):
    message = refusal(text)
    assert message.startswith(f"{what} is not allowed at column {column}; use x, numbers, ")
    assert allowed_functions(message) == sorted(grammar.FUNCTIONS)


def test_a_refused_constant_is_quoted_by_its_first_40_characters():
    inner = "+".join(["1"] * 30)  # 59 characters, so the quote is cut
    message = refusal(f"x + 1/(0*({inner}))")
    quoted = f"1/(0*({inner}))"[:40]
    assert message.startswith(f"{quoted} (a division by zero) is not allowed at column 5")


def test_a_constant_that_x_cancels_out_of_is_checked_and_named_with_its_column():
    """When x cancels, as in (x + 1e200) * 1e200 - x * 1e200 = 1e400, the constant left is
    checked like any other and the refusal quotes that part of the text and its column."""
    message = refusal("x + ((x + 1e200) * 1e200 - x * 1e200)")
    assert message.startswith(
        "(x + 1e200) * 1e200 - x * 1e200 (a number beyond ±1e+300) is not allowed at column 6; "
    )


def test_a_node_without_a_position_is_refused_without_a_column_and_quoted_as_a_question_mark():
    """``refuse`` and ``checked_value`` also serve nodes built by hand, which have no position."""
    node = ast.Constant(value=1.0)
    with pytest.raises(ValueError, match=r"^\? \(a division by zero\) is not allowed; use x, "):
        grammar.checked_value(node, "", lambda: 1 / 0)
    with pytest.raises(ValueError, match=r"^the operator is not allowed; use x, numbers, "):
        grammar.refuse(ast.Add(), "the operator")


def test_a_node_of_a_kind_the_grammar_does_not_know_is_named_by_its_type():
    """A node the grammar has no rule for is refused by its type, followed by its text, or by a
    question mark for a node built by hand, which has no text."""
    with pytest.raises(ValueError, match=r"^Set \(\?\) is not allowed; use x, numbers, "):
        grammar.build(ast.Set(elts=[]), "")
    assert refusal("x + {x}").startswith("Set ({x}) is not allowed at column 5; ")


def test_checked_value_returns_the_float_of_a_constant_up_to_max_constant():
    node = ast.parse("x", mode="eval").body
    assert grammar.checked_value(node, "x", lambda: 7) == 7.0
    assert type(grammar.checked_value(node, "x", lambda: 7)) is float
    assert grammar.checked_value(node, "x", lambda: -MAX_CONSTANT) == -MAX_CONSTANT
    with pytest.raises(
        ValueError, match=r"^x \(a number beyond ±1e\+300\) is not allowed at column"
    ):
        grammar.checked_value(node, "x", lambda: float("nan"))
    with pytest.raises(ValueError, match=r"^x \(not a real number\) is not allowed at column 1"):
        grammar.checked_value(node, "x", lambda: 1j)


def test_a_constant_of_max_constant_is_allowed():
    assert grammar.expression("x + 1e300") == X + sp.Integer(10) ** 300


@pytest.mark.parametrize(
    "text",
    ["x + sigmoid(-800)", "x + softplus(800)", "x + sigmoid(800)", "x + softplus(-800)"],
)
def test_sigmoid_and_softplus_of_a_large_constant_are_allowed(text):
    """Their float mirrors do not overflow where ``exp`` would."""
    assert grammar.expression(text).has(X)


def test_the_depth_limit_holds_when_called_in_process():
    def nested(depth):
        return "sin(" * depth + "x" + ")" * depth

    assert grammar.expression(nested(MAX_DEPTH)).has(X)
    assert grammar.expression("-" * MAX_DEPTH + "x") == (-1) ** MAX_DEPTH * X
    with pytest.raises(ValueError, match=f"^the expression nests deeper than {MAX_DEPTH} levels$"):
        grammar.expression(nested(MAX_DEPTH + 1))
    with pytest.raises(ValueError, match="nests deeper"):
        grammar.expression("-" * (MAX_DEPTH + 1) + "x")


def test_each_operand_and_argument_adds_a_level_a_chain_does_not():
    """Right operands, call arguments and signs nest one level deeper; a left chain stays."""
    deep = MAX_DEPTH - 1
    assert grammar.expression("+".join(["x"] * 40)) == 40 * X
    assert grammar.expression("*".join(["x"] * 3) + "/x") == X**2
    for template in ("x + ({})", "({}) ** 2", "max(0, {})", "exp({})", "-({})"):
        text = template.format("sin(" * deep + "x" + ")" * deep)
        assert grammar.expression(text).has(X)
        with pytest.raises(ValueError, match="nests deeper"):
            grammar.expression(template.format("sin(" * MAX_DEPTH + "x" + ")" * MAX_DEPTH))
    # a chain of one family: x - x - ... stays one level; alternating families do not
    assert grammar.expression("x" + "-x*2" * 14) == X - 28 * X


def test_a_constant_exponent_of_x_counts_its_sign_and_its_sum():
    assert grammar.expression(f"x ** -{MAX_EXPONENT}") == X**-MAX_EXPONENT
    assert grammar.expression(f"x ** ({MAX_EXPONENT} - 1 + 1)") == X**MAX_EXPONENT
    assert grammar.expression(f"x ** -(-{MAX_EXPONENT})") == X**MAX_EXPONENT
    assert grammar.expression("2 ** x") == 2**X  # only the exponent is bounded


def test_constants_are_computed_with_their_signs_and_operations():
    assert grammar.expression("x + 2 ** 3 - 10 / 4 * 2") == X + 3
    assert grammar.expression("x * -(-(2))") == 2 * X
    assert grammar.expression("x + max(1, 2) - min(1, 2)") == X + 1
    # a constant that cancels to zero is a zero divisor, whatever x does beside it
    with pytest.raises(ValueError, match=r"^x/\(2\*x - x - x\) \(a division by zero\)"):
        grammar.expression("x/(2*x - x - x)")


def outcome(text):
    """grammar.expression(text), or None if it refuses the text."""
    try:
        return grammar.expression(text)
    except ValueError:
        return None


@pytest.mark.parametrize(
    "constant", ["(2)", "(63.9 + 0.1)", "(1e300 + 1 - 1e300)", "(1e300 + 65 - 1e300)"]
)
def test_a_minus_sign_before_a_constant_negates_it_and_changes_nothing_else(constant):
    """A divisor or an exponent -(c) is allowed or refused exactly as (c) is, and gives the
    negated expression, even where c's float differs from its exact value (1e300 + 1 - 1e300
    is 0.0 in floats, 1 exactly)."""
    divided, divided_by_minus = outcome(f"x / {constant}"), outcome(f"x / -{constant}")
    assert (divided is None) == (divided_by_minus is None)
    if divided is not None:
        assert divided_by_minus == -divided
    power, power_of_minus = outcome(f"x ** {constant}"), outcome(f"x ** -{constant}")
    assert (power is None) == (power_of_minus is None)
    if power is not None:
        assert power_of_minus == 1 / power


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("exp(1)", math.e),
        ("log(2)", math.log(2)),
        ("sqrt(2)", math.sqrt(2)),
        ("abs(-2)", 2.0),
        ("tanh(1)", math.tanh(1)),
        ("sigmoid(1)", 1 / (1 + math.exp(-1))),
        ("softplus(1)", math.log1p(math.e)),
        ("sign(-3)", -1.0),
        ("heaviside(0)", 0.5),
        ("max(1, 3, 2)", 3.0),
        ("pi", math.pi),
    ],
)
def test_build_mirrors_a_constant_by_its_float(name, value):
    expr, mirrored = grammar.build(ast.parse(name, mode="eval").body, name)
    assert mirrored == pytest.approx(value, rel=1e-15)
    assert float(expr) == pytest.approx(value, rel=1e-15)


def test_build_gives_no_float_for_an_expression_in_x():
    text = "x * sin(x) - 1"
    expr, value = grammar.build(ast.parse(text, mode="eval").body, text)
    assert (expr, value) == (X * sp.sin(X) - 1, None)
    text = "x/x + 1"
    assert grammar.build(ast.parse(text, mode="eval").body, text) == (2, 2.0)


def test_the_float_twins_of_sigmoid_softplus_and_sign():
    assert grammar.float_sigmoid(0.0) == 0.5
    assert grammar.float_sigmoid(2.0) == pytest.approx(1 / (1 + math.exp(-2.0)), rel=1e-15)
    assert grammar.float_sigmoid(-2.0) == pytest.approx(1 / (1 + math.exp(2.0)), rel=1e-15)
    assert grammar.float_sigmoid(800.0) == 1.0
    assert grammar.float_sigmoid(-699.0) == pytest.approx(math.exp(-699.0), rel=1e-12)
    for v in (-700.0, -700.5, -800.0, -1e300):  # where exp(-v) overflows or nearly does: 0
        assert grammar.float_sigmoid(v) == 0.0
    assert grammar.float_softplus(0.0) == pytest.approx(math.log(2), rel=1e-15)
    assert grammar.float_softplus(-3.0) == pytest.approx(math.log1p(math.exp(-3.0)), rel=1e-15)
    assert grammar.float_softplus(800.0) == 800.0
    assert grammar.float_softplus(1e300) == 1e300
    for v, sign in ((2.0, 1.0), (0.5, 1.0), (0.0, 0.0), (-0.5, -1.0), (-2.0, -1.0)):
        assert grammar.float_sign(v) == sign


def test_the_sympy_sigmoid_and_softplus_are_the_textbook_formulas():
    assert grammar.sigmoid(X) == 1 / (1 + sp.exp(-X))
    assert grammar.softplus(X) == sp.log(1 + sp.exp(X))
    assert float(grammar.sigmoid(sp.Integer(1))) == pytest.approx(1 / (1 + math.exp(-1)))
    assert float(grammar.softplus(sp.Integer(1))) == pytest.approx(math.log1p(math.e))


@pytest.mark.parametrize("width", [2, 12, 40])
def test_a_quoted_expression_is_cut_only_when_it_is_longer_than_its_width(width):
    """A refusal quotes an exponent in at most ``width`` characters: a text that fits exactly is
    shown whole; one character more is cut to ``width - 1`` and an ellipsis."""
    fits = "7" * width
    assert grammar.clipped(fits, width) == fits
    assert grammar.clipped(fits + "1", width) == "7" * (width - 1) + "…"


# -- stable: the NumPy twins that do not overflow --------------------------------------------------

E = sp.exp
WIDE = np.array([-800.0, -30.0, -1.0, 0.0, 0.5, 2.0, 30.0, 800.0])


def run(expr, x=WIDE):
    """``expr`` compiled as the engine compiles it (cse, then lambdify with the stable names)."""
    return np.asarray(stable.compiled(sp.cse(expr, list=False))(x), dtype=float) * np.ones_like(x)


def exact(expr, x=WIDE):
    """``expr`` at each point of ``x``, in 30-digit arithmetic (the reference)."""
    return np.array([float(expr.subs(X, sp.Float(v, 30)).evalf(30)) for v in x])


def test_sigmoid_and_softplus_differentiate_to_the_stable_forms():
    assert stable.Sigmoid(X).diff(X) == stable.Sigmoid(X) * stable.Sigmoid(-X)
    assert stable.Softplus(X).diff(X) == stable.Sigmoid(X)
    assert stable.Softplus(2 * X).diff(X) == 2 * stable.Sigmoid(2 * X)
    assert stable.Sigmoid(X**2).diff(X) == 2 * X * stable.Sigmoid(X**2) * stable.Sigmoid(-(X**2))


def test_one_plus_exp_finds_a_only_in_a_sum_of_one_and_exp_a():
    assert stable.one_plus_exp(1 + E(X)) == X
    assert stable.one_plus_exp(E(-2 * X) + 1) == -2 * X
    for other in (2 + E(X), 1 + X, E(X), 1 + X + E(X), sp.Max(1, E(X)), 1 + sp.sin(X)):
        assert stable.one_plus_exp(other) is None


def test_sigmoid_power_reads_the_exponent_of_a_sigmoid_of_minus_a():
    assert stable.sigmoid_power(stable.Sigmoid(-X), X) == 1
    assert stable.sigmoid_power(stable.Sigmoid(-X) ** 3, X) == 3
    assert type(stable.sigmoid_power(stable.Sigmoid(-X) ** 3, X)) is int
    for factor in (stable.Sigmoid(X), stable.Sigmoid(-X) ** -1, stable.Sigmoid(-X) ** sp.S.Half, X):
        assert stable.sigmoid_power(factor, X) == 0
    assert stable.sigmoid_power(stable.Sigmoid(-2 * X), X) == 0


@pytest.mark.parametrize(
    ("numerator", "denominator", "c"),
    [
        (E(X) - E(-X), E(X) + E(-X), X),  # the textbook form
        (E(2 * X) - 1, E(2 * X) + 1, X),  # halved exponent
        (1 - E(-2 * X), 1 + E(-2 * X), X),  # minus the halved exponent
        (E(-X) - E(-3 * X), E(-X) + E(-3 * X), X),  # minus the exponent
        (1 - E(2 * X), 1 + E(2 * X), -X),
        (E(3 * X) - E(-3 * X), E(3 * X) + E(-3 * X), 3 * X),
    ],
)
def test_tanh_of_recognises_tanh_written_with_exponentials(numerator, denominator, c):
    found = stable.tanh_of(numerator, denominator)
    assert found == c
    assert sp.simplify((sp.tanh(found) - numerator / denominator).rewrite(sp.exp)) == 0


@pytest.mark.parametrize(
    ("numerator", "denominator"),
    [
        (E(X) + E(-X), E(X) - E(-X)),  # 1/tanh
        (2 * E(X) - 2 * E(-X), E(X) + E(-X)),  # 2 tanh
        (E(X), E(X) + E(-X)),
        (E(2 * X) - 2, E(2 * X) + 1),
        (X - 1, X + 1),  # no exponential at all
    ],
)
def test_tanh_of_refuses_a_quotient_that_is_not_tanh(numerator, denominator):
    assert stable.tanh_of(numerator, denominator) is None


def test_as_tanh_replaces_the_pair_and_keeps_the_other_factors():
    num, den = E(X) - E(-X), E(X) + E(-X)
    assert stable.as_tanh(num / den) == sp.tanh(X)
    assert stable.as_tanh(X * num / den) == X * sp.tanh(X)
    assert stable.as_tanh(3 * X * sp.sin(X) * num / den) == 3 * X * sp.sin(X) * sp.tanh(X)
    assert stable.as_tanh(X * den / num) == X / sp.tanh(X)
    assert stable.as_tanh(X * (E(2 * X) - 1) / (E(2 * X) + 1)) == X * sp.tanh(X)


def test_as_tanh_gives_none_without_such_a_pair():
    num, den = E(X) - E(-X), E(X) + E(-X)
    assert stable.as_tanh(X * num * den) is None  # no quotient
    assert stable.as_tanh(X * num / den**2) is None  # a square is not tanh
    assert stable.as_tanh(X / den) is None  # nothing above the line
    assert stable.as_tanh(X * (X + 1) / (X - 1)) is None  # no exponential
    assert stable.as_tanh(X * (E(X) + 2) / (E(X) - 1)) is None


def test_rewrite_turns_log_one_plus_exp_into_softplus():
    assert stable.rewrite(sp.log(1 + E(3 * X))) == stable.Softplus(3 * X)
    assert stable.rewrite(sp.log(stable.Sigmoid(X))) == -stable.Softplus(-X)
    assert stable.rewrite(sp.log(stable.Sigmoid(2 * X))) == -stable.Softplus(-2 * X)
    assert stable.rewrite(sp.log(X)) == sp.log(X)
    assert stable.rewrite(sp.log(sp.Max(1, E(X)))) == sp.log(sp.Max(1, E(X)))


def test_rewrite_turns_a_negative_power_of_one_plus_exp_into_a_sigmoid_power():
    assert stable.rewrite(1 / (1 + E(-X))) == stable.Sigmoid(X)
    assert stable.rewrite((1 + E(X)) ** -2) == stable.Sigmoid(-X) ** 2
    assert stable.rewrite((1 + E(X)) ** 2) == (1 + E(X)) ** 2
    assert stable.rewrite((1 + E(X)) ** -sp.S.Half) == (1 + E(X)) ** -sp.S.Half


@pytest.mark.parametrize(
    ("product", "expected"),
    [
        (E(X) * stable.Sigmoid(-X), stable.Sigmoid(X)),
        (E(X) * stable.Sigmoid(-X) ** 2, stable.Sigmoid(X) * stable.Sigmoid(-X)),
        (E(X) * stable.Sigmoid(-X) ** 3, stable.Sigmoid(X) * stable.Sigmoid(-X) ** 2),
        (2 * X * E(X) * stable.Sigmoid(-X) ** 2, 2 * X * stable.Sigmoid(X) * stable.Sigmoid(-X)),
        (E(2 * X) * stable.Sigmoid(-2 * X) ** 2, stable.Sigmoid(2 * X) * stable.Sigmoid(-2 * X)),
        (E(X) * stable.Sigmoid(X), E(X) * stable.Sigmoid(X)),  # not of -x: kept
    ],
)
def test_rewrite_absorbs_exp_a_into_a_sigmoid_of_minus_a(product, expected):
    """``exp(a) * Sigmoid(-a)**k`` is ``Sigmoid(a) * Sigmoid(-a)**(k - 1)``: no overflow."""
    assert stable.rewrite(product) == expected


def test_stabilise_keeps_constants_as_sympy_wrote_them():
    constant = sp.log(1 + E(2))
    assert stable.stabilise(X + constant) == X + constant
    assert stable.stabilise(X) == X


def test_stabilise_rewrites_inside_out_and_finds_tanh_first():
    num, den = E(X) - E(-X), E(X) + E(-X)
    assert stable.stabilise(num / den) == sp.tanh(X)
    assert stable.stabilise(sp.sin(X * num / den)) == sp.sin(X * sp.tanh(X))
    assert stable.stabilise(1 / (1 + E(2 * X))) == stable.Sigmoid(-2 * X)
    assert stable.stabilise(E(X) / (1 + E(X)) ** 2) == stable.Sigmoid(X) * stable.Sigmoid(-X)
    assert stable.stabilise(sp.log(1 + E(X)) ** 2) == stable.Softplus(X) ** 2


def test_stabilise_records_every_rewritten_part_in_the_memo_it_is_given():
    memo = {}
    num, den = E(X) - E(-X), E(X) + E(-X)
    expr = sp.sin(X * num / den) + sp.log(1 + E(X))
    result = stable.stabilise(expr, memo)
    assert memo[expr] == result
    assert memo[X * num / den] == X * sp.tanh(X)
    assert memo[X * sp.tanh(X)] == X * sp.tanh(X)  # the tanh form, stabilised in turn
    assert memo[sp.log(1 + E(X))] == stable.Softplus(X)
    assert stable.stabilise(expr, {expr: sp.Integer(7)}) == 7  # a given memo is trusted


@pytest.mark.parametrize(
    "naive",
    [
        sp.log(1 + E(X)),
        X * E(X) / (1 + E(X)),
        (E(X) - E(-X)) / (E(X) + E(-X)),
        X * (E(X) + E(-X)) / (E(X) - E(-X)),
        E(X) / (1 + E(X)) ** 2,
        sp.log(1 / (1 + E(-X))),
    ],
)
def test_stable_forms_are_finite_where_the_naive_form_overflows(naive):
    x = WIDE[WIDE != 0]  # (x/tanh(x) is 0/0 at 0 in any form)
    with np.errstate(all="ignore"):
        naive_values = run(naive, x)
    assert not np.isfinite(naive_values).all()
    values = run(stable.stabilise(naive), x)
    np.testing.assert_allclose(values, exact(naive, x), rtol=1e-12, atol=1e-300)


def test_without_corners_writes_abs_as_a_times_a_step():
    h = sp.Heaviside
    assert stable.without_corners(sp.Abs(X)) == X * (2 * h(X) - 1)
    assert stable.without_corners(sp.Abs(X - 1) + X) == (X - 1) * (2 * h(X - 1) - 1) + X
    assert stable.without_corners(X**2) == X**2


@pytest.mark.parametrize(
    ("expr", "derivative"),
    [
        (X**3, 3 * X**2),
        (sp.Abs(X), 2 * sp.Heaviside(X) - 1),
        (sp.Max(0, X), sp.Heaviside(X)),
        (X * sp.Heaviside(X), sp.Heaviside(X)),  # x * DiracDelta(x) dropped
        (sp.Heaviside(X - 1), 0),
        (stable.Softplus(X), stable.Sigmoid(X)),
    ],
)
def test_derivative_of_differentiates_in_x_and_drops_delta_functions(expr, derivative):
    assert stable.derivative_of(expr, 0.0) == derivative


def test_derivative_of_holds_every_symbol_but_x_constant():
    """f' is the derivative in x alone: another symbol in the expression is a constant."""
    a = sp.Symbol("a")
    assert stable.derivative_of(a * X**2 + sp.sin(a), 0.0) == 2 * a * X
    assert stable.derivative_of(a, 0.0) == 0


def test_with_steps_at_values_every_step_at_zero_as_asked():
    steps = sp.Heaviside(X) + 2 * sp.Heaviside(X - 1, sp.S.Half)
    valued = stable.with_steps_at(steps, 0.25)
    assert valued == sp.Heaviside(X, 0.25) + 2 * sp.Heaviside(X - 1, 0.25)
    assert valued.subs(X, 0) == 0.25
    assert stable.with_steps_at(X**2, 0.25) == X**2


def test_gated_wraps_a_product_with_a_step_so_the_step_wins_over_an_overflow():
    h = sp.Heaviside(X)
    assert stable.gated(h * E(X)) == stable.Gate(h, E(X))
    assert stable.gated(sp.sign(X) * h * X * E(X)) == stable.Gate(sp.sign(X) * h, X * E(X))
    assert stable.gated(X + sp.sin(h * E(X))) == X + sp.sin(stable.Gate(h, E(X)))
    assert stable.gated(X * E(X)) == X * E(X)  # no step
    assert stable.gated(2 * h * sp.sign(X)) == stable.Gate(h * sp.sign(X), 2)
    assert stable.gated(h) == h


def test_gated_records_its_results_in_the_memo_it_is_given():
    memo = {}
    inner = sp.Heaviside(X) * E(X)
    result = stable.gated(sp.sin(inner), memo)
    assert memo[inner] == stable.Gate(sp.Heaviside(X), E(X))
    assert memo[sp.sin(inner)] == result


def test_a_gate_is_zero_where_its_step_is_zero_even_if_the_other_factor_overflows():
    """ELU's ``exp(x) * H(1 - exp(x))`` at large x is 0, not ``inf * 0 = nan``."""
    expr = E(X) * sp.Heaviside(1 - E(X), 0.0)
    with np.errstate(over="ignore"):
        values = run(stable.gated(expr))
    assert np.isfinite(values).all()
    np.testing.assert_array_equal(values[WIDE > 0], 0.0)
    np.testing.assert_allclose(values[WIDE < 0], np.exp(WIDE[WIDE < 0]), rtol=1e-15)


@pytest.mark.parametrize("at_zero", [0.0, 0.25, 1.0])
def test_numeric_forms_give_f_and_its_slope_with_the_steps_valued_at_zero(at_zero):
    forward, slope = stable.numeric_forms(sp.Max(0, X) * E(X), at_zero)
    x = np.array([-2.0, 0.0, 1.5, 800.0])
    with np.errstate(all="ignore"):
        f, df = run(forward, x), run(slope, x)
    np.testing.assert_allclose(f[:3], [0.0, 0.0, 1.5 * np.exp(1.5)], rtol=1e-15)
    assert f[3] == np.inf
    np.testing.assert_allclose(df[:3], [0.0, at_zero, 2.5 * np.exp(1.5)], rtol=1e-15)


def test_numeric_forms_stabilise_before_differentiating():
    forward, slope = stable.numeric_forms(sp.log(1 + E(X)), 0.0)
    assert (forward, slope) == (stable.Softplus(X), stable.Sigmoid(X))
    forward, slope = stable.numeric_forms(X / (1 + E(-X)), 0.0)
    values = run(slope)
    sigma = exact(1 / (1 + E(-X)))
    np.testing.assert_allclose(values, sigma + WIDE * sigma * (1 - sigma), rtol=1e-12, atol=1e-300)


def test_compiled_runs_a_cse_form_with_its_replacements_and_the_stable_names():
    x0, x1 = sp.symbols("x0 x1")
    form = ([(x0, E(X)), (x1, stable.Sigmoid(X))], x0 * x1 + stable.Softplus(X) + x0)
    function = stable.compiled(form)
    x = np.array([-1.0, 0.0, 2.0])
    sig = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(function(x), np.exp(x) * sig + np.log1p(np.exp(x)) + np.exp(x))
    gate = stable.compiled(([], stable.Gate(sp.Heaviside(-X, 0.0), E(X))))
    with np.errstate(over="ignore"):
        np.testing.assert_array_equal(gate(np.array([-800.0, 1.0, 800.0])), 0.0)


def test_source_of_prints_code_that_from_source_runs_like_the_compiled_function():
    x0 = sp.Symbol("x0")
    form = ([(x0, stable.Sigmoid(X))], x0 * (1 - x0) + sp.erf(X))
    source, names = stable.source_of(form)
    assert source.startswith("def _lambdifygenerated(x):")
    assert "x0 = Sigmoid(x)" in source
    assert not set(names) & set(stable.base_namespace())
    x = np.array([-3.0, 0.0, 2.0])
    np.testing.assert_allclose(
        stable.from_source(source, names)(x), stable.compiled(form)(x), rtol=0, atol=0
    )


def test_the_base_namespace_is_filled_once_with_what_printed_code_reads(monkeypatch):
    """The namespace every generated function starts from is built on first use (from the
    globals of a compiled function: NumPy and the stable twins) and then reused as it is."""
    monkeypatch.setattr(stable, "BASE", {})  # as in a fresh process
    base = stable.base_namespace()
    assert base is stable.BASE and {"Sigmoid", "exp"} <= set(base)
    assert stable.base_namespace() is base and len(base) == len(stable.base_namespace())


def test_generated_code_is_named_as_a_typed_activation_in_tracebacks():
    """Code built from printed source says where it comes from in a traceback's file name."""
    function = stable.from_source(*stable.source_of(([], X**2)))
    assert function.__code__.co_filename == "<typed activation>"


# -- budget: the stages the worker sends, run in this process --------------------------------------


def stages_of(text, expr=None, at_zero=0.0):
    return list(budget.derive_stages(text, expr, at_zero))


def test_parsing_alone_yields_only_the_expression():
    assert stages_of("x ** 2", at_zero=None) == [("expr", X**2)]
    assert stages_of(None, X**3, None) == [("expr", X**3)]


def test_derive_stages_yields_expression_derivation_and_simplified_derivative_in_order():
    stages = stages_of("x * sigmoid(x)")
    assert [name for name, _ in stages] == ["expr", "derivation", "simplified"]
    expr = X / (1 + E(-X))
    assert stages[0][1] == expr
    derivation = stages[1][1]
    assert derivation.expr == expr
    points = np.array([-2.0, -0.5, 0.0, 1.0, 3.0])
    for shown in (derivation.derivative, stages[2][1]):
        np.testing.assert_allclose(exact(shown, points), exact(sp.diff(expr, X), points))
    x = np.array([-800.0, -1.0, 0.0, 3.0, 800.0])
    forward = stable.from_source(*derivation.forward)
    slope = stable.from_source(*derivation.slope)
    np.testing.assert_allclose(forward(x), exact(expr, x), rtol=1e-13, atol=1e-300)
    np.testing.assert_allclose(slope(x), exact(sp.diff(expr, X), x), rtol=1e-13, atol=1e-300)


def test_a_given_expression_is_derived_without_parsing_text():
    stages = dict(stages_of("not parsed", X**3))
    assert stages["expr"] == X**3
    assert stages["derivation"].derivative == 3 * X**2
    assert stages["simplified"] == 3 * X**2


@pytest.mark.parametrize("text", ["max(0, x)", "x * sign(x)", "abs(x)"])
def test_a_derivative_with_steps_is_not_simplified(text):
    """simplify would turn the steps into Piecewise, which the plots and at_zero cannot use."""
    assert [name for name, _ in stages_of(text)] == ["expr", "derivation"]


@pytest.mark.parametrize("at_zero", [0.0, 0.25])
def test_the_derivation_values_its_steps_at_zero_in_the_shown_and_the_compiled_slope(at_zero):
    derivation = dict(stages_of("max(0, x) + x", at_zero=at_zero))["derivation"]
    assert derivation.derivative == sp.Heaviside(X, at_zero) + 1
    slope = stable.from_source(*derivation.slope)
    np.testing.assert_array_equal(
        slope(np.array([-1.0, 0.0, 1.0])) * np.ones(3), [1.0, 1.0 + at_zero, 2.0]
    )


def test_a_compiled_form_returns_one_array_shaped_like_its_input():
    derivation = dict(stages_of("x ** 2 + exp(x)"))["derivation"]
    x = np.array([[0.0, 1.0], [2.0, -1.0]])
    for source, expected in (
        (derivation.forward, x**2 + np.exp(x)),
        (derivation.slope, 2 * x + np.exp(x)),
    ):
        out = stable.from_source(*source)(x)
        assert isinstance(out, np.ndarray)
        np.testing.assert_allclose(out, expected, rtol=1e-15)


@pytest.mark.parametrize("expr", [sp.Function("f")(X), X * sp.Function("g")(2 * X)])
def test_a_derivative_sympy_cannot_write_in_closed_form_is_refused(expr):
    with pytest.raises(
        ValueError, match=r"^text has no closed-form derivative that SymPy can write"
    ):
        stages_of(None, expr)


def test_a_refused_text_raises_before_any_stage():
    stages = budget.derive_stages("x + e", None, 0.0)
    with pytest.raises(ValueError, match="the name 'e' is not allowed at column 5"):
        next(stages)


def code_operations(expr, at_zero=0.0):
    """The operations the compiled forward and slope of ``expr`` take, counted after cse."""
    forms = [sp.cse(form, list=False) for form in stable.numeric_forms(expr, at_zero)]
    return sum(
        sp.count_ops(e)
        for replacements, reduced in forms
        for e in [*(r for _, r in replacements), reduced]
    )


def test_the_operations_limit_allows_its_value_and_refuses_one_more(monkeypatch):
    """MAX_OPS counts the operations of the forward and the slope code together, after cse."""
    expr = sp.sin(X) ** 2 * E(sp.sin(X)) + sp.log(1 + X**2)
    ops = code_operations(expr)
    assert ops > 10
    monkeypatch.setattr(budget, "MAX_OPS", ops)
    assert [name for name, _ in stages_of(None, expr)][:2] == ["expr", "derivation"]
    monkeypatch.setattr(budget, "MAX_OPS", ops - 1)
    with pytest.raises(
        ValueError, match=f"^text is too complex: its code would need {ops} operations"
    ):
        stages_of(None, expr)


def test_in_process_collects_the_stages_of_a_task():
    assert budget.in_process(budget.derive_stages, ("x ** 2", None, None)) == {"expr": X**2}


def test_in_process_lets_a_refusal_through_and_reports_a_failure_by_its_type_and_message():
    def task(message):
        yield "expr", X
        raise ArithmeticError(message)

    stages = budget.in_process(task, ("no" * 150,))
    assert stages == {"expr": X, "failed": "ArithmeticError: " + ("no" * 150)[:200]}
    with pytest.raises(ValueError, match="the name 'e'"):
        budget.in_process(budget.derive_stages, ("e * x", None, None))
    with pytest.raises(TypeError, match="text must be a string; got int"):
        budget.in_process(budget.derive_stages, (3, None, None))


def sent_by_child(task, args):
    """What :func:`budget.child` sends through one end of a pipe, read from the other end."""
    receive, send = multiprocessing.Pipe(duplex=False)
    budget.child(send, task, args)
    messages = []
    while receive.poll():
        try:
            messages.append(receive.recv())
        except EOFError:
            break
    receive.close()
    return messages


def test_child_sends_ready_then_each_stage_then_done():
    assert sent_by_child(budget.derive_stages, ("x ** 2", None, None)) == [
        ("ready", None),
        ("expr", X**2),
        ("done", None),
    ]


@pytest.mark.parametrize(
    ("text", "kind", "message"),
    [("x + e", "ValueError", "the name 'e' is not allowed"), (3, "TypeError", "text must be")],
)
def test_child_sends_a_refusal_with_its_type_and_message(text, kind, message):
    messages = sent_by_child(budget.derive_stages, (text, None, None))
    assert messages[0] == ("ready", None)
    assert len(messages) == 2
    name, (sent_kind, sent_message) = messages[1]
    assert (name, sent_kind) == ("refused", kind)
    assert sent_message.startswith(message)


def test_child_reports_any_other_error_as_failed_without_a_traceback_in_200_characters():
    def task():
        yield "expr", X
        raise ZeroDivisionError("z" * 300)

    assert sent_by_child(task, ()) == [
        ("ready", None),
        ("expr", X),
        ("failed", "ZeroDivisionError: " + "z" * 200),
    ]


def test_child_closes_its_end_of_the_pipe():
    receive, send = multiprocessing.Pipe(duplex=False)
    budget.child(send, budget.derive_stages, ("x", None, None))
    assert send.closed
    receive.close()


@pytest.mark.parametrize(
    ("other", "named_in_message"),
    [
        (sp.Symbol("y"), r"\['y'\]: x\*y"),
        (sp.Symbol("x"), r"\['x'\] \(a Symbol\('x'\) of your own"),
    ],
)
def test_an_expression_with_a_symbol_other_than_x_is_refused_naming_it(other, named_in_message):
    """Activation(text, expr) computes with X alone: another symbol (or a plain Symbol('x'),
    which SymPy holds apart from the real X) would fail later in NumPy or give a wrong slope."""
    with pytest.raises(
        ValueError,
        match=r"^expr must have backprop_core\.activations\.X as its only symbol; it also holds "
        + named_in_message,
    ):
        Activation("mine", X * other)


@pytest.mark.parametrize("hidden", ["65", "1e200", "-65"])
def test_an_exponent_lost_to_rounding_is_still_checked_against_the_limit(hidden):
    """In x ** (1e300 + c - 1e300) rounding turns the float exponent into 0, but SymPy keeps the
    exact c: an exponent beyond MAX_EXPONENT is refused whichever way it is written."""
    with pytest.raises(
        ValueError,
        match=r"^an exponent of (-?\d+|1e300 \+ \(1e200\) - 1e300) is not allowed at column 1;",
    ):
        parse(f"x ** (1e300 + ({hidden}) - 1e300)")
    assert str(parse(f"x ** (1e300 + {MAX_EXPONENT} - 1e300)")) == f"x**{MAX_EXPONENT}"


def test_outcome_returns_the_stage_asked_for():
    assert budget.outcome({"expr": X, "derivation": "d"}, "derivation") == "d"


def test_outcome_of_a_failed_worker_says_what_sympy_failed_with():
    with pytest.raises(
        ValueError,
        match=r"^text could not be derived: SymPy failed with ZeroDivisionError: by zero$",
    ):
        budget.outcome({"expr": X, "failed": "ZeroDivisionError: by zero"}, "derivation")


def test_outcome_of_a_worker_out_of_time_names_the_childs_share_of_the_budget(monkeypatch):
    """The child gets CHILD_SHARE of TIME_BUDGET; the message names those seconds and the limit."""
    monkeypatch.setattr(budget, "TIME_BUDGET", 10.0)
    monkeypatch.setattr(budget, "CHILD_SHARE", 0.5)
    with pytest.raises(
        ValueError,
        match=r"^text is too complex: SymPy did not finish within 5 s \(the limit is 10 s of "
        rf"SymPy work and {budget.MAX_OPS} operations\); write a shorter or less deeply nested "
        r"expression$",
    ):
        budget.outcome({"expr": X}, "derivation")


def test_the_caches_hold_at_most_cache_size_entries_and_drop_the_oldest_first(monkeypatch):
    monkeypatch.setattr(budget, "CACHE_SIZE", 3)
    cache = {}
    for key in "abcde":
        assert budget.remember(cache, key, key.upper()) == key.upper()
        assert len(cache) <= 3
    assert cache == {"c": "C", "d": "D", "e": "E"}
    assert list(cache) == ["c", "d", "e"]


def test_derive_shows_the_simplified_derivative_and_compiles_the_unsimplified_one(derive_here):
    """x * sigmoid(x): f' is shown as SymPy simplifies it, the code stays the stable form."""
    stages = dict(stages_of("x * sigmoid(x)"))
    derivation, forward, slope = budget.derive("x * sigmoid(x)", None, 0.0)
    assert derive_here == [("x * sigmoid(x)", None, 0.0)]
    assert derivation.derivative == stages["simplified"]
    assert derivation.derivative != stages["derivation"].derivative
    assert derivation._replace(derivative=None) == stages["derivation"]._replace(derivative=None)
    x = np.array([-3.0, 0.0, 2.0])
    np.testing.assert_allclose(forward(x), exact(derivation.expr, x), rtol=1e-14)
    np.testing.assert_allclose(slope(x), exact(sp.diff(derivation.expr, X), x), rtol=1e-14)


def test_derive_of_a_text_parsed_before_sends_its_expression_not_the_text(derive_here):
    """A text parse() has seen is not parsed again: the worker gets its cached expression."""
    budget.EXPRESSIONS["x ** 3"] = X**3
    derivation, _, slope = budget.derive("x ** 3", None, 0.0)
    assert derive_here == [(None, X**3, 0.0)]
    assert derivation.derivative == 3 * X**2
    np.testing.assert_array_equal(slope(np.array([2.0])), [12.0])


def test_derive_of_a_new_text_remembers_its_expression_and_its_derivation(derive_here):
    first = budget.derive("x ** 2", None, 0.25)
    assert budget.EXPRESSIONS == {"x ** 2": X**2}
    assert budget.DERIVED == {(X**2, 0.25): first}
    assert budget.derive("x ** 2", None, 0.25) is first
    assert derive_here == [("x ** 2", None, 0.25)]


def test_activation_from_text_refuses_a_text_that_is_not_a_string_naming_its_type():
    with pytest.raises(TypeError, match=r"^text must be a string; got int$"):
        activation_from_text(3)
    with pytest.raises(TypeError, match=r"^text must be a string; got list$"):
        activation_from_text(["x"])


# -- budget.run: a real worker process, with tasks that script what it sends -----------------------


def scripted(*stages):
    """A worker's task that sends each ``(stage, result)`` in turn."""
    yield from stages


def refusing(kind):
    """A task that refuses its input as the grammar does, with a TypeError or a ValueError."""
    raise {"TypeError": TypeError, "ValueError": ValueError}[kind]("no such text")
    yield  # a task is a generator


def crashing():
    """A task that fails as SymPy sometimes does, with an error of another kind."""
    raise RuntimeError("boom")
    yield


def dying():
    """A task whose process is killed without a word, as the system may kill it."""
    os.kill(os.getpid(), signal.SIGKILL)
    yield


def test_run_returns_every_stage_the_worker_sent_and_nothing_more():
    """The stages arrive under their names, between the worker's "ready" and "done"."""
    assert budget.run(scripted, (("a", 1), ("b", [2]))) == {
        "ready": None,
        "a": 1,
        "b": [2],
        "done": None,
    }


@pytest.mark.parametrize("kind", [TypeError, ValueError])
def test_run_raises_a_refusal_as_the_error_the_worker_raised(kind):
    """A text refused in the worker is refused in the caller, with the same type and message."""
    with pytest.raises(kind, match=r"^no such text$"):
        budget.run(refusing, (kind.__name__,))


def test_run_reports_a_worker_failure_with_its_type_and_message():
    assert budget.run(crashing, ()) == {"ready": None, "failed": "RuntimeError: boom"}


def test_run_reports_a_worker_that_died():
    assert budget.run(dying, ()) == {"ready": None, "failed": "the worker process died"}


def stalling():
    """A task that never sends a stage, as a SymPy call that runs on.

    It ends when its caller's process does, so a caller that never kills it (a broken deadline,
    under mutation testing) leaves no process behind.
    """
    caller = os.getppid()
    while os.getppid() == caller:
        time.sleep(0.05)
    os.kill(os.getpid(), signal.SIGKILL)
    yield


def test_run_abandons_a_stalled_worker_when_the_budget_is_spent():
    """A worker that sends nothing after "ready" is not waited for: ``run`` returns what arrived.

    The budget is a hundredth of a second. The ten seconds the test waits only tell a hang (a
    deadline ignored, or one of 60 s or 80 s) from an answer, whatever the machine's load.
    """
    answer = []
    caller = threading.Thread(
        target=lambda: answer.append(budget.run(stalling, (), budget=0.01)), daemon=True
    )
    caller.start()
    caller.join(timeout=10.0)
    assert not caller.is_alive(), "budget.run waited on a stalled worker past its budget"
    assert answer == [{"ready": None}]


class NoChildren:
    """A start method whose processes cannot start, as inside a daemonic process."""

    def __init__(self):
        self.real = multiprocessing.get_context()

    def Pipe(self, duplex):
        return self.real.Pipe(duplex=duplex)

    def Process(self, **kwargs):
        process = self.real.Process(**kwargs)

        def start():
            raise AssertionError("daemonic processes are not allowed to have children")

        process.start = start
        return process


def test_run_works_in_this_process_where_no_worker_can_start(monkeypatch):
    """Where no process can start, the task runs here: its stages, without "ready" or "done"."""
    monkeypatch.setattr(budget, "context", NoChildren)
    assert budget.run(scripted, (("a", 1), ("b", 2))) == {"a": 1, "b": 2}


# -- check.describe --------------------------------------------------------------------------------


def undefined_on(marks):
    """What a check's note says for the grid -4, -3, ..., 4 where ``marks`` has a ``#`` at each
    point where the activation is undefined."""
    assert len(marks) == 9
    return describe(np.linspace(-4.0, 4.0, 9), np.array([mark == "#" for mark in marks]))


@pytest.mark.parametrize(
    ("marks", "text"),
    [
        ("....#....", "x = 0"),
        (".#.......", "x = -3"),
        ("........#", "x = 4"),
        ("#####....", "x <= 0"),
        ("##.......", "x <= -3"),
        ("....#####", "x >= 0"),
        (".......##", "x >= 3"),
        ("...###...", "-1 <= x <= 1"),
        ("..##.....", "-2 <= x <= -1"),
        ("#########", "all x in [-4, 4]"),
        ("##.##...#", "x <= -3, -1 <= x <= 0, x = 4"),
        (".#.#....#", "x = -3, x = -1, x = 4"),
        ("#.......#", "x = -4, x = 4"),
    ],
)
def test_describe_names_each_run_of_undefined_points_as_a_reader_would_write_it(marks, text):
    """A lone point reads ``x = a``; a run from the left end ``x <= b``, one to the right end
    ``x >= a``, one in between ``a <= x <= b``, the whole grid ``all x in [a, b]``; the runs,
    left to right, are joined by commas."""
    assert undefined_on(marks) == text


@pytest.mark.parametrize(
    ("marks", "text"),
    [
        ("#.#.#.#..", "x = -4, x = -2, x = 0, x = 2"),
        ("#.#.#.#.#", "x = -4, x = -2, x = 0, x = 2 and elsewhere"),
    ],
    ids=["four-runs", "five-runs"],
)
def test_describe_names_four_runs_at_most_and_says_there_are_more(marks, text):
    """Four runs are all named; from the fifth on, the text stops after four and adds ``and
    elsewhere``."""
    assert undefined_on(marks) == text


def test_a_typed_activation_s_check_says_where_it_is_undefined():
    """The check's note names the points of [-4, 4] (step 0.01) where f or f' is not finite,
    then how many of the check's points were used: sqrt(1 - x**2) is NaN beyond 1 on either
    side and its slope infinite at -1 and 1."""
    note = activation_from_text("sqrt(1 - x**2)").check().note
    assert note.startswith("undefined for x <= -1, x >= 1; checked at the ")
