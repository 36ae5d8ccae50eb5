"""The simulated market's frames: OKX v5 shapes, seqId chains, windows, checksums, determinism."""

from __future__ import annotations

import bisect
import itertools
import json
import re
from decimal import Decimal

import pytest

from tests.sim.reference import FeedChecker, FeedError, ReferenceBook
from tradecost.errors import InvalidInputError
from tradecost.sim import MarketParams, SimulatedMarket

PRICE = re.compile(r"^(0|[1-9][0-9]*)(\.[0-9]*[1-9])?$")


def test_first_frame_is_the_400_level_snapshot() -> None:
    market = SimulatedMarket(seed=7)
    message = json.loads(next(market.messages(n=1)))
    assert message["arg"] == {"channel": "books", "instId": "BTC-USDT"}
    assert message["action"] == "snapshot"
    data = message["data"][0]
    assert set(data) == {"asks", "bids", "ts", "checksum", "prevSeqId", "seqId"}
    assert data["prevSeqId"] == -1
    assert len(data["bids"]) == 400
    assert len(data["asks"]) == 400
    assert data["ts"] == str(MarketParams().epoch_ms)
    assert isinstance(data["seqId"], int)
    assert data["checksum"] == 0


def test_books_and_trades_replay_without_gap_cross_or_overflow() -> None:
    market = SimulatedMarket(seed=11)
    checker = FeedChecker(channel="books", depth=400)
    stamps = []
    for event in market.events(n=3000):
        checker.feed(event.frame)
        stamps.append(event.ts_ns)
    assert checker.updates > 500
    assert len(checker.trades) > 50
    assert stamps == sorted(stamps)


def test_number_strings_are_okx_formatted() -> None:
    market = SimulatedMarket(seed=3)
    seen = 0
    for raw in market.messages(n=400, channels=("books", "trades")):
        message = json.loads(raw)
        data = message["data"][0]
        if message["arg"]["channel"] == "trades":
            rows = [[data["px"], data["sz"], "0", data["count"]]]
            assert data["side"] in ("buy", "sell")
            assert data["source"] == "0"
            assert re.fullmatch(r"[0-9]+", data["tradeId"])
        else:
            rows = data["bids"] + data["asks"]
        for px, sz, liquidated, orders in rows:
            assert PRICE.match(px), px
            assert PRICE.match(sz), sz
            assert (Decimal(px) / Decimal("0.1")) % 1 == 0, px
            assert Decimal(sz) % Decimal("0.00000001") == 0, sz
            assert liquidated == "0"
            assert re.fullmatch(r"[0-9]+", orders)
            seen += 1
    assert seen > 1000


def test_updates_are_sorted_and_the_feed_book_equals_the_truth() -> None:
    market = SimulatedMarket(seed=5)
    checker = FeedChecker(channel="books", depth=400)
    for raw in market.messages(channels=("books",), duration=30.0):
        message = checker.feed(raw)
        data = message["data"][0]
        bid_prices = [Decimal(row[0]) for row in data["bids"]]
        ask_prices = [Decimal(row[0]) for row in data["asks"]]
        assert bid_prices == sorted(bid_prices, reverse=True)
        assert ask_prices == sorted(ask_prices)
        assert len(set(bid_prices)) == len(bid_prices)
    # the market stands exactly where the stream ended: a books push carries every change up to
    # its time, so advance to the next push boundary and compare the replayed book to the truth
    assert list(market.messages(channels=("books",), duration=0.0))  # the new snapshot
    truth = market.book_snapshot()
    fresh = ReferenceBook()
    fresh.apply_snapshot({"bids": truth.bids, "asks": truth.asks})
    snapshot_frame = json.loads(next(market.messages(n=1, channels=("books",))))["data"][0]
    assert snapshot_frame["bids"] == truth.bids
    assert snapshot_frame["asks"] == truth.asks
    assert snapshot_frame["seqId"] == truth.seq_id


def test_l2_tbt_book_matches_the_truth_after_every_duration() -> None:
    market = SimulatedMarket(seed=9)
    checker = FeedChecker(channel="books-l2-tbt", depth=400)
    for raw in market.messages(channels=("books-l2-tbt",), duration=5.0):
        checker.feed(raw)
    truth = market.book_snapshot()
    assert checker.book.rows("bid") == truth.bids
    assert checker.book.rows("ask") == truth.asks
    assert checker.last_seq == truth.seq_id


def test_every_trade_prints_at_the_levels_it_consumed() -> None:
    """Tick by tick, a buy prints from the best ask upwards, each full level but the last."""
    market = SimulatedMarket(seed=21, params=MarketParams(market_size_median=0.05))
    checker = FeedChecker(channel="books-l2-tbt", depth=400)
    pending: list[dict[str, str]] = []
    before: ReferenceBook | None = None
    sweeps = 0
    checked = 0

    def check(trades: list[dict[str, str]], book: ReferenceBook) -> None:
        nonlocal sweeps, checked
        side = trades[0]["side"]
        levels = book.sorted_asks() if side == "buy" else book.sorted_bids()
        assert all(t["side"] == side and t["ts"] == trades[0]["ts"] for t in trades)
        for k, trade in enumerate(trades):
            price, size = Decimal(trade["px"]), Decimal(trade["sz"])
            assert levels[k][0] == price, (trade, levels[: k + 1])
            if k < len(trades) - 1:
                assert size == levels[k][1]  # a level is consumed entirely before the next
            else:
                assert size <= levels[k][1]
            checked += 1
        sweeps += len(trades) > 1

    for raw in market.messages(channels=("trades", "books-l2-tbt"), duration=60.0):
        message = json.loads(raw)
        if message["arg"]["channel"] == "trades":
            if not pending:
                before = checker.copy_book()
            pending.append(message["data"][0])
            continue
        if pending:
            assert before is not None
            check(pending, before)
            pending = []
        checker.feed(raw)
    assert checked > 100
    assert sweeps > 5


def test_books_channel_agrees_with_the_tick_by_tick_channel() -> None:
    """Same seed: the 100 ms book at seqId s equals the tick-by-tick book at seqId s."""
    states: dict[int, list[list[list[str]]]] = {}
    tbt = FeedChecker(channel="books-l2-tbt")
    for raw in SimulatedMarket(seed=4).messages(channels=("books-l2-tbt",), duration=10.0):
        tbt.feed(raw)
        states[tbt.last_seq or 0] = [tbt.book.rows("bid"), tbt.book.rows("ask")]
    # the tick-by-tick channel is silent after events outside its window, so its book at seqId s
    # is the one of its last frame with seqId <= s
    seqs = sorted(states)
    books = FeedChecker(channel="books")
    compared = 0
    for raw in SimulatedMarket(seed=4).messages(channels=("books",), duration=10.0):
        books.feed(raw)
        seq = books.last_seq or 0
        at = seqs[bisect.bisect_right(seqs, seq) - 1]
        assert states[at] == [books.book.rows("bid"), books.book.rows("ask")], seq
        compared += 1
    assert compared > 50


def test_checksums_are_real_when_asked() -> None:
    checker = FeedChecker(channel="books", verify_checksum=True)
    nonzero = 0
    for raw in SimulatedMarket(seed=8).messages(n=600, checksum=True):
        message = checker.feed(raw)
        if message["arg"]["channel"] == "books":
            nonzero += message["data"][0]["checksum"] != 0
    assert nonzero > 100


def test_same_seed_same_bytes_and_other_seed_other_bytes() -> None:
    def run(seed: int) -> list[str]:
        return list(
            SimulatedMarket(seed=seed).messages(n=500, channels=("books", "trades", "books5"))
        )

    first = run(1)
    assert first == run(1)
    assert first != run(2)


def test_seq_reset_is_a_lower_seqid_chained_to_the_last() -> None:
    params = MarketParams(seq_reset_interval_s=2.0, seq_reset_to=5)
    previous = None
    resets = 0
    for raw in SimulatedMarket(seed=2, params=params).messages(channels=("books",), duration=7.0):
        data = json.loads(raw)["data"][0]
        if previous is not None:
            assert data["prevSeqId"] == previous
            resets += data["seqId"] < data["prevSeqId"]
            if data["seqId"] < data["prevSeqId"]:
                assert data["seqId"] < 1000
        previous = data["seqId"]
    # the reset clock starts with the 120 s warm-up: resets at 120, 122, 124 and 126 s
    assert resets == 4


def test_a_dropped_update_is_seen_as_a_gap() -> None:
    frames = list(SimulatedMarket(seed=6).messages(n=50, channels=("books",)))
    checker = FeedChecker()
    for raw in frames[:10]:
        checker.feed(raw)
    with pytest.raises(FeedError, match="gap"):
        checker.feed(frames[11])


def test_snapshot_views_books5_and_bbo_tbt() -> None:
    market = SimulatedMarket(seed=12)
    counts = {"books5": 0, "bbo-tbt": 0}
    last_ts = {"books5": -1, "bbo-tbt": -1}
    for event in market.events(channels=("books5", "bbo-tbt"), duration=3.0):
        message = json.loads(event.frame)
        data = message["data"][0]
        assert "action" not in message
        assert "prevSeqId" not in data
        assert "checksum" not in data
        depth = 5 if event.channel == "books5" else 1
        assert len(data["bids"]) == depth
        assert len(data["asks"]) == depth
        assert Decimal(data["bids"][0][0]) < Decimal(data["asks"][0][0])
        if event.channel == "books5":
            assert data["instId"] == "BTC-USDT"
            assert int(data["ts"]) % 100 == 0
        else:
            assert "instId" not in data
            assert int(data["ts"]) % 10 == 0
        assert int(data["ts"]) > last_ts[event.channel]
        last_ts[event.channel] = int(data["ts"])
        counts[event.channel] += 1
    assert 10 < counts["books5"] <= 31
    assert counts["bbo-tbt"] > counts["books5"]


def test_books50_l2_tbt_keeps_a_50_level_window() -> None:
    checker = FeedChecker(channel="books50-l2-tbt", depth=50)
    market = SimulatedMarket(seed=13)
    for raw in market.messages(channels=("books50-l2-tbt",), duration=5.0):
        checker.feed(raw)
    truth = market.book_snapshot(depth=50)
    assert checker.book.rows("bid") == truth.bids
    assert checker.book.rows("ask") == truth.asks


def test_instrument_record_and_swap_sizes_in_contracts() -> None:
    spot = SimulatedMarket(symbol="BTC-USDT", seed=1)
    assert spot.instrument["tickSz"] == "0.1"
    assert spot.instrument["lotSz"] == "0.00000001"
    assert spot.instrument["instType"] == "SPOT"
    swap = SimulatedMarket(
        symbol="BTC-USDT-SWAP", seed=1, params=MarketParams(lot_size="0.01", min_size="0.01")
    )
    assert swap.instrument["ctVal"] == "0.01"
    assert swap.instrument["instType"] == "SWAP"
    spot_size = sum(Decimal(row[1]) for row in spot.book_snapshot().bids)
    swap_size = sum(Decimal(row[1]) for row in swap.book_snapshot().bids)
    # same order flow in base units, expressed in 0.01-BTC contracts
    assert 50 < swap_size / spot_size < 200


def test_a_new_subscription_ends_the_previous_iterator() -> None:
    market = SimulatedMarket(seed=1)
    first = market.messages()
    next(first)
    next(market.messages(n=1))
    with pytest.raises(RuntimeError, match="re-subscribed"):
        list(itertools.islice(first, 2000))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"cancel_rate": 0.0}, "cancel_rate"),
        ({"tick_size": "abc"}, "tick_size"),
        ({"max_distance": 9000}, "max_distance"),
        ({"initial_regime": 5}, "initial_regime"),
        ({"limit_size_tail": float("nan")}, "limit_size_tail"),
    ],
)
def test_bad_parameters_are_rejected(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        MarketParams(**kwargs)  # type: ignore[arg-type]


def test_unknown_channel_is_rejected() -> None:
    with pytest.raises(InvalidInputError, match="unknown channel"):
        SimulatedMarket(seed=1).messages(channels=("tickers",))
