"""What a learner typing an activation relies on: signs and ``pi`` read as written, the ready-made
activations honouring ``at_zero``, and each published limit exactly where it says it is."""

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from backprop_core.activations import (
    MAX_DEPTH,
    MAX_EXPONENT,
    MAX_LENGTH,
    NAMED,
    X,
    activation_from_text,
    named,
    parse,
)


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
