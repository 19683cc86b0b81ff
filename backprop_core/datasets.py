"""Small datasets for the workbook: the cs231n spiral and scikit-learn's 8x8 digits."""

from __future__ import annotations

import numpy as np

from ._checks import as_count, as_seed, check_size


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
