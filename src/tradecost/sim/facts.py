"""Stylized facts of a simulated market, measured rather than assumed.

Used by the tests (``tests/sim/test_stylized_facts.py``), by ``examples/plot_simulated_market.py``
for ``docs/simulated-market.md``, and useful on any recorded stream. The facts follow the usual
lists (Cont 2001, "Empirical properties of asset returns: stylized facts and statistical
issues", Quantitative Finance 1; Bouchaud, Bonart, Donier & Gould 2018, "Trades, Quotes and
Prices", ch. 2–4): a spread that is mostly one tick on a large-tick book, a depth profile,
heavy-tailed trade sizes, and volatility clustering (positive autocorrelation of absolute
returns).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from tradecost.errors import InvalidInputError

if TYPE_CHECKING:
    import numpy.typing as npt

    from tradecost.sim.market import SimulatedMarket

__all__ = [
    "MarketSample",
    "TouchTurnover",
    "abs_return_autocorrelation",
    "hill_tail_exponent",
    "sample_market",
    "touch_turnover",
]


@dataclass(frozen=True)
class MarketSample:
    """Regularly spaced observations of a market plus every trade printed meanwhile.

    Attributes:
        interval_s: spacing of the book observations, seconds.
        mid: mid price at each observation, quote currency.
        spread_ticks: best ask − best bid at each observation, ticks.
        regime: index of the regime at each observation.
        depth_by_level: mean size (base units) at level k = 0..depth-1 from the touch, bid and
            ask averaged.
        depth_by_distance: mean size (base units) resting at distance 0..max_distance-1 ticks
            from the same-side best quote, bid and ask averaged.
        trade_sizes: size of every trade (one per taker order and price level), base units.
        order_sizes: size of every taker order (trades with the same ts and side summed).
        level_changes: visible level changes in the books channel per second of simulated time
            (only when sampled with ``count_level_changes``; NaN otherwise).
    """

    interval_s: float
    mid: npt.NDArray[np.float64]
    spread_ticks: npt.NDArray[np.int64]
    regime: npt.NDArray[np.int64]
    depth_by_level: npt.NDArray[np.float64]
    depth_by_distance: npt.NDArray[np.float64]
    trade_sizes: npt.NDArray[np.float64]
    order_sizes: npt.NDArray[np.float64]
    level_changes: float

    def returns(self, step: int = 1) -> npt.NDArray[np.float64]:
        """Log mid-price returns over ``step`` observations."""
        log_mid = np.log(self.mid)
        out: npt.NDArray[np.float64] = log_mid[step:] - log_mid[:-step]
        return out

    def one_tick_spread_fraction(self) -> float:
        """Share of observations whose spread is exactly one tick."""
        return float(np.mean(self.spread_ticks == 1))


def sample_market(
    market: SimulatedMarket,
    seconds: float,
    *,
    interval_s: float = 0.1,
    depth: int = 400,
    max_distance: int = 2000,
    depth_every: int = 10,
    count_level_changes: bool = False,
) -> MarketSample:
    """Run ``market`` for ``seconds`` and observe it every ``interval_s``.

    The book is read from the market's true state (what every feed converges to); trades come
    from the ``trades`` frames. The depth profile is averaged over every ``depth_every``-th
    observation. With ``count_level_changes`` the ``books`` channel is also generated and its
    visible level changes counted.
    """
    if seconds <= 0 or interval_s <= 0 or seconds < interval_s:
        raise InvalidInputError("seconds and interval_s must be positive, seconds >= interval_s")
    tick = float(market.params.tick_size)
    lots_per_unit = 1.0 / float(market.params.lot_size)
    steps = round(seconds / interval_s)
    mids = np.empty(steps)
    spreads = np.empty(steps, dtype=np.int64)
    regimes = np.empty(steps, dtype=np.int64)
    by_level = np.zeros(depth)
    by_level_n = np.zeros(depth)
    by_distance = np.zeros(max_distance)
    n_depth = 0
    trade_sizes: list[float] = []
    orders: dict[tuple[str, str], float] = {}
    changes = 0
    channels = ("trades", "books") if count_level_changes else ("trades",)
    k = 0

    def observe() -> None:
        nonlocal k, n_depth
        bid_ticks, bid_lots, _ = market.levels("bid", depth)
        ask_ticks, ask_lots, _ = market.levels("ask", depth)
        if not bid_ticks or not ask_ticks:
            raise InvalidInputError("a side of the simulated book is empty")
        mids[k] = 0.5 * (bid_ticks[0] + ask_ticks[0]) * tick
        spreads[k] = ask_ticks[0] - bid_ticks[0]
        regimes[k] = market.params.regimes.index(market.regime)
        if k % depth_every == 0:
            n_depth += 1
            for ticks, lots, sign in ((bid_ticks, bid_lots, -1), (ask_ticks, ask_lots, 1)):
                sizes = np.asarray(lots, dtype=np.float64) / lots_per_unit
                by_level[: len(sizes)] += sizes
                by_level_n[: len(sizes)] += 1
                dist = (np.asarray(ticks) - ticks[0]) * sign
                keep = dist < max_distance
                np.add.at(by_distance, dist[keep], sizes[keep])
        k += 1

    # one duration-limited stream per interval: the market then stands exactly at the
    # observation time (a single long stream is generated in batches and runs ahead)
    while k < steps:
        for event in market.events(channels=channels, duration=interval_s):
            if event.channel == "trades":
                data = json.loads(event.frame)["data"][0]
                size = float(data["sz"])
                trade_sizes.append(size)
                key = (data["ts"], data["side"])
                orders[key] = orders.get(key, 0.0) + size
            elif '"action":"update"' in event.frame:
                data = json.loads(event.frame)["data"][0]
                changes += len(data["bids"]) + len(data["asks"])
        observe()
    with np.errstate(invalid="ignore"):
        depth_level = np.where(by_level_n > 0, by_level / np.maximum(by_level_n, 1), np.nan)
    return MarketSample(
        interval_s=interval_s,
        mid=mids,
        spread_ticks=spreads,
        regime=regimes,
        depth_by_level=depth_level,
        depth_by_distance=by_distance / max(2 * n_depth, 1),
        trade_sizes=np.asarray(trade_sizes),
        order_sizes=np.asarray(list(orders.values())),
        level_changes=changes / seconds if count_level_changes else math.nan,
    )


def hill_tail_exponent(values: npt.ArrayLike, tail_fraction: float = 0.05) -> float:
    """Hill (1975) estimator of the tail exponent α of P(X > x) ~ x^-α from the largest values.

    α̂ = 1 / mean(log(X_(i) / X_(k+1))), i = 1..k, over the k = ⌈tail_fraction·n⌉ largest.
    """
    x = np.sort(np.asarray(values, dtype=np.float64))[::-1]
    x = x[x > 0]
    k = max(math.ceil(tail_fraction * len(x)), 2)
    if len(x) <= k:
        raise InvalidInputError(f"need more than {k} positive values, got {len(x)}")
    logs = np.log(x[:k] / x[k])
    return float(1.0 / np.mean(logs))


def abs_return_autocorrelation(returns: npt.ArrayLike, lag: int) -> float:
    """Autocorrelation of |r| at ``lag`` (volatility clustering: positive for real markets)."""
    r = np.abs(np.asarray(returns, dtype=np.float64))
    if lag <= 0 or lag >= len(r) - 1:
        raise InvalidInputError(f"lag must be within 1..{len(r) - 2}")
    a, b = r[:-lag] - r.mean(), r[lag:] - r.mean()
    denom = float(np.sqrt(np.sum(a * a) * np.sum(b * b)))
    return float(np.sum(a * b) / denom) if denom > 0 else 0.0


@dataclass(frozen=True)
class TouchTurnover:
    """How the best quotes of a market vanish: traded away or cancelled.

    A touch level *vanishes* when the level that was the best bid (ask) is gone after a book
    update. It was *traded out* when the trades printed at its price against that side since the
    previous book update add up to at least its size before the update (the last of it was
    taken by takers), and *touched* when any trade printed there meanwhile. On a large-tick book
    prices move by the queue at the touch being traded away; on a small-tick one the touch is
    mostly pulled (Eisler, Bouchaud & Kockelkoren 2012, "The price impact of order book events:
    market orders, limit orders and cancellations", Quantitative Finance 12(9), §2 on large- and
    small-tick stocks).

    Attributes:
        seconds: simulated seconds observed.
        vanished: touch levels (bid and ask) that vanished.
        traded_out: of those, the ones whose last size was printed in full by trades.
        touched: of those, the ones with any trade printed at their price meanwhile.
        touch_sizes: size of the best bid and best ask after every book update, base units.
        book_updates: book updates observed.
    """

    seconds: float
    vanished: int
    traded_out: int
    touched: int
    touch_sizes: npt.NDArray[np.float64]
    book_updates: int

    def traded_out_fraction(self) -> float:
        """Share of vanished touch levels that trades took out (NaN if none vanished)."""
        return self.traded_out / self.vanished if self.vanished else math.nan

    def vanished_per_second(self) -> float:
        """Touch levels vanishing per second (both sides)."""
        return self.vanished / self.seconds


def touch_turnover(market: SimulatedMarket, seconds: float) -> TouchTurnover:
    """Run ``market`` for ``seconds`` on ``books-l2-tbt`` + ``trades`` and classify every
    vanished touch level as traded out or not (see :class:`TouchTurnover`).

    The tick-by-tick channel gives one book update per order-flow event and a taker order's
    trades come before the update that reflects them (OKX research notes §1.8), so the trades
    since the previous update are exactly those of the event that removed the level.
    """
    if not (math.isfinite(seconds) and seconds > 0):
        raise InvalidInputError(f"seconds must be positive, got {seconds}")
    tick = float(market.params.tick_size)
    books: tuple[dict[int, float], dict[int, float]] = ({}, {})  # bids, asks: tick -> size
    printed: dict[tuple[int, int], float] = {}  # (book side 0 bid / 1 ask, tick) -> size
    best = [-1, -1]
    vanished = traded_out = touched = updates = 0
    sizes: list[float] = []

    def touch(side: int) -> int:
        book = books[side]
        if not book:
            return -1
        return max(book) if side == 0 else min(book)

    for event in market.events(channels=("books-l2-tbt", "trades"), duration=seconds):
        data = json.loads(event.frame)["data"]
        if event.channel == "trades":
            for trade in data:
                side = 1 if trade["side"] == "buy" else 0  # a buyer takes the asks
                key = (side, round(float(trade["px"]) / tick))
                printed[key] = printed.get(key, 0.0) + float(trade["sz"])
            continue
        row = data[0]
        snapshot = '"action":"snapshot"' in event.frame[:120]
        for side, name in ((0, "bids"), (1, "asks")):
            book = books[side]
            if snapshot:
                book.clear()
            old_tick = best[side]
            old_size = book.get(old_tick, 0.0)
            new_best = old_tick
            for level in row[name]:
                price = round(float(level[0]) / tick)
                size = float(level[1])
                if size > 0:
                    book[price] = size
                    if new_best < 0 or (price > new_best if side == 0 else price < new_best):
                        new_best = price
                else:
                    book.pop(price, None)
            if snapshot or old_tick < 0:
                best[side] = touch(side)
            elif old_tick not in book:
                vanished += 1
                hit = printed.get((side, old_tick), 0.0)
                touched += hit > 0
                traded_out += hit >= old_size * (1.0 - 1e-9)
                best[side] = touch(side)
            else:
                best[side] = new_best
        if not snapshot:
            updates += 1
            for side in (0, 1):
                if best[side] >= 0:
                    sizes.append(books[side][best[side]])
        printed.clear()
    return TouchTurnover(
        seconds=seconds,
        vanished=vanished,
        traded_out=traded_out,
        touched=touched,
        touch_sizes=np.asarray(sizes),
        book_updates=updates,
    )
