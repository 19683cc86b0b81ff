"""check(): feedback on a function a learner writes in a workbook exercise.

The stages and signatures are those of :data:`backprop_core.registry.STAGES`
(``"softmax_cross_entropy"``, ``"affine_backward"``, ``"relu_backward"``, ``"two_layer_loss"``).
The function runs on the cases learners forget (N = 1, non-square shapes, inputs exactly 0,
float32); the result says whether it passed and, if not, what is wrong, where, and what to read.
"""

from __future__ import annotations

from typing import NamedTuple

from .diagnose import diagnose


class Result(NamedTuple):
    """``passed`` and a message written for the learner; ``str(result)`` is the message."""

    passed: bool
    message: str

    def __str__(self) -> str:
        return self.message


def check(fn, stage: str, *, timeout: float | None = None) -> Result:
    """Run a learner's ``fn`` for ``stage`` on the tricky cases and explain any difference.

    ``timeout`` limits each call of ``fn``, in seconds (default 10 s, as for
    :func:`~backprop_core.debugging.diagnose`): a function that loops for ever is reported, and
    the kernel stays usable.

    >>> from backprop_core import layers
    >>> print(check(layers.relu_backward, "relu_backward"))  # doctest: +ELLIPSIS
    passed: relu_backward matches the engine on 3 cases (a vector with exact zeros; ...)
    >>> def my_relu_backward(dout, cache):
    ...     return dout * (cache.x >= 0)
    >>> print(check(my_relu_backward, "relu_backward"))
    not yet: dx is wrong on the case 'a vector with exact zeros'
      differs only where the ReLU's input is exactly 0
      where: 3 of 7 entries, e.g. [(0,), (3,), (6,)]
      read: 05-ReLU-Gradient, the value at exactly zero: x > 0 (or the chosen at_zero)
    >>> def waits(dout, cache):
    ...     while True:
    ...         pass
    >>> print(check(waits, "relu_backward", timeout=0.1))
    not yet: it did not return within 0.1 s on the case 'a vector with exact zeros':
      an infinite loop?
      stopped after 0.1 s; the cases after this one were not run
      read: run it by hand on that case (Kernel > Interrupt stops it);
      a function that is only slow gets more time with timeout=
    """
    found = diagnose(fn, stage, timeout=timeout)
    if found.ok:
        cases = "; ".join(found.cases)
        return Result(
            True, f"passed: {stage} matches the engine on {len(found.cases)} cases ({cases})"
        )
    lines = [f"not yet: {found.headline()}", f"  {found.explanation}"]
    if found.where:
        lines.append(f"  where: {found.where}")
    lines.append(f"  read: {found.hint}")
    return Result(False, "\n".join(lines))
