"""Shared fixtures: seeded generators and inputs kept away from the ReLU kink."""

import numpy as np
import pytest


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def away_from_zero(a, margin=0.1):
    """``a`` with every entry pushed at least ``margin`` away from 0, keeping its sign."""
    return np.where(a >= 0, a + margin, a - margin)


@pytest.fixture
def toy(rng):
    """A small batch for a 4-6-3 network: X (5, 4), labels (5,)."""
    X = rng.standard_normal((5, 4))
    y = np.array([0, 1, 2, 2, 1])
    return X, y
