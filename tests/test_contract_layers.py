"""A gradient or output that a stage blocks is a plain 0, never -0.0.

Multiplying a negative number by 0 gives -0.0 in IEEE arithmetic, which NumPy prints as ``-0.``
and which turns ``1 / dx`` into -inf. Where the reference (the formula, written with
``np.where``) gives +0.0, the engine's result must too: same values, same sign bits.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from backprop_core import TwoLayerNet
from backprop_core.layers import (
    ReLU,
    dropout_backward,
    dropout_forward,
    relu_backward,
    relu_forward,
    sigmoid_cross_entropy,
)

# + 0.0: an upstream -0.0 would make the passed-through reference entries -0.0 themselves
values = st.floats(-1e6, 1e6, allow_nan=False, allow_subnormal=False).map(lambda v: v + 0.0)
pairs = st.integers(1, 12).flatmap(
    lambda n: st.tuples(
        arrays(np.float64, n, elements=values), arrays(np.float64, n, elements=values)
    )
)


def assert_same_numbers_and_signs(result, reference):
    np.testing.assert_array_equal(result, reference)
    negative_zeros = (result == 0) & np.signbit(result)
    assert not negative_zeros.any(), f"-0.0 at {np.flatnonzero(negative_zeros)}: {result}"
    np.testing.assert_array_equal(np.signbit(result), np.signbit(reference))


@settings(max_examples=60, deadline=None)
@given(pairs)
def test_relu_backward_blocks_with_a_plain_zero(pair):
    x, dout = pair
    reference = np.where(x > 0, dout, 0.0)
    _, cache = relu_forward(x)
    assert_same_numbers_and_signs(relu_backward(dout, cache), reference)
    assert_same_numbers_and_signs(ReLU().backward(dout, cache), reference)  # the kernel a net uses


def test_a_network_blocked_hidden_unit_has_a_plain_zero_gradient():
    net = TwoLayerNet(3, 8, 4, std=1.0, seed=1)
    X = np.random.default_rng(2).standard_normal((6, 3))
    trace = net.forward(X)
    g = net.backward(trace, [0, 1, 2, 3, 0, 1])
    blocked = trace.y1 <= 0
    assert blocked.any() and (g.dh1[blocked] < 0).any()  # a negative gradient met a blocked unit
    assert_same_numbers_and_signs(g.dy1, np.where(trace.y1 > 0, g.dh1, 0.0))


@settings(max_examples=60, deadline=None)
@given(pairs, st.sampled_from([0.25, 0.5, 0.8]), st.integers(0, 2**16))
def test_dropout_drops_to_a_plain_zero_forward_and_backward(pair, p, seed):
    x, dout = pair
    param = {"p": p, "mode": "train", "seed": seed}
    out, cache = dropout_forward(x, param)
    keep = cache.mask != 0
    assert_same_numbers_and_signs(out, np.where(keep, x * cache.mask, 0.0))
    dx = dropout_backward(dout, cache)
    assert_same_numbers_and_signs(dx, np.where(keep, dout * cache.mask, 0.0))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_certain_label_gives_a_plain_zero_gradient(dtype):
    """Label 1 with a score so large that s(x) rounds to 1: the gradient (s - 1) / N is +0.0."""
    x = np.array([1000.0, 0.0, -1000.0, 800.0], dtype=dtype)
    y = np.array([1, 1, 0, 1])
    _, dx = sigmoid_cross_entropy(x, y)
    s = np.where(x >= 0, 1.0, 0.0)  # what s(x) rounds to at +-1000 and +800
    s[1] = 0.5
    reference = ((s - y) / len(y)).astype(dtype)
    assert_same_numbers_and_signs(dx, reference)
