"""Layer normalization (Ba, Kiros & Hinton, 2016): batch normalization on the transpose.

Each row (sample) of x (N, D) is normalised by its own mean and standard deviation over its D
features, ``xhat = (x - mu) / sqrt(var + eps)``, then ``out = gamma * xhat + beta`` with gamma
and beta (D,) as in batch norm. No statistic crosses samples, so training and testing compute
the same thing and there are no running averages. The kernels are those of
:mod:`~backprop_core.layers.batchnorm` with the statistics taken along axis 1.
"""

from __future__ import annotations

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
from .batchnorm import check_affine_params, normalisation_jacobian, normalised_backward, statistics


class LayernormCache(NamedTuple):
    """What :func:`layernorm_backward` needs, for x (N, D).

    ``xc`` (N, D) is x minus each row's mean, ``std`` (N,) each row's ``sqrt(var + eps)``,
    ``xhat`` (N, D) the normalised input ``xc / std[:, None]`` and ``gamma`` (D,) the scale.
    """

    xc: np.ndarray
    std: np.ndarray
    xhat: np.ndarray
    gamma: np.ndarray


def forward(x, gamma, beta, eps):
    """Kernel of :func:`layernorm_forward`, for trusted arrays."""
    _, _, xc, std, xhat = statistics(x, eps, axis=1)
    return gamma * xhat + beta, LayernormCache(xc, std, xhat, gamma)


def backward(dout, cache):
    """Kernel of :func:`layernorm_backward`: batch norm's closed form along axis 1."""
    _, std, xhat, gamma = cache
    dbeta = dout.sum(axis=0)  # gamma and beta still act per column, shared by every sample
    dgamma = (dout * xhat).sum(axis=0)
    return normalised_backward(dout * gamma, xhat, std, axis=1), dgamma, dbeta


def read_ln_param(ln_param):
    """``eps`` from ``ln_param`` (default 1e-5), checked."""
    if not isinstance(ln_param, dict):
        raise TypeError(f"ln_param must be a dict (keys: 'eps'); got {type(ln_param).__name__}")
    unknown = sorted(str(k) for k in ln_param if k != "eps")
    if unknown:
        raise ValueError(f"ln_param has unknown key(s) {unknown}; the only key is 'eps'")
    return as_scalar(ln_param.get("eps", 1e-5), "ln_param['eps']", positive=True)


def layernorm_forward(x, gamma, beta, ln_param):
    """Layer normalization of x (N, D), row by row: ``gamma * xhat + beta``.

    Parameters
    ----------
    x : array_like, shape (N, D)
    gamma, beta : array_like, shape (D,)
    ln_param : dict
        ``eps`` (default 1e-5). Not changed.

    Returns
    -------
    out : ndarray, shape (N, D)
    cache : LayernormCache
        For :func:`layernorm_backward`.

    >>> out, cache = layernorm_forward([[1.0, 3.0], [0.0, 10.0]], [1.0, 1.0], [0.0, 0.0], {})
    >>> out.round(4)
    array([[-1., 1.], [-1., 1.]])
    """
    x = as_float_array(x, "x", ndim=2)
    gamma, beta = check_affine_params(gamma, beta, x.shape[1], x.shape)
    return forward(x, gamma, beta, read_ln_param(ln_param))


def layernorm_backward(dout, cache):
    """Gradients of layer normalization: batch norm's closed form with the roles of axes swapped.

    Row by row (sums over the D features), with ``dxhat = dout * gamma``:
    ``dx = (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)) / sigma``; ``dgamma`` and ``dbeta``
    sum over the samples, as in batch norm.

    Parameters
    ----------
    dout : array_like, shape (N, D)
    cache : LayernormCache
        From :func:`layernorm_forward`.

    Returns
    -------
    dx : ndarray, shape (N, D)
    dgamma, dbeta : ndarray, shape (D,)

    >>> out, cache = layernorm_forward([[1.0, 3.0, 8.0]], [1.0, 1.0, 1.0], [0.0, 0.0, 0.0], {})
    >>> dx, dgamma, dbeta = layernorm_backward([[1.0, 1.0, 1.0]], cache)
    >>> dx.round(12) + 0.0, dbeta
    (array([[0., 0., 0.]]), array([1., 1., 1.]))
    """
    xc, std, xhat, gamma = as_cache(cache, "LayernormCache (xc, std, xhat, gamma)", 4)
    xhat = as_float_array(xhat, "cache.xhat", ndim=2)
    shape = xhat.shape
    xc = as_float_array(xc, "cache.xc", ndim=2)
    check_shape(xc, "cache.xc", shape, "", f"to match cache.xhat of shape {shape}")
    std = as_float_array(std, "cache.std", ndim=1)
    check_shape(std, "cache.std", (shape[0],), "(N,)", f"to match cache.xhat of shape {shape}")
    if not (std > 0).all():
        raise ValueError(f"cache.std must be > 0; got {first_offender(std, ~(std > 0))}")
    gamma = as_float_array(gamma, "cache.gamma", ndim=1)
    check_shape(gamma, "cache.gamma", (shape[1],), "(D,)", f"to match cache.xhat of shape {shape}")
    dout = as_float_array(dout, "dout", ndim=2)
    check_shape(dout, "dout", shape, "(N, D)", "to match the output of layernorm_forward")
    return backward(dout, LayernormCache(xc, std, xhat, gamma))


def layernorm_jacobian(x, gamma, ln_param, wrt="x"):
    """Jacobian of layer normalization's output with respect to ``"x"``, ``"gamma"`` or ``"beta"``.

    Parameters
    ----------
    x : array_like, shape (N, D)
    gamma : array_like, shape (D,)
    ln_param : dict
        As for :func:`layernorm_forward`.
    wrt : {"x", "gamma", "beta"}

    Returns
    -------
    ndarray
        ``"x"``: (N, D, N, D), zero unless the samples agree; sample p's (D, D) block is
        ``diag(gamma) (I - 1 1^T / D - xhat_p xhat_p^T / D) / sigma_p``: the transpose of batch
        norm's structure. ``"gamma"`` and ``"beta"``: (N, D, D), as for batch norm.

    >>> J = layernorm_jacobian([[1.0, 3.0], [0.0, 5.0]], [1.0, 1.0], {"eps": 1e-12}, "x")
    >>> J.shape, float(np.abs(J[0, :, 1, :]).max())  # sample 0's output ignores sample 1
    ((2, 2, 2, 2), 0.0)
    """
    x = as_float_array(x, "x", ndim=2)
    N, D = x.shape
    gamma, _ = check_affine_params(gamma, np.zeros(D), D, x.shape)
    eps = read_ln_param(ln_param)
    if not isinstance(wrt, str) or wrt not in ("x", "gamma", "beta"):
        raise ValueError(f"wrt must be one of 'x', 'gamma', 'beta'; got {wrt!r}")
    check_jacobian_size(
        (N, D, N, D) if wrt == "x" else (N, D, D), f"the Jacobian of out with respect to {wrt}"
    )
    _, cache = forward(x, gamma, np.zeros(D), eps)
    return normalisation_jacobian("train", cache.std, cache.xhat, gamma, wrt, axis=1)


STAGE = Stage(
    name="layernorm_backward",
    title="layer normalization out = gamma xhat + beta, per sample",
    signature="fn(dout, cache) -> (dx, dgamma, dbeta)",
    notebook="11-Batch-Normalization",
    numeric="backprop_core.layers.layernorm",
    debugging="backprop_core.debugging.layernorm",
    symbolic="backprop_core.symbolic.layernorm",
)

# -- what the registry's tests run ---------------------------------------------------------------
# pragma: no mutate block (the registry's test inputs below, not the engine: make mutation)


def _sample(rng, N=3, D=4):
    x = rng.standard_normal((N, D)) * [[1.0], [3.0], [0.5]] + [[0.0], [2.0], [-1.0]]
    return x, rng.standard_normal(D) + 1.5, rng.standard_normal(D)


def gradient_cases(rng):
    """dx, dgamma and dbeta of a (3, 4) batch whose rows have different scales and offsets."""
    x, gamma, beta = _sample(rng)
    dout = rng.standard_normal(x.shape)
    dx, dgamma, dbeta = layernorm_backward(dout, layernorm_forward(x, gamma, beta, {})[1])
    for label, arg, f, analytic in (
        ("dx", x, lambda v: layernorm_forward(v, gamma, beta, {})[0], dx),
        ("dgamma", gamma, lambda v: layernorm_forward(x, v, beta, {})[0], dgamma),
        ("dbeta", beta, lambda v: layernorm_forward(x, gamma, v, {})[0], dbeta),
    ):
        yield GradientCase(label, f, arg, dout, analytic)


def jacobian_cases(rng):
    """The Jacobians with respect to x, gamma and beta, with the gradient each contracts to."""
    x, gamma, beta = _sample(rng)
    dout = rng.standard_normal(x.shape)
    dx, dgamma, dbeta = layernorm_backward(dout, layernorm_forward(x, gamma, beta, {})[1])
    for wrt, arg, f, analytic in (
        ("x", x, lambda v: layernorm_forward(v, gamma, beta, {})[0], dx),
        ("gamma", gamma, lambda v: layernorm_forward(x, v, beta, {})[0], dgamma),
        ("beta", beta, lambda v: layernorm_forward(x, gamma, v, {})[0], dbeta),
    ):
        J = layernorm_jacobian(x, gamma, {}, wrt)
        yield JacobianCase(f"d out/d{wrt}", f, arg, J, dout, analytic)


__all__ = ["LayernormCache", "layernorm_backward", "layernorm_forward", "layernorm_jacobian"]
