"""The convolution: dw and dx in index notation at symbolic sizes, the full Jacobians at small
concrete sizes, the flipped-kernel form of dx proven at three sizes, and the rows of
:func:`~backprop_core.symbolic.verify_all`.

Notation: ``xp`` (N, C, Hp, Wp) is the input after padding (``Hp = H + 2 pad``), ``w``
(F, C, HH, WW) the filters, ``b`` (F,) the bias, ``s`` the stride and ``G = dL/dout``
(N, F, H', W') the upstream gradient; ``out[n, f, i, j] = sum_{k, p, q} xp[n, k, s i + p,
s j + q] w[f, k, p, q] + b[f]``. Differentiating with respect to ``xp`` rather than ``x`` keeps
the padding out of the algebra: ``dx`` is ``dxp`` with ``pad`` rows and columns cropped from each
side, because an entry of the padding is a constant 0, not an input.

What SymPy does and does not do here, honestly: it differentiates the forward sum, collapses the
Kronecker deltas and keeps the kernel's range as a ``Piecewise`` condition, at symbolic sizes and
stride (:func:`conv_weight_gradient`, :func:`conv_input_gradient`). The last rewrite of dx, as a
full convolution of the dilated, padded ``G`` with the kernel rotated by 180 degrees, is a
change of summation index (``p = HH - 1 - (a - s i)``) that SymPy cannot carry out on a sum with
symbolic bounds and a range condition; :func:`full_convolution_identity` proves it instead at
three concrete sizes, entry by entry, as an exact symbolic identity.
"""

from __future__ import annotations

from dataclasses import replace
from typing import NamedTuple

import mpmath
import numpy as np
import sympy as sp

from .. import jacobians, registry
from .concrete import Concrete, jacobian, symbol_array
from .derivation import Derivation, Step
from .exact import reference_digits
from .notation import partial
from .verify import Check, table_rows

# The numeric module the registry names; looked up at call time so a test can swap in a broken one.
conv_layer = registry.get("conv_backward_naive").load("numeric")

N, C, F = sp.symbols("N C F", integer=True, positive=True)
Hp, Wp, Ho, Wo = sp.symbols("H_p W_p H' W'", integer=True, positive=True)
HH, WW, s = sp.symbols("HH WW s", integer=True, positive=True)
Hg, Wg = sp.symbols("H_G W_G", integer=True, positive=True)  # the dilated, padded G
n, f, i, j, k, p, q = sp.symbols("n f i j k p q", integer=True, nonnegative=True)
g, c, u, v, r, a, e = sp.symbols("g c u v r a e", integer=True, nonnegative=True)
xp, w, b, G = (sp.IndexedBase(name) for name in ("xp", "w", "b", "G"))
out = sp.IndexedBase("out")
Gd, wr = sp.IndexedBase(r"\hat{G}"), sp.IndexedBase(r"\hat{w}")

FORWARD = (
    sp.Sum(
        xp[n, k, s * i + p, s * j + q] * w[f, k, p, q],
        (k, 0, C - 1),
        (p, 0, HH - 1),
        (q, 0, WW - 1),
    )
    + b[f]
)
DIMS = {
    xp: (N, C, Hp, Wp),
    w: (F, C, HH, WW),
    G: (N, F, Ho, Wo),
    Gd: (N, F, Hg, Wg),
    wr: (F, C, HH, WW),
}


def _chain(local, first):
    """Seed eq. (1): G[n, f, i, j] times the local derivative, summed over every output entry.

    ``first`` is the output index summed first, the one the local derivative's delta names, so
    that ``doit`` collapses it.
    """
    limits = {n: (n, 0, N - 1), f: (f, 0, F - 1), i: (i, 0, Ho - 1), j: (j, 0, Wo - 1)}
    order = [first, *(index for index in (f, i, j, n) if index != first)]
    return sp.Sum(G[n, f, i, j] * local, *(limits[index] for index in order))


INDICES = (g, c, u, v, r, a, e)


def _drop_true_conditions(expr):
    """Drop range conditions that hold for every valid index (``u <= HH - 1``, ``r <= N - 1``).

    Conditions on a difference, such as ``a - s i >= 0``, say whether a window covers an entry:
    they stay.
    """
    expr = expr.replace(
        lambda z: isinstance(z, sp.Le) and z.lhs in INDICES,
        lambda z: sp.true,
    )
    return expr.replace(
        lambda z: isinstance(z, sp.Piecewise) and z.args[0].cond == sp.true,
        lambda z: z.args[0].expr,
    )


@sp.cacheit
def conv_weight_gradient() -> Derivation:
    """dL/dw[g, c, u, v]: a cross-correlation of the padded input with G, at symbolic sizes.

    Evaluate with ``xp=`` (N, C, Hp, Wp), ``G=`` (N, F, H', W') and ``w=`` (which gives the
    kernel's size only), after fixing the stride with :func:`at_stride`.

    >>> conv_weight_gradient().result
    Sum(G[n, g, i, j]*xp[n, c, i*s + u, j*s + v], (i, 0, H' - 1), (j, 0, W' - 1), (n, 0, N - 1))
    """
    local = sp.diff(FORWARD, w[g, c, u, v]).doit()  # 1{f = g} xp[n, c, s i + u, s j + v]
    local = _drop_true_conditions(local)
    chained = _chain(local, f)
    collapsed = _drop_true_conditions(chained.doit())
    steps = (
        Step("forward", out[n, f, i, j], FORWARD),
        Step("local derivative", sp.Derivative(out[n, f, i, j], w[g, c, u, v]), local),
        Step("chain rule", partial("w", g, c, u, v), chained),
        Step("Kronecker collapse", partial("w", g, c, u, v), collapsed),
    )
    return Derivation(
        "weight gradient", steps, (xp, G, w), DIMS, ((g, F), (c, C), (u, HH), (v, WW))
    )


@sp.cacheit
def conv_input_gradient() -> Derivation:
    """dL/dxp[r, c, a, e]: every output whose window covers (a, e), times the weight it used.

    The ``Piecewise`` keeps the kernel's range: output (i, j) reads entry (a, e) only when
    ``0 <= a - s i < HH`` and ``0 <= e - s j < WW``. Evaluate with ``G=``, ``w=`` and ``xp=``
    (which gives the padded size only), after :func:`at_stride`; crop the padding for dx.

    >>> conv_input_gradient().result.function.args[0][0]
    G[r, f, i, j]*w[f, c, a - i*s, e - j*s]
    """
    local = _drop_true_conditions(sp.diff(FORWARD, xp[r, c, a, e]).doit())
    local = sp.piecewise_fold(local)
    chained = _chain(local, n)
    collapsed = _drop_true_conditions(chained.doit())
    steps = (
        Step("forward", out[n, f, i, j], FORWARD),
        Step("local derivative", sp.Derivative(out[n, f, i, j], xp[r, c, a, e]), local),
        Step("chain rule", partial("xp", r, c, a, e), chained),
        Step("Kronecker collapse", partial("xp", r, c, a, e), collapsed),
    )
    return Derivation("input gradient", steps, (G, w, xp), DIMS, ((r, N), (c, C), (a, Hp), (e, Wp)))


@sp.cacheit
def conv_full_convolution() -> Derivation:
    """dL/dxp as a full convolution: ``sum_{f, p, q} Ĝ[r, f, a + p, e + q] ŵ[f, c, p, q]``.

    ``Ĝ`` is G with ``s - 1`` zeros between its entries and ``HH - 1`` (``WW - 1``) zeros around
    it (:func:`dilate_and_pad`), ``ŵ`` the kernel rotated by 180 degrees. This step is stated,
    not derived by SymPy (see the module's docstring); :func:`full_convolution_identity` proves
    it at three sizes. Evaluate with ``Ĝ``, ``ŵ`` and ``xp`` (for the padded size) by name.
    """
    rhs = sp.Sum(
        Gd[r, f, a + p, e + q] * wr[f, c, p, q], (q, 0, WW - 1), (p, 0, HH - 1), (f, 0, F - 1)
    )
    step = Step("full convolution with the flipped kernel", partial("xp", r, c, a, e), rhs)
    return Derivation(
        "input gradient, flipped kernel",
        (step,),
        (Gd, wr, xp),
        DIMS,
        ((r, N), (c, C), (a, Hp), (e, Wp)),
    )


def at_stride(derivation: Derivation, stride: int) -> Derivation:
    """The derivation with the stride ``s`` set to a number, so it can be evaluated.

    >>> at_stride(conv_weight_gradient(), 2).result.function
    G[n, g, i, j]*xp[n, c, 2*i + u, 2*j + v]
    """
    steps = tuple(
        replace(st, lhs=st.lhs.subs(s, stride), rhs=st.rhs.subs(s, stride))
        for st in derivation.steps
    )
    return replace(derivation, steps=steps)


@sp.cacheit
def _compiled(args: tuple, expr: sp.Basic):
    # no common-subexpression elimination: it would hoist a range condition out of its sum
    return sp.lambdify(args, expr, modules=["mpmath"])


def evaluate(derivation: Derivation, stride: int, **arrays) -> np.ndarray:
    """The result of a convolution derivation at the stride ``stride`` and NumPy arrays by name.

    Each entry is computed in mpmath with :func:`~backprop_core.symbolic.exact.reference_digits`
    digits, like :meth:`Derivation.evaluate`, but compiled without common-subexpression
    elimination, which would move a kernel-range condition out of the sum it belongs to.

    >>> xp1, ones = np.arange(9.0).reshape(1, 1, 3, 3), np.ones((1, 1, 2, 2))
    >>> evaluate(conv_weight_gradient(), 1, xp=xp1, G=ones, w=ones)[0, 0]
    array([[ 8., 12.], [20., 24.]])
    """
    d = at_stride(derivation, stride)
    missing = [base.name for base in d.inputs if base.name not in arrays]
    if missing:
        raise TypeError(f"evaluate needs {', '.join(b.name for b in d.inputs)}; {missing} missing")
    sizes = {}
    for base in d.inputs:
        shape = np.shape(arrays[base.name])
        if len(shape) != len(d.dims[base]):
            raise ValueError(f"{base.name} must have shape {d.dims[base]}; got shape {shape}")
        for symbol, size in zip(d.dims[base], shape, strict=True):
            if sizes.setdefault(symbol, size) != size:
                raise ValueError(f"{base.name} must have {symbol} = {sizes[symbol]}; got {size}")
    indices = tuple(symbol for symbol, _ in d.index)
    shape = tuple(int(sizes[extent]) for _, extent in d.index)
    fn = _compiled((*d.inputs, *indices), d.result.subs(sizes))
    values = [np.asarray(arrays[base.name], dtype=float) for base in d.inputs]
    with mpmath.workdps(reference_digits(values)):
        results = [fn(*values, *point) for point in np.ndindex(shape)]
    return np.array(results, dtype=float).reshape(shape)


def dilate_and_pad(G_values, stride: int, HH_: int, WW_: int) -> np.ndarray:
    """Ĝ: G with ``stride - 1`` zeros between entries and ``HH - 1``/``WW - 1`` zeros around.

    >>> dilate_and_pad(np.ones((1, 1, 2, 2)), 2, 2, 2)[0, 0, 1]
    array([0., 1., 0., 1., 0.])
    """
    G_values = np.asarray(G_values)
    N_, F_, Ho_, Wo_ = G_values.shape
    shape = (N_, F_, stride * (Ho_ - 1) + 2 * HH_ - 1, stride * (Wo_ - 1) + 2 * WW_ - 1)
    out_ = np.zeros(shape, dtype=G_values.dtype)
    out_[
        :,
        :,
        HH_ - 1 : HH_ - 1 + stride * (Ho_ - 1) + 1 : stride,
        WW_ - 1 : WW_ - 1 + stride * (Wo_ - 1) + 1 : stride,
    ] = G_values
    return out_


# -- concrete sizes --------------------------------------------------------------------------------


def conv_array(
    x_sym: sp.Array, w_sym: sp.Array, b_sym: sp.Array, stride: int, pad: int
) -> sp.Array:
    """The convolution of symbol arrays, entry by entry: shape (N, F, H', W')."""
    N_, C_, H_, W_ = (int(d) for d in x_sym.shape)
    F_, _, HH_, WW_ = (int(d) for d in w_sym.shape)
    Ho_, Wo_ = 1 + (H_ + 2 * pad - HH_) // stride, 1 + (W_ + 2 * pad - WW_) // stride

    def xpad(nn, cc, rr, tt):
        rr, tt = rr - pad, tt - pad
        return x_sym[nn, cc, rr, tt] if 0 <= rr < H_ and 0 <= tt < W_ else sp.Integer(0)

    entries = [
        sum(
            xpad(nn, cc, stride * ii + pp, stride * jj + qq) * w_sym[ff, cc, pp, qq]
            for cc in range(C_)
            for pp in range(HH_)
            for qq in range(WW_)
        )
        + b_sym[ff]
        for nn in range(N_)
        for ff in range(F_)
        for ii in range(Ho_)
        for jj in range(Wo_)
    ]
    return sp.Array(entries, (N_, F_, Ho_, Wo_))


@sp.cacheit
def conv_jacobian_symbols(
    x_shape: tuple, w_shape: tuple, stride: int, pad: int, wrt: str = "xwb"
) -> dict[str, Concrete]:
    """d out/dx, d out/dw and d out/db by ``derive_by_array``, keyed ``"x"``, ``"w"``, ``"b"``.

    ``wrt`` names the Jacobians to build (all three by default).

    >>> J = conv_jacobian_symbols((1, 1, 3, 3), (1, 1, 2, 2), 1, 0, wrt="x")["x"]
    >>> J.shape, J.nonzero()
    ((1, 1, 2, 2, 1, 1, 3, 3), 16)
    """
    inputs = _symbols(x_shape, w_shape)
    value = conv_array(inputs["x"], inputs["w"], inputs["b"], stride, pad)
    return {name: Concrete(f"dout/d{name}", jacobian(value, inputs[name]), inputs) for name in wrt}


def _symbols(x_shape, w_shape):
    return {
        "x": symbol_array("x", x_shape),
        "w": symbol_array("w", w_shape),
        "b": symbol_array("b", w_shape[:1]),
    }


IDENTITY_SIZES = (  # (x shape, w shape, stride, pad): the three sizes of the flipped-kernel proof
    ((1, 1, 4, 4), (1, 1, 3, 3), 1, 1),
    ((1, 2, 5, 5), (1, 2, 3, 3), 2, 1),
    ((1, 1, 3, 4), (2, 1, 2, 3), 1, 0),
)


def full_convolution_identity(x_shape, w_shape, stride, pad) -> int:
    """How many entries of dx differ between the chain rule and the flipped-kernel form (0).

    Both are built from symbol arrays x, w and G: the chain rule as the derivative, entry by
    entry of x, of ``sum(G * out)`` (what contracting the Jacobian d out/dx with G gives), the
    other as the full convolution of the dilated, padded G with the rotated kernel, cropped;
    each difference is expanded by SymPy.

    >>> [full_convolution_identity(*size) for size in IDENTITY_SIZES]
    [0, 0, 0]
    """
    inputs = _symbols(tuple(x_shape), tuple(w_shape))
    x_sym, w_sym = inputs["x"], inputs["w"]
    value = conv_array(x_sym, w_sym, inputs["b"], stride, pad)
    G_sym = symbol_array("G", tuple(int(d) for d in value.shape))
    linear = sp.Add(*(G_sym[idx] * value[idx] for idx in np.ndindex(*value.shape)))
    F_, C_, HH_, WW_ = w_shape
    Ghat = dilate_and_pad(np.array(G_sym.tolist(), dtype=object), stride, HH_, WW_)
    N_, _, H_, W_ = x_shape
    differ = 0
    for nn, cc, aa, ee in np.ndindex(N_, C_, H_, W_):
        ap, ep = aa + pad, ee + pad  # the entry's place in the padded input
        flipped = sum(
            Ghat[nn, ff, ap + pp, ep + qq] * w_sym[ff, cc, HH_ - 1 - pp, WW_ - 1 - qq]
            for ff in range(F_)
            for pp in range(HH_)
            for qq in range(WW_)
        )
        chain_rule = sp.diff(linear, x_sym[nn, cc, aa, ee])
        differ += sp.expand(chain_rule - flipped) != 0
    return int(differ)


# -- the rows of verify_all ------------------------------------------------------------------------


class Point(NamedTuple):
    """A convolution's inputs, its stride and padding, an upstream gradient and both backwards."""

    x: np.ndarray
    w: np.ndarray
    b: np.ndarray
    G: np.ndarray
    stride: int
    pad: int
    naive: tuple  # (dx, dw, db) of conv_backward_naive
    fast: tuple  # (dx, dw, db) of conv_backward_fast

    @property
    def xp(self):
        return np.pad(self.x, ((0, 0), (0, 0), (self.pad, self.pad), (self.pad, self.pad)))

    def crop(self, padded):
        P = self.pad
        return padded[:, :, P : padded.shape[2] - P, P : padded.shape[3] - P]


def _point(rng, x_shape, w_shape, stride, pad) -> Point:
    x, w, b = rng.normal(size=x_shape), rng.normal(size=w_shape), rng.normal(size=w_shape[0])
    param = {"stride": stride, "pad": pad}
    out_, cache = conv_layer.conv_forward_naive(x, w, b, param)
    G_values = rng.normal(size=out_.shape)
    naive = conv_layer.conv_backward_naive(G_values, cache)
    fast = conv_layer.conv_backward_fast(G_values, conv_layer.conv_forward_fast(x, w, b, param)[1])
    return Point(x, w, b, G_values, stride, pad, naive, fast)


def _jacobian(a: Point, wrt: str) -> np.ndarray:
    J = conv_jacobian_symbols(a.x.shape, a.w.shape, a.stride, a.pad)[wrt]
    return J.evaluate(x=a.x, w=a.w, b=a.b)


def _flipped(a: Point) -> np.ndarray:
    Ghat = dilate_and_pad(a.G, a.stride, *a.w.shape[2:])
    arrays = {r"\hat{G}": Ghat, r"\hat{w}": a.w[:, :, ::-1, ::-1], "xp": a.xp}
    return a.crop(evaluate(conv_full_convolution(), a.stride, **arrays))


INDEX_ROWS = (  # quantity, symbolic value, numeric value: index notation at symbolic sizes
    (
        "dw, index notation (xp corr. dout)",
        lambda a: evaluate(conv_weight_gradient(), a.stride, xp=a.xp, G=a.G, w=a.w),
        lambda a: a.naive[1],
    ),
    (
        "dx, index notation, cropped",
        lambda a: a.crop(evaluate(conv_input_gradient(), a.stride, G=a.G, w=a.w, xp=a.xp)),
        lambda a: a.naive[0],
    ),
    ("dx = full conv. of dout, flipped w", _flipped, lambda a: a.naive[0]),
    (
        "fast dw (im2col) against SymPy",
        lambda a: evaluate(conv_weight_gradient(), a.stride, xp=a.xp, G=a.G, w=a.w),
        lambda a: a.fast[1],
    ),
    ("fast dx (col2im) against SymPy", _flipped, lambda a: a.fast[0]),
)

JACOBIAN_ROWS = (  # full Jacobians by derive_by_array, at the small size
    (
        "Jacobian dout/dx vs conv_jacobian",
        lambda a: _jacobian(a, "x"),
        lambda a: conv_layer.conv_jacobian(a.x, a.w, {"stride": a.stride, "pad": a.pad}, "x"),
    ),
    (
        "Jacobian dout/dw vs conv_jacobian",
        lambda a: _jacobian(a, "w"),
        lambda a: conv_layer.conv_jacobian(a.x, a.w, {"stride": a.stride, "pad": a.pad}, "w"),
    ),
    (
        "dx, Jacobian contracted",
        lambda a: jacobians.vjp(_jacobian(a, "x"), a.G),
        lambda a: a.naive[0],
    ),
    (
        "dw, Jacobian contracted",
        lambda a: jacobians.vjp(_jacobian(a, "w"), a.G),
        lambda a: a.naive[1],
    ),
    (
        "db, Jacobian contracted",
        lambda a: jacobians.vjp(_jacobian(a, "b"), a.G),
        lambda a: a.naive[2],
    ),
    (
        "fast db, Jacobian contracted",
        lambda a: jacobians.vjp(_jacobian(a, "b"), a.G),
        lambda a: a.fast[2],
    ),
)


def verify_rows(rng: np.random.Generator) -> list[Check]:
    """The convolution rows of :func:`~backprop_core.symbolic.verify_all`.

    Index notation at stride 2 with pad 1 and at stride 1 with pad 1 (x (2, 2, 5, 5), w
    (2, 2, 3, 3)); the full Jacobians by ``derive_by_array`` at stride 2, pad 1, x (1, 2, 5, 5).

    >>> [row.quantity for row in verify_rows(np.random.default_rng(0))][0]
    'dw, index notation (xp corr. dout), s2 p1'
    """
    rows = []
    for stride in (2, 1):
        point = _point(rng, (2, 2, 5, 5), (2, 2, 3, 3), stride, 1)
        rows += table_rows("conv", INDEX_ROWS, point, f", s{stride} p1")
    small = _point(rng, (1, 2, 5, 5), (2, 2, 3, 3), 2, 1)
    return rows + table_rows("conv", JACOBIAN_ROWS, small, ", s2 p1")
