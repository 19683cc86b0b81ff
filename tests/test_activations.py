"""Activations from text: derived, checked, and safe against hostile input."""

import re

import numpy as np
import pytest
import sympy as sp

from backprop_core.activations import NAMED, Activation, X, activation_from_text, named, parse


@pytest.mark.parametrize("name", sorted(NAMED))
def test_every_named_activation_passes_its_gradient_check(name):
    act = named(name)
    assert act.check().word == "good", act
    x = np.linspace(-2, 2, 9).reshape(3, 3)
    out, cache = act.forward(x)
    assert out.shape == x.shape and act.backward(np.ones_like(x), cache).shape == x.shape


def test_derivatives_are_the_textbook_ones():
    def same(a, b):  # SymPy may write a derivative with cosh: compare in exponentials
        return sp.simplify((a - b).rewrite(sp.exp)) == 0

    s = 1 / (1 + sp.exp(-X))
    assert same(named("tanh").derivative, 1 - sp.tanh(X) ** 2)
    assert same(named("sigmoid").derivative, s * (1 - s))
    assert same(named("softplus").derivative, s)


def test_the_slope_at_a_kink_is_stated_and_selectable():
    x = np.array([-1.0, 0.0, 1.0])
    for at_zero in (0.0, 0.5, 1.0):
        relu = activation_from_text("max(0, x)", at_zero=at_zero)
        assert relu.kinks and relu.slope(x).tolist() == [0.0, at_zero, 1.0]
    # |x| is read as x (2 H(x) - 1): at_zero = 0.5 gives the symmetric slope 0 at the corner
    absolute = activation_from_text("abs(x)", at_zero=0.5)
    assert absolute.slope(x).tolist() == [-1.0, 0.0, 1.0]
    assert activation_from_text("x * heaviside(x)").slope(x).tolist() == [0, 0, 1]
    assert not named("tanh").kinks


def test_relu_from_text_matches_the_engine():
    from backprop_core import relu_backward, relu_forward

    rng = np.random.default_rng(0)
    x, dout = rng.normal(size=(4, 5)), rng.normal(size=(4, 5))
    x[0, :2] = 0.0
    relu = named("relu")
    out, cache = relu.forward(x)
    assert np.array_equal(out, relu_forward(x)[0])
    assert np.array_equal(relu.backward(dout, cache), relu_backward(dout, relu_forward(x)[1]))


def test_float32_is_kept():
    x = np.ones((2, 2), dtype=np.float32)
    act = named("gelu")
    out, cache = act.forward(x)
    assert out.dtype == np.float32 and act.backward(x, cache).dtype == np.float32
    assert act.slope(x).dtype == np.float32


HOSTILE = [
    "__import__('os').system('touch {canary}')",
    "open('{canary}', 'w')",
    "exec(\"open('{canary}', 'w')\")",
    "eval(\"open('{canary}', 'w')\")",
    "().__class__.__bases__[0].__subclasses__()",
    "x.__class__",
    "getattr(x, '__class__')",
    "globals()",
    "__builtins__",
    "lambda: open('{canary}', 'w')",
    "[open('{canary}', 'w') for _ in (1,)]",
    "{{x: 1}}",
    "'a string'",
    "b'bytes'",
    "f'{{x}}'",
    "x if x else 1",
    "x[0]",
    "(x := 1)",
    "x == 1",
    "x and 1",
    "not x",
    "x @ x",
    "x // 2",
    "x % 2",
    "~x",
    "1j * x",
    "True * x",
    "exp(x)(1)",
    "sigmoid(x, y)",
    "max(x)",
    "exp(x=1)",
    "print(x)",
    "import os",
    "x; open('{canary}', 'w')",
    "9**9**9**9",
    "x ** 1000000",
    "1" * 500,
    "-(" * 60 + "x" + ")" * 60,
    "exp(" * 30 + "x" + ")" * 30,
    "y",
    "",
    "42",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_is_refused_and_runs_nothing(text, tmp_path):
    canary = tmp_path / "canary"
    text = text.format(canary=canary) if "{canary}" in text or "{{" in text else text
    with pytest.raises(ValueError) as caught:
        activation_from_text(text)
    message = str(caught.value)
    assert any(
        word in message
        for word in (
            "not allowed",
            "not an expression",
            "characters long",
            "deeper than",
            "depend on x",
            "is empty",
            "too complex",
        )
    )
    assert not canary.exists()


def test_error_says_what_and_where():
    with pytest.raises(ValueError, match=r"the name 'y' is not allowed at column 5"):
        parse("x + y")
    with pytest.raises(ValueError, match=r"the function 'print' is not allowed"):
        parse("print(x)")
    with pytest.raises(TypeError, match="text must be a string"):
        parse(3)


# -- inside the network ----------------------------------------------------------------------------


def tiny_net(name):
    """A 2-3-2 net with the activation ``name``, two samples, reg 0.05 and its gradients."""
    from backprop_core import TwoLayerNet

    rng = np.random.default_rng(3)
    net = TwoLayerNet(2, 3, 2, std=0.7, seed=1, activation=named(name))
    net.params["b1"] = 0.1 * rng.normal(size=3)
    X, y, reg = rng.normal(size=(2, 2)), [0, 1], 0.05
    return net, X, y, reg, net.loss(X, y, reg)[1]


@pytest.mark.parametrize("name", sorted(NAMED))
def test_a_net_with_a_typed_activation_passes_central_differences(name):
    from backprop_core import numerical_gradient, rel_error

    net, X, y, reg, grads = tiny_net(name)
    for key, param in net.params.items():
        numeric = numerical_gradient(lambda _: net.loss(X, y, reg)[0], param)
        assert rel_error(grads[key], numeric) < 1e-6, (name, key)


@pytest.mark.slow  # SymPy differentiates a whole net per activation: about a second each
@pytest.mark.parametrize("name", sorted(NAMED))
def test_a_net_with_a_typed_activation_equals_sympy_on_the_whole_loss(name):
    from backprop_core.symbolic import tiny_net_gradients

    net, X, _, reg, grads = tiny_net(name)
    symbolic = tiny_net_gradients(2, 2, 3, 2, labels=(0, 1), reg=reg, activation=NAMED[name])
    for key in net.params:
        exact = symbolic[key].evaluate(at_zero=0.0, X=X, **net.params)
        assert np.max(np.abs(exact - grads[key])) <= 1e-12 * np.max(np.abs(exact)), (name, key)


def test_none_keeps_the_relu_network_unchanged():
    from backprop_core import TwoLayerNet

    X, y = np.random.default_rng(0).normal(size=(5, 4)), [0, 1, 2, 0, 1]
    plain = TwoLayerNet(4, 6, 3, std=0.5, seed=0).loss(X, y, 0.1)
    typed = TwoLayerNet(4, 6, 3, std=0.5, seed=0, activation=named("relu")).loss(X, y, 0.1)
    assert plain[0] == pytest.approx(typed[0], rel=1e-15)
    assert all(np.allclose(plain[1][k], typed[1][k], rtol=1e-14, atol=0) for k in plain[1])


def test_training_with_tanh_learns_the_spiral():
    from backprop_core import TwoLayerNet, spiral

    X, y = spiral()
    net = TwoLayerNet(2, 50, 3, std=0.5, seed=0, activation=named("tanh"))
    net.train(
        X,
        y,
        X,
        y,
        learning_rate=1.0,
        learning_rate_decay=1.0,
        reg=1e-4,
        num_iters=1500,
        batch_size=300,
    )
    assert (net.predict(X) == y).mean() > 0.9


def test_a_net_refuses_something_that_is_not_an_activation():
    from backprop_core import TwoLayerNet

    with pytest.raises(TypeError, match="activation must be None"):
        TwoLayerNet(2, 3, 2, activation="tanh")


@pytest.mark.parametrize(
    ("text", "power"),
    [
        ("(x**8)**9", "72"),
        ("x**64 * x**64", "128"),
        ("exp(64*log(x))**64", "4096"),
        ("((x**64)**64)**64", "262144"),
        ("x**0.5 * x**64", "129/2"),
    ],
)
def test_powers_combined_beyond_the_limit_are_refused(text, power):
    """The limit on exponents holds for the expression SymPy builds, not only for each ** typed:
    powers that multiply or nest past 64 are refused, naming the combined power."""
    with pytest.raises(ValueError, match=rf"^text raises to the power {re.escape(power)} once"):
        parse(text)


@pytest.mark.parametrize(
    "text", ["x**((1e300 + 65 - 1e300)*(sqrt(2)+1)*(sqrt(2)-1))", "x**(64+1e-300)"]
)
def test_an_exponent_just_past_the_limit_is_refused_however_it_is_written(text):
    """An exponent whose exact value passes 64 is refused even when its float rounds to 64 or
    less, and the message quotes what was typed when SymPy's form would be too long to read."""
    with pytest.raises(ValueError, match=r"^an exponent of .{1,40} is not allowed at column 1;"):
        parse(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x**(64 + sqrt(2)*1e-29)", r"^an exponent of 64 \+ sqrt\(2\)\*1e-29 is not allowed"),
        ("x**64 * x**1e-40", r"^text raises to the power 640{37}… once its powers are combined"),
    ],
)
def test_an_exponent_beyond_the_limit_by_less_than_any_rounding_is_refused(text, message):
    """SymPy compares the exact exponent with 64, with as many digits as it takes: an excess of
    1e-29 or 1e-40 is beyond the limit, though its first 30 digits read 64.000..."""
    with pytest.raises(ValueError, match=message):
        parse(text)


@pytest.mark.parametrize(
    "text", ["x**(cos(1)**2 + sin(1)**2 + 63)", "x**(log(2) + log(3) - log(6) + 64)"]
)
def test_an_exponent_of_64_that_sympy_cannot_prove_equal_is_accepted(text):
    """These exponents are exactly 64; SymPy cannot decide whether they are beyond it, and an
    undecided comparison is not a refusal."""
    assert parse(text).has(X)


@pytest.mark.parametrize("text", ["x**64", "x**2 * x**3", "(x + 1)**64", "x**(-64)", "x**(1/3)"])
def test_powers_within_the_limit_are_accepted(text):
    """Powers of at most 64, combined or not, are allowed as before."""
    assert parse(text).has(X)


def test_an_expression_in_a_symbol_x_of_ones_own_says_it_is_not_x():
    """sp.Symbol("x") is not backprop_core.activations.X (which is real): an expression in it
    alone is refused with that hint, not a bare "must be an expression in x"."""
    with pytest.raises(TypeError, match=r"a Symbol\('x'\) of your own is not X, which is real\)"):
        Activation("mine", sp.Symbol("x") ** 2)
