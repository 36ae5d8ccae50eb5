"""The tick store: trades, book snapshots, cost estimates and imported bars in SQLite.

``tc.TickStore`` (loaded on first use, with pandas) is the interface the rest of tradecost uses;
``docs/store.md`` describes the schema, the guarantees and the path to a server database.
"""

from __future__ import annotations

from tradecost.store.intervals import format_interval, parse_interval
from tradecost.store.live import Bar, LiveBars
from tradecost.store.schema import has_wal_reset_bug
from tradecost.store.tickstore import TickStore

__all__ = [
    "Bar",
    "LiveBars",
    "TickStore",
    "format_interval",
    "has_wal_reset_bug",
    "parse_interval",
]
