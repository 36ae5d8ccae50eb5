"""The correlated market: beta and half-life come back out of the books, within sampling error.

Oracles: statsmodels OLS (the cointegrating regression, the AR(1) of the spread) and
``statsmodels.tsa.stattools.coint``; the sampling error of each estimate is measured by Monte
Carlo on the hidden model alone, simulated here with numpy (no order books), so the tolerance is
the estimator's own spread, not a number picked to pass.
"""

from __future__ import annotations

import asyncio
import json
import math
from decimal import Decimal

import numpy as np
import pytest
import statsmodels.api as sm
from statsmodels.tsa.stattools import coint
from websockets.asyncio.client import connect

from tradecost.errors import InvalidInputError
from tradecost.sim import MarketParams, SimulatedExchange
from tradecost.sim.correlated import CorrelatedMarket, Leg

BETA = 1.3
HALF_LIFE_S = 20.0
SPREAD_SD = 0.002
FACTOR_VOLATILITY = 1.0
DURATION_S = 3600.0
SECONDS_PER_YEAR = 365.0 * 86_400.0


def _estimates(log_y: np.ndarray, log_x: np.ndarray) -> tuple[float, float]:
    """(beta from the levels regression, AR(1) coefficient of log y - BETA log x) at 1 s."""
    beta = float(sm.OLS(log_y, sm.add_constant(log_x)).fit().params[1])
    spread = log_y - BETA * log_x
    phi = float(sm.OLS(spread[1:], sm.add_constant(spread[:-1])).fit().params[1])
    return beta, phi


def _monte_carlo_sd(replicates: int = 300) -> tuple[float, float]:
    """Standard deviations of the two estimates over replicates of the hidden model alone."""
    rng = np.random.default_rng(12345)
    n = int(DURATION_S)
    kappa = math.log(2.0) / HALF_LIFE_S
    decay = math.exp(-kappa)
    betas, phis = [], []
    for _ in range(replicates):
        factor = np.cumsum(rng.standard_normal(n) * FACTOR_VOLATILITY / math.sqrt(SECONDS_PER_YEAR))
        shocks = rng.standard_normal(n) * SPREAD_SD * math.sqrt(1.0 - decay**2)
        spread = np.empty(n)
        level = 0.0
        for k in range(n):
            level = level * decay + shocks[k]
            spread[k] = level
        log_x = math.log(95_000.0) + factor
        log_y = math.log(3_500.0) + BETA * factor + spread
        beta, phi = _estimates(log_y, log_x)
        betas.append(beta)
        phis.append(phi)
    return float(np.std(betas)), float(np.std(phis))


def _pair(*, cointegrated: bool, seed: int = 5) -> CorrelatedMarket:
    return CorrelatedMarket.pair(
        "ETH-USDT",
        "BTC-USDT",
        beta=BETA,
        half_life_s=HALF_LIFE_S,
        spread_sd=SPREAD_SD,
        cointegrated=cointegrated,
        factor_volatility=FACTOR_VOLATILITY,
        seed=seed,
    )


@pytest.fixture(scope="module")
def mids() -> np.ndarray:
    return _pair(cointegrated=True).sample_mids(DURATION_S, 1.0)


def test_beta_and_half_life_recovered_from_the_mids(mids: np.ndarray) -> None:
    assert mids.shape == (int(DURATION_S), 2)
    beta_sd, phi_sd = _monte_carlo_sd()
    beta, phi = _estimates(np.log(mids[:, 0]), np.log(mids[:, 1]))
    true_phi = math.exp(-math.log(2.0) / HALF_LIFE_S)
    assert abs(beta - BETA) < 4 * beta_sd, (beta, beta_sd)
    assert abs(phi - true_phi) < 4 * phi_sd, (phi, true_phi, phi_sd)
    half_life = -math.log(2.0) / math.log(phi)
    assert half_life == pytest.approx(HALF_LIFE_S, rel=0.25)


def test_the_pair_is_cointegrated(mids: np.ndarray) -> None:
    _, pvalue, _ = coint(np.log(mids[:, 0]), np.log(mids[:, 1]))
    assert pvalue < 0.01


def test_mids_follow_the_hidden_prices() -> None:
    market = _pair(cointegrated=True, seed=2)
    for _ in range(60):
        sample = market.sample_mids(1.0, 1.0)[0]
        hidden = market.hidden_log_prices()
        for value, symbol in zip(sample, market.symbols, strict=True):
            # a few ticks of microstructure noise, far below the spread's 20 bps
            assert abs(math.log(value) - hidden[symbol]) < 2e-4


def test_the_uncorrelated_pair_is_not_cointegrated() -> None:
    mids = _pair(cointegrated=False).sample_mids(DURATION_S, 1.0)
    log_y, log_x = np.log(mids[:, 0]), np.log(mids[:, 1])
    _, pvalue, _ = coint(log_y, log_x)
    assert pvalue > 0.05
    returns = np.corrcoef(np.diff(log_y), np.diff(log_x))[0, 1]
    assert abs(returns) < 4 / math.sqrt(len(log_y))  # zero within sampling error


def test_returns_of_the_cointegrated_pair_are_correlated(mids: np.ndarray) -> None:
    log_y, log_x = np.log(mids[:, 0]), np.log(mids[:, 1])
    assert np.corrcoef(np.diff(log_y[::60]), np.diff(log_x[::60]))[0, 1] > 0.5


def _best(side: dict[Decimal, str], highest: bool) -> Decimal:
    return max(side) if highest else min(side)


def test_books_never_cross_and_end_at_the_true_book() -> None:
    market = _pair(cointegrated=True, seed=9)
    books: dict[str, tuple[dict[Decimal, str], dict[Decimal, str]]] = {}
    last_ts = 0
    trades = 0
    for event in market.events(duration=60.0):
        assert event.ts_ns >= last_ts
        last_ts = event.ts_ns
        message = json.loads(event.frame)
        inst_id = message["arg"]["instId"]
        if event.channel == "trades":
            trades += 1
            continue
        data = message["data"][0]
        if message["action"] == "snapshot":
            books[inst_id] = ({}, {})
        bids, asks = books[inst_id]
        for rows, side in ((data["bids"], bids), (data["asks"], asks)):
            for price, size, *_ in rows:
                if Decimal(size) == 0:
                    side.pop(Decimal(price), None)
                else:
                    side[Decimal(price)] = size
        assert _best(bids, True) < _best(asks, False)
    assert set(books) == {"ETH-USDT", "BTC-USDT"}
    assert trades > 100
    for symbol, (bids, asks) in books.items():
        truth = market.book_snapshot(symbol)
        assert [(Decimal(p), s) for p, s, *_ in truth.bids] == sorted(bids.items(), reverse=True)[
            :400
        ]
        assert [(Decimal(p), s) for p, s, *_ in truth.asks] == sorted(asks.items())[:400]


def test_deterministic_given_a_seed() -> None:
    first = list(_pair(cointegrated=True, seed=4).messages(n=3000))
    again = list(_pair(cointegrated=True, seed=4).messages(n=3000))
    other = list(_pair(cointegrated=True, seed=6).messages(n=3000))
    assert first == again
    assert first != other


def test_three_legs_share_the_factor() -> None:
    legs = [
        Leg("BTC-USDT", beta=1.0),
        Leg("ETH-USDT", beta=1.2, half_life_s=30.0, spread_volatility=0.0004),
        Leg("SOL-USDT", beta=1.5, half_life_s=30.0, spread_volatility=0.0004),
    ]
    market = CorrelatedMarket(legs, seed=3, factor_volatility=1.0)
    mids = np.log(market.sample_mids(1800.0, 1.0))
    for column in (1, 2):
        _, pvalue, _ = coint(mids[:, column], mids[:, 0])
        assert pvalue < 0.01


def test_bad_arguments_raise_clear_errors() -> None:
    with pytest.raises(InvalidInputError, match="volatility must be 0"):
        CorrelatedMarket([Leg("BTC-USDT", params=MarketParams())])
    with pytest.raises(InvalidInputError, match="distinct"):
        CorrelatedMarket([Leg("BTC-USDT"), Leg("BTC-USDT")])
    with pytest.raises(InvalidInputError, match="half_life_s"):
        CorrelatedMarket([Leg("BTC-USDT", half_life_s=0.0)])
    with pytest.raises(InvalidInputError, match="multiple of step_s"):
        _pair(cointegrated=True).sample_mids(10.0, 0.15)
    with pytest.raises(InvalidInputError, match="not a leg"):
        _pair(cointegrated=True).market("XRP-USDT")


def test_the_okx_exchange_serves_every_leg() -> None:
    """The default (OKX) SimulatedExchange takes a CorrelatedMarket as its source."""

    async def scenario() -> dict[str, int]:
        source = _pair(cointegrated=True, seed=8)
        async with (
            SimulatedExchange(source, limit=400) as ex,
            connect(ex.url, max_queue=None) as ws,
        ):
            args = [{"channel": "books", "instId": s} for s in ("ETH-USDT", "BTC-USDT")]
            await ws.send(json.dumps({"op": "subscribe", "args": args}))
            counts: dict[str, int] = {}
            while sum(counts.values()) < 20:
                message = json.loads(await ws.recv())
                if message.get("action") in ("snapshot", "update"):
                    inst_id = message["arg"]["instId"]
                    counts[inst_id] = counts.get(inst_id, 0) + 1
            return counts

    counts = asyncio.run(asyncio.wait_for(scenario(), 30.0))
    assert set(counts) == {"ETH-USDT", "BTC-USDT"}
