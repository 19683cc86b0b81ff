"""A time budget for everything SymPy does with a typed text.

Parsing, differentiating, simplifying and common-subexpression elimination run in a child
process (``fork`` where the platform has it: SymPy is already imported, so a child costs a few
milliseconds; ``spawn`` elsewhere) that is killed when :data:`TIME_BUDGET` runs out. A signal
could not do this: it cannot interrupt one long C call, and it works only in the main thread.
The child reports in stages, so a slow ``simplify`` costs only the tidy display of ``f'``: the
unsimplified derivative is kept. The parent then compiles the result, whose size
:data:`MAX_OPS` bounds, with ``lambdify``.
"""

from __future__ import annotations

import multiprocessing
import time
from typing import NamedTuple

import sympy as sp

from . import grammar, stable

TIME_BUDGET = 2.0  # seconds for one text: parse, derive, simplify and compile
CHILD_SHARE = 0.8  # of the budget for the child; the rest is left for compiling
STARTUP_ALLOWANCE = 60.0  # seconds a spawned child may take to import SymPy (not with fork)
MAX_OPS = 2000  # operations in the compiled forward and backward code, after cse


class Derivation(NamedTuple):
    """What the child sends back: the expression, ``f'`` as shown, and the code-to-be."""

    expr: sp.Expr
    derivative: sp.Expr
    forward: tuple  # (source, names) of the NumPy code
    slope: tuple


def too_complex(what: str) -> ValueError:
    return ValueError(
        f"text is too complex: {what} (the limit is {TIME_BUDGET:g} s of SymPy work and "
        f"{MAX_OPS} operations); write a shorter or less deeply nested expression"
    )


def derive_stages(text, expr, at_zero):
    """The child's work, stage by stage: the expression, then the code, then a simpler ``f'``."""
    if expr is None:
        expr = grammar.expression(text)
    yield "expr", expr
    if at_zero is None:
        return
    raw = stable.derivative_of(expr, at_zero)
    derivative = stable.with_steps_at(raw, at_zero)
    forward, slope = stable.numeric_forms(expr, at_zero)
    if derivative.has(sp.Derivative, sp.Subs):
        raise ValueError(f"text has no closed-form derivative that SymPy can write: {derivative}")
    forward, slope = sp.cse(forward, list=False), sp.cse(slope, list=False)
    ops = sum(sp.count_ops(e) for form in (forward, slope) for _, e in [*form[0], (0, form[1])])
    if ops > MAX_OPS:
        raise too_complex(f"its code would need {ops} operations")
    forward, slope = stable.source_of(forward), stable.source_of(slope)
    yield "derivation", Derivation(expr, derivative, forward, slope)
    if not raw.has(sp.Heaviside, sp.sign):  # (simplify would turn steps into Piecewise)
        yield "simplified", sp.simplify(raw)


def child(conn, task, args):
    try:
        conn.send(("ready", None))
        for stage in task(*args):
            conn.send(stage)
        conn.send(("done", None))
    except (ValueError, TypeError) as err:
        conn.send(("refused", (type(err).__name__, str(err))))
    except BaseException as err:  # SymPy gave up: say so without its traceback
        conn.send(("failed", f"{type(err).__name__}: {str(err)[:200]}"))
    finally:
        conn.close()


def context():
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def in_process(task, args):
    """The same stages without a child (inside a daemonic process, which may not have one)."""
    stages = {}
    try:
        stages.update(task(*args))
    except (ValueError, TypeError):
        raise
    except Exception as err:
        stages["failed"] = f"{type(err).__name__}: {str(err)[:200]}"
    return stages


def run(task, args, budget=None):
    """``{stage: result}`` for the stages ``task(*args)`` finished within the budget."""
    budget = TIME_BUDGET if budget is None else budget
    ctx = context()
    receive, send = ctx.Pipe(duplex=False)
    try:
        process = ctx.Process(target=child, args=(send, task, args), daemon=True)
        process.start()
    except (AssertionError, OSError):  # a daemonic process, or no processes left
        receive.close()
        send.close()
        return in_process(task, args)
    send.close()
    stages, deadline = {}, time.monotonic() + STARTUP_ALLOWANCE
    try:
        while "done" not in stages:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not receive.poll(remaining):
                break
            try:
                name, result = receive.recv()
            except EOFError:  # the child died (out of memory, killed)
                stages["failed"] = "the worker process died"
                break
            if name == "ready":
                deadline = time.monotonic() + CHILD_SHARE * budget
            stages[name] = result
            if name in ("refused", "failed"):
                break
    finally:
        if process.is_alive():
            process.kill()
        process.join()
        receive.close()
    if "refused" in stages:
        kind, message = stages["refused"]
        raise (TypeError if kind == "TypeError" else ValueError)(message)
    return stages


def outcome(stages, needed):
    if needed in stages:
        return stages[needed]
    if "failed" in stages:
        raise ValueError(f"text could not be derived: SymPy failed with {stages['failed']}")
    raise too_complex(f"SymPy did not finish within {CHILD_SHARE * TIME_BUDGET:g} s")


CACHE_SIZE = 512
EXPRESSIONS: dict = {}  # text -> expr
DERIVED: dict = {}  # (expr, at_zero) -> (derivation, compiled forward, compiled slope)


def remember(cache, key, value):
    if len(cache) >= CACHE_SIZE:
        cache.pop(next(iter(cache)))  # the oldest
    cache[key] = value
    return value


def parse(text):
    if text not in EXPRESSIONS:
        remember(EXPRESSIONS, text, outcome(run(derive_stages, (text, None, None)), "expr"))
    return EXPRESSIONS[text]


def derive(text, expr, at_zero):
    """``(derivation, compiled forward, compiled slope)`` for ``expr``, or for ``text``.

    One child does all the SymPy work for a new text, within one budget.
    """
    if expr is None and text in EXPRESSIONS:
        expr = EXPRESSIONS[text]
    if (expr, at_zero) in DERIVED:
        return DERIVED[expr, at_zero]
    stages = run(derive_stages, (text if expr is None else None, expr, at_zero))
    derivation = outcome(stages, "derivation")
    if "simplified" in stages:
        simple = stable.with_steps_at(stages["simplified"], at_zero)
        derivation = derivation._replace(derivative=simple)
    if expr is None:
        remember(EXPRESSIONS, text, derivation.expr)
    forward, slope = stable.from_source(*derivation.forward), stable.from_source(*derivation.slope)
    result = derivation, forward, slope
    return remember(DERIVED, (derivation.expr, at_zero), result)
