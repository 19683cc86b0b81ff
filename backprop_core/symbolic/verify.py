"""Every symbolic derivation against the numeric code, one row per check.

``python -m backprop_core verify`` prints the table and exits 0 only when every row passes.
The numeric functions are looked up on their modules at call time (``layers.affine_backward``),
so a test can swap in a broken one and watch its rows, and only its rows, fail.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .. import jacobians, layers
from ..net import TwoLayerNet
from . import concrete, index, matrix

TOLERANCE = 1e-12  # largest |difference| / largest |expected| that passes, in float64


class Check(NamedTuple):
    """One row of :func:`verify_all`: symbolic ``expected`` against numeric ``got``."""

    stage: str
    quantity: str
    shape: tuple
    max_abs: float
    max_rel: float
    passed: bool


def compare(stage: str, quantity: str, expected, got) -> Check:
    """A :class:`Check` of ``got`` against ``expected``; a shape mismatch fails with infinity."""
    expected, got = np.asarray(expected, dtype=float), np.asarray(got, dtype=float)
    if expected.shape != got.shape:
        return Check(
            stage, f"{quantity} (got shape {got.shape})", expected.shape, np.inf, np.inf, False
        )
    max_abs = float(np.max(np.abs(expected - got)))
    max_rel = max_abs / max(float(np.max(np.abs(expected))), np.finfo(float).tiny)
    return Check(stage, quantity, expected.shape, max_abs, max_rel, bool(max_rel <= TOLERANCE))


class Report(NamedTuple):
    """The rows of :func:`verify_all`; ``str(report)`` is the terminal table."""

    rows: tuple

    @property
    def ok(self) -> bool:
        return all(row.passed for row in self.rows)

    @property
    def failed(self) -> tuple:
        return tuple(row for row in self.rows if not row.passed)

    def __str__(self) -> str:
        header = f"{'stage':<16} {'quantity':<44} {'shape':<14} {'max |Δ|':>9}  "
        lines = [header, "-" * len(header)]
        for r in self.rows:
            mark = "✓" if r.passed else "✗"
            lines.append(f"{r.stage:<16} {r.quantity:<44} {r.shape!s:<14} {r.max_abs:9.1e}  {mark}")
        verdict = "all checks pass" if self.ok else f"{len(self.failed)} of {len(self.rows)} failed"
        return "\n".join([*lines, "", f"{verdict} (relative tolerance {TOLERANCE:g})"])


def _softmax_rows(rng, N, C):
    labels = rng.integers(0, C, N)
    softmax_jac = concrete.softmax_jacobian(C)
    gradient = index.softmax_cross_entropy_gradient()
    rows = []
    for label, scores in (
        ("random", rng.normal(size=(N, C))),
        ("|f| ~ 1e3", 1e3 * rng.normal(size=(N, C))),
    ):
        rows.append(
            compare(
                "softmax",
                f"dL/dy2 = (p - 1{{k = y}}) / N, {label}",
                gradient.evaluate(f=scores, y=labels),
                layers.softmax_cross_entropy(scores, labels)[1],
            )
        )
        blocks = np.stack([softmax_jac.evaluate(f=row) for row in scores])
        rows.append(
            compare(
                "softmax",
                f"Jacobian diag(p) - p p^T, {label}",
                blocks,
                jacobians.softmax_jacobian(scores),
            )
        )
    return rows


def _affine_rows(rng, N, H, C):
    h, W, b, G = (
        rng.normal(size=(N, H)),
        rng.normal(size=(H, C)),
        rng.normal(size=C),
        rng.normal(size=(N, C)),
    )
    dh, dW, db = layers.affine_backward(G, layers.affine_forward(h, W, b)[1])
    small = concrete.affine_jacobians(2, 3, 2)
    h2, W2, b2, G2 = h[:2, :3], W[:3, :2], b[:2], G[:2, :2]
    dh2, dW2, db2 = layers.affine_backward(G2, layers.affine_forward(h2, W2, b2)[1])
    stage = "affine (layer 2)"
    return [
        compare(
            stage, "dW2 = h1^T dy2, index notation", index.weight_gradient().evaluate(h=h, G=G), dW
        ),
        compare(
            stage, "dW2, matrix calculus", matrix.affine_matrix_gradient("W").evaluate(h=h, G=G), dW
        ),
        compare(
            stage,
            "dW2, Jacobian (N,C,H,C) contracted",
            jacobians.vjp(small["W"].evaluate(h=h2, W=W2, b=b2), G2),
            dW2,
        ),
        compare(
            stage,
            "Jacobian dy2/dW2 against jacobians",
            small["W"].evaluate(h=h2, W=W2, b=b2),
            jacobians.affine_jacobian(h2, W2, "W"),
        ),
        compare(
            stage, "db2 = sum over samples, index notation", index.bias_gradient().evaluate(G=G), db
        ),
        compare(
            stage,
            "db2, matrix calculus",
            matrix.affine_matrix_gradient("b").evaluate(G=G).ravel(),
            db,
        ),
        compare(
            stage,
            "db2, Jacobian (N,C,C) contracted",
            jacobians.vjp(small["b"].evaluate(h=h2, W=W2, b=b2), G2),
            db2,
        ),
        compare(
            stage, "dh1 = dy2 W2^T, index notation", index.input_gradient().evaluate(G=G, w=W), dh
        ),
        compare(
            stage, "dh1, matrix calculus", matrix.affine_matrix_gradient("h").evaluate(G=G, W=W), dh
        ),
        compare(
            stage,
            "dh1, Jacobian (N,C,N,H) contracted",
            jacobians.vjp(small["h"].evaluate(h=h2, W=W2, b=b2), G2),
            dh2,
        ),
    ]


def _relu_rows(rng, N, H, at_zero=0.0):
    x = rng.normal(size=(N, H))
    x[0, 0] = x[-1, -1] = 0.0  # exactly at the kink
    G = rng.normal(size=(N, H))
    vector = x[0]
    stage = "relu"
    return [
        compare(
            stage,
            "Jacobian, vector case (diagonal)",
            concrete.relu_jacobian(vector.shape).evaluate(x=vector, at_zero=at_zero),
            jacobians.relu_jacobian(vector, at_zero=at_zero),
        ),
        compare(
            stage,
            "Jacobian, matrix case (diagonal mask)",
            concrete.relu_jacobian(x.shape).evaluate(x=x, at_zero=at_zero),
            jacobians.relu_jacobian(x, at_zero=at_zero),
        ),
        compare(
            stage,
            "dy1 = dh1 * Heaviside(y1), index notation",
            index.relu_gradient().evaluate(G=G, x=x, at_zero=at_zero),
            layers.relu_backward(G, layers.relu_forward(x)[1], at_zero=at_zero),
        ),
    ]


def _net_rows(rng, reg=0.05):
    N, D, H, C = 2, 2, 3, 2
    labels = (0, 1)
    net = TwoLayerNet(D, H, C, std=0.7, seed=int(rng.integers(1 << 30)))
    net.params["b1"] = 0.1 * rng.normal(size=H)
    X = rng.normal(size=(N, D))
    symbolic = concrete.tiny_net_gradients(N, D, H, C, labels=labels, reg=reg)
    rows = []
    for where, inputs in (("", X), (", at a kink", np.vstack([np.zeros(D), X[1]]))):
        params = dict(net.params, b1=net.params["b1"] if not where else np.zeros(H))
        kinked = TwoLayerNet(D, H, C, relu_at_zero=net.relu_at_zero)
        kinked.params = params
        grads = kinked.backward(kinked.forward(inputs), list(labels), reg=reg)
        values = {
            n: g.evaluate(at_zero=net.relu_at_zero, X=inputs, **params) for n, g in symbolic.items()
        }
        if not where:
            for name in ("W1", "b1", "X"):
                rows.append(
                    compare(
                        "affine (layer 1)",
                        f"d{name}, whole loss differentiated",
                        values[name],
                        getattr(grads, "d" + name),
                    )
                )
        for name in ("W1", "b1", "W2", "b2"):
            rows.append(
                compare(
                    "whole net",
                    f"d{name}, reg {reg:g}{where}",
                    values[name],
                    getattr(grads, "d" + name),
                )
            )
    return rows


def verify_all(seed: int = 0) -> Report:
    """Check every symbolic derivation against ``backprop_core``'s numeric code.

    Covers the softmax gradient and Jacobian (also at scores of size 1e3), the three gradients
    of the affine map by three roads (index notation, matrix calculus, full Jacobian), the ReLU
    (vector and matrix, with inputs exactly 0), and the gradient of every parameter of a tiny
    network (also with a hidden unit exactly at its kink).

    >>> report = verify_all(seed=0)
    >>> report.ok, len(report.rows)
    (True, 32)
    """
    rng = np.random.default_rng(seed)
    rows = [*_softmax_rows(rng, 4, 3), *_affine_rows(rng, 4, 5, 3), *_relu_rows(rng, 3, 4)]
    rows += _net_rows(rng)
    rows += _activation_rows(rng)
    return Report(tuple(rows))


def _activation_rows(rng, names=("tanh", "gelu"), reg=0.05):
    """The whole tiny net with a typed activation: dW1 and db1, where the activation acts."""
    from ..activations import NAMED, named

    rows = []
    for name in names:
        net = TwoLayerNet(2, 3, 2, std=0.7, seed=int(rng.integers(1 << 30)), activation=named(name))
        X = rng.normal(size=(2, 2))
        grads = net.backward(net.forward(X), [0, 1], reg=reg)
        symbolic = concrete.tiny_net_gradients(2, 2, 3, 2, (0, 1), reg, activation=NAMED[name])
        for param in ("W1", "b1"):
            exact = symbolic[param].evaluate(X=X, **net.params)
            rows.append(
                compare(
                    "typed activation",
                    f"d{param}, {name} hidden layer",
                    exact,
                    getattr(grads, "d" + param),
                )
            )
    return rows
