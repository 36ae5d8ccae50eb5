"""Every estimate to a file: ``tradecost simulate --log FILE.csv``, ``.parquet`` or ``.db``.

One row per estimate with the columns of :class:`~tradecost.estimator.CostEstimate` plus the
tick's ``inst_id``, ``seq_id``, ``exch_ts``, ``local_ts`` (ns), ``best_bid``, ``best_ask`` and
``end_to_end_ns`` (bytes received → estimate ready). CSV writes a line per estimate (``flags``
joined by ``|``, a missing number as an empty cell). Parquet (needs ``pyarrow``: ``pip install
"tradecost[parquet]"``) has a fixed, typed schema (``flags`` a list of strings, a missing number
null) and is written in row groups of ``row_group_size`` rows, so a crash loses at most one group.
A ``.db`` file is a :class:`~tradecost.store.TickStore`: the same columns in its ``estimates``
table, read back with ``TickStore(path).estimates(symbol)``.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import IO, Any

from tradecost.errors import InvalidInputError
from tradecost.estimator import TICK_COLUMNS, estimate_columns

__all__ = ["SUFFIXES", "TICK_COLUMNS", "EstimateLog", "columns", "open_estimate_log"]

SUFFIXES = (".csv", ".parquet", ".db")

#: the columns of a log row, name → Python type, in file order (defined beside CostEstimate)
columns = estimate_columns


class EstimateLog:
    """Write with :meth:`write` (one record of ``simulate``'s JSON output), then :meth:`close`."""

    path: Path

    def write(self, record: dict[str, Any]) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> EstimateLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class CsvEstimateLog(EstimateLog):
    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[str] = path.open("w", newline="")
        self._names = list(columns())
        self._writer = csv.DictWriter(self._file, fieldnames=self._names, extrasaction="ignore")
        self._writer.writeheader()

    def write(self, record: dict[str, Any]) -> None:
        row = dict(record)
        row["flags"] = "|".join(record["flags"])
        self._writer.writerow(row)

    def close(self) -> None:
        self._file.close()


class ParquetEstimateLog(EstimateLog):
    def __init__(self, path: Path, row_group_size: int = 10_000) -> None:
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError:
            raise InvalidInputError(
                'writing Parquet needs pyarrow: pip install "tradecost[parquet]" (or log to .csv)'
            ) from None
        arrow_type = {
            str: pa.string(),
            int: pa.int64(),
            float: pa.float64(),
            bool: pa.bool_(),
            tuple[str, ...]: pa.list_(pa.string()),
        }
        self.path = path
        self._pa = pa
        self.schema = pa.schema([(name, arrow_type[kind]) for name, kind in columns().items()])
        self._writer = pq.ParquetWriter(path, self.schema)
        self._rows: list[dict[str, Any]] = []
        self.row_group_size = row_group_size

    def write(self, record: dict[str, Any]) -> None:
        self._rows.append(record)
        if len(self._rows) >= self.row_group_size:
            self._flush()

    def _flush(self) -> None:
        if self._rows:
            table = self._pa.Table.from_pylist(self._rows, schema=self.schema)
            self._writer.write_table(table)
            self._rows = []

    def close(self) -> None:
        self._flush()
        self._writer.close()


class StoreEstimateLog(EstimateLog):
    """Estimates into a tick store (``*.db``), queryable with ``TickStore.estimates(symbol)``."""

    def __init__(self, path: Path, exchange: str = "okx") -> None:
        from tradecost.store import TickStore

        self.path = path
        self.exchange = exchange
        self._store = TickStore(path)

    def write(self, record: dict[str, Any]) -> None:
        self._store.append_estimates(self.exchange, str(record["inst_id"]), [record])

    def close(self) -> None:
        self._store.close()


def open_estimate_log(path: str | Path, exchange: str = "okx") -> EstimateLog:
    """A CSV or Parquet log, or a tick store, by the file's suffix (:data:`SUFFIXES`)."""
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in SUFFIXES:
        raise InvalidInputError(
            "--log writes CSV or Parquet: name the file *.csv or *.parquet (or *.db for a tick "
            f"store), not {str(path)!r}"
        )
    if suffix == ".parquet":
        return ParquetEstimateLog(target)
    if suffix == ".db":
        return StoreEstimateLog(target, exchange)
    return CsvEstimateLog(target)
