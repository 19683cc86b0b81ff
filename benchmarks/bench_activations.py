"""Generated backward passes against hand-written NumPy (``make bench``).

For tanh, sigmoid and GELU typed as text, the backward pass that SymPy's derivative becomes
(lambdify with common subexpressions) is timed against a hand-written NumPy version of the same
derivative on a (512, 512) array. Target: each within 1.5x.
"""

from __future__ import annotations

import statistics
import time

import numpy as np
from scipy.special import erf

from backprop_core.activations import named


def hand_tanh(dout, x):
    t = np.tanh(x)
    return dout * (1 - t * t)


def hand_sigmoid(dout, x):
    s = 1 / (1 + np.exp(-x))
    return dout * s * (1 - s)


def hand_gelu(dout, x):
    return dout * (0.5 * (1 + erf(x / np.sqrt(2))) + x * np.exp(-0.5 * x * x) / np.sqrt(2 * np.pi))


def main(repeats: int = 25) -> None:
    rng = np.random.default_rng(0)
    x, dout = rng.normal(size=(512, 512)), rng.normal(size=(512, 512))
    print("generated backward against hand-written NumPy, (512, 512), median of paired runs")
    for name, hand in (("tanh", hand_tanh), ("sigmoid", hand_sigmoid), ("gelu", hand_gelu)):
        act = named(name)
        _, cache = act.forward(x)
        assert np.allclose(act.backward(dout, cache), hand(dout, x))
        ratios, generated, written = [], [], []
        for _ in range(repeats):
            start = time.perf_counter()
            act.backward(dout, cache)
            middle = time.perf_counter()
            hand(dout, x)
            end = time.perf_counter()
            generated.append(middle - start)
            written.append(end - middle)
            ratios.append((middle - start) / (end - middle))
        print(
            f"  {name:<8} generated {1e3 * statistics.median(generated):6.2f} ms   hand-written "
            f"{1e3 * statistics.median(written):6.2f} ms   ratio {statistics.median(ratios):.2f}"
        )


if __name__ == "__main__":
    main()
