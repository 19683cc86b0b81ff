"""Small datasets for the workbook: the cs231n spiral and scikit-learn's 8x8 digits, and the
one-pixel moves that augment the digits."""

from __future__ import annotations

import numpy as np

from ._checks import as_count, as_float_array, as_labels, as_seed, check_size


def spiral(n_per_class=100, n_classes=3, seed=0):
    """Points on ``n_classes`` interleaved spiral arms in the plane, one arm per class.

    The data of the cs231n case study (https://cs231n.github.io/neural-networks-case-study/):
    along arm ``k`` the radius grows linearly from 0 to 1 while the angle runs over
    ``[4k, 4k + 4]`` radians plus Gaussian noise of standard deviation 0.2. No straight line
    separates the arms, so a linear classifier does poorly and a small ReLU network does well.

    Returns
    -------
    X : ndarray of float64, shape (n_per_class * n_classes, 2)
    y : ndarray of int64, shape (n_per_class * n_classes,)
        Class labels, ``n_per_class`` of each, in blocks.

    >>> X, y = spiral(n_per_class=50, n_classes=4)
    >>> X.shape, np.bincount(y).tolist(), bool(np.abs(X).max() <= 1)
    ((200, 2), [50, 50, 50, 50], True)
    """
    n = as_count(n_per_class, "n_per_class")
    k = as_count(n_classes, "n_classes")
    check_size(3 * n * k, "the spiral (n_per_class * n_classes points)")
    rng = np.random.default_rng(as_seed(seed))
    radius = np.tile(np.linspace(0.0, 1.0, n), k)  # (k * n,)
    start = np.repeat(np.arange(k) * 4.0, n)
    angle = start + np.tile(np.linspace(0.0, 4.0, n), k) + 0.2 * rng.standard_normal(k * n)
    X = np.column_stack([radius * np.sin(angle), radius * np.cos(angle)])
    y = np.repeat(np.arange(k, dtype=np.int64), n)
    return X, y


def digits():
    """The 1,797 handwritten digits of scikit-learn, as 64 pixel intensities scaled to [0, 1].

    The data ship inside scikit-learn (no download). It is imported only when this function
    runs, and the ``workbook`` extra installs it.

    Returns
    -------
    X : ndarray of float64, shape (1797, 64)
        Row ``n`` is the 8x8 image of sample ``n`` in row-major order.
    y : ndarray of int64, shape (1797,)
        The digit 0-9.

    >>> X, y = digits()
    >>> X.shape, y.shape, float(X.max())
    ((1797, 64), (1797,), 1.0)
    """
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise ImportError(
            "digits() needs scikit-learn, which ships the data: "
            "pip install 'backprop-core[workbook]' (or pip install scikit-learn)"
        ) from None
    data = load_digits()
    return data.data / 16.0, data.target.astype(np.int64)


def shifted_copies(X, y, image_shape=(8, 8)):
    """``(X, y)`` followed by four copies of every image moved one pixel up, down, left and right.

    The simplest data augmentation for digits: a digit moved by a pixel is the same digit, so
    the five versions share a label. Pixels moved in from outside are 0 (the digits' background);
    the move itself is ``scipy.ndimage.shift`` with order 0, an exact copy of pixel values.

    Parameters
    ----------
    X : array_like, shape (N, H * W) or (N, ..., H, W)
        One image per row, flattened in row-major order, or images on the last two axes
        (such as (N, C, H, W), each channel moved alike).
    y : array_like of int, shape (N,)
    image_shape : (int, int), default (8, 8)
        ``(H, W)`` of one image.

    Returns
    -------
    X5 : ndarray, shape (5 N,) + X.shape[1:]
        The originals first, then the moves (up, down, left, right), each in the order of ``X``.
    y5 : ndarray of int64, shape (5 N,)

    >>> image = np.zeros((1, 9))
    >>> image[0, 4] = 1.0  # the centre of a 3x3 image
    >>> X5, y5 = shifted_copies(image, [7], image_shape=(3, 3))
    >>> X5.reshape(5, 3, 3)[1]  # moved up one pixel
    array([[0., 1., 0.],
           [0., 0., 0.],
           [0., 0., 0.]])
    >>> X5.shape, y5.tolist()
    ((5, 9), [7, 7, 7, 7, 7])
    """
    from scipy import ndimage

    X = as_float_array(X, "X")
    if X.ndim < 2:
        raise ValueError(f"X must hold one image per row, shape (N, H * W); got shape {X.shape}")
    if not (
        isinstance(image_shape, tuple)
        and len(image_shape) == 2
        and all(isinstance(s, int) and not isinstance(s, bool) and s >= 1 for s in image_shape)
    ):
        raise TypeError(f"image_shape must be a pair of positive ints (H, W); got {image_shape!r}")
    H, W = image_shape
    # flattened rows must hold exactly one image; more axes must end in the image itself, so
    # that a (N, 3, 32, 32) batch with the default (8, 8) is refused, not cut into 8x8 tiles
    whole = X.shape[1] == H * W if X.ndim == 2 else X.shape[-2:] == image_shape
    if not whole:
        raise ValueError(
            f"X must hold images of image_shape {image_shape}: rows of {H * W} numbers, or "
            f"(N, ..., {H}, {W}); got shape {X.shape} (pass image_shape for other images)"
        )
    y = as_labels(y, "y", X.shape[0], None)
    images = X.reshape(-1, *image_shape)
    moves = [
        ndimage.shift(images, (0, dy, dx), order=0, mode="constant", cval=0.0)
        for dy, dx in ((-1, 0), (1, 0), (0, -1), (0, 1))
    ]
    X5 = np.concatenate([X, *(m.reshape(X.shape) for m in moves)])
    return X5, np.tile(y.astype(np.int64), 5)
