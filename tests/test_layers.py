"""Each backward function against central differences (an independent oracle)."""

import warnings

import numpy as np
import pytest
from helpers import away_from_zero

from backprop_core import (
    affine_backward,
    affine_forward,
    numerical_gradient,
    numerical_gradient_array,
    rel_error,
    relu_backward,
    relu_forward,
    softmax,
    softmax_cross_entropy,
)

TOL = 1e-8  # relative error allowed against central differences in float64, away from kinks


@pytest.mark.parametrize("shape", [(1, 1, 1), (5, 4, 3), (2, 7, 1), (6, 2, 9)])
def test_affine_backward_matches_central_differences(rng, shape):
    N, D, M = shape
    x, W, b = rng.standard_normal((N, D)), rng.standard_normal((D, M)), rng.standard_normal(M)
    dout = rng.standard_normal((N, M))
    dx, dW, db = affine_backward(dout, affine_forward(x, W, b)[1])
    assert (
        rel_error(dx, numerical_gradient_array(lambda v: affine_forward(v, W, b)[0], x, dout)) < TOL
    )
    assert (
        rel_error(dW, numerical_gradient_array(lambda v: affine_forward(x, v, b)[0], W, dout)) < TOL
    )
    assert (
        rel_error(db, numerical_gradient_array(lambda v: affine_forward(x, W, v)[0], b, dout)) < TOL
    )
    assert (dx.shape, dW.shape, db.shape) == (x.shape, W.shape, b.shape)


@pytest.mark.parametrize("shape", [(7,), (3, 5), (2, 3, 4)])
def test_relu_backward_matches_central_differences(rng, shape):
    x = away_from_zero(rng.standard_normal(shape))
    dout = rng.standard_normal(shape)
    dx = relu_backward(dout, relu_forward(x)[1])
    numeric = numerical_gradient_array(lambda v: relu_forward(v)[0], x, dout)
    assert rel_error(dx, numeric) < TOL


def test_relu_backward_at_zero_selects_the_convention():
    x = np.array([[-1.0, 0.0, 2.0], [0.0, 3.0, -0.5]])
    dout = np.full_like(x, 4.0)
    cache = relu_forward(x)[1]
    assert relu_backward(dout, cache).tolist() == [[0, 0, 4], [0, 4, 0]]  # PyTorch: x > 0
    assert relu_backward(dout, cache, at_zero=1.0).tolist() == [[0, 4, 4], [4, 4, 0]]  # seed >= 0
    # the central difference at an exact 0 sees half the slope: (max(0, h) - max(0, -h)) / 2h
    numeric = numerical_gradient_array(lambda v: relu_forward(v)[0], x, dout)
    assert np.allclose(numeric[x == 0], 2.0)
    assert relu_backward(dout, cache, at_zero=0.5)[x == 0].tolist() == [2.0, 2.0]


@pytest.mark.parametrize("N, C", [(1, 2), (4, 3), (6, 10)])
def test_softmax_cross_entropy_gradient_matches_central_differences(rng, N, C):
    scores = rng.standard_normal((N, C))
    y = rng.integers(0, C, N)
    _loss, dscores = softmax_cross_entropy(scores, y)
    numeric = numerical_gradient(lambda s: softmax_cross_entropy(s, y)[0], scores.copy())
    assert rel_error(dscores, numeric) < TOL


def test_softmax_cross_entropy_is_the_mean_negative_log_probability(rng):
    scores = rng.standard_normal((5, 3))
    y = np.array([0, 2, 1, 1, 0])
    probs = softmax(scores)
    loss, dscores = softmax_cross_entropy(scores, y)
    assert loss == pytest.approx(-np.mean(np.log(probs[np.arange(5), y])), rel=1e-14)
    onehot = np.eye(3)[y]
    assert np.allclose(dscores, (probs - onehot) / 5, rtol=0, atol=1e-15)
    assert np.allclose(probs.sum(axis=1), 1.0, rtol=0, atol=1e-15)


@pytest.mark.parametrize("scale", [1e2, 1e4, 1e300])
def test_softmax_cross_entropy_is_finite_for_huge_scores(rng, scale):
    scores = scale * rng.standard_normal((6, 4))
    y = rng.integers(0, 4, 6)
    loss, dscores = softmax_cross_entropy(scores, y)
    assert np.isfinite(loss) and np.isfinite(dscores).all()
    # reference: -log p = log-sum-exp - score, the log-sum-exp by NumPy's logaddexp
    reference = np.mean(np.logaddexp.reduce(scores, axis=1) - scores[np.arange(6), y])
    assert loss == pytest.approx(reference, rel=1e-12)
    assert np.isfinite(softmax(scores)).all()


def test_the_seeds_direct_exp_overflows_where_ours_does_not():
    scores = np.array([[1e4, 0.0, -1e4]])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        direct = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)  # the seed's code
    assert any("overflow" in str(w.message) for w in caught)
    assert np.isnan(direct).any()
    assert softmax(scores).tolist() == [[1.0, 0.0, 0.0]]
    assert softmax_cross_entropy(scores, [2])[0] == pytest.approx(2e4)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_layers_keep_the_dtype_they_are_given(rng, dtype):
    x = rng.standard_normal((3, 4)).astype(dtype)
    W = rng.standard_normal((4, 2)).astype(dtype)
    b = np.zeros(2, dtype)
    out, cache = affine_forward(x, W, b)
    grads = affine_backward(out, cache)
    h, rcache = relu_forward(x)
    dx = relu_backward(x, rcache, at_zero=1.0)
    _loss, dscores = softmax_cross_entropy(out, [0, 1, 1])
    arrays = [out, *grads, h, dx, dscores, softmax(out)]
    assert [a.dtype for a in arrays] == [np.dtype(dtype)] * len(arrays)


def test_lists_are_accepted_and_integers_become_float64():
    out, _cache = affine_forward([[1, 2]], [[1], [1]], [1])
    assert out.dtype == np.float64 and out.tolist() == [[4.0]]
    assert relu_backward([[1, 1]], relu_forward([[1, -1]])[1]).tolist() == [[1.0, 0.0]]
