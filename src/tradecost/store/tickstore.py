"""``TickStore``: trades, book snapshots, cost estimates and imported bars in one SQLite file.

See ``docs/store.md`` for the schema, the guarantees and the way past one machine.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypeVar

import numpy as np

from tradecost._closing import Closing
from tradecost.errors import InvalidInputError, StoreError
from tradecost.store.batches import TradeBatch, trade_batch
from tradecost.store.books import decode_levels, encode_levels
from tradecost.store.files import ImportedBars, read_ohlc, write_frame
from tradecost.store.intervals import format_interval, parse_interval
from tradecost.store.live import Bar, LiveBars
from tradecost.store.schema import (
    SCHEMA_VERSION,
    TABLES,
    check_sqlite_version,
    has_wal_reset_bug,
)
from tradecost.store.writer import Job, Writer

if TYPE_CHECKING:
    import pandas as pd

    from tradecost._book import OrderBook

__all__ = ["TickStore"]

log = logging.getLogger("tradecost.store")
T = TypeVar("T")

_INT64_MAX = 2**63 - 1
_SQL_TYPES = {str: "TEXT", int: "INTEGER", float: "REAL", bool: "BOOLEAN"}


def _estimate_columns() -> dict[str, str]:
    """Column → SQL type of the ``estimates`` table: ``simulate --log``'s columns, with the
    instrument as a reference and ``flags`` joined by ``|``."""
    from tradecost.estimator import estimate_columns as columns

    out: dict[str, str] = {}
    for name, kind in columns().items():
        if name == "inst_id":
            continue
        out[name] = _SQL_TYPES.get(kind, "TEXT")
    return out


def _estimates_table() -> str:
    cols = ",\n    ".join(f"{name} {kind}" for name, kind in _estimate_columns().items())
    return (
        "CREATE TABLE IF NOT EXISTS estimates (\n"
        "    estimate_id INTEGER PRIMARY KEY,\n"
        "    instrument_id INTEGER NOT NULL,\n"
        f"    {cols}\n);\n"
        "CREATE INDEX IF NOT EXISTS estimates_time ON estimates (instrument_id, local_ts);\n"
    )


#: Per-bucket aggregates of raw trades and of imported bars, into the same columns.
_TRADE_AGGREGATES = (
    "max(price) AS high, min(price) AS low, sum(size) AS volume, "
    "sum(price * size) AS notional, count(*) AS trades"
)
_BAR_AGGREGATES = (
    "max(high) AS high, min(low) AS low, sum(volume) AS volume, "
    "sum(notional) AS notional, sum(trades) AS trades"
)


def _bars_sql(table: str, aggregates: str, open_: str, close: str, order: str, n_ids: int) -> str:
    """OHLC bars of ``table`` in buckets of ``:iv`` ns over ``[:start, :end)``, for the
    instruments ``:i0 .. :i{n_ids-1}``: the open is the first row's ``open_`` (ties broken by
    ``order``), the close the last row's ``close``."""
    ids = ",".join(f":i{n}" for n in range(n_ids))
    return f"""
        WITH g AS (
            SELECT ts_ns / :iv AS bucket, min(ts_ns) AS first_ts, max(ts_ns) AS last_ts,
                   {aggregates}
            FROM {table}
            WHERE instrument_id IN ({ids}) AND ts_ns >= :start AND ts_ns < :end
            GROUP BY bucket
        )
        SELECT bucket * :iv,
               (SELECT {open_} FROM {table} x WHERE x.instrument_id IN ({ids})
                AND x.ts_ns = g.first_ts ORDER BY x.{order} LIMIT 1),
               high, low,
               (SELECT {close} FROM {table} x WHERE x.instrument_id IN ({ids})
                AND x.ts_ns = g.last_ts ORDER BY x.{order} DESC LIMIT 1),
               volume, notional, trades, first_ts, last_ts
        FROM g ORDER BY bucket
    """


def _time_range(start_ns: int | None, end_ns: int | None) -> tuple[int, int]:
    start = 0 if start_ns is None else int(start_ns)
    end = _INT64_MAX if end_ns is None else int(end_ns)
    if start > end:
        raise InvalidInputError(f"start_ns {start} is after end_ns {end}")
    return start, end


class TickStore(Closing):
    """Ticks into SQLite, bars out: ``store = tc.TickStore("ticks.db")`` (``":memory:"`` works).

    One writer thread owns the only writing connection; appends are checked in the caller's
    thread, queued (at most ``queue_size`` jobs and ``queue_rows`` rows; beyond that the producer
    waits, so memory stays flat), and committed in batches: at most every ``max_delay_s`` seconds
    or ``batch_rows`` rows. The file is in WAL mode with ``synchronous=NORMAL``: a crash of the
    process (even ``kill -9``) loses at most the batch not yet committed, and never leaves a
    batch half-stored; a power cut may lose the last commits too. Readers (this object from any
    thread, or ``TickStore(path, read_only=True)`` in another process) read while the writer
    writes.

    Reads through this object first wait for what it has queued (read your own writes).
    """

    def __init__(
        self,
        path: str | Path,
        *,
        read_only: bool = False,
        batch_rows: int = 50_000,
        max_delay_s: float = 0.25,
        queue_size: int = 1_024,
        queue_rows: int = 200_000,
        book_depth: int = 50,
    ) -> None:
        if batch_rows < 1:
            raise InvalidInputError(f"batch_rows must be at least 1, not {batch_rows}")
        if not max_delay_s > 0:
            raise InvalidInputError(f"max_delay_s must be positive, not {max_delay_s}")
        if queue_size < 1 or queue_rows < 1:
            raise InvalidInputError(
                f"queue_size and queue_rows must be at least 1, not {queue_size}, {queue_rows}"
            )
        if book_depth < 1:
            raise InvalidInputError(f"book_depth must be at least 1, not {book_depth}")
        self.path = str(path)
        self.memory = self.path == ":memory:"
        self.read_only = read_only
        self.book_depth = book_depth
        self.sqlite_version = sqlite3.sqlite_version
        self.wal_reset_bug = has_wal_reset_bug()
        check_sqlite_version()
        self._closed = False
        self._lock = threading.Lock()
        self._append_lock = threading.RLock()  # an append and its live-bar update, as one
        self._instruments: dict[tuple[str, str], tuple[int, str, int | None]] = {}
        self._live: list[LiveBars] = []
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._next_seq = 0  # owned by the writer thread
        self._writer: Writer | None = None
        self._lock_file: IO[bytes] | None = None
        if read_only:
            if self.memory:
                raise InvalidInputError("a read-only store needs a file, not ':memory:'")
            if not Path(self.path).is_file():
                raise StoreError(f"no store at {self.path}")
            self._read(self._check_schema)
        else:
            self._lock_file = self._take_writer_lock()
            try:
                self._writer = Writer(
                    self._connect_writer,
                    batch_rows=batch_rows,
                    max_delay_s=max_delay_s,
                    queue_size=queue_size,
                    queue_rows=queue_rows,
                )
            except sqlite3.DatabaseError as exc:
                self._release_writer_lock()
                raise StoreError(f"{self.path} cannot be opened as a tick store: {exc}") from None
            except BaseException:
                self._release_writer_lock()
                raise
            # a store never closed still commits what it queued when the interpreter exits
            weakref.finalize(self, self._writer.close)
        self._load_instruments()

    # ---------------------------------------------------------------- connections

    def _take_writer_lock(self) -> IO[bytes] | None:
        """One writing TickStore per file, across processes: an exclusive ``flock`` on
        ``<file>.lock`` (the OS drops it when the process dies, even by ``kill -9``)."""
        if self.memory:
            return None
        try:
            import fcntl
        except ImportError:  # Windows: no flock; the rule stands, unenforced
            return None
        try:
            handle = open(self.path + ".lock", "ab")  # noqa: SIM115 (held until close())
        except OSError as exc:
            raise StoreError(f"{self.path} cannot be opened as a tick store: {exc}") from None
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            raise StoreError(
                f"{self.path} is being written by another TickStore (one writer per file: "
                "SQLite before 3.51.3 can corrupt a WAL file written by two connections); "
                "open it with read_only=True to read"
            ) from None
        return handle

    def _release_writer_lock(self) -> None:
        handle = getattr(self, "_lock_file", None)
        if handle is not None:
            handle.close()  # closing the file drops the flock
            self._lock_file = None

    def _connect_writer(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, isolation_level=None, check_same_thread=True)
        try:
            connection.execute("PRAGMA busy_timeout = 10000")
            mode = connection.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if not self.memory and mode != "wal":
                raise StoreError(f"{self.path}: SQLite refused WAL mode (journal_mode={mode})")
            connection.execute("PRAGMA synchronous = NORMAL")
            connection.execute("PRAGMA temp_store = MEMORY")
            connection.execute("PRAGMA cache_size = -32768")  # 32 MiB: the trade-id index stays hot
            self._check_schema(connection)
            connection.execute("BEGIN IMMEDIATE")
            for statement in (TABLES + _estimates_table()).split(";"):
                if statement.strip():
                    connection.execute(statement)
            connection.execute(
                "INSERT OR IGNORE INTO meta VALUES ('application', 'tradecost'), "
                "('schema_version', ?)",
                (str(SCHEMA_VERSION),),
            )
            connection.execute("COMMIT")
            last = connection.execute("SELECT max(seq) FROM trades").fetchone()[0]
            self._next_seq = 0 if last is None else int(last) + 1
        except BaseException:
            connection.close()
            raise
        return connection

    def _check_schema(self, connection: sqlite3.Connection) -> None:
        tables = {
            row[0]
            for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        if not tables:
            return
        if "meta" not in tables:
            raise StoreError(f"{self.path} is an SQLite database but not a tradecost tick store")
        meta = dict(connection.execute("SELECT key, value FROM meta").fetchall())
        if meta.get("application") != "tradecost":
            raise StoreError(f"{self.path} is an SQLite database but not a tradecost tick store")
        version = int(meta.get("schema_version", "0"))
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} has store schema {version}; this tradecost reads up to "
                f"{SCHEMA_VERSION}: upgrade tradecost"
            )

    def _reader(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            uri = Path(self.path).resolve().as_uri() + "?mode=ro"
            try:
                connection = sqlite3.connect(
                    uri, uri=True, isolation_level=None, check_same_thread=False
                )
                connection.execute("PRAGMA busy_timeout = 10000")
                # bars sort their buckets: in memory that is twice as fast as in a temp file
                connection.execute("PRAGMA temp_store = MEMORY")
            except sqlite3.DatabaseError as exc:
                raise StoreError(f"{self.path} cannot be read: {exc}") from None
            self._local.connection = connection
            with self._lock:
                self._readers.append(connection)
        return connection

    def _read(self, query: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``query`` on a reading connection (the writer's own for ``:memory:``)."""
        self._check_open()
        if self._writer is not None:
            if self.memory:
                result: T = self._writer.call(query)
                return result
            self._writer.flush()
        try:
            return query(self._reader())
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: {exc}") from exc

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError("the store is closed")

    def _require_writer(self) -> Writer:
        self._check_open()
        if self._writer is None:
            raise StoreError(f"{self.path} was opened read-only")
        return self._writer

    # ---------------------------------------------------------------- instruments

    def _load_instruments(self) -> None:
        rows = self._read(
            lambda c: c.execute(
                "SELECT exchange, symbol, instrument_id, source, bar_interval_ns FROM instruments"
            ).fetchall()
        )
        with self._lock:
            for exchange, symbol, instrument_id, source, interval_ns in rows:
                self._instruments[(exchange, symbol)] = (instrument_id, source, interval_ns)

    def _instrument(
        self, exchange: str, symbol: str, source: str, bar_interval_ns: int | None = None
    ) -> int:
        """The instrument's id, created on first use (by the writer). ``source`` is what it
        holds: ``"trades"`` (recorded) or ``"bars"`` (imported); one instrument never both."""
        for name, value in (("exchange", exchange), ("symbol", symbol)):
            if not isinstance(value, str) or not value.strip():
                raise InvalidInputError(f"{name} must be a non-empty string, not {value!r}")
        key = (exchange, symbol)
        known = self._instruments.get(key)
        if known is None:
            writer = self._require_writer()

            def create(connection: sqlite3.Connection) -> tuple[int, str, int | None]:
                connection.execute(
                    "INSERT OR IGNORE INTO instruments (exchange, symbol, source, bar_interval_ns)"
                    " VALUES (?, ?, ?, ?)",
                    (exchange, symbol, "trades" if source == "any" else source, bar_interval_ns),
                )
                row = connection.execute(
                    "SELECT instrument_id, source, bar_interval_ns FROM instruments "
                    "WHERE exchange = ? AND symbol = ?",
                    key,
                ).fetchone()
                return int(row[0]), str(row[1]), row[2]

            known = writer.call(create)
            with self._lock:
                self._instruments[key] = known
        instrument_id, held, _ = known
        if source != "any" and held != source:
            what = {"trades": "recorded trades", "bars": "imported bars"}
            raise InvalidInputError(
                f"{exchange}/{symbol} holds {what[held]}; store {what[source]} under another "
                "exchange name (e.g. exchange='csv' for imports)"
            )
        return instrument_id

    def _select(self, symbol: str, exchange: str | None) -> tuple[list[int], str, list[int | None]]:
        """Ids, source kind and bar intervals of ``symbol`` (on ``exchange``, or all)."""
        if self.read_only:
            self._load_instruments()
        with self._lock:
            chosen = [
                (value, ex)
                for (ex, sym), value in self._instruments.items()
                if sym == symbol and exchange in (None, ex)
            ]
        if not chosen:
            return [], "trades", []
        kinds = {value[1] for value, _ in chosen}
        if len(kinds) > 1:
            names = ", ".join(f"{ex} ({value[1]})" for value, ex in chosen)
            raise InvalidInputError(
                f"{symbol} has recorded trades and imported bars ({names}): pass exchange="
            )
        return [value[0] for value, _ in chosen], kinds.pop(), [value[2] for value, _ in chosen]

    def instruments(self) -> pd.DataFrame:
        """Every instrument in the store: exchange, symbol, source (``trades``/``bars``)."""
        import pandas as pd

        if self.read_only:
            self._load_instruments()
        with self._lock:
            items = sorted(self._instruments.items())
        return pd.DataFrame(
            [(ex, sym, source, interval) for (ex, sym), (_, source, interval) in items],
            columns=["exchange", "symbol", "source", "bar_interval_ns"],
        )

    def _rows_in_range(
        self,
        symbol: str,
        exchange: str | None,
        start_ns: int | None,
        end_ns: int | None,
        query: str,
        kind: str | None = None,
    ) -> list[tuple[Any, ...]]:
        """The rows of ``query`` for ``symbol`` (on ``exchange``, or all) in
        ``[start_ns, end_ns)``: ``{ids}`` in it stands for the instruments' marks, its last two
        marks are the start and the end. No rows when the symbol is unknown or (with ``kind``)
        holds another source."""
        start, end = _time_range(start_ns, end_ns)
        ids, held, _ = self._select(symbol, exchange)
        if not ids or kind not in (None, held):
            return []
        sql = query.format(ids=",".join("?" * len(ids)))
        rows: list[tuple[Any, ...]] = self._read(
            lambda c: c.execute(sql, (*ids, start, end)).fetchall()
        )
        return rows

    # ---------------------------------------------------------------- trades

    def append_trades(self, exchange: str, symbol: str, trades: Any) -> int:
        """Queue trades for storage; returns how many were given (a replayed trade is stored once).

        ``trades``: trade events (``tc.TradeEvent`` or any object with ``inst_id``, ``price``,
        ``size``, ``side``, ``trade_id``, ``exch_ts``, ``local_ts``), rows ``(ts_ns, price, size,
        side, trade_id)``, or a DataFrame with those columns. ``price`` quote per base unit,
        ``size`` base units, ``side`` the taker's ``"buy"``/``"sell"``, ``ts_ns`` the exchange's
        trade time in ns. Idempotent on ``(exchange, symbol, trade_id)``: the first copy wins.
        Any bad trade refuses the whole call (:class:`~tradecost.errors.InvalidTradeError`).
        """
        writer = self._require_writer()
        batch = trade_batch(symbol, trades)
        if len(batch) == 0:
            return 0
        instrument_id = self._instrument(exchange, symbol, "trades")
        with self._append_lock:
            writer.submit(Job(self._insert_trades(instrument_id, batch), rows=len(batch)))
            for live in self._live:
                if live.wants(exchange, symbol):
                    live.update(batch)
        return len(batch)

    def _insert_trades(
        self, instrument_id: int, batch: TradeBatch
    ) -> Callable[[sqlite3.Connection], int]:
        def insert(connection: sqlite3.Connection) -> int:
            first = self._next_seq
            self._next_seq += len(batch)
            connection.executemany(
                "INSERT OR IGNORE INTO trades VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                batch.rows(instrument_id, first),
            )
            return len(batch)

        return insert

    def flush(self) -> None:
        """Wait until everything appended so far is committed."""
        if self._writer is not None and not self._closed:
            self._writer.flush()

    def trades(
        self,
        symbol: str,
        exchange: str | None = None,
        start_ns: int | None = None,
        end_ns: int | None = None,
    ) -> pd.DataFrame:
        """Trades with ``start_ns <= ts_ns < end_ns``, in time (then arrival) order.

        Columns: ``ts_ns`` (int64, exchange time), ``price`` (quote), ``size`` (base), ``side``
        (taker, ``"buy"``/``"sell"``), ``trade_id`` (str), ``exchange``.
        """
        import pandas as pd

        rows = self._rows_in_range(
            symbol,
            exchange,
            start_ns,
            end_ns,
            "SELECT t.ts_ns, t.price, t.size, t.side, t.trade_id, i.exchange FROM trades t "
            "JOIN instruments i USING (instrument_id) "
            "WHERE t.instrument_id IN ({ids}) AND t.ts_ns >= ? AND t.ts_ns < ? "
            "ORDER BY t.ts_ns, t.seq",
            kind="trades",
        )
        names = ["ts_ns", "price", "size", "side", "trade_id", "exchange"]
        columns: list[Any] = list(zip(*rows, strict=True)) if rows else [[] for _ in names]
        side = np.asarray(columns[3], dtype=np.int8)
        return pd.DataFrame(
            {
                "ts_ns": np.asarray(columns[0], dtype=np.int64),
                "price": np.asarray(columns[1], dtype=np.float64),
                "size": np.asarray(columns[2], dtype=np.float64),
                "side": np.where(side > 0, "buy", "sell").astype(object),
                "trade_id": np.asarray(columns[4], dtype=object),
                "exchange": np.asarray(columns[5], dtype=object),
            }
        )

    # ---------------------------------------------------------------- bars

    def bars(
        self,
        symbol: str,
        interval: str | int = "1m",
        exchange: str | None = None,
        start_ns: int | None = None,
        end_ns: int | None = None,
    ) -> pd.DataFrame:
        """OHLC bars, one row per interval that has trades, computed in SQLite.

        Index ``ts_ns``: the bucket start, a multiple of the interval since the Unix epoch (UTC).
        Columns ``open``, ``high``, ``low``, ``close`` (quote), ``volume`` (base), ``notional``
        (quote, Σ price × size), ``vwap`` (notional / volume), ``trades`` (count). Built from the
        trades with ``start_ns <= ts_ns < end_ns`` (a bar cut by either end holds only those);
        ``open``/``close`` are the first/last trade by ``(ts_ns, arrival)``. With
        ``exchange=None`` the trades of every exchange are pooled. For imported bars, the stored
        bars are combined into ``interval`` (a whole multiple of their own interval).
        """
        return _frame_from_rows(
            self._bar_rows(symbol, parse_interval(interval), exchange, start_ns, end_ns)
        )

    def _bar_rows(
        self,
        symbol: str,
        interval_ns: int,
        exchange: str | None,
        start_ns: int | None,
        end_ns: int | None,
    ) -> list[tuple[Any, ...]]:
        """Rows (start, open, high, low, close, volume, notional, trades, first_ts, last_ts)."""
        start, end = _time_range(start_ns, end_ns)
        ids, kind, bar_intervals = self._select(symbol, exchange)
        if not ids:
            return []
        if kind == "trades":
            sql = _bars_sql("trades", _TRADE_AGGREGATES, "price", "price", "seq", len(ids))
        else:
            for own in bar_intervals:
                if own is None or interval_ns % own:
                    raise InvalidInputError(
                        f"{symbol} holds imported {format_interval(int(own or 1))} bars: ask for a "
                        f"whole multiple of that, not {format_interval(interval_ns)}"
                    )
            sql = _bars_sql(
                "imported_bars", _BAR_AGGREGATES, "open", "close", "instrument_id", len(ids)
            )
        # named and positional marks cannot mix: the ids are named ones too
        params: dict[str, int] = {"iv": interval_ns, "start": start, "end": end}
        for n, instrument_id in enumerate(ids):
            params[f"i{n}"] = instrument_id
        rows: list[tuple[Any, ...]] = self._read(lambda c: c.execute(sql, params).fetchall())
        return rows

    def live_bars(
        self,
        symbol: str,
        interval: str | int = "1m",
        exchange: str | None = None,
        keep: int = 1_000,
    ) -> LiveBars:
        """Bars that follow every later append (see :class:`~tradecost.store.live.LiveBars`),
        seeded with the last ``keep`` bars already stored."""
        interval_ns = parse_interval(interval)
        if keep < 1:
            raise InvalidInputError(f"keep must be at least 1, not {keep}")
        with self._append_lock:
            rows = self._bar_rows(symbol, interval_ns, exchange, None, None)
            seed = [Bar(*row) for row in rows[-keep:] if row[1] is not None]
            live = LiveBars(symbol, interval_ns, exchange, keep, seed)
            self._live.append(live)
        return live

    def stop_live_bars(self, live: LiveBars) -> None:
        with self._lock:
            if live in self._live:
                self._live.remove(live)

    # ---------------------------------------------------------------- books

    def append_book(
        self,
        exchange: str,
        symbol: str,
        book: Any,
        ts_ns: int,
        *,
        local_ts_ns: int | None = None,
        depth: int | None = None,
    ) -> None:
        """Queue a snapshot of ``book``'s top ``depth`` levels a side (default ``book_depth``).

        ``book`` is an :class:`~tradecost.OrderBook` (or anything with ``bids(n)``, ``asks(n)``
        and ``tick_size``); its levels are copied now, so the live book may change right after.
        One snapshot per ``(exchange, symbol, ts_ns)``: a second one at the same time is ignored.
        """
        writer = self._require_writer()
        depth = self.book_depth if depth is None else depth
        if depth < 1:
            raise InvalidInputError(f"depth must be at least 1, not {depth}")
        if isinstance(ts_ns, bool) or not isinstance(ts_ns, int | np.integer) or ts_ns < 0:
            raise InvalidInputError(f"ts_ns must be integer ns since the epoch, not {ts_ns!r}")
        try:
            bids = np.array(book.bids(depth), dtype=np.float64).reshape(-1, 2)
            asks = np.array(book.asks(depth), dtype=np.float64).reshape(-1, 2)
            tick = Decimal(str(book.tick_size))
        except (AttributeError, TypeError, ValueError, ArithmeticError) as exc:
            raise InvalidInputError(
                f"append_book needs an OrderBook (bids(n), asks(n), tick_size), not {book!r}: {exc}"
            ) from None
        if not (np.isfinite(bids).all() and np.isfinite(asks).all() and tick > 0):
            raise InvalidInputError("a book snapshot needs finite prices and sizes and a tick > 0")
        blob = encode_levels(bids, asks, tick)
        instrument_id = self._instrument(exchange, symbol, "any")
        row = (instrument_id, int(ts_ns), local_ts_ns, str(tick), len(bids), len(asks), blob)

        def insert(connection: sqlite3.Connection) -> int:
            connection.execute("INSERT OR IGNORE INTO books VALUES (?, ?, ?, ?, ?, ?, ?)", row)
            return 1

        writer.submit(Job(insert))

    def book_at(
        self,
        symbol: str,
        ts_ns: int,
        exchange: str | None = None,
        max_age_ns: int | None = None,
    ) -> OrderBook | None:
        """The book as it stood at ``ts_ns``: the last snapshot taken at or before it, as an
        :class:`~tradecost.OrderBook` (its depth is what was stored). None if there is none, or
        if it is older than ``max_age_ns``."""
        from tradecost._book import OrderBook

        ids, _, _ = self._select(symbol, exchange)
        if not ids:
            return None
        marks = ",".join("?" * len(ids))
        sql = (
            "SELECT ts_ns, tick_size, n_bids, n_asks, levels FROM books "
            f"WHERE instrument_id IN ({marks}) AND ts_ns <= ? ORDER BY ts_ns DESC LIMIT 1"
        )
        row = self._read(lambda c: c.execute(sql, (*ids, int(ts_ns))).fetchone())
        if row is None:
            return None
        taken_ns, tick_size, n_bids, n_asks, blob = row
        if max_age_ns is not None and int(ts_ns) - taken_ns > max_age_ns:
            return None
        bids, asks = decode_levels(blob, n_bids, n_asks, tick_size)
        book = OrderBook(tick_size, inst_id=symbol)
        book.apply_snapshot(bids, asks)
        return book

    def book_times(
        self,
        symbol: str,
        exchange: str | None = None,
        start_ns: int | None = None,
        end_ns: int | None = None,
    ) -> pd.DataFrame:
        """When snapshots were taken: ``ts_ns``, ``local_ts_ns``, ``n_bids``, ``n_asks``."""
        rows = self._rows_in_range(
            symbol,
            exchange,
            start_ns,
            end_ns,
            "SELECT ts_ns, local_ts_ns, n_bids, n_asks FROM books "
            "WHERE instrument_id IN ({ids}) AND ts_ns >= ? AND ts_ns < ? ORDER BY ts_ns",
        )
        names = ["ts_ns", "local_ts_ns", "n_bids", "n_asks"]
        return _typed_frame(rows, names, dict.fromkeys(names, "INTEGER"))

    # ---------------------------------------------------------------- cost estimates

    def append_estimates(
        self,
        exchange: str,
        symbol: str,
        estimates: Iterable[Any],
        *,
        local_ts_ns: int | None = None,
    ) -> int:
        """Queue cost estimates: ``CostEstimate`` objects or the records ``tradecost simulate
        --json``/``--log`` writes (dicts with the tick's columns too). A ``CostEstimate`` alone
        has no tick: its ``local_ts`` is ``local_ts_ns`` (default: now)."""
        import dataclasses

        writer = self._require_writer()
        names = list(_estimate_columns())
        now = time.time_ns() if local_ts_ns is None else int(local_ts_ns)
        rows: list[tuple[Any, ...]] = []
        for number, item in enumerate(estimates):
            if dataclasses.is_dataclass(item) and not isinstance(item, type):
                record: Mapping[str, Any] = {**dataclasses.asdict(item), "local_ts": now}
            elif isinstance(item, Mapping):
                record = item
            else:
                raise InvalidInputError(f"estimate {number}: {item!r} is not a CostEstimate")
            values = []
            for name in names:
                value = record.get(name)
                if name == "flags" and value is not None and not isinstance(value, str):
                    value = "|".join(value)
                values.append(value)
            rows.append(tuple(values))
        if not rows:
            return 0
        instrument_id = self._instrument(exchange, symbol, "any")
        sql = (
            f"INSERT INTO estimates (instrument_id, {', '.join(names)}) "
            f"VALUES (?, {', '.join('?' * len(names))})"
        )

        def insert(connection: sqlite3.Connection) -> int:
            connection.executemany(sql, [(instrument_id, *row) for row in rows])
            return len(rows)

        writer.submit(Job(insert, rows=len(rows)))
        return len(rows)

    def estimates(
        self,
        symbol: str,
        exchange: str | None = None,
        start_ns: int | None = None,
        end_ns: int | None = None,
    ) -> pd.DataFrame:
        """Stored estimates with ``start_ns <= local_ts < end_ns``, oldest first, with the
        columns of ``simulate --log`` (``flags`` joined by ``|``) and ``exchange``."""
        types = {"exchange": "TEXT", "symbol": "TEXT", **_estimate_columns()}
        columns = ", ".join("e." + name for name in _estimate_columns())
        rows = self._rows_in_range(
            symbol,
            exchange,
            start_ns,
            end_ns,
            f"SELECT i.exchange, i.symbol, {columns} FROM estimates e "
            "JOIN instruments i USING (instrument_id) "
            "WHERE e.instrument_id IN ({ids}) AND e.local_ts >= ? AND e.local_ts < ? "
            "ORDER BY e.local_ts, e.estimate_id",
        )
        return _typed_frame(rows, list(types), types)

    # ---------------------------------------------------------------- import / export

    def import_bars(
        self,
        symbol: str,
        source: Any,
        *,
        exchange: str = "csv",
        interval: str | int | None = None,
    ) -> int:
        """Store OHLC bars from a CSV file (or a DataFrame) after checking all of them.

        See :mod:`tradecost.store.files` for the accepted columns. ``interval`` defaults to the
        smallest step between bars. Bars go under ``(exchange, symbol)``, which must not hold
        recorded trades; importing a bar again replaces it. All or nothing: a bad file raises
        :class:`~tradecost.errors.MalformedBarsError` and stores nothing. Returns the bar count.
        """
        writer = self._require_writer()
        imported: ImportedBars = read_ohlc(source, interval)
        instrument_id = self._instrument(exchange, symbol, "bars", imported.interval_ns)
        _, _, own = self._instruments[(exchange, symbol)]
        if own != imported.interval_ns:
            raise InvalidInputError(
                f"{exchange}/{symbol} holds {format_interval(int(own or 1))} bars; these are "
                f"{format_interval(imported.interval_ns)}"
            )
        rows = imported.rows(instrument_id)

        def insert(connection: sqlite3.Connection) -> int:
            connection.executemany(
                "INSERT OR REPLACE INTO imported_bars VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows
            )
            return len(rows)

        writer.call(insert)
        return len(rows)

    def export_trades(
        self,
        path: str | Path,
        symbol: str,
        exchange: str | None = None,
        start_ns: int | None = None,
        end_ns: int | None = None,
    ) -> Path:
        """Write :meth:`trades` to ``*.csv`` or ``*.parquet``."""
        frame = self.trades(symbol, exchange, start_ns, end_ns).set_index("ts_ns")
        return write_frame(frame, path)

    def export_bars(
        self,
        path: str | Path,
        symbol: str,
        interval: str | int = "1m",
        exchange: str | None = None,
        start_ns: int | None = None,
        end_ns: int | None = None,
    ) -> Path:
        """Write :meth:`bars` (index ``ts_ns``) to ``*.csv`` or ``*.parquet``."""
        return write_frame(self.bars(symbol, interval, exchange, start_ns, end_ns), path)

    # ---------------------------------------------------------------- housekeeping

    def integrity_check(self) -> str:
        """SQLite's ``PRAGMA integrity_check``: ``"ok"`` for a sound file."""
        rows = self._read(lambda c: c.execute("PRAGMA integrity_check").fetchall())
        return "\n".join(str(row[0]) for row in rows)

    def close(self) -> None:
        """Commit what is queued, stop the writer, close every connection."""
        if self._closed:
            return
        try:
            if self._writer is not None:
                self._writer.close()
        finally:
            self._closed = True
            with self._lock:
                readers, self._readers = self._readers, []
            for connection in readers:
                connection.close()
            self._release_writer_lock()
        if self._writer is not None and self._writer.error is not None:
            raise StoreError(f"the store's writer failed: {self._writer.error!r}")

    def __repr__(self) -> str:
        state = "closed" if self._closed else ("read-only" if self.read_only else "open")
        return f"TickStore({self.path!r}, {state})"


def _typed_frame(
    rows: list[tuple[Any, ...]], names: list[str], types: Mapping[str, str]
) -> pd.DataFrame:
    """A frame whose INTEGER columns stay exact (pandas' nullable Int64, never float64)."""
    import pandas as pd

    columns: list[Any] = list(zip(*rows, strict=True)) if rows else [[] for _ in names]
    data: dict[str, Any] = {}
    for name, values in zip(names, columns, strict=True):
        kind = types.get(name, "TEXT")
        if kind == "INTEGER":
            data[name] = pd.array(list(values), dtype="Int64")
        elif kind == "BOOLEAN":
            data[name] = pd.array([None if v is None else bool(v) for v in values], "boolean")
        elif kind == "REAL":
            data[name] = np.asarray([np.nan if v is None else v for v in values], dtype=np.float64)
        else:
            data[name] = np.asarray(values, dtype=object)
    return pd.DataFrame(data)


def _frame_from_rows(rows: list[tuple[Any, ...]]) -> pd.DataFrame:
    import pandas as pd

    names = ["ts_ns", "open", "high", "low", "close", "volume", "notional", "trades"]
    columns: list[Any] = list(zip(*rows, strict=True)) if rows else [[] for _ in range(10)]
    data: dict[str, Any] = {}
    for name, values in zip(names[1:7], columns[1:7], strict=True):
        data[name] = np.asarray([np.nan if v is None else v for v in values], dtype=np.float64)
    frame = pd.DataFrame(data, index=pd.Index(np.asarray(columns[0], dtype=np.int64), name="ts_ns"))
    frame["vwap"] = frame["notional"] / frame["volume"]
    trades = list(columns[7])
    if any(v is None for v in trades):
        frame["trades"] = np.asarray([np.nan if v is None else v for v in trades], dtype=np.float64)
    else:
        frame["trades"] = np.asarray(trades, dtype=np.int64)
    return frame
