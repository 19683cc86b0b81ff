"""A time limit for one call of a learner's function, so that diagnose() and check() always return.

A candidate is ordinary Python code running in the learner's own kernel, and a thread cannot be
killed, so the limit has two mechanisms:

- **In the main thread, where a timer signal exists** (Linux, macOS; a notebook cell and a widget
  callback run in the kernel's main thread): ``SIGALRM`` from ``signal.setitimer``. Its handler
  raises :class:`TimeLimitExceeded` inside the candidate, which stops a pure-Python loop
  (``while True: pass``) and a sleep (``time.sleep(1e9)``); a single long call into compiled code
  (one huge ``np.dot``) is stopped when it returns to Python. The previous handler and any timer
  already running (pytest-timeout's, for one) are restored, with the time that timer had left.
- **Elsewhere** (another thread, Windows): the call runs in a daemon thread that is given up
  after the limit. The caller gets :class:`TimeLimitExceeded` on time; the abandoned thread is
  asked to stop (an asynchronous exception, which ends a Python loop but waits for a sleep to
  finish) and otherwise runs on in the background without blocking the kernel.

:data:`SECONDS` is the default limit of :func:`~backprop_core.debugging.diagnose` and
:func:`~backprop_core.debugging.check`; set it, or pass ``timeout=`` to either.
"""

from __future__ import annotations

import ctypes
import math
import signal
import threading
import time

SECONDS = 10.0  # the default limit per call of a candidate, in seconds


class TimeLimitExceeded(BaseException):
    """A call ran past its limit. A BaseException, so a candidate's ``except Exception`` cannot
    swallow it and loop on."""

    def __init__(self, seconds: float | None = None):
        limit = "its time limit" if seconds is None else f"{seconds:g} s"
        super().__init__(f"did not return within {limit}")
        self.seconds = seconds


def checked_seconds(timeout) -> float:
    """``timeout`` as a number of seconds, :data:`SECONDS` when it is None; refuses anything else.

    >>> checked_seconds(None) == SECONDS, checked_seconds(2)
    (True, 2.0)
    >>> checked_seconds(-1)
    Traceback (most recent call last):
    ...
    ValueError: timeout must be a positive number of seconds; got -1
    """
    if timeout is None:
        timeout = SECONDS
    if isinstance(timeout, bool) or not isinstance(timeout, int | float):
        raise TypeError(f"timeout must be a number of seconds or None; got {timeout!r}")
    if not (math.isfinite(timeout) and timeout > 0):
        raise ValueError(f"timeout must be a positive number of seconds; got {timeout!r}")
    return float(timeout)


def call_within(seconds: float, fn, *args):
    """``fn(*args)``, or :class:`TimeLimitExceeded` once it has run ``seconds`` without returning.

    >>> call_within(1.0, sum, [1, 2])
    3
    >>> import time
    >>> call_within(0.05, time.sleep, 60)
    Traceback (most recent call last):
    ...
    backprop_core.debugging.timelimit.TimeLimitExceeded: did not return within 0.05 s
    """
    if hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread():
        return _with_alarm(seconds, fn, args)
    return _in_thread(seconds, fn, args)


def _with_alarm(seconds: float, fn, args):
    start = time.monotonic()
    deadline = start + seconds
    outer_delay, outer_interval = signal.getitimer(signal.ITIMER_REAL)
    outer = {"deadline": start + outer_delay if outer_delay else None, "fired": False}

    def on_alarm(signum, frame):
        now = time.monotonic()
        if now >= deadline - 1e-3:
            raise TimeLimitExceeded(seconds)
        # the timer that was running before ours is due first: its handler's turn, then ours
        outer["fired"] = True
        signal.setitimer(signal.ITIMER_REAL, deadline - now)
        if callable(previous):
            previous(signum, frame)

    previous = signal.signal(signal.SIGALRM, on_alarm)
    first = seconds if outer["deadline"] is None else min(seconds, outer_delay)
    signal.setitimer(signal.ITIMER_REAL, first)
    try:
        return fn(*args)
    finally:
        _restore(previous, outer, outer_interval)


def _restore(previous, outer: dict, outer_interval: float) -> None:
    """Disarm our timer, put the previous handler back, and re-arm the timer that was running."""
    for _ in range(3):  # an alarm already pending may interrupt the first attempt
        try:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous if previous is not None else signal.SIG_DFL)
            break
        except TimeLimitExceeded:
            continue
    if outer["deadline"] is None:
        return
    if outer["fired"]:
        if outer_interval:
            signal.setitimer(signal.ITIMER_REAL, outer_interval, outer_interval)
        return
    left = max(outer["deadline"] - time.monotonic(), 1e-6)
    signal.setitimer(signal.ITIMER_REAL, left, outer_interval)


def _in_thread(seconds: float, fn, args):
    box: dict = {}

    def target():
        try:
            box["value"] = fn(*args)
        except BaseException as err:  # handed to the caller below
            box["error"] = err

    worker = threading.Thread(target=target, name="candidate under a time limit", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        _ask_to_stop(worker)
        raise TimeLimitExceeded(seconds)
    if "error" in box:
        raise box["error"]
    return box.get("value")


def _ask_to_stop(worker: threading.Thread) -> None:
    """Raise TimeLimitExceeded in ``worker`` at its next Python instruction (CPython only)."""
    try:
        set_async_exc = ctypes.pythonapi.PyThreadState_SetAsyncExc
    except AttributeError:  # not CPython: the thread runs on as a daemon
        return
    set_async_exc(ctypes.c_ulong(worker.ident), ctypes.py_object(TimeLimitExceeded))
