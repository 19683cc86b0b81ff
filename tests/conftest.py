"""Shared fixtures: a seeded generator and a small batch (helpers live in helpers.py)."""

import numpy as np
import pytest


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


@pytest.fixture
def toy(rng):
    """A small batch for a 4-6-3 network: X (5, 4), labels (5,)."""
    X = rng.standard_normal((5, 4))
    y = np.array([0, 1, 2, 2, 1])
    return X, y
