"""A pytest plugin for ``make mutation``: run a mutant's tests fastest first.

mutmut 3.8 runs each mutant against the tests that reach the mutated function, with ``-x``, in
the order pytest collects them, so a mutant that a 5 ms test would kill may first wait for the
one-second tests of an earlier file. mutmut's parent process has loaded every test's duration
from its stats run (``mutants/mutmut-stats.json``), and in its default fork isolation each
mutant's pytest run inherits them: this plugin sorts the collected tests by those durations.
A killed mutant then costs about its fastest failing test; a surviving one runs every test,
as before. Outside a mutant's run (no ``MUTANT_UNDER_TEST``, or mutmut's stats and forced-fail
runs) the order is left as collected. Loaded by ``[tool.mutmut] pytest_add_cli_args`` only.
"""

from __future__ import annotations

import os


def durations() -> dict:
    """Each test's duration in seconds, keyed by node id, as mutmut's parent loaded them."""
    if "__mutmut_" not in os.environ.get("MUTANT_UNDER_TEST", ""):  # not a mutant's run
        return {}
    try:
        from mutmut.state import state
    except ImportError:  # pragma: no cover - the plugin is only loaded by mutmut's runs
        return {}
    return state().duration_by_test


def pytest_collection_modifyitems(config, items):
    known = durations()
    if known:
        items.sort(key=lambda item: known.get(item.nodeid, 0.0))  # stable: ties keep their order
