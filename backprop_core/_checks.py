"""Argument validation shared by the public functions of ``backprop_core``.

Every public function checks its arguments here, once, and then works on trusted arrays. A
message names the argument, what was expected and what arrived, so a learner sees
``W must have shape (D, M) = (4, ?) to match x of shape (5, 4); got (3, 10)`` instead of a
broadcasting error from deep inside NumPy.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

import numpy as np


def _describe(value: object) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of dtype {value.dtype} and shape {value.shape}"
    return f"{type(value).__name__} {value!r}"[:120]


def _shape_text(shape: Sequence[int | None]) -> str:
    parts = ["?" if s is None else str(s) for s in shape]
    return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"


def as_float_array(
    value: object, name: str, ndim: int | None = None, finite: bool = True
) -> np.ndarray:
    """Return ``value`` as a non-empty floating-point array without copying a float one.

    Lists and integer arrays are converted to float64; float32 and float64 arrays are kept as
    given. Raises ``TypeError`` for non-numeric input and ``ValueError`` for a wrong number of
    dimensions, an empty array, or (unless ``finite`` is False) NaN or infinity.
    """
    if type(value) is np.ndarray and value.dtype.kind == "f":  # the common case, checked cheaply
        arr = value
    else:
        try:
            arr = np.asarray(value)
        except (ValueError, TypeError) as err:  # ragged nested lists
            raise ValueError(f"{name} must be a rectangular numeric array; got {err}") from None
        kind = arr.dtype.kind
        if kind not in "iufc":  # not booleans, dates, durations, strings or objects
            raise TypeError(f"{name} must be a numeric array; got {_describe(value)}")
        if kind == "c":
            raise TypeError(f"{name} must be real-valued; got dtype {arr.dtype}")
        if kind != "f":
            arr = arr.astype(np.float64)
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-dimensional; got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty; got shape {arr.shape}")
    if finite and not all_finite(arr):
        raise ValueError(f"{name} must be finite; got {first_offender(arr, ~np.isfinite(arr))}")
    return arr


def first_offender(arr: np.ndarray, bad: np.ndarray) -> str:
    """The first entry of ``arr`` where ``bad`` is True, with its index, for a message.

    >>> first_offender(np.array([1.0, 2.0, -3.0]), np.array([1.0, 2.0, -3.0]) < 0)
    '-3.0 at index (2,)'
    """
    where = tuple(int(i) for i in np.argwhere(bad)[0])
    return f"{arr[where]} at index {where}"


def all_finite(arr: np.ndarray) -> bool:
    """Whether a float array holds no NaN and no infinity.

    A contiguous float32 or float64 array is first summed as ``vdot(arr, arr)`` (one BLAS pass:
    about half the time of ``isfinite(arr).all()`` at 50,000 float32 numbers, and less at 640):
    a NaN or an infinity makes that sum NaN or infinite, and squares cannot cancel. Only when the
    sum is not finite, which finite values too large to square also give, does every entry get
    looked at; a strided array (which vdot would copy) and other dtypes are looked at entry by
    entry.

    >>> all_finite(np.full(5, 1e30, dtype=np.float32))  # the squares overflow; all finite
    True
    >>> x = np.zeros(5000); x[4321] = np.nan
    >>> all_finite(x), all_finite(x[:4000])
    (False, True)
    """
    if arr.dtype in _BLAS_FLOATS:
        flat = arr if arr.flags.c_contiguous else arr.T if arr.flags.f_contiguous else None
        if flat is not None and math.isfinite(np.vdot(flat, flat)):  # no copy: C order anyway
            return True
    return bool(np.isfinite(arr).all())


_BLAS_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
_INTP_LABELS = int(np.iinfo(np.intp).max) + 1  # labels are below this when there is no C


def check_shape(
    arr: np.ndarray,
    name: str,
    expected: Sequence[int | None],
    symbols: str = "",
    why: str = "",
) -> None:
    """Raise ``ValueError`` unless ``arr.shape`` matches ``expected`` (``None`` matches any size).

    ``symbols`` names the dimensions (``"(D, M)"``) and ``why`` says what the shape must fit, so
    the message reads ``W must have shape (D, M) = (4, ?) to match x of shape (5, 4); got (3, 10)``.
    """
    fits = arr.ndim == len(expected) and all(
        e is None or e == s for e, s in zip(expected, arr.shape, strict=False)
    )
    if not fits:
        wanted = f"{symbols} = {_shape_text(expected)}" if symbols else _shape_text(expected)
        reason = f" {why}" if why else ""
        raise ValueError(f"{name} must have shape {wanted}{reason}; got {_shape_text(arr.shape)}")


def as_labels(value: object, name: str, n_samples: int, n_classes: int | None) -> np.ndarray:
    """Return ``value`` as a 1-D integer array of ``n_samples`` labels in ``[0, n_classes)``
    (any label ``>= 0`` if ``n_classes`` is None), of NumPy's index type ``intp``.

    The labels are read once, in ``intp`` (native byte order, the width indexing wants) seen as
    unsigned: every negative label is then larger than any class count, and so is an unsigned
    label too large for ``intp``, so one maximum checks both ends.

    >>> as_labels(np.array([2, 0], dtype=">u8"), "y", 2, 3)  # big-endian uint64 in
    array([2, 0])
    >>> as_labels(np.array([1, -1], dtype=np.int8), "y", 2, 300)
    Traceback (most recent call last):
    ValueError: y must lie in [0, 300) for C = 300; got -1
    """
    arr = np.asarray(value)
    if arr.dtype.kind not in "iu":  # not booleans, floats or anything else
        raise TypeError(f"{name} must hold integer class labels; got {_describe(value)}")
    if arr.shape != (n_samples,):
        why = f"to match the {n_samples} samples of the batch"
        check_shape(arr, name, (n_samples,), "(N,)", why)
    labels = arr.astype(np.intp, copy=False)
    limit = _INTP_LABELS if n_classes is None else n_classes
    if labels.size and labels.view(np.uintp).max() >= limit:
        bad = arr[(labels < 0) | (labels >= limit)][0]
        if n_classes is not None:
            raise ValueError(f"{name} must lie in [0, {n_classes}) for C = {n_classes}; got {bad}")
        if bad < 0:
            raise ValueError(f"{name} must hold labels >= 0; got {bad}")
        raise ValueError(f"{name} must hold labels below {_INTP_LABELS}; got {bad}")
    return labels


def as_scalar(value: object, name: str, minimum: float | None = None, positive: bool = False):
    """Return ``value`` as a finite float, optionally ``>= minimum`` or ``> 0``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number; got {_describe(value)}")
    number = float(value)
    if not np.isfinite(number):
        raise ValueError(f"{name} must be finite; got {number}")
    if positive and number <= 0:
        raise ValueError(f"{name} must be > 0; got {number}")
    if minimum is not None and number < minimum:
        raise ValueError(f"{name} must be >= {minimum}; got {number}")
    return number


def as_count(value: object, name: str, minimum: int = 1) -> int:
    """Return ``value`` as an int ``>= minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer; got {_describe(value)}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}; got {value}")
    return int(value)


def as_cache(cache: object, kind: str, size: int) -> tuple:
    """Return ``cache`` if it is a tuple of ``size`` entries, the shape of ``kind``'s caches."""
    if not isinstance(cache, tuple) or len(cache) != size:
        raise TypeError(
            f"cache must be the {kind} returned by the matching forward function; "
            f"got {type(cache).__name__}"
        )
    return cache


MAX_JACOBIAN_ENTRIES = 50_000_000  # about 400 MB of float64: a full Jacobian is for looking at


def check_jacobian_size(shape: Sequence[int], what: str) -> None:
    """Refuse, before allocating, a full Jacobian of more than ``MAX_JACOBIAN_ENTRIES`` entries.

    The limit is read at call time, so ``backprop_core._checks.MAX_JACOBIAN_ENTRIES`` can be
    raised by a user who really wants a larger one.
    """
    entries = int(np.prod([int(n) for n in shape], dtype=object))
    if entries > MAX_JACOBIAN_ENTRIES:
        raise ValueError(
            f"{what} would have shape {tuple(shape)}, {entries:,} entries "
            f"(more than {MAX_JACOBIAN_ENTRIES:,}); use the stage's backward function, which "
            "gives what vjp of this Jacobian would, or a smaller batch"
        )


def as_seed(value: object, name: str = "seed"):
    """Return ``value`` if NumPy can seed a generator with it: None, an int >= 0 or a Generator."""
    if value is None or isinstance(value, np.random.Generator):
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"{name} must be None, an integer >= 0 or a numpy Generator; got {_describe(value)}"
        )
    if value < 0:
        raise ValueError(f"{name} must be >= 0; got {value}")
    return int(value)


def as_float_dtype(value: object, name: str = "dtype") -> np.dtype:
    """Return ``value`` as the NumPy dtype float32 or float64."""
    try:
        dtype = np.dtype(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be float32 or float64; got {_describe(value)}") from None
    if dtype not in (np.float32, np.float64):
        raise TypeError(f"{name} must be float32 or float64; got {dtype}")
    return dtype


MAX_ARRAY_ENTRIES = 1_000_000_000  # 8 GB of float64: more than this machine should be asked for


def check_size(entries: int, what: str) -> None:
    """Refuse, before allocating, an array of more than ``MAX_ARRAY_ENTRIES`` entries."""
    if entries > MAX_ARRAY_ENTRIES:
        raise ValueError(
            f"{what} would hold {entries:,} numbers, more than {MAX_ARRAY_ENTRIES:,}: "
            "choose smaller sizes"
        )


def params_signature(params: object):
    """What a check of a parameter dict's keys, shapes and dtypes reads, as one hashable key.

    None unless ``params`` is a dict of plain NumPy arrays (a list or a subclass is checked in
    full every time). A model keeps the key of its last passing check and skips the check while
    the key stays the same: same names, types, dtypes and shapes give the same verdict, and
    finding this out costs a few microseconds instead of a few dozen.

    >>> key = params_signature({"W": np.zeros((2, 3)), "b": np.zeros(3)})
    >>> key == params_signature({"W": np.ones((2, 3)), "b": np.ones(3)})
    True
    >>> key == params_signature({"W": [[0.0]]})
    False
    """
    if type(params) is not dict:
        return None
    key = []
    for name, value in params.items():
        if type(value) is not np.ndarray:
            return None
        key.append((name, value.dtype, value.shape))
    return tuple(key)


def check_finite_param(value: np.ndarray, name: str) -> None:
    """Raise ``ValueError`` if a parameter holds NaN or infinity, as after a diverging run."""
    if not np.isfinite(value).all():
        bad = "NaN" if np.isnan(value).any() else "infinity"
        raise ValueError(f"{name} holds {bad}: training diverged? (try a smaller step)")


def check_updatable(value: object, name: str) -> None:
    """Raise unless ``value`` is a finite, writeable float array that a step updates in place."""
    if not isinstance(value, np.ndarray) or value.dtype not in (np.float32, np.float64):
        dtype = f" of dtype {value.dtype}" if isinstance(value, np.ndarray) else ""
        raise TypeError(
            f"{name} must be a float32 or float64 array, updated in place by training; "
            f"got {type(value).__name__}{dtype}"
        )
    if not value.flags.writeable:
        raise ValueError(f"{name} must be writeable: training updates it in place")
    check_finite_param(value, name)


def shape_of(value: object) -> tuple[int, ...] | None:
    """``np.shape(value)``; None for None and for a ragged sequence, which has no shape.

    For a value that a function of the user's returned, such as a gradient, before it is compared
    with the shape it should have.

    >>> shape_of(np.ones((2, 3))), shape_of([[1.0], [1.0, 2.0]]), shape_of(None)
    ((2, 3), None, None)
    """
    if value is None:
        return None
    try:
        return np.shape(value)
    except ValueError:  # NumPy's "inhomogeneous shape"
        return None


def shape_got(value: object) -> str:
    """What arrived where an array of some shape was expected, for an error message.

    >>> shape_got(None), shape_got(np.ones(2)), shape_got([[1.0], [1.0, 2.0]])
    ('nothing', 'shape (2,)', 'a ragged list')
    """
    if value is None:
        return "nothing"
    shape = shape_of(value)
    return f"shape {shape}" if shape is not None else f"a ragged {type(value).__name__}"


def as_scores(value: object, name: str, n_samples: int) -> np.ndarray:
    """``value`` as the class scores of ``n_samples`` samples: a real array of shape (N, C).

    For the scores a model of the user's returns; NaN and infinity pass (they are its to give).

    >>> as_scores([[0.5, 2.0]], "model.loss(X)", 1).argmax(axis=1)
    array([1])
    """
    scores = as_float_array(value, name, ndim=2, finite=False)
    check_shape(scores, name, (n_samples, None), "(N, C)", f"for the {n_samples} samples scored")
    return scores
