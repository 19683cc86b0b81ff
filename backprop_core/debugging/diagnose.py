"""diagnose(): run a learner's function against the engine and name what is wrong.

A plain gradient check says "relative error 0.17". :func:`diagnose` runs the candidate on the
cases learners forget (N = 1, non-square shapes, inputs exactly at a ReLU kink, scores of size
1e3, float32), compares every result with the engine's, and reads the pattern of the difference:
a constant factor, a transpose, a sum over the wrong axis, a changed argument, non-finite values
at large inputs, a difference only at kinks. The stages, their signatures and their cases come
from :data:`backprop_core.registry.STAGES`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .. import registry
from .patterns import classify
from .spec import Finding, Spec

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

    def headline(self) -> str:
        """What went wrong, in one line: which gradient (or argument) on which case."""
        if self.cause == "mutation":
            return f"it changes its argument {self.gradient} on the case '{self.case}'"
        if self.cause == "raises":
            return f"it fails on the case '{self.case}'"
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


def diagnose(fn, stage: str, seed: int = 0) -> Diagnosis:
    """Check ``fn`` against the engine's ``stage`` on the cases learners forget; name the cause.

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
    cases, findings = [], []
    for label, inputs in spec.cases(np.random.default_rng(seed)):
        cases.append(label)
        finding = _check_case(spec, fn, label, inputs)
        if finding is not None:
            findings.append(finding)
    if not findings:
        return Diagnosis(stage, cases=cases)
    # a pattern seen on some case explains more than a crash or a bare difference on another
    telling = [f for f in findings if f.cause not in ("raises", "values")]
    first = (telling or findings)[0]
    explanation = first.explanation
    crashed = [f for f in findings if f.cause == "raises"]
    if telling and crashed:
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
    )


def _call(spec: Spec, fn, inputs: dict) -> dict:
    if spec.call is not None:
        return spec.call(fn, inputs)
    out = fn(*inputs.values())  # positional: a learner may name the parameters differently
    out = out if isinstance(out, tuple) else (out,)
    return dict(zip(spec.outputs, out, strict=False))


def _check_case(spec: Spec, fn, label: str, inputs: dict) -> Finding | None:
    """One case: None when every result matches the engine's, else what differs."""
    want = _call(spec, spec.engine, _copy(inputs))
    before = _copy(inputs)
    try:
        with np.errstate(all="ignore"):
            got = _call(spec, fn, inputs)
    except Exception as err:  # the candidate's own failure is the finding
        return Finding(label, "(the call)", "raises", f"raises {type(err).__name__}: {err}")
    changed = _changed(before, inputs)
    if changed:
        return Finding(label, changed, "mutation", f"changes its argument {changed} in place")
    context = spec.context(before, want)
    tol = _tolerance(before)
    wrong = [name for name in spec.compared if not _matches(got.get(name), want[name], tol)]
    if wrong:
        name = wrong[0]
        cause, explanation, where = classify(name, got.get(name), want[name], context, tol)
        if cause == "values" and len(spec.compared) > 1:
            explanation += f"; wrong: {', '.join(wrong)}"
        return Finding(label, name, cause, explanation, where, _plain_check(spec, fn, before))
    if "loss" in want and not np.isclose(
        float(got.get("loss", np.nan)), want["loss"], rtol=tol, atol=tol
    ):
        explanation = (
            f"the gradients are right but the loss is {got.get('loss')!r}, not {want['loss']:.6g}"
        )
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


def _plain_check(spec: Spec, fn, inputs: dict) -> float | None:
    """What a plain gradient check of the candidate would report, where the stage has one."""
    if spec.plain_check is None:
        return None
    try:
        with np.errstate(all="ignore"):  # the candidate may overflow: that is not ours to report
            return spec.plain_check(lambda case: _call(spec, fn, case), _copy(inputs))
    except (ValueError, TypeError, FloatingPointError):
        return None


def _copy(value):
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, tuple):
        items = (_copy(v) for v in value)
        return type(value)(*items) if hasattr(value, "_fields") else tuple(items)
    return value


def _changed(before: dict, after: dict) -> str | None:
    """Name of the first argument (or entry of one) whose array differs after the call, or None."""
    for key in before:
        for name, b, a in _arrays(key, before[key], after[key]):
            if not np.array_equal(a, b, equal_nan=True):
                return name
    return None


def _arrays(name, before, after):
    """``(name, before, after)`` for an array, or for each array in a dict or a cache."""
    if isinstance(before, np.ndarray):
        yield name, before, after
    elif isinstance(before, dict):
        for k in before:
            if isinstance(before[k], np.ndarray):
                yield f"{name}['{k}']", before[k], after[k]
    elif isinstance(before, tuple):
        fields = getattr(before, "_fields", None) or [f"[{i}]" for i in range(len(before))]
        for field_name, b, a in zip(fields, before, after, strict=True):
            if isinstance(b, np.ndarray):
                yield f"{name}.{field_name}".replace(".[", "["), b, a
