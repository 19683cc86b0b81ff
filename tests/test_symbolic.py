"""The symbolic derivations: each step is what the seed says, and verify_all can fail.

Oracles: SymPy against itself (``simplify(a - b) == 0``, ``dummy_eq``) for the steps, NumPy's
matrix formulas for the evaluated results, and broken numeric functions for verify_all.
"""

import math

import numpy as np
import pytest
import sympy as sp

from backprop_core import registry
from backprop_core.__main__ import main
from backprop_core.layers import (
    affine_backward,
    affine_jacobian,
    relu_jacobian,
    softmax,
    softmax_cross_entropy,
)
from backprop_core.net import TwoLayerNet
from backprop_core.symbolic import (
    affine_jacobian_symbols,
    affine_matrix_gradient,
    bias_gradient,
    input_gradient,
    relu_at_zero,
    relu_gradient,
    relu_jacobian_symbols,
    softmax_cross_entropy_gradient,
    softmax_identity_residual,
    softmax_jacobian_symbols,
    tiny_net_gradients,
    verify_all,
    weight_gradient,
)
from backprop_core.symbolic.notation import C, G, H, N, W, c, f, h, i, j, k, out, p, q, x, y

EXACT = {"rtol": 1e-14, "atol": 0}  # mpmath references against NumPy's float64 products


@pytest.fixture(scope="session")
def report():
    """verify_all(seed=0), computed once for the tests that only read it."""
    return verify_all(seed=0)


def as_matrix_entries(expr, shapes):
    """``expr`` with every ``h[p, i]`` an entry of the matrix symbol ``h`` of ``shapes[h]``."""
    return expr.replace(
        lambda e: isinstance(e, sp.Indexed),
        lambda e: sp.MatrixSymbol(e.base.label.name, *shapes[e.base])[e.indices],
    )


# -- each step is what the seed says ---------------------------------------------------------------


def test_weight_gradient_follows_the_seeds_equations():
    d = weight_gradient()
    assert d["forward"].lhs == out[p, q]  # the affine output is `out`, never the labels `y`
    # eq. (2): dout_pq / dW_ij = 1{q = j} h_pi
    assert d["local derivative"].rhs == sp.KroneckerDelta(j, q) * h[p, i]
    # eq. (3): the delta collapses the sum over q
    assert d["Kronecker collapse"].rhs == sp.Sum(G[p, j] * h[p, i], (p, 0, N - 1))
    product = (sp.MatrixSymbol("h", N, H).T * sp.MatrixSymbol("G", N, C))[i, j]
    assert d.result.doit().dummy_eq(product)  # the step keeps (h^T G)_ij unexpanded


def test_weight_gradient_collapsed_sum_is_the_recognised_product():
    d = weight_gradient()
    collapsed = as_matrix_entries(d["Kronecker collapse"].rhs, {h: (N, H), G: (N, C)})
    assert collapsed.dummy_eq(d["matrix product"].rhs.doit())


def test_bias_gradient_is_a_sum_over_samples():
    d = bias_gradient()
    assert d["local derivative"].rhs == sp.KroneckerDelta(j, q)
    assert d.result == sp.Sum(G[p, j], (p, 0, N - 1))


def test_input_gradient_is_G_times_W_transposed():
    d = input_gradient()
    assert d["local derivative"].rhs == sp.KroneckerDelta(i, p) * W[j, q]
    assert d["Kronecker collapse"].rhs.dummy_eq(sp.Sum(G[i, q] * W[j, q], (q, 0, C - 1)))
    collapsed = as_matrix_entries(d["Kronecker collapse"].rhs, {G: (N, C), W: (H, C)})
    assert collapsed.dummy_eq(d["matrix product"].rhs.doit())


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


def bases(expr):
    return {base.name for base in expr.atoms(sp.IndexedBase, sp.MatrixSymbol)}


def test_one_name_per_array_across_the_derivations():
    """`W` is the weight matrix in index notation and matrix calculus; `y` only the labels."""
    assert bases(weight_gradient()["Kronecker collapse"].rhs) == {"G", "h"}
    assert bases(input_gradient()["Kronecker collapse"].rhs) == {"G", "W"}
    assert bases(affine_matrix_gradient("h").result) == {"G", "W"}
    assert bases(softmax_cross_entropy_gradient()["simplified"].rhs) == {"f", "y"}
    affine = [*weight_gradient().steps, *bias_gradient().steps, *input_gradient().steps]
    assert not any("y" in bases(step.equation) for step in affine)
    assert [bases(step.lhs) for step in affine if step.name == "forward"] == [{"out"}] * 3


def test_matrix_calculus_gives_the_same_products():
    hM, WM, GM = (sp.MatrixSymbol(n, *s) for n, s in (("h", (N, H)), ("W", (H, C)), ("G", (N, C))))
    assert affine_matrix_gradient("W").result == hM.T * GM
    assert affine_matrix_gradient("h").result == GM * WM.T
    assert affine_matrix_gradient("b").result == GM.T * sp.OneMatrix(N, 1)


# -- evaluated results against NumPy ---------------------------------------------------------------


def test_index_results_evaluate_to_the_numpy_formulas(rng):
    hh, WW, GG = rng.normal(size=(4, 5)), rng.normal(size=(5, 3)), rng.normal(size=(4, 3))
    np.testing.assert_allclose(weight_gradient().evaluate(h=hh, G=GG), hh.T @ GG, **EXACT)
    np.testing.assert_allclose(bias_gradient().evaluate(G=GG), GG.sum(axis=0), **EXACT)
    np.testing.assert_allclose(input_gradient().evaluate(G=GG, W=WW), GG @ WW.T, **EXACT)


def test_relu_results_take_the_kink_value_asked_for():
    xx, ones = np.array([[-1.0, 0.0, 2.0]]), np.ones((1, 3))
    assert relu_gradient().evaluate(G=ones, x=xx).tolist() == [[0.0, 0.5, 1.0]]  # SymPy's 1/2
    assert relu_gradient().evaluate(G=ones, x=xx, at_zero=0).tolist() == [[0, 0, 1]]
    J = relu_jacobian_symbols((3,))
    assert np.diag(J.evaluate(x=xx[0], at_zero=1.0)).tolist() == [0.0, 1.0, 1.0]


def test_evaluate_refuses_inputs_of_inconsistent_sizes():
    with pytest.raises(ValueError, match="W must have C = 2 to match G; got C = 3"):
        input_gradient().evaluate(W=np.ones((4, 3)), G=np.ones((5, 2)))
    with pytest.raises(ValueError, match=r"G must have shape \(N, C\); got shape \(5,\)"):
        input_gradient().evaluate(W=np.ones((4, 3)), G=np.ones(5))
    with pytest.raises(TypeError, match="evaluate needs G=, W=; W missing"):
        input_gradient().evaluate(G=np.ones((5, 2)))
    with pytest.raises(ValueError, match=r"x must have shape \(3,\); got \(2,\)"):
        relu_jacobian_symbols((3,)).evaluate(x=np.ones(2))
    with pytest.raises(TypeError, match="evaluate needs h=; h missing"):
        affine_jacobian_symbols()["W"].evaluate(W=np.ones((3, 2)))


def test_softmax_gradient_does_not_overflow_at_huge_scores():
    scores, labels = np.array([[1e3, 0.0, -1e3]]), np.array([2])
    exact = softmax_cross_entropy_gradient().evaluate(f=scores, y=labels)
    # p = (1 - e^-1000 - ..., e^-1000, e^-2000), so p - onehot(2) rounds to (1, 0, -1) in float64;
    # exp(1000) on the way there would overflow
    assert exact.tolist() == [[1.0, 0.0, -1.0]]


def test_softmax_jacobian_keeps_the_digits_float64_cancels():
    # p0 = 1 / (1 + e^-40) is 1.0 in float64, so p0 - p0^2 computed there is 0; exactly it is
    # e^-40 / (1 + e^-40)^2, which float64 computes without any cancellation
    J = softmax_jacobian_symbols(2).evaluate(f=np.array([40.0, 0.0]))
    assert J[0, 0] == pytest.approx(math.exp(-40) / (1 + math.exp(-40)) ** 2, rel=1e-15)


# -- concrete arrays -------------------------------------------------------------------------------


def test_concrete_weight_jacobian_is_the_kronecker_form_entry_by_entry():
    J = affine_jacobian_symbols(N=2, H=3, C=2)
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
    J = relu_jacobian_symbols(shape)
    flat = J.matrix(len(shape))
    xs = sp.flatten(J.inputs["x"])
    assert J.shape == shape + shape
    assert flat == sp.diag(*[sp.Heaviside(v) for v in xs])


@pytest.mark.parametrize("classes", [2, 3, 4])
def test_softmax_jacobian_identity_holds_symbolically(classes):
    assert softmax_identity_residual(classes).is_zero_matrix


@pytest.mark.parametrize("classes, label", [(2, 0), (3, 1), (4, 3)])
def test_softmax_cross_entropy_hessian_is_diag_p_minus_p_pT(classes, label):
    """SymPy's Hessian of -log p[label] against diag(p) - p p^T (symbolically), and its value
    against central differences of the library's dscores (N = 1, so no 1/N), to 1e-7."""
    from backprop_core.gradcheck import numerical_gradient_array
    from backprop_core.symbolic.softmax import (
        softmax_cross_entropy_hessian_symbols,
        softmax_hessian_residual,
    )

    assert softmax_hessian_residual(classes, label).is_zero_matrix
    scores = np.random.default_rng(classes).normal(size=(1, classes))
    exact = softmax_cross_entropy_hessian_symbols(classes, label).evaluate(f=scores[0])
    rows = [
        numerical_gradient_array(
            lambda s: softmax_cross_entropy(s, [label])[1], scores.copy(), np.eye(classes)[[k]]
        )[0]
        for k in range(classes)
    ]
    assert np.max(np.abs(np.array(rows) - exact)) < 1e-7


def test_softmax_hessian_quadratic_form_is_a_variance():
    """v^T (diag(p) - p p^T) v equals sum_k p_k (v_k - p.v)^2 exactly (SymPy), and at random
    points equals the p-weighted variance of v computed here with NumPy, to 1e-12: never < 0."""
    from backprop_core.symbolic.softmax import softmax_hessian_quadratic_form

    form, variance, difference = softmax_hessian_quadratic_form(3)
    assert difference == 0
    symbols = sorted(form.free_symbols, key=str)  # f_0, f_1, f_2, v_0, v_1, v_2
    rng = np.random.default_rng(5)
    for _ in range(5):
        f_values, v_values = rng.normal(size=3), rng.normal(size=3)
        p_values = np.exp(f_values) / np.exp(f_values).sum()
        weighted = p_values @ (v_values - p_values @ v_values) ** 2
        point = dict(zip(symbols, [*f_values, *v_values], strict=True))
        for expression in (form, variance):
            assert float(expression.subs(point)) == pytest.approx(weighted, abs=1e-12)
        assert weighted >= 0


def test_softmax_hessian_refuses_a_label_outside_the_classes():
    from backprop_core.symbolic.softmax import softmax_cross_entropy_hessian_symbols

    with pytest.raises(ValueError, match="label must lie in"):
        softmax_cross_entropy_hessian_symbols(3, label=3)


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


def test_tiny_net_gradients_is_a_fresh_dict_each_call():
    first = tiny_net_gradients()
    first.pop("X")
    assert "X" in tiny_net_gradients()  # the memoised net is not changed through a result


def test_relu_at_zero_shows_the_four_answers():
    values = {row.source: row.value for row in relu_at_zero()}
    assert values == {
        "SymPy": 0.5,  # Heaviside(0) = 1/2 in SymPy
        "seed (y1 >= 0)": 1.0,
        "PyTorch (x > 0)": 0.0,
        "central difference": pytest.approx(0.5, abs=1e-12),
        "backprop_core default": 0.0,
    }


# -- verify_all ------------------------------------------------------------------------------------


def test_verify_all_passes_and_covers_every_stage(report):
    assert report.ok, str(report)
    assert {row.stage for row in report.rows} == {
        "softmax",
        "affine (layer 2)",
        "relu",
        "affine (layer 1)",
        "whole net",
        "typed activation",
        "batchnorm",
        "layernorm",
        "dropout",
        "svm",
        "sigmoid",
        "conv",
        "max pool",
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
        "tanh",
        "gelu",
    ):
        assert needed in text


def test_verify_all_is_every_registered_stage_in_order_from_one_generator(report):
    rng = np.random.default_rng(0)
    by_stage = [stage.load("symbolic").verify_rows(rng) for stage in registry.STAGES]
    assert all(by_stage), "every registered stage contributes rows"
    assert [row for rows in by_stage for row in rows] == list(report.rows)


def test_verify_all_passes_at_another_seed():
    assert verify_all(seed=7).ok


# -- verify_all fails where, and only where, the numeric code is wrong -----------------------------


def no_mean(scores, y):
    loss, dscores = softmax_cross_entropy(scores, y)
    return loss, dscores * len(scores)  # forgot the 1/N


def jacobian_without_outer_product(scores, full=False):
    return np.stack([np.diag(row) for row in softmax(scores)])  # diag(p), forgot - p p^T


def bias_wrong_axis(dout, cache):
    dx, dW, _ = affine_backward(dout, cache)
    return dx, dW, np.asarray(dout).sum(axis=1)


def weight_transposed(dout, cache):
    dx, dW, db = affine_backward(dout, cache)
    return dx, dW.T, db


def jacobian_axes_swapped(x, W, wrt):
    J = affine_jacobian(x, W, wrt)
    return np.swapaxes(J, 0, 1) if wrt == "W" else J  # samples and classes swapped in dout/dW


def relu_seed_convention(dout, cache, at_zero=0.0):
    return np.asarray(dout) * (cache.x >= 0)  # the seed's >= whatever the convention asked


def relu_jacobian_seed_convention(x, at_zero=0.0):
    return relu_jacobian(x, at_zero=1.0)  # the seed's >= whatever the convention asked


ORIGINAL_BACKWARD = TwoLayerNet.backward


def backward_without_reg(self, trace, y, reg=0.0, need_dX=True):
    return ORIGINAL_BACKWARD(self, trace, y, reg=0.0, need_dX=need_dX)  # forgot d(reg W^2)/dW


NET_ROWS = {"affine (layer 1)", "whole net", "typed activation"}
BROKEN = [  # registered stage, what of its numeric module is swapped, for what; rows that fail
    ("softmax_cross_entropy", "softmax_cross_entropy", no_mean, {"softmax"}, ("dL/dy2",)),
    (
        "softmax_cross_entropy",
        "softmax_jacobian",
        jacobian_without_outer_product,
        {"softmax"},
        ("Jacobian",),
    ),
    ("affine_backward", "affine_backward", bias_wrong_axis, {"affine (layer 2)"}, ("db2",)),
    ("affine_backward", "affine_backward", weight_transposed, {"affine (layer 2)"}, ("dW2",)),
    (
        "affine_backward",
        "affine_jacobian",
        jacobian_axes_swapped,
        {"affine (layer 2)"},
        ("Jacobian dy2/dW2",),
    ),
    ("relu_backward", "relu_backward", relu_seed_convention, {"relu"}, ("dy1 = dh1",)),
    ("relu_backward", "relu_jacobian", relu_jacobian_seed_convention, {"relu"}, ("Jacobian",)),
    # TwoLayerNet runs on the layers' kernels: the swaps above leave its rows passing, and its
    # own mistake shows in every weight row of a whole net, and nowhere else
    ("two_layer_loss", "TwoLayerNet.backward", backward_without_reg, NET_ROWS, ("dW1", "dW2")),
]


@pytest.mark.parametrize(
    "stage, attribute, broken, labels, prefixes", BROKEN, ids=[row[2].__name__ for row in BROKEN]
)
def test_a_broken_function_fails_its_rows_and_only_those(
    monkeypatch, stage, attribute, broken, labels, prefixes
):
    *owners, name = attribute.split(".")
    target = registry.get(stage).load("numeric")
    for owner in owners:
        target = getattr(target, owner)
    monkeypatch.setattr(target, name, broken)
    report = verify_all(seed=0)
    expected = [r for r in report.rows if r.stage in labels and r.quantity.startswith(prefixes)]
    assert expected, f"no row of {sorted(labels)} starts with {prefixes}"
    assert list(report.failed) == expected


def test_command_line_prints_the_table_and_exits_by_the_verdict(monkeypatch, capsys):
    assert main(["verify"]) == 0
    printed = capsys.readouterr().out
    assert all(word in printed for word in ("stage", "max |Δ|", "✓", "all checks pass"))
    affine_layer = registry.get("affine_backward").load("numeric")
    monkeypatch.setattr(affine_layer, "affine_backward", weight_transposed)
    assert main(["verify"]) == 1
    captured = capsys.readouterr()
    assert "✗" in captured.out and "FAILED: affine (layer 2) | dW2" in captured.err


def test_verify_all_checks_only_the_stages_asked_for():
    report = verify_all(stages=["affine_backward", "relu_backward"])
    assert report.ok and {row.stage for row in report.rows} == {"affine (layer 2)", "relu"}
    with pytest.raises(ValueError, match="stage must be one of"):
        verify_all(stages=["groupnorm_backward"])
    with pytest.raises(TypeError, match="stages must be a list of stage names"):
        verify_all(stages="relu_backward")
