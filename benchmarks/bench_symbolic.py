"""Cost of the symbolic layer (``make bench``): where computer algebra stops being practical.

Targets: each derivation at the sizes the notebooks use <= 0.5 s; ``verify_all`` <= 10 s.
Times are the best of a few runs with SymPy's cache cleared before each (the package memoises its
derivations and their compiled forms there too), so every run derives from scratch as a fresh
kernel would.
"""

from __future__ import annotations

import time

import numpy as np
import sympy as sp
from sympy.core.cache import clear_cache

from backprop_core import symbolic


def best_time(fn, repeats=3):
    best = float("inf")
    for _ in range(repeats):
        clear_cache()  # SymPy's, which holds the package's memoised derivations too
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


DERIVATIONS = {
    "weight gradient (index)": symbolic.weight_gradient,
    "bias gradient (index)": symbolic.bias_gradient,
    "input gradient (index)": symbolic.input_gradient,
    "ReLU gradient (index)": symbolic.relu_gradient,
    "softmax cross-entropy (index)": symbolic.softmax_cross_entropy_gradient,
    "dW by matrix calculus": lambda: symbolic.affine_matrix_gradient("W"),
    "affine Jacobians N=2 H=3 C=2": lambda: symbolic.affine_jacobian_symbols(2, 3, 2),
    "ReLU Jacobian (3, 4)": lambda: symbolic.relu_jacobian_symbols((3, 4)),
    "softmax Jacobian C=3": lambda: symbolic.softmax_jacobian_symbols(3),
    "softmax identity C=3": lambda: symbolic.softmax_identity_residual(3),
    "tiny net gradient 2-2-3-2": lambda: symbolic.tiny_net_gradients(2, 2, 3, 2),
}


def main():
    print("symbolic derivations at the notebooks' sizes (best of 3, cold SymPy cache)")
    for name, fn in DERIVATIONS.items():
        print(f"  {name:<34} {best_time(fn):7.3f} s")
    print(f"  {'verify_all(seed=0), all rows':<34} {best_time(symbolic.verify_all, 2):7.3f} s")
    symbolic.verify_all()
    start = time.perf_counter()
    symbolic.verify_all()  # what a second call in the same kernel costs, with everything memoised
    print(f"  {'verify_all again, memoised':<34} {time.perf_counter() - start:7.3f} s")

    print("\nhow the concrete affine Jacobians (dout/dW, dout/db, dout/dh) grow, N = 2")
    print(f"  {'H = C':>6} {'entries of dout/dW':>19} {'derive s':>9} {'evaluate dout/dW s':>19}")
    for size in (2, 4, 8, 16):
        derive = best_time(lambda s=size: symbolic.affine_jacobian_symbols(2, s, s), 1)
        J = symbolic.affine_jacobian_symbols(2, size, size)["W"]
        ones = {"h": np.ones((2, size)), "W": np.ones((size, size)), "b": np.ones(size)}
        evaluate = best_time(lambda J=J, ones=ones: J.evaluate(**ones), 1)
        print(f"  {size:>6} {len(sp.flatten(J.value)):>19} {derive:9.3f} {evaluate:19.3f}")

    print("\nhow the whole tiny net's gradient grows (N = D = C = 2)")
    for hidden in (3, 6, 12):
        seconds = best_time(lambda h=hidden: symbolic.tiny_net_gradients(2, 2, h, 2), 1)
        print(f"  H = {hidden:<3} derive {seconds:7.3f} s")


if __name__ == "__main__":
    main()
