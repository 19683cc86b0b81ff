"""Inverted dropout: kernels, the checked cs231n pair, and its full Jacobian at a fixed mask.

At training time each entry of ``x`` is kept with probability ``p`` (the KEEP probability, as in
cs231n's assignment 2) and the kept ones are divided by ``p``, so that the expected output equals
``x``; at test time the layer is the identity (Srivastava et al. 2014 scale at test time instead;
the "inverted" form moves that scaling to training). The mask, scaling included, is drawn once in
the forward pass and kept in the cache: the backward pass multiplies by the same mask.

The mask is drawn with ``np.random.default_rng(seed)``. cs231n seeds the legacy global generator
(``np.random.seed(seed)``), so for the same seed the two draw different masks.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .._checks import as_cache, as_float_array, as_seed, check_jacobian_size, check_shape
from ..stage import GradientCase, JacobianCase, Stage

KEYS = ("p", "mode", "seed")  # what a dropout_param may hold; "seed" is optional


class DropoutCache(NamedTuple):
    """What ``dropout_backward`` needs: a copy of ``dropout_param`` and the ``mask``.

    ``mask`` has the shape of ``x`` and holds ``0`` or ``1/p`` at training time; it is None at
    test time, as in cs231n's cache ``(dropout_param, mask)``.
    """

    dropout_param: dict
    mask: np.ndarray | None


def draw_mask(shape, p, seed, dtype):
    """Kernel: a mask of ``shape`` holding ``1/p`` with probability ``p`` and ``0`` otherwise."""
    keep = np.random.default_rng(seed).random(shape) < p  # (shape,) booleans
    return keep.astype(dtype) / dtype.type(p)


def forward(x, dropout_param):
    """Kernel of :func:`dropout_forward`, for a trusted array and a checked ``dropout_param``."""
    if dropout_param["mode"] == "test":
        return x.copy(), DropoutCache(dict(dropout_param), None)
    mask = draw_mask(x.shape, dropout_param["p"], dropout_param.get("seed"), x.dtype)
    out = x * mask
    out += 0.0  # a dropped negative entry is -0.0 after the product: make it a plain 0
    return out, DropoutCache(dict(dropout_param), mask)


def backward(dout, cache):
    """Kernel of :func:`dropout_backward`: ``dout * mask`` in training, ``dout`` at test time."""
    dropout_param, mask = cache
    if dropout_param["mode"] == "test":
        return dout.copy()
    dx = dout * mask
    dx += 0.0  # no -0.0 where a negative dout meets a dropped entry
    return dx


def check_param(dropout_param, name="dropout_param"):
    """Return ``dropout_param`` checked: a dict with ``p`` in (0, 1], ``mode``, optional ``seed``.

    >>> check_param({"p": 0.5, "mode": "train"})
    {'p': 0.5, 'mode': 'train'}
    """
    if not isinstance(dropout_param, dict):
        raise TypeError(
            f"{name} must be a dict with keys 'p' and 'mode' (and optionally 'seed'); "
            f"got {type(dropout_param).__name__}"
        )
    unknown = [key for key in dropout_param if key not in KEYS]
    if unknown:
        raise ValueError(f"{name} may hold only 'p', 'mode' and 'seed'; got the key {unknown[0]!r}")
    for key in ("p", "mode"):
        if key not in dropout_param:
            raise ValueError(f"{name} must hold {key!r}; it has {sorted(dropout_param)}")
    p, mode = dropout_param["p"], dropout_param["mode"]
    if isinstance(p, bool) or not isinstance(p, int | float | np.integer | np.floating):
        raise TypeError(f"{name}['p'] must be a number in (0, 1], the keep probability; got {p!r}")
    if not 0 < float(p) <= 1:
        why = (
            ": nothing would be kept, and the kept entries are divided by p"
            if float(p) == 0
            else ""
        )
        raise ValueError(f"{name}['p'] must be in (0, 1], the keep probability; got {p}{why}")
    if not isinstance(mode, str) or mode not in ("train", "test"):
        raise ValueError(f"{name}['mode'] must be 'train' or 'test'; got {mode!r}")
    as_seed(dropout_param.get("seed"), f"{name}['seed']")
    return dropout_param


def dropout_forward(x, dropout_param):
    """Inverted dropout of an array of any shape: keep with probability ``p``, then divide by p.

    Parameters
    ----------
    x : array_like, any shape
    dropout_param : dict
        ``p`` (float in (0, 1]): the probability of KEEPING an entry; ``mode``: ``"train"``
        (drop and rescale) or ``"test"`` (identity); ``seed`` (optional): None, an int >= 0 or
        a ``numpy.random.Generator``, passed to ``np.random.default_rng``. The same int gives
        the same mask every call (what a gradient check needs); a Generator gives a new one.

    Returns
    -------
    out : ndarray, shape and dtype of ``x``
        ``x * mask`` in training, a copy of ``x`` at test time. A kept entry is ``x / p``, so an
        entry within ``p`` of the largest float overflows like any result beyond it.
    cache : DropoutCache
        ``(dropout_param, mask)``: a copy of the dict, and the mask (None at test time).

    >>> out, cache = dropout_forward(np.ones(6), {"p": 0.5, "mode": "train", "seed": 1})
    >>> out, cache.mask
    (array([0., 0., 2., 0., 2., 2.]), array([0., 0., 2., 0., 2., 2.]))
    >>> dropout_forward([1.0, 2.0], {"p": 0.5, "mode": "test"})[0]
    array([1., 2.])
    """
    x = as_float_array(x, "x")
    return forward(x, check_param(dropout_param))


def _check_cache(cache):
    dropout_param, mask = as_cache(cache, "DropoutCache (dropout_param, mask)", 2)
    dropout_param = check_param(dropout_param, "cache.dropout_param")
    if dropout_param["mode"] == "test":
        if mask is not None:
            raise ValueError("cache.mask must be None in test mode; got an array")
        return DropoutCache(dropout_param, None)
    if mask is None:
        raise ValueError("cache.mask must be an array in train mode; got None")
    mask = as_float_array(mask, "cache.mask")
    scale = mask.dtype.type(1) / mask.dtype.type(dropout_param["p"])
    if not ((mask == 0) | (mask == scale)).all():
        raise ValueError(
            f"cache.mask must hold only 0 and 1/p = {float(scale):g} for p = "
            f"{dropout_param['p']}: it is not the mask dropout_forward drew with this p"
        )
    return DropoutCache(dropout_param, mask)


def dropout_backward(dout, cache):
    """Gradient of inverted dropout: the upstream gradient times the SAME mask as the forward.

    Parameters
    ----------
    dout : array_like, shape of the layer's input
    cache : DropoutCache
        From :func:`dropout_forward`.

    Returns
    -------
    dx : ndarray, shape of ``dout``
        ``dout * mask`` (0 or ``dout / p``) in training; ``dout`` (a copy) at test time.

    >>> out, cache = dropout_forward(np.ones(6), {"p": 0.5, "mode": "train", "seed": 1})
    >>> dropout_backward(np.arange(6.0), cache)
    array([ 0.,  0.,  4.,  0.,  8., 10.])
    """
    cache = _check_cache(cache)
    dout = as_float_array(dout, "dout")
    if cache.mask is not None:
        check_shape(dout, "dout", cache.mask.shape, "", "to match the mask of dropout_forward")
    return backward(dout, cache)


def dropout_jacobian(x, dropout_param):
    """Jacobian of dropout at the mask ``dropout_forward(x, dropout_param)`` draws: ``diag(mask)``.

    Each output entry reads its own input only, times 0 or ``1/p``; at test time the Jacobian is
    the identity. Shape ``x.shape + x.shape``. With an int ``seed`` the mask, and so the
    Jacobian, is the one every forward call with that ``dropout_param`` uses.

    >>> dropout_jacobian([1.0, 1.0, 1.0], {"p": 0.5, "mode": "train", "seed": 1})
    array([[0., 0., 0.], [0., 0., 0.], [0., 0., 2.]])
    """
    x = as_float_array(x, "x")
    dropout_param = check_param(dropout_param)
    check_jacobian_size(x.shape + x.shape, "the dropout Jacobian")
    if dropout_param["mode"] == "test":
        slope = np.ones(x.shape, dtype=x.dtype)
    else:
        slope = forward(x, dropout_param)[1].mask
    return np.diag(slope.ravel()).reshape(x.shape + x.shape)


STAGE = Stage(
    name="dropout_backward",
    title="inverted dropout x * mask / p",
    signature="fn(dout, cache) -> dx",
    notebook="13-Dropout-and-Other-Losses",
    numeric="backprop_core.layers.dropout",
    debugging="backprop_core.debugging.dropout",
    symbolic="backprop_core.symbolic.dropout",
)

# -- what the registry's tests run ---------------------------------------------------------------
# pragma: no mutate block (the registry's test inputs below, not the engine: make mutation)

CASES = (  # label, shape, dropout_param
    ("train, p = 0.6, (3, 4)", (3, 4), {"p": 0.6, "mode": "train", "seed": 7}),
    ("train, p = 0.3, (2, 2, 3)", (2, 2, 3), {"p": 0.3, "mode": "train", "seed": 3}),
    ("test, (4,)", (4,), {"p": 0.6, "mode": "test"}),
)


def gradient_cases(rng):
    """dx in train mode (a matrix and a 3-d input, fixed seeds) and in test mode."""
    for label, shape, param in CASES:
        x, dout = rng.standard_normal(shape), rng.standard_normal(shape)
        analytic = dropout_backward(dout, dropout_forward(x, param)[1])
        f = lambda v, param=param: dropout_forward(v, param)[0]  # noqa: E731
        yield GradientCase(f"dx, {label}", f, x, dout, analytic)


def jacobian_cases(rng):
    """``diag(mask)`` of the same three cases; contracted with dout it gives dx."""
    for label, shape, param in CASES:
        x, dout = rng.standard_normal(shape), rng.standard_normal(shape)
        analytic = dropout_backward(dout, dropout_forward(x, param)[1])
        f = lambda v, param=param: dropout_forward(v, param)[0]  # noqa: E731
        J = dropout_jacobian(x, param)
        yield JacobianCase(f"d out/dx, {label}", f, x, J, dout, analytic)


__all__ = ["DropoutCache", "dropout_backward", "dropout_forward", "dropout_jacobian"]
