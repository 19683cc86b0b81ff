"""Matplotlib builders the notebooks and explorers share.

Figures are made with :class:`matplotlib.figure.Figure` directly, never through ``pyplot``: nothing
here touches global state (no ``rcParams``, no current figure), so importing this module or
building a figure changes nothing else in a session. One colour map for signed quantities
(diverging, centred at zero) and one for masks, everywhere. A builder returns the artist it made,
or a small record of them (:class:`Regions`), so an explorer updates it with ``set_data``.
"""

from __future__ import annotations

import functools
import io
import os
import struct
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure
from matplotlib.image import AxesImage
from PIL import Image

from ._checks import as_count, as_float_array

SIGNED_CMAP = "RdBu_r"  # gradients, weights, Jacobians: blue negative, white zero, red positive
POSITIVE = "#b2182b"  # bars and lines of positive values: the red end of SIGNED_CMAP
NEGATIVE = "#2166ac"  # bars and lines of negative values: the blue end of SIGNED_CMAP
MASK_CMAP = "Greys"  # ReLU masks and sparsity patterns: white 0, black 1
CSS_DPI = 96  # CSS pixels per figure inch: a figure's size on the page (a CSS inch is 96 px)
DENSITY = 2  # image pixels per CSS pixel: sharp on high-density screens and on projectors
DPI = CSS_DPI * DENSITY  # what figures are rendered at


def new_figure(width: float = 6.0, height: float = 3.0) -> Figure:
    """A figure with an Agg canvas and constrained layout, not registered with pyplot.

    ``width`` and ``height`` are in inches; it is rendered at :data:`DPI`, :data:`DENSITY` image
    pixels for each CSS pixel it is shown at (:func:`css_size`).

    >>> fig = new_figure(4, 2)
    >>> fig.get_size_inches().tolist(), css_size(fig)
    ([4.0, 2.0], (384, 192))
    """
    fig = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def css_size(fig: Figure) -> tuple[int, int]:
    """The size, in CSS pixels, to show ``fig``'s image at: its pixels over :data:`DENSITY`.

    A browser then draws :data:`DENSITY` image pixels per CSS pixel, so the figure stays sharp
    on a screen with that many device pixels per CSS pixel, and on a projector that scales up.

    >>> css_size(new_figure(8, 2.5))
    (768, 240)
    """
    width, height = fig.canvas.get_width_height()
    return round(width / DENSITY), round(height / DENSITY)


def encode_png(canvas: FigureCanvasAgg) -> bytes:
    """What the canvas holds now, as PNG bytes, encoded fast: an explorer does it on every move.

    Unlike :func:`png` it does not draw: an explorer blits its changed artists first. The rows go
    to zlib at level 1 unfiltered, and without the alpha channel when the canvas is opaque (a
    figure's white background, dropped by PIL, three times faster than NumPy's strided copy);
    a large image is compressed in two halves at once (:func:`_deflate`). At :data:`DENSITY` 2
    this takes about a third of the time of PIL's encoder at its fastest setting.

    >>> fig = new_figure(1, 1)
    >>> fig.canvas.draw()
    >>> data = encode_png(fig.canvas)
    >>> data[:4], Image.open(io.BytesIO(data)).size == fig.canvas.get_width_height()
    (b'\\x89PNG', True)
    """
    width, height = canvas.get_width_height()
    buffer = canvas.buffer_rgba()
    # every alpha byte 255, read as the top byte of each little-endian 32-bit pixel
    opaque = bool(np.asarray(buffer).view("<u4").min() >= 0xFF000000)
    channels = 3 if opaque else 4
    pixels = np.asarray(buffer)
    if opaque:
        pixels = np.asarray(
            Image.frombuffer("RGBA", (width, height), buffer, "raw", "RGBA", 0, 1).convert("RGB")
        )
    rows = np.empty((height, 1 + channels * width), np.uint8)
    rows[:, 0] = 0  # each row's filter type: none
    rows[:, 1:] = pixels.reshape(height, channels * width)
    header = struct.pack(">IIBBBBB", width, height, 8, 2 if opaque else 6, 0, 0, 0)
    return b"".join(
        [
            b"\x89PNG\r\n\x1a\n",
            _png_chunk(b"IHDR", header),
            _png_chunk(b"IDAT", _deflate(rows)),
            _png_chunk(b"IEND", b""),
        ]
    )


SPLIT_BYTES = 1 << 20  # images larger than this are compressed in two halves at once


@functools.cache
def _helper() -> ThreadPoolExecutor:
    """One thread that compresses the second half of a large image while the caller does the
    first: zlib lets go of the GIL while it works."""
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="bp-deflate")


# a process forked after the helper started (a kernel's child) has the executor but not its
# thread: it makes its own
os.register_at_fork(after_in_child=_helper.cache_clear)


def _raw_deflate(data, last: bool) -> bytes:
    squeeze = zlib.compressobj(1, zlib.DEFLATED, -15)  # a raw deflate stream, no zlib header
    return squeeze.compress(data) + squeeze.flush(zlib.Z_FINISH if last else zlib.Z_SYNC_FLUSH)


def _deflate(rows: np.ndarray) -> bytes:
    """``zlib.compress(rows, 1)``, in two halves at once when large: the first half ends on a
    byte boundary without closing the stream (a sync flush), so the second half's deflate data
    follows it as one stream, as pigz does; the checksum is that of the whole.

    >>> rows = np.random.default_rng(0).integers(0, 4, (2048, 1024), dtype=np.uint8)
    >>> zlib.decompress(_deflate(rows)) == rows.tobytes()
    True
    """
    data = memoryview(rows).cast("B")
    if len(data) <= SPLIT_BYTES:
        return zlib.compress(data, 1)
    middle = (len(rows) // 2) * rows.strides[0]
    try:
        second = _helper().submit(_raw_deflate, data[middle:], True)
    except RuntimeError:  # the interpreter is shutting down: no new threads, one stream
        return zlib.compress(data, 1)
    first = _raw_deflate(data[:middle], False)
    checksum = zlib.adler32(data[middle:], zlib.adler32(data[:middle]))
    return b"\x78\x01" + first + second.result() + struct.pack(">I", checksum)


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    """One chunk of a PNG file: length, type, data, CRC of type and data."""
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png(fig: Figure) -> bytes:
    """The whole figure drawn and rendered as PNG bytes.

    >>> png(new_figure(1, 1))[:4]
    b'\\x89PNG'
    """
    fig.canvas.draw()
    return encode_png(fig.canvas)


def image(fig: Figure):
    """The figure as an IPython image output: how a notebook shows a figure built here.

    The PNG holds :data:`DENSITY` pixels per CSS pixel; the output's width says how wide to
    show it (:func:`css_size`), so it is as large as at 1x and sharp on any screen.

    >>> out = image(new_figure(1, 1))
    >>> out.format, out.width
    ('png', 96)
    """
    return png_image(png(fig))


def png_image(data: bytes):
    """PNG bytes rendered at :data:`DENSITY` as an IPython image output shown at its CSS size.

    >>> shown = png_image(png(new_figure(2, 1)))
    >>> shown.width, shown.height
    (192, 96)
    """
    from IPython.display import Image as IPythonImage

    if not isinstance(data, bytes):
        raise TypeError(f"data must be PNG bytes; got {type(data).__name__}")
    if not data.startswith(b"\x89PNG"):
        raise ValueError(f"data must be PNG bytes; got bytes starting {data[:8]!r}")
    width, height = Image.open(io.BytesIO(data)).size
    return IPythonImage(
        data=data, format="png", width=round(width / DENSITY), height=round(height / DENSITY)
    )


def signed_limit(values) -> float:
    """Symmetric colour limit for signed data: the largest magnitude, or 1 for all zeros.

    >>> signed_limit([[-3.0, 2.0]]), signed_limit(np.zeros(3))
    (3.0, 1.0)
    """
    largest = float(np.max(np.abs(values))) if np.size(values) else 0.0
    return largest if largest > 0 else 1.0


def nice_limit(values, least: float = 0.0, steps=(1, 2, 5)) -> float:
    """The smallest ``k`` times a power of ten (``k`` in ``steps``, which start at 1 and stay
    below 10) that is at least the largest magnitude in ``values`` (to 12 digits) and at least
    ``least``: an axis or colour limit that holds the data and changes only when they cross one
    of these steps. All zeros give ``least``, or 1 if that is 0; a magnitude outside
    [1e-300, 1e300], where powers of ten run out of floats, is its own limit.

    >>> nice_limit([0.3, -3.2]), nice_limit([0.07]), nice_limit([0.0], least=1.0)
    (5.0, 0.1, 1.0)
    >>> nice_limit([1.3], steps=(1, 1.25, 1.5, 2, 2.5, 3, 4, 5, 6, 8))
    1.5
    >>> nice_limit([np.nan])
    Traceback (most recent call last):
    ...
    ValueError: values must be finite; got a largest magnitude of nan
    """
    if not (steps and steps[0] == 1 and all(1 <= k < 10 for k in steps)):
        raise ValueError(f"steps must start at 1 and stay below 10; got {steps}")
    largest = max(float(np.max(np.abs(values))) if np.size(values) else 0.0, least)
    if not np.isfinite(largest):
        raise ValueError(f"values must be finite; got a largest magnitude of {largest}")
    if largest <= 0:
        return 1.0
    if not 1e-300 <= largest <= 1e300:
        return largest
    power = 10.0 ** np.floor(np.log10(largest))
    return float(next(k * power for k in (*steps, 10) if largest <= k * power * (1 + 1e-12)))


def signed_limits(values) -> tuple[float, float]:
    """Symmetric range ``(-m, m)`` for signed data, ``m`` the largest magnitude (1 for all zeros).

    For colour limits (``vmin, vmax``) or a y-range shared by positive and negative bars; ``m``
    is always positive, so the range is never empty.

    >>> signed_limits([[-3.0, 2.0]]), signed_limits(np.zeros(3))
    ((-3.0, 3.0), (-1.0, 1.0))
    """
    m = signed_limit(values)
    return (-m, m)


def sign_colours(values) -> list[str]:
    """One colour per value: :data:`POSITIVE` for values >= 0, :data:`NEGATIVE` below zero.

    >>> sign_colours([1.5, -2.0, 0.0]) == [POSITIVE, NEGATIVE, POSITIVE]
    True
    """
    return [NEGATIVE if v < 0 else POSITIVE for v in np.ravel(values)]


def signed_heatmap(ax, values, title: str = "", limit: float | None = None, colorbar: bool = True):
    """Show a 2-D signed array with the diverging map centred at zero; returns the image artist.

    ``values`` is (M, K) (a vector is shown as one row); the colours span ``[-limit, limit]``,
    by default :func:`signed_limit` of the values. Later updates go through ``image.set_data``
    (and ``image.set_clim`` if the range changes).

    >>> ax = new_figure(2, 2).add_subplot()
    >>> signed_heatmap(ax, [[-1.0, 0.5]], "dW", colorbar=False).get_clim()
    (-1.0, 1.0)
    """
    values = np.atleast_2d(values)
    lim = signed_limit(values) if limit is None else limit
    image = ax.imshow(values, cmap=SIGNED_CMAP, vmin=-lim, vmax=lim, interpolation="nearest")
    ax.set_title(title)
    if colorbar:
        ax.figure.colorbar(image, ax=ax, shrink=0.8)
    return image


def mask_image(ax, mask, title: str = ""):
    """Show a 0/1 mask (black where 1); returns the image artist.

    >>> ax = new_figure(2, 2).add_subplot()
    >>> mask_image(ax, [[0, 1]], "mask").get_array().tolist()
    [[0.0, 1.0]]
    """
    image = ax.imshow(np.atleast_2d(mask).astype(float), cmap=MASK_CMAP, vmin=0, vmax=1)
    ax.set_title(title)
    return image


def label_matrix_axes(ax, rows: str, cols: str, shape) -> None:
    """Integer ticks on both axes of a matrix plot, labelled with the seed's index names.

    >>> ax = new_figure(2, 2).add_subplot()
    >>> label_matrix_axes(ax, "sample", "hidden unit", (2, 3))
    >>> ax.get_xlabel(), ax.get_xticks().tolist()
    ('hidden unit', [0, 1, 2])
    """
    n_rows, n_cols = shape
    ax.set_xticks(range(n_cols))
    ax.set_yticks(range(n_rows))
    ax.set_xlabel(cols)
    ax.set_ylabel(rows)


@dataclass(frozen=True)
class Regions:
    """What :func:`decision_regions` drew: the region image, the scattered points, and the grid.

    ``grid`` (resolution², 2) holds the plane's points in the image's pixel order, so a redraw
    after training recomputes only the labels (:meth:`recolour`).
    """

    image: AxesImage
    points: PathCollection
    grid: np.ndarray

    def recolour(self, predict) -> None:
        """Colour the plane again by ``predict`` (a net after training), through ``set_data``.

        >>> fig = new_figure(2, 2)
        >>> X, y = np.array([[0.0, 0.0], [1.0, 1.0]]), np.array([0, 1])
        >>> regions = decision_regions(fig.add_subplot(), lambda p: 0 * p[:, 0], X, y, resolution=4)
        >>> regions.recolour(lambda p: (p[:, 0] > 0.5).astype(int))
        >>> regions.image.get_array().tolist()[0]
        [0, 0, 1, 1]
        """
        shape = self.image.get_array().shape
        self.image.set_data(predict(self.grid).reshape(shape))


def decision_regions(ax, predict, X, y, resolution: int = 200, padding: float = 0.2) -> Regions:
    """Colour the plane by ``predict`` and scatter the labelled points on top.

    ``predict`` maps points (M, 2) to class labels (M,); ``X`` is (N, 2) and ``y`` (N,). The plane
    spans the points plus ``padding``, sampled on a ``resolution`` x ``resolution`` grid.

    >>> fig = new_figure(2, 2)
    >>> X, y = np.array([[0.0, 0.0], [1.0, 1.0]]), np.array([0, 1])
    >>> regions = decision_regions(fig.add_subplot(), lambda p: 0 * p[:, 0], X, y, resolution=4)
    >>> regions.grid.shape, regions.image.get_array().shape
    ((16, 2), (4, 4))
    """
    (x0, y0), (x1, y1) = X.min(axis=0) - padding, X.max(axis=0) + padding
    gx, gy = np.meshgrid(np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution))
    grid = np.column_stack([gx.ravel(), gy.ravel()])  # (resolution², 2)
    labels = predict(grid).reshape(gx.shape)
    n_classes = int(max(y.max(), labels.max())) + 1
    image = ax.imshow(
        labels,
        origin="lower",
        extent=(x0, x1, y0, y1),
        cmap="Pastel1",
        vmin=0,
        vmax=max(n_classes - 1, 1),
        interpolation="nearest",
        aspect="auto",
    )
    points = ax.scatter(
        X[:, 0],
        X[:, 1],
        c=y,
        cmap="Set1",
        vmin=0,
        vmax=max(n_classes - 1, 1),
        s=12,
        edgecolors="k",
        linewidths=0.3,
    )
    return Regions(image, points, grid)


def _rounded(values, decimals: int) -> str:
    # + 0.0 turns a -0.0 left by rounding into 0.0, so no "-0." is printed
    rounded = np.round(np.asarray(values, dtype=float), decimals) + 0.0
    return np.array2string(rounded, precision=decimals, suppress_small=True)


def computational_graph(ax, positions, edges, values=None, grads=None, decimals: int = 2):
    """Draw a computational graph: one circle per array, one arrow per edge, and beside each node
    its value (black, from the forward pass) and its gradient (red, from the backward pass).

    ``positions`` maps each node's name to its ``(x, y)`` place; ``edges`` lists ``(a, b)`` pairs,
    an arrow from the array ``a`` an operation reads to the array ``b`` it makes. ``values`` and
    ``grads`` map node names to arrays (either may leave nodes out), printed rounded to
    ``decimals``. Nodes of the bottom row get their numbers below them, the others above, so
    that the numbers stay clear of the edges between the rows. Returns the nodes' text artists.

    >>> ax = new_figure(3, 2).add_subplot()
    >>> nodes = computational_graph(ax, {"x": (0, 1), "y": (1, 1)}, [("x", "y")],
    ...                             values={"x": [1.0, -0.004]}, grads={"y": [[2.0]]})
    >>> [t.get_text() for t in ax.texts if t.get_text() and t not in nodes]  # the numbers
    ['[1. 0.]', '[[2.]]']
    >>> computational_graph(ax, {"x": (0, 1)}, [("x", "z")])
    Traceback (most recent call last):
    ValueError: edges must join nodes of positions; got ('x', 'z') with 'z' not among ['x']
    >>> computational_graph(ax, {"x": 0}, [])
    Traceback (most recent call last):
    ValueError: positions['x'] must be an (x, y) pair; got 0
    >>> computational_graph(ax, {"x": (0, 1)}, [], values={"x": "one"})
    Traceback (most recent call last):
    TypeError: values['x'] must be a numeric array; got str 'one'
    """
    if not isinstance(positions, dict) or not positions:
        raise ValueError(f"positions must be a non-empty dict of node: (x, y); got {positions!r}")
    for name, place in positions.items():
        if not (isinstance(place, tuple | list) and len(place) == 2):
            raise ValueError(f"positions[{name!r}] must be an (x, y) pair; got {place!r}")
        as_float_array(place, f"positions[{name!r}]")
    decimals = as_count(decimals, "decimals", minimum=0)
    values, grads = values or {}, grads or {}
    for label, arrays in (("values", values), ("grads", grads)):
        for name, array in arrays.items():
            as_float_array(array, f"{label}[{name!r}]", finite=False)
    for edge in edges:
        if not isinstance(edge, tuple | list) or len(edge) != 2:
            raise ValueError(f"edges must be (from, to) pairs; got {edge!r}")
        missing = [name for name in edge if name not in positions]
        if missing:
            raise ValueError(
                f"edges must join nodes of positions; got {tuple(edge)!r} with {missing[0]!r} "
                f"not among {sorted(positions)}"
            )
    arrow = {"arrowstyle": "->", "color": "0.5", "shrinkA": 14, "shrinkB": 14}
    for a, b in edges:
        ax.annotate("", positions[b], positions[a], arrowprops=arrow)
    circle = {"boxstyle": "circle", "facecolor": "white", "edgecolor": "black"}
    bottom = min(v for _, v in positions.values())
    nodes = []
    for name, (u, v) in positions.items():
        nodes.append(ax.text(u, v, name, ha="center", va="center", fontsize=11, bbox=circle))
        side = -1 if v == bottom else 1
        where = {"ha": "center", "va": "top" if side < 0 else "bottom", "fontsize": 8}
        if name in values:
            ax.text(u, v + side * 0.12, _rounded(values[name], decimals), **where)
        if name in grads:
            ax.text(u, v + side * 0.42, _rounded(grads[name], decimals), color="tab:red", **where)
    ax.axis("off")
    return nodes
