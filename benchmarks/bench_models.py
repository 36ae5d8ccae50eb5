"""Cost-model benchmarks (pytest-benchmark medians; no timing assertions).

Run: PYTHONPATH=src python -m pytest benchmarks/bench_models.py -p no:cacheprovider --benchmark-only
"""

from __future__ import annotations

import numpy as np
import pytest

from tradecost import AlmgrenChriss, FeeSchedule, SquareRootImpact

PAPER = AlmgrenChriss(sigma=0.95, eta=2.5e-6, gamma=2.5e-7, epsilon=1 / 16, risk_aversion=1e-6)
CRYPTO = AlmgrenChriss.calibrate(
    price=60_000.0,
    daily_volume=20e9 / 60_000.0,
    daily_volatility=0.03,
    spread=6.0,
    risk_aversion=1e-6,
    time_unit="minute",
)
LAMBDAS = np.geomspace(1e-9, 1e-3, 1000)


def test_schedule_paper_example(benchmark):
    schedule = benchmark(PAPER.schedule, 1e6, 5.0, 5)
    assert round(schedule.expected_cost, 1) == 911_227.0


def test_schedule_crypto_60_minute_slices(benchmark):
    schedule = benchmark(CRYPTO.schedule, 10.0, 60.0, 60)
    assert schedule.holdings.shape == (61,)


def test_frontier_1000_lambdas(benchmark):
    frontier = benchmark(PAPER.frontier, 1e6, 5.0, 5, LAMBDAS)
    assert frontier.expected_cost.shape == (1000,)


def test_expected_cost_of_trajectory(benchmark):
    holdings = PAPER.twap(1e6, 5.0, 5).holdings
    cost = benchmark(PAPER.expected_cost, holdings, 5.0)
    assert cost == pytest.approx(662_500.0)


def test_fee_one_order(benchmark):
    fees = FeeSchedule.for_exchange("okx", market="spot", tier="VIP1")
    fee = benchmark(fees.fee, 100.0, 0.25)
    assert fee == pytest.approx(100.0 * (0.25 * 0.00045 + 0.75 * 0.0005))


def test_fee_schedule_lookup(benchmark):
    fees = benchmark(FeeSchedule.for_exchange, "okx", "spot", "VIP1")
    assert fees.taker == 0.0005


def test_square_root_impact_one_order(benchmark):
    law = SquareRootImpact(0.03, 20e9 / 60_000.0)
    impact = benchmark(law.immediate_impact, 10.0, 60_000.0)
    assert impact.model == "square_root"


def test_immediate_impact_linear(benchmark):
    impact = benchmark(CRYPTO.immediate_impact, 10.0, 60_000.0)
    assert impact.model == "almgren_chriss_linear"
