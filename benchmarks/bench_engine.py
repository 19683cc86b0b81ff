"""Speed of the numeric engine, as ratios measured in one run (``make bench``).

1. ``net.loss(X, y)`` (forward and backward) against its matrix products alone, the floor that no
   NumPy implementation of the same network can beat. Target: <= 1.10x at (512, 3072, 512, 10).
2. Training on ``digits()`` against scikit-learn's ``MLPClassifier`` with the same architecture,
   plain SGD, batch size and number of epochs. Target: <= 0.6x its time at equal or better accuracy.

Timings are medians of interleaved repeats, so a burst of load on this shared machine slows both
sides of a ratio alike.
"""

from __future__ import annotations

import statistics
import time
import warnings

import numpy as np

from backprop_core import TwoLayerNet, digits

SIZES = [(64, 784, 100, 10), (512, 3072, 512, 10)]


def paired_times(fns, repeats):
    """Wall times of each callable over ``repeats`` rounds, calling them in turn in each round.

    Returns the median time of each and the median, over rounds, of each one's time divided by
    the last one's: a ratio taken within a round cancels the machine's slow drifts in load.
    """
    samples = [[] for _ in fns]
    for _ in range(repeats):
        for fn, out in zip(fns, samples, strict=True):
            start = time.perf_counter()
            fn()
            out.append(time.perf_counter() - start)
    medians = [statistics.median(s) for s in samples]
    ratios = [
        statistics.median(a / b for a, b in zip(s, samples[-1], strict=True)) for s in samples
    ]
    return medians, ratios


def loss_vs_matmul_floor(N, D, H, C, dtype, repeats):
    rng = np.random.default_rng(0)
    net = TwoLayerNet(D, H, C, std=0.01, seed=0, dtype=dtype)
    X = rng.standard_normal((N, D)).astype(dtype)
    y = rng.integers(0, C, N)
    p = net.params
    h1 = np.maximum(X @ p["W1"], 0)
    dy2 = rng.standard_normal((N, C)).astype(dtype)
    dy1 = rng.standard_normal((N, H)).astype(dtype)

    def products():  # every matrix product net.loss performs, on arrays of the same shapes
        X @ p["W1"]
        h1 @ p["W2"]
        h1.T @ dy2
        dy2 @ p["W2"].T
        X.T @ dy1

    (t_loss, t_floor), (ratio, _) = paired_times([lambda: net.loss(X, y), products], repeats)
    return t_loss, t_floor, ratio


def sgd_mlp(hidden, epochs, batch_size, learning_rate):
    """scikit-learn's MLPClassifier set up as the workbook trains: one ReLU hidden layer, plain
    SGD at a constant rate, no penalty, no momentum, no early stopping, ``epochs`` epochs."""
    from sklearn.neural_network import MLPClassifier

    return MLPClassifier(
        hidden_layer_sizes=(hidden,),
        activation="relu",
        solver="sgd",
        alpha=0.0,
        batch_size=batch_size,
        learning_rate="constant",
        learning_rate_init=learning_rate,
        momentum=0.0,
        nesterovs_momentum=False,
        max_iter=epochs,
        shuffle=True,
        tol=0.0,
        n_iter_no_change=epochs + 1,
        random_state=0,
    )


def fit_sgd_mlp(hidden, epochs, batch_size, learning_rate, X, y):
    """:func:`sgd_mlp` fitted on ``(X, y)``; its warning that ``epochs`` did not converge is
    expected (the epochs are fixed on purpose) and silenced."""
    from sklearn.exceptions import ConvergenceWarning

    clf = sgd_mlp(hidden, epochs, batch_size, learning_rate)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    return clf


def digits_vs_sklearn(hidden=100, epochs=30, batch_size=200, learning_rate=0.5, repeats=15):
    from sklearn.model_selection import train_test_split

    X, y = digits()
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.2, random_state=0, stratify=y
    )
    iters = epochs * -(-len(X_train) // batch_size)
    results = {}

    def ours():
        net = TwoLayerNet(64, hidden, 10, std=np.sqrt(2 / 64), seed=0)
        net.train(
            X_train,
            y_train,
            X_test,
            y_test,
            learning_rate=learning_rate,
            learning_rate_decay=1.0,
            reg=0.0,
            num_iters=iters,
            batch_size=batch_size,
        )
        results["ours"] = float((net.predict(X_test) == y_test).mean())

    def theirs():
        clf = fit_sgd_mlp(hidden, epochs, batch_size, learning_rate, X_train, y_train)
        results["sklearn"] = float(clf.score(X_test, y_test))

    (t_ours, t_sklearn), (ratio, _) = paired_times([ours, theirs], repeats)
    return t_ours, t_sklearn, ratio, results["ours"], results["sklearn"], len(X_train), epochs


def main():
    print(
        "net.loss(X, y) against its matrix products alone (medians; ratio = median of paired runs)"
    )
    print(f"{'(N, D, H, C)':<22} {'dtype':<8} {'loss ms':>9} {'matmul ms':>10} {'ratio':>6}")
    for sizes in SIZES:
        for dtype in (np.float32, np.float64):
            repeats = 200 if sizes[0] < 100 else 30
            t_loss, t_floor, ratio = loss_vs_matmul_floor(*sizes, dtype, repeats)
            print(
                f"{sizes!s:<22} {np.dtype(dtype).name:<8} {1e3 * t_loss:9.3f} "
                f"{1e3 * t_floor:10.3f} {ratio:6.2f}"
            )
    t_ours, t_sk, ratio, acc_ours, acc_sk, n, epochs = digits_vs_sklearn()
    print(f"\ndigits(): {n} training images, 64-100-10 ReLU net, plain SGD, batch 200,", end=" ")
    print(f"{epochs} epochs")
    print(f"{'':<22} {'time s':>8} {'test acc.':>10}")
    print(f"{'TwoLayerNet.train':<22} {t_ours:8.3f} {acc_ours:10.3f}")
    print(f"{'MLPClassifier.fit':<22} {t_sk:8.3f} {acc_sk:10.3f}")
    print(f"time ratio ours / sklearn (median of paired runs): {ratio:.2f}")


if __name__ == "__main__":
    main()
