"""An independent bar builder for the tests: pandas' own resample over the same trades.

It shares nothing with the store's SQL: trades are ordered by a stable sort on time (arrival
order breaks ties), bucketed by ``DataFrame.resample`` anchored at the Unix epoch, and empty
buckets dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd


def resample_bars(rows: Sequence[tuple[Any, ...]], interval_ns: int) -> pd.DataFrame:
    """``rows``: (ts_ns, price, size, side, trade_id) in arrival order, no duplicate ids."""
    frame = pd.DataFrame(rows, columns=["ts_ns", "price", "size", "side", "trade_id"])
    frame = frame.sort_values("ts_ns", kind="stable")
    frame["notional"] = frame["price"] * frame["size"]
    frame.index = pd.to_datetime(frame["ts_ns"], unit="ns", utc=True)
    resampled = frame.resample(pd.Timedelta(interval_ns, unit="ns"), origin="epoch", closed="left")
    bars = pd.DataFrame(
        {
            "open": resampled["price"].first(),
            "high": resampled["price"].max(),
            "low": resampled["price"].min(),
            "close": resampled["price"].last(),
            "volume": resampled["size"].sum(),
            "notional": resampled["notional"].sum(),
            "trades": resampled["price"].count(),
        }
    )
    bars = bars[bars["trades"] > 0]
    bars.index = pd.Index(bars.index.as_unit("ns").asi8, name="ts_ns")
    bars["vwap"] = bars["notional"] / bars["volume"]
    return bars[["open", "high", "low", "close", "volume", "notional", "vwap", "trades"]]


def assert_bars_equal(got: pd.DataFrame, want: pd.DataFrame) -> None:
    assert list(got.columns) == list(want.columns)
    np.testing.assert_array_equal(got.index.to_numpy(), want.index.to_numpy())
    for name in ("open", "high", "low", "close"):
        np.testing.assert_array_equal(got[name].to_numpy(), want[name].to_numpy(), err_msg=name)
    for name in ("volume", "notional", "vwap"):
        np.testing.assert_allclose(
            got[name].to_numpy(), want[name].to_numpy(), rtol=1e-9, err_msg=name
        )
    np.testing.assert_array_equal(got["trades"].to_numpy(), want["trades"].to_numpy())
