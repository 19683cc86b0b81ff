"""Reading what a candidate returned, before any value is compared with the engine's.

A learner's function can return the wrong thing in many ways that are not wrong numbers: None (a
missing ``return``), one array where ``(loss, dscores)`` was expected, a 1-tuple, extra values,
a dict, strings, complex numbers, float32 where float64 was expected. Each gets its own cause
and a sentence that says what arrived and what was expected, instead of a crash inside
:func:`~backprop_core.debugging.diagnose`.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from numbers import Number

import numpy as np

PRECISION = {2: 1e-2, 4: 1e-4}  # itemsize of a float -> the tolerance its rounding needs


class WrongReturn(Exception):
    """What a candidate returned cannot be read as the stage's results: ``cause`` says why."""

    def __init__(self, cause: str, explanation: str, gradient: str = "(the result)"):
        super().__init__(explanation)
        self.cause, self.explanation, self.gradient = cause, explanation, gradient


def describe(value) -> str:
    """A value in a few words, as a message names what arrived.

    >>> describe(None), describe((1, 2)), describe(np.zeros((2, 3)))
    ('None', 'a tuple of 2 values', 'an array of shape (2, 3)')
    """
    if value is None:
        return "None"
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}" + (
            "" if value.dtype.kind in "biufc" else f" and dtype {value.dtype}"
        )
    if isinstance(value, tuple | list):
        kind = type(value).__name__
        return f"a {kind} of {len(value)} value" + ("" if len(value) == 1 else "s")
    if isinstance(value, Mapping):
        return f"a dict with the keys {', '.join(map(repr, value))}" if value else "an empty dict"
    if isinstance(value, str):
        return f"the string {value[:30]!r}"
    if isinstance(value, Number):
        return f"the number {value!r}"
    return f"a {type(value).__name__}"


def expected(outputs: tuple[str, ...]) -> str:
    """What a stage returns, as a message says it: ``(dx, dW, db)`` or ``the array dx``."""
    return f"the array {outputs[0]}" if len(outputs) == 1 else f"({', '.join(outputs)})"


def unpack(result, outputs: tuple[str, ...]) -> dict:
    """The returned values by name, or :class:`WrongReturn` saying what arrived instead.

    >>> sorted(unpack((1.0, np.zeros(2)), ("loss", "dscores")))
    ['dscores', 'loss']
    >>> unpack(np.zeros((2, 3)), ("loss", "dscores"))
    Traceback (most recent call last):
    ...
    backprop_core.debugging.returns.WrongReturn: returns a single array of shape (2, 3)
    where 2 values were expected: (loss, dscores)
    """
    want = expected(outputs)
    if result is None:
        raise WrongReturn("returns-none", f"returns None where {want} was expected: no `return`?")
    if isinstance(result, Mapping):
        raise WrongReturn("returns-type", f"returns {describe(result)} where {want} was expected")
    if len(outputs) == 1:
        if isinstance(result, tuple):
            raise WrongReturn(
                "arity", f"returns {describe(result)} where {want} alone was expected"
            )
        return {outputs[0]: result}
    if isinstance(result, tuple | list):
        if len(result) != len(outputs):
            n, plural = len(result), "" if len(result) == 1 else "s"
            explanation = f"returns {n} value{plural} where {len(outputs)} were expected: {want}"
            raise WrongReturn("arity", explanation)
        return dict(zip(outputs, result, strict=True))
    if isinstance(result, np.ndarray | Number):
        single = "a single array of shape " + str(np.shape(result))
        what = single if isinstance(result, np.ndarray) else describe(result)
        raise WrongReturn(
            "arity", f"returns {what} where {len(outputs)} values were expected: {want}"
        )
    raise WrongReturn("returns-type", f"returns {describe(result)} where {want} was expected")


def as_numbers(value) -> np.ndarray | None:
    """``value`` as an array of real or complex numbers, or None when it is no such thing."""
    if value is None or isinstance(value, str | bytes | Mapping):
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            array = np.asarray(value)
    except Exception:  # a ragged list, an object that refuses: not numbers
        return None
    return array if array.dtype.kind in "biufc" else None


def value_problem(name: str, got, want: np.ndarray, tol: float) -> tuple[str, str] | None:
    """``(cause, explanation)`` when ``got`` is not a real array of the right precision, else None.

    A shape or a value that differs is left to :func:`~backprop_core.debugging.patterns.classify`;
    a lower precision (or an integer dtype) is the cause only when the values are right at it.

    >>> value_problem("dW", np.ones(2, np.float32), np.ones(2), 1e-9)
    ('dtype', 'float32 where float64 was expected: the right values, rounded to float32')
    >>> value_problem("dW", np.ones(2) + 1j, np.ones(2), 1e-9)[0]
    'complex'
    """
    array = as_numbers(got)
    if array is None:
        shape = f"an array of shape {want.shape}"
        return "not-numeric", f"{name} is {describe(got)} where {shape} was expected"
    if array.dtype.kind == "c":
        imag = float(np.max(np.abs(array.imag))) if array.size else 0.0
        if imag == 0:
            part = f"has the complex dtype {array.dtype} (all imaginary parts 0)"
        else:
            part = f"is complex (imaginary parts up to {imag:.3g})"
        return "complex", f"{name} {part}: the gradient of real inputs is real"
    if array.shape != want.shape:
        return None
    lower = array.dtype.kind == "f" and array.dtype.itemsize < want.dtype.itemsize
    if lower or array.dtype.kind in "biu":
        at = max(tol, PRECISION.get(array.dtype.itemsize, 0.0) if lower else 0.0)
        scale = max(1.0, float(np.max(np.abs(want)))) if want.size else 1.0
        right = np.allclose(array.astype(float), want, rtol=at, atol=at * scale)
        if right:
            rounded = f"rounded to {array.dtype}" if lower else f"of dtype {array.dtype}"
            return "dtype", (
                f"{array.dtype} where {want.dtype} was expected: the right values, {rounded}"
            )
    return None


def loss_problem(got, want: float, tol: float) -> str | None:
    """Why the returned loss is not the engine's ``want``, or None when it is.

    >>> loss_problem(np.ones(3), 1.0, 1e-9)
    'the loss is an array of shape (3,), not one number (1): the mean over the batch?'
    """
    array = as_numbers(got)
    if array is None:
        return f"the gradients are right but the loss is {describe(got)}, not {want:.6g}"
    if array.dtype.kind == "c":
        return f"the loss is complex ({got!r}), not the real number {want:.6g}"
    if array.size != 1:
        return f"the loss is {describe(got)}, not one number ({want:.6g}): the mean over the batch?"
    value = float(array.reshape(-1)[0])
    if np.isclose(value, want, rtol=tol, atol=tol):
        return None
    return f"the gradients are right but the loss is {value!r}, not {want:.6g}"
