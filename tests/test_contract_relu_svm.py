"""What the ReLU and the multiclass SVM loss promise a caller, beyond the numbers they return.

A refused argument is named in the message exactly as the caller knows it (``dout``, ``x``,
``at_zero``, and ``cache.x`` for the input kept in the cache), with what it must fit: a learner
whose ``dout`` has the wrong shape reads that it must match the ReLU's input.
Where the input is exactly 0 the ReLU passes no gradient unless told otherwise, in each of
its forms.

Scores so large that a margin, or the sum of the margins, lies beyond the largest float give an
infinite loss, as the docstring of ``svm_loss`` says, and no RuntimeWarning on the way. The
labels must be one per sample for the Jacobian as for the loss, and a float32 Jacobian is float32
(the package's dtype rule).
"""

import re
import warnings

import numpy as np
import pytest

from backprop_core.layers import relu_backward, relu_forward, svm_jacobian, svm_loss
from backprop_core.layers.relu import ReLU, ReluCache, relu_jacobian
from backprop_core.models import stack

ONES3 = np.ones(3)
BIG = 0.75 * np.finfo(np.float64).max  # finite, but two of them add up beyond the largest float

REFUSALS = {  # a call, the error it raises, its whole message
    "relu_forward x not finite": (
        lambda: relu_forward(np.array([1.0, np.nan])),
        ValueError,
        "x must be finite; got nan at index (1,)",
    ),
    "relu_forward x text": (
        lambda: relu_forward("abc"),
        TypeError,
        "x must be a numeric array; got str 'abc'",
    ),
    "relu_backward cache.x not finite": (
        lambda: relu_backward(ONES3, ReluCache(np.array([1.0, np.nan, 2.0]))),
        ValueError,
        "cache.x must be finite; got nan at index (1,)",
    ),
    "relu_backward dout not finite": (
        lambda: relu_backward(np.array([np.inf, 1.0, 1.0]), relu_forward(ONES3)[1]),
        ValueError,
        "dout must be finite; got inf at index (0,)",
    ),
    "relu_backward dout of another shape": (
        lambda: relu_backward(np.ones((2, 3)), relu_forward(np.ones((3, 2)))[1]),
        ValueError,
        "dout must have shape (3, 2) to match the ReLU's input; got (2, 3)",
    ),
    "relu_jacobian x not finite": (
        lambda: relu_jacobian([1.0, np.inf]),
        ValueError,
        "x must be finite; got inf at index (1,)",
    ),
    "relu_jacobian at_zero text": (
        lambda: relu_jacobian(ONES3, at_zero="1"),
        TypeError,
        "at_zero must be a real number; got str '1'",
    ),
}


@pytest.mark.parametrize("call, error, message", REFUSALS.values(), ids=REFUSALS.keys())
def test_the_relu_names_the_argument_at_fault_and_what_it_must_fit(call, error, message):
    """The whole message, from its first character: the name as the caller wrote it, in its case."""
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        call()


def test_every_relu_passes_no_gradient_through_an_input_of_exactly_0_by_default():
    """max(0, x) has no derivative at 0; unless told otherwise (at_zero) every ReLU of the
    package takes 0 there, PyTorch's x > 0: relu_backward, the ReLU activation object and a
    stack's relu_backward layer, which calls the kernel with no at_zero of its own."""
    x, dout = np.array([[-1.0, 0.0, 2.0]]), np.array([[5.0, 5.0, 5.0]])
    expected = [[0.0, 0.0, 5.0]]
    _, cache = relu_forward(x)
    np.testing.assert_array_equal(relu_backward(dout, cache), expected)
    np.testing.assert_array_equal(ReLU().backward(dout, cache), expected)
    layers = [stack.Layer("relu_backward")]
    _, caches = stack.forward(layers, {}, x)
    np.testing.assert_array_equal(stack.backward(layers, caches, dout, need_dx=True)["x"], expected)


def test_a_relu_jacobian_too_large_to_build_is_refused_as_the_relus_jacobian():
    """A (100, 100) input has a Jacobian of 10^8 entries, above the package's limit: the message
    says which Jacobian it refused, with its shape."""
    message = "the ReLU's Jacobian would have shape (100, 100, 100, 100),"
    with pytest.raises(ValueError, match="^" + re.escape(message)):
        relu_jacobian(np.zeros((100, 100)))


def test_svm_margins_beyond_the_largest_float_give_an_infinite_loss_without_a_warning():
    """x[0, 1] - x[0, 0] + 1 overflows: the margin is inf, which still passes a gradient of
    1/N, and the Jacobian is the plain +1/-1 pattern; no RuntimeWarning escapes."""
    x, y = np.array([[-BIG, BIG]]), [0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss, dx = svm_loss(x, y)
        J = svm_jacobian(x, y)
    assert loss == np.inf
    np.testing.assert_array_equal(dx, [[-1.0, 1.0]])
    np.testing.assert_array_equal(J[0, 1, 0], [-1.0, 1.0])


def test_svm_margins_summing_beyond_the_largest_float_give_an_infinite_loss_without_a_warning():
    """Each margin BIG + 1 is finite, their sum is not: the loss is inf, with no RuntimeWarning,
    and both classes pass a gradient."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss, dx = svm_loss(np.array([[0.0, BIG, BIG]]), [0])
    assert loss == np.inf
    np.testing.assert_array_equal(dx, [[-2.0, 1.0, 1.0]])


@pytest.mark.parametrize("y", [[0, 1, 2], [0]], ids=["one label too many", "one label too few"])
def test_svm_jacobian_refuses_labels_whose_count_differs_from_the_batch(y):
    """Two samples need two labels; a single label is not broadcast over the batch."""
    message = f"y must have shape (N,) = (2,) to match the 2 samples of the batch; got ({len(y)},)"
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        svm_jacobian(np.ones((2, 3)), y)


def test_svm_jacobian_of_float32_scores_is_float32_with_the_float64_values():
    """The dtype rule: float32 in, float32 out; the entries (0, +1, -1) are those of float64."""
    x = np.random.default_rng(5).standard_normal((3, 4))
    y = [0, 3, 1]
    J32, J64 = svm_jacobian(x.astype(np.float32), y), svm_jacobian(x, y)
    assert J32.dtype == np.float32 and J64.dtype == np.float64
    np.testing.assert_array_equal(J32, J64)
