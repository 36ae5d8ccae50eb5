"""The samples DatasetBuilder draws from a clean stream are pinned: a change to how frames reach
the builder (its decoding, sequence checks, book) must not change one sample.

Oracle: ``dataset_pin.json``, the summaries below computed by the builder of commit ec9d14c,
which decoded the frames itself into its own book. The digests of the integer columns (decision
times, sides, distances, fill labels) are exact; the float columns are compared by their sums
(relative 1e-9), which no change of a single sample survives. Regenerate only for an intended
change of the sampling: ``PYTHONPATH=src python tests/models/test_dataset_pin.py > tests/models/
dataset_pin.json`` (the real captures are included when ../shared/data/okx is present).
"""

from __future__ import annotations

import hashlib
import json
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tradecost.models.datasets import (
    DatasetBuilder,
    frames_from_file,
    frames_from_market,
    infer_tick_size,
)
from tradecost.sim import SimulatedMarket

PIN = Path(__file__).with_name("dataset_pin.json")

# (name, symbol, market seed, seconds, builder options)
SIMULATED: list[tuple[str, str, int, float, dict[str, Any]]] = [
    ("spot", "BTC-USDT", 3, 60.0, {"seed": 5, "latency_ms": 50.0, "decision_interval_ms": 50.0}),
    (
        "swap",
        "BTC-USDT-SWAP",
        11,
        30.0,
        {"seed": 2, "contract_value": 0.01, "size_range_usd": (1e3, 3e5)},
    ),
    ("no_latency", "BTC-USDT", 4, 20.0, {"seed": 9, "latency_ms": 0.0}),
]
# (capture path under the OKX captures folder, inst_id or None). The builder of ec9d14c, not
# told the instrument, took the trades of *every* instrument pushed before the first book frame
# as the book's own (raw/OKX.ws.1.0: BTC-USDT and UNI-USD-SWAP prints before the first
# BTC-USD-220527 book); its summaries were computed without those foreign prints, and
# test_trades_of_other_instruments_are_not_the_books shows they change nothing now.
CAPTURES: list[tuple[str, str | None]] = [
    ("okx_2022-02-27_books-l2-tbt_ELON-USDT.ndjson", None),
    ("okx_2022-02-27_books-l2-tbt_UNI-USD-SWAP.ndjson", None),
    ("okx_2022-02-27_books-l2-tbt_ZEN-USDT.ndjson", None),
    ("okx_2022-02-27_books-l2-tbt_PROPS-ETH.ndjson", None),
    ("okx_2022-05-13_books_BTC-USDT.ndjson", None),
    ("okx_2022-05-13_books_BTC-USD-220527.ndjson", None),
    ("raw/OKX.ws.1.0", None),
    ("raw/OKX.ws.1.0", "BTC-USDT"),
    ("raw/OKX.ws.1.0.2022-02-27_books-l2-tbt", "ZEN-USDT"),
]


def _digest(values: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(values, dtype=np.int64).tobytes()).hexdigest()


def _sums(columns: np.ndarray) -> list[float]:
    return [math.fsum(columns[:, j]) for j in range(columns.shape[1])] if columns.size else []


def summary(builder: DatasetBuilder) -> dict[str, Any]:
    """What is pinned of a finished builder."""
    slip, fill = builder.slippage_dataset(), builder.fill_dataset()
    ttf = fill.time_to_fill_s
    filled = np.isfinite(ttf)
    return {
        "n_slippage": len(slip),
        "n_fill": len(fill),
        "dropped_incomplete": builder.dropped_incomplete,
        "censored": builder.censored,
        "fills_by_rule": builder.fills_by_rule,
        "slippage_ints": _digest(np.concatenate([slip.t0_ns, slip.side])),
        "fill_ints": _digest(
            np.concatenate([fill.t0_ns, fill.side, fill.distance_ticks, fill.y, filled])
        ),
        "slippage_sums": _sums(
            np.column_stack([slip.X, slip.y, slip.walk_bps, slip.quantity_usd])
            if len(slip)
            else np.empty((0, 0))
        ),
        "fill_sums": _sums(
            np.column_stack([fill.X, fill.queue_ahead, fill.quantity, np.where(filled, ttf, 0.0)])
            if len(fill)
            else np.empty((0, 0))
        ),
    }


def simulated_summary(name: str) -> dict[str, Any]:
    _, symbol, seed, seconds, options = next(case for case in SIMULATED if case[0] == name)
    market = SimulatedMarket(symbol, seed=seed)
    builder = DatasetBuilder(market.params.tick_size, **options)
    builder.feed_all(frames_from_market(market, seconds))
    builder.finish()
    return summary(builder)


def own_trades_only(
    frames: list[tuple[int | None, str]], inst_id: str | None
) -> list[tuple[int | None, str]]:
    """``frames`` without the trades pushes of instruments other than ``inst_id`` (None: the
    first book's)."""
    pushes = [json.loads(raw) if raw.startswith("{") else {} for _, raw in frames]
    book = inst_id or next(
        p["arg"]["instId"] for p in pushes if "data" in p and p["arg"]["channel"] != "trades"
    )
    return [
        frame
        for frame, push in zip(frames, pushes, strict=True)
        if not ("data" in push and push["arg"]["channel"] == "trades")
        or push["arg"]["instId"] == book
    ]


def capture_summary(
    folder: Path, path: str, inst_id: str | None, *, foreign_trades: bool = False
) -> dict[str, Any]:
    frames = list(frames_from_file(folder / path))
    if not foreign_trades:
        frames = own_trades_only(frames, inst_id)
    builder = DatasetBuilder(
        infer_tick_size(frames, inst_id), inst_id=inst_id, seed=1, decision_interval_ms=20.0
    )
    builder.feed_all(frames)
    builder.finish()
    return summary(builder)


def _capture_key(path: str, inst_id: str | None) -> str:
    return f"{path}|{inst_id or ''}"


def assert_same(got: dict[str, Any], pinned: dict[str, Any]) -> None:
    for key in ("n_slippage", "n_fill", "dropped_incomplete", "censored", "fills_by_rule"):
        assert got[key] == pinned[key], key
    assert got["slippage_ints"] == pinned["slippage_ints"]
    assert got["fill_ints"] == pinned["fill_ints"]
    for key in ("slippage_sums", "fill_sums"):
        assert len(got[key]) == len(pinned[key]), key
        np.testing.assert_allclose(got[key], pinned[key], rtol=1e-9, atol=1e-9, err_msg=key)


@pytest.fixture(scope="module")
def pinned() -> dict[str, Any]:
    return json.loads(PIN.read_text())


@pytest.mark.parametrize("name", [case[0] for case in SIMULATED])
def test_simulated_stream_samples_are_unchanged(pinned: dict[str, Any], name: str) -> None:
    got = simulated_summary(name)
    assert got["n_slippage"] > 0 and got["n_fill"] > 0
    assert_same(got, pinned["simulated"][name])


@pytest.mark.parametrize(("path", "inst_id"), CAPTURES)
def test_real_capture_samples_are_unchanged(
    pinned: dict[str, Any], okx_captures: Path, path: str, inst_id: str | None
) -> None:
    got = capture_summary(okx_captures, path, inst_id)
    assert got["n_fill"] > 0
    assert_same(got, pinned["captures"][_capture_key(path, inst_id)])


def test_trades_of_other_instruments_are_not_the_books(
    pinned: dict[str, Any], okx_captures: Path
) -> None:
    path = "raw/OKX.ws.1.0"
    frames = list(frames_from_file(okx_captures / path))
    assert len(own_trades_only(frames, None)) < len(frames)  # the capture has foreign prints
    got = capture_summary(okx_captures, path, None, foreign_trades=True)
    assert_same(got, pinned["captures"][_capture_key(path, None)])


if __name__ == "__main__":
    from tests.conftest import captures_dir

    out: dict[str, Any] = {
        "simulated": {case[0]: simulated_summary(case[0]) for case in SIMULATED},
        "captures": {},
    }
    folder = captures_dir()
    if folder is not None:
        for path, inst_id in CAPTURES:
            out["captures"][_capture_key(path, inst_id)] = capture_summary(folder, path, inst_id)
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")
