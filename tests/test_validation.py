"""Bad input gets a clear error naming the argument; nothing changes its inputs."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import backprop_core as bc
from backprop_core import TwoLayerNet

X4 = np.ones((5, 4))
W43 = np.ones((4, 3))
B3 = np.zeros(3)
Y5 = np.array([0, 1, 2, 2, 1])
CACHE = bc.affine_forward(X4, W43, B3)[1]
RELU_CACHE = bc.relu_forward(X4)[1]


def net():
    return TwoLayerNet(4, 6, 3, seed=0)


def corrupted_net():
    n = net()
    n.params["W2"] = np.ones((5, 3))
    return n


with_nan = X4.copy()
with_nan[2, 1] = np.nan

# (call, error type, text the message must contain: the argument's name and what was expected)
CASES = {
    "x 1-D": (
        lambda: bc.affine_forward(np.ones(4), W43, B3),
        ValueError,
        "x must be 2-dimensional",
    ),
    "W rows": (
        lambda: bc.affine_forward(X4, np.ones((3, 10)), B3),
        ValueError,
        "W must have shape (D, M) = (4, ?) to match x of shape (5, 4); got (3, 10)",
    ),
    "b length": (
        lambda: bc.affine_forward(X4, W43, np.zeros(4)),
        ValueError,
        "b must have shape (M,) = (3,)",
    ),
    "b 2-D": (
        lambda: bc.affine_forward(X4, W43, np.zeros((1, 3))),
        ValueError,
        "b must be 1-dimensional",
    ),
    "x NaN": (
        lambda: bc.affine_forward(with_nan, W43, B3),
        ValueError,
        "x must be finite; got nan at index (2, 1)",
    ),
    "W inf": (lambda: bc.affine_forward(X4, W43 * np.inf, B3), ValueError, "W must be finite"),
    "x empty": (
        lambda: bc.affine_forward(np.ones((0, 4)), W43, B3),
        ValueError,
        "x must not be empty",
    ),
    "x strings": (
        lambda: bc.affine_forward([["a", "b"]], W43, B3),
        TypeError,
        "x must be a numeric array",
    ),
    "x ragged": (
        lambda: bc.affine_forward([[1.0], [1.0, 2.0]], W43, B3),
        ValueError,
        "x must be a rectangular",
    ),
    "x complex": (lambda: bc.affine_forward(X4 + 1j, W43, B3), TypeError, "x must be real-valued"),
    "x bool": (lambda: bc.affine_forward(X4 > 0, W43, B3), TypeError, "x must be a numeric array"),
    "dout shape": (
        lambda: bc.affine_backward(np.ones((5, 2)), CACHE),
        ValueError,
        "dout must have shape (N, M) = (5, 3)",
    ),
    "cache type": (
        lambda: bc.affine_backward(np.ones((5, 3)), X4),
        TypeError,
        "cache must be the AffineCache",
    ),
    "relu dout": (
        lambda: bc.relu_backward(np.ones((5, 3)), RELU_CACHE),
        ValueError,
        "dout must have shape (5, 4)",
    ),
    "relu cache": (
        lambda: bc.relu_backward(X4, (X4, X4)),
        TypeError,
        "cache must be the ReluCache",
    ),
    "at_zero text": (
        lambda: bc.relu_backward(X4, RELU_CACHE, at_zero="1"),
        TypeError,
        "at_zero must be a real number",
    ),
    "at_zero nan": (
        lambda: bc.relu_backward(X4, RELU_CACHE, at_zero=np.nan),
        ValueError,
        "at_zero must be finite",
    ),
    "scores 1-D": (
        lambda: bc.softmax(np.ones(3)),
        ValueError,
        "scores must be 2-dimensional (N, C)",
    ),
    "y floats": (
        lambda: bc.softmax_cross_entropy(X4, [0.0, 1.0, 2.0, 2.0, 1.0]),
        TypeError,
        "y must hold integer class labels",
    ),
    "y too big": (
        lambda: bc.softmax_cross_entropy(X4, [0, 1, 2, 4, 1]),
        ValueError,
        "y must lie in [0, 4) for C = 4; got 4",
    ),
    "y negative": (
        lambda: bc.softmax_cross_entropy(X4, [0, -1, 2, 2, 1]),
        ValueError,
        "y must lie in [0, 4)",
    ),
    "y length": (
        lambda: bc.softmax_cross_entropy(X4, [0, 1]),
        ValueError,
        "y must have shape (N,) = (5,)",
    ),
    "y 2-D": (
        lambda: bc.softmax_cross_entropy(X4, Y5[:, None]),
        ValueError,
        "y must have shape (N,)",
    ),
    "hidden 0": (lambda: TwoLayerNet(4, 0, 3), ValueError, "hidden_size must be >= 1; got 0"),
    "input float": (lambda: TwoLayerNet(2.5, 6, 3), TypeError, "input_size must be an integer"),
    "std negative": (lambda: TwoLayerNet(4, 6, 3, std=-1.0), ValueError, "std must be >= 0.0"),
    "dtype int": (
        lambda: TwoLayerNet(4, 6, 3, dtype=np.int32),
        TypeError,
        "dtype must be float32 or float64",
    ),
    "X columns": (
        lambda: net().loss(np.ones((5, 3)), Y5),
        ValueError,
        "X must have shape (N, D) = (?, 4) to match W1 of shape (4, 6); got (5, 3)",
    ),
    "reg negative": (lambda: net().loss(X4, Y5, reg=-0.1), ValueError, "reg must be >= 0.0"),
    "labels range": (lambda: net().loss(X4, [0, 1, 2, 3, 1]), ValueError, "y must lie in [0, 3)"),
    "params shape": (
        lambda: corrupted_net().loss(X4, Y5),
        ValueError,
        "params['W2'] must have shape (H, C) = (6, ?)",
    ),
    "trace type": (
        lambda: net().backward((X4,), Y5),
        TypeError,
        "trace must be the Trace returned by forward()",
    ),
    "batch 0": (
        lambda: net().train(X4, Y5, X4, Y5, batch_size=0),
        ValueError,
        "batch_size must be >= 1",
    ),
    "lr 0": (
        lambda: net().train(X4, Y5, X4, Y5, learning_rate=0),
        ValueError,
        "learning_rate must be > 0",
    ),
    "X_val cols": (
        lambda: net().train(X4, Y5, np.ones((2, 3)), [0, 1]),
        ValueError,
        "X_val must have shape (N, D)",
    ),
    "iters text": (
        lambda: net().train(X4, Y5, X4, Y5, num_iters="10"),
        TypeError,
        "num_iters must be an integer",
    ),
    "x int array": (
        lambda: bc.numerical_gradient(np.sum, np.arange(3)),
        TypeError,
        "x must be a floating-point array",
    ),
    "f vector": (
        lambda: bc.numerical_gradient(lambda v: v, np.ones(3)),
        ValueError,
        "f must return a scalar; got shape (3,)",
    ),
    "h negative": (
        lambda: bc.numerical_gradient(np.sum, np.ones(3), h=-1e-5),
        ValueError,
        "h must be > 0",
    ),
    "f(x) shape": (
        lambda: bc.numerical_gradient_array(lambda v: v, np.ones(3), np.ones(2)),
        ValueError,
        "f(x) must have the shape of dout (2,); got (3,)",
    ),
    "rel shapes": (
        lambda: bc.rel_error(np.ones(3), np.ones(4)),
        ValueError,
        "a and b must have the same shape",
    ),
    "wrt": (
        lambda: bc.affine_jacobian(X4, W43, "z"),
        ValueError,
        "wrt must be one of 'W', 'b', 'x'; got 'z'",
    ),
    "out_ndim": (lambda: bc.flatten_jacobian(np.ones((2, 3, 3))), ValueError, "out_ndim is needed"),
    "vjp dout": (
        lambda: bc.vjp(np.ones((5, 3, 4, 3)), np.ones((5, 4))),
        ValueError,
        "dout must have shape (5, 3)",
    ),
    "n_per_class": (lambda: bc.spiral(n_per_class=0), ValueError, "n_per_class must be >= 1"),
    "gradcheck model": (
        lambda: bc.gradcheck("net", X4, Y5),
        TypeError,
        "model must have a params dict and a loss(X, y, reg=...) method; got str",
    ),
    "from_params": (
        lambda: TwoLayerNet.from_params({"W1": W43}),
        ValueError,
        "params must hold exactly ['W1', 'b1', 'W2', 'b2']; missing ['b1', 'W2', 'b2']",
    ),
}


@pytest.mark.parametrize("call, error, text", CASES.values(), ids=CASES.keys())
def test_bad_input_is_named_in_the_error(call, error, text):
    with pytest.raises(error) as caught:
        call()
    assert text in str(caught.value)


# -- nothing changes its inputs ------------------------------------------------------------------

dims = st.integers(1, 4)
floats = st.floats(-10, 10, allow_nan=False, width=64)


@st.composite
def problems(draw):
    N, D, H, C = draw(dims), draw(dims), draw(dims), draw(st.integers(2, 4))
    X = draw(arrays(np.float64, (N, D), elements=floats))
    W = draw(arrays(np.float64, (D, H), elements=floats))
    b = draw(arrays(np.float64, (H,), elements=floats))
    y = draw(arrays(np.int64, (N,), elements=st.integers(0, C - 1)))
    scores = draw(arrays(np.float64, (N, C), elements=floats))
    return X, W, b, y, scores


@settings(max_examples=60, deadline=None)
@given(problems(), st.sampled_from([0.0, 0.5, 1.0]))
def test_no_function_changes_its_inputs(problem, at_zero):
    X, W, b, y, scores = problem
    originals = [a.copy() for a in problem]
    out, cache = bc.affine_forward(X, W, b)
    dout = np.ones_like(out)
    bc.affine_backward(dout, cache)
    _h, rcache = bc.relu_forward(out)
    bc.relu_backward(dout, rcache, at_zero=at_zero)
    bc.softmax(scores)
    bc.softmax_cross_entropy(scores, y)
    for wrt in "Wbx":
        bc.affine_jacobian(X, W, wrt)
    bc.relu_jacobian(out, at_zero)
    bc.softmax_jacobian(scores, full=True)
    assert all(np.array_equal(a, o) for a, o in zip(problem, originals, strict=True))
    assert np.array_equal(dout, np.ones_like(out)) and np.array_equal(cache.x, X)

    net = TwoLayerNet(X.shape[1], 3, scores.shape[1], std=0.5, seed=0)
    params = {k: v.copy() for k, v in net.params.items()}
    trace = net.forward(X)
    net.backward(trace, y, reg=0.1)
    net.loss(X, y, reg=0.1)
    bc.gradcheck(net, X, y)
    assert all(np.array_equal(net.params[k], params[k]) for k in params)
    assert np.array_equal(X, originals[0]) and np.array_equal(y, originals[3])


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_one_non_finite_number_in_a_large_batch_is_refused_at_its_index(bad, dtype):
    """A batch of 50,176 numbers with one NaN or infinity is refused, naming where it is (the
    large-array check sums squares first; this is the case it must not miss)."""
    x = np.ones((64, 784), dtype=dtype)
    x[13, 500] = bad
    W, b = np.zeros((784, 3), dtype=dtype), np.zeros(3, dtype=dtype)
    with pytest.raises(
        ValueError, match=r"^x must be finite; got -?(nan|inf) at index \(13, 500\)$"
    ):
        bc.affine_forward(x, W, b)


def test_finite_numbers_too_large_to_square_are_still_accepted():
    """Values whose squares overflow float32 are finite: a large batch of them passes the check
    and gives the exact product."""
    x = np.full((64, 784), 1e30, dtype=np.float32)
    W, b = np.zeros((784, 3), dtype=np.float32), np.ones(3, dtype=np.float32)
    out, _ = bc.affine_forward(x, W, b)
    np.testing.assert_array_equal(out, np.ones((64, 3), dtype=np.float32))


@pytest.mark.parametrize("layout", ["fortran", "transposed", "strided"])
def test_a_non_finite_number_is_found_whatever_the_memory_layout(layout):
    """Column-major, transposed and strided batches are checked as C-ordered ones are: the NaN
    is refused at its index."""
    base = np.ones((64, 1568))
    base[13, 1000] = np.nan
    x = {
        "fortran": np.asfortranarray(base[:, 784:]),
        "transposed": np.ascontiguousarray(base[:, 784:].T).T,
        "strided": base[:, ::2],
    }[layout]
    column = 500 if layout == "strided" else 216
    W, b = np.zeros((784, 3)), np.zeros(3)
    with pytest.raises(ValueError, match=rf"^x must be finite; got nan at index \(13, {column}\)$"):
        bc.affine_forward(x, W, b)
