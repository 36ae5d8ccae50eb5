"""Trades as they enter the store: checked as one batch, in columns, before anything is queued.

A batch is all or nothing: one bad trade refuses the whole call with an
:class:`~tradecost.errors.InvalidTradeError` naming the first bad row, and nothing of it reaches
the database.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

import numpy as np
import numpy.typing as npt

from tradecost.errors import InvalidTradeError

__all__ = ["TradeBatch", "trade_batch"]

#: the attributes every venue's trade event carries (``tc.TradeEvent``; OKX's and Binance's)
EVENT_ATTRIBUTES = ("inst_id", "price", "size", "side", "trade_id", "exch_ts")
ROW_COLUMNS = ("ts_ns", "price", "size", "side", "trade_id")


@dataclass(frozen=True, slots=True)
class TradeBatch:
    """Checked trades of one instrument, in columns. ``side`` is +1 (buy) or -1 (sell)."""

    ts_ns: npt.NDArray[np.int64]
    price: npt.NDArray[np.float64]
    size: npt.NDArray[np.float64]
    side: npt.NDArray[np.int8]
    trade_id: list[str]
    local_ts_ns: npt.NDArray[np.int64] | None

    def __len__(self) -> int:
        return len(self.trade_id)

    def rows(self, instrument_id: int, first_seq: int) -> Iterable[tuple[Any, ...]]:
        """Rows for ``INSERT INTO trades``, in column order, numbered from ``first_seq``."""
        n = len(self.trade_id)
        ts = self.ts_ns.tolist()
        local: list[int | None] = (
            [None] * n if self.local_ts_ns is None else self.local_ts_ns.tolist()
        )
        return zip(
            [instrument_id] * n,
            ts,
            range(first_seq, first_seq + n),
            self.trade_id,
            self.price.tolist(),
            self.size.tolist(),
            self.side.tolist(),
            local,
            strict=True,
        )


def _is_event(item: Any) -> bool:
    return all(hasattr(item, name) for name in EVENT_ATTRIBUTES)


def _integers(name: str, values: Sequence[Any]) -> npt.NDArray[np.int64]:
    try:
        array = np.asarray(values)
    except (TypeError, ValueError, OverflowError) as exc:
        raise InvalidTradeError(f"{name} must be integer nanoseconds: {exc}") from None
    if array.dtype.kind == "O":
        for row, value in enumerate(values):
            if isinstance(value, bool) or not isinstance(value, int | np.integer):
                raise InvalidTradeError(
                    f"row {row}: {name} must be integer nanoseconds since the epoch, not {value!r}"
                )
        raise InvalidTradeError(f"{name} does not fit in int64 nanoseconds")
    if array.dtype.kind not in "iu" or array.ndim != 1:
        bad = next(
            (
                (i, v)
                for i, v in enumerate(values)
                if isinstance(v, bool) or not isinstance(v, int | np.integer)
            ),
            (0, values[0] if len(values) else None),
        )
        raise InvalidTradeError(
            f"row {bad[0]}: {name} must be integer nanoseconds since the epoch, not {bad[1]!r}"
        )
    if array.dtype == np.uint64 and array.size and array.max() >= 2**63:
        raise InvalidTradeError(f"{name} does not fit in int64 nanoseconds")
    out = array.astype(np.int64)
    negative = np.flatnonzero(out < 0)
    if negative.size:
        row = int(negative[0])
        raise InvalidTradeError(f"row {row}: {name} {int(out[row])} is before the Unix epoch")
    return out


def _positive(name: str, values: Sequence[Any]) -> npt.NDArray[np.float64]:
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        for row, value in enumerate(values):
            try:
                float(value)
            except (TypeError, ValueError):
                raise InvalidTradeError(
                    f"row {row}: {name} {value!r} must be a finite number greater than zero"
                ) from None
        raise InvalidTradeError(f"{name} must be one number per trade") from None
    if array.ndim != 1:
        raise InvalidTradeError(f"{name} must be one number per trade")
    bad = np.flatnonzero(~(np.isfinite(array) & (array > 0)))
    if bad.size:
        row = int(bad[0])
        raise InvalidTradeError(
            f"row {row}: {name} {values[row]!r} must be a finite number greater than zero"
        )
    return array


_SIDE_SIGN = {"buy": 1, "sell": -1}


def _sides(values: Sequence[Any]) -> npt.NDArray[np.int8]:
    # str(Side.BUY) == "buy": hash and equality of a StrEnum member are its value's
    signs = list(map(_SIDE_SIGN.get, values))
    if None in signs:
        row = signs.index(None)
        raise InvalidTradeError(
            f"row {row}: side {values[row]!r} must be 'buy' or 'sell' (the taker's side)"
        )
    return np.asarray(signs, dtype=np.int8)


def _trade_ids(values: Sequence[Any]) -> list[str]:
    kinds = set(map(type, values))
    if kinds <= {str}:
        ids = list(values)
    elif kinds <= {str, int, np.int64, np.uint64, np.int32}:
        ids = [value if type(value) is str else str(value) for value in values]
    else:
        ids = []
        for row, value in enumerate(values):
            if (
                value is None
                or isinstance(value, float | bool)
                or not isinstance(value, str | int | np.integer)
            ):
                raise InvalidTradeError(
                    f"row {row}: trade_id {value!r} must be a non-empty string or integer"
                )
            ids.append(value if isinstance(value, str) else str(value))
    if "" in ids:
        row = ids.index("")
        raise InvalidTradeError(f"row {row}: trade_id '' must be a non-empty string or integer")
    return ids


def trade_batch(symbol: str, trades: Any) -> TradeBatch:
    """Check ``trades`` and put them into columns.

    ``trades``: trade events (anything with ``inst_id``, ``price``, ``size``, ``side``,
    ``trade_id``, ``exch_ts`` and optionally ``local_ts``; ``inst_id`` must be ``symbol``), rows
    ``(ts_ns, price, size, side, trade_id)``, or a pandas DataFrame with those columns.
    """
    columns = getattr(trades, "columns", None)
    if columns is not None and hasattr(trades, "to_numpy"):
        missing = [name for name in ROW_COLUMNS if name not in columns]
        if missing:
            raise InvalidTradeError(f"the trades frame has no column(s) {', '.join(missing)}")
        ts: Sequence[Any] = trades["ts_ns"].tolist()
        price: Sequence[Any] = trades["price"].tolist()
        size: Sequence[Any] = trades["size"].tolist()
        side: Sequence[Any] = trades["side"].tolist()
        ids: Sequence[Any] = trades["trade_id"].tolist()
        local: Sequence[Any] | None = (
            trades["local_ts_ns"].tolist() if "local_ts_ns" in columns else None
        )
    else:
        if isinstance(trades, str | bytes):
            raise InvalidTradeError("trades must be trade events or rows, not a string")
        try:
            items = list(trades)
        except TypeError:
            raise InvalidTradeError(
                f"trades must be an iterable of trade events or rows, not {type(trades).__name__}"
            ) from None
        if not items:
            return TradeBatch(
                np.empty(0, np.int64),
                np.empty(0, np.float64),
                np.empty(0, np.float64),
                np.empty(0, np.int8),
                [],
                None,
            )
        if _is_event(items[0]):
            for row, item in enumerate(items):
                if not _is_event(item):
                    raise InvalidTradeError(f"row {row}: {item!r} is not a trade event")
                if item.inst_id != symbol:
                    raise InvalidTradeError(
                        f"row {row}: a trade of {item.inst_id!r} appended under {symbol!r}"
                    )
            ts = [item.exch_ts for item in items]
            price = [item.price for item in items]
            size = [item.size for item in items]
            side = [item.side for item in items]
            ids = [item.trade_id for item in items]
            local = [getattr(item, "local_ts", None) for item in items]
            if any(value is None for value in local):
                local = None
        else:
            fields: list[list[Any]] = []
            try:
                fields = [list(map(itemgetter(i), items)) for i in range(5)]
                well_formed = set(map(len, items)) == {5}
            except (TypeError, IndexError, KeyError):
                well_formed = False
            if not well_formed or isinstance(items[0], str | bytes):
                for row, item in enumerate(items):
                    if (
                        isinstance(item, str | bytes)
                        or not hasattr(item, "__len__")
                        or len(item) != 5
                    ):
                        raise InvalidTradeError(
                            f"row {row}: {item!r} is not a trade event nor a row "
                            "(ts_ns, price, size, side, trade_id)"
                        )
                raise InvalidTradeError("rows must be tuples (ts_ns, price, size, side, trade_id)")
            ts, price, size, side, ids = fields
            local = None
    batch = TradeBatch(
        ts_ns=_integers("ts_ns", ts),
        price=_positive("price", price),
        size=_positive("size", size),
        side=_sides(side),
        trade_id=_trade_ids(ids),
        local_ts_ns=None if local is None else _integers("local_ts_ns", local),
    )
    return batch
