"""diagnose(): run a learner's backward pass against the engine and name what is wrong.

A plain gradient check says "relative error 0.17". :func:`diagnose` runs the candidate on the
cases learners forget (N = 1, non-square shapes, inputs exactly at a ReLU kink, scores of size
1e3, float32), compares every gradient with the engine's, and reads the pattern of the difference:
a constant factor, a transpose, a sum over the wrong axis, a changed argument, non-finite values
at large inputs, a difference only at kinks. Stages and signatures:

- ``"softmax_cross_entropy"``: ``fn(scores, y) -> (loss, dscores)``
- ``"affine_backward"``: ``fn(dout, cache) -> (dx, dW, db)``, cache from ``affine_forward``
- ``"relu_backward"``: ``fn(dout, cache) -> dx``, cache from ``relu_forward``
- ``"two_layer_loss"``: ``fn(params, X, y, reg) -> (loss, grads)``, keyed like ``TwoLayerNet``
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import layers
from ._cases import CASES, ORDER, _call, _changed, _copy, _reference
from ._patterns import _classify, _context, _net_classify, _net_stage
from .gradcheck import numerical_gradient, numerical_gradient_array, rel_error

STAGES = ("softmax_cross_entropy", "affine_backward", "relu_backward", "two_layer_loss")
HINTS = {  # cause -> what to read in the workbook
    "factor-N": "02-Softmax-Gradient, 'why divide by N': the loss is a mean over the batch",
    "factor": "a constant factor: check every scale in the formula (02, 06)",
    "overflow": "01-Forward-Pass, the stable softmax: shift each row by its maximum",
    "softmax-axis": "02-Softmax-Gradient: probabilities are normalised over classes (axis=1)",
    "bias-axis": "04-Bias-Gradient: db sums the per-sample gradients, over axis 0",
    "transpose": "03-Weight-Gradient: dW = x^T dout (D, M) and dx = dout W^T (N, D)",
    "mutation": "08-Errata-and-Pitfalls: copy before changing an array in place",
    "mask-array": "05-ReLU-Gradient: the mask comes from the ReLU's input, x > 0",
    "kink": "05-ReLU-Gradient, the value at exactly zero: x > 0 (or the chosen at_zero)",
    "reg-factor": "06-Full-Backward-Pass: the gradient of reg * sum(W**2) is 2 * reg * W",
    "reg-missing": "06-Full-Backward-Pass: add 2 * reg * W to dW1 and dW2",
    "shape": "00-Start-Here, notation: a gradient has the shape of what it differentiates",
    "loss": "01-Forward-Pass: the loss is the mean over the batch of -log p[y]",
    "raises": "run it on the failing case by hand and read the traceback",
    "values": "06-Full-Backward-Pass: check each stage alone, from the loss backwards",
}


@dataclass
class Diagnosis:
    """What :func:`diagnose` found; ``ok`` when every gradient matched on every case."""

    stage: str
    ok: bool = True
    gradient: str | None = None
    case: str | None = None
    where: str | None = None
    cause: str | None = None
    explanation: str | None = None
    numeric_error: float | None = None
    cases: list[str] = field(default_factory=list)

    def headline(self) -> str:
        """What went wrong, in one line: which gradient (or argument) on which case."""
        if self.cause == "mutation":
            return f"it changes its argument {self.gradient} on the case '{self.case}'"
        if self.cause == "raises":
            return f"it fails on the case '{self.case}'"
        return f"{self.gradient} is wrong on the case '{self.case}'"

    @property
    def culprit(self) -> str | None:
        """The stage at fault: for a whole-net pass, read from the gradient and the cause."""
        if self.ok:
            return None
        if self.stage != "two_layer_loss":
            return self.stage
        if self.cause == "factor-N":
            return "softmax_cross_entropy (its 1/N feeds every gradient)"
        if self.cause in ("reg-factor", "reg-missing"):
            return "the regularisation term"
        if self.cause == "kink":
            return "relu_backward"
        if self.gradient in ("dW2", "db2"):
            return "affine_backward of layer 2"
        if self.gradient in ("dW1", "db1"):
            return "relu_backward or affine_backward of layer 1 (layer 2 is right)"
        return None

    @property
    def hint(self) -> str | None:
        return HINTS.get(self.cause) if self.cause else None

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


def _plain_check(stage, fn, inputs):
    """What a plain gradient check of the candidate would report: its relative error, or None
    for the stages where it is not computed (the affine map and the whole net)."""
    with np.errstate(all="ignore"):  # the candidate may overflow: that is not ours to report
        return _relative_error_of(stage, fn, inputs)


def _relative_error_of(stage, fn, inputs):
    try:
        if stage == "softmax_cross_entropy":
            scores, y = inputs["scores"].astype(float), inputs["y"]
            numeric = numerical_gradient(
                lambda s: layers.softmax_cross_entropy(s, y)[0], scores.copy()
            )
            return rel_error(_call(stage, fn, {"scores": scores, "y": y})["dscores"], numeric)
        if stage == "relu_backward":
            x, dout = inputs["cache"].x.astype(float), inputs["dout"].astype(float)
            numeric = numerical_gradient_array(lambda v: layers.relu_forward(v)[0], x.copy(), dout)
            got = _call(stage, fn, {"dout": dout.copy(), "cache": layers.relu_forward(x)[1]})["dx"]
            return rel_error(got, numeric)
    except (ValueError, TypeError, FloatingPointError):
        return None
    return None


def diagnose(fn, stage: str, seed: int = 0) -> Diagnosis:
    """Check ``fn`` against the engine's ``stage`` on the cases learners forget; name the cause.

    >>> from backprop_core import layers
    >>> diagnose(layers.affine_backward, "affine_backward").ok
    True
    >>> from backprop_core.gallery import bias_wrong_axis
    >>> print(diagnose(bias_wrong_axis, "affine_backward"))  # doctest: +ELLIPSIS
    affine_backward: db is wrong on the case 'N = 1'
      cause: shape (1,): one entry per sample instead of per column
      read: 04-Bias-Gradient: db sums the per-sample gradients, over axis 0
    """
    if stage not in STAGES:
        raise ValueError(f"stage must be one of {STAGES}; got {stage!r}")
    if not callable(fn):
        raise TypeError(
            f"fn must be a function with the signature of {stage}; got {type(fn).__name__}"
        )
    result = Diagnosis(stage)
    rng = np.random.default_rng(seed)
    findings = [
        _check_case(stage, fn, label, inputs, result) for label, inputs in CASES[stage](rng)
    ]
    findings = [f for f in findings if f is not None]
    if not findings:
        return result
    # a pattern seen on some case explains more than a crash or a bare difference on another
    telling = [f for f in findings if f[2] not in ("raises", "values")]
    case, gradient, cause, explanation, where, numeric = (telling or findings)[0]
    crashed = [f for f in findings if f[2] == "raises"]
    if telling and crashed:
        error_type = crashed[0][3].split(":")[0]  # "raises ValueError", without NumPy's wording
        explanation += f" (and it {error_type} on the case '{crashed[0][0]}')"
    diagnosis = _fail(result, case, gradient, cause, explanation, where)
    diagnosis.numeric_error = numeric
    return diagnosis


def _check_case(stage, fn, label, inputs, result):
    """One case: None when every gradient matches, else a finding
    ``(case, gradient, cause, explanation, where, numeric_error)``."""
    result.cases.append(label)
    want = _reference(stage, _copy(inputs))
    before = _copy(inputs)
    try:
        with np.errstate(all="ignore"):
            got = _call(stage, fn, inputs)
    except Exception as err:  # the candidate's own failure is the finding
        return label, "(the call)", "raises", f"raises {type(err).__name__}: {err}", None, None
    changed = _changed(before, inputs)
    if changed:
        return label, changed, "mutation", f"changes its argument {changed} in place", None, None
    context = _context(stage, before, want)
    classify = _net_classify if stage == "two_layer_loss" else _classify
    for name in ORDER[stage]:
        g, w = got.get(name), want[name]
        if (
            g is not None
            and np.shape(g) == w.shape
            and np.allclose(
                np.asarray(g, dtype=float),
                w,
                rtol=context["tol"],
                atol=context["tol"] * max(1.0, float(np.abs(w).max())),
            )
        ):
            continue
        cause, explanation, where = classify(name, g, w, context)
        if stage == "two_layer_loss" and cause == "values":
            explanation = _net_stage(got, want, explanation)
        return label, name, cause, explanation, where, _plain_check(stage, fn, before)
    if "loss" in want and not np.isclose(
        float(got.get("loss", np.nan)), want["loss"], rtol=context["tol"], atol=context["tol"]
    ):
        explanation = (
            f"the gradients are right but the loss is {got.get('loss')!r}, not {want['loss']:.6g}"
        )
        return label, "loss", "loss", explanation, None, None
    return None


def _fail(result, case, gradient, cause, explanation, where=None):
    result.ok, result.case, result.gradient = False, case, gradient
    result.cause, result.explanation, result.where = cause, explanation, where
    return result
