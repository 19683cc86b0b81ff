"""Full Jacobians: their structure (the seed's Kronecker sparsity, diagonal masks, diag(p) - p p^T).

Each Jacobian against central differences and contracted into its backward result is tested
for every registered stage in test_registry.py.
"""

import numpy as np
import pytest
from helpers import away_from_zero, numerical_jacobian

from backprop_core import (
    affine_jacobian,
    flatten_jacobian,
    rel_error,
    relu_backward,
    relu_forward,
    relu_jacobian,
    softmax,
    softmax_jacobian,
    vjp,
)

EXACT = 1e-12  # a contraction of the full Jacobian against the compact backward formula


@pytest.fixture
def affine(rng):
    x, W, b = rng.standard_normal((3, 4)), rng.standard_normal((4, 2)), rng.standard_normal(2)
    return x, W, b, rng.standard_normal((3, 2))


def test_weight_jacobian_has_the_seeds_kronecker_sparsity(affine):
    x, W, _, _ = affine
    J = affine_jacobian(x, W, "W")  # (N, M, D, M): dy[p, q] / dW[i, j] = 1{q = j} x[p, i]
    N, M, D, _ = J.shape
    for p, q, i, j in np.ndindex(J.shape):
        assert J[p, q, i, j] == (x[p, i] if q == j else 0.0)
    assert np.count_nonzero(J) == N * D * M  # one non-zero block per output column
    assert np.count_nonzero(flatten_jacobian(J)) == N * D * M


def test_flattened_jacobian_of_a_linear_map_reproduces_it(affine):
    x, W, _, _ = affine
    Jx = flatten_jacobian(affine_jacobian(x, W, "x"))  # (N*M, N*D), row-major vec order
    assert Jx.shape == (6, 12)
    assert np.allclose(Jx @ x.ravel(), (x @ W).ravel(), rtol=0, atol=1e-14)
    assert flatten_jacobian(affine_jacobian(x, W, "b"), out_ndim=2).shape == (6, 2)


@pytest.mark.parametrize("shape", [(5,), (3, 4)])
def test_relu_jacobian_is_a_diagonal_mask(rng, shape):
    x = away_from_zero(rng.standard_normal(shape))
    J = relu_jacobian(x)
    flat = flatten_jacobian(J)
    assert J.shape == shape + shape
    assert np.array_equal(flat, np.diag((x > 0).ravel().astype(float)))
    assert np.allclose(J, numerical_jacobian(lambda v: relu_forward(v)[0], x), rtol=0, atol=1e-9)
    dout = rng.standard_normal(shape)
    assert rel_error(vjp(J, dout), relu_backward(dout, relu_forward(x)[1])) <= EXACT


def test_relu_jacobian_at_zero_follows_the_convention():
    x = np.array([-1.0, 0.0, 3.0])
    assert np.diag(relu_jacobian(x)).tolist() == [0, 0, 1]
    assert np.diag(relu_jacobian(x, at_zero=1.0)).tolist() == [0, 1, 1]


def test_softmax_jacobian_is_diag_p_minus_p_pT(rng):
    scores = rng.standard_normal((4, 3))
    blocks = softmax_jacobian(scores)
    p = softmax(scores)
    for n in range(4):
        assert np.allclose(blocks[n], np.diag(p[n]) - np.outer(p[n], p[n]), rtol=0, atol=1e-15)
        assert np.linalg.matrix_rank(blocks[n]) == 2  # C - 1: shifting all scores changes nothing
    full = softmax_jacobian(scores, full=True)
    assert np.allclose(full, numerical_jacobian(softmax, scores), rtol=0, atol=1e-9)
