"""The frame streams of SimulatedMarket and CorrelatedMarket, against a driver written here.

The oracle drives a twin market's compiled engine directly (``Engine.configure`` + ``generate``,
prefixes and channel names built from the engine's channel constants in this file) and merges the
legs of a correlated market with ``heapq`` by (time, leg order), stepping the common factor once
per ``step_s`` as the module documents. The markets under test must give the same frames, byte
for byte, call after call (a new subscription starts with snapshots and continues the same
market; ``advance`` runs it silently), and a newer subscription must end the older iterator.
"""

from __future__ import annotations

import heapq
import itertools

import pytest

from tradecost.errors import InvalidInputError, InvalidStateError
from tradecost.sim import CorrelatedMarket, Leg, MarketParams, SimulatedMarket, TimedFrame, _engine

NAMES = {
    _engine.CH_BOOKS: "books",
    _engine.CH_BOOKS_L2_TBT: "books-l2-tbt",
    _engine.CH_BOOKS50_L2_TBT: "books50-l2-tbt",
    _engine.CH_BOOKS5: "books5",
    _engine.CH_BBO_TBT: "bbo-tbt",
    _engine.CH_TRADES: "trades",
}
IDS = {name: channel for channel, name in NAMES.items()}
ALL = ("books", "books-l2-tbt", "books50-l2-tbt", "books5", "bbo-tbt", "trades")


def _subscribe(
    engine: _engine.Engine,
    symbol: str,
    params: MarketParams,
    channels: tuple[str, ...],
    checksum: bool,
) -> None:
    prefixes = [
        ('{"arg":{"channel":"' + NAMES[k] + '","instId":"' + symbol + '"},').encode()
        for k in range(len(NAMES))
    ]
    engine.configure(
        {IDS[name] for name in channels},
        checksum,
        prefixes,
        params.update_interval_ms * 1_000_000,
        params.bbo_interval_ms * 1_000_000,
    )


def _until(engine: _engine.Engine, until_ns: int) -> list[TimedFrame]:
    """Every frame up to ``until_ns``; a batch size of its own (the frames do not depend on it)."""
    out: list[TimedFrame] = []
    while True:
        stamps, ids, frames = engine.generate(97, until_ns)
        out += [TimedFrame(s, NAMES[c], f) for s, c, f in zip(stamps, ids, frames, strict=True)]
        if engine.time_ns >= until_ns:
            return out


def _single(
    market: SimulatedMarket, seconds: float, channels: tuple[str, ...], checksum: bool = False
) -> list[TimedFrame]:
    engine = market._engine
    _subscribe(engine, market.symbol, market.params, channels, checksum)
    return _until(engine, engine.time_ns + round(seconds * 1e9))


def _merged(
    market: CorrelatedMarket, seconds: float, channels: tuple[str, ...], checksum: bool = False
) -> list[TimedFrame]:
    legs = [market.markets[symbol] for symbol in market.symbols]
    for leg in legs:
        _subscribe(leg._engine, leg.symbol, leg.params, channels, checksum)
    step_ns = round(market.step_s * 1e9)
    out: list[TimedFrame] = []
    for _ in range(round(seconds / market.step_s)):
        market._step_prices()
        per_leg = [
            [(frame.ts_ns, index, frame) for frame in _until(leg._engine, leg.time_ns + step_ns)]
            for index, leg in enumerate(legs)
        ]
        out += [frame for _, _, frame in heapq.merge(*per_leg)]
    return out


def _pair(seed: int = 4) -> CorrelatedMarket:
    return CorrelatedMarket.pair("ETH-USDT", "BTC-USDT", beta=1.2, half_life_s=30.0, seed=seed)


def test_simulated_market_streams_match_the_engine_driven_directly() -> None:
    market, twin = SimulatedMarket(seed=3), SimulatedMarket(seed=3)
    calls: list[tuple[float, tuple[str, ...], bool]] = [
        (2.5, ("books", "trades"), False),
        (1.5, ALL, True),
        (1.0, ("books5", "bbo-tbt"), False),
    ]
    for seconds, channels, checksum in calls:
        got = list(market.events(channels=channels, checksum=checksum, duration=seconds))
        assert got == _single(twin, seconds, channels, checksum)
        assert market.time_ns == twin.time_ns
        market.advance(seconds=0.7)
        twin._engine.run_for(700_000_000)
    got_text = list(market.messages(channels=("books-l2-tbt", "trades"), duration=2.0))
    want = _single(twin, 2.0, ("books-l2-tbt", "trades"))
    assert got_text == [frame.frame for frame in want]
    assert {frame.channel for frame in want} == {"books-l2-tbt", "trades"}
    assert market.book_snapshot() == twin.book_snapshot()


def test_an_n_limited_stream_is_the_head_of_the_same_stream() -> None:
    want = _single(SimulatedMarket("BTC-USDT-SWAP", seed=5), 3.0, ALL)
    assert len(want) > 800
    assert list(SimulatedMarket("BTC-USDT-SWAP", seed=5).events(n=800, channels=ALL)) == want[:800]
    messages = SimulatedMarket("BTC-USDT-SWAP", seed=5).messages(n=10, channels=ALL)
    assert list(messages) == [frame.frame for frame in want[:10]]


def test_correlated_streams_are_the_legs_merged_by_time() -> None:
    market, twin = _pair(), _pair()
    calls: list[tuple[float, tuple[str, ...], bool]] = [
        (3.0, ("books", "trades"), False),
        (2.0, ("books-l2-tbt", "trades", "bbo-tbt"), True),
    ]
    for seconds, channels, checksum in calls:
        got = list(market.events(channels=channels, checksum=checksum, duration=seconds))
        want = _merged(twin, seconds, channels, checksum)
        assert got == want
        assert {f.frame.split('"instId":"')[1][:3] for f in want} == {"ETH", "BTC"}
        market.advance(0.5)
        twin.advance(0.5)
        assert market.hidden_log_prices() == twin.hidden_log_prices()
    got_text = list(market.messages(duration=1.0))
    assert got_text == [frame.frame for frame in _merged(twin, 1.0, ("books", "trades"))]
    for symbol in market.symbols:
        assert market.book_snapshot(symbol) == twin.book_snapshot(symbol)


def test_correlated_n_limited_stream_is_the_head_and_three_legs_merge_in_leg_order() -> None:
    want = _merged(_pair(seed=6), 60.0, ("books", "trades"))
    assert len(want) > 1500
    assert list(_pair(seed=6).events(n=1500)) == want[:1500]
    legs = [
        Leg("BTC-USDT"),
        Leg("ETH-USDT", beta=1.2, half_life_s=30.0, spread_volatility=0.0004),
        Leg("SOL-USDT", beta=1.5, half_life_s=30.0, spread_volatility=0.0004),
    ]
    three = [CorrelatedMarket(legs, seed=3, common_factor=False) for _ in range(2)]
    channels = ("books", "books5", "trades")
    want = _merged(three[1], 2.0, channels)
    assert list(three[0].events(duration=2.0, channels=channels)) == want
    # all three legs start with their snapshots at the same instant, in the order of the legs
    first = [frame.frame.split('"instId":"')[1][:3] for frame in want[:6]]
    assert first == ["BTC", "BTC", "ETH", "ETH", "SOL", "SOL"]
    assert len({frame.ts_ns for frame in want[:6]}) == 1


def test_a_newer_subscription_ends_the_older_correlated_iterator() -> None:
    market = _pair()
    first = market.events()
    next(first)
    next(market.events(n=1))
    with pytest.raises(InvalidStateError, match="re-subscribed"):
        list(itertools.islice(first, 5000))
    second = market.messages()
    next(second)
    next(market.market("BTC-USDT").events(n=1))  # a leg subscribed on its own
    with pytest.raises(InvalidStateError, match="re-subscribed"):
        list(itertools.islice(second, 5000))
    third = market.events()
    next(third)
    market.advance(0.1)
    with pytest.raises(InvalidStateError, match="re-subscribed"):
        list(itertools.islice(third, 5000))


@pytest.mark.parametrize("source", ["single", "correlated"])
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"channels": ("tickers",)}, "unknown channel 'tickers'"),
        ({"channels": ()}, "channels is empty"),
        ({"n": -1}, "n must be >= 0"),
        ({"duration": -1.0}, "duration must be a non-negative"),
        ({"duration": float("nan")}, "duration must be a non-negative"),
    ],
)
def test_bad_stream_arguments_raise_before_anything_runs(
    source: str, kwargs: dict[str, object], message: str
) -> None:
    market = SimulatedMarket(seed=1) if source == "single" else _pair()
    before = market.time_ns
    for method in (market.events, market.messages):
        with pytest.raises(InvalidInputError, match=message):
            method(**kwargs)  # type: ignore[arg-type]
    assert market.time_ns == before


@pytest.mark.parametrize("seed", [-1, True, 1.5, "7"])
def test_a_bad_seed_is_rejected_by_both_markets(seed: object) -> None:
    with pytest.raises(InvalidInputError, match="seed must be a non-negative int"):
        SimulatedMarket(seed=seed)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="seed must be a non-negative int"):
        CorrelatedMarket([Leg("BTC-USDT")], seed=seed)  # type: ignore[arg-type]
