"""Recordings for the batch tests: simulated OKX traffic written as `tradecost record` writes it,
plus inputs that must fail (a truncated gzip file, an empty file, a file with no book frames)."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from tradecost.record import RecordingWriter
from tradecost.sim import SimulatedMarket


def write_recording(path: Path, symbol: str, seed: int, seconds: float) -> Path:
    market = SimulatedMarket(symbol, seed=seed)
    with RecordingWriter(path) as writer:
        for timed in market.events(duration=seconds):
            writer.write(timed.ts_ns, timed.frame)
    return path


@pytest.fixture(scope="session")
def recordings(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("recordings")
    good = {
        "btc_a": write_recording(folder / "btc_a.ndjson.gz", "BTC-USDT", 3, 20.0),
        "btc_b": write_recording(folder / "btc_b.ndjson.gz", "BTC-USDT", 4, 20.0),
        "eth": write_recording(folder / "eth.ndjson.gz", "ETH-USDT", 5, 20.0),
    }
    truncated = folder / "truncated.ndjson.gz"
    truncated.write_bytes(good["btc_a"].read_bytes()[:2000])
    empty = folder / "empty.ndjson.gz"
    with gzip.open(empty, "wt"):
        pass
    no_books = folder / "no_books.ndjson"
    no_books.write_text('{"event":"subscribe","arg":{"channel":"books","instId":"BTC-USDT"}}\n')
    refused = folder / "refused.ndjson"
    with gzip.open(good["eth"], "rt") as lines:
        first = lines.readline()
    refused.write_text(
        first
        + '{"event":"error","code":"60012","msg":"Invalid request: {\\"op\\": \\"subscribe\\"}"}\n'
    )
    return {
        **good,
        "truncated": truncated,
        "empty": empty,
        "no_books": no_books,
        "refused": refused,
    }
