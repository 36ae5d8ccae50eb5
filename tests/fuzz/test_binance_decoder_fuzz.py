"""Mutated and random frames through the compiled Binance depth decoder, from a fixed seed.

See tests/fuzz/binance_frames.py for what is generated and checked; ``scripts/fuzz_decoder.py
--venue binance`` runs the same fuzzer for longer, from any seed (the 1,000,000-frame run on the
debug build is recorded in docs/feed.md). ``TRADECOST_BINANCE_FUZZ_FRAMES`` changes the count
here (30,000 by default: a few seconds).
"""

from __future__ import annotations

import os
from typing import Any

import pytest

import tradecost as tc
from tests.fuzz import binance_frames as frames
from tradecost.feeds.binance._depth import DepthMessage

SEED = 20261127
FRAMES = int(os.environ.get("TRADECOST_BINANCE_FUZZ_FRAMES", "30000"))


def test_fuzzed_binance_frames_from_a_fixed_seed() -> None:
    stats = frames.run(SEED, FRAMES)
    assert stats.frames == FRAMES
    # every outcome was reached: each kind accepted, each kind of rejection, books compared
    assert set(stats.accepted) == {"depth", "snapshot", "other"}
    assert stats.accepted["depth"] > FRAMES // 20
    assert {"MalformedMessageError", "OffGridPriceError", "InvalidInputError"} <= set(
        stats.rejected
    )
    assert stats.compared > FRAMES // 20
    assert stats.by_source["mutated"] > FRAMES * 3 // 4


# The fuzzer's own checks must be able to fail: decoders that break each rule on purpose.


class Wrapped:
    """A DepthMessage with one behaviour changed by a subclass."""

    def __init__(self) -> None:
        self.inner = DepthMessage()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def decode(self, raw: Any) -> Any:
        return self.inner.decode(raw)

    def apply(self, book: tc.OrderBook) -> Any:
        return self.inner.apply(book)


class RaisesValueError(Wrapped):
    def decode(self, raw: Any) -> Any:
        try:
            return self.inner.decode(raw)
        except tc.MalformedMessageError as error:
            raise ValueError(str(error)) from None  # outside tradecost's tree


class ChangesOnReject(Wrapped):
    def apply(self, book: tc.OrderBook) -> Any:
        try:
            return self.inner.apply(book)
        except tc.TradecostError:
            book.apply_update([["1.00", "1"]], [])
            raise


class DropsALevel(Wrapped):
    def apply(self, book: tc.OrderBook) -> Any:
        result = self.inner.apply(book)
        if book.n_asks > 3:
            book.apply_update([], [[str(book.best_ask), "0"]])
        return result


class IgnoresSnapshots(Wrapped):
    @property
    def kind(self) -> str:
        kind: str = self.inner.kind
        return "other" if kind == "snapshot" else kind


@pytest.mark.parametrize(
    ("decoder", "reason"),
    [
        (RaisesValueError, "not a TradecostError"),
        (ChangesOnReject, "but the book changed"),
        (DropsALevel, "differ from the reference"),
        (IgnoresSnapshots, "decoded as 'other'"),
    ],
)
def test_the_binance_fuzzer_catches_a_broken_decoder(decoder: type[Wrapped], reason: str) -> None:
    with pytest.raises(frames.FuzzFailure, match=reason):
        frames.run(1, 20_000, decoder=decoder())
