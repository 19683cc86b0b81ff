"""The spiral and the digits."""

import sys

import numpy as np
import pytest

from backprop_core import digits, spiral


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
