"""Bar intervals: ``"250ms"``, ``"1s"``, ``"15s"``, ``"1m"``, ``"5m"``, ``"1h"``, ``"1d"``...

A bar covers ``[k * interval, (k + 1) * interval)`` in nanoseconds since the Unix epoch (UTC), so
buckets of the same interval line up across symbols, exchanges and stores: a ``"1h"`` bar starts
on the hour, a ``"1d"`` bar at 00:00 UTC, a ``"1w"`` bar on a Thursday (1970-01-01 was one).
Months and years have no fixed length and are not intervals here.
"""

from __future__ import annotations

import re

from tradecost.errors import InvalidIntervalError

__all__ = ["UNIT_NS", "format_interval", "parse_interval"]

#: nanoseconds per unit; ``m`` and ``min`` are minutes (a month is not a fixed interval)
UNIT_NS: dict[str, int] = {
    "ns": 1,
    "us": 1_000,
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60_000_000_000,
    "min": 60_000_000_000,
    "h": 3_600_000_000_000,
    "d": 86_400_000_000_000,
    "w": 604_800_000_000_000,
}

_PATTERN = re.compile(r"\s*(\d+)\s*([a-z]+)\s*")


def parse_interval(interval: str | int) -> int:
    """The interval in nanoseconds. An ``int`` is taken as nanoseconds already."""
    if isinstance(interval, bool):
        raise InvalidIntervalError(f"interval must be a string like '1m', not {interval!r}")
    if isinstance(interval, int):
        if interval <= 0:
            raise InvalidIntervalError(f"interval must be a positive number of ns, not {interval}")
        return interval
    if not isinstance(interval, str):
        raise InvalidIntervalError(f"interval must be a string like '1m', not {interval!r}")
    match = _PATTERN.fullmatch(interval)
    if match is None or match.group(2) not in UNIT_NS:
        units = ", ".join(UNIT_NS)
        raise InvalidIntervalError(
            f"unknown interval {interval!r}: write <positive integer><unit>, unit one of {units} "
            "(e.g. '1s', '15s', '1m', '5m', '1h', '1d')"
        )
    count = int(match.group(1))
    if count <= 0:
        raise InvalidIntervalError(f"interval {interval!r} must be longer than zero")
    total = count * UNIT_NS[match.group(2)]
    if total >= 2**63:
        raise InvalidIntervalError(f"interval {interval!r} is too long")
    return total


def format_interval(interval_ns: int) -> str:
    """The shortest exact spelling of ``interval_ns`` (``60_000_000_000`` → ``"1m"``)."""
    for unit in ("w", "d", "h", "m", "s", "ms", "us"):
        size = UNIT_NS[unit]
        if interval_ns % size == 0:
            return f"{interval_ns // size}{unit}"
    return f"{interval_ns}ns"
