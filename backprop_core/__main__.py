"""Command line: ``python -m backprop_core verify`` proves every derivation against the code."""

from __future__ import annotations

import argparse
import sys
import time


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m backprop_core", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    verify = commands.add_parser("verify", help="check every symbolic derivation against the code")
    verify.add_argument("--seed", type=int, default=0, help="seed of the random test points")
    args = parser.parse_args(argv)

    from .symbolic import verify_all  # SymPy loads only for this command

    start = time.perf_counter()
    report = verify_all(seed=args.seed)
    print(report)
    print(f"({time.perf_counter() - start:.1f} s)")
    for row in report.failed:
        print(f"FAILED: {row.stage} | {row.quantity}: max |Δ| {row.max_abs:.3g}", file=sys.stderr)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
