"""A million random and mutated frames through OrderBook.apply_message, from a fixed seed.

See tests/fuzz/frames.py for what is generated and checked; scripts/fuzz_decoder.py runs the
same fuzzer for longer, from any seed. TRADECOST_FUZZ_FRAMES shortens a local run; the million
takes about 40 s of one core on the normal build and 60 s on the debug build.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

import tradecost as tc
from tests.fuzz import frames

SEED = 20261127
FRAMES = int(os.environ.get("TRADECOST_FUZZ_FRAMES", "1000000"))


@pytest.mark.slow
def test_a_million_frames_through_apply_message():
    stats = frames.run(SEED, FRAMES, compare_every=4)
    assert stats.frames == FRAMES
    # The run reached every outcome: accepted and compared, and each kind of rejection.
    assert stats.accepted > FRAMES // 10
    assert stats.compared > FRAMES // 50
    assert {"MalformedMessageError", "OffGridPriceError", "InvalidInputError"} <= set(
        stats.rejected
    )
    assert stats.by_source["mutated"] > FRAMES * 3 // 4


# The fuzzer's own checks must be able to fail: books that break each rule on purpose.


class RaisesValueError(tc.OrderBook):
    def apply_message(self, raw: Any) -> Any:
        try:
            return super().apply_message(raw)
        except tc.MalformedMessageError as error:
            raise ValueError(str(error)) from None  # outside tradecost's tree


class ChangesOnReject(tc.OrderBook):
    def apply_message(self, raw: Any) -> Any:
        try:
            return super().apply_message(raw)
        except tc.TradecostError:
            self.apply_update([["1.0", "1"]], [])
            raise


class DropsALevel(tc.OrderBook):
    def apply_message(self, raw: Any) -> Any:
        message = super().apply_message(raw)
        if self.n_asks > 3:
            self.apply_update([], [[str(self.best_ask), "0"]])
        return message


@pytest.mark.parametrize(
    ("book_type", "reason"),
    [
        (RaisesValueError, "not a TradecostError"),
        (ChangesOnReject, "but the book changed"),
        (DropsALevel, "differ from the reference"),
    ],
)
def test_the_fuzzer_catches_a_broken_book(book_type, reason):
    with pytest.raises(frames.FuzzFailure, match=reason):
        frames.run(1, 20_000, book=book_type(str(frames.TICK), inst_id=frames.INST_ID))
