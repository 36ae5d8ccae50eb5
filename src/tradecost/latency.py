"""Fixed-memory latency histograms: record a duration in O(1), read percentiles at any time.

Buckets are log-linear, as in HdrHistogram: each power of two is split into 64 linear
sub-buckets, so a reported percentile is within 1/64 (1.6 %) of the true value, from 1 ns to
about 18 minutes, in 2,368 counters whatever the number of samples.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from tradecost.errors import InvalidInputError

_SUB_BITS = 6
_SUB = 1 << _SUB_BITS  # linear sub-buckets per power of two
_MAX_BITS = 40  # 2**40 ns ~ 18 minutes; larger values land in the last bucket
_BUCKETS = (_MAX_BITS - _SUB_BITS + 1) * _SUB + _SUB


def _index(value_ns: int) -> int:
    if value_ns < _SUB:
        return max(value_ns, 0)
    bits = value_ns.bit_length()
    if bits > _MAX_BITS:
        return _BUCKETS - 1
    shift = bits - _SUB_BITS - 1
    return (shift + 1) * _SUB + ((value_ns >> shift) & (_SUB - 1))


def _lower_bound(index: int) -> int:
    if index < _SUB:
        return index
    shift = index // _SUB - 1
    return (_SUB + index % _SUB) << shift


@dataclass(frozen=True, slots=True)
class LatencySummary:
    """Percentiles of one histogram, in nanoseconds (NaN when nothing was recorded)."""

    count: int
    p50_ns: float
    p95_ns: float
    p99_ns: float
    max_ns: float
    mean_ns: float

    def as_dict(self) -> dict[str, float]:
        return {
            "count": self.count,
            "p50_ns": self.p50_ns,
            "p95_ns": self.p95_ns,
            "p99_ns": self.p99_ns,
            "max_ns": self.max_ns,
            "mean_ns": self.mean_ns,
        }


class LatencyHistogram:
    """Counts of durations in nanoseconds, in fixed memory."""

    __slots__ = ("_counts", "_max", "_total", "count", "name")

    def __init__(self, name: str = "") -> None:
        self.name = name
        self._counts = [0] * _BUCKETS
        self.count = 0
        self._total = 0
        self._max = 0

    def record(self, value_ns: int) -> None:
        """Add one duration (ns). Negative values, from a clock that went backwards, count as 0."""
        value = value_ns if value_ns > 0 else 0
        self._counts[_index(value)] += 1
        self.count += 1
        self._total += value
        if value > self._max:
            self._max = value

    def percentile(self, q: float) -> float:
        """The q-th percentile (0 < q <= 100) in ns: the upper edge of the bucket holding it,
        capped at the largest value recorded. NaN when empty."""
        if not 0.0 < q <= 100.0:
            raise InvalidInputError(f"percentile must be in (0, 100], got {q!r}")
        if self.count == 0:
            return math.nan
        rank = math.ceil(q / 100.0 * self.count)
        seen = 0
        for index, n in enumerate(self._counts):
            seen += n
            if seen >= rank:
                upper = _lower_bound(index + 1) - 1 if index + 1 < _BUCKETS else self._max
                return float(min(max(upper, _lower_bound(index)), self._max))
        return float(self._max)

    def summary(self) -> LatencySummary:
        if self.count == 0:
            nan = math.nan
            return LatencySummary(0, nan, nan, nan, nan, nan)
        return LatencySummary(
            count=self.count,
            p50_ns=self.percentile(50),
            p95_ns=self.percentile(95),
            p99_ns=self.percentile(99),
            max_ns=float(self._max),
            mean_ns=self._total / self.count,
        )

    def merge(self, other: LatencyHistogram) -> None:
        for index, n in enumerate(other._counts):
            self._counts[index] += n
        self.count += other.count
        self._total += other._total
        self._max = max(self._max, other._max)

    def reset(self) -> None:
        self._counts = [0] * _BUCKETS
        self.count = self._total = self._max = 0
