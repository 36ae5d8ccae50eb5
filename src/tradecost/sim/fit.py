"""Fit the simulated market's main rates to a recorded OKX capture.

What a ``books`` (100 ms) stream and a ``trades`` stream reveal, and how each rate is estimated:

* μ, market orders per second per side: trades with the same ``ts`` and taker ``side`` are one
  taker order (OKX prints one trade per taker order and price level, research notes §1.8).
* market-order sizes: median of those orders; tail exponent by Hill's estimator.
* θ, cancellations per resting order: size decreases not accounted for by trades, per second,
  divided by the mean number of resting orders in the window (the ``numOrders`` field).
* λ(d), limit arrivals: in CST's stationary state the mean number of orders resting d ticks
  away is λ(d)/θ (CST §2, market orders neglected), and the resting orders are seen exactly in
  every push, whereas arrivals are blurred by the 100 ms aggregation. So (d₀, α) of
  λ(d) ∝ (1 + d/d₀)^-α are fitted by maximum likelihood to the mean order count by distance from
  the mid within the window, and λ = θ × resting orders per side / (share of λ inside the window).
* limit-order sizes: size increases of levels inside the previous window (window refills are
  not arrivals), median and Hill tail.
* volatility: realised variance of the mid across pushes, annualised (365-day year).

Pushes aggregate 100 ms, so several orders at one level count once: the rates are lower bounds,
good to a factor well under 2 on BTC-USDT (see the tests, which fit simulated streams with known
rates).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from tradecost.errors import InvalidInputError
from tradecost.feeds.okx.spec import INCREMENTAL_CHANNELS, TRADES_CHANNEL, parse_trade
from tradecost.record import read_lines
from tradecost.sim.facts import hill_tail_exponent

if TYPE_CHECKING:
    from tradecost.sim.market import MarketParams

__all__ = ["CaptureStatistics", "fitted_changes", "measure_capture"]

_SECONDS_PER_YEAR = 365.0 * 86_400.0


@dataclass(frozen=True)
class CaptureStatistics:
    """Counts measured on a capture, the inputs of :func:`fitted_changes`.

    Attributes:
        seconds: time spanned by the book pushes, s.
        updates: book updates replayed.
        arrivals: level size increases inside the previous window (limit arrivals, lower bound).
        decreases: level size decreases and deletions inside the window.
        trade_prints: trades (one per taker order and price level).
        arrival_distances: distance of each arrival from the mid, ticks (≥ 1).
        orders_by_distance: mean resting orders at distance 1.. ticks from the mid, both sides
            summed (index 0 = distance 1), up to the window's median reach.
        arrival_sizes: size added by each arrival, base units of the capture.
        taker_order_sizes: summed size of each taker order.
        mean_resting_orders: mean of Σ numOrders over both sides of the window.
        window_ticks: median distance from the mid to the window's far edge, ticks.
        mid_variance_per_s: realised variance of log mid per second.
        last_mid: mid at the end, quote currency.
        tick: the tick size inferred from the prices (smallest price step seen).
    """

    seconds: float
    updates: int
    arrivals: int
    decreases: int
    trade_prints: int
    arrival_distances: np.ndarray[Any, np.dtype[np.int64]]
    orders_by_distance: np.ndarray[Any, np.dtype[np.float64]]
    arrival_sizes: np.ndarray[Any, np.dtype[np.float64]]
    taker_order_sizes: np.ndarray[Any, np.dtype[np.float64]]
    mean_resting_orders: float
    window_ticks: float
    mid_variance_per_s: float
    last_mid: float
    tick: float


def _frames(lines: Iterable[str], inst_id: str) -> Iterable[dict[str, Any]]:
    for _, frame in read_lines(lines):
        try:
            message = json.loads(frame)
        except ValueError:
            continue
        arg = message.get("arg", {}) if isinstance(message, dict) else {}
        if arg.get("instId") == inst_id and "data" in message:
            yield message


def measure_capture(
    lines: Iterable[str], inst_id: str = "BTC-USDT", tick: float = 0.1
) -> CaptureStatistics:
    """Replay a capture's ``books``/``books-l2-tbt`` and ``trades`` frames of ``inst_id``."""
    bids: dict[float, tuple[float, int]] = {}
    asks: dict[float, tuple[float, int]] = {}
    distances: list[int] = []
    sizes: list[float] = []
    decreases = 0
    updates = 0
    resting: list[int] = []
    window: list[float] = []
    mids: list[float] = []
    times: list[int] = []
    orders: dict[tuple[int, str], float] = {}
    by_distance = np.zeros(8001)
    prints = 0
    have_snapshot = False
    for message in _frames(lines, inst_id):
        channel = message["arg"]["channel"]
        if channel == TRADES_CHANNEL:
            for trade in message["data"]:
                # sizes in book units, as the book's levels below
                event = parse_trade(inst_id, trade, 0)
                key = (event.exch_ts, event.side)
                orders[key] = orders.get(key, 0.0) + event.contracts
                prints += 1
            continue
        if channel not in INCREMENTAL_CHANNELS:
            continue
        data = message["data"][0]
        if message.get("action") == "snapshot":
            bids = {float(p): (float(s), int(n)) for p, s, _, n in data["bids"]}
            asks = {float(p): (float(s), int(n)) for p, s, _, n in data["asks"]}
            have_snapshot = True
            continue
        if not have_snapshot or not bids or not asks:
            continue
        best_bid, best_ask = max(bids), min(asks)
        mid = 0.5 * (best_bid + best_ask)
        worst_bid, worst_ask = min(bids), max(asks)
        for rows, book, is_bid in ((data["bids"], bids, True), (data["asks"], asks, False)):
            for p_text, s_text, _, n_text in rows:
                price, size = float(p_text), float(s_text)
                old = book.get(price, (0.0, 0))[0]
                # only levels inside the previous window: window refills are not arrivals
                if (price >= worst_bid) if is_bid else (price <= worst_ask):
                    if size > old:
                        distances.append(max(1, round(abs(price - mid) / tick + 0.5)))
                        sizes.append(size - old)
                    elif size < old:
                        decreases += 1
                if size == 0.0:
                    book.pop(price, None)
                else:
                    book[price] = (size, int(n_text))
        updates += 1
        if bids and asks:
            resting.append(sum(n for _, n in bids.values()) + sum(n for _, n in asks.values()))
            new_mid = 0.5 * (max(bids) + min(asks))
            window.append(0.5 * ((new_mid - min(bids)) + (max(asks) - new_mid)) / tick)
            mids.append(new_mid)
            for book in (bids, asks):
                prices = np.fromiter(book, dtype=np.float64, count=len(book))
                counts = np.fromiter(
                    (n for _, n in book.values()), dtype=np.float64, count=len(book)
                )
                dist = np.minimum(np.rint(np.abs(prices - new_mid) / tick + 0.5), 8000).astype(
                    np.int64
                )
                np.add.at(by_distance, dist, counts)
            times.append(int(data["ts"]))
    if updates < 10 or len(times) < 2 or times[-1] <= times[0]:
        raise InvalidInputError(
            f"the capture has too few book updates of {inst_id} to fit ({updates})"
        )
    seconds = (times[-1] - times[0]) / 1000.0
    log_mid = np.log(np.asarray(mids))
    reach = max(int(np.median(window)), 2)
    return CaptureStatistics(
        seconds=seconds,
        updates=updates,
        arrivals=len(distances),
        decreases=decreases,
        trade_prints=prints,
        arrival_distances=np.asarray(distances, dtype=np.int64),
        orders_by_distance=by_distance[1 : reach + 1] / len(mids),
        arrival_sizes=np.asarray(sizes, dtype=np.float64),
        taker_order_sizes=np.asarray(list(orders.values()), dtype=np.float64),
        mean_resting_orders=float(np.mean(resting)),
        window_ticks=float(np.median(window)),
        mid_variance_per_s=float(np.sum(np.diff(log_mid) ** 2) / seconds),
        last_mid=mids[-1],
        tick=tick,
    )


def _fit_distance_profile(counts: np.ndarray[Any, np.dtype[np.float64]]) -> tuple[float, float]:
    """Maximum-likelihood (d₀, α) of P(d) ∝ (1 + d/d₀)^-α, d = 1..len(counts), by grid search,
    for (possibly fractional) counts per distance."""
    d = np.arange(1, len(counts) + 1, dtype=np.float64)
    n = counts.sum()
    best = (-math.inf, 1.0, 1.0)
    for d0 in np.geomspace(0.5, 500.0, 40):
        log_base = np.log1p(d / d0)
        for alpha in np.linspace(0.2, 3.0, 57):
            log_w = -alpha * log_base
            log_z = np.log(np.exp(log_w).sum())
            loglik = float(counts @ log_w - n * log_z)
            if loglik > best[0]:
                best = (loglik, float(d0), float(alpha))
    return best[1], best[2]


def _tail(values: np.ndarray[Any, np.dtype[np.float64]], fallback: float) -> float:
    if len(values) < 30:
        return fallback
    return float(min(max(hill_tail_exponent(values, tail_fraction=0.1), 1.05), 3.0))


def fitted_changes(stats: CaptureStatistics, base: MarketParams) -> dict[str, Any]:
    """The MarketParams fields a capture's measurements set (module docstring: how); the rest
    stay ``base``'s. :meth:`MarketParams.from_capture` and
    :func:`tradecost.sim.market.fit_params` apply them."""
    seconds = stats.seconds
    profile = stats.orders_by_distance[: base.max_distance]
    window = len(profile)
    changes: dict[str, Any] = {"initial_price": stats.last_mid}
    cancels = max(stats.decreases - stats.trade_prints, 1)
    theta = cancels / seconds / max(stats.mean_resting_orders, 1.0)
    changes["cancel_rate"] = theta
    if window >= 10 and profile.sum() > 0:
        d0, alpha = _fit_distance_profile(profile)
        d = np.arange(1, base.max_distance + 1, dtype=np.float64)
        weights = (1.0 + d / d0) ** (-alpha)
        visible_share = float(weights[:window].sum() / weights.sum())
        changes["limit_distance_scale"] = d0
        changes["limit_distance_exponent"] = alpha
        resting_per_side = 0.5 * float(profile.sum())
        changes["limit_rate"] = theta * resting_per_side / max(visible_share, 1e-3)
    if stats.arrivals >= 30:
        changes["limit_size_median"] = float(np.median(stats.arrival_sizes))
        changes["limit_size_tail"] = _tail(stats.arrival_sizes, base.limit_size_tail)
    if len(stats.taker_order_sizes):
        changes["market_rate"] = len(stats.taker_order_sizes) / seconds / 2.0
        changes["market_size_median"] = float(np.median(stats.taker_order_sizes))
        changes["market_size_tail"] = _tail(stats.taker_order_sizes, base.market_size_tail)
    if stats.mid_variance_per_s > 0:
        changes["volatility"] = math.sqrt(stats.mid_variance_per_s * _SECONDS_PER_YEAR)
    return changes
