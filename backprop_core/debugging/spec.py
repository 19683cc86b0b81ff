"""The records of the debugging tools: what a stage contributes, and what diagnose() finds.

Each stage's debugging module (``backprop_core.debugging.<stage>``, named by its registry record)
defines ``SPEC``, a :class:`Spec`, and ``BUGS``, a tuple of :class:`Bug`. The engine in
:mod:`~backprop_core.debugging.diagnose` reads nothing else about a stage.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np


class Pattern(NamedTuple):
    """A typical mistake: if a gradient equals ``alternative``, its cause is ``cause``.

    ``localised`` says whether the entries that differ are worth listing (not for a term that
    is wrong everywhere, such as a missing regularisation gradient).
    """

    cause: str
    explanation: str
    alternative: np.ndarray
    localised: bool = True


class Context(NamedTuple):
    """What the reading of a difference needs to know about one case.

    ``N`` is the batch size (for a missing 1/N); ``patterns`` maps a gradient's name to the
    mistakes that stage's learners make; ``kinks`` marks the inputs exactly at a kink, where a
    difference may be a convention rather than an error; ``large`` says whether the case has
    inputs large enough to overflow (set by diagnose, not by the stage).
    """

    N: int | None = None
    patterns: Mapping[str, tuple[Pattern, ...]] = {}
    kinks: np.ndarray | None = None
    large: bool = False


def no_context(inputs: dict, want: dict) -> Context:
    """The context of a stage with no typical mistakes to recognise."""
    return Context()


@dataclass(frozen=True)
class Spec:
    """How diagnose() exercises one stage.

    Attributes
    ----------
    engine : callable
        The engine's function with the learner's signature: the reference.
    outputs : tuple of str
        Names of what the function returns, in order (``("dx", "dW", "db")``).
    compared : tuple of str
        The results compared, in the order they are read (the first wrong one is reported).
    cases : callable
        ``cases(rng)`` yields ``(label, inputs)``: the cases learners forget, inputs by name.
    hints : mapping
        Cause -> what to read in the workbook; a cause missing here falls back on the generic hints.
    context : callable
        ``context(inputs, want) -> Context``: batch size, typical mistakes, kinks.
    plain_check : callable or None
        ``plain_check(fn, inputs)``: the relative error a plain gradient check of ``fn`` reports.
    culprit : callable or None
        ``culprit(gradient, cause)``: the stage at fault, for a stage made of others.
    read : callable or None
        ``read(result) -> dict``: what the function returned, by the names in ``compared`` (and
        ``loss``), when it is not a plain tuple of ``outputs``; raises
        :class:`~backprop_core.debugging.returns.WrongReturn` for a result of the wrong form.
    """

    engine: Callable
    outputs: tuple[str, ...]
    compared: tuple[str, ...]
    cases: Callable[[np.random.Generator], Iterable[tuple[str, dict]]]
    hints: Mapping[str, str] = field(default_factory=dict)
    context: Callable[[dict, dict], Context] = no_context
    plain_check: Callable | None = None
    culprit: Callable[[str, str], str | None] | None = None
    read: Callable | None = None


class Bug(NamedTuple):
    """One broken function of the gallery: ``fn`` replaces the engine's function of ``stage``."""

    name: str
    stage: str
    description: str
    cause: str  # the cause code diagnose() should report
    fn: Callable


class Finding(NamedTuple):
    """One case's difference: which result, what cause, why, where, and a plain check's error."""

    case: str
    gradient: str
    cause: str
    explanation: str
    where: str | None = None
    numeric_error: float | None = None
