"""Several simulated markets whose efficient prices share a common factor (pairs, cointegration).

Each symbol is a full :class:`~tradecost.sim.market.SimulatedMarket` (its own order flow, book and
trade tape). Only the latent efficient price of each is driven from here: instead of its own jumps
it follows

    log P_i(t) = log P_i(0) + beta_i * F(t) + S_i(t)

where ``F`` is a Brownian common factor (annualised volatility ``factor_volatility``, 365-day
year) and ``S_i`` an Ornstein–Uhlenbeck spread, dS = -kappa_i S dt + sigma_i dW_i, kappa_i =
ln 2 / half-life_i, started at 0 and stepped exactly (``S(t+dt) = S(t) e^{-kappa dt} + sigma
sqrt((1 - e^{-2 kappa dt}) / (2 kappa)) Z``). A leg with ``spread_volatility = 0`` is a pure
factor leg. So for legs ``y`` and ``x`` (x a pure factor leg)

    log P_y - (beta_y / beta_x) log P_x = const + S_y

is stationary: the pair is cointegrated with beta = beta_y / beta_x and an OU spread of half-life
``half_life_s`` of leg ``y`` (with two OU legs of the same half-life the spread S_y - beta S_x is
again OU of that half-life). With ``common_factor=False`` each leg follows its own independent
factor: the pair is two independent random walks, not cointegrated, returns uncorrelated.

The book follows the efficient price through the engine's order flow (stale quotes pulled,
takers leaning towards it), so mids and trades inherit beta and the half-life up to a few ticks of
microstructure noise; ``docs/simulated-market.md`` documents the defaults and the test that
recovers them.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from tradecost.errors import InvalidInputError
from tradecost.sim.market import (
    BookSnapshot,
    FrameSource,
    MarketParams,
    SimulatedMarket,
    TimedFrame,
    _check_seed,
    _parse_decimal,
)

__all__ = ["CorrelatedMarket", "Leg", "default_params"]

SECONDS_PER_YEAR = 365.0 * 86_400.0

#: Order-flow defaults per base currency: price, tick and sizes look like the Binance spot
#: pair (2026 levels); the rates are MarketParams' BTC defaults scaled down for ETH.
_DEFAULTS: dict[str, dict[str, object]] = {
    "BTC": {},
    "ETH": {
        "tick_size": "0.01",
        "lot_size": "0.0001",
        "min_size": "0.0001",
        "contract_value": "0.1",
        "initial_price": 3_500.0,
        "limit_rate": 200.0,
        "limit_size_median": 0.1,
        "limit_size_max": 500.0,
        "market_size_median": 0.03,
        "market_size_max": 200.0,
        "market_rate": 1.5,
    },
}


def default_params(symbol: str) -> MarketParams:
    """Order-flow parameters for ``symbol`` with its own jumps switched off (volatility 0).

    BTC and ETH pairs get prices and sizes like theirs; any other base currency BTC's defaults.
    """
    base = symbol.split("-")[0].upper()
    return MarketParams(**_DEFAULTS.get(base, {})).replace(volatility=0.0)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Leg:
    """One symbol of a :class:`CorrelatedMarket`.

    Attributes:
        symbol: OKX-style instrument id (``"ETH-USDT"``); a Binance venue serves it as
            ``ETHUSDT``.
        beta: loading on the common factor, log-price units per unit of the factor.
        half_life_s: half-life of the leg's OU spread, seconds of simulated time.
        spread_volatility: sigma of the OU spread, log-price units per sqrt(second); 0 makes a
            pure factor leg. The spread's stationary standard deviation is
            ``spread_volatility / sqrt(2 ln2 / half_life_s)``.
        params: the leg's order flow (``None``: :func:`default_params`). Its own
            ``volatility`` must be 0 (the factor moves the price, not the engine's jumps).
    """

    symbol: str
    beta: float = 1.0
    half_life_s: float = 600.0
    spread_volatility: float = 0.0
    params: MarketParams | None = None

    @property
    def kappa(self) -> float:
        """Mean-reversion speed of the spread, 1/s (ln 2 / half-life)."""
        return math.log(2.0) / self.half_life_s

    @property
    def spread_sd(self) -> float:
        """Stationary standard deviation of the spread, log-price units."""
        return self.spread_volatility / math.sqrt(2.0 * self.kappa)


@dataclass
class _LegState:
    leg: Leg
    market: SimulatedMarket
    tick: float
    log_p0: float
    spread: float = 0.0
    factor: float = 0.0  # the leg's own factor when common_factor=False


class CorrelatedMarket(FrameSource):
    """Simulated markets whose efficient prices load on one common factor (see module doc).

    >>> market = CorrelatedMarket.pair("ETH-USDT", "BTC-USDT", beta=1.2, half_life_s=30.0)
    >>> [leg.symbol for leg in market.legs]
    ['ETH-USDT', 'BTC-USDT']

    Deterministic given ``seed``: the factor and spreads draw from one numpy generator, each
    leg's order flow from its own engine seeded ``seed + index``. The factor is stepped at the start
    of every ``step_s`` seconds of simulated time; then each leg's book runs its own order flow
    for that step, following the new efficient price.

    :meth:`events` and :meth:`messages` give every leg's frames merged in time order (each leg
    subscribed afresh, as :meth:`SimulatedMarket.events`); each frame names its instrument, so a
    consumer routes by ``arg.instId``. Frames at the same instant keep the order of :attr:`legs`.
    """

    def __init__(
        self,
        legs: Sequence[Leg],
        *,
        seed: int = 7,
        factor_volatility: float = 0.5,
        step_s: float = 0.1,
        common_factor: bool = True,
    ) -> None:
        _check_seed(seed)
        if len(legs) < 1:
            raise InvalidInputError("a CorrelatedMarket needs at least one leg")
        symbols = [leg.symbol for leg in legs]
        if len(set(symbols)) != len(symbols):
            raise InvalidInputError(f"leg symbols must be distinct, got {symbols}")
        if not (math.isfinite(factor_volatility) and factor_volatility >= 0):
            raise InvalidInputError(f"factor_volatility must be >= 0, got {factor_volatility}")
        if not (math.isfinite(step_s) and step_s > 0):
            raise InvalidInputError(f"step_s must be a positive number of seconds, got {step_s}")
        self.legs: tuple[Leg, ...] = tuple(legs)
        self.seed = seed
        self.factor_volatility = float(factor_volatility)
        self.step_s = float(step_s)
        self.common_factor = bool(common_factor)
        self.factor = 0.0
        self._rng = np.random.default_rng(seed)
        self._step_ns = round(step_s * 1e9)
        self._states: list[_LegState] = []
        epochs = set()
        for index, leg in enumerate(self.legs):
            self._check_leg(leg)
            params = leg.params if leg.params is not None else default_params(leg.symbol)
            if params.volatility != 0.0:
                raise InvalidInputError(
                    f"leg {leg.symbol}: params.volatility must be 0 (the common factor moves "
                    f"the price), got {params.volatility}"
                )
            market = SimulatedMarket(leg.symbol, seed=seed + index, params=params)
            tick = float(_parse_decimal("tick_size", params.tick_size))
            state = _LegState(leg, market, tick, math.log(market._fair_ticks * tick))
            self._states.append(state)
            epochs.add(market.time_ns)
        if len(epochs) != 1:
            raise InvalidInputError(
                "every leg must start at the same time: give them equal epoch_ms and warmup_s"
            )
        self._apply_prices()

    @staticmethod
    def _check_leg(leg: Leg) -> None:
        for name in ("beta", "spread_volatility"):
            value = getattr(leg, name)
            if not math.isfinite(value):
                raise InvalidInputError(f"leg {leg.symbol}: {name} must be finite, got {value}")
        if leg.spread_volatility < 0:
            raise InvalidInputError(f"leg {leg.symbol}: spread_volatility must be >= 0")
        if not (math.isfinite(leg.half_life_s) and leg.half_life_s > 0):
            raise InvalidInputError(
                f"leg {leg.symbol}: half_life_s must be a positive number of seconds, "
                f"got {leg.half_life_s}"
            )

    @classmethod
    def pair(
        cls,
        y: str = "ETH-USDT",
        x: str = "BTC-USDT",
        *,
        beta: float = 1.2,
        half_life_s: float = 600.0,
        spread_sd: float = 0.002,
        cointegrated: bool = True,
        seed: int = 7,
        factor_volatility: float = 0.5,
        step_s: float = 0.1,
    ) -> CorrelatedMarket:
        """A pair: ``x`` a pure factor leg, ``y`` loading ``beta`` with an OU spread.

        ``log y - beta log x`` is then an OU process of half-life ``half_life_s`` seconds and
        stationary standard deviation ``spread_sd`` (log units; 0.002 = 20 bps).
        ``cointegrated=False`` gives the uncorrelated pair: two independent random walks (own
        factors, no spread), with the same volatilities.
        """
        if not (math.isfinite(spread_sd) and spread_sd >= 0):
            raise InvalidInputError(f"spread_sd must be >= 0, got {spread_sd}")
        if not (math.isfinite(half_life_s) and half_life_s > 0):
            raise InvalidInputError(f"half_life_s must be positive, got {half_life_s}")
        kappa = math.log(2.0) / half_life_s
        if not cointegrated:  # two independent random walks, nothing stationary between them
            spread_sd = 0.0
        legs = [
            Leg(
                y,
                beta=beta,
                half_life_s=half_life_s,
                spread_volatility=spread_sd * math.sqrt(2 * kappa),
            ),
            Leg(x, beta=1.0),
        ]
        return cls(
            legs,
            seed=seed,
            factor_volatility=factor_volatility,
            step_s=step_s,
            common_factor=cointegrated,
        )

    # ---------------------------------------------------------------- the hidden prices

    @property
    def symbols(self) -> tuple[str, ...]:
        return tuple(leg.symbol for leg in self.legs)

    @property
    def markets(self) -> dict[str, SimulatedMarket]:
        """The legs' single-symbol markets by symbol (their books, instruments, counters)."""
        return {state.leg.symbol: state.market for state in self._states}

    def market(self, symbol: str) -> SimulatedMarket:
        for state in self._states:
            if state.leg.symbol == symbol:
                return state.market
        raise InvalidInputError(f"{symbol!r} is not a leg; legs are {list(self.symbols)}")

    @property
    def time_ns(self) -> int:
        """Simulated time, int64 ns since the Unix epoch (all legs stand at it)."""
        return self._states[0].market.time_ns

    def hidden_log_prices(self) -> dict[str, float]:
        """Each leg's efficient log price now (the truth the books follow)."""
        return {state.leg.symbol: self._log_price(state) for state in self._states}

    def _log_price(self, state: _LegState) -> float:
        factor = self.factor if self.common_factor else state.factor
        return state.log_p0 + state.leg.beta * factor + state.spread

    def _apply_prices(self) -> None:
        for state in self._states:
            ticks = math.exp(self._log_price(state)) / state.tick
            state.market._set_fair_ticks(max(1.0, ticks))

    def _step_prices(self) -> None:
        dt = self.step_s
        sd_factor = self.factor_volatility * math.sqrt(dt / SECONDS_PER_YEAR)
        draws = self._rng.standard_normal(1 + 2 * len(self._states))
        self.factor += sd_factor * draws[0]
        for k, state in enumerate(self._states):
            leg = state.leg
            decay = math.exp(-leg.kappa * dt)
            sd = leg.spread_volatility * math.sqrt((1.0 - decay * decay) / (2.0 * leg.kappa))
            state.spread = state.spread * decay + sd * draws[1 + 2 * k]
            state.factor += sd_factor * draws[2 + 2 * k]
        self._apply_prices()

    # ---------------------------------------------------------------- running

    def advance(self, seconds: float) -> None:
        """Run every leg for ``seconds`` of simulated time without publishing."""
        steps = self._steps(seconds)
        for state in self._states:  # as SimulatedMarket.advance: ends any live events()
            state.market._end_stream()
        for _ in range(steps):
            self._step_prices()
            for state in self._states:
                state.market.advance(seconds=self.step_s)

    def sample_mids(self, duration_s: float, interval_s: float = 1.0) -> np.ndarray:
        """Advance ``duration_s`` seconds and return the legs' book mids every ``interval_s``.

        An array of shape (samples, legs), float prices, in the order of :attr:`legs`; row k is
        taken after (k + 1) × ``interval_s`` seconds. ``interval_s`` must be a multiple of
        ``step_s``.
        """
        per = interval_s / self.step_s
        if not (math.isfinite(per) and per >= 1 and abs(per - round(per)) < 1e-9):
            raise InvalidInputError(
                f"interval_s ({interval_s}) must be a positive multiple of step_s ({self.step_s})"
            )
        n = self._steps(duration_s) // round(per)
        out = np.empty((n, len(self._states)))
        for row in range(n):
            self.advance(interval_s)
            for col, state in enumerate(self._states):
                bid, ask = state.market._best_ticks
                out[row, col] = 0.5 * (bid + ask) * state.tick if bid >= 0 and ask >= 0 else np.nan
        return out

    def _steps(self, seconds: float) -> int:
        if not (math.isfinite(seconds) and seconds >= 0):
            raise InvalidInputError(f"seconds must be >= 0, got {seconds}")
        return round(seconds / self.step_s)

    def _frames(
        self, channels: tuple[str, ...], checksum: bool, n: int | None, duration: float | None
    ) -> Iterator[TimedFrame]:
        steps = None if duration is None else self._steps(duration)
        markets = [state.market for state in self._states]
        tokens = [market._subscribe(channels, checksum) for market in markets]
        sent = 0
        step = 0
        while steps is None or step < steps:
            for market, token in zip(markets, tokens, strict=True):
                market._check_stream(token)
            self._step_prices()
            batch = [
                [(frame.ts_ns, index, frame) for frame in self._slice(market)]
                for index, market in enumerate(markets)
            ]
            for _, _, frame in heapq.merge(*batch):
                if n is not None and sent >= n:
                    return
                sent += 1
                yield frame
            step += 1

    def _slice(self, market: SimulatedMarket) -> list[TimedFrame]:
        """The leg's frames for the next ``step_s`` seconds (the engine stops exactly there)."""
        until = market.time_ns + self._step_ns
        out: list[TimedFrame] = []
        while True:
            out += market._generate(1 << 16, until)
            if market.time_ns >= until:
                return out

    def book_snapshot(self, symbol: str, depth: int = 400) -> BookSnapshot:
        """The true current book of one leg (see :meth:`SimulatedMarket.book_snapshot`)."""
        return self.market(symbol).book_snapshot(depth)

    def __repr__(self) -> str:
        return (
            f"CorrelatedMarket(symbols={list(self.symbols)}, seed={self.seed}, "
            f"common_factor={self.common_factor}, time_ns={self.time_ns})"
        )
