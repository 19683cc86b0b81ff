"""diagnose(): run a learner's function against the engine and name what is wrong.

A plain gradient check says "relative error 0.17". :func:`diagnose` runs the candidate on the
cases learners forget (N = 1, non-square shapes, inputs exactly at a ReLU kink, scores of size
1e3, float32), compares every result with the engine's, and reads the pattern of the difference:
a constant factor, a transpose, a sum over the wrong axis, a changed argument, non-finite values
at large inputs, a difference only at kinks. Before the values, the form of what came back:
None, the wrong number of values, a dict, complex numbers, a lower precision (see
:mod:`~backprop_core.debugging.returns`). Each call has a time limit
(:mod:`~backprop_core.debugging.timelimit`). The stages, their signatures and their cases come
from :data:`backprop_core.registry.STAGES`.
"""

from __future__ import annotations

import inspect
import warnings
from dataclasses import dataclass, field

import numpy as np

from .. import registry
from .arguments import changed, copy_of
from .patterns import classify
from .returns import WrongReturn, loss_problem, unpack, value_problem
from .spec import Finding, Spec
from .timelimit import TimeLimitExceeded, call_within, checked_seconds

HINTS = {  # every cause patterns.classify can name -> what to read, unless the Spec says better
    "factor-N": "02-Softmax-Gradient, 'why divide by N': the loss is a mean over the batch",
    "factor": "a constant factor: check every scale in the formula (02, 06)",
    "overflow": "01-Forward-Pass, the stable softmax: shift each row by its maximum",
    "transpose": "03-Weight-Gradient: dW = x^T dout (D, M) and dx = dout W^T (N, D)",
    "bias-axis": "04-Bias-Gradient: db sums the per-sample gradients, over axis 0",
    "mutation": "08-Errata-and-Pitfalls: copy before changing an array in place",
    "shape": "00-Start-Here, notation: a gradient has the shape of what it differentiates",
    "loss": "01-Forward-Pass: the loss is the mean over the batch of -log p[y]",
    "raises": "run it on the failing case by hand and read the traceback",
    "values": "06-Full-Backward-Pass: check each stage alone, from the loss backwards",
    "non-finite": "a division by zero, a log of 0 or an np.empty left unfilled: print each step",
    "timeout": "run it by hand on that case (Kernel > Interrupt stops it); "
    "a function that is only slow gets more time with timeout=",
    "signature": "00-Start-Here, Exercises: the stage fixes the arguments, in its order",
    "returns-none": "00-Start-Here, Exercises: end the function with `return` and its results",
    "arity": "00-Start-Here, Exercises: return exactly the results of the stage, in its order",
    "returns-type": "00-Start-Here, Exercises: return what the library's function returns",
    "not-numeric": "00-Start-Here, notation: a gradient is an array with the shape of its variable",
    "complex": "look for a 1j, a complex dtype, or np.emath's sqrt or log of a negative number",
    "dtype": "a gradient keeps the dtype of its inputs: look for astype(np.float32), np.float32()",
    "zeros": "06-Full-Backward-Pass: each gradient is computed from dout and the cache",
    "unreadable": "return NumPy arrays: the result could not be read as numbers",
}


@dataclass
class Diagnosis:
    """What :func:`diagnose` found; ``ok`` when every result matched on every case."""

    stage: str
    ok: bool = True
    gradient: str | None = None
    case: str | None = None
    where: str | None = None
    cause: str | None = None
    explanation: str | None = None
    numeric_error: float | None = None
    cases: list[str] = field(default_factory=list)
    culprit: str | None = None
    hint: str | None = None
    timeout: float | None = None

    def headline(self) -> str:
        """What went wrong, in one line: which gradient (or argument) on which case."""
        if self.cause == "mutation":
            return f"it changes its argument {self.gradient} on the case '{self.case}'"
        if self.cause == "timeout":
            return (
                f"it did not return within {self.timeout:g} s on the case '{self.case}': "
                "an infinite loop?"
            )
        if self.cause in ("raises", "signature"):
            return f"it fails on the case '{self.case}'"
        if self.gradient == "(the result)":
            return f"it returns the wrong kind of result on the case '{self.case}'"
        return f"{self.gradient} is wrong on the case '{self.case}'"

    def __str__(self) -> str:
        if self.ok:
            cases = "; ".join(self.cases)
            return f"{self.stage}: every gradient matches on {len(self.cases)} cases ({cases})"
        lines = [f"{self.stage}: {self.headline()}", f"  cause: {self.explanation}"]
        if self.culprit and self.culprit != self.stage:
            lines.append(f"  stage at fault: {self.culprit}")
        if self.where:
            lines.append(f"  where: {self.where}")
        if self.numeric_error is not None:
            lines.append(
                f"  a plain gradient check would only say: relative error {self.numeric_error:.2g}"
            )
        lines.append(f"  read: {self.hint}")
        return "\n".join(lines)


def spec_of(stage: str) -> Spec:
    """The :class:`~backprop_core.debugging.spec.Spec` of a registered stage.

    >>> spec_of("relu_backward").outputs
    ('dx',)
    """
    return registry.get(stage).load("debugging").SPEC


def diagnose(fn, stage: str, seed: int = 0, *, timeout: float | None = None) -> Diagnosis:
    """Check ``fn`` against the engine's ``stage`` on the cases learners forget; name the cause.

    Each call of ``fn`` may take ``timeout`` seconds (default
    :data:`backprop_core.debugging.timelimit.SECONDS`, 10 s); a call that runs longer is stopped
    and reported, and the remaining cases are skipped. The limit is a ``SIGALRM`` timer in the
    main thread (a notebook cell, a widget callback), which stops Python loops and sleeps; in
    another thread or without ``SIGALRM`` (Windows) the call runs in a daemon thread that is
    abandoned after the limit (see :mod:`~backprop_core.debugging.timelimit`).

    >>> from backprop_core import layers
    >>> diagnose(layers.affine_backward, "affine_backward").ok
    True
    >>> from backprop_core.debugging.affine import bias_wrong_axis
    >>> print(diagnose(bias_wrong_axis, "affine_backward"))  # doctest: +ELLIPSIS
    affine_backward: db is wrong on the case 'N = 1'
      cause: shape (1,): one entry per sample instead of per column
      read: 04-Bias-Gradient: db sums the per-sample gradients, over axis 0
    """
    spec = spec_of(stage)
    if not callable(fn):
        raise TypeError(
            f"fn must be a function with the signature of {stage}; got {type(fn).__name__}"
        )
    seconds = checked_seconds(timeout)
    cases, findings = [], []
    for label, inputs in spec.cases(np.random.default_rng(seed)):
        cases.append(label)
        finding = _check_case(spec, fn, label, inputs, seconds)
        if finding is not None:
            findings.append(finding)
            if finding.cause in ("timeout", "signature"):
                break  # another case would wait as long, or fail the same way
    if not findings:
        return Diagnosis(stage, cases=cases)
    # a pattern seen on some case explains more than a crash or a bare difference on another
    telling = [f for f in findings if f.cause not in ("raises", "values")]
    first = findings[-1] if findings[-1].cause == "timeout" else (telling or findings)[0]
    explanation = first.explanation
    crashed = [f for f in findings if f.cause == "raises"]
    if telling and crashed and first.cause != "timeout":
        error_type = crashed[0].explanation.split(":")[0]  # "raises ValueError", not its wording
        explanation += f" (and it {error_type} on the case '{crashed[0].case}')"
    return Diagnosis(
        stage,
        ok=False,
        gradient=first.gradient,
        case=first.case,
        where=first.where,
        cause=first.cause,
        explanation=explanation,
        numeric_error=first.numeric_error,
        cases=cases,
        culprit=spec.culprit(first.gradient, first.cause) if spec.culprit else stage,
        hint=spec.hints.get(first.cause) or HINTS.get(first.cause),
        timeout=seconds,
    )


def _read(spec: Spec, result) -> dict:
    return spec.read(result) if spec.read is not None else unpack(result, spec.outputs)


def _quietly(fn, args: tuple):
    with np.errstate(all="ignore"):  # the candidate may overflow: its values say so
        return fn(*args)


def _check_case(spec: Spec, fn, label: str, inputs: dict, seconds: float) -> Finding | None:
    """One case: None when every result matches the engine's, else what differs."""
    want = _read(spec, spec.engine(*copy_of(inputs).values()))
    before = copy_of(inputs)
    refused = _refuses(fn, inputs)
    if refused:
        return Finding(label, "(the call)", "signature", refused)
    try:
        result = call_within(seconds, _quietly, fn, tuple(inputs.values()))  # positional
    except TimeLimitExceeded:
        explanation = f"stopped after {seconds:g} s; the cases after this one were not run"
        return Finding(label, "(the call)", "timeout", explanation)
    except (Exception, SystemExit) as err:  # the candidate's own failure is the finding
        return Finding(label, "(the call)", "raises", f"raises {type(err).__name__}: {err}")
    argument = changed(before, inputs)
    if argument:
        return Finding(label, argument[0], "mutation", argument[1])
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return _compare(spec, fn, label, _read(spec, result), want, before, seconds)
    except WrongReturn as wrong:
        return Finding(label, wrong.gradient, wrong.cause, wrong.explanation)
    except Exception as err:  # a result too odd to read: say so rather than crash
        explanation = f"its result could not be read ({type(err).__name__}: {err})"
        return Finding(label, "(the result)", "unreadable", explanation)


def _refuses(fn, inputs: dict) -> str | None:
    """Why ``fn`` cannot take the stage's arguments positionally, or None."""
    try:
        inspect.signature(fn).bind(*inputs.values())
    except TypeError as err:
        return f"it cannot be called with ({', '.join(inputs)}): {err}"
    except ValueError:  # no signature to read (a builtin): the call will tell
        pass
    return None


def _compare(spec, fn, label, got, want, before, seconds) -> Finding | None:
    context = spec.context(before, want)._replace(large=_large(before))
    tol = _tolerance(before)
    problems = {name: value_problem(name, got.get(name), want[name], tol) for name in spec.compared}
    wrong = [
        name
        for name in spec.compared
        if problems[name] or not _matches(got.get(name), want[name], tol)
    ]
    if wrong:
        name = wrong[0]
        if problems[name]:
            return Finding(label, name, *problems[name])
        cause, explanation, where = classify(name, got.get(name), want[name], context, tol)
        if cause == "values" and len(spec.compared) > 1:
            explanation += f"; wrong: {', '.join(wrong)}"
        return Finding(
            label, name, cause, explanation, where, _plain_check(spec, fn, before, seconds)
        )
    if "loss" in want:
        explanation = loss_problem(got.get("loss"), float(want["loss"]), tol)
        if explanation:
            return Finding(label, "loss", "loss", explanation)
    return None


def _matches(got, want: np.ndarray, tol: float) -> bool:
    if got is None or np.shape(got) != want.shape:
        return False
    atol = tol * max(1.0, float(np.abs(want).max()))
    return bool(np.allclose(np.asarray(got, dtype=float), want, rtol=tol, atol=atol))


def _tolerance(inputs: dict) -> float:
    """1e-4 when the case is float32 (its first float array), else 1e-9."""
    arrays = [v for v in inputs.values() if isinstance(v, np.ndarray) and v.dtype.kind == "f"]
    return 1e-4 if arrays and arrays[0].dtype == np.float32 else 1e-9


def _large(inputs: dict) -> bool:
    """Whether some float input (in a cache or a dict too) is 100 or more in size."""

    def sizes(value):
        if isinstance(value, np.ndarray) and value.dtype.kind == "f" and value.size:
            yield float(np.max(np.abs(value)))
        elif isinstance(value, dict | tuple):
            for item in value.values() if isinstance(value, dict) else value:
                yield from sizes(item)

    return any(size >= 100 for size in sizes(inputs))


def _plain_check(spec: Spec, fn, inputs: dict, seconds: float) -> float | None:
    """What a plain gradient check of the candidate would report, where the stage has one."""
    if spec.plain_check is None:
        return None

    def call(case: dict) -> dict:
        return _read(spec, call_within(seconds, _quietly, fn, tuple(case.values())))

    try:
        return spec.plain_check(call, copy_of(inputs))
    except (Exception, SystemExit, TimeLimitExceeded):  # not ours to report a second time
        return None
