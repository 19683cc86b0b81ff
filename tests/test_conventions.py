"""backprop_core.symbolic.conventions (and batch norm's trace method): every identity holds, a
wrong one is caught, and each trace-method result agrees with the numeric backward pass."""

import numpy as np
import pytest
import sympy as sp

from backprop_core import affine_backward, affine_forward, softmax_cross_entropy
from backprop_core.layers import batchnorm_backward, batchnorm_forward
from backprop_core.symbolic import batchnorm as bn_sym
from backprop_core.symbolic import conventions as conv


def test_both_vec_identities_hold_and_the_swapped_kronecker_does_not():
    assert [(e.name, e.holds) for e in conv.vec_identities()] == [
        ("column-major", True),
        ("row-major", True),
    ]
    A, X, B = (
        conv.matrix_of_symbols(s, *size)
        for s, size in zip("AXB", ((2, 3), (3, 2), (2, 2)), strict=True)
    )
    wrong = conv.vec(A * X * B) - sp.kronecker_product(A, B.T) * conv.vec(X)  # row-major's form
    assert not conv.is_zero(wrong), "column-major vec with the row-major Kronecker product"


@pytest.mark.parametrize("wrt", "Whb")
@pytest.mark.parametrize("order", "CF")
@pytest.mark.parametrize("n", [1, 2])
def test_affine_jacobians_are_kronecker_products(wrt, order, n):
    assert conv.affine_kronecker(wrt, order, n, 3, 2).holds


def test_the_kronecker_form_depends_on_the_order():
    from backprop_core.symbolic import affine_jacobian_symbols

    J = affine_jacobian_symbols(2, 3, 2)["W"]
    h = sp.Matrix(J.inputs["h"].tolist())
    row_major = sp.kronecker_product(h, sp.eye(2))
    assert conv.is_zero(conv.flatten(J.value, 2, "C") - row_major)
    assert not conv.is_zero(conv.flatten(J.value, 2, "F") - row_major)


@pytest.mark.parametrize("order", "CF")
def test_relu_jacobian_is_diag_of_the_mask(order):
    assert conv.relu_diag_mask((2, 3), order).holds


@pytest.mark.parametrize("wrt", "Wbh")
def test_every_step_of_the_affine_trace_method_holds(wrt):
    steps = conv.affine_trace_method(wrt)
    assert all(e.holds for e in steps), [(e.name, e.holds) for e in steps]
    assert steps[0].name == "linearised loss" and steps[-1].name == "read off the gradient"


@pytest.mark.parametrize("wrt", "Wbh")
def test_the_trace_method_result_is_what_affine_backward_computes(wrt):
    """The read-off gradient, evaluated at numbers, against affine_backward (tolerance 1e-12)."""
    rng = np.random.default_rng(0)
    h, W, b, G = (rng.normal(size=s) for s in ((2, 3), (3, 2), (2,), (2, 2)))
    numbers = {"h": h, "W": W, "b": b[:, None], "G": G}
    values = {conv.AFFINE[k]: sp.ImmutableMatrix(v) for k, v in numbers.items()}
    values[conv.ONES] = sp.ImmutableMatrix(np.ones((2, 1)))
    result = np.array(conv.explicit(conv.affine_trace_method(wrt)[-1].rhs, values), dtype=float)
    dh, dW, db = affine_backward(G, affine_forward(h, W, b)[1])
    expected = {"W": dW, "b": db[:, None], "h": dh}[wrt]
    assert np.allclose(result, expected, rtol=0, atol=1e-12)


def test_a_wrong_step_is_flagged():
    """At N = H = C = 2 the transposed gradient G^T h has the right shape and the wrong values."""
    values = conv.affine_values(2, 2, 2)
    h, G = conv.AFFINE["h"], conv.AFFINE["G"]
    right = conv.explicit(h.T * G, values)
    steps = [
        ("right", sp.Symbol("M"), h.T * G, right),
        ("transposed", sp.Symbol("M"), G.T * h, None),
    ]
    assert [e.holds for e in conv.chain_of_steps(steps, values)] == [True, False]


def test_softmax_trace_method_holds_and_gives_the_code_s_gradient():
    steps = conv.softmax_trace_method()
    assert all(e.holds for e in steps), [(e.name, e.holds) for e in steps]
    scores, labels = np.array([[0.5, -1.0, 2.0], [1.5, 0.0, -0.5]]), np.array([0, 2])
    _, dscores = softmax_cross_entropy(scores, labels)
    P = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    Y = np.eye(3)[labels]
    names = {
        sp.MatrixSymbol(s, conv.N, conv.C): sp.ImmutableMatrix(v) for s, v in (("P", P), ("Y", Y))
    }
    result = steps[-1].rhs.xreplace(names).subs(conv.N, 2).doit()
    assert np.allclose(np.array(result, dtype=float), dscores, rtol=0, atol=1e-12)


def test_gate_patterns_agree_with_the_full_jacobian():
    patterns = conv.gate_patterns()
    assert [e.holds for e in patterns] == [True] * 6, [(e.name, e.holds) for e in patterns]


def test_a_gate_without_the_swap_disagrees():
    X, G = conv.matrix_of_symbols("x", 2, 2), conv.matrix_of_symbols("G", 2, 2)
    W = conv.matrix_of_symbols("W", 2, 2)
    J = conv.jacobian(sp.Array((X * W).tolist()), sp.Array(W.tolist()))
    assert conv.agree(conv.contract(J, G, 2), X.T * G)
    assert not conv.agree(conv.contract(J, G, 2), G.T * X)  # the shapes fit, the values do not


def test_dimension_analysis_is_unique_only_when_the_sizes_differ():
    rng = np.random.default_rng(1)
    h, W, G = rng.normal(size=(4, 3)), rng.normal(size=(3, 2)), rng.normal(size=(4, 2))
    _, dW, _ = affine_backward(G, affine_forward(h, W, np.zeros(2))[1])
    fits = conv.dimension_analysis(h, G)
    assert list(fits) == ["hᵀG"] and np.allclose(fits["hᵀG"], dW, rtol=0, atol=1e-12)
    h, W, G = rng.normal(size=(3, 3)), rng.normal(size=(3, 3)), rng.normal(size=(3, 3))
    _, dW, _ = affine_backward(G, affine_forward(h, W, np.zeros(3))[1])
    fits = conv.dimension_analysis(h, G)
    right = [name for name, value in fits.items() if np.allclose(value, dW, rtol=0, atol=1e-12)]
    assert len(fits) == 8 and right == ["hᵀG"]


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: conv.dimension_analysis(np.ones(3), np.ones((3, 2))), ValueError,
         r"h must be 2-dimensional; got shape \(3,\)"),
        (lambda: conv.dimension_analysis(np.ones((4, 3)), np.ones((5, 2))), ValueError,
         r"G must have shape \(N, C\) = \(4, \?\) to match h of shape \(4, 3\); got \(5, 2\)"),
        (lambda: conv.dimension_analysis("h", np.ones((5, 2))), TypeError,
         r"h must be a numeric array"),
        (lambda: conv.affine_kronecker("x", "C"), ValueError, r"wrt must be 'W', 'h' or 'b'"),
        (lambda: conv.affine_trace_method("X"), ValueError,
         r"wrt must be 'W', 'b' or 'h'; got 'X'"),
        (lambda: conv.softmax_trace_method((0, 3), 3), ValueError,
         r"labels must be integers in \[0, 3\); got \(0, 3\)"),
        (lambda: conv.softmax_trace_method(()), ValueError,
         r"labels must be a non-empty tuple of class labels; got \(\)"),
        (lambda: conv.softmax_trace_method((True, False)), ValueError,
         r"labels must be integers in \[0, 3\); got \(True, False\)"),
        (lambda: conv.vec(sp.eye(2), "R"), ValueError, r"order must be 'C' or 'F'; got 'R'"),
        (lambda: conv.vec_identities(m=0), ValueError, r"m must be >= 1; got 0"),
        (lambda: conv.gate_patterns(rows=1.5), TypeError, r"rows must be an integer"),
        (lambda: conv.relu_diag_mask((2, 3), "X"), ValueError, r"order must be 'C' or 'F'"),
        (lambda: conv.relu_diag_mask([2, 3]), TypeError, r"shape must be a tuple of sizes"),
        (lambda: conv.affine_values(classes=0), ValueError, r"classes must be >= 1; got 0"),
        (lambda: bn_sym.batchnorm_trace_method("3"), TypeError, r"n must be an integer"),
    ],
)  # fmt: skip
def test_bad_arguments_are_refused_with_a_message(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_batchnorm_trace_method_holds_and_matches_the_layer():
    steps = bn_sym.batchnorm_trace_method(3)
    assert [e.name for e in steps][-1] == "read off the gradient"
    assert all(e.holds for e in steps), [(e.name, e.holds) for e in steps]
    # the read-off closed form, at numbers, against batchnorm_backward with gamma = 1
    x, G = np.array([[0.3], [-1.2], [2.0]]), np.array([[1.0], [-0.5], [0.25]])
    _, cache = batchnorm_forward(x, np.ones(1), np.zeros(1), {"mode": "train"})
    xhat, sigma = cache.xhat, cache.std
    closed = (3 * G - G.sum() - xhat * (xhat * G).sum()) / (3 * sigma)
    assert np.allclose(closed, batchnorm_backward(G, cache)[0], rtol=0, atol=1e-12)
