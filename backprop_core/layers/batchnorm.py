"""Batch normalization (Ioffe & Szegedy, 2015): kernels, the checked cs231n functions, the full
Jacobian, and the spatial version for (N, C, H, W) images.

Each column j of x (N, D) is normalised by its batch mean and standard deviation,
``xhat = (x - mu) / sigma`` with ``sigma = sqrt(var + eps)``, then scaled and shifted:
``out = gamma * xhat + beta``. Training uses the batch's own statistics, so every output of a
column depends on every sample of the column; testing uses running averages, and the layer is a
fixed affine map of each entry. Both backward passes, :func:`batchnorm_backward` (the staged
graph, one node at a time) and :func:`batchnorm_backward_alt` (the simplified closed form),
accept the cache of either mode.

``bn_param`` is the one argument anything in ``backprop_core`` changes: in train mode
:func:`batchnorm_forward` stores new ``running_mean`` and ``running_var`` arrays in it, as the
cs231n assignment does (the arrays it held before are not written into).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from .._checks import (
    as_cache,
    as_float_array,
    as_scalar,
    check_jacobian_size,
    check_shape,
    first_offender,
)
from ..stage import GradientCase, JacobianCase, Stage


class BatchnormCache(NamedTuple):
    """What the backward passes need (shapes for batch norm of x (N, D)).

    ``mode`` is ``"train"`` or ``"test"``; ``xc`` (N, D) is x minus the mean used, ``std`` (D,)
    the standard deviation used (``sqrt(var + eps)``), ``xhat`` (N, D) the normalised input
    ``xc / std`` and ``gamma`` (D,) the scale.
    """

    mode: str
    xc: np.ndarray
    std: np.ndarray
    xhat: np.ndarray
    gamma: np.ndarray


# -- kernels, for trusted arrays; ``axis`` is where the statistics run (0 here, 1 for layer norm)


def statistics(x, eps, axis=0):
    """Mean, variance, centred input, standard deviation and ``xhat`` along ``axis``.

    Computed on x divided by its largest magnitude along ``axis``, so that no square overflows:
    ``xhat`` and ``std`` are finite for any finite x (the variance itself is infinite when it
    exceeds the float range, as it is then not representable). Where that magnitude is so small
    that ``eps / scale**2`` overflows (below about 1e-154 with eps = 1e-5), the variance is
    below ``eps * 1e-308``: ``std`` is ``sqrt(eps)`` there.
    """
    scale = np.abs(x).max(axis=axis, keepdims=True)
    scale[scale == 0] = 1
    scaled = x / scale
    mean_s = scaled.mean(axis=axis, keepdims=True)
    xc_s = scaled - mean_s
    var_s = (xc_s * xc_s).mean(axis=axis, keepdims=True)
    with np.errstate(over="ignore"):
        root = np.sqrt(var_s + (eps / scale) / scale)  # sigma / scale; inf for a tiny scale
        var = (var_s * scale) * scale
    xhat, std = xc_s / root, root * scale
    tiny = np.isinf(root)
    if tiny.any():  # a Python float keeps x's dtype
        std = np.where(tiny, math.sqrt(eps), std)
        xhat = np.where(tiny, (xc_s * scale) / math.sqrt(eps), xhat)
    mean = mean_s * scale
    return mean.squeeze(axis), var.squeeze(axis), xc_s * scale, std.squeeze(axis), xhat


def blend(momentum, running, batch):
    """``momentum * running + (1 - momentum) * batch``, where a weight of 0 drops its term.

    A running variance may be infinite (a batch's variance overflowed); ``0 * inf`` would make it
    NaN where momentum 1 should keep it and momentum 0 replace it.

    >>> blend(0.0, np.array([np.inf]), np.array([2.0])), blend(1.0, np.array([np.inf]), np.ones(1))
    (array([2.]), array([inf]))
    """
    dtype = np.result_type(running, batch)
    if momentum == 0:
        return batch.astype(dtype)
    if momentum == 1:
        return running.astype(dtype)
    return momentum * running + (1 - momentum) * batch


def forward(x, gamma, beta, mode, eps, running_mean, running_var, momentum):
    """Kernel of :func:`batchnorm_forward`: ``(out, cache, new running mean, new running var)``."""
    if mode == "train":
        mean, var, xc, std, xhat = statistics(x, eps)
        running_mean = blend(momentum, running_mean, mean)
        with np.errstate(over="ignore"):
            running_var = blend(momentum, running_var, var)
    else:  # test: the running statistics, a fixed affine map of each entry
        xc = x - running_mean.astype(x.dtype, copy=False)
        std = np.sqrt(running_var.astype(x.dtype, copy=False) + eps)
        xhat = xc / std
    out = gamma * xhat + beta  # (N, D)
    return out, BatchnormCache(mode, xc, std, xhat, gamma), running_mean, running_var


def backward(dout, cache):
    """Kernel of :func:`batchnorm_backward`: the staged graph, node by node, last node first."""
    mode, xc, std, xhat, gamma = cache
    N = dout.shape[0]
    dbeta = dout.sum(axis=0)  # out = gamma * xhat + beta
    dgamma = (dout * xhat).sum(axis=0)
    dxhat = dout * gamma  # (N, D)
    istd = 1 / std
    dxc = dxhat * istd  # xhat = xc * istd
    if mode == "test":  # mean and std are constants: nothing else depends on x
        return dxc, dgamma, dbeta
    distd = (dxhat * xc).sum(axis=0)  # (D,)
    dstd = -(distd * istd) * istd  # istd = 1 / std
    dvar = 0.5 * dstd * istd  # std = sqrt(var + eps)
    dxc += (2 / N) * xc * dvar  # var = mean(xc ** 2)
    dmu = -dxc.sum(axis=0)  # xc = x - mu
    dx = dxc + dmu / N  # mu = mean(x); x also reaches xc directly
    return dx, dgamma, dbeta


def backward_alt(dout, cache):
    """Kernel of :func:`batchnorm_backward_alt`: the closed form, three reductions."""
    mode, _, std, xhat, gamma = cache
    dbeta = dout.sum(axis=0)
    dgamma = (dout * xhat).sum(axis=0)
    if mode == "test":
        return dout * (gamma / std), dgamma, dbeta
    N = dout.shape[0]
    # sum(dxhat) = gamma * dbeta and sum(dxhat * xhat) = gamma * dgamma: the sums are reused
    dx = xhat * (dgamma / N)  # (N, D)
    dx += dbeta / N
    np.subtract(dout, dx, out=dx)
    dx *= gamma / std  # gamma / (N sigma) * (N dout - dbeta - xhat * dgamma)
    return dx, dgamma, dbeta


def normalised_backward(dxhat, xhat, std, axis):
    """``dx`` from ``dxhat`` for ``xhat`` normalised along ``axis`` with batch statistics.

    ``(dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)) / std``, the means along ``axis``:
    the coupling terms through the mean and the variance.
    """
    mean_d = dxhat.mean(axis=axis, keepdims=True)
    mean_dx = (dxhat * xhat).mean(axis=axis, keepdims=True)
    return (dxhat - mean_d - xhat * mean_dx) / np.expand_dims(std, axis)


# -- checked functions -----------------------------------------------------------------------------

MODES = ("train", "test")
KEYS = ("mode", "eps", "momentum", "running_mean", "running_var")


def check_mode(mode, name):
    """``mode`` if it is ``"train"`` or ``"test"``; a ValueError naming ``name`` otherwise."""
    if not isinstance(mode, str) or mode not in MODES:
        raise ValueError(f"{name} must be 'train' or 'test'; got {mode!r}")
    return mode


def read_bn_param(bn_param, D, dtype):
    """``(mode, eps, momentum, running_mean, running_var)`` from ``bn_param``, checked."""
    if not isinstance(bn_param, dict):
        raise TypeError(
            "bn_param must be a dict with 'mode' ('train' or 'test'); "
            f"got {type(bn_param).__name__}"
        )
    unknown = sorted(str(k) for k in bn_param if k not in KEYS)
    if unknown:
        raise ValueError(f"bn_param has unknown key(s) {unknown}; the keys are {list(KEYS)}")
    if "mode" not in bn_param:
        raise ValueError("bn_param must hold 'mode', 'train' or 'test'; got no 'mode' key")
    mode = check_mode(bn_param["mode"], "bn_param['mode']")
    eps = as_scalar(bn_param.get("eps", 1e-5), "bn_param['eps']", positive=True)
    momentum = as_scalar(bn_param.get("momentum", 0.9), "bn_param['momentum']", minimum=0.0)
    if momentum > 1:
        raise ValueError(f"bn_param['momentum'] must be in [0, 1]; got {momentum}")
    running = []
    for key in ("running_mean", "running_var"):
        if key not in bn_param:
            running.append(np.zeros(D, dtype=dtype))
            continue
        value = as_float_array(bn_param[key], f"bn_param['{key}']", ndim=1, finite=False)
        check_shape(value, f"bn_param['{key}']", (D,), "(D,)", f"for x with D = {D} columns")
        bad = np.isnan(value) if key == "running_var" else ~np.isfinite(value)
        if bad.any():
            raise ValueError(f"bn_param['{key}'] must be finite; got {first_offender(value, bad)}")
        running.append(value)
    if (running[1] < 0).any():
        got = first_offender(running[1], running[1] < 0)
        raise ValueError(f"bn_param['running_var'] must be >= 0; got {got}")
    return mode, eps, momentum, *running


def check_affine_params(gamma, beta, D, x_shape):
    """gamma and beta as float arrays of shape (D,) to match x."""
    gamma = as_float_array(gamma, "gamma", ndim=1)
    check_shape(gamma, "gamma", (D,), "(D,)", f"to match x of shape {x_shape}")
    beta = as_float_array(beta, "beta", ndim=1)
    check_shape(beta, "beta", (D,), "(D,)", f"to match x of shape {x_shape}")
    return gamma, beta


def batchnorm_forward(x, gamma, beta, bn_param):
    """Batch normalization of x (N, D), column by column: ``gamma * xhat + beta``.

    In train mode ``xhat = (x - mean) / sqrt(var + eps)`` with the batch's mean and biased
    variance (over axis 0), and ``bn_param`` gets new running averages,
    ``running = momentum * running + (1 - momentum) * batch statistic``. In test mode the
    running averages replace the batch statistics and keep their values (``bn_param`` then
    holds them as arrays: zeros where one was missing, an array where one was a list).

    Parameters
    ----------
    x : array_like, shape (N, D)
    gamma, beta : array_like, shape (D,)
        Scale and shift.
    bn_param : dict
        ``mode`` ('train' or 'test', required), ``eps`` (default 1e-5), ``momentum`` (default
        0.9), ``running_mean`` and ``running_var`` (shape (D,), zeros of x's dtype if absent).
        Changed in place: the one argument that is (both modes store the running arrays).

    Returns
    -------
    out : ndarray, shape (N, D)
    cache : BatchnormCache
        For :func:`batchnorm_backward` and :func:`batchnorm_backward_alt`.

    Examples
    --------
    >>> bn_param = {"mode": "train"}
    >>> out, cache = batchnorm_forward([[1.0], [3.0]], [2.0], [0.5], bn_param)
    >>> out.ravel().round(4), bn_param["running_mean"], bn_param["running_var"]
    (array([-1.5, 2.5]), array([0.2]), array([0.1]))
    """
    x = as_float_array(x, "x", ndim=2)
    D = x.shape[1]
    gamma, beta = check_affine_params(gamma, beta, D, x.shape)
    mode, eps, momentum, running_mean, running_var = read_bn_param(bn_param, D, x.dtype)
    out, cache, new_mean, new_var = forward(
        x, gamma, beta, mode, eps, running_mean, running_var, momentum
    )
    bn_param["running_mean"] = new_mean.astype(running_mean.dtype, copy=False)
    bn_param["running_var"] = new_var.astype(running_var.dtype, copy=False)
    return out, cache


def check_cache(dout, cache):
    """``(dout, cache)`` as trusted arrays, every shape agreeing."""
    mode, xc, std, xhat, gamma = as_cache(cache, "BatchnormCache (mode, xc, std, xhat, gamma)", 5)
    mode = check_mode(mode, "cache.mode")
    xhat = as_float_array(xhat, "cache.xhat", ndim=2)
    shape = xhat.shape
    xc = as_float_array(xc, "cache.xc", ndim=2)
    check_shape(xc, "cache.xc", shape, "", f"to match cache.xhat of shape {shape}")
    std = as_float_array(std, "cache.std", ndim=1)
    check_shape(std, "cache.std", (shape[1],), "", f"to match cache.xhat of shape {shape}")
    if not (std > 0).all():
        raise ValueError(f"cache.std must be > 0; got {first_offender(std, ~(std > 0))}")
    gamma = as_float_array(gamma, "cache.gamma", ndim=1)
    check_shape(gamma, "cache.gamma", (shape[1],), "(D,)", f"to match cache.xhat of shape {shape}")
    dout = as_float_array(dout, "dout", ndim=2)
    check_shape(dout, "dout", shape, "(N, D)", "to match the output of the forward pass")
    return dout, BatchnormCache(mode, xc, std, xhat, gamma)


def batchnorm_backward(dout, cache):
    """Gradients of batch normalization, through the staged graph one node at a time.

    The forward pass as a graph: ``mu = mean(x)``, ``xc = x - mu``, ``var = mean(xc ** 2)``,
    ``std = sqrt(var + eps)``, ``istd = 1 / std``, ``xhat = xc * istd``,
    ``out = gamma * xhat + beta``; the gradient is carried back through each node in turn. With a
    test-mode cache, mean and std are constants and ``dx = dout * gamma / std``. Exact while the
    batch variance is a representable float (|x| up to about 1e150 in float64); beyond,
    :func:`batchnorm_backward_alt` stays exact.

    Parameters
    ----------
    dout : array_like, shape (N, D)
    cache : BatchnormCache
        From :func:`batchnorm_forward`.

    Returns
    -------
    dx : ndarray, shape (N, D)
    dgamma, dbeta : ndarray, shape (D,)

    >>> out, cache = batchnorm_forward([[1.0], [3.0], [8.0]], [2.0], [0.0], {"mode": "train"})
    >>> dx, dgamma, dbeta = batchnorm_backward([[1.0], [1.0], [1.0]], cache)
    >>> dx.ravel().round(12) + 0.0, dbeta  # a shift of out in every sample: x cannot cause it
    (array([0., 0., 0.]), array([3.]))
    """
    return backward(*check_cache(dout, cache))


def batchnorm_backward_alt(dout, cache):
    """Gradients of batch normalization from the simplified closed form.

    With ``G = dout`` and ``sigma = std``, column by column (sums over the batch):
    ``dx = gamma / (N sigma) * (N G - sum(G) - xhat * sum(G * xhat))``; every sample's ``dx``
    depends on every other sample's ``G``. Test mode: ``dx = G * gamma / sigma``. Equal to
    :func:`batchnorm_backward` to rounding, and exact for any finite x.

    Parameters and returns as :func:`batchnorm_backward`.

    >>> out, cache = batchnorm_forward([[1.0], [2.0], [6.0]], [1.0], [0.0], {"mode": "train"})
    >>> batchnorm_backward_alt([[1.0], [0.0], [0.0]], cache)[0].ravel().round(4)
    array([ 0.1763, -0.2204,  0.0441])
    """
    return backward_alt(*check_cache(dout, cache))


def batchnorm_jacobian(x, gamma, bn_param, wrt="x"):
    """Jacobian of batch normalization's output with respect to ``"x"``, ``"gamma"`` or ``"beta"``.

    Reads ``bn_param`` (mode, eps, running statistics in test mode) and changes nothing in it.

    Parameters
    ----------
    x : array_like, shape (N, D)
    gamma : array_like, shape (D,)
    bn_param : dict
        As for :func:`batchnorm_forward`.
    wrt : {"x", "gamma", "beta"}

    Returns
    -------
    ndarray
        ``"x"``: (N, D, N, D), zero unless the columns agree; column j's (N, N) block is
        ``gamma_j / sigma_j * (I - 1 1^T / N - xhat_j xhat_j^T / N)`` in train mode and
        ``gamma_j / sigma_j * I`` in test mode. ``"gamma"``: (N, D, D), ``1{q = j} xhat[p, q]``.
        ``"beta"``: (N, D, D), ``1{q = j}``.

    >>> J = batchnorm_jacobian([[1.0], [3.0]], [1.0], {"mode": "train", "eps": 1e-12})
    >>> J[:, 0, :, 0].round(6) + 0.0  # (I - 11^T/2 - xhat xhat^T/2) / sigma, sigma = 1
    array([[0., 0.], [0., 0.]])
    """
    x = as_float_array(x, "x", ndim=2)
    N, D = x.shape
    gamma, _ = check_affine_params(gamma, np.zeros(D), D, x.shape)
    mode, eps, momentum, running_mean, running_var = read_bn_param(bn_param, D, x.dtype)
    if not isinstance(wrt, str) or wrt not in ("x", "gamma", "beta"):
        raise ValueError(f"wrt must be one of 'x', 'gamma', 'beta'; got {wrt!r}")
    shape = (N, D, N, D) if wrt == "x" else (N, D, D)
    check_jacobian_size(shape, f"the Jacobian of out with respect to {wrt}")
    _, cache, _, _ = forward(x, gamma, np.zeros(D), mode, eps, running_mean, running_var, momentum)
    return normalisation_jacobian(mode, cache.std, cache.xhat, gamma, wrt, axis=0)


def normalisation_jacobian(mode, std, xhat, gamma, wrt, axis):
    """The Jacobian of :func:`batchnorm_jacobian` (``axis=0``) or of layer norm (``axis=1``)."""
    N, D = xhat.shape
    dtype = np.result_type(xhat, gamma)
    cols = np.arange(D)
    if wrt in ("gamma", "beta"):
        J = np.zeros((N, D, D), dtype=dtype)
        J[:, cols, cols] = xhat if wrt == "gamma" else 1
        return J
    J = np.zeros((N, D, N, D), dtype=dtype)
    if axis == 0:  # one (N, N) block per column j, between out[:, j] and x[:, j]
        M, blocks_of = N, xhat.T  # (D, N)
        eye = np.eye(M, dtype=bool)  # booleans keep the other operand's dtype
        coupling = (
            0.0 if mode == "test" else (1 + blocks_of[:, :, None] * blocks_of[:, None, :]) / M
        )
        blocks = (gamma / std)[:, None, None] * (eye - coupling)  # (D, N, N)
        J[:, cols, :, cols] = blocks
    else:  # one (D, D) block per sample p, between out[p] and x[p]
        rows = np.arange(N)
        eye = np.eye(D, dtype=bool)
        coupling = (1 + xhat[:, :, None] * xhat[:, None, :]) / D  # (N, D, D)
        blocks = gamma[None, :, None] * (eye - coupling) / std[:, None, None]
        J[rows, :, rows, :] = blocks
    return J


# -- spatial batch normalization: x (N, C, H, W), statistics per channel over N, H and W ---------


def spatial_batchnorm_forward(x, gamma, beta, bn_param):
    """Batch normalization of images, one channel at a time over the batch and every pixel.

    x (N, C, H, W) is read as N * H * W samples of C features and passed to
    :func:`batchnorm_forward`; ``bn_param`` holds statistics of shape (C,).

    Parameters
    ----------
    x : array_like, shape (N, C, H, W)
    gamma, beta : array_like, shape (C,)
    bn_param : dict
        As for :func:`batchnorm_forward`.

    Returns
    -------
    out : ndarray, shape (N, C, H, W)
    cache : BatchnormCache
        Of the (N * H * W, C) batch norm, for :func:`spatial_batchnorm_backward`.

    >>> x = np.arange(8.0).reshape(2, 1, 2, 2)
    >>> out, cache = spatial_batchnorm_forward(x, [1.0], [0.0], {"mode": "train"})
    >>> out.shape, round(float(out.mean()), 12) + 0.0, round(float(out.std()), 4)
    ((2, 1, 2, 2), 0.0, 1.0)
    """
    x = as_float_array(x, "x", ndim=4)
    N, C, H, W = x.shape
    gamma, beta = check_affine_params(gamma, beta, C, x.shape)
    flat = x.transpose(0, 2, 3, 1).reshape(-1, C)  # (N H W, C)
    out, cache = batchnorm_forward(flat, gamma, beta, bn_param)
    return out.reshape(N, H, W, C).transpose(0, 3, 1, 2), cache


def spatial_batchnorm_backward(dout, cache):
    """Gradients of :func:`spatial_batchnorm_forward`, by :func:`batchnorm_backward_alt`.

    Parameters
    ----------
    dout : array_like, shape (N, C, H, W)
    cache : BatchnormCache
        From :func:`spatial_batchnorm_forward`.

    Returns
    -------
    dx : ndarray, shape (N, C, H, W)
    dgamma, dbeta : ndarray, shape (C,)

    >>> x = np.arange(8.0).reshape(2, 1, 2, 2)
    >>> out, cache = spatial_batchnorm_forward(x, [1.0], [0.0], {"mode": "train"})
    >>> dx, dgamma, dbeta = spatial_batchnorm_backward(np.ones_like(x), cache)
    >>> dx.shape, dbeta
    ((2, 1, 2, 2), array([8.]))
    """
    dout = as_float_array(dout, "dout", ndim=4)
    N, C, H, W = dout.shape
    flat = dout.transpose(0, 2, 3, 1).reshape(-1, C)
    dx, dgamma, dbeta = batchnorm_backward_alt(flat, cache)
    return dx.reshape(N, H, W, C).transpose(0, 3, 1, 2), dgamma, dbeta


STAGE = Stage(
    name="batchnorm_backward",
    title="batch normalization out = gamma xhat + beta",
    signature="fn(dout, cache) -> (dx, dgamma, dbeta)",
    notebook="11-Batch-Normalization",
    numeric="backprop_core.layers.batchnorm",
    debugging="backprop_core.debugging.batchnorm",
    symbolic="backprop_core.symbolic.batchnorm",
)

# -- what the registry's tests run ---------------------------------------------------------------
# pragma: no mutate block (the registry's test inputs below, not the engine: make mutation)


def _sample(rng, N=4, D=3):
    x = rng.standard_normal((N, D)) * [1.0, 3.0, 0.5] + [0.0, 2.0, -1.0]
    return x, rng.standard_normal(D) + 1.5, rng.standard_normal(D)


def _running(rng, D=3):
    return {
        "mode": "test",
        "running_mean": rng.standard_normal(D),
        "running_var": 0.5 + rng.random(D),
    }


def gradient_cases(rng):
    """dx, dgamma and dbeta in train mode, dx in test mode, and dx of the spatial version."""
    x, gamma, beta = _sample(rng)
    dout = rng.standard_normal(x.shape)
    train = lambda: {"mode": "train"}  # noqa: E731  a fresh dict: the forward pass writes into it
    dx, dgamma, dbeta = batchnorm_backward(dout, batchnorm_forward(x, gamma, beta, train())[1])
    yield GradientCase(
        "dx, train", lambda v: batchnorm_forward(v, gamma, beta, train())[0], x, dout, dx
    )
    yield GradientCase(
        "dgamma, train", lambda v: batchnorm_forward(x, v, beta, train())[0], gamma, dout, dgamma
    )
    yield GradientCase(
        "dbeta, train", lambda v: batchnorm_forward(x, gamma, v, train())[0], beta, dout, dbeta
    )
    test = _running(rng)
    dx_test = batchnorm_backward(dout, batchnorm_forward(x, gamma, beta, dict(test))[1])[0]
    f = lambda v: batchnorm_forward(v, gamma, beta, dict(test))[0]  # noqa: E731
    yield GradientCase("dx, test", f, x, dout, dx_test)
    images = rng.standard_normal((2, 3, 2, 2))
    dimages = rng.standard_normal(images.shape)
    _, cache = spatial_batchnorm_forward(images, gamma, beta, train())
    f = lambda v: spatial_batchnorm_forward(v, gamma, beta, train())[0]  # noqa: E731
    yield GradientCase(
        "dx, spatial", f, images, dimages, spatial_batchnorm_backward(dimages, cache)[0]
    )


def jacobian_cases(rng):
    """The Jacobians with respect to x, gamma and beta in train mode, and to x in test mode."""
    x, gamma, beta = _sample(rng)
    dout = rng.standard_normal(x.shape)
    train = {"mode": "train"}
    dx, dgamma, dbeta = batchnorm_backward(dout, batchnorm_forward(x, gamma, beta, dict(train))[1])
    for wrt, arg, f, analytic in (
        ("x", x, lambda v: batchnorm_forward(v, gamma, beta, dict(train))[0], dx),
        ("gamma", gamma, lambda v: batchnorm_forward(x, v, beta, dict(train))[0], dgamma),
        ("beta", beta, lambda v: batchnorm_forward(x, gamma, v, dict(train))[0], dbeta),
    ):
        J = batchnorm_jacobian(x, gamma, dict(train), wrt)
        yield JacobianCase(f"d out/d{wrt}, train", f, arg, J, dout, analytic)
    test = _running(rng)
    dx_test = batchnorm_backward(dout, batchnorm_forward(x, gamma, beta, dict(test))[1])[0]
    f = lambda v: batchnorm_forward(v, gamma, beta, dict(test))[0]  # noqa: E731
    J = batchnorm_jacobian(x, gamma, dict(test), "x")
    yield JacobianCase("d out/dx, test", f, x, J, dout, dx_test)


__all__ = [
    "BatchnormCache",
    "batchnorm_backward",
    "batchnorm_backward_alt",
    "batchnorm_forward",
    "batchnorm_jacobian",
    "spatial_batchnorm_backward",
    "spatial_batchnorm_forward",
]
