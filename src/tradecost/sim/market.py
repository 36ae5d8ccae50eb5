"""A simulated market whose messages are OKX v5 frames: books and trades from one order flow.

The order flow is a Cont–Stoikov–Talreja model (Cont, Stoikov & Talreja 2010, "A stochastic
model for order book dynamics", Operations Research 58(3), §2) with heavy-tailed order sizes,
market orders that sweep several levels, a latent efficient price that moves by jumps, and a
slowly varying regime. The compiled loop lives in
:mod:`tradecost.sim._engine`; this module validates parameters, describes the instrument, and hands
out frames exactly as OKX sends them (research notes §1.3–1.6 and §1.8 of the protocol facts).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, fields, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from tradecost.errors import InvalidInputError, InvalidStateError
from tradecost.sim import _engine
from tradecost.sim.fit import fitted_changes, measure_capture

if TYPE_CHECKING:
    import numpy.typing as npt

__all__ = [
    "CHANNELS",
    "BookSnapshot",
    "MarketParams",
    "Regime",
    "SimulatedMarket",
    "TimedFrame",
]

#: Channels a simulated market can publish, with the engine's ids for them.
CHANNEL_IDS: dict[str, int] = {
    "books": _engine.CH_BOOKS,
    "books-l2-tbt": _engine.CH_BOOKS_L2_TBT,
    "books50-l2-tbt": _engine.CH_BOOKS50_L2_TBT,
    "books5": _engine.CH_BOOKS5,
    "bbo-tbt": _engine.CH_BBO_TBT,
    "trades": _engine.CH_TRADES,
}
CHANNELS: tuple[str, ...] = tuple(CHANNEL_IDS)
_CHANNEL_NAMES: dict[int, str] = {v: k for k, v in CHANNEL_IDS.items()}

#: 2026-01-01T00:00:00Z: the first frame of every market carries this time (ms).
DEFAULT_EPOCH_MS = 1_767_225_600_000


@dataclass(frozen=True)
class Regime:
    """One state of the hidden regime chain; it scales the order-flow rates while it lasts.

    Attributes:
        name: label used in reports and plots.
        activity: multiplies every rate (limit, cancel, market orders); the book's size, λ/θ,
            is unchanged, only the pace.
        aggression: multiplies the market-order rate on top of ``activity``: more takers per
            maker, so the touch is depleted more often and the price moves more (volatility).
        depth_scale: multiplies ``limit_distance_scale``: liquidity providers quote farther from
            the touch, so the book near the touch is thinner and a market order walks further.
        mean_duration_s: expected time spent in the state, seconds (exponential holding time).
        volatility: multiplies the efficient price's volatility (its jump rate by volatility²).
    """

    name: str
    activity: float
    aggression: float
    depth_scale: float
    mean_duration_s: float
    volatility: float = 1.0


DEFAULT_REGIMES: tuple[Regime, ...] = (
    Regime("calm", 0.6, aggression=0.5, depth_scale=0.8, mean_duration_s=600.0, volatility=0.5),
    Regime("normal", 1.0, aggression=1.0, depth_scale=1.0, mean_duration_s=900.0, volatility=1.0),
    Regime("stressed", 1.8, aggression=3.0, depth_scale=2.0, mean_duration_s=300.0, volatility=2.5),
)


@dataclass(frozen=True)
class MarketParams:
    """Parameters of the simulated order flow. Defaults look like OKX BTC-USDT spot.

    Rates are per second of simulated time at activity 1 in the "normal" regime. Sizes are in
    base currency (BTC for BTC-USDT; a SWAP's sizes are converted to contracts with ctVal).
    The defaults were chosen against the 2022-05-13 BTC-USDT ``books`` capture (≈ 390 visible
    level changes per second, 92 % of updates at a one-tick spread, ≈ 4 taker orders per second
    with a median of 0.0012 BTC, ≈ 2 orders per level) and give, measured on 300 simulated
    seconds: ≈ 740 visible level changes per second, 86 % one-tick spreads, ≈ 3.5 taker orders
    per second, 1-s mid volatility ≈ 36 ticks. :meth:`from_capture` refits the main rates to
    any recorded capture.

    Attributes:
        tick_size: price increment, as OKX's ``tickSz`` string.
        lot_size: size increment, as OKX's ``lotSz`` string (base currency for spot, contracts
            for swaps).
        min_size: smallest order, as OKX's ``minSz``.
        contract_value: base currency per contract (``ctVal``) for swaps; ignored for spot.
        initial_price: price the book starts around, quote currency.
        limit_rate: limit orders per second per side (CST's Σ_d λ(d)).
        limit_distance_scale: d₀ of λ(d) ∝ (1 + d/d₀)^-α, ticks from the opposite best quote.
        limit_distance_exponent: α of λ(d): how fast arrivals thin out away from the touch
            (CST fit a power law, eq. (2) and Fig. 2 of the paper).
        max_distance: farthest arrival from the opposite best quote, ticks (≤ 8000).
        limit_size_median: median limit-order size, base currency.
        limit_size_tail: Lomax tail exponent of limit-order sizes (P(size > x) ~ x^-tail).
        limit_size_max: largest limit order, base currency.
        cancel_rate: θ, cancellations per resting order per second (CST §2: a queue of n
            orders shrinks at rate θ·n).
        market_rate: μ, market orders per second per side.
        market_size_median: median market-order size, base currency.
        market_size_tail: Lomax tail exponent of market-order sizes (heavy tailed: ≈ 1.3–1.8
            in crypto trade data).
        market_size_max: largest market order, base currency.
        volatility: annualised volatility of the latent efficient price in a regime of
            volatility 1 (fraction; 365-day year, markets open 24/7). Limit orders are placed
            around that price, so the book follows it. The price moves by jumps.
        jump_size_ticks: mean absolute jump of the efficient price, ticks (Laplace jumps); the
            jump rate is set so that rate × 2·jump² gives ``volatility``.
        pull_rate: stale-quote pulls per second per tick of staleness: when the efficient price
            moves past the touch, the touch level is cancelled at this rate × the gap in ticks.
        taker_bias_ticks: b of P(taker buys) = 1/(1 + e^-(fair − mid)/b); 0 = always 1/2.
        regimes: the regime states, ordered calm to stressed; switches go to a neighbour.
        initial_regime: index into ``regimes`` at the start.
        activity_reversion: κ of the Ornstein–Uhlenbeck log-activity factor, 1/s.
        activity_volatility: σ of that factor, 1/√s.
        regime_step_s: how often the regime and activity are updated, seconds.
        update_interval_ms: the ``books`` / ``books5`` push period (OKX: 100 ms).
        bbo_interval_ms: the ``bbo-tbt`` push period (OKX: 10 ms).
        warmup_s: simulated seconds run before the first frame so the book is in its
            stationary state.
        epoch_ms: timestamp of the first frame, ms since the Unix epoch.
        first_seq_id: sequence id of the book before the first event.
        first_trade_id: tradeId before the first trade.
        seq_reset_interval_s: every so many simulated seconds the sequence restarts at
            ``seq_reset_to`` (OKX maintenance: ``seqId < prevSeqId``); 0 = never.
        seq_reset_to: the sequence id after a reset.
    """

    tick_size: str = "0.1"
    lot_size: str = "0.00000001"
    min_size: str = "0.00001"
    contract_value: str = "0.01"
    initial_price: float = 95_000.0
    limit_rate: float = 300.0
    limit_distance_scale: float = 2.0
    limit_distance_exponent: float = 1.2
    max_distance: int = 6000
    limit_size_median: float = 0.004
    limit_size_tail: float = 1.2
    limit_size_max: float = 25.0
    cancel_rate: float = 0.2
    market_rate: float = 2.0
    market_size_median: float = 0.0012
    market_size_tail: float = 1.25
    market_size_max: float = 10.0
    volatility: float = 0.20
    jump_size_ticks: float = 15.0
    pull_rate: float = 200.0
    taker_bias_ticks: float = 2.0
    regimes: tuple[Regime, ...] = field(default=DEFAULT_REGIMES)
    initial_regime: int = 1
    activity_reversion: float = 1.0 / 120.0
    activity_volatility: float = 0.04
    regime_step_s: float = 1.0
    update_interval_ms: int = 100
    bbo_interval_ms: int = 10
    warmup_s: float = 120.0
    epoch_ms: int = DEFAULT_EPOCH_MS
    first_seq_id: int = 10_000_000
    first_trade_id: int = 500_000_000
    seq_reset_interval_s: float = 0.0
    seq_reset_to: int = 1

    def __post_init__(self) -> None:
        for name in ("tick_size", "lot_size", "min_size", "contract_value"):
            _parse_decimal(name, getattr(self, name))
        positive = (
            "initial_price",
            "limit_rate",
            "limit_distance_scale",
            "limit_size_median",
            "limit_size_tail",
            "limit_size_max",
            "cancel_rate",
            "market_size_median",
            "market_size_tail",
            "market_size_max",
            "regime_step_s",
            "jump_size_ticks",
        )
        for name in positive:
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
                raise InvalidInputError(
                    f"MarketParams.{name} must be a positive number, got {value!r}"
                )
        non_negative = (
            "limit_distance_exponent",
            "market_rate",
            "activity_reversion",
            "activity_volatility",
            "warmup_s",
            "seq_reset_interval_s",
            "volatility",
            "pull_rate",
            "taker_bias_ticks",
        )
        for name in non_negative:
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
                raise InvalidInputError(f"MarketParams.{name} must be >= 0, got {value!r}")
        if not 1 <= self.max_distance <= 8000:
            raise InvalidInputError(
                f"MarketParams.max_distance must be within 1..8000 ticks, got {self.max_distance}"
            )
        if not self.regimes:
            raise InvalidInputError("MarketParams.regimes needs at least one regime")
        for regime in self.regimes:
            for attr in ("activity", "aggression", "depth_scale", "mean_duration_s", "volatility"):
                value = getattr(regime, attr)
                if not (math.isfinite(value) and value > 0):
                    raise InvalidInputError(
                        f"Regime {regime.name!r}: {attr} must be > 0, got {value}"
                    )
        if not 0 <= self.initial_regime < len(self.regimes):
            raise InvalidInputError(
                f"MarketParams.initial_regime {self.initial_regime} is not an index of regimes"
            )
        if self.update_interval_ms <= 0 or self.bbo_interval_ms <= 0:
            raise InvalidInputError("push intervals must be positive milliseconds")
        if self.update_interval_ms % self.bbo_interval_ms:
            raise InvalidInputError("update_interval_ms must be a multiple of bbo_interval_ms")
        if self.first_seq_id < 0 or self.seq_reset_to < 0 or self.first_trade_id < 0:
            raise InvalidInputError("sequence and trade ids must be >= 0")

    def replace(self, **changes: Any) -> MarketParams:
        """A copy with some fields changed (validated again)."""
        return replace(self, **changes)

    def as_dict(self) -> dict[str, Any]:
        """The parameters as plain values (regimes as dicts), e.g. for a JSON report."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "regimes":
                value = [vars(r).copy() for r in value]
            out[f.name] = value
        return out

    @classmethod
    def large_tick(cls, **changes: Any) -> MarketParams:
        """A large-tick market: tick 0.0001 at a price of 0.2 (5 bps a tick), quoted in USDT.

        Not fitted to a capture; the numbers are set so that the book has the large-tick
        properties of Eisler, Bouchaud & Kockelkoren (2012, "The price impact of order book
        events", Quantitative Finance 12(9), §2) and Huang, Lehalle & Rosenbaum (2015, "Simulating
        and analyzing order book data: the queue-reactive model", JASA 110(509), §1): the
        spread is one tick nearly all the time, the touch queues hold tens of typical orders,
        the efficient price moves ≈ 0.2 ticks per √s (annualised volatility 0.6, a common
        figure for a mid-cap coin), and taker flow, leaning towards the efficient price, trades
        a touch queue away within seconds while stale quotes are pulled slowly (0.2/s per tick
        of staleness), so touch levels vanish mostly by being traded (measured in
        ``docs/simulated-market.md``, tested in ``tests/sim/test_large_tick.py``). ``changes``
        override fields, as in :meth:`replace`.

        Sizes are in coins (lot 1, minimum 1): median limit order 1,000 coins (200 USDT),
        median taker order 1,500 coins.
        """
        params = cls(
            tick_size="0.0001",
            lot_size="1",
            min_size="1",
            contract_value="10",
            initial_price=0.2,
            limit_rate=50.0,
            limit_distance_scale=2.0,
            limit_distance_exponent=1.5,
            max_distance=2000,
            limit_size_median=1000.0,
            limit_size_tail=1.5,
            limit_size_max=2e5,
            cancel_rate=0.3,
            market_rate=2.5,
            market_size_median=1500.0,
            market_size_tail=1.3,
            market_size_max=2e5,
            volatility=0.6,
            jump_size_ticks=0.3,
            pull_rate=0.2,
            taker_bias_ticks=0.5,
        )
        return params.replace(**changes) if changes else params

    @classmethod
    def from_capture(
        cls, path: str | Path, inst_id: str = "BTC-USDT", base: MarketParams | None = None
    ) -> MarketParams:
        """Fit the main rates to a recorded OKX capture (see :func:`fit_params`).

        ``path`` is an ndjson file of raw frames or a cryptofeed-style capture whose lines are
        ``<receive_ts>: <raw json>``; ``books`` and ``trades`` frames of ``inst_id`` are used.
        """
        with open(path, encoding="utf-8") as handle:
            return fit_params(handle, inst_id=inst_id, base=base)


def fit_params(
    lines: Iterable[str],
    inst_id: str = "BTC-USDT",
    base: MarketParams | None = None,
) -> MarketParams:
    """MarketParams whose main rates match a recorded capture (:mod:`tradecost.sim.fit`: how).

    ``lines`` are raw frames (one JSON per line) or cryptofeed-style ``<ts>: <json>`` lines. Fields
    not estimated (regimes, windows, ids, sizes limits, jump size) are taken from ``base``.
    """
    base = base if base is not None else MarketParams()
    stats = measure_capture(lines, inst_id=inst_id, tick=float(base.tick_size))
    return base.replace(**fitted_changes(stats, base))


class TimedFrame(NamedTuple):
    """A frame with the simulated exchange time it is sent at."""

    ts_ns: int
    """Simulated exchange time, int64 ns since the Unix epoch."""
    channel: str
    """OKX channel name, e.g. ``"books"`` or ``"trades"``."""
    frame: str
    """The raw frame text, exactly as OKX sends it."""


@dataclass(frozen=True)
class BookSnapshot:
    """The true book of a simulated market at one instant.

    ``bids``/``asks`` are OKX rows ``[px, sz, "0", numOrders]`` (strings), best first.
    ``seq_id`` is the sequence id of the last event applied, ``ts`` the time in ms.
    """

    inst_id: str
    tick_size: str
    ts: int
    seq_id: int
    bids: list[list[str]]
    asks: list[list[str]]
    checksum: int

    def rest_response(self) -> dict[str, Any]:
        """The body of ``GET /api/v5/market/books`` for this book (OKX docs §1.9)."""
        return {
            "code": "0",
            "msg": "",
            "data": [
                {"asks": self.asks, "bids": self.bids, "ts": str(self.ts), "seqId": self.seq_id}
            ],
        }

    def to_order_book(self) -> Any:
        """This book as a :class:`tradecost.OrderBook` (needs the compiled order-book core)."""
        from tradecost._book import OrderBook

        book = OrderBook(tick_size=self.tick_size, inst_id=self.inst_id)
        book.apply_snapshot(self.bids, self.asks)
        return book


def _parse_decimal(name: str, text: str) -> Decimal:
    try:
        value = Decimal(text)
    except (InvalidOperation, TypeError) as exc:
        raise InvalidInputError(
            f"MarketParams.{name} must be a decimal string, got {text!r}"
        ) from exc
    if not value.is_finite() or value <= 0:
        raise InvalidInputError(f"MarketParams.{name} must be positive, got {text!r}")
    return value


def _check_seed(seed: object) -> None:
    """A simulated market's seed: a non-negative int (not a bool)."""
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise InvalidInputError(f"seed must be a non-negative int, got {seed!r}")


def _places_and_mult(value: Decimal) -> tuple[int, int]:
    """``value`` = mult × 10^-places with integers (e.g. 0.1 → (1, 1), 0.5 → (1, 5))."""
    exponent = value.normalize().as_tuple().exponent
    assert isinstance(exponent, int)  # finite, checked by _parse_decimal
    places = max(0, -exponent)
    mult = int(value.scaleb(places))
    return places, mult


def _alias_table(
    weights: npt.NDArray[np.float64],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int32]]:
    """Walker/Vose alias table for sampling index i with probability weights[i] / Σ weights."""
    n = len(weights)
    scaled = weights * (n / weights.sum())
    prob = np.zeros(n)
    alias = np.zeros(n, dtype=np.int32)
    small = [i for i in range(n) if scaled[i] < 1.0]
    large = [i for i in range(n) if scaled[i] >= 1.0]
    while small and large:
        s = small.pop()
        g = large[-1]
        prob[s] = scaled[s]
        alias[s] = g
        scaled[g] = scaled[g] + scaled[s] - 1.0
        if scaled[g] < 1.0:
            large.pop()
            small.append(g)
    for i in large + small:
        prob[i] = 1.0
        alias[i] = i
    return prob, alias


def limit_distance_weights(params: MarketParams, regime: Regime) -> npt.NDArray[np.float64]:
    """λ(d) for d = 1..max_distance (unnormalised): (1 + d / (d₀·depth_scale))^-α."""
    d = np.arange(1, params.max_distance + 1, dtype=np.float64)
    scale = params.limit_distance_scale * regime.depth_scale
    weights: npt.NDArray[np.float64] = (1.0 + d / scale) ** (-params.limit_distance_exponent)
    return weights


def instrument_for(symbol: str, params: MarketParams) -> dict[str, str]:
    """An OKX ``/api/v5/public/instruments`` record for ``symbol`` (strings, like OKX)."""
    parts = symbol.split("-")
    if len(parts) < 2 or not all(parts[:2]):
        raise InvalidInputError(f"symbol {symbol!r} is not an OKX instId like 'BTC-USDT'")
    base, quote = parts[0], parts[1]
    swap = symbol.endswith("-SWAP")
    record = {
        "instType": "SWAP" if swap else "SPOT",
        "instId": symbol,
        "instFamily": f"{base}-{quote}" if swap else "",
        "uly": f"{base}-{quote}" if swap else "",
        "baseCcy": "" if swap else base,
        "quoteCcy": "" if swap else quote,
        "settleCcy": quote if swap else "",
        "ctVal": params.contract_value if swap else "",
        "ctMult": "1" if swap else "",
        "ctValCcy": base if swap else "",
        "ctType": "linear" if swap else "",
        "tickSz": params.tick_size,
        "lotSz": params.lot_size,
        "minSz": params.min_size,
        "state": "live",
        "listTime": str(params.epoch_ms - 86_400_000 * 365),
    }
    return record


class FrameSource:
    """What every simulated market hands out: OKX v5 frames in time order, by subscription.

    :meth:`events` and :meth:`messages` check the request and subscribe afresh; a subclass
    produces the frames in ``_frames`` (:class:`SimulatedMarket` from its engine,
    :class:`~tradecost.sim.correlated.CorrelatedMarket` by merging its legs').
    """

    def events(
        self,
        n: int | None = None,
        *,
        channels: Iterable[str] = ("books", "trades"),
        checksum: bool = False,
        duration: float | None = None,
    ) -> Iterator[TimedFrame]:
        """Frames with their simulated send times, in time order.

        Args:
            n: stop after this many frames (None: no limit).
            channels: any of :data:`CHANNELS`. ``books`` pushes every ``update_interval_ms``
                (first frame: the 400-level snapshot, ``prevSeqId`` -1); ``books-l2-tbt`` and
                ``books50-l2-tbt`` after every event that changed their window; ``books5`` and
                ``bbo-tbt`` are snapshot-only frames; ``trades`` one frame per taker order and
                price level, sent before the book update that reflects it.
            checksum: put OKX's CRC32 of the top 25 levels into book frames (OKX itself sends 0
                since 2026-06-23); otherwise 0.
            duration: stop after this many simulated seconds. The market then stands exactly at
                the end of the interval, so :meth:`book_snapshot` is the book every frame led to.
        """
        wanted = tuple(dict.fromkeys(channels))
        for name in wanted:
            if name not in CHANNEL_IDS:
                raise InvalidInputError(
                    f"unknown channel {name!r}; choose from {', '.join(CHANNELS)}"
                )
        if not wanted:
            raise InvalidInputError("channels is empty")
        if n is not None and n < 0:
            raise InvalidInputError(f"n must be >= 0, got {n}")
        if duration is not None and not (math.isfinite(duration) and duration >= 0):
            raise InvalidInputError(
                f"duration must be a non-negative number of seconds, got {duration}"
            )
        return self._frames(wanted, checksum, n, duration)

    def messages(
        self,
        n: int | None = None,
        *,
        channels: Iterable[str] = ("books", "trades"),
        checksum: bool = False,
        duration: float | None = None,
    ) -> Iterator[str]:
        """Raw OKX v5 frames as ``str``, exactly as OKX sends them (see :meth:`events`)."""
        timed = self.events(n, channels=channels, checksum=checksum, duration=duration)
        return (event.frame for event in timed)

    def _frames(
        self, channels: tuple[str, ...], checksum: bool, n: int | None, duration: float | None
    ) -> Iterator[TimedFrame]:
        """The frames of a checked request: known, distinct ``channels``, ``n`` and
        ``duration`` None or >= 0."""
        raise NotImplementedError


class SimulatedMarket(FrameSource):
    """An event-driven limit order book market whose output is OKX v5 traffic.

    >>> market = SimulatedMarket(symbol="BTC-USDT", seed=7)
    >>> first = next(market.messages(n=1))          # the 400-level books snapshot
    >>> first.startswith('{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"snapshot"')
    True

    The market is one stream of order flow: every call to :meth:`messages` or :meth:`events`
    subscribes afresh at the current state (snapshots first, as OKX does) and continues the same
    simulated market; starting a new one ends the previous iterator. Same symbol, seed and params
    give the same bytes.
    """

    def __init__(
        self, symbol: str = "BTC-USDT", seed: int = 7, params: MarketParams | None = None
    ) -> None:
        _check_seed(seed)
        self.symbol = symbol
        self.seed = seed
        self.params = params if params is not None else MarketParams()
        self.instrument: dict[str, str] = instrument_for(symbol, self.params)
        p = self.params
        tick = _parse_decimal("tick_size", p.tick_size)
        lot = _parse_decimal("lot_size", p.lot_size)
        contract = _parse_decimal("contract_value", p.contract_value)
        unit = contract if self.instrument["instType"] == "SWAP" else Decimal(1)
        price_places, price_mult = _places_and_mult(tick)
        size_places, size_mult = _places_and_mult(lot)
        lots_per_unit = float(1 / (unit * lot))
        min_lots = max(1.0, float(_parse_decimal("min_size", p.min_size) / lot))
        probs, aliases = [], []
        for regime in p.regimes:
            prob, alias = _alias_table(limit_distance_weights(p, regime))
            probs.append(prob)
            aliases.append(alias)
        activity = np.array([r.activity for r in p.regimes], dtype=np.float64)
        aggression = np.array([r.aggression for r in p.regimes], dtype=np.float64)
        duration = np.array([r.mean_duration_s for r in p.regimes], dtype=np.float64)
        volatility = np.array([r.volatility for r in p.regimes], dtype=np.float64)
        seconds_per_year = 365.0 * 86_400.0
        model = {
            "limit_rate": float(p.limit_rate),
            "cancel_rate": float(p.cancel_rate),
            "market_rate": float(p.market_rate),
            "lots_per_unit": lots_per_unit,
            "limit_size_median": float(p.limit_size_median),
            "limit_size_tail": float(p.limit_size_tail),
            "limit_size_max_lots": float(p.limit_size_max) * lots_per_unit,
            "market_size_median": float(p.market_size_median),
            "market_size_tail": float(p.market_size_tail),
            "market_size_max_lots": float(p.market_size_max) * lots_per_unit,
            "min_lots": min_lots,
            "max_distance": float(p.max_distance),
            "activity_reversion": float(p.activity_reversion),
            "activity_volatility": float(p.activity_volatility),
            "regime_step_s": float(p.regime_step_s),
            "first_seq_id": float(p.first_seq_id),
            "first_trade_id": float(p.first_trade_id),
            "seq_reset_interval_s": float(p.seq_reset_interval_s),
            "seq_reset_to": float(p.seq_reset_to),
            "initial_regime": float(p.initial_regime),
            "jump_mean_ticks": float(p.jump_size_ticks),
            "jump_rate": (p.volatility * p.initial_price / float(tick)) ** 2
            / seconds_per_year
            / (2.0 * p.jump_size_ticks**2),
            "pull_rate": float(p.pull_rate),
            "taker_bias_ticks": float(p.taker_bias_ticks),
            # stationary number of resting orders per side, λ/θ (CST §2)
            "initial_orders": float(p.limit_rate / p.cancel_rate),
        }
        warmup_ns = round(p.warmup_s * 1e9)
        self._engine = _engine.Engine(
            seed,
            model,
            np.ascontiguousarray(np.concatenate(probs)),
            np.ascontiguousarray(np.concatenate(aliases).astype(np.int32)),
            activity,
            aggression,
            duration,
            volatility,
            round(p.initial_price / float(tick)),
            price_places,
            price_mult,
            size_places,
            size_mult,
            symbol.encode("ascii"),
            p.epoch_ms * 1_000_000 - warmup_ns,
        )
        if warmup_ns:
            self._engine.run_for(warmup_ns)
        self._stream = 0

    # ------------------------------------------------------------------------------------------

    def _frames(
        self, channels: tuple[str, ...], checksum: bool, n: int | None, duration: float | None
    ) -> Iterator[TimedFrame]:
        token = self._subscribe(channels, checksum)
        engine = self._engine
        until = -1 if duration is None else engine.time_ns + round(duration * 1e9)
        remaining = n
        while remaining is None or remaining > 0:
            self._check_stream(token)
            batch = 512 if remaining is None else min(512, remaining)
            for frame in self._generate(batch, until):
                if remaining is not None:
                    if remaining == 0:
                        return
                    remaining -= 1
                yield frame
            if until >= 0 and engine.time_ns >= until:
                return

    def _subscribe(self, channels: tuple[str, ...], checksum: bool) -> int:
        """Subscribe afresh at the current state: the next frames start with the snapshots, as
        OKX sends them, and any earlier stream ends. The new stream's token, for
        :meth:`_check_stream`."""
        self._end_stream()
        self._engine.configure(
            {CHANNEL_IDS[name] for name in channels},
            checksum,
            [
                f'{{"arg":{{"channel":"{name}","instId":"{self.symbol}"}},'.encode("ascii")
                for name in sorted(CHANNEL_IDS, key=CHANNEL_IDS.__getitem__)
            ],
            self.params.update_interval_ms * 1_000_000,
            self.params.bbo_interval_ms * 1_000_000,
        )
        return self._stream

    def _end_stream(self) -> None:
        """End the live stream, if any: its iterator raises on its next batch."""
        self._stream += 1

    def _check_stream(self, token: int) -> None:
        if token != self._stream:
            raise InvalidStateError(
                "this market was re-subscribed by a newer messages()/events() call; "
                "iterate one stream at a time, or use one SimulatedMarket per stream"
            )

    def _generate(self, max_frames: int, until_ns: int = -1) -> list[TimedFrame]:
        """Run until ``max_frames`` frames are ready or the clock reaches ``until_ns`` (-1: no
        limit); the frames produced, oldest first (possibly more than ``max_frames``)."""
        stamps, ids, frames = self._engine.generate(max_frames, until_ns)
        names = _CHANNEL_NAMES
        return [TimedFrame(stamps[k], names[ids[k]], frames[k]) for k in range(len(frames))]

    # ------------------------------------------------------------------------------------------

    # ------------------------------------------------------------------------------------------

    def advance(self, *, events: int | None = None, seconds: float | None = None) -> None:
        """Let the market run without publishing: ``events`` order-flow events or ``seconds``."""
        if (events is None) == (seconds is None):
            raise InvalidInputError("give exactly one of events= or seconds=")
        self._end_stream()
        if events is not None:
            if events < 0:
                raise InvalidInputError(f"events must be >= 0, got {events}")
            self._engine.run(events)
        else:
            assert seconds is not None
            if not (math.isfinite(seconds) and seconds >= 0):
                raise InvalidInputError(f"seconds must be >= 0, got {seconds}")
            self._engine.run_for(round(seconds * 1e9))

    def book_snapshot(self, depth: int = 400) -> BookSnapshot:
        """The true current book, top ``depth`` levels per side (OKX row strings)."""
        if depth <= 0:
            raise InvalidInputError(f"depth must be positive, got {depth}")
        engine = self._engine
        snapshot = BookSnapshot(
            inst_id=self.symbol,
            tick_size=self.params.tick_size,
            ts=engine.time_ns // 1_000_000,
            seq_id=engine.seq_id,
            bids=engine.format_levels(0, depth),
            asks=engine.format_levels(1, depth),
            checksum=engine.checksum(),
        )
        return snapshot

    @property
    def time_ns(self) -> int:
        """Simulated time, int64 ns since the Unix epoch."""
        return int(self._engine.time_ns)

    @property
    def seq_id(self) -> int:
        """Sequence id of the last order-flow event."""
        return int(self._engine.seq_id)

    @property
    def event_count(self) -> int:
        """Order-flow events (limit, cancel, market orders) since creation, warm-up included."""
        return int(self._engine.event_count)

    @property
    def trade_count(self) -> int:
        """Trades printed since creation (one per taker order and price level)."""
        return int(self._engine.trade_count)

    @property
    def regime(self) -> Regime:
        """The regime the market is in now."""
        regime: Regime = self.params.regimes[self._engine.regime_index]
        return regime

    @property
    def activity(self) -> float:
        """Current rate multiplier (regime activity × the slowly varying activity factor)."""
        return float(self._engine.activity_level)

    def levels(self, side: str, depth: int = 400) -> tuple[list[int], list[int], list[int]]:
        """True book levels as integers: (price ticks, size lots, order counts), best first."""
        if side not in ("bid", "ask"):
            raise InvalidInputError(f"side must be 'bid' or 'ask', got {side!r}")
        ticks, lots, orders = self._engine.levels(0 if side == "bid" else 1, depth)
        return ticks, lots, orders

    # ---------------------------------------------------------------- driven from outside

    @property
    def _fair_ticks(self) -> float:
        """The latent efficient price, ticks."""
        return float(self._engine.fair_ticks)

    def _set_fair_ticks(self, ticks: float) -> None:
        """Move the latent efficient price (a CorrelatedMarket drives it by a common factor)."""
        self._engine.set_fair(ticks)

    @property
    def _best_ticks(self) -> tuple[int, int]:
        """(best bid, best ask) in ticks; -1 for an empty side."""
        bid, ask = self._engine.best_ticks
        return bid, ask

    def __repr__(self) -> str:
        return (
            f"SimulatedMarket(symbol={self.symbol!r}, seed={self.seed}, "
            f"time_ns={self.time_ns}, seq_id={self.seq_id}, regime={self.regime.name!r})"
        )
