"""Max pooling of cs231n: naive loops, fast reshape and strided forms, checked pairs, the Jacobian.

``out[n, c, i, j] = max over the window x[n, c, s*i : s*i + ph, s*j : s*j + pw]`` with ``ph``,
``pw`` the pool's height and width and ``s`` its stride; ``x`` (N, C, H, W), ``out``
(N, C, H', W') with ``H' = 1 + (H - ph) // s``. Rows and columns past the last whole window are
read by no window and get a zero gradient.

Ties: max has no derivative where two entries of a window share the maximum. Every function here
sends the whole gradient to the FIRST maximum in row-major window order (what ``np.argmax`` of
the flattened window picks, as cs231n's im2col max-pool backward does; its reshape-based
``max_pool_backward_fast`` sends it to every tied maximum instead); naive, fast and Jacobian
agree exactly, ties included. Where windows overlap (stride < pool), an entry may win several
windows and receives the sum of their gradients.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .._checks import as_cache, as_count, as_float_array, check_jacobian_size, check_shape
from ..stage import GradientCase, JacobianCase, Stage

KEYS = ("pool_height", "pool_width", "stride")


class MaxPoolCache(NamedTuple):
    """What the backward pass needs: ``(x, pool_param)``, as cs231n's cache."""

    x: np.ndarray
    pool_param: dict


def _sizes(x, pool_param):
    ph, pw, s = (pool_param[key] for key in KEYS)
    return ph, pw, s, 1 + (x.shape[2] - ph) // s, 1 + (x.shape[3] - pw) // s


# -- naive kernels -------------------------------------------------------------------------------


def forward(x, pool_param):
    """Kernel of :func:`max_pool_forward_naive`, for trusted arguments."""
    ph, pw, s, Ho, Wo = _sizes(x, pool_param)
    N, C = x.shape[:2]
    out = np.empty((N, C, Ho, Wo), dtype=x.dtype)
    for n in range(N):
        for c in range(C):
            for i in range(Ho):
                for j in range(Wo):
                    out[n, c, i, j] = x[n, c, s * i : s * i + ph, s * j : s * j + pw].max()
    return out, MaxPoolCache(x, pool_param)


def backward(dout, cache):
    """Kernel of :func:`max_pool_backward_naive`: each window's gradient to its first maximum."""
    x, pool_param = cache
    ph, pw, s, Ho, Wo = _sizes(x, pool_param)
    N, C = x.shape[:2]
    dx = np.zeros(x.shape, dtype=np.result_type(dout, x))
    for n in range(N):
        for c in range(C):
            for i in range(Ho):
                for j in range(Wo):
                    window = x[n, c, s * i : s * i + ph, s * j : s * j + pw]
                    u, v = divmod(int(np.argmax(window)), pw)  # first maximum, row-major
                    dx[n, c, s * i + u, s * j + v] += dout[n, c, i, j]
    return dx


# -- fast kernels --------------------------------------------------------------------------------


def _tiles(x, ph, pw, s):
    return ph == pw == s and x.shape[2] % ph == 0 and x.shape[3] % pw == 0


def _window_entry(x, u, v, s, Ho, Wo):
    """Entry (u, v) of every window at once: a strided view of shape (N, C, H', W')."""
    return x[:, :, u : u + s * (Ho - 1) + 1 : s, v : v + s * (Wo - 1) + 1 : s]


def fast_forward(x, pool_param):
    """Kernel of :func:`max_pool_forward_fast`: a reshape when the pools tile x, else windows.

    Either way the maximum is taken as ``ph * pw`` elementwise maxima of whole-array views, one
    per window entry: NumPy's ``max`` over the two window axes of the reshaped array is about 30
    times slower (measured at (50, 32, 32, 32)), since it reduces over short strided axes.
    """
    ph, pw, s, Ho, Wo = _sizes(x, pool_param)
    N, C = x.shape[:2]
    if _tiles(x, ph, pw, s):
        tiles = x.reshape(N, C, Ho, ph, Wo, pw)  # a view: window (i, j) is tiles[:, :, i, :, j]
        entries = (tiles[:, :, :, u, :, v] for u in range(ph) for v in range(pw))
    else:
        entries = (_window_entry(x, u, v, s, Ho, Wo) for u in range(ph) for v in range(pw))
    out = next(entries).copy()
    for entry in entries:
        np.maximum(out, entry, out=out)
    return out, MaxPoolCache(x, pool_param)


def fast_backward(dout, cache):
    """Kernel of :func:`max_pool_backward_fast`: one pass per window entry, first maximum wins.

    Entry ``(u, v)`` of every window is visited in row-major order; it takes the window's
    gradient if it equals the window's maximum and no earlier entry did. A plain ``x == max``
    mask would route the gradient to every tied maximum.
    """
    x, pool_param = cache
    ph, pw, s, Ho, Wo = _sizes(x, pool_param)
    out = fast_forward(x, pool_param)[0]
    dx = np.zeros(x.shape, dtype=np.result_type(dout, x))
    routed = np.zeros(out.shape, dtype=bool)
    winners = []
    for u in range(ph):
        for v in range(pw):
            first = _window_entry(x, u, v, s, Ho, Wo) == out
            first &= ~routed
            routed |= first
            winners.append((u, v, first))
    # added in reverse, an entry that wins several overlapping windows sums their gradients in
    # the naive loop's window order: the same rounding, so naive and fast agree bit for bit
    for u, v, first in reversed(winners):
        _window_entry(dx, u, v, s, Ho, Wo)[...] += np.where(first, dout, 0)
    return dx


# -- the checked cs231n pairs ---------------------------------------------------------------------


def _checked(x, pool_param, where=""):
    """``x`` as a float array and a checked copy of ``pool_param``, or a clear error."""
    x = as_float_array(x, f"{where}x", ndim=4)
    name = f"{where}pool_param"
    if not isinstance(pool_param, dict):
        raise TypeError(
            f"{name} must be a dict with {', '.join(map(repr, KEYS))}; "
            f"got {type(pool_param).__name__}"
        )
    unknown = sorted(set(pool_param) - set(KEYS), key=str)
    missing = [key for key in KEYS if key not in pool_param]
    if unknown or missing:
        raise ValueError(
            f"{name} must hold exactly {', '.join(map(repr, KEYS))}; "
            f"missing {missing}, unknown {unknown}"
        )
    checked = {key: as_count(pool_param[key], f"{name}[{key!r}]") for key in KEYS}
    for axis, size, key in (("H", x.shape[2], "pool_height"), ("W", x.shape[3], "pool_width")):
        if checked[key] > size:
            raise ValueError(
                f"{name}[{key!r}] must be at most x's {axis} = {size}; got {checked[key]}"
            )
    return x, checked


def _checked_backward(dout, cache):
    x, pool_param = as_cache(cache, "MaxPoolCache (x, pool_param)", 2)
    x, pool_param = _checked(x, pool_param, where="cache.")
    _, _, _, Ho, Wo = _sizes(x, pool_param)
    dout = as_float_array(dout, "dout", ndim=4)
    check_shape(
        dout, "dout", (*x.shape[:2], Ho, Wo), "(N, C, H', W')", "to match the pooled output"
    )
    return dout, MaxPoolCache(x, pool_param)


def max_pool_forward_naive(x, pool_param):
    """Max pooling of a batch of images, one window at a time.

    Parameters
    ----------
    x : array_like, shape (N, C, H, W)
    pool_param : dict
        ``'pool_height'``, ``'pool_width'`` and ``'stride'``, each an int >= 1.

    Returns
    -------
    out : ndarray, shape (N, C, H', W')
        ``H' = 1 + (H - pool_height) // stride``, ``W'`` likewise; the dtype of x.
    cache : MaxPoolCache
        ``(x, pool_param)``, for :func:`max_pool_backward_naive`.

    >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
    >>> max_pool_forward_naive(x, {"pool_height": 2, "pool_width": 2, "stride": 2})[0]
    array([[[[ 5.,  7.], [13., 15.]]]])
    """
    return forward(*_checked(x, pool_param))


def max_pool_backward_naive(dout, cache):
    """Gradient of max pooling: each window's gradient goes to its first maximum.

    Parameters
    ----------
    dout : array_like, shape (N, C, H', W')
    cache : MaxPoolCache
        From :func:`max_pool_forward_naive` (or :func:`max_pool_forward_fast`).

    Returns
    -------
    dx : ndarray, shape (N, C, H, W)
        Zero except at each window's first maximum (row-major order), which receives the
        window's ``dout`` (summed when overlapping windows pick the same entry).

    >>> x = np.array([[[[1.0, 3.0], [3.0, 0.0]]]])  # a tie: 3 twice
    >>> _, cache = max_pool_forward_naive(x, {"pool_height": 2, "pool_width": 2, "stride": 2})
    >>> max_pool_backward_naive([[[[5.0]]]], cache)
    array([[[[0., 5.], [0., 0.]]]])
    """
    return backward(*_checked_backward(dout, cache))


def max_pool_forward_fast(x, pool_param):
    """:func:`max_pool_forward_naive` without loops: a reshape when the pools tile x.

    When ``pool_height == pool_width == stride`` divides H and W, ``x`` is reshaped (a view) to
    (N, C, H', ph, W', pw), whose entry ``[:, :, :, u, :, v]`` is entry (u, v) of every window;
    otherwise that entry of every window is a strided slice of x. The maximum is taken over
    these ``ph * pw`` views, elementwise. Same arguments and results.

    >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
    >>> max_pool_forward_fast(x, {"pool_height": 3, "pool_width": 3, "stride": 1})[0]
    array([[[[10., 11.], [14., 15.]]]])
    """
    return fast_forward(*_checked(x, pool_param))


def max_pool_backward_fast(dout, cache):
    """:func:`max_pool_backward_naive` without loops over windows, ties routed the same way.

    >>> x = np.array([[[[1.0, 3.0], [3.0, 0.0]]]])
    >>> _, cache = max_pool_forward_fast(x, {"pool_height": 2, "pool_width": 2, "stride": 2})
    >>> max_pool_backward_fast([[[[5.0]]]], cache)
    array([[[[0., 5.], [0., 0.]]]])
    """
    return fast_backward(*_checked_backward(dout, cache))


def max_pool_jacobian(x, pool_param):
    """Full Jacobian of max pooling: shape ``(N, C, H', W', N, C, H, W)``, one 1 per row.

    Entry ``[n, c, i, j, n, c, s*i + u, s*j + v]`` is 1 for the window's first maximum
    ``(u, v)`` and every other entry is 0: a selection matrix, the same routing as the backward.

    >>> J = max_pool_jacobian(np.arange(16.0).reshape(1, 1, 4, 4),
    ...                       {"pool_height": 2, "pool_width": 2, "stride": 2})
    >>> J.shape, J.reshape(4, 16).argmax(axis=1)
    ((1, 1, 2, 2, 1, 1, 4, 4), array([ 5,  7, 13, 15]))
    """
    x, pool_param = _checked(x, pool_param)
    ph, pw, s, Ho, Wo = _sizes(x, pool_param)
    N, C, H, W = x.shape
    check_jacobian_size((N, C, Ho, Wo, *x.shape), "the Jacobian of max pooling")
    J = np.zeros((N, C, Ho, Wo, N, C, H, W), dtype=x.dtype)
    for n, c, i, j in np.ndindex(N, C, Ho, Wo):
        u, v = divmod(int(np.argmax(x[n, c, s * i : s * i + ph, s * j : s * j + pw])), pw)
        J[n, c, i, j, n, c, s * i + u, s * j + v] = 1
    return J


STAGE = Stage(
    name="max_pool_backward_naive",
    title="max pooling out = max over each window",
    signature="fn(dout, cache) -> dx",
    notebook="12-Convolution-and-Pooling",
    numeric="backprop_core.layers.pool",
    debugging="backprop_core.debugging.pool",
    symbolic="backprop_core.symbolic.pool",
)

# -- what the registry's tests run: random inputs, so no window holds a tie -----------------------
# pragma: no mutate block (the registry's test inputs below, not the engine: make mutation)

SAMPLES = (  # label, x shape, pool_param
    ("2x2 stride 2", (2, 2, 4, 4), {"pool_height": 2, "pool_width": 2, "stride": 2}),
    ("3x3 stride 2, overlapping", (1, 2, 5, 5), {"pool_height": 3, "pool_width": 3, "stride": 2}),
)


def gradient_cases(rng):
    """dx of tiling and of overlapping pools, random inputs (ties have probability 0)."""
    for label, shape, param in SAMPLES:
        x = rng.standard_normal(shape)
        out, cache = max_pool_forward_naive(x, param)
        dout = rng.standard_normal(out.shape)
        f = lambda v, p=param: max_pool_forward_naive(v, p)[0]  # noqa: E731
        yield GradientCase(f"dx, {label}", f, x, dout, max_pool_backward_naive(dout, cache))


def jacobian_cases(rng):
    """The selection-matrix Jacobian of tiling and of overlapping pools."""
    for label, shape, param in SAMPLES:
        x = rng.standard_normal(shape)
        out, cache = max_pool_forward_naive(x, param)
        dout = rng.standard_normal(out.shape)
        f = lambda v, p=param: max_pool_forward_naive(v, p)[0]  # noqa: E731
        analytic = max_pool_backward_naive(dout, cache)
        yield JacobianCase(f"d out/dx, {label}", f, x, max_pool_jacobian(x, param), dout, analytic)


__all__ = [
    "MaxPoolCache",
    "max_pool_backward_fast",
    "max_pool_backward_naive",
    "max_pool_forward_fast",
    "max_pool_forward_naive",
    "max_pool_jacobian",
]
