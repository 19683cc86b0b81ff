"""Random legal texts from the grammar of typed activations: each is accepted or refused cleanly.

A seeded generator writes texts of up to 200 characters from the allowed grammar (``x``, ``pi``,
numbers, ``+ - * / **``, parentheses, every function of ``FUNCTIONS`` with its allowed number of
arguments). Each text must either give an :class:`Activation` whose forward and backward are
finite wherever ``f`` is finite (and whose ``check()`` returns a verdict), or be refused with a
``ValueError`` that says why. No wall-clock time is asserted here: the library's own budget is
what bounds each text (``benchmarks/bench_activation_budget.py`` measures it).
"""

import random

import numpy as np
import pytest

from backprop_core.activations import FUNCTIONS, MAX_LENGTH, activation_from_text

NUMBERS = ["0", "1", "2", "0.5", "3", "10", "1e-3", "64", "100", "1e5", "pi", "0.01", "9"]
OPERATORS = ["+", "-", "*", "/", "**"]
REASONS = (
    "not allowed",
    "not an expression",
    "too complex",
    "deeper than",
    "depend on x",
    "characters long",
    "could not be derived",
    "no closed-form derivative",
)


def random_text(rng: random.Random, depth: int = 0) -> str:
    """One random expression of the grammar; deeper levels prefer leaves."""
    leaf = depth >= 6 or rng.random() < 0.2 + 0.12 * depth
    if leaf:
        return "x" if rng.random() < 0.6 else rng.choice(NUMBERS)
    kind = rng.random()
    if kind < 0.45:
        op = rng.choice(OPERATORS)
        right = rng.choice(NUMBERS[:6]) if op == "**" else random_text(rng, depth + 1)
        return f"({random_text(rng, depth + 1)} {op} {right})"
    if kind < 0.5:
        return f"-{random_text(rng, depth + 1)}"
    name = rng.choice(sorted(FUNCTIONS))
    count = rng.choice(FUNCTIONS[name][1])
    return f"{name}({', '.join(random_text(rng, depth + 1) for _ in range(count))})"


def texts(count: int, seed: int) -> list[str]:
    rng, found = random.Random(seed), []
    while len(found) < count:
        text = random_text(rng)
        if len(text) <= MAX_LENGTH:
            found.append(text)
    return found


def accepted_or_refused(text: str) -> str:
    """``"accepted"`` or ``"refused"``; fails on anything else (another exception, NaN where f is
    finite, a check that raises)."""
    try:
        act = activation_from_text(text)
    except ValueError as err:
        assert any(reason in str(err) for reason in REASONS), (text, str(err))
        return "refused"
    x = np.linspace(-5, 5, 41)
    for dtype in (np.float64, np.float32):
        xs = x.astype(dtype)
        out, cache = act.forward(xs)
        dx = act.backward(np.ones_like(xs), cache)
        assert out.shape == xs.shape and out.dtype == dtype and dx.dtype == dtype, text
    out, cache = act.forward(x)
    dx = act.backward(np.ones_like(x), cache)
    # where f is finite on both sides of a point and nowhere near steep, f' is finite there too
    near = act.forward(np.stack([x - 1e-3, x + 1e-3]))[0]
    smooth = np.isfinite(near).all(axis=0) & (np.abs(near).max(axis=0) < 1e100) & np.isfinite(out)
    with np.errstate(all="ignore"):
        smooth &= np.abs(near[1] - near[0]) < 1e3  # not a pole or a jump between the two sides
    # (a cusp such as sqrt(abs(x)) at 0 has an infinite slope: NaN is what must not appear)
    beside = act.slope(np.stack([x - 1e-3, x + 1e-3]))
    smooth &= np.isfinite(beside).all(axis=0)
    with np.errstate(all="ignore"):  # and no corner (sqrt(x**2) at 0: f' is 0/0 there)
        smooth &= np.abs(beside[1] - beside[0]) < 0.1 * (1 + np.abs(beside).max(axis=0))
    assert not np.isnan(dx[smooth]).any(), (text, x[smooth & np.isnan(dx)])
    verdict = act.check()
    assert verdict.word in ("good", "acceptable at kinks", "suspicious", "wrong", "undefined")
    return "accepted"


@pytest.mark.parametrize("text", texts(15, seed=1))  # the fast lane; 500 below
def test_random_text_is_accepted_or_refused_cleanly(text):
    assert accepted_or_refused(text) in ("accepted", "refused")


@pytest.mark.fuzz  # 500 texts, a child process each: about 100 s; run by make fuzz
def test_five_hundred_random_texts_are_accepted_or_refused_cleanly():
    outcomes = [accepted_or_refused(text) for text in texts(500, seed=2)]
    assert len(outcomes) == 500
    assert outcomes.count("accepted") > 100, outcomes.count("accepted")  # the grammar is used


def test_the_generator_writes_legal_varied_texts():
    sample = texts(200, seed=3)
    assert all(0 < len(t) <= MAX_LENGTH for t in sample)
    assert len(set(sample)) > 150
    assert {name for name in FUNCTIONS if any(f"{name}(" in t for t in sample)} == set(FUNCTIONS)
