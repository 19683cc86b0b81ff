"""The symbolic derivations: each step is what the seed says, and verify_all can fail."""

import numpy as np
import pytest
import sympy as sp

from backprop_core import layers
from backprop_core.__main__ import main
from backprop_core.symbolic import (
    affine_jacobians,
    affine_matrix_gradient,
    bias_gradient,
    input_gradient,
    relu_at_zero,
    relu_gradient,
    relu_jacobian,
    softmax_cross_entropy_gradient,
    softmax_identity_residual,
    tiny_net_gradients,
    verify_all,
    weight_gradient,
)
from backprop_core.symbolic.index import C, G, H, N, c, f, h, i, j, k, p, q, w, x, y


def test_weight_gradient_follows_the_seeds_equations():
    d = weight_gradient()
    # eq. (2): dy_pq / dw_ij = 1{q = j} h_pi
    assert d["local derivative"].rhs == sp.KroneckerDelta(j, q) * h[p, i]
    # eq. (3): the delta collapses the sum over q
    assert d["Kronecker collapse"].rhs == sp.Sum(G[p, j] * h[p, i], (p, 0, N - 1))
    product = (sp.MatrixSymbol("h", N, H).T * sp.MatrixSymbol("G", N, C))[i, j]
    assert d.result.doit().dummy_eq(product)  # the step keeps (h^T G)_ij unexpanded


def test_bias_gradient_is_a_sum_over_samples():
    d = bias_gradient()
    assert d["local derivative"].rhs == sp.KroneckerDelta(j, q)
    assert d.result == sp.Sum(G[p, j], (p, 0, N - 1))


def test_input_gradient_is_G_times_W_transposed():
    d = input_gradient()
    assert d["local derivative"].rhs == sp.KroneckerDelta(i, p) * w[j, q]
    assert d["Kronecker collapse"].rhs.dummy_eq(sp.Sum(G[i, q] * w[j, q], (q, 0, C - 1)))


def test_relu_gradient_is_an_elementwise_heaviside_factor():
    d = relu_gradient()
    assert d["local derivative"].rhs == (
        sp.Heaviside(x[p, q]) * sp.KroneckerDelta(i, p) * sp.KroneckerDelta(j, q)
    )
    assert d.result == G[i, j] * sp.Heaviside(x[i, j])


def test_softmax_cross_entropy_gradient_is_p_minus_onehot_over_N():
    d = softmax_cross_entropy_gradient()
    softmax = sp.exp(f[i, k]) / sp.Sum(sp.exp(f[i, c]), (c, 0, C - 1))
    expected = (softmax - sp.KroneckerDelta(k, y[i])) / N
    assert sp.simplify(d["simplified"].rhs - expected) == 0
    assert d.result == (sp.IndexedBase("p")[i, k] - sp.KroneckerDelta(k, y[i])) / N
    assert d["loss"].rhs.has(sp.log)  # the -log the seed's loss is missing


def test_matrix_calculus_gives_the_same_products():
    hM, WM, GM = (sp.MatrixSymbol(n, *s) for n, s in (("h", (N, H)), ("W", (H, C)), ("G", (N, C))))
    assert affine_matrix_gradient("W").result == hM.T * GM
    assert affine_matrix_gradient("h").result == GM * WM.T
    assert affine_matrix_gradient("b").result == GM.T * sp.OneMatrix(N, 1)


def test_index_results_evaluate_to_the_numpy_formulas(rng):
    hh, WW, GG = rng.normal(size=(4, 5)), rng.normal(size=(5, 3)), rng.normal(size=(4, 3))
    assert np.allclose(weight_gradient().evaluate(h=hh, G=GG), hh.T @ GG, rtol=1e-14, atol=0)
    assert np.allclose(bias_gradient().evaluate(G=GG), GG.sum(axis=0), rtol=1e-14, atol=0)
    assert np.allclose(input_gradient().evaluate(G=GG, w=WW), GG @ WW.T, rtol=1e-14, atol=0)
    xx = np.array([[-1.0, 0.0, 2.0]])
    assert relu_gradient().evaluate(G=np.ones((1, 3)), x=xx).tolist() == [[0.0, 0.5, 1.0]]
    assert relu_gradient().evaluate(G=np.ones((1, 3)), x=xx, at_zero=0).tolist() == [[0, 0, 1]]


def test_concrete_weight_jacobian_is_the_kronecker_form_entry_by_entry():
    J = affine_jacobians(N=2, H=3, C=2)
    hs, Ws = J["W"].inputs["h"], J["W"].inputs["W"]
    for pp, qq, ii, jj in np.ndindex(J["W"].shape):
        assert J["W"].value[pp, qq, ii, jj] == (hs[pp, ii] if qq == jj else 0)
    assert J["W"].nonzero() == 2 * 3 * 2  # N * H * C of the N * C * H * C entries
    assert all(J["b"].value[pp, qq, jj] == int(qq == jj) for pp, qq, jj in np.ndindex(2, 2, 2))
    assert all(
        J["h"].value[pp, qq, rr, ss] == (Ws[ss, qq] if pp == rr else 0)
        for pp, qq, rr, ss in np.ndindex(2, 2, 2, 3)
    )


@pytest.mark.parametrize("shape", [(4,), (2, 3)])
def test_concrete_relu_jacobian_is_a_diagonal_of_heavisides(shape):
    J = relu_jacobian(shape)
    flat = J.matrix(len(shape))
    xs = sp.flatten(J.inputs["x"])
    assert J.shape == shape + shape
    assert flat == sp.diag(*[sp.Heaviside(v) for v in xs])


def test_softmax_jacobian_identity_holds_symbolically():
    assert softmax_identity_residual(3).is_zero_matrix
    assert softmax_identity_residual(4).is_zero_matrix


def test_tiny_net_gradient_of_b2_is_the_mean_of_p_minus_onehot():
    grads = tiny_net_gradients(N=2, D=2, H=3, C=2, labels=(0, 1))
    W1, b1, W2, b2, X = (grads["W1"].inputs[n] for n in ("W1", "b1", "W2", "b2", "X"))
    h1 = [
        [sp.Max(0, sum(X[n, d] * W1[d, u] for d in range(2)) + b1[u]) for u in range(3)]
        for n in range(2)
    ]
    y2 = [
        [sum(h1[n][u] * W2[u, cc] for u in range(3)) + b2[cc] for cc in range(2)] for n in range(2)
    ]
    probs = [
        [sp.exp(y2[n][cc]) / sum(sp.exp(v) for v in y2[n]) for cc in range(2)] for n in range(2)
    ]
    expected = [
        sum(probs[n][cc] - int(cc == label) for n, label in enumerate((0, 1))) / 2
        for cc in range(2)
    ]
    assert all(sp.simplify(grads["b2"].value[cc] - expected[cc]) == 0 for cc in range(2))


def test_relu_at_zero_shows_the_four_answers():
    values = {row.source: row.value for row in relu_at_zero()}
    assert values == {
        "SymPy": 0.5,  # Heaviside(0) = 1/2 in SymPy
        "seed (y1 >= 0)": 1.0,
        "PyTorch (x > 0)": 0.0,
        "central difference": pytest.approx(0.5, abs=1e-12),
        "backprop_core default": 0.0,
    }


def test_verify_all_passes_and_covers_every_stage():
    report = verify_all(seed=0)
    assert report.ok, str(report)
    stages = {row.stage for row in report.rows}
    assert stages == {
        "softmax",
        "affine (layer 2)",
        "relu",
        "affine (layer 1)",
        "whole net",
        "typed activation",
    }
    text = " ".join(row.quantity for row in report.rows)
    for needed in (
        "dL/dy2",
        "Jacobian diag(p)",
        "dW2",
        "db2",
        "dh1",
        "vector case",
        "matrix case",
        "dW1",
        "db1",
        "dX",
        "at a kink",
    ):
        assert needed in text
    assert verify_all(seed=7).ok


# -- verify_all fails where, and only where, the numeric code is wrong -----------------------------


def no_mean(scores, y):
    loss, dscores = layers._softmax_cross_entropy(np.asarray(scores, float), np.asarray(y))
    return loss, dscores * len(scores)  # forgot the 1/N


def bias_wrong_axis(dout, cache):
    dx, dW, _ = layers._affine_backward(np.asarray(dout, float), cache)
    return dx, dW, np.asarray(dout).sum(axis=1)


def weight_transposed(dout, cache):
    dx, dW, db = layers._affine_backward(np.asarray(dout, float), cache)
    return dx, dW.T, db


def relu_seed_convention(dout, cache, at_zero=0.0):
    return np.asarray(dout) * (cache.x >= 0)  # the seed's >= whatever the convention asked


BROKEN = [  # the function swapped in, and the stage and rows (by how they start) it must fail
    ("softmax_cross_entropy", no_mean, "softmax", ("dL/dy2",)),
    ("affine_backward", bias_wrong_axis, "affine (layer 2)", ("db2 =", "db2,")),
    ("affine_backward", weight_transposed, "affine (layer 2)", ("dW2 =", "dW2,")),
    ("relu_backward", relu_seed_convention, "relu", ("dy1 = dh1",)),
]


@pytest.mark.parametrize(
    "name, broken, stage, prefixes", BROKEN, ids=[r[1].__name__ for r in BROKEN]
)
def test_a_broken_backward_fails_its_rows_and_only_those(
    monkeypatch, name, broken, stage, prefixes
):
    monkeypatch.setattr(layers, name, broken)
    report = verify_all(seed=0)
    expected = [r for r in report.rows if r.stage == stage and r.quantity.startswith(prefixes)]
    assert expected and list(report.failed) == expected
    # TwoLayerNet runs on the engine's own kernels, so the whole-net rows still pass
    assert all(r.passed for r in report.rows if r.stage == "whole net")


def test_command_line_prints_the_table_and_exits_by_the_verdict(monkeypatch, capsys):
    assert main(["verify"]) == 0
    out = capsys.readouterr().out
    assert "stage" in out and "max |Δ|" in out and "✓" in out and "all checks pass" in out
    monkeypatch.setattr(layers, "affine_backward", weight_transposed)
    assert main(["verify"]) == 1
    captured = capsys.readouterr()
    assert "✗" in captured.out and "FAILED: affine (layer 2) | dW2" in captured.err
