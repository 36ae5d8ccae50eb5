"""Bars and trades to CSV and Parquet, and OHLC bars from a user's CSV (checked before import).

An OHLC file needs a time column and ``open``, ``high``, ``low``, ``close``; ``volume``,
``notional`` and ``trades`` are optional. Column names are matched case-insensitively. The time
column is one of ``ts_ns``, ``ts_ms``, ``ts_s`` (integers since the Unix epoch in that unit) or
``time``/``timestamp``/``date``/``datetime`` (ISO 8601; a time without a zone is UTC). Times
must strictly increase and sit on the bar interval's UTC grid.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from tradecost.errors import InvalidInputError, MalformedBarsError
from tradecost.store.intervals import format_interval, parse_interval

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["FORMATS", "ImportedBars", "read_ohlc", "write_frame"]

FORMATS = (".csv", ".parquet")
TIME_COLUMNS = {
    "ts_ns": 1,
    "ts_ms": 1_000_000,
    "ts_s": 1_000_000_000,
    "time": 0,
    "timestamp": 0,
    "date": 0,
    "datetime": 0,
}
PRICE_COLUMNS = ("open", "high", "low", "close")
OPTIONAL_COLUMNS = ("volume", "notional", "trades")


def file_format(path: str | Path) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise InvalidInputError(
            f"export writes CSV or Parquet: name the file *.csv or *.parquet, not {str(path)!r}"
        )
    return suffix


def write_frame(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write ``frame`` (index included) as CSV or Parquet, by the file's suffix."""
    target = Path(path)
    if file_format(target) == ".parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise InvalidInputError(
                'writing Parquet needs pyarrow: pip install "tradecost[parquet]" (or write .csv)'
            ) from None
        frame.to_parquet(target, index=True)
    else:
        frame.to_csv(target, index=True)
    return target


class ImportedBars:
    """Checked OHLC bars, ready to store: times in ns, the bar interval in ns."""

    def __init__(self, frame: pd.DataFrame, interval_ns: int) -> None:
        self.frame = frame  # columns ts_ns, open, high, low, close, volume, notional, trades
        self.interval_ns = interval_ns

    def rows(self, instrument_id: int) -> list[tuple[Any, ...]]:
        f = self.frame

        def nullable(values: Any) -> list[Any]:
            return [None if v != v else v for v in values.tolist()]  # NaN -> NULL

        trades = [None if v != v else int(v) for v in f["trades"].tolist()]
        return list(
            zip(
                [instrument_id] * len(f),
                f["ts_ns"].tolist(),
                f["open"].tolist(),
                f["high"].tolist(),
                f["low"].tolist(),
                f["close"].tolist(),
                nullable(f["volume"]),
                nullable(f["notional"]),
                trades,
                strict=True,
            )
        )


def _fail(where: str, message: str) -> MalformedBarsError:
    return MalformedBarsError(f"{where}: {message}; nothing was imported")


def _line(index: int) -> str:
    return f"line {index + 2}"  # the header is line 1


def read_ohlc(source: Any, interval: str | int | None = None) -> ImportedBars:
    """Read and check OHLC bars from a CSV path or a DataFrame."""
    import pandas as pd

    if isinstance(source, str | Path):
        where = str(source)
        path = Path(source)
        if not path.is_file():
            raise InvalidInputError(f"no CSV file at {where}")
        try:
            raw = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
            raise _fail(where, f"not a readable CSV ({exc})") from None
    elif isinstance(source, pd.DataFrame):
        where = "the bars frame"
        raw = source.reset_index() if source.index.name in TIME_COLUMNS else source
    else:
        raise InvalidInputError(f"import bars from a CSV path or a DataFrame, not {source!r}")
    raw = raw.rename(columns=lambda name: str(name).strip().lower())
    if len(raw) == 0:
        raise _fail(where, "no bars")
    time_names = [name for name in TIME_COLUMNS if name in raw.columns]
    if len(time_names) != 1:
        raise _fail(
            where,
            "needs exactly one time column, one of "
            + ", ".join(TIME_COLUMNS)
            + f" (found {time_names or 'none'})",
        )
    missing = [name for name in PRICE_COLUMNS if name not in raw.columns]
    if missing:
        raise _fail(where, f"missing column(s) {', '.join(missing)}")

    time_name = time_names[0]
    ts_ns = _times(raw[time_name], time_name, where)
    out = pd.DataFrame({"ts_ns": ts_ns})
    for name in PRICE_COLUMNS + OPTIONAL_COLUMNS:
        if name not in raw.columns:
            out[name] = np.nan
            continue
        text = raw[name]
        values = pd.to_numeric(text, errors="coerce").astype(np.float64).to_numpy()
        required = name in PRICE_COLUMNS
        blank = None
        if not required:  # an empty optional cell is a missing value, not an error
            blank = text.isna() | text.astype(str).str.strip().isin(["", "nan", "NaN"])
        bad = ~np.isfinite(values)
        if blank is not None:
            bad &= ~blank.to_numpy()
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise _fail(
                where, f"{_line(row)}: {name} {raw[name].iloc[row]!r} is not a finite number"
            )
        if required and (values <= 0).any():
            row = int(np.flatnonzero(values <= 0)[0])
            raise _fail(where, f"{_line(row)}: {name} {values[row]} must be greater than zero")
        if not required and (values < 0).any():
            row = int(np.flatnonzero(values < 0)[0])
            raise _fail(where, f"{_line(row)}: {name} {values[row]} must not be negative")
        if name == "trades":
            whole = np.isnan(values) | (values == np.round(values))
            if not whole.all():
                row = int(np.flatnonzero(~whole)[0])
                raise _fail(where, f"{_line(row)}: trades {values[row]} must be a whole number")
        out[name] = values

    o, h, lo, c = (out[name].to_numpy() for name in PRICE_COLUMNS)
    broken = (h < np.maximum(o, c)) | (lo > np.minimum(o, c)) | (lo > h)
    if broken.any():
        row = int(np.flatnonzero(broken)[0])
        raise _fail(
            where,
            f"{_line(row)}: impossible bar open {o[row]} high {h[row]} low {lo[row]} "
            f"close {c[row]} (need low <= open, close <= high)",
        )
    steps = np.diff(ts_ns)
    if (steps <= 0).any():
        row = int(np.flatnonzero(steps <= 0)[0]) + 1
        raise _fail(where, f"{_line(row)}: time does not increase (each bar must follow the last)")

    if interval is None:
        if len(ts_ns) < 2:
            raise _fail(where, "one bar alone does not show its interval: pass interval=")
        interval_ns = int(steps.min())
    else:
        interval_ns = parse_interval(interval)
    off_grid = ts_ns % interval_ns != 0
    if off_grid.any():
        row = int(np.flatnonzero(off_grid)[0])
        raise _fail(
            where,
            f"{_line(row)}: time {int(ts_ns[row])} ns is not on the UTC grid of "
            f"{format_interval(interval_ns)} bars (a bar starts at a multiple of its interval)",
        )
    return ImportedBars(out, interval_ns)


def _times(column: pd.Series, name: str, where: str) -> np.ndarray:
    import pandas as pd

    unit = TIME_COLUMNS[name]
    if unit:
        text = column.astype(str).str.strip()
        good = text.str.fullmatch(r"\d+")
        if not good.all():
            row = int(np.flatnonzero(~good.to_numpy())[0])
            raise _fail(where, f"{_line(row)}: {name} {column.iloc[row]!r} is not a whole number")
        as_int = [int(v) * unit for v in text.tolist()]
        if max(as_int) >= 2**63:
            raise _fail(where, f"{name} is out of range")
        return np.asarray(as_int, dtype=np.int64)
    parsed = pd.to_datetime(column, errors="coerce", utc=True, format="ISO8601")
    bad = parsed.isna().to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise _fail(where, f"{_line(row)}: {name} {column.iloc[row]!r} is not an ISO 8601 time")
    ns: np.ndarray = parsed.dt.as_unit("ns").astype("int64").to_numpy()
    if (ns < 0).any():
        row = int(np.flatnonzero(ns < 0)[0])
        raise _fail(where, f"{_line(row)}: {name} is before the Unix epoch")
    return ns
