"""Input checks shared by the pairs functions: one place that turns bad input into a clear error."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt

from tradecost.errors import InvalidInputError

FloatArray = npt.NDArray[np.float64]


def index_of(values: Any) -> Any | None:
    """The index of a pandas Series (kept for tables), else None; pandas is not imported."""
    module = type(values).__module__
    if module.startswith("pandas") and hasattr(values, "index"):
        return values.index
    return None


def as_series(values: Any, name: str, *, positive: bool = False) -> FloatArray:
    """``values`` as a contiguous 1-D float64 array with only finite numbers (and > 0 if
    ``positive``); the error names the argument and the first offending index."""
    try:
        array = np.ascontiguousarray(np.asarray(values, dtype=np.float64))
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"{name} must be a 1-D sequence of numbers: {exc}") from exc
    if array.ndim != 1:
        raise InvalidInputError(f"{name} must be 1-D, got shape {array.shape}")
    bad = ~np.isfinite(array)
    if bad.any():
        where = np.flatnonzero(bad)
        kind = "NaN" if np.isnan(array[where[0]]) else "infinite"
        raise InvalidInputError(
            f"{name} has {where.size} non-finite value(s), the first ({kind}) at index "
            f"{int(where[0])}: every window that contains it would be undefined; drop or fill "
            f"the gap (and align the other series) before the analysis"
        )
    if positive and array.size and array.min() <= 0.0:
        first = int(np.flatnonzero(array <= 0.0)[0])
        raise InvalidInputError(
            f"{name} must be positive prices (their logs are taken), got {array[first]!r} at "
            f"index {first}"
        )
    return array


def check_pair(y: FloatArray, x: FloatArray) -> None:
    if y.shape != x.shape:
        raise InvalidInputError(
            f"y and x must be aligned series of equal length, got {y.size} and {x.size} points"
        )


def check_window(window: Any, n: int, *, minimum: int = 3, what: str = "window") -> int:
    if isinstance(window, bool) or not isinstance(window, int | np.integer):
        raise InvalidInputError(f"{what} must be an integer number of points, got {window!r}")
    points: int = int(window)
    if points < minimum:
        raise InvalidInputError(f"{what} must be at least {minimum} points, got {points}")
    if points > n:
        raise InvalidInputError(
            f"{what} of {points} points is longer than the data ({n} points): no window is full"
        )
    return points


def check_constant(values: FloatArray, name: str) -> None:
    if values.size and values.max() == values.min():
        raise InvalidInputError(
            f"{name} is constant ({values[0]!r} everywhere): regression and z-score are undefined"
        )


def check_finite_number(value: Any, name: str, *, minimum: float = -math.inf) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"{name} must be a number, got {value!r}") from exc
    if not math.isfinite(number) or number < minimum:
        raise InvalidInputError(f"{name} must be a finite number ≥ {minimum}, got {value!r}")
    return number
