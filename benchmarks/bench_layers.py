"""Speed of the convolution and max-pooling layers, as ratios measured in one run (``make bench``).

1. ``conv_forward_fast`` + ``conv_backward_fast`` against the naive loops. Target: >= 50x faster
   at x (50, 3, 32, 32), w (32, 3, 3, 3) and at x (64, 16, 16, 16), w (32, 16, 3, 3), stride 1,
   pad 1, float32.
2. The same fast pair against the three matrix products of its im2col form alone, its floor:
   ``cols @ W``, ``dout_cols.T @ cols`` and ``dout_cols @ W.T`` on C-contiguous arrays of the same
   shapes (cols (N*H'*W', C*HH*WW), dout_cols (N*H'*W', F)). Target: <= 2x.
3. ``max_pool_forward_fast`` + ``max_pool_backward_fast`` (2 x 2, stride 2) against the naive
   loops, at x (50, 32, 32, 32), the first convolution's output. Target: >= 50x.

The naive versions take seconds at these sizes: they are timed once on the first 2 samples of the
batch and scaled by N / 2 (their time is linear in N: one loop iteration per sample). The fast
versions and the floor are timed as medians of interleaved repeats (``paired_times``). BLAS is
limited to one thread while timing: on a shared two-core machine, multi-threaded products this
small spend their time waking threads, and both sides of a ratio are measured alike.
"""

from __future__ import annotations

import time

import numpy as np

from backprop_core.layers import conv, pool

from .bench_engine import paired_times

CONV_SIZES = [((50, 3, 32, 32), (32, 3, 3, 3)), ((64, 16, 16, 16), (32, 16, 3, 3))]
POOL_SIZE = (50, 32, 32, 32)
NAIVE_SLICE = 2  # samples the naive versions are timed on, then scaled to the whole batch


def once(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def conv_times(x_shape, w_shape, repeats=30):
    """Scaled naive time, fast time, floor time and the fast / floor ratio, in seconds."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal(x_shape).astype(np.float32)
    w = rng.standard_normal(w_shape).astype(np.float32)
    b = rng.standard_normal(w_shape[0]).astype(np.float32)
    param = {"stride": 1, "pad": 1}
    dout = rng.standard_normal((x_shape[0], w_shape[0], *x_shape[2:])).astype(np.float32)

    def naive():
        _, cache = conv.forward(x[:NAIVE_SLICE], w, b, param)
        conv.backward(dout[:NAIVE_SLICE], cache)

    def fast():
        _, cache = conv.fast_forward(x, w, b, param)
        conv.fast_backward(dout, cache)

    cols = np.ascontiguousarray(conv.im2col(x, *w_shape[2:], 1, 1))  # (N*H'*W', C*HH*WW)
    W = np.ascontiguousarray(w.reshape(w_shape[0], -1).T)  # (C*HH*WW, F)
    dout_cols = np.ascontiguousarray(dout.transpose(0, 2, 3, 1).reshape(-1, w_shape[0]))

    def floor():
        cols @ W  # forward
        dout_cols.T @ cols  # dW
        dout_cols @ W.T  # dcols

    t_naive = once(naive) * x_shape[0] / NAIVE_SLICE
    (t_fast, t_floor), (ratio, _) = paired_times([fast, floor], repeats)
    return t_naive, t_fast, t_floor, ratio


def pool_times(shape, repeats=30):
    """Scaled naive time and fast time of 2 x 2, stride 2 max pooling, forward and backward."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(np.float32)
    param = {"pool_height": 2, "pool_width": 2, "stride": 2}
    dout = rng.standard_normal((*shape[:2], shape[2] // 2, shape[3] // 2)).astype(np.float32)

    def naive():
        _, cache = pool.forward(x[:NAIVE_SLICE], param)
        pool.backward(dout[:NAIVE_SLICE], cache)

    def fast():
        _, cache = pool.fast_forward(x, param)
        pool.fast_backward(dout, cache)

    t_naive = once(naive) * shape[0] / NAIVE_SLICE
    (t_fast,), _ = paired_times([fast], repeats)
    return t_naive, t_fast


def verdict(ok):
    return "PASS" if ok else "FAIL"


def main():
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # then BLAS runs with its default threads, and the ratios say so
        threadpool_limits = None
    limit = threadpool_limits(limits=1, user_api="blas") if threadpool_limits else None
    try:
        print("BLAS threads: " + ("1 (threadpoolctl)" if limit else "library default"))
        print("conv forward + backward, stride 1, pad 1, float32 (naive: 2 samples, scaled)")
        header = f"{'x':<18} {'w':<16} {'naive s':>8} {'fast ms':>8} {'floor ms':>9}"
        print(header + f" {'naive/fast':>11} {'':>4} {'fast/floor':>11} {'':>4}")
        for x_shape, w_shape in CONV_SIZES:
            t_naive, t_fast, t_floor, ratio = conv_times(x_shape, w_shape)
            speedup = t_naive / t_fast
            print(
                f"{x_shape!s:<18} {w_shape!s:<16} {t_naive:8.2f} {1e3 * t_fast:8.2f} "
                f"{1e3 * t_floor:9.2f} {speedup:10.0f}x {verdict(speedup >= 50):>4} "
                f"{ratio:10.2f}x {verdict(ratio <= 2):>4}"
            )
        print("targets: naive/fast >= 50x; fast/floor <= 2x (floor: the 3 im2col products)")
        t_naive, t_fast = pool_times(POOL_SIZE)
        speedup = t_naive / t_fast
        print("\nmax pool 2x2 stride 2, forward + backward, float32 (naive: 2 samples, scaled)")
        print(f"{'x':<18} {'naive s':>8} {'fast ms':>8} {'naive/fast':>11}")
        print(
            f"{POOL_SIZE!s:<18} {t_naive:8.2f} {1e3 * t_fast:8.2f} {speedup:10.0f}x "
            f"{verdict(speedup >= 50)}"
        )
        print("target: naive/fast >= 50x")
    finally:
        if limit is not None:
            limit.restore_original_limits()


if __name__ == "__main__":
    main()
