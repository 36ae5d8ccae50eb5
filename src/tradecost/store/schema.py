"""The store's tables, its SQLite settings, and the check of the SQLite library it runs on.

Every table is created with its indexes, in one transaction, when a store is first opened.
``trades`` is clustered on ``(instrument_id, ts_ns, seq)`` (a ``WITHOUT ROWID`` table), so the
trades of one instrument over a time range are read in one sequential pass, already in time
order; ``seq`` is a store-wide arrival counter that orders trades with the same timestamp.
``trades_trade_id`` is the uniqueness that makes appends idempotent.
"""

from __future__ import annotations

import logging
import sqlite3

__all__ = [
    "SCHEMA_VERSION",
    "TABLES",
    "WAL_RESET_BUG",
    "check_sqlite_version",
    "has_wal_reset_bug",
]

SCHEMA_VERSION = 1

#: SQLite releases carrying the WAL-reset corruption bug (sqlite.org: 3.7.0 through 3.51.2,
#: fixed in 3.51.3 of 2026-03-13). It needs two or more connections writing or checkpointing
#: the same database at once; the store writes through exactly one connection.
WAL_RESET_BUG = ((3, 7, 0), (3, 51, 2))

TABLES = """
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS instruments (
    instrument_id   INTEGER PRIMARY KEY,
    exchange        TEXT NOT NULL,
    symbol          TEXT NOT NULL,
    source          TEXT NOT NULL CHECK (source IN ('trades', 'bars')),
    bar_interval_ns INTEGER,
    UNIQUE (exchange, symbol)
);

CREATE TABLE IF NOT EXISTS trades (
    instrument_id INTEGER NOT NULL,
    ts_ns         INTEGER NOT NULL,
    seq           INTEGER NOT NULL,
    trade_id      TEXT NOT NULL,
    price         REAL NOT NULL,
    size          REAL NOT NULL,
    side          INTEGER NOT NULL,
    local_ts_ns   INTEGER,
    PRIMARY KEY (instrument_id, ts_ns, seq)
) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS trades_trade_id ON trades (instrument_id, trade_id);

CREATE TABLE IF NOT EXISTS books (
    instrument_id INTEGER NOT NULL,
    ts_ns         INTEGER NOT NULL,
    local_ts_ns   INTEGER,
    tick_size     TEXT NOT NULL,
    n_bids        INTEGER NOT NULL,
    n_asks        INTEGER NOT NULL,
    levels        BLOB NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS books_time ON books (instrument_id, ts_ns);

CREATE TABLE IF NOT EXISTS imported_bars (
    instrument_id INTEGER NOT NULL,
    ts_ns         INTEGER NOT NULL,
    open          REAL NOT NULL,
    high          REAL NOT NULL,
    low           REAL NOT NULL,
    close         REAL NOT NULL,
    volume        REAL,
    notional      REAL,
    trades        INTEGER,
    PRIMARY KEY (instrument_id, ts_ns)
) WITHOUT ROWID;
"""

log = logging.getLogger("tradecost.store")


def sqlite_version_info() -> tuple[int, int, int]:
    major, minor, patch = (int(part) for part in sqlite3.sqlite_version.split(".")[:3])
    return major, minor, patch


def has_wal_reset_bug(version: tuple[int, int, int] | None = None) -> bool:
    """True if the SQLite library (or ``version``) is one of the releases with the WAL-reset bug."""
    version = sqlite_version_info() if version is None else version
    first, last = WAL_RESET_BUG
    return first <= version <= last


def check_sqlite_version() -> bool:
    """Log which SQLite the store runs on, and whether it carries the WAL-reset bug."""
    buggy = has_wal_reset_bug()
    if buggy:
        log.info(
            "SQLite %s carries the WAL-reset bug (3.7.0-3.51.2, fixed in 3.51.3): the store "
            "writes and checkpoints through a single connection, which avoids it; do not write "
            "to the same file from another connection or process",
            sqlite3.sqlite_version,
        )
    else:
        log.debug("SQLite %s (free of the WAL-reset bug)", sqlite3.sqlite_version)
    return buggy
