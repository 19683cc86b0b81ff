"""Batch normalization: its gradient in index notation at a symbolic batch size N, its full
Jacobian at small sizes, and the rows of :func:`~backprop_core.symbolic.verify_all`.

One column of x is normalised over the batch, ``xhat_p = (x_p - mu) / sigma`` with
``mu = (1/N) sum_k x_k`` and ``sigma = sqrt((1/N) sum_k (x_k - mu)^2 + eps)``; the columns do not
interact. :func:`normalised_gradient` takes the upstream gradient ``U = dL/dxhat`` back to x at
symbolic N, with mu and sigma as named quantities whose derivatives are derived first (SymPy
cannot simplify the fully expanded expression at symbolic N in reasonable time; it can do every
step below), and arrives at the closed form ``(N U_i - sum U - xhat_i sum U xhat) / (N sigma)``.
:func:`batchnorm_gradient` puts it in the layer: ``U = gamma G`` column by column.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import sympy as sp

from .. import jacobians, registry
from .concrete import Concrete, jacobian, symbol_array
from .derivation import Derivation, Step
from .notation import G, N, chain, i, in_range, j, k, out, p, partial, q, x
from .verify import Check, table_rows

# The numeric module the registry names for this stage, looked up at call time (bn_layer.<name>).
bn_layer = registry.get("batchnorm_backward").load("numeric")

D = sp.Symbol("D", integer=True, positive=True)
mu, sigma_s, eps = sp.Symbol("mu"), sp.Symbol("sigma", positive=True), sp.Symbol("epsilon")
U, xhat = sp.IndexedBase("U"), sp.IndexedBase("xhat")
gamma, beta, sigma = sp.IndexedBase("gamma"), sp.IndexedBase("beta"), sp.IndexedBase("sigma")
EPS = sp.Rational(1, 10**5)  # the default eps of batchnorm_forward, exactly


def _in_xhat(expr: sp.Basic, n_index: int = 0) -> sp.Basic:
    """``x[...]`` replaced by ``mu + sigma xhat[...]`` (the definition of xhat, solved for x)."""
    return expr.replace(
        lambda e: isinstance(e, sp.Indexed) and e.base == x,
        lambda e: mu + sigma_s * xhat[e.indices],
    )


@sp.cacheit
def normalised_gradient(n: sp.Symbol = N) -> Derivation:
    """dL/dx_i for ``xhat = (x - mu) / sigma`` normalised over n entries, from ``U = dL/dxhat``.

    The steps: the derivatives of mu and sigma, the identity ``sum_k (x_k - mu) = 0`` that SymPy
    proves at symbolic n and that removes sigma's path through mu, the total local derivative,
    the chain rule (seed eq. 1) and its Kronecker collapse, x rewritten through xhat, and the
    closed form. ``closed_form_residual`` shows that the last two agree. Evaluate with ``U=``,
    ``xhat=`` and ``sigma=`` through :func:`batchnorm_gradient`.

    >>> d = normalised_gradient()
    >>> d["d mu / d x_i"].rhs, d["centred values sum to 0"].rhs
    (1/N, 0)
    """
    mean = sp.Sum(x[k], (k, 0, n - 1)) / n
    root = sp.sqrt(sp.Sum((x[k] - mu) ** 2, (k, 0, n - 1)) / n + eps)
    dmu = in_range(sp.diff(mean, x[i]).doit())  # 1/n
    dsigma_direct = sp.factor(in_range(sp.diff(root, x[i]).doit()).subs(root, sigma_s))
    centred = sp.Sum(x[k] - mu, (k, 0, n - 1))
    zero = sp.simplify(sp.expand(centred).doit().subs(mu, mean).doit())  # proved, not assumed
    dsigma_mu = -centred / (n * sigma_s)  # d sigma / d mu, with mu held apart from x
    dsigma = dsigma_direct + dsigma_mu.subs(centred, zero) * dmu
    xh = (x[p] - mu) / sigma_s
    local = sp.diff(xh, x[i]) + sp.diff(xh, mu) * dmu + sp.diff(xh, sigma_s) * dsigma
    chained = sp.Sum(U[p] * local, (p, 0, n - 1))
    collapsed = in_range(sp.expand(chained).doit())
    rewritten = sp.expand(_in_xhat(collapsed))
    closed = (
        n * U[i] - sp.Sum(U[p], (p, 0, n - 1)) - xhat[i] * sp.Sum(U[k] * xhat[k], (k, 0, n - 1))
    ) / (n * sigma_s)
    steps = (
        Step("forward", xhat[p], xh),
        Step("mean", mu, mean),
        Step("standard deviation", sigma_s, root.subs(mu, mu)),
        Step("d mu / d x_i", sp.Derivative(mu, x[i]), dmu),
        Step("d sigma / d x_i, direct", sp.Derivative(sigma_s, x[i]), dsigma_direct),
        Step("centred values sum to 0", centred, zero),
        Step("d sigma / d x_i, total", sp.Derivative(sigma_s, x[i]), sp.factor(dsigma)),
        Step("local derivative", sp.Derivative(xhat[p], x[i]), local),
        Step("chain rule", partial("x", i), chained),
        Step("Kronecker collapse", partial("x", i), collapsed),
        Step("x through xhat", partial("x", i), rewritten),
        Step("closed form", partial("x", i), closed),
    )
    return Derivation("normalised gradient", steps, (U, xhat), {U: (n,), xhat: (n,)}, ((i, n),))


def closed_form_residual(n: sp.Symbol = N) -> sp.Basic:
    """The rewritten chain-rule result minus the closed form, simplified: 0 at symbolic N.

    SymPy needs the identity ``sum_k xhat_k = 0`` (the centred values over sigma) once more;
    it is substituted here after being proved the same way.

    >>> closed_form_residual()
    0
    """
    d = normalised_gradient(n)
    closed = d["closed form"].rhs.replace(  # one name for the summed index of both sums
        lambda e: isinstance(e, sp.Sum) and e.limits[0][0] == k, lambda e: e.change_index(k, k, p)
    )
    difference = sp.simplify(d["x through xhat"].rhs - closed)
    return sp.simplify(difference.subs(sp.Sum(xhat[k], (k, 0, n - 1)), 0))


@sp.cacheit
def batchnorm_gradient() -> Derivation:
    """dL/dx_ij of batch normalization: the closed form with ``U = gamma_j G[:, j]``.

    Evaluate with ``G=`` (N, D), ``xhat=`` (N, D), ``gamma=`` (D,) and ``sigma=`` (D,).

    >>> d = batchnorm_gradient()
    >>> d.result.has(sp.Sum(G[p, j], (p, 0, N - 1)))  # the coupling: every sample's G
    True
    >>> xhat_ = np.array([[-1.0], [0.0], [1.0]]) * np.sqrt(1.5)  # mean 0, variance 1
    >>> d.evaluate(G=[[1.0], [0.0], [0.0]], xhat=xhat_, gamma=[1.0], sigma=[1.0])
    array([[ 0.16666667], [-0.33333333], [ 0.16666667]])
    """
    closed = normalised_gradient()["closed form"].rhs
    in_column = closed.replace(
        lambda e: isinstance(e, sp.Indexed) and e.base in (U, xhat),
        lambda e: (gamma[j] * G[e.indices[0], j]) if e.base == U else xhat[e.indices[0], j],
    ).subs(sigma_s, sigma[j])
    result = sp.factor_terms(in_column)
    steps = (
        Step("one column, U = gamma G", partial("x", i, j), in_column),
        Step("gamma factored out", partial("x", i, j), result),
    )
    dims = {G: (N, D), xhat: (N, D), gamma: (D,), sigma: (D,)}
    return Derivation("batch norm dx", steps, (G, xhat, gamma, sigma), dims, ((i, N), (j, D)))


@sp.cacheit
def scale_shift_gradients() -> dict[str, Derivation]:
    """dL/dgamma_j and dL/dbeta_j of ``out = gamma * xhat + beta`` at symbolic N, D.

    Evaluate ``"gamma"`` with ``G=`` and ``xhat=`` (N, D), ``"beta"`` with ``G=``.

    >>> scale_shift_gradients()["gamma"].result
    Sum(G[p, j]*xhat[p, j], (p, 0, N - 1))
    """
    forward = gamma[q] * xhat[p, q] + beta[q]
    result = {}
    for name, base, inputs in (("gamma", gamma, (G, xhat)), ("beta", beta, (G,))):
        local = sp.diff(forward, base[j])  # 1{q = j} xhat[p, q], or 1{q = j}
        chained = chain(local, (q, 0, D - 1), (p, 0, N - 1))
        collapsed = in_range(chained.doit())
        steps = (
            Step("forward", out[p, q], forward),
            Step("local derivative", sp.Derivative(out[p, q], base[j]), local),
            Step("chain rule", partial(name, j), chained),
            Step("Kronecker collapse", partial(name, j), collapsed),
        )
        dims = {G: (N, D), xhat: (N, D)}
        result[name] = Derivation(f"d{name}", steps, inputs, dims, ((j, D),))
    return result


def normalise_array(v: sp.Array, axis: int, gamma_: sp.Array, beta_: sp.Array) -> sp.Array:
    """``gamma * (v - mean) / sqrt(var + eps) + beta`` of a symbol array (N, D), with the
    statistics over ``axis`` (0: batch norm, 1: layer norm) and eps = 1e-5 exactly."""
    n, d = (int(s) for s in v.shape)
    lines = range(d) if axis == 0 else range(n)
    size = n if axis == 0 else d
    entries = {}
    for line in lines:
        at = [(r, line) for r in range(n)] if axis == 0 else [(line, c) for c in range(d)]
        m = sum(v[a] for a in at) / size
        root = sp.sqrt(sum((v[a] - m) ** 2 for a in at) / size + EPS)
        for a in at:
            entries[a] = gamma_[a[1]] * (v[a] - m) / root + beta_[a[1]]
    return sp.Array([entries[(r, c)] for r in range(n) for c in range(d)], (n, d))


@sp.cacheit
def batchnorm_jacobian_symbols(n: int = 3, d: int = 2, mode: str = "train") -> Concrete:
    """d out / d x (n, d, n, d) of batch norm at eps = 1e-5, every entry by ``derive_by_array``.

    Train mode normalises with the batch's statistics, test mode with the running ones (symbol
    arrays ``m`` and ``v``). Evaluate with ``x=``, ``gamma=`` (and ``m=``, ``v=`` in test mode).

    >>> J = batchnorm_jacobian_symbols(3, 2)
    >>> J.shape, J.nonzero()  # only the entries within a column: 2 blocks of 3 x 3
    ((3, 2, 3, 2), 18)
    """
    v, g, b = symbol_array("x", (n, d)), symbol_array("gamma", (d,)), symbol_array("beta", (d,))
    inputs = {"x": v, "gamma": g}
    if mode == "train":
        value = normalise_array(v, 0, g, b)
    else:
        m, var = symbol_array("m", (d,)), symbol_array("v", (d,))
        inputs |= {"m": m, "v": var}
        value = sp.Array(
            [
                g[c] * (v[r, c] - m[c]) / sp.sqrt(var[c] + EPS) + b[c]
                for r in range(n)
                for c in range(d)
            ],
            (n, d),
        )
    return Concrete(f"d out/dx, {mode}", jacobian(value, v), inputs)


# -- the rows of verify_all ------------------------------------------------------------------------


class Point(NamedTuple):
    """A (4, 3) batch with a tie in one column and a constant one, its gradients by the layer,
    and its (3, 2) corner with the corner's symbolic Jacobians."""

    x: np.ndarray
    gamma: np.ndarray
    G: np.ndarray
    xhat: np.ndarray
    sigma: np.ndarray
    staged: tuple
    alt: tuple
    corner: np.ndarray
    corner_G: np.ndarray
    corner_J: np.ndarray
    test: dict
    test_J: np.ndarray


def _point(rng) -> Point:
    x = rng.normal(size=(4, 3)) * [1.0, 2.0, 0.5]
    x[1, 0] = x[2, 0]  # a tie: two samples equal in one column
    x[:, 2] = 0.75  # a constant column: variance 0, only eps keeps sigma above 0
    gamma, G = rng.uniform(0.5, 2.0, 3), rng.normal(size=(4, 3))
    centred = x - x.mean(axis=0)
    sigma = np.sqrt((centred**2).mean(axis=0) + 1e-5)  # written out here, not taken from the layer
    _, cache = bn_layer.batchnorm_forward(x, gamma, np.zeros(3), {"mode": "train"})
    corner, corner_G = x[:3, :2], G[:3, :2]
    corner_J = batchnorm_jacobian_symbols(3, 2).evaluate(x=corner, gamma=gamma[:2])
    test = {
        "mode": "test",
        "running_mean": rng.normal(size=2),
        "running_var": rng.uniform(0.5, 2, 2),
    }
    test_J = batchnorm_jacobian_symbols(3, 2, "test").evaluate(
        x=corner, gamma=gamma[:2], m=test["running_mean"], v=test["running_var"]
    )
    return Point(
        x, gamma, G, centred / sigma, sigma,
        bn_layer.batchnorm_backward(G, cache), bn_layer.batchnorm_backward_alt(G, cache),
        corner, corner_G, corner_J, test, test_J,
    )  # fmt: skip


def _corner_grads(a: Point, backward, mode="train"):
    param = {"mode": "train"} if mode == "train" else dict(a.test)
    _, cache = bn_layer.batchnorm_forward(a.corner, a.gamma[:2], np.zeros(2), param)
    return backward(a.corner_G, cache)[0]


ROWS = (  # quantity, symbolic value, numeric value
    (
        "dx closed form (index, symbolic N) = staged",
        lambda a: batchnorm_gradient().evaluate(G=a.G, xhat=a.xhat, **_gs(a)),
        lambda a: a.staged[0],
    ),
    (
        "dx closed form (index, symbolic N) = alt",
        lambda a: batchnorm_gradient().evaluate(G=a.G, xhat=a.xhat, **_gs(a)),
        lambda a: a.alt[0],
    ),
    (
        "dgamma, index notation",
        lambda a: scale_shift_gradients()["gamma"].evaluate(G=a.G, xhat=a.xhat),
        lambda a: a.staged[1],
    ),
    (
        "dbeta, index notation",
        lambda a: scale_shift_gradients()["beta"].evaluate(G=a.G),
        lambda a: a.staged[2],
    ),
    (
        "Jacobian (3,2,3,2) = batchnorm_jacobian",
        lambda a: a.corner_J,
        lambda a: bn_layer.batchnorm_jacobian(a.corner, a.gamma[:2], {"mode": "train"}),
    ),
    (
        "Jacobian contracted = staged dx",
        lambda a: jacobians.vjp(a.corner_J, a.corner_G),
        lambda a: _corner_grads(a, bn_layer.batchnorm_backward),
    ),
    (
        "Jacobian contracted = alt dx",
        lambda a: jacobians.vjp(a.corner_J, a.corner_G),
        lambda a: _corner_grads(a, bn_layer.batchnorm_backward_alt),
    ),
    (
        "test-mode Jacobian = batchnorm_jacobian",
        lambda a: a.test_J,
        lambda a: bn_layer.batchnorm_jacobian(a.corner, a.gamma[:2], dict(a.test)),
    ),
    (
        "test-mode Jacobian contracted = staged dx",
        lambda a: jacobians.vjp(a.test_J, a.corner_G),
        lambda a: _corner_grads(a, bn_layer.batchnorm_backward, "test"),
    ),
)


def _gs(a: Point) -> dict:
    return {"gamma": a.gamma, "sigma": a.sigma}


def verify_rows(rng: np.random.Generator) -> list[Check]:
    """The batch-norm rows of :func:`~backprop_core.symbolic.verify_all`.

    The closed form derived at symbolic N and the index-notation dgamma, dbeta at a (4, 3) batch
    with two tied samples in a column and a constant column (sigma = sqrt(eps)); the full
    Jacobian by ``derive_by_array`` at a (3, 2) corner, in train and test mode, against
    ``batchnorm_jacobian`` and both backward passes.

    >>> [row.passed for row in verify_rows(np.random.default_rng(0))].count(True)
    9
    """
    return table_rows("batchnorm", ROWS, _point(rng))


# -- the trace method (workbook notebook 03a), step by step --------------------------------------


@sp.cacheit
def batchnorm_trace_method(n: int = 3) -> tuple:
    """dL/dx of one column of batch norm by differentials, each step an
    :class:`~backprop_core.symbolic.conventions.Equality` checked by SymPy at a batch of ``n``.

    With ``Pi = I - 1 1^T / N`` (centring), ``xc = Pi x``, ``sigma = sqrt(xc^T xc / N + eps)`` and
    ``xhat = xc / sigma``: ``dxc = Pi dx``, ``dsigma = xhat^T dx / N``,
    ``dxhat = (Pi - xhat xhat^T / N) dx / sigma``, so ``dl = U^T dxhat`` is read off as
    ``(N U - 1 1^T U - xhat xhat^T U) / (N sigma)``, the closed form of
    :func:`normalised_gradient`.

    >>> [e.holds for e in batchnorm_trace_method(2)]
    [True, True, True, True, True, True]
    """
    from .._checks import as_count
    from .conventions import Equality, Tex, first_order, is_zero, matrix_of_symbols

    as_count(n, "n")

    xs, dx, Us = (matrix_of_symbols(s, n, 1) for s in ("x", "dx", "U"))
    e = sp.Symbol("epsilon", positive=True)
    ones, Pi = sp.ones(n, 1), sp.eye(n) - sp.ones(n, n) / n

    def stats(v):  # centred values, sigma and xhat of the column v
        centred = Pi * v
        s = sp.sqrt((centred.T * centred)[0] / n + e)
        return centred, s, centred / s

    xc, s, xh = stats(xs)
    dxhat = (Pi - xh * xh.T / n) * dx / s
    grad = (Pi - xh * xh.T / n) * Us / s  # Pi and xhat xhat^T are symmetric
    closed = (n * Us - ones * (ones.T * Us) - xh * (xh.T * Us)) / (n * s)
    loss = (Us.T * xh)[0]  # U held fixed: the loss, linearised in xhat
    direct = sp.Matrix(n, 1, lambda r, _: sp.diff(loss, xs[r]))
    show = Tex
    checks = (
        ("centring is a projection", r"dx_c",
         r"\Pi\, dx,\ \ \Pi = I - \mathbf{1}\mathbf{1}^\top / N",
         first_order(lambda t: stats(xs + t * dx)[0]) - Pi * dx),
        ("differential of sigma", r"d\sigma", r"x_c^\top dx_c / (N\sigma) = \hat{x}^\top dx / N",
         first_order(lambda t: stats(xs + t * dx)[1]) - (xh.T * dx)[0] / n),
        ("differential of xhat", r"d\hat{x}", r"(dx_c - \hat{x}\, d\sigma)/\sigma"
         r" = \frac{1}{\sigma}\big(\Pi - \hat{x}\hat{x}^\top / N\big)\, dx",
         first_order(lambda t: stats(xs + t * dx)[2]) - dxhat),
        ("linearised loss", r"d\ell", r"U^\top d\hat{x} = \frac{1}{\sigma}\, U^\top"
         r"\big(\Pi - \hat{x}\hat{x}^\top / N\big)\, dx",
         first_order(lambda t: (Us.T * stats(xs + t * dx)[2])[0]) - (Us.T * dxhat)[0]),
        ("group the product", r"d\ell", r"\Big(\frac{1}{\sigma}\big(\Pi - \hat{x}\hat{x}^\top"
         r" / N\big) U\Big)^\top dx", (grad.T * dx)[0] - (Us.T * dxhat)[0]),
        ("read off the gradient", r"\frac{\partial \ell}{\partial x}",
         r"\frac{1}{N\sigma}\big(N U - \mathbf{1}\mathbf{1}^\top U - \hat{x}\hat{x}^\top U\big)",
         sp.Matrix.hstack(direct - closed, grad - closed)),
    )  # fmt: skip
    sig = sp.Symbol("sigma", positive=True)  # eps = sigma^2 - xc^T xc / N: sqrt(...) is sigma
    rational = {e: sig**2 - (xc.T * xc)[0] / n}
    return tuple(
        Equality(name, show(lhs), show(rhs), is_zero(sp.sympify(diff).subs(rational)))
        for name, lhs, rhs, diff in checks
    )
