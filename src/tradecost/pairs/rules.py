"""Trading signals from a z-score, and alert rules that fire callbacks on threshold crossings.

Signal rules (decided at t from z_t alone): flat → short the spread (sell y, buy β of x) when
z ≥ ``entry``, long when z ≤ −``entry``; a short exits when z ≤ ``exit``, a long when z ≥ −``exit``
(``exit=0``: at the mean); with ``stop``, a short is stopped when z ≥ ``stop`` and a long when
z ≤ −``stop``, after which no new entry is taken until |z| < ``entry`` again. A NaN z (warm-up)
holds the current position.

Alert rules watch one metric — ``zscore``, ``abs_zscore``, ``spread``, ``correlation`` or
``adf_pvalue`` — and fire when it *crosses* a threshold between two consecutive finite values:
``above`` fires on previous < threshold ≤ current, ``below`` on previous > threshold ≥ current,
``cross`` on either. :class:`AlertMonitor` does it point by point for a live feed
(:meth:`AlertMonitor.update`) or over a finished analysis (:meth:`AlertMonitor.scan`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from tradecost.errors import InvalidInputError
from tradecost.pairs import _rolling
from tradecost.pairs._input import FloatArray, check_finite_number
from tradecost.pairs.analysis import PairAnalysis

ACTIONS = {
    _rolling.ACTION_NONE: "",
    _rolling.ACTION_ENTER_LONG: "enter_long",
    _rolling.ACTION_ENTER_SHORT: "enter_short",
    _rolling.ACTION_EXIT: "exit",
    _rolling.ACTION_STOP: "stop",
}


@dataclass(frozen=True, eq=False)
class Signals:
    """Positions in the spread and the actions that changed them.

    ``position[t]``: +1 long the spread (long y, short β·x), −1 short, 0 flat — held from the
    close of t. ``action[t]``: 0 none, 1 enter long, 2 enter short, 3 exit, 4 stop (names in
    :data:`ACTIONS`)."""

    position: npt.NDArray[np.int8]
    action: npt.NDArray[np.int8]
    entry: float
    exit: float
    stop: float | None

    def events(self) -> list[tuple[int, str]]:
        """(index, action name) of every point where the position changed."""
        where = np.flatnonzero(self.action)
        return [(int(i), ACTIONS[int(self.action[i])]) for i in where]

    def latest(self) -> dict[str, Any]:
        """The position after the last point and the action taken there ("" for none)."""
        if not self.position.size:
            return {"position": 0, "action": ""}
        return {
            "position": int(self.position[-1]),
            "action": ACTIONS[int(self.action[-1])],
        }


def signals(
    zscore: FloatArray | PairAnalysis,
    entry: float = 2.0,
    exit: float = 0.0,
    stop: float | None = None,
) -> Signals:
    """Entry/exit/stop positions from a z-score series (or a :class:`PairAnalysis`)."""
    z = zscore.zscore if isinstance(zscore, PairAnalysis) else zscore
    values = np.ascontiguousarray(np.asarray(z, dtype=np.float64))
    if values.ndim != 1:
        raise InvalidInputError(f"zscore must be 1-D, got shape {values.shape}")
    if np.isinf(values).any():
        raise InvalidInputError("zscore has infinite values")
    entry = check_finite_number(entry, "entry", minimum=0.0)
    exit = check_finite_number(exit, "exit")
    if entry <= 0.0:
        raise InvalidInputError(f"entry must be positive, got {entry!r}")
    if not -entry < exit < entry:
        raise InvalidInputError(f"exit must lie strictly between -entry and entry, got {exit!r}")
    stop_level = math.inf
    if stop is not None:
        stop_level = check_finite_number(stop, "stop")
        if stop_level <= entry:
            raise InvalidInputError(f"stop ({stop_level}) must be beyond entry ({entry})")
    position = np.zeros(values.size, dtype=np.int8)
    action = np.zeros(values.size, dtype=np.int8)
    _rolling.signals(values, entry, exit, stop_level, position, action)
    return Signals(position=position, action=action, entry=entry, exit=exit, stop=stop)


class SignalState:
    """The rules of :func:`signals` one z at a time, for a live stream: ``update(z)`` returns the
    action taken at this point ("" for none) and leaves the new position in ``position``."""

    def __init__(self, entry: float = 2.0, exit: float = 0.0, stop: float | None = None) -> None:
        checked = signals(np.zeros(0), entry, exit, stop)  # one place validates the levels
        self.entry = checked.entry
        self.exit = checked.exit
        self.stop = checked.stop
        self._stop = math.inf if stop is None else float(stop)
        self.position = 0
        self._armed = True

    def update(self, z: float) -> str:
        value = float(z)
        if math.isinf(value):
            raise InvalidInputError("zscore is infinite")
        if math.isnan(value):
            return ""
        if self.position == 0:
            if not self._armed and abs(value) < self.entry:
                self._armed = True
            if self._armed and value >= self.entry:
                self.position = -1
                return "enter_short"
            if self._armed and value <= -self.entry:
                self.position = 1
                return "enter_long"
            return ""
        if self.position == -1:
            if value >= self._stop:
                self.position, self._armed = 0, False
                return "stop"
            if value <= self.exit:
                self.position = 0
                return "exit"
            return ""
        if value <= -self._stop:
            self.position, self._armed = 0, False
            return "stop"
        if value >= -self.exit:
            self.position = 0
            return "exit"
        return ""


METRICS = ("zscore", "abs_zscore", "spread", "correlation", "adf_pvalue")
Direction = Literal["above", "below", "cross"]


@dataclass(frozen=True)
class Alert:
    """One firing of an :class:`AlertRule`."""

    rule: str
    metric: str
    direction: str
    threshold: float
    previous: float
    value: float
    #: position in the series (``AlertMonitor.scan``) or the count of updates (live)
    index: int
    #: the caller's label for the point (a timestamp), when given
    label: Any = None

    def message(self) -> str:
        return (
            f"{self.rule}: {self.metric} crossed {self.direction} {self.threshold:g} "
            f"({self.previous:.4g} → {self.value:.4g})"
        )


@dataclass(frozen=True)
class AlertRule:
    """Fire when ``metric`` crosses ``threshold`` in ``direction``; ``callback(alert)`` is called
    for each firing. ``AlertRule.parse("zscore>2")`` builds one from text (``>`` above, ``<``
    below, ``=`` either way)."""

    metric: str
    threshold: float
    direction: Direction = "above"
    callback: Callable[[Alert], None] | None = field(default=None, compare=False)
    name: str = ""

    def __post_init__(self) -> None:
        if self.metric not in METRICS:
            raise InvalidInputError(f"alert metric must be one of {METRICS}, got {self.metric!r}")
        if self.direction not in ("above", "below", "cross"):
            raise InvalidInputError(
                f"direction must be 'above', 'below' or 'cross', got {self.direction!r}"
            )
        threshold = check_finite_number(self.threshold, "threshold")
        object.__setattr__(self, "threshold", threshold)
        if not self.name:
            sign = {"above": ">", "below": "<", "cross": "="}[self.direction]
            object.__setattr__(self, "name", f"{self.metric}{sign}{threshold:g}")

    @classmethod
    def parse(cls, text: str, callback: Callable[[Alert], None] | None = None) -> AlertRule:
        match = re.fullmatch(r"\s*([a-z_]+)\s*([<>=])\s*([-+0-9.eE]+)\s*", text)
        if match is None:
            raise InvalidInputError(
                f"alert rule {text!r} is not METRIC>VALUE, METRIC<VALUE or METRIC=VALUE "
                f"(metrics: {', '.join(METRICS)})"
            )
        metric, sign, value = match.groups()
        direction: Direction = {">": "above", "<": "below", "=": "cross"}[sign]  # type: ignore[assignment]
        try:
            threshold = float(value)
        except ValueError as exc:
            raise InvalidInputError(f"alert threshold {value!r} is not a number") from exc
        return cls(metric, threshold, direction, callback)

    def crossings(self, values: FloatArray) -> npt.NDArray[np.intp]:
        """Indices t ≥ 1 where values[t−1] → values[t] crosses the threshold (both finite)."""
        previous, current = values[:-1], values[1:]
        finite = np.isfinite(previous) & np.isfinite(current)
        up = (previous < self.threshold) & (current >= self.threshold)
        down = (previous > self.threshold) & (current <= self.threshold)
        hit = {"above": up, "below": down, "cross": up | down}[self.direction] & finite
        return np.flatnonzero(hit) + 1


def _metric(analysis: PairAnalysis, metric: str) -> FloatArray:
    if metric == "abs_zscore":
        return np.abs(analysis.zscore)
    if metric == "adf_pvalue":
        if analysis.adf_pvalue is None:
            raise InvalidInputError(
                "an adf_pvalue alert needs the rolling ADF: analyze(..., adf_lags=1)"
            )
        return analysis.adf_pvalue
    values: FloatArray = getattr(analysis, metric)
    return values


class AlertMonitor:
    """Evaluates alert rules and calls their callbacks (and ``callback``, for every rule)."""

    def __init__(
        self, rules: Iterable[AlertRule], callback: Callable[[Alert], None] | None = None
    ) -> None:
        self.rules = tuple(rules)
        self.callback = callback
        self._previous: dict[str, float] = {}
        self._count = 0

    def _fire(self, alert: Alert, rule: AlertRule) -> None:
        if rule.callback is not None:
            rule.callback(alert)
        if self.callback is not None:
            self.callback(alert)

    def update(self, metrics: Mapping[str, float], label: Any = None) -> list[Alert]:
        """Feed the latest metrics (e.g. ``PairAnalysis.latest()``); returns and dispatches the
        alerts that fire between the previous update and this one."""
        values = dict(metrics)
        if "zscore" in values:
            values["abs_zscore"] = abs(values["zscore"])
        fired = []
        for rule in self.rules:
            value = float(values.get(rule.metric, math.nan))
            previous = self._previous.get(rule.metric, math.nan)
            pair = np.array([previous, value])
            if rule.crossings(pair).size:
                alert = Alert(
                    rule.name,
                    rule.metric,
                    rule.direction,
                    rule.threshold,
                    previous,
                    value,
                    self._count,
                    label,
                )
                fired.append(alert)
                self._fire(alert, rule)
        for metric in {rule.metric for rule in self.rules}:
            self._previous[metric] = float(values.get(metric, math.nan))
        self._count += 1
        return fired

    def scan(self, analysis: PairAnalysis) -> list[Alert]:
        """Every alert over a finished analysis, in time order (callbacks fire in that order)."""
        found: list[tuple[int, int, Alert]] = []
        labels = analysis.index
        for order, rule in enumerate(self.rules):
            values = _metric(analysis, rule.metric)
            for i in rule.crossings(values):
                alert = Alert(
                    rule.name,
                    rule.metric,
                    rule.direction,
                    rule.threshold,
                    float(values[i - 1]),
                    float(values[i]),
                    int(i),
                    labels[int(i)] if labels is not None else None,
                )
                found.append((int(i), order, alert))
        found.sort(key=lambda item: (item[0], item[1]))
        for _, order, alert in found:
            self._fire(alert, self.rules[order])
        return [alert for _, _, alert in found]


__all__ = [
    "ACTIONS",
    "METRICS",
    "Alert",
    "AlertMonitor",
    "AlertRule",
    "SignalState",
    "Signals",
    "signals",
]
