"""The spiral and the digits."""

import sys

import numpy as np
import pytest

from backprop_core import digits, shifted_copies, spiral


def test_spiral_has_the_case_study_layout():
    X, y = spiral()
    assert X.shape == (300, 2) and y.shape == (300,) and y.dtype == np.int64
    assert np.bincount(y).tolist() == [100, 100, 100]
    radius = np.hypot(X[:, 0], X[:, 1])
    assert np.allclose(radius[:100], np.linspace(0, 1, 100))  # radius grows along each arm
    assert np.array_equal(spiral(seed=0)[0], X) and not np.array_equal(spiral(seed=1)[0], X)


def test_digits_are_scaled_pixels():
    X, y = digits()
    assert X.shape == (1797, 64) and X.min() == 0.0 and X.max() == 1.0
    assert sorted(set(y.tolist())) == list(range(10))


def test_digits_without_scikit_learn_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)  # makes the import fail
    with pytest.raises(ImportError, match=r"backprop-core\[workbook\]"):
        digits()


def test_shifted_copies_move_every_digit_by_one_pixel_and_keep_its_label():
    X, y = digits()
    X, y = X[:20], y[:20]
    before = X.copy()
    X5, y5 = shifted_copies(X, y)
    assert np.array_equal(X, before)  # the originals are not changed
    assert X5.shape == (100, 64) and y5.tolist() == y.tolist() * 5
    images = X5.reshape(5, 20, 8, 8)
    assert np.array_equal(images[0], X.reshape(20, 8, 8))
    up, down, left, right = images[1:]
    assert np.array_equal(up[:, :-1], images[0][:, 1:]) and not up[:, -1].any()
    assert np.array_equal(down[:, 1:], images[0][:, :-1]) and not down[:, 0].any()
    assert np.array_equal(left[:, :, :-1], images[0][:, :, 1:]) and not left[:, :, -1].any()
    assert np.array_equal(right[:, :, 1:], images[0][:, :, :-1]) and not right[:, :, 0].any()
    conv_layout, _ = shifted_copies(X.reshape(20, 1, 8, 8), y)  # (N, C, H, W) works as well
    assert np.array_equal(conv_layout.reshape(100, 64), X5)


@pytest.mark.parametrize(
    ("args", "error", "words"),
    [
        ((np.zeros(64), [0]), ValueError, "X must hold one image per row"),
        ((np.zeros((2, 60)), [0, 1]), ValueError, "X must hold images of image_shape"),
        ((np.zeros((2, 128)), [0, 1]), ValueError, "rows of 64 numbers"),
        ((np.zeros((2, 3, 32, 32)), [0, 1]), ValueError, r"\(N, \.\.\., 8, 8\); got shape"),
        ((np.zeros((2, 64)), [0]), ValueError, "y must have shape"),
        ((np.zeros((2, 64)), [0.5, 1]), TypeError, "y must hold integer class labels"),
        ((np.zeros((2, 9)), [0, 1], (3, 0)), TypeError, "image_shape must be a pair"),
        ((np.zeros((2, 9)), [0, 1], [3, 3]), TypeError, "image_shape must be a pair"),
        ((["a"], [0]), TypeError, "X must be a numeric array"),
    ],
)
def test_shifted_copies_refuse_bad_arguments_by_name(args, error, words):
    with pytest.raises(error, match=words):
        shifted_copies(*args)
