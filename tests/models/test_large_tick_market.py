"""On a large-tick book the queue ahead decides fills; on the small-tick BTC book it does not.

The large-tick simulated market (``MarketParams.large_tick``) trades its touch queues away, so a
limit order behind a long queue is filled less often than one near the front at the same
distance; the fitted fill model must show it, out of sample. The BTC-USDT preset's absence of
the effect is covered by ``test_on_simulated_market.py`` (reported there, not required).
"""

from __future__ import annotations

import json

import pytest

from tradecost.models import DatasetBuilder, frames_from_market
from tradecost.models.evaluate import demo_market, evaluate_fills, main_evaluate
from tradecost.sim import SimulatedMarket

DURATION_S = 900.0


@pytest.fixture(scope="module")
def built():
    demo = demo_market("large_tick")
    builder = DatasetBuilder(
        demo.params.tick_size,
        latency_ms=250.0,
        seed=7,
        size_range_usd=demo.size_range_usd,
        limit_size_range_usd=demo.limit_size_range_usd,
        distance_range_ticks=demo.distance_range_ticks,
        market_orders=False,
    )
    market = SimulatedMarket(demo.symbol, seed=7, params=demo.params)
    builder.feed_all(frames_from_market(market, DURATION_S))
    builder.finish()
    return builder.fill_dataset(), builder.fills_by_rule


@pytest.fixture(scope="module")
def report(built):
    return evaluate_fills(built[0], splits=2)


def test_queue_fills_are_common(built):
    rules = built[1]
    # on BTC-USDT 0.3 % of labelled fills come from the queue ahead being traded
    assert rules["queue_consumed"] > 0.3 * (rules["queue_consumed"] + rules["trade_through"])


def test_fill_probability_falls_as_queue_ahead_grows(report):
    assert report["monotonicity"]["log_queue_ratio"]["decreasing"]
    assert report["cloglog_weibull_coefficients"]["log_queue_ratio"] < 0


def test_queue_effect_at_fixed_distance(report):
    rows = {
        tuple(row["distance_ticks"]): row
        for row in report["monotonicity"]["queue_at_fixed_distance"]
    }
    for bucket in ((-2, 0), (1, 3)):
        low, high = rows[bucket]["model"]
        assert high < low, rows[bucket]
    # at the touch the front of the queue fills far more often than the back (model-free);
    # behind the touch a fill needs the price to move first, and fills are rare
    low, high = rows[(-2, 0)]["observed"]
    assert low > high + 0.15, rows[(-2, 0)]


def test_fill_probability_falls_with_distance_and_beats_baselines(report):
    assert report["monotonicity"]["distance_ticks"]["decreasing"]
    models = report["models"]
    for name in ("cloglog", "logit"):
        assert models[name]["brier"] < models["distance_only"]["brier"]
        assert models[name]["brier"] < models["base_rate"]["brier"]


def test_command_line_names_the_market_of_the_checks(capsys):
    argv = ["--demo", "--market", "large_tick", "--json", "--duration", "300", "--splits", "1"]
    assert main_evaluate(argv) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["source"]["market"] == "large_tick"
    assert out["source"]["symbol"] == "LTICK-USDT"
    assert "large_tick" in out["checks_computed_on"]
    assert set(out["source"]["fills_by_rule"]) == {"trade_through", "queue_consumed"}
    assert "fill_decreasing_in_queue" in out["checks"]


def test_unknown_market_is_rejected(capsys):
    with pytest.raises(SystemExit):
        main_evaluate(["--demo", "--market", "eth"])
