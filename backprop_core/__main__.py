"""Command line: ``python -m backprop_core verify`` proves every derivation against the code."""

from __future__ import annotations

import argparse
import sys
import time


def seed_argument(text: str) -> int:
    """An integer >= 0, or argparse's usage error (exit status 2)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer >= 0; got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be an integer >= 0; got {value}")
    return value


def printable(text: str, stream) -> str:
    """``text``, with ✓, ✗ and Δ spelt in ASCII if ``stream`` cannot encode them."""
    try:
        text.encode(getattr(stream, "encoding", None) or "ascii")
    except (UnicodeEncodeError, LookupError):
        for symbol, ascii_text in (("✓", "ok"), ("✗", "FAIL"), ("Δ", "d")):
            text = text.replace(symbol, ascii_text)
    return text


def main(argv=None) -> int:
    """Run the command; exit status 0 when every check passes, 1 when one fails, 2 on bad usage."""
    parser = argparse.ArgumentParser(prog="python -m backprop_core", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    verify = commands.add_parser("verify", help="check every symbolic derivation against the code")
    verify.add_argument(
        "--seed", type=seed_argument, default=0, help="seed of the random test points"
    )
    args = parser.parse_args(argv)

    from .symbolic import verify_all  # SymPy loads only for this command

    start = time.perf_counter()
    report = verify_all(seed=args.seed)
    print(printable(str(report), sys.stdout))
    print(f"({time.perf_counter() - start:.1f} s)")
    for row in report.failed:
        line = f"FAILED: {row.stage} | {row.quantity}: max |Δ| {row.max_abs:.3g}"
        print(printable(line, sys.stderr), file=sys.stderr)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
