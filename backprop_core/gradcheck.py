"""Numerical gradients by central differences, and a gradient check of a whole network.

The verdicts follow the scale of the cs231n notes on gradient checking
(https://cs231n.github.io/neural-networks-3/#gradcheck): a relative error of at most 1e-7 is good,
up to 1e-4 is acceptable only where the function has kinks (the ReLU at 0), and above 1e-2 the
gradient is probably wrong.

The step. Given explicitly, ``h`` is used exactly as given, so that its effect can be studied
(notebook 08 sweeps it). By default (``h=None``) it is chosen for the dtype and size of each entry:
``1e-5``, raised to ``|x| * eps ** (1/2)`` where ``x`` is large, in float64; ``eps ** (1/3) *
max(1, |x|)`` in float32, whose values carry only 7 digits (the larger step balances round-off
against the step's own error). The difference is then divided by the move actually stored.
:func:`gradcheck` goes further for a float32 model: like cs231n, it checks a float64 copy, since
a float32 loss cannot resolve the differences a good check needs.
"""

from __future__ import annotations

import copy
from typing import NamedTuple

import numpy as np

from ._checks import as_count, as_float_array, as_scalar, shape_got, shape_of


def _perturbable(x, name="x"):
    if isinstance(x, np.ndarray):
        if not np.issubdtype(x.dtype, np.floating):
            raise TypeError(
                f"{name} must be a floating-point array that f reads; got dtype {x.dtype}"
            )
        if not x.flags.writeable:
            raise ValueError(f"{name} must be writeable: it is nudged in place and restored")
        as_float_array(x, name)
        return x
    return as_float_array(x, name).copy()


def _steps(x):
    """The default step of each entry, for its dtype and size (see the module's docstring)."""
    eps = np.finfo(x.dtype).eps
    size = np.abs(x.astype(np.float64))
    if x.dtype.itemsize >= 8:
        return np.maximum(1e-5, size * eps**0.5)
    return eps ** (1 / 3) * np.maximum(1.0, size)


def _central_differences(f, x, h, contract):
    if not callable(f):
        raise TypeError(f"f must be a function of x; got {type(f).__name__}")
    grad = np.zeros(x.shape, dtype=np.float64)
    steps = _steps(x) if h is None else np.full(x.shape, h)
    for ix in np.ndindex(x.shape):
        old = x[ix]
        try:
            x[ix] = old + steps[ix]
            high = float(x[ix])  # the value actually stored, after rounding to x's dtype
            plus = contract(f(x))
            x[ix] = old - steps[ix]
            low = float(x[ix])
            minus = contract(f(x))
        finally:
            x[ix] = old
        # the move actually stored; an explicit h too small for x's dtype moves nothing: then,
        # as the formula says, the difference (0) is divided by 2h
        move = high - low if h is None else 2 * h
        grad[ix] = (plus - minus) / move
    return grad.astype(x.dtype, copy=False)


def _real(value, name):
    """``value`` as a real float array, or a TypeError saying what ``f`` returned instead."""
    try:
        array = np.asarray(value)  # None and other objects give an object array: refused below
    except ValueError:  # NumPy's "inhomogeneous shape": a ragged sequence
        raise TypeError(
            f"{name} must be a real number or array; got a ragged {type(value).__name__}"
        ) from None
    if array.dtype == object or not np.issubdtype(array.dtype, np.number):
        raise TypeError(f"{name} must be a real number or array; got {type(value).__name__}")
    if np.iscomplexobj(array):
        raise TypeError(f"{name} must be real; got complex values ({type(value).__name__})")
    return array.astype(np.float64)


def numerical_gradient(f, x, h=None):
    """Gradient of the scalar function ``f`` at ``x`` by central differences.

    Each entry of ``x`` is moved by ``+h`` and ``-h`` in place (so ``f`` may read ``x`` through a
    closure, as in ``lambda _: net.loss(X, y)[0]``) and put back, even if ``f`` raises. Where
    ``x`` is large the step grows with it (see the module's docstring).

    Parameters
    ----------
    f : callable
        ``f(x)`` returns a real scalar.
    x : ndarray of float, any shape
    h : float or None
        The step, used exactly as given; None (the default) chooses it for the dtype and size
        of each entry of ``x`` (see the module's docstring).

    Returns
    -------
    grad : ndarray, shape of ``x``

    >>> x = np.array([1.0, -2.0])
    >>> numerical_gradient(lambda v: float(np.sum(v**2)), x).round(6)
    array([ 2., -4.])
    """
    x = _perturbable(x)
    h = None if h is None else as_scalar(h, "h", positive=True)

    def scalar(value):
        value = _real(value, "f(x)")
        if value.size != 1:
            raise ValueError(f"f must return a scalar; got shape {value.shape}")
        return float(value.reshape(()))

    return _central_differences(f, x, h, scalar)


def numerical_gradient_array(f, x, dout, h=None):
    """Central-difference gradient of ``sum(f(x) * dout)``: an array function seen through ``dout``.

    This is what a backward pass computes: the upstream gradient ``dout`` (shape of ``f(x)``)
    contracted with the Jacobian of ``f`` at ``x``.

    >>> x = np.array([[1.0, 2.0]])
    >>> numerical_gradient_array(lambda v: 3 * v, x, np.array([[1.0, -1.0]])).round(6)
    array([[ 3., -3.]])
    """
    x = _perturbable(x)
    dout = as_float_array(dout, "dout")
    h = None if h is None else as_scalar(h, "h", positive=True)

    def contract(value):
        value = _real(value, "f(x)")
        if value.shape != dout.shape:
            raise ValueError(f"f(x) must have the shape of dout {dout.shape}; got {value.shape}")
        return float(np.sum(value * dout))

    return _central_differences(f, x, h, contract)


def rel_error(a, b, noise=0.0):
    """Largest entrywise relative error ``|a - b| / max(1e-8, |a| + |b|)`` (cs231n's measure).

    ``noise`` is how far ``b`` may be off by rounding alone (an absolute amount, such as the
    rounding error of a central difference): a gap within it counts as no gap.

    >>> rel_error([1.0, 2.0], [1.0, 2.0 + 2e-6])
    5e-07
    >>> rel_error([0.0], [3e-11]), rel_error([0.0], [3e-11], noise=1e-10)  # noise on a 0 gradient
    (0.003, 0.0)
    """
    a = as_float_array(a, "a")
    b = as_float_array(b, "b")
    noise = as_scalar(noise, "noise", minimum=0.0)
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape; got {a.shape} and {b.shape}")
    a, b = a.astype(np.float64) / 2, b.astype(np.float64) / 2  # halved: |a - b| cannot overflow
    gap = np.maximum(np.abs(a - b) - noise / 2, 0.0)
    return float(np.max(gap / np.maximum(0.5e-8, np.abs(a) + np.abs(b))))


ROUNDING = 4  # a central difference of L carries about ROUNDING * eps * |L| / h of rounding


def verdict(error, kinks=0):
    """Word for a relative error on cs231n's scale; ``kinks`` is how many ReLU inputs lie near 0.

    >>> verdict(3e-9), verdict(2e-6, kinks=4), verdict(2e-6), verdict(0.3)
    ('good', 'acceptable at kinks', 'suspicious', 'wrong')
    """
    error = as_scalar(error, "error", minimum=0.0)
    kinks = as_count(kinks, "kinks", minimum=0)
    if error <= 1e-7:
        return "good"
    if error <= 1e-4 and kinks:
        return "acceptable at kinks"
    if error <= 1e-2:
        return "suspicious"
    return "wrong"


class ParamCheck(NamedTuple):
    """One row of a :class:`GradcheckReport`."""

    name: str
    shape: tuple
    rel_error: float
    kinks: int
    verdict: str
    rounding: bool = False  # the verdict discounts the central difference's rounding error


class GradcheckReport(NamedTuple):
    """Per-parameter result of :func:`gradcheck`; ``ok`` when no verdict is suspicious or wrong.

    ``in_float64`` says that a float32 model was checked on a float64 copy.
    """

    rows: tuple
    in_float64: bool = False

    @property
    def ok(self):
        return all(row.verdict in ("good", "acceptable at kinks") for row in self.rows)

    def __str__(self):
        width = max(6, *(len(row.name) for row in self.rows))
        lines = [f"{'param':<{width}} {'shape':<12} {'rel. error':>10}  verdict"]
        for row in self.rows:
            explained = row.kinks and row.verdict != "good"
            note = f": {row.kinks} ReLU inputs within reach of 0" if explained else ""
            if row.rounding:
                note = ": the difference is within the rounding of a central difference"
            shape = str(row.shape)
            lines.append(
                f"{row.name:<{width}} {shape:<12} {row.rel_error:>10.1e}  {row.verdict}{note}"
            )
        if self.in_float64:
            lines.append("(a float32 model, checked on a float64 copy as cs231n does)")
        return "\n".join(lines)


def gradcheck(model, X, y, reg=0.0, h=1e-5):
    """Compare ``model.loss``'s analytic gradients with central differences, parameter by parameter.

    ``model`` is anything with a ``params`` dict of float arrays and ``loss(X, y, reg=reg)``
    returning ``(loss, grads)`` keyed like ``params``: a :class:`~backprop_core.net.TwoLayerNet`,
    or a model of your own written the cs231n way (with ``reg == 0`` it is called as
    ``loss(X, y)``, so a model that keeps its regularisation strength itself works too). If the
    model has ``kinks_within(X, h)``, the report says how many kinks a step of ``h`` can cross in
    each parameter, which explains an error that is otherwise too large. A float32 model is
    checked on a float64 copy of itself (the report says so); the model itself is not changed.
    A float ``X`` must be finite; any other ``X`` (integer indices, None) reaches the model as
    given, except for a float32 model, whose ``X`` is converted to float64 with it.

    The error shown is cs231n's; the verdict discounts the rounding error of the central
    difference itself, ``ROUNDING * eps * |L| / h`` (about 1e-10 for a loss near 1), and says so
    where that changes it: where a gradient is exactly 0, such as a bias that batch norm cancels,
    the plain measure reads the difference's rounding as an error of 1e-3.

    >>> from backprop_core import TwoLayerNet
    >>> net = TwoLayerNet(3, 5, 2, std=0.5, seed=1)
    >>> X = np.random.default_rng(0).normal(size=(4, 3)); y = np.array([0, 1, 1, 0])
    >>> print(gradcheck(net, X, y, reg=0.1))  # doctest: +ELLIPSIS
    param  shape        rel. error  verdict
    W1     (3, 5)          ...e-...  good
    b1     (5,)            ...e-...  good
    W2     (5, 2)          ...e-...  good
    b2     (2,)            ...e-...  good
    """
    params = getattr(model, "params", None)
    if not isinstance(params, dict) or not callable(getattr(model, "loss", None)):
        raise TypeError(
            "model must have a params dict and a loss(X, y, reg=...) method; "
            f"got {type(model).__name__}"
        )
    if not params:
        raise ValueError("model.params must hold at least one parameter to check; got {}")
    reg = as_scalar(reg, "reg", minimum=0.0)
    h = as_scalar(h, "h", positive=True)
    if isinstance(X, np.ndarray) and X.dtype.kind == "f":  # a NaN would pass every check
        as_float_array(X, "X")  # (other X, such as indices or None, reach the model as given)
    low_precision = [n for n, p in params.items() if getattr(p, "dtype", None) == np.float32]
    if low_precision:  # cs231n checks in float64: a float32 loss cannot resolve the differences
        model = copy.deepcopy(model)
        for name in low_precision:
            model.params[name] = model.params[name].astype(np.float64)
        params = model.params
        X = as_float_array(X, "X").astype(np.float64)

    def loss():
        return model.loss(X, y, reg=reg) if reg else model.loss(X, y)

    value, analytic = loss()
    try:
        size = abs(float(value))  # a Python or NumPy number, or a 0-d array
    except (TypeError, ValueError):
        raise TypeError(
            f"model.loss must return (loss, grads) with loss a number; got {type(value).__name__}"
        ) from None
    noise = ROUNDING * np.finfo(np.float64).eps * max(1.0, size) / h
    counts = model.kinks_within(X, h) if callable(getattr(model, "kinks_within", None)) else {}
    rows = []
    for name, param in params.items():
        if not isinstance(param, np.ndarray):
            raise TypeError(
                f"params['{name}'] must be an ndarray that model.loss reads; "
                f"got {type(param).__name__}"
            )
        param = _perturbable(param, f"params['{name}']")
        grad = analytic.get(name) if isinstance(analytic, dict) else None
        if shape_of(grad) != param.shape:
            raise ValueError(
                f"model.loss must return grads['{name}'] with the shape of params['{name}'] "
                f"{param.shape}; got {shape_got(grad)}"
            )
        numeric = numerical_gradient(lambda _: loss()[0], param, h)
        error = rel_error(grad, numeric)
        near = counts.get(name, 0)
        word = verdict(rel_error(grad, numeric, noise), near)
        rounding = word != verdict(error, near)
        rows.append(ParamCheck(name, param.shape, error, near, word, rounding))
    return GradcheckReport(tuple(rows), in_float64=bool(low_precision))
