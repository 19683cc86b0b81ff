"""Central differences, the relative error and the per-parameter gradient check."""

import numpy as np
import pytest

from backprop_core import TwoLayerNet, gradcheck, numerical_gradient, rel_error
from backprop_core.gradcheck import verdict


def test_numerical_gradient_of_a_known_function():
    x = np.array([[0.5, -1.0], [2.0, 0.3]])
    grad = numerical_gradient(lambda v: float(np.sum(np.sin(v))), x)
    assert np.allclose(grad, np.cos(x), rtol=0, atol=1e-10)


def test_numerical_gradient_restores_x_even_when_f_raises():
    x = np.array([1.0, 2.0, 3.0])
    before = x.copy()
    calls = []

    def f(v):
        calls.append(v.copy())
        if len(calls) == 3:
            raise RuntimeError("boom")
        return float(v.sum())

    with pytest.raises(RuntimeError, match="boom"):
        numerical_gradient(f, x)
    assert np.array_equal(x, before)
    assert calls[0][0] == pytest.approx(1.0 + 1e-5)  # f saw x moved in place


def test_rel_error_is_cs231ns_entrywise_measure():
    assert rel_error([1.0, 0.0], [1.0, 0.0]) == 0.0
    assert rel_error([1.0, 3.0], [1.0, 1.0]) == pytest.approx(0.5)
    assert rel_error([0.0], [1e-10]) == pytest.approx(1e-2)  # the 1e-8 floor


@pytest.mark.parametrize(
    "error, kinks, expected",
    [
        (1e-9, 0, "good"),
        (1e-6, 3, "acceptable at kinks"),
        (1e-6, 0, "suspicious"),
        (1e-3, 5, "suspicious"),
        (0.2, 0, "wrong"),
    ],
)
def test_verdict_follows_the_cs231n_scale(error, kinks, expected):
    assert verdict(error, kinks) == expected


def test_gradcheck_passes_the_network(toy):
    X, y = toy
    report = gradcheck(TwoLayerNet(4, 6, 3, std=0.5, seed=0), X, y, reg=0.1)
    assert report.ok
    assert [row.name for row in report.rows] == ["W1", "b1", "W2", "b2"]
    assert all(row.verdict == "good" for row in report.rows)
    assert "W2     (6, 3)" in str(report)


class DoubledW2:
    """A model of one's own, written the cs231n way, whose dW2 is twice too large."""

    def __init__(self, *sizes, **options):
        self.net = TwoLayerNet(*sizes, **options)
        self.params = self.net.params

    def loss(self, X, y=None, reg=0.0):
        loss, grads = self.net.loss(X, y, reg)
        return loss, {**grads, "W2": 2 * grads["W2"]}


def test_gradcheck_names_the_wrong_parameter(toy):
    X, y = toy
    report = gradcheck(DoubledW2(4, 6, 3, std=0.5, seed=0), X, y)
    assert not report.ok
    assert {row.name: row.verdict for row in report.rows} == {
        "W1": "good",
        "b1": "good",
        "W2": "wrong",
        "b2": "good",
    }


def test_gradcheck_counts_kinks_a_step_can_cross(toy):
    X, y = toy
    X = X.copy()
    X[0] = 0.0  # with b1 = 0 every pre-activation of sample 0 is exactly at the kink
    net = TwoLayerNet(4, 6, 3, std=0.5, seed=0)
    params_before = {k: v.copy() for k, v in net.params.items()}
    report = gradcheck(net, X, y)
    rows = {row.name: row for row in report.rows}
    # a step in b1 moves y1[0] across 0; a step in W1 cannot (X[0] = 0), nor in W2 or b2
    assert {name: row.kinks for name, row in rows.items()} == {"W1": 0, "b1": 6, "W2": 0, "b2": 0}
    # the central difference sees half the slope there, the analytic gradient (at_zero=0) none:
    # b1 fails the check, and the report names the kinks as the reason
    assert rows["b1"].verdict != "good" and rows["W1"].verdict == "good"
    assert "6 ReLU inputs within reach of 0" in str(report).splitlines()[2]
    assert all(np.array_equal(net.params[k], params_before[k]) for k in net.params)


class AssignmentTwoModel:
    """cs231n's assignment-2 style: ``reg`` is an attribute and ``loss(X, y)`` takes no reg."""

    def __init__(self, reg):
        self.net = TwoLayerNet(4, 6, 3, std=0.5, seed=0)
        self.params, self.reg = self.net.params, reg

    def loss(self, X, y=None):
        return self.net.loss(X, y, self.reg)


def test_gradcheck_takes_any_model_with_params_and_loss(toy):
    X, y = toy
    report = gradcheck(AssignmentTwoModel(reg=0.2), X, y)
    assert report.ok and [row.name for row in report.rows] == ["W1", "b1", "W2", "b2"]
    assert all(row.kinks == 0 for row in report.rows)  # it cannot say where its kinks are


def test_gradcheck_refuses_what_is_not_a_model_and_names_a_missing_gradient(toy):
    X, y = toy
    with pytest.raises(TypeError, match="model must have a params dict and a loss"):
        gradcheck("net", X, y)
    model = DoubledW2(4, 6, 3, std=0.5, seed=0)
    model.loss = lambda X, y, reg=0.0: (1.0, {"W1": np.zeros((4, 6))})
    with pytest.raises(
        ValueError, match=r"grads\['b1'\] with the shape of params\['b1'\] \(6,\); got nothing"
    ):
        gradcheck(model, X, y)


def test_a_zero_gradient_is_good_and_a_small_real_error_is_still_caught():
    class Model:  # L = sum(w * x) + 0 * b: db is exactly 0
        def __init__(self, offset):
            self.params = {"w": np.array([0.3, -0.2]), "b": np.array([0.5])}
            self.offset = offset

        def loss(self, X, y=None):
            w = self.params["w"]
            value = float(np.sum(w * X[0])) + 0.0 * float(self.params["b"][0])
            return value, {"w": X[0] + self.offset, "b": np.zeros(1)}

    X = np.array([[1.0, 2.0]])
    report = gradcheck(Model(0.0), X, None)
    assert report.ok and [row.verdict for row in report.rows] == ["good", "good"]
    # a gradient off by 1e-6 is far above the rounding of the difference (~1e-15 here)
    report = gradcheck(Model(1e-6), X, None)
    assert report.rows[0].verdict == "suspicious" and not report.rows[0].rounding


def test_a_loss_that_is_not_a_number_is_named():
    class Model:
        def __init__(self):
            self.params = {"w": np.ones(2)}

        def loss(self, X, y=None):
            return "low", {"w": np.ones(2)}

    with pytest.raises(TypeError, match="loss a number; got str"):
        gradcheck(Model(), np.ones((1, 2)), None)
