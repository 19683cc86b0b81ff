"""The 2-D convolution of cs231n: naive loops, a fast im2col form, the checked pairs, the Jacobian.

``out[n, f, i, j] = sum_{c, u, v} xp[n, c, s*i + u, s*j + v] * w[f, c, u, v] + b[f]``, where
``xp`` is ``x`` padded with ``pad`` zeros on each side of both spatial axes and ``s`` the stride
(a cross-correlation, as in every deep-learning library). Shapes: ``x`` (N, C, H, W), ``w``
(F, C, HH, WW), ``b`` (F,), ``out`` (N, F, H', W') with ``H' = 1 + (H + 2 pad - HH) // stride``.
Like cs231n's naive version, sizes the stride does not divide are refused, not silently floored.

``forward``/``backward`` are the naive kernels (the loops the derivation reads like);
``fast_forward``/``fast_backward`` the im2col kernels (one matrix product forward, the affine
layer's backward). The cs231n-named functions check their arguments and call them.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .._checks import as_cache, as_count, as_float_array, check_jacobian_size, check_shape
from ..stage import GradientCase, JacobianCase, Stage


class ConvCache(NamedTuple):
    """What ``conv_backward_naive`` needs: ``(x, w, b, conv_param)``, as cs231n's cache."""

    x: np.ndarray
    w: np.ndarray
    b: np.ndarray
    conv_param: dict


class ConvFastCache(NamedTuple):
    """``conv_backward_fast``'s cache: cs231n's four entries and the im2col matrix ``cols``.

    ``cols`` holds a last column of ones, against which the bias is one more weight."""

    x: np.ndarray
    w: np.ndarray
    b: np.ndarray
    conv_param: dict
    cols: np.ndarray  # (N*H'*Wg, C*HH*WW + 1), Wg from grid_width


def out_size(size, kernel, stride, pad):
    """Output length along one axis: ``1 + (size + 2 pad - kernel) // stride``."""
    return 1 + (size + 2 * pad - kernel) // stride


def _pad(x, pad):
    if pad == 0:
        return x
    N, C, H, W = x.shape
    xp = np.zeros((N, C, H + 2 * pad, W + 2 * pad), dtype=x.dtype)
    xp[:, :, pad : pad + H, pad : pad + W] = x
    return xp


def _crop(xp, pad):
    return xp[:, :, pad : xp.shape[2] - pad, pad : xp.shape[3] - pad] if pad else xp


# -- naive kernels: one output entry at a time --------------------------------------------------


def forward(x, w, b, conv_param):
    """Kernel of :func:`conv_forward_naive`, for trusted arguments."""
    s, pad = conv_param["stride"], conv_param["pad"]
    (N, _, H, W), (F, _, HH, WW) = x.shape, w.shape
    Ho, Wo = out_size(H, HH, s, pad), out_size(W, WW, s, pad)
    xp = _pad(x, pad)
    out = np.empty((N, F, Ho, Wo), dtype=np.result_type(x, w, b))
    for n in range(N):
        for f in range(F):
            for i in range(Ho):
                for j in range(Wo):
                    window = xp[n, :, s * i : s * i + HH, s * j : s * j + WW]  # (C, HH, WW)
                    out[n, f, i, j] = np.sum(window * w[f]) + b[f]
    return out, ConvCache(x, w, b, conv_param)


def backward(dout, cache):
    """Kernel of :func:`conv_backward_naive`: each output entry hands its gradient back."""
    x, w, _, conv_param = cache
    s, pad = conv_param["stride"], conv_param["pad"]
    (N, F, Ho, Wo), (_, _, HH, WW) = dout.shape, w.shape
    xp = _pad(x, pad)
    dtype = np.result_type(dout, x, w)
    dxp, dw = np.zeros(xp.shape, dtype=dtype), np.zeros(w.shape, dtype=dtype)
    for n in range(N):
        for f in range(F):
            for i in range(Ho):
                for j in range(Wo):
                    g = dout[n, f, i, j]
                    rows, cols = slice(s * i, s * i + HH), slice(s * j, s * j + WW)
                    dw[f] += g * xp[n, :, rows, cols]  # the window this entry read
                    dxp[n, :, rows, cols] += g * w[f]  # the window gets the weights back
    db = dout.sum(axis=(0, 2, 3)).astype(dtype, copy=False)  # (F,)
    return _crop(dxp, pad).copy(), dw, db


# -- fast kernels: im2col, one matrix product ---------------------------------------------------


def _window_slices(u, v, stride, Ho, Wo):
    return slice(u, u + stride * (Ho - 1) + 1, stride), slice(v, v + stride * (Wo - 1) + 1, stride)


def im2col(x, HH, WW, stride, pad, ones=False):
    """Every receptive field of ``x`` as a row: shape (N*H'*W', C*HH*WW), rows in (n, i, j) order.

    Row ``(n, i, j)`` is the window ``xp[n, :, s*i : s*i + HH, s*j : s*j + WW]`` flattened, so
    that ``im2col(x) @ w.reshape(F, -1).T`` is the convolution. ``ones=True`` appends a column
    of ones (shape (N*H'*W', C*HH*WW + 1)), which folds the bias into the same product, as
    ``[x, 1] @ [[W], [b]]`` does for an affine layer. The array returned is the transpose of a
    C-contiguous array, built by one copy per kernel offset.

    >>> im2col(np.arange(9.0).reshape(1, 1, 3, 3), 2, 2, 1, 0)
    array([[0., 1., 3., 4.], [1., 2., 4., 5.], [3., 4., 6., 7.], [4., 5., 7., 8.]])
    """
    xp = _pad(x, pad)
    N, C = x.shape[:2]
    Ho, Wo = out_size(x.shape[2], HH, stride, pad), out_size(x.shape[3], WW, stride, pad)
    K, rows_out = C * HH * WW, N * Ho * Wo
    buffer = np.empty((K + int(ones), rows_out), dtype=x.dtype)
    cols_t = buffer[:K].reshape(C, HH, WW, N, Ho, Wo)
    for u in range(HH):
        for v in range(WW):
            rows, cols = _window_slices(u, v, stride, Ho, Wo)
            cols_t[:, u, v] = xp[:, :, rows, cols].transpose(1, 0, 2, 3)  # (C, N, Ho, Wo)
    if ones:
        buffer[K] = 1
    return buffer.T


def col2im(dcols, x_shape, HH, WW, stride, pad):
    """The adjoint of :func:`im2col`: each row's entries added back where they were read.

    One strided slice per kernel offset (HH*WW additions of whole arrays), never one per entry.

    >>> col2im(np.ones((4, 4)), (1, 1, 3, 3), 2, 2, 1, 0)[0, 0]
    array([[1., 2., 1.], [2., 4., 2.], [1., 2., 1.]])
    """
    N, C, H, W = x_shape
    Ho, Wo = out_size(H, HH, stride, pad), out_size(W, WW, stride, pad)
    d = dcols.T.reshape(C, HH, WW, N, Ho, Wo)  # free when dcols is the transpose of a C array
    dxp = np.zeros((N, C, H + 2 * pad, W + 2 * pad), dtype=dcols.dtype)
    for u in range(HH):
        for v in range(WW):
            rows, cols = _window_slices(u, v, stride, Ho, Wo)
            dxp[:, :, rows, cols] += d[:, u, v].transpose(1, 0, 2, 3)
    return _crop(dxp, pad)


def grid_width(W, WW, stride, pad):
    """Width of the output grid the fast kernels compute on: W' in general, and for stride 1
    the padded width W + 2 pad, whose last WW - 1 columns are discarded (see :func:`columns`)."""
    return W + 2 * pad if stride == 1 else out_size(W, WW, stride, pad)


def columns(x, HH, WW, stride, pad):
    """The transposed im2col matrix of the fast kernels, with a row of ones for the bias.

    Shape (C*HH*WW + 1, N*H'*Wg), ``Wg`` from :func:`grid_width`. With stride 1 the padded
    image is stored flat, one row of length Hp*Wp per (c, n); the window entry (u, v) of every
    output is then one contiguous slice of it, starting at ``u*Wp + v``, if each output row
    is taken Wp wide instead of W' wide: the extra WW - 1 outputs per row read across the
    edge, are computed and thrown away. Contiguous copies and additions are what make the
    stride-1 kernels fast; other strides copy strided slices.
    """
    if stride != 1:
        return im2col(x, HH, WW, stride, pad, ones=True).T  # a C-contiguous (K + 1, N*H'*W')
    N, C, H, W = x.shape
    Hp, Wp = H + 2 * pad, W + 2 * pad
    Ho, K = out_size(H, HH, stride, pad), C * HH * WW
    cols_t = np.empty((K + 1, N * Ho * Wp), dtype=x.dtype)
    cols_t[K] = 1
    flat = np.zeros((C, N, Hp * Wp + WW), dtype=x.dtype)  # WW - 1 spare: the last row's overrun
    flat[:, :, : Hp * Wp].reshape(C, N, Hp, Wp)[:, :, pad : pad + H, pad : pad + W] = x.transpose(
        1, 0, 2, 3
    )
    by_offset = cols_t[:K].reshape(C, HH, WW, N, Ho * Wp)
    for u in range(HH):
        for v in range(WW):
            start = u * Wp + v
            by_offset[:, u, v] = flat[:, :, start : start + Ho * Wp]
    return cols_t


def fold(dcols_t, x_shape, HH, WW, stride, pad):
    """The adjoint of :func:`columns` (without its row of ones): dx from (C*HH*WW, N*H'*Wg)."""
    N, C, H, W = x_shape
    Hp, Wp = H + 2 * pad, W + 2 * pad
    if stride != 1:
        return col2im(dcols_t.T, x_shape, HH, WW, stride, pad)
    Ho = out_size(H, HH, stride, pad)
    by_offset = dcols_t.reshape(C, HH, WW, N, Ho * Wp)
    flat = np.zeros((C, N, Hp * Wp + WW), dtype=dcols_t.dtype)
    for u in range(HH):
        for v in range(WW):
            start = u * Wp + v
            flat[:, :, start : start + Ho * Wp] += by_offset[:, u, v]
    dxp = flat[:, :, : Hp * Wp].reshape(C, N, Hp, Wp)
    return dxp[:, :, pad : pad + H, pad : pad + W].transpose(1, 0, 2, 3)


def fast_forward(x, w, b, conv_param):
    """Kernel of :func:`conv_forward_fast`: ``[w_rows, b] @ [cols, 1].T``, for trusted arguments.

    ``out`` is returned as a view of an (F, N, H', Wg) array (:func:`columns`), as cs231n's fast
    layer returns a transposed view: making it contiguous would cost a copy of the output.
    """
    s, pad = conv_param["stride"], conv_param["pad"]
    (N, _, H, W), (F, _, HH, WW) = x.shape, w.shape
    Ho, Wo, Wg = out_size(H, HH, s, pad), out_size(W, WW, s, pad), grid_width(W, WW, s, pad)
    dtype = np.result_type(x, w, b)
    cols_t = columns(x.astype(dtype, copy=False), HH, WW, s, pad)  # (K + 1, N*Ho*Wg)
    w_aug = np.concatenate([w.reshape(F, -1), b[:, None]], axis=1).astype(dtype, copy=False)
    out = (w_aug @ cols_t).reshape(F, N, Ho, Wg)[..., :Wo]  # the transpose of cols @ w_aug.T
    return out.transpose(1, 0, 2, 3), ConvFastCache(x, w, b, conv_param, cols_t.T)


def fast_backward(dout, cache):
    """Kernel of :func:`conv_backward_fast`: the affine layer's backward on the im2col matrix."""
    x, w, _, conv_param, cols = cache
    s, pad = conv_param["stride"], conv_param["pad"]
    (N, _, _, W), (F, _, HH, WW) = x.shape, w.shape
    Ho, Wo, Wg = dout.shape[2], dout.shape[3], grid_width(W, WW, s, pad)
    dout_t = np.zeros((F, N, Ho, Wg), dtype=np.result_type(dout, cols))  # 0 where thrown away
    dout_t[..., :Wo] = dout.transpose(1, 0, 2, 3)
    dout_t = dout_t.reshape(F, -1)  # (F, N*Ho*Wg): dout_rows.T
    dw_aug = (cols.T @ dout_t.T).T  # affine's x^T dout, (F, K + 1); the ones' column gives db
    dcols_t = w.reshape(F, -1).T @ dout_t  # affine's dout W^T, transposed: (K, N*Ho*Wg)
    dx = fold(dcols_t, x.shape, HH, WW, s, pad)
    return dx, dw_aug[:, :-1].reshape(w.shape).copy(), dw_aug[:, -1].copy()


# -- the checked cs231n pairs ---------------------------------------------------------------------


def _checked(x, w, b, conv_param, where=""):
    """``x``, ``w``, ``b`` as float arrays, a checked copy of ``conv_param``; or a clear error."""
    x = as_float_array(x, f"{where}x", ndim=4)
    w = as_float_array(w, f"{where}w", ndim=4)
    check_shape(
        w,
        f"{where}w",
        (None, x.shape[1], None, None),
        "(F, C, HH, WW)",
        f"to match x of shape {x.shape}",
    )
    b = as_float_array(b, f"{where}b", ndim=1)
    check_shape(b, f"{where}b", (w.shape[0],), "(F,)", f"to match w of shape {w.shape}")
    name = f"{where}conv_param"
    if not isinstance(conv_param, dict):
        raise TypeError(
            f"{name} must be a dict with 'stride' and 'pad'; got {type(conv_param).__name__}"
        )
    unknown = sorted(set(conv_param) - {"stride", "pad"}, key=str)
    missing = [key for key in ("stride", "pad") if key not in conv_param]
    if unknown or missing:
        raise ValueError(
            f"{name} must hold exactly 'stride' and 'pad'; missing {missing}, unknown {unknown}"
        )
    stride = as_count(conv_param["stride"], f"{name}['stride']")
    pad = as_count(conv_param["pad"], f"{name}['pad']", minimum=0)
    for axis, size, kernel in (("H", x.shape[2], w.shape[2]), ("W", x.shape[3], w.shape[3])):
        span = size + 2 * pad - kernel
        if span < 0:
            raise ValueError(
                f"w's kernel ({kernel}) must fit in the padded input along {axis}: "
                f"{axis} + 2 pad = {size + 2 * pad}; got a kernel of {kernel}"
            )
        if span % stride:
            raise ValueError(
                f"{axis} + 2 pad - kernel = {size} + 2*{pad} - {kernel} = {span} must be "
                f"divisible by the stride {stride}, so the windows tile the input exactly "
                "(cs231n's fast convolution asserts the same); change pad or stride"
            )
    return x, w, b, {"stride": stride, "pad": pad}


def conv_forward_naive(x, w, b, conv_param):
    """Convolution (a cross-correlation) of a batch of images with F filters, by explicit loops.

    Parameters
    ----------
    x : array_like, shape (N, C, H, W)
    w : array_like, shape (F, C, HH, WW)
    b : array_like, shape (F,)
    conv_param : dict
        ``'stride'`` (int >= 1) and ``'pad'`` (int >= 0, zeros on each side of H and W).
        ``H + 2 pad - HH`` and ``W + 2 pad - WW`` must be multiples of the stride.

    Returns
    -------
    out : ndarray, shape (N, F, H', W')
        ``H' = 1 + (H + 2 pad - HH) // stride``, ``W'`` likewise.
    cache : ConvCache
        ``(x, w, b, conv_param)``, for :func:`conv_backward_naive`.

    >>> x = np.arange(9.0).reshape(1, 1, 3, 3)
    >>> out, _ = conv_forward_naive(x, np.ones((1, 1, 2, 2)), [0.5], {"stride": 1, "pad": 0})
    >>> out
    array([[[[ 8.5, 12.5], [20.5, 24.5]]]])
    """
    return forward(*_checked(x, w, b, conv_param))


def _checked_backward(dout, cache, size, kind):
    as_cache(cache, kind, size)
    x, w, b, conv_param = _checked(*cache[:4], where="cache.")
    s, pad = conv_param["stride"], conv_param["pad"]
    shape = (x.shape[0], w.shape[0], out_size(x.shape[2], w.shape[2], s, pad))
    shape += (out_size(x.shape[3], w.shape[3], s, pad),)
    dout = as_float_array(dout, "dout", ndim=4)
    check_shape(dout, "dout", shape, "(N, F, H', W')", "to match the output of the forward pass")
    return dout, x, w, b, conv_param


def conv_backward_naive(dout, cache):
    """Gradients of the convolution by the index chain rule, one output entry at a time.

    Parameters
    ----------
    dout : array_like, shape (N, F, H', W')
        Upstream gradient dL/dout.
    cache : ConvCache
        From :func:`conv_forward_naive`.

    Returns
    -------
    dx : ndarray, shape (N, C, H, W)
        A full convolution of dout with the kernel rotated by 180 degrees, padding cropped.
    dw : ndarray, shape (F, C, HH, WW)
        A cross-correlation of the padded x with dout.
    db : ndarray, shape (F,)
        ``dout`` summed over the batch and both spatial axes.

    >>> x = np.arange(9.0).reshape(1, 1, 3, 3)
    >>> _, cache = conv_forward_naive(x, np.ones((1, 1, 2, 2)), [0.0], {"stride": 1, "pad": 0})
    >>> dx, dw, db = conv_backward_naive(np.ones((1, 1, 2, 2)), cache)
    >>> dx[0, 0]
    array([[1., 2., 1.], [2., 4., 2.], [1., 2., 1.]])
    >>> dw[0, 0], db
    (array([[ 8., 12.], [20., 24.]]), array([4.]))
    """
    dout, *checked = _checked_backward(dout, cache, 4, "ConvCache (x, w, b, conv_param)")
    return backward(dout, ConvCache(*checked))


def conv_forward_fast(x, w, b, conv_param):
    """:func:`conv_forward_naive` as one matrix product: the im2col matrix times the filters.

    Same arguments and ``out``; the cache is a :class:`ConvFastCache`, which also keeps the
    im2col matrix with its column of ones, (N*H'*Wg, C*HH*WW + 1), for
    :func:`conv_backward_fast` (``Wg`` is W' except at stride 1, see :func:`columns`).

    >>> x = np.arange(9.0).reshape(1, 1, 3, 3)
    >>> conv_forward_fast(x, np.ones((1, 1, 2, 2)), [0.5], {"stride": 1, "pad": 0})[0]
    array([[[[ 8.5, 12.5], [20.5, 24.5]]]])
    """
    return fast_forward(*_checked(x, w, b, conv_param))


def conv_backward_fast(dout, cache):
    """:func:`conv_backward_naive` as the affine layer's backward on the im2col matrix.

    ``dw = dout_rows^T cols``, ``dcols = dout_rows w_rows`` folded back onto x (col2im),
    ``db`` a sum; the cache is the :class:`ConvFastCache` of :func:`conv_forward_fast`.

    >>> x = np.arange(9.0).reshape(1, 1, 3, 3)
    >>> _, cache = conv_forward_fast(x, np.ones((1, 1, 2, 2)), [0.0], {"stride": 1, "pad": 0})
    >>> conv_backward_fast(np.ones((1, 1, 2, 2)), cache)[1]
    array([[[[ 8., 12.], [20., 24.]]]])
    """
    kind = "ConvFastCache (x, w, b, conv_param, cols) of conv_forward_fast"
    dout, x, w, b, conv_param = _checked_backward(dout, cache, 5, kind)
    cols = as_float_array(cache[4], "cache.cols", ndim=2)
    rows = x.shape[0] * dout.shape[2] * grid_width(x.shape[3], w.shape[3], **conv_param)
    check_shape(
        cols,
        "cache.cols",
        (rows, w[0].size + 1),
        "(N*H'*Wg, C*HH*WW + 1)",
        "to match cache.x and w",
    )
    return fast_backward(dout, ConvFastCache(x, w, b, conv_param, cols))


def conv_jacobian(x, w, conv_param, wrt):
    """Full Jacobian of the convolution's output with respect to ``"x"``, ``"w"`` or ``"b"``.

    Returns an array of shape ``(N, F, H', W') + shape of wrt``. Each output entry reads one
    window of ``x`` and one filter, so ``d out/dx`` is sparse and banded: entry
    ``[n, f, i, j, n, c, s*i + u - pad, s*j + v - pad]`` is ``w[f, c, u, v]`` and all others 0;
    ``d out/dw`` holds the windows of the padded x; ``d out/db`` is 1 where the filters match.

    >>> param = {"stride": 1, "pad": 0}
    >>> J = conv_jacobian(np.ones((1, 1, 3, 3)), np.ones((1, 1, 2, 2)), param, "x")
    >>> J.shape, int(J.sum())
    ((1, 1, 2, 2, 1, 1, 3, 3), 16)
    """
    # arrays before w.shape is read; _checked checks the rest
    x, w = as_float_array(x, "x"), as_float_array(w, "w")
    x, w, _, conv_param = _checked(x, w, np.zeros(w.shape[:1]), conv_param)
    s, pad = conv_param["stride"], conv_param["pad"]
    (N, C, H, W), (F, _, HH, WW) = x.shape, w.shape
    Ho, Wo = out_size(H, HH, s, pad), out_size(W, WW, s, pad)
    shapes = {"x": x.shape, "w": w.shape, "b": (F,)}
    if not isinstance(wrt, str) or wrt not in shapes:
        raise ValueError(f"wrt must be one of 'x', 'w', 'b'; got {wrt!r}")
    check_jacobian_size((N, F, Ho, Wo, *shapes[wrt]), f"the Jacobian of out with respect to {wrt}")
    dtype = np.result_type(x, w)
    if wrt == "b":
        J = np.zeros((N, F, Ho, Wo, F), dtype=dtype)
        J[:, np.arange(F), :, :, np.arange(F)] = 1
        return J
    if wrt == "w":
        J = np.zeros((N, F, Ho, Wo, F, C, HH, WW), dtype=dtype)
        cols = im2col(x, HH, WW, s, pad).reshape(N, Ho, Wo, C, HH, WW)
        for f in range(F):
            J[:, f, :, :, f] = cols  # out[n, f, i, j] reads filter f over window (n, i, j)
        return J
    Jp = np.zeros((N, F, Ho, Wo, N, C, H + 2 * pad, W + 2 * pad), dtype=dtype)
    for n in range(N):
        for i in range(Ho):
            for j in range(Wo):
                Jp[n, :, i, j, n, :, s * i : s * i + HH, s * j : s * j + WW] = w
    return Jp[..., pad : pad + H, pad : pad + W].copy()  # an entry of the padding is no input


STAGE = Stage(
    name="conv_backward_naive",
    title="convolution out = x * w + b",
    signature="fn(dout, cache) -> (dx, dw, db)",
    notebook="12-Convolution-and-Pooling",
    numeric="backprop_core.layers.conv",
    debugging="backprop_core.debugging.conv",
    symbolic="backprop_core.symbolic.conv",
)

# -- what the registry's tests run ---------------------------------------------------------------
# pragma: no mutate block (the registry's test inputs below, not the engine: make mutation)

SAMPLES = (  # label, x shape, w shape, conv_param
    ("stride 1, pad 1", (2, 2, 4, 4), (2, 2, 3, 3), {"stride": 1, "pad": 1}),
    ("stride 2, pad 1", (1, 2, 5, 5), (2, 2, 3, 3), {"stride": 2, "pad": 1}),
)


def _sample(rng, x_shape, w_shape):
    x, w = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
    return x, w, rng.standard_normal(w_shape[0])


def gradient_cases(rng):
    """dx, dw and db at stride 1 with padding and at stride 2, each a function of one argument."""
    for label, x_shape, w_shape, param in SAMPLES:
        x, w, b = _sample(rng, x_shape, w_shape)
        out, cache = conv_forward_naive(x, w, b, param)
        dout = rng.standard_normal(out.shape)
        dx, dw, db = conv_backward_naive(dout, cache)
        yield GradientCase(
            f"dx, {label}",
            lambda v, w=w, b=b, p=param: conv_forward_naive(v, w, b, p)[0],
            x,
            dout,
            dx,
        )
        yield GradientCase(
            f"dw, {label}",
            lambda v, x=x, b=b, p=param: conv_forward_naive(x, v, b, p)[0],
            w,
            dout,
            dw,
        )
        yield GradientCase(
            f"db, {label}",
            lambda v, x=x, w=w, p=param: conv_forward_naive(x, w, v, p)[0],
            b,
            dout,
            db,
        )


def jacobian_cases(rng):
    """The three Jacobians of :func:`conv_jacobian` at stride 2 with padding, small sizes."""
    _, x_shape, w_shape, param = SAMPLES[1]
    x, w, b = _sample(rng, x_shape, w_shape)
    out, cache = conv_forward_naive(x, w, b, param)
    dout = rng.standard_normal(out.shape)
    dx, dw, db = conv_backward_naive(dout, cache)
    for wrt, arg, f, analytic in (
        ("x", x, lambda v: conv_forward_naive(v, w, b, param)[0], dx),
        ("w", w, lambda v: conv_forward_naive(x, v, b, param)[0], dw),
        ("b", b, lambda v: conv_forward_naive(x, w, v, param)[0], db),
    ):
        yield JacobianCase(f"d out/d{wrt}", f, arg, conv_jacobian(x, w, param, wrt), dout, analytic)


__all__ = [
    "ConvCache",
    "ConvFastCache",
    "conv_backward_fast",
    "conv_backward_naive",
    "conv_forward_fast",
    "conv_forward_naive",
    "conv_jacobian",
]
