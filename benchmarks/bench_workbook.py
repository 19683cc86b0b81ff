"""The workbook's speed (``make bench``): explorer updates in the kernel and whole notebook runs.

Targets: each explorer's update (recompute, redraw, encode the image) <= 50 ms, median of 10
moves at default sizes; the whole workbook top to bottom <= 40 s on a 2-core machine.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from backprop_core import widgets

WORKBOOK = Path(__file__).resolve().parent.parent / "workbook"

# explorer builder, control moved, ten values it takes in turn
MOVES = {
    "forward_explorer": ("x0", [round(-2 + 0.4 * k, 1) for k in range(10)]),
    "softmax_explorer": ("f0", [round(-2 + 0.4 * k, 1) for k in range(10)]),
    "weight_gradient_explorer": ("i", [k % 4 for k in range(1, 11)]),
    "bias_explorer": ("N", [k + 1 for k in range(1, 11)]),
    "relu_explorer": ("bias", [-2.5 + 0.5 * k for k in range(10)]),
    "backward_explorer": ("entry", [k % 6 for k in range(1, 11)]),
    "training_explorer": ("hidden", [10 * k for k in range(1, 11)]),
    "activation_explorer": ("span", [(-5.0 + 0.5 * k, 4.0) for k in range(10)]),
    "norm_explorer": ("value", [round(-2 + 0.4 * k, 1) for k in range(10)]),
    "conv_explorer": ("i", [k % 6 for k in range(1, 11)]),
    "dropout_hinge_explorer": ("p", [round(0.2 + 0.05 * k, 2) for k in range(10)]),
    "depth_explorer": ("depth", [2 + 3 * k for k in range(10)]),
}


def explorer_update_times():
    rows = []
    for name, (control, values) in MOVES.items():
        ex = getattr(widgets, name)()
        if name == "training_explorer":
            ex.set(steps=400).train()  # a trained explorer, so moves redraw a real boundary
        times = []
        for value in values:
            start = time.perf_counter()
            ex.controls[control].value = value  # what a slider move in the browser does
            times.append(time.perf_counter() - start)
        rows.append((name, control, 1e3 * statistics.median(times), 1e3 * max(times)))
    return rows


def notebook_times():
    rows = []
    for path in sorted(WORKBOOK.glob("[0-9][0-9]*-*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        start = time.perf_counter()
        NotebookClient(
            nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(WORKBOOK)}}
        ).execute()
        rows.append((path.name, time.perf_counter() - start))
    return rows


def main():
    print("explorer updates in the kernel (median and worst of 10 moves)")
    for name, control, median, worst in explorer_update_times():
        print(f"  {name:<26} {control:<7} median {median:6.1f} ms   worst {worst:6.1f} ms")
    print("\nnotebooks, each in a fresh kernel (kernel start included)")
    rows = notebook_times()
    for name, seconds in rows:
        print(f"  {name:<32} {seconds:6.1f} s")
    print(f"  {'whole workbook':<32} {sum(s for _, s in rows):6.1f} s")


if __name__ == "__main__":
    main()
