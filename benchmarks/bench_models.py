"""Speed of the deeper models and the Solver, as ratios measured in one run (``make bench``).

1. ``FullyConnectedNet.loss`` (forward and backward, no normalization) against its matrix
   products alone, the floor no NumPy implementation can beat. Targets: <= 1.15x at (N, D) =
   (512, 3072), hidden (512, 512), 10 classes, float32; <= 1.5x at (64, 784), hidden (100,).
2. ``TwoLayerNet.loss`` at (64, 784, 100, 10) float32 against the same floor: <= 1.5x.
3. The ``Solver`` with plain SGD training the two-layer architecture on ``digits()`` against
   scikit-learn's ``MLPClassifier`` (same architecture, SGD, batch, epochs, validation once per
   epoch on the same set): <= 0.6x its time at equal or better accuracy. Run in float64 (the
   two-layer net's default) and in float32 (cs231n's models' default), the same on both sides.
"""

from __future__ import annotations

import numpy as np

from backprop_core import TwoLayerNet, digits
from backprop_core.models import FullyConnectedNet
from backprop_core.solver import Solver

from .bench_engine import fit_sgd_mlp, paired_times


def fcn_vs_matmul_floor(N, D, hidden, C, dtype, repeats):
    """Median times of ``net.loss(X, y)`` and of its matrix products, and their paired ratio."""
    rng = np.random.default_rng(0)
    net = FullyConnectedNet(list(hidden), input_dim=D, num_classes=C, dtype=dtype, seed=0)
    X = rng.standard_normal((N, D)).astype(dtype)
    y = rng.integers(0, C, N)
    Ws = [net.params[f"W{i}"] for i in range(1, net.num_layers + 1)]
    inputs = [X] + [rng.standard_normal((N, W.shape[1])).astype(dtype) for W in Ws[:-1]]
    upstream = [rng.standard_normal((N, W.shape[1])).astype(dtype) for W in Ws]

    def products():  # every product loss() performs: forward, dW of each layer, dx of all but one
        for x, W in zip(inputs, Ws, strict=True):
            x @ W
        for i, (x, W, d) in enumerate(zip(inputs, Ws, upstream, strict=True)):
            x.T @ d
            if i:
                d @ W.T

    (t_loss, t_floor), (ratio, _) = paired_times([lambda: net.loss(X, y), products], repeats)
    return t_loss, t_floor, ratio


def two_layer_vs_matmul_floor(N, D, H, C, dtype, repeats):
    from .bench_engine import loss_vs_matmul_floor

    return loss_vs_matmul_floor(N, D, H, C, dtype, repeats)


def solver_vs_sklearn(
    dtype=np.float64, hidden=100, epochs=30, batch_size=200, learning_rate=0.5, repeats=7
):
    """Train the 64-hidden-10 ReLU net on the digits with the Solver and with MLPClassifier,
    both in ``dtype``: the pixels are cast once, and MLPClassifier keeps float32 input float32."""
    from sklearn.model_selection import train_test_split

    X, y = digits()
    X_train, X_test, y_train, y_test = train_test_split(
        X.astype(dtype), y, test_size=0.2, random_state=0, stratify=y
    )
    results = {}

    def ours():
        net = TwoLayerNet(64, hidden, 10, std=np.sqrt(2 / 64), seed=0, dtype=dtype)

        class Model:  # the two-layer net in the form a Solver calls
            params = net.params

            def loss(self, X, y=None):
                return net.loss(X, y)

        data = {"X_train": X_train, "y_train": y_train, "X_val": X_test, "y_val": y_test}
        solver = Solver(
            Model(),
            data,
            update_rule="sgd",
            optim_config={"learning_rate": learning_rate},
            batch_size=batch_size,
            num_epochs=epochs,
            verbose=False,
            seed=0,
            progress=False,
        )
        solver.train()
        results["ours"] = float((net.predict(X_test) == y_test).mean())

    def theirs():
        clf = fit_sgd_mlp(hidden, epochs, batch_size, learning_rate, X_train, y_train)
        for _ in range(epochs):  # validation once per epoch, as the Solver does
            clf.score(X_test, y_test)
        results["sklearn"] = float(clf.score(X_test, y_test))
        results["sklearn dtype"] = clf.coefs_[0].dtype  # it kept the input's dtype

    (t_ours, t_sk), (ratio, _) = paired_times([ours, theirs], repeats)
    return t_ours, t_sk, ratio, results["ours"], results["sklearn"], results["sklearn dtype"]


def main():
    print("FullyConnectedNet.loss(X, y) against its matrix products alone (float32)")
    print(f"{'(N, D, hidden, C)':<30} {'loss ms':>9} {'matmul ms':>10} {'ratio':>6} {'target':>7}")
    for (N, D, hidden, C), target, repeats in (
        ((512, 3072, (512, 512), 10), 1.15, 20),
        ((64, 784, (100,), 10), 1.5, 300),
    ):
        t, floor, ratio = fcn_vs_matmul_floor(N, D, hidden, C, np.float32, repeats)
        label = f"({N}, {D}, {list(hidden)}, {C})"
        print(f"{label:<30} {1e3 * t:9.3f} {1e3 * floor:10.3f} {ratio:6.2f} {target:7.2f}")
    t, floor, ratio = two_layer_vs_matmul_floor(64, 784, 100, 10, np.float32, 300)
    label = "TwoLayerNet (64, 784, 100, 10)"
    print(f"{label:<30} {1e3 * t:9.3f} {1e3 * floor:10.3f} {ratio:6.2f} {1.5:7.2f}")
    print("\nSolver (plain SGD) against MLPClassifier on digits(), 64-100-10, batch 200, 30 epochs")
    print(f"{'':<30} {'time s':>8} {'test acc.':>10}")
    for dtype in (np.float64, np.float32):  # the same dtype on both sides
        t_ours, t_sk, ratio, acc_ours, acc_sk, _ = solver_vs_sklearn(dtype)
        name = np.dtype(dtype).name
        print(f"{f'Solver.train, {name}':<30} {t_ours:8.3f} {acc_ours:10.3f}")
        print(f"{f'MLPClassifier.fit, {name}':<30} {t_sk:8.3f} {acc_sk:10.3f}")
        print(f"time ratio Solver / sklearn in {name} (median of paired runs): {ratio:.2f}")
    print("target: <= 0.6 at equal or better accuracy")


if __name__ == "__main__":
    main()
