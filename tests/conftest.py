"""Shared fixtures: a seeded generator and a small batch (helpers live in helpers.py); and, for
`make mutation` only, a Hypothesis profile and the activation budget's records (below)."""

import gc
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import Phase, settings


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


@pytest.fixture
def toy(rng):
    """A small batch for a 4-6-3 network: X (5, 4), labels (5,)."""
    X = rng.standard_normal((5, 4))
    y = np.array([0, 1, 2, 2, 1])
    return X, y


# -- mutation testing: the activation budget's child process reports what it called ------------
#
# mutmut's first pass (MUTANT_UNDER_TEST=stats) maps each test to the engine functions it reaches
# by what its trampolines record in the test's process. A typed activation is parsed and derived
# in a child process (backprop_core.activations.budget), whose records would be lost with it:
# mutmut would then run a grammar mutant only against the few tests that call the grammar
# directly. In that pass the child writes its records to a file before it reports back, and the
# test's process adds them to its own. Decided per session, not at import: mutmut runs several
# pytest sessions in one process, and this module is imported once. A mutant itself needs none of
# this: the child runs it as the parent would.

if os.environ.get("MUTANT_UNDER_TEST"):  # any pass of mutmut, set before this module's import
    # A mutant is killed by the first failing example; shrinking it to the simplest one only
    # costs time (tens of seconds, or mutmut's time limit, on some mutants).
    settings.register_profile("mutmut", phases=[Phase.explicit, Phase.reuse, Phase.generate])
    settings.load_profile("mutmut")

_CHILD_RECORDS = Path(tempfile.gettempdir()) / f"mutmut-budget-child-{os.getpid()}"
_REACHED: set = set()  # what the trampolines recorded in this process since it was forked
os.register_at_fork(after_in_child=_REACHED.clear)  # a child's records are its own


def _collecting_mutmut_stats():
    return os.environ.get("MUTANT_UNDER_TEST") == "stats"


def _mutant_under_test():
    """mutmut's name of the mutant this session tests; empty in its other passes and outside."""
    mutant = os.environ.get("MUTANT_UNDER_TEST", "")
    return mutant if "__mutmut_" in mutant else ""


def _recording(record):
    """mutmut's record of a function reached, which also keeps the name in _REACHED."""

    def record_and_keep(name, caller=None):
        _REACHED.add(name)
        return record(name, caller)

    record_and_keep.unwrapped = record
    return record_and_keep


def _run_keeping_child_records(run):
    from mutmut.stats import record_trampoline_hit

    def run_recorded(task, args, budget=None):
        def task_recorded(*task_args):
            try:
                yield from task(*task_args)
            finally:  # in the child, before it reports done, refused or failed
                _CHILD_RECORDS.write_text("\n".join(_REACHED))

        _CHILD_RECORDS.unlink(missing_ok=True)  # none left by an earlier process of this id
        try:
            return run(task_recorded, args, budget)
        finally:
            if _CHILD_RECORDS.exists():  # not if the budget ran out and the child was killed
                for name in _CHILD_RECORDS.read_text().split():
                    record_trampoline_hit(name)
                _CHILD_RECORDS.unlink()

    run_recorded.unrecorded = run
    return run_recorded


def pytest_sessionstart(session):
    if os.environ.get("MUTANT_UNDER_TEST"):
        # mutmut forks each mutant's pytest session from a process that has run the whole lane.
        # Without this, every garbage collection in the child (pytest runs several at its end)
        # walks that inherited heap: 0.37 of a 0.82 s one-test session, measured 2026-11-30.
        # Frozen, the collector skips what existed before the session.
        gc.freeze()
    from backprop_core.activations import budget

    # only with fork: a spawned child would have to unpickle the wrapped task
    recording = _collecting_mutmut_stats() and budget.context().get_start_method() == "fork"
    run = getattr(budget.run, "unrecorded", budget.run)
    budget.run = _run_keeping_child_records(run) if recording else run
    if recording:
        from mutmut.mutation import trampoline

        record = getattr(trampoline.record_trampoline_hit, "unwrapped", None)
        trampoline.record_trampoline_hit = _recording(record or trampoline.record_trampoline_hit)


@pytest.fixture
def derive_here(monkeypatch):
    """For tests of typed activations: budget.derive with empty caches, its worker's stages run
    in this process; the arguments each run received are listed in the returned list."""
    from backprop_core.activations import budget

    monkeypatch.setattr(budget, "EXPRESSIONS", {})
    monkeypatch.setattr(budget, "DERIVED", {})
    received = []

    def run(task, args):
        received.append(args)
        return budget.in_process(task, args)

    monkeypatch.setattr(budget, "run", run)
    return received


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """Under mutmut, a mutant's tests run fastest first, by the times of mutmut's first pass.

    mutmut passes a mutant's tests as a set, so they would run in no useful order; with ``-x`` the
    session ends at the first failure, and most mutants are caught by a contract test that takes
    milliseconds. mutmut's other passes (the first, the clean run, the forced failure) keep
    pytest's order.
    """
    if not _mutant_under_test():  # mutmut's other passes, or no mutmut at all
        return
    from mutmut.state import state  # filled by the process each mutant is forked from

    durations = state().duration_by_test
    items.sort(key=lambda item: durations.get(item.nodeid, 0.0))


@pytest.fixture(autouse=True)
def _derive_afresh_under_mutmut():
    """Under mutmut each test that types a text derives it itself: in the first pass so that its
    records name what it reaches, not a cache filled by an earlier test; in a mutant's session
    so that the mutant runs, not the derivations its session inherited from that first pass
    (with them a test that types a text already derived never calls budget.run)."""
    if _collecting_mutmut_stats() or _mutant_under_test():
        from backprop_core.activations import budget

        budget.EXPRESSIONS.clear()
        budget.DERIVED.clear()


def pytest_configure(config):
    """Under mutmut, each mutant's session has a temporary folder of its own, and a log of the
    tests that failed.

    pytest's default is one numbered folder per session under one shared base, whose older
    folders each new session may remove; mutmut starts sessions side by side, several a second,
    and a session ended by mutmut may leave its folder's lock behind. A folder of its own rules
    out one session touching another's.

    The log is a plugin of the whole session, not a hook of this folder's: it also sees the
    doctests in ``backprop_core/``.
    """
    if not _mutant_under_test():
        return
    if config.option.basetemp is None:
        folder = tempfile.mkdtemp(prefix="mutmut-session-")
        config.option.basetemp = folder
        config.add_cleanup(lambda: shutil.rmtree(folder, ignore_errors=True))
    config.pluginmanager.register(KillLog(), "mutmut-kill-log")


class KillLog:
    """The test that caught each mutant, in ``mutants/mutmut-kills.log``.

    One line per failure: the mutant, the test, the phase and the error (for a doctest, where it
    failed). A mutant marked equivalent that shows up there was caught by a test that can fail
    without it: a test to look at (``python -m tools.mutation_report`` lists such mutants with
    their test).
    """

    def pytest_runtest_logreport(self, report):
        if not report.failed:
            return
        crash = getattr(report.longrepr, "reprcrash", None)  # where the error was raised
        if crash is not None:
            error = (crash.message.strip().splitlines() or [""])[0]
        else:  # a doctest: its report ends with where and how it failed
            error = (report.longreprtext.strip().splitlines() or [""])[-1]
        with open("mutmut-kills.log", "a", encoding="utf-8") as log:
            log.write(f"{_mutant_under_test()}\t{report.nodeid}\t{report.when}\t{error[:300]}\n")
