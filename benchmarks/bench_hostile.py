"""How long the hostile inputs take (``make bench``): issue 11's "0 calls over 5 s".

Runs the adversarial suites (bad arguments to the API, odd values in the explorers, wrong
candidates given to ``diagnose``, the activation texts) under pytest and reports, per suite, the
number of cases, the slowest one and how many took longer than :data:`LIMIT`. A case is one call
(or a few, such as a call and the check that the input is unchanged), so its time bounds the calls'.
The figures are read here, never asserted by a test: this machine is shared and noisy.
"""

from __future__ import annotations

import sys

import pytest

LIMIT = 5.0  # seconds
SUITES = (
    "tests/test_hostile_api.py",
    "tests/test_hostile_explorers.py",
    "tests/test_debug_hostile.py",
    "tests/test_activation_stability.py",
)


class Timings:
    """A pytest plugin that keeps the duration of every test's call phase, by suite."""

    def __init__(self):
        self.calls: dict[str, list[tuple[float, str]]] = {}

    def pytest_runtest_logreport(self, report):
        if report.when == "call":
            suite = report.nodeid.split("::")[0]
            self.calls.setdefault(suite, []).append((report.duration, report.nodeid))


def main(suites=SUITES) -> int:
    timings = Timings()
    code = pytest.main(["-q", "-p", "no:cacheprovider", "-m", "", *suites], plugins=[timings])
    print(f"\n{'suite':<40} {'cases':>6} {'slowest':>9} {'over ' + str(LIMIT) + ' s':>10}")
    over_all = 0
    for suite, calls in timings.calls.items():
        slowest, name = max(calls)
        over = sum(1 for d, _ in calls if d > LIMIT)
        over_all += over
        print(f"{suite:<40} {len(calls):>6} {slowest:>8.2f}s {over:>10}")
        print(f"    slowest: {name.split('::', 1)[1][:90]}")
    print(f"cases over {LIMIT} s: {over_all}  (target 0)")
    return int(code)


if __name__ == "__main__":
    sys.exit(main())
