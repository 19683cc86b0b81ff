"""Speed of batch normalization's two backward passes, as ratios measured in one run.

``batchnorm_backward_alt`` (the simplified closed form: two reductions per column and one
elementwise pass) against ``batchnorm_backward`` (the staged graph, one node at a time), on the
same cache and upstream gradient. cs231n's assignment asks how much faster the closed form is;
this prints the ratio of their times (below 1: the closed form is faster) at a few sizes, for
the checked functions and for their kernels alone (the checks cost the same on both sides).

Timings are medians of interleaved repeats (:func:`benchmarks.bench_engine.paired_times`), so a
burst of load on a shared machine slows both sides of a ratio alike.
"""

from __future__ import annotations

import numpy as np

from backprop_core.layers import (
    batchnorm,
    batchnorm_backward,
    batchnorm_backward_alt,
    batchnorm_forward,
)

from .bench_engine import paired_times

SIZES = [(64, 256), (256, 1024), (1024, 4096)]


def alt_vs_staged(N, D, dtype, repeats):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((N, D)).astype(dtype)
    gamma, beta = np.ones(D, dtype), np.zeros(D, dtype)
    dout = rng.standard_normal((N, D)).astype(dtype)
    _, cache = batchnorm_forward(x, gamma, beta, {"mode": "train"})
    (t_alt, t_staged), (ratio, _) = paired_times(
        [lambda: batchnorm_backward_alt(dout, cache), lambda: batchnorm_backward(dout, cache)],
        repeats,
    )
    _, (kernels, _) = paired_times(  # the kernels alone, without the checks of the arguments
        [lambda: batchnorm.backward_alt(dout, cache), lambda: batchnorm.backward(dout, cache)],
        repeats,
    )
    return t_alt, t_staged, ratio, kernels


def main():
    print("batchnorm_backward_alt against batchnorm_backward (medians; ratio = median of paired")
    print("runs, alt / staged: below 1 the closed form is faster)")
    print(
        f"{'(N, D)':<14} {'dtype':<8} {'alt ms':>9} {'staged ms':>10} {'ratio':>6} {'kernels':>8}"
    )
    for N, D in SIZES:
        for dtype in (np.float64, np.float32):
            repeats = 300 if N * D < 100_000 else (60 if N * D < 1_000_000 else 20)
            t_alt, t_staged, ratio, kernels = alt_vs_staged(N, D, dtype, repeats)
            print(
                f"{(N, D)!s:<14} {np.dtype(dtype).name:<8} {1e3 * t_alt:9.3f} "
                f"{1e3 * t_staged:10.3f} {ratio:6.2f} {kernels:8.2f}"
            )


if __name__ == "__main__":
    main()
