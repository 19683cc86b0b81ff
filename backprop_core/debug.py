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
from .gradcheck import rel_error
from .net import TwoLayerNet

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


def _where(diff_mask) -> str:
    idx = np.argwhere(diff_mask)
    if diff_mask.ndim == 2:
        rows, cols = sorted(set(idx[:, 0].tolist())), sorted(set(idx[:, 1].tolist()))
        return f"{len(idx)} of {diff_mask.size} entries, rows {rows[:8]}, columns {cols[:8]}"
    return f"{len(idx)} of {diff_mask.size} entries, e.g. {[tuple(i) for i in idx[:4].tolist()]}"


def _classify(name, got, want, context):
    """``(cause, explanation, where)`` for a gradient that differs from the engine's."""
    got = np.asarray(got, dtype=float) if got is not None else None
    if got is None or got.shape != want.shape:
        shape = None if got is None else got.shape
        if shape == want.shape[::-1]:
            return "transpose", f"shape {shape}, the transpose of the expected {want.shape}", None
        if name.startswith("db") and shape == (context.get("N"),):
            return "bias-axis", f"shape {shape}: one entry per sample instead of per column", None
        return "shape", f"shape {shape}, expected {want.shape}", None
    if not np.isfinite(got).all():
        return "overflow", "non-finite values where the engine's are finite (large inputs)", None
    tol = context["tol"]
    diff = ~np.isclose(got, want, rtol=tol, atol=tol * max(1.0, float(np.abs(want).max())))
    where = _where(diff)
    nonzero = np.abs(want) > tol
    if nonzero.any():
        ratios = got[nonzero] / want[nonzero]
        k = float(np.median(ratios))
        if np.allclose(ratios, k, rtol=1e-6) and np.allclose(got, k * want, rtol=1e-6, atol=tol):
            N = context.get("N")
            if N and N > 1 and np.isclose(k, N):
                return (
                    "factor-N",
                    f"every entry is N = {N} times too large: the 1/N is missing",
                    where,
                )
            return "factor", f"every entry is {k:.3g} times the right value", where
    if want.ndim == 2 and want.shape[0] == want.shape[1] and np.allclose(got, want.T, atol=tol):
        return (
            "transpose",
            "the transpose of the right gradient (square, so the shape agreed)",
            where,
        )
    for cause, explain, alternative in context.get("patterns", ()):
        if alternative is not None and np.allclose(got, alternative, atol=tol):
            return cause, explain, where
    kinks = context.get("kinks")
    if kinks is not None and kinks.shape == diff.shape and diff[~kinks].sum() == 0:
        return "kink", "differs only where the ReLU's input is exactly 0", where
    return "values", f"max |difference| {float(np.max(np.abs(got - want))):.3g}", where


# -- cases, per stage: (label, inputs, context) ----------------------------------------------------


def _softmax_cases(rng):
    for label, N, C, scale, dtype in (
        ("N = 1, C = 2", 1, 2, 1.0, np.float64),
        ("N = 5, C = 3", 5, 3, 1.0, np.float64),
        ("scores of size 1e3", 4, 3, 1e3, np.float64),
        ("float32", 3, 4, 1.0, np.float32),
    ):
        scores = (scale * rng.normal(size=(N, C))).astype(dtype)
        yield label, {"scores": scores, "y": rng.integers(0, C, N)}


def _affine_cases(rng):
    for label, (N, D, M), dtype in (
        ("N = 1", (1, 3, 2), np.float64),
        ("non-square 5 x 4 -> 3", (5, 4, 3), np.float64),
        ("square 3 x 3 -> 3", (3, 3, 3), np.float64),
        ("float32", (4, 2, 3), np.float32),
    ):
        x, W = rng.normal(size=(N, D)).astype(dtype), rng.normal(size=(D, M)).astype(dtype)
        _, cache = layers.affine_forward(x, W, rng.normal(size=M).astype(dtype))
        yield label, {"dout": rng.normal(size=(N, M)).astype(dtype), "cache": cache}


def _relu_cases(rng):
    for label, shape, dtype in (
        ("a vector with exact zeros", (7,), np.float64),
        ("a matrix with exact zeros", (4, 5), np.float64),
        ("float32", (3, 4), np.float32),
    ):
        x = rng.normal(size=shape).astype(dtype)
        x.flat[::3] = 0.0  # every third input exactly at the kink
        _, cache = layers.relu_forward(x)
        yield label, {"dout": rng.normal(size=shape).astype(dtype), "cache": cache}


def _net_cases(rng):
    for label, (N, D, H, C), reg, kink in (
        ("N = 1", (1, 3, 4, 2), 0.0, False),
        ("N = 5, no reg", (5, 4, 6, 3), 0.0, False),
        ("N = 5, reg 0.1", (5, 4, 6, 3), 0.1, False),
        ("an input at a kink", (4, 3, 5, 3), 0.05, True),
    ):
        net = TwoLayerNet(D, H, C, std=0.5, seed=int(rng.integers(1 << 30)))
        X = rng.normal(size=(N, D))
        if kink:
            X[0] = 0.0  # with b1 = 0 every pre-activation of sample 0 is exactly 0
        yield label, {"params": net.params, "X": X, "y": rng.integers(0, C, N), "reg": reg}


def _reference(stage, inputs):
    if stage == "softmax_cross_entropy":
        return dict(zip(("loss", "dscores"), layers.softmax_cross_entropy(**inputs), strict=True))
    if stage == "affine_backward":
        return dict(zip(("dx", "dW", "db"), layers.affine_backward(**inputs), strict=True))
    if stage == "relu_backward":
        return {"dx": layers.relu_backward(**inputs)}
    net = TwoLayerNet(*inputs["params"]["W1"].shape, inputs["params"]["W2"].shape[1])
    net.params = {k: v.copy() for k, v in inputs["params"].items()}
    loss, grads = net.loss(inputs["X"], inputs["y"], inputs["reg"])
    return {"loss": loss, **{"d" + k: v for k, v in grads.items()}}


def _call(stage, fn, inputs):
    args = list(inputs.values())  # positional: a learner may name the parameters differently
    if stage == "two_layer_loss":
        loss, grads = fn(*args)
        return {"loss": loss, **{"d" + k: grads.get(k) for k in ("W2", "b2", "W1", "b1")}}
    out = fn(*args)
    names = {
        "softmax_cross_entropy": ("loss", "dscores"),
        "affine_backward": ("dx", "dW", "db"),
        "relu_backward": ("dx",),
    }[stage]
    out = out if isinstance(out, tuple) else (out,)
    return dict(zip(names, out, strict=False))


def _context(stage, inputs, want):
    """What the classifier needs to recognise this stage's typical mistakes."""
    dtype = (
        next(v.dtype for v in inputs.values() if isinstance(v, np.ndarray) and v.dtype.kind == "f")
        if stage != "two_layer_loss"
        else np.float64
    )
    context = {"tol": 1e-4 if dtype == np.float32 else 1e-9, "patterns": []}
    if stage == "softmax_cross_entropy":
        scores, y = inputs["scores"].astype(float), inputs["y"]
        context["N"] = len(y)
        shifted = np.exp(scores - scores.max(axis=0, keepdims=True))
        other = shifted / shifted.sum(axis=0, keepdims=True)
        other[np.arange(len(y)), y] -= 1
        context["patterns"].append(
            (
                "softmax-axis",
                "probabilities normalised along axis 0 (over "
                "samples) instead of axis 1 (over classes)",
                other / len(y),
            )
        )
    elif stage == "affine_backward":
        dout, W = inputs["dout"].astype(float), inputs["cache"].W.astype(float)
        context["N"] = dout.shape[0]
        if W.shape[0] == W.shape[1]:
            context["patterns"].append(
                ("transpose", "dx = dout W: the weights need their transpose, dout W^T", dout @ W)
            )
    elif stage == "relu_backward":
        dout, x = inputs["dout"].astype(float), inputs["cache"].x
        context["kinks"] = x == 0
        context["patterns"].append(
            (
                "mask-array",
                "the mask is taken from dout, not from the ReLU's input",
                dout * (dout > 0),
            )
        )
    else:
        params, reg = inputs["params"], inputs["reg"]
        context["N"] = len(inputs["y"])
        for name in ("W1", "W2"):
            if reg:
                context[f"reg d{name}"] = (
                    want[f"d{name}"] - reg * params[name],
                    want[f"d{name}"] - 2 * reg * params[name],
                )
    return context


def _net_classify(name, got, want, context):
    """Two-layer gradients: first the regularisation patterns, then the generic reading."""
    pair = context.get(f"reg {name}")
    if pair is not None and got is not None and np.shape(got) == want.shape:
        half, none = pair
        if np.allclose(got, half, atol=1e-9):
            return "reg-factor", "the regularisation gradient is reg * W, half of 2 * reg * W", None
        if np.allclose(got, none, atol=1e-9):
            return "reg-missing", "the regularisation gradient 2 * reg * W is missing", None
    return _classify(name, got, want, context)


def _numeric_error(stage, fn, inputs, name):
    """What a plain gradient check of the candidate's ``name`` would report (or None)."""
    with np.errstate(all="ignore"):
        return _plain_check(stage, fn, inputs, name)


def _plain_check(stage, fn, inputs, name):
    from .gradcheck import numerical_gradient, numerical_gradient_array

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


def _copy(value):
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return (
            type(value)(*(_copy(v) for v in value))
            if hasattr(value, "_fields")
            else tuple(_copy(v) for v in value)
        )
    return value


def _changed(before, after, prefix=""):
    """Name of the first argument whose arrays differ after the call, or None."""
    for key in before:
        b, a = before[key], after[key]
        if isinstance(b, np.ndarray) and not np.array_equal(a, b, equal_nan=True):
            return prefix + key
        if isinstance(b, dict | tuple):
            keys = b.keys() if isinstance(b, dict) else getattr(b, "_fields", range(len(b)))
            for k in keys:
                bv, av = (b[k], a[k]) if isinstance(b, dict) else (getattr(b, k), getattr(a, k))
                if isinstance(bv, np.ndarray) and not np.array_equal(av, bv):
                    return f"{prefix}{key}.{k}" if not isinstance(b, dict) else f"{key}['{k}']"
    return None


CASES = {
    "softmax_cross_entropy": _softmax_cases,
    "affine_backward": _affine_cases,
    "relu_backward": _relu_cases,
    "two_layer_loss": _net_cases,
}
ORDER = {
    "softmax_cross_entropy": ("dscores", "loss"),
    "affine_backward": ("dW", "db", "dx"),
    "relu_backward": ("dx",),
    "two_layer_loss": ("dW2", "db2", "dW1", "db1", "loss"),
}


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
        if name == "loss":
            continue
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
            cause, explanation = _net_stage(got, want, context, name, explanation)
        return label, name, cause, explanation, where, _numeric_error(stage, fn, before, name)
    if "loss" in want and not np.isclose(
        float(got.get("loss", np.nan)), want["loss"], rtol=context["tol"], atol=context["tol"]
    ):
        explanation = (
            f"the gradients are right but the loss is {got.get('loss')!r}, not {want['loss']:.6g}"
        )
        return label, "loss", "loss", explanation, None, None
    return None


def _net_stage(got, want, context, name, explanation):
    """For a whole-net gradient that matches no pattern, say which stage it points to."""
    wrong = [
        n
        for n in ("dW2", "db2", "dW1", "db1")
        if got.get(n) is None
        or np.shape(got[n]) != want[n].shape
        or not np.allclose(got[n], want[n], atol=1e-8)
    ]
    if wrong == ["dW1", "db1"] or wrong == ["db1"] or wrong == ["dW1"]:
        return "values", f"{explanation}; layer 2 is right, so look at the ReLU or layer 1"
    return "values", f"{explanation}; wrong: {', '.join(wrong)}"


def _fail(result, case, gradient, cause, explanation, where=None):
    result.ok, result.case, result.gradient = False, case, gradient
    result.cause, result.explanation, result.where = cause, explanation, where
    return result
