"""DatasetBuilder on a swap: book and trade sizes are contracts, the samples are base units.

Oracle: the same simulated swap stream rewritten in base units (every level size and trade ``sz``
multiplied by ctVal = 0.01, exactly, in decimal) and read as spot. Both builders must draw the
same orders and label them identically.
"""

from __future__ import annotations

import json
from decimal import Decimal

import numpy as np
import pytest

from tradecost.models.datasets import DatasetBuilder, frames_from_market
from tradecost.sim import SimulatedMarket

CONTRACT = Decimal("0.01")


def _scaled(text: str) -> str:
    return format(Decimal(text) * CONTRACT, "f")


def in_base_units(frame: str) -> str:
    push = json.loads(frame)
    if "data" not in push:
        return frame
    for row in push["data"]:
        if "sz" in row:
            row["sz"] = _scaled(row["sz"])
        for side in ("bids", "asks"):
            if side in row:
                row[side] = [[level[0], _scaled(level[1]), *level[2:]] for level in row[side]]
        row.pop("checksum", None)
    return json.dumps(push, separators=(",", ":"))


@pytest.fixture(scope="module")
def twins() -> tuple[DatasetBuilder, DatasetBuilder]:
    frames = list(frames_from_market(SimulatedMarket("BTC-USDT-SWAP", seed=11), 90.0))
    options = {"latency_ms": 100.0, "seed": 3, "size_range_usd": (1e3, 3e5)}
    contracts = DatasetBuilder("0.1", contract_value=0.01, **options)  # type: ignore[arg-type]
    base = DatasetBuilder("0.1", **options)  # type: ignore[arg-type]
    for ts_ns, frame in frames:
        contracts.feed(frame, ts_ns)
        base.feed(in_base_units(frame), ts_ns)
    contracts.finish()
    base.finish()
    return contracts, base


def test_market_orders_are_walked_in_base_units(twins):
    contracts, base = twins
    a, b = contracts.slippage_dataset(), base.slippage_dataset()
    assert len(a.y) > 50 and len(a.y) == len(b.y)
    np.testing.assert_allclose(a.y, b.y, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(a.walk_bps, b.walk_bps, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(a.X, b.X, rtol=1e-9, atol=1e-9)


def test_fill_labels_count_trades_in_base_units(twins):
    contracts, base = twins
    a, b = contracts.fill_dataset(), base.fill_dataset()
    assert len(a.time_to_fill_s) > 50 and len(a.time_to_fill_s) == len(b.time_to_fill_s)
    np.testing.assert_allclose(a.queue_ahead, b.queue_ahead, rtol=1e-9)
    np.testing.assert_allclose(a.quantity, b.quantity, rtol=1e-12)
    np.testing.assert_array_equal(a.time_to_fill_s, b.time_to_fill_s)
    assert np.isfinite(a.time_to_fill_s).any()  # some orders did fill


def test_contract_value_must_be_positive():
    from tradecost.errors import InvalidInputError

    with pytest.raises(InvalidInputError, match="contract_value"):
        DatasetBuilder("0.1", contract_value=0.0)
