"""Base units at the API, book units in the book: swaps and futures are priced in contracts.

The oracle is a plain-Python walk over (price, base units) levels, written here from the
definition: a contract of BTC-USDT-SWAP is ctVal × ctMult = 0.01 BTC (OKX "Get instruments").
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import tradecost as tc
from tradecost.estimator import CostEstimator
from tradecost.feeds.okx.instruments import Instrument, bundled_instrument

ASKS = [("95000.1", "30"), ("95000.5", "40"), ("95001.0", "50"), ("95003.0", "500")]
BIDS = [("94999.9", "30"), ("94999.0", "60"), ("94990.0", "500")]


def swap_book() -> tc.OrderBook:
    book = tc.OrderBook("0.1", inst_id="BTC-USDT-SWAP")
    book.apply_snapshot([list(r) for r in BIDS], [list(r) for r in ASKS])  # sizes in contracts
    return book


def walk_in_base(levels: list[tuple[str, str]], quantity: float, contract: float):  # type: ignore[no-untyped-def]
    """(average price, levels touched) of an immediate order of ``quantity`` base units."""
    left, cost, touched = quantity, 0.0, 0
    for price_text, contracts_text in levels:
        price, base = float(price_text), float(contracts_text) * contract
        take = min(left, base)
        cost += take * price
        left -= take
        touched += 1
        if left <= 1e-12:
            break
    return cost / quantity, touched


def test_okx_swap_takes_the_contract_value_from_the_instrument():
    est = CostEstimator("okx", "BTC-USDT-SWAP", "Lv1", volatility=0.02, daily_volume_usd=1e9)
    assert est.contract_value == pytest.approx(0.01)
    book = swap_book()
    r = est.estimate(book, "buy", quantity=1.0)  # 100 contracts: 3 levels
    avg, touched = walk_in_base(ASKS, 1.0, 0.01)
    assert (r.levels, r.avg_price) == (touched, pytest.approx(avg, rel=1e-12))
    assert r.levels == 3 and r.complete
    assert r.slippage_bps == pytest.approx((avg - book.mid) / book.mid * 1e4, rel=1e-9)


def test_quote_sized_order_on_a_swap_book_walks_base_units():
    est = CostEstimator("okx", "BTC-USDT-SWAP", "Lv1", volatility=0.02, daily_volume_usd=1e9)
    book = swap_book()
    usd = 100_000.0
    r = est.estimate(book, "buy", usd)
    avg, touched = walk_in_base(ASKS, usd / book.mid, 0.01)
    assert r.quantity == pytest.approx(usd / book.mid)
    assert r.levels == touched == 3
    assert r.avg_price == pytest.approx(avg, rel=1e-12)


def test_explicit_contract_value_still_wins():
    est = CostEstimator(
        "okx", "BTC-USDT-SWAP", "Lv1", volatility=0.02, daily_volume_usd=1e9, contract_value=1.0
    )
    r = est.estimate(swap_book(), "buy", quantity=1.0)  # 1 "contract": the touch alone
    assert est.contract_value == 1.0 and r.levels == 1


def test_instrument_argument_and_spot_default():
    eth = bundled_instrument("ETH-USDT-SWAP")
    assert eth.contract_multiplier == pytest.approx(0.1)
    est = CostEstimator("okx", "BTC-USDT-SWAP", "Lv1", volatility=0.02, instrument=eth)
    assert est.contract_value == pytest.approx(0.1)
    assert CostEstimator("okx", "BTC-USDT", "Lv1").contract_value == 1.0
    # a spot pair the bundled list does not know is still base units
    assert CostEstimator("okx", "NEWCOIN-USDT", "Lv1").contract_value == 1.0


def test_unknown_derivative_asks_for_its_contract_value():
    with pytest.raises(tc.InvalidInputError, match="contract_value="):
        CostEstimator("okx", "NEWCOIN-USDT-SWAP", "Lv1")


def test_inverse_contract_converts_at_the_mid():
    # BTC-USD-SWAP: ctVal 100 USD, so 1 BTC at ~95,000 is ~950 contracts
    inverse = bundled_instrument("BTC-USD-SWAP")
    assert inverse.is_inverse
    est = CostEstimator("okx", "BTC-USD-SWAP", "Lv1", volatility=0.02, daily_volume_usd=1e9)
    book = swap_book()
    assert est.book_units_per_base(book.mid) == pytest.approx(book.mid / 100.0)
    r = est.estimate(book, "sell", 8_000.0)  # 80 contracts of 100 USD: two bid levels
    assert r.levels == 2 and r.complete


def test_observe_trade_takes_base_units_as_trade_events_carry_them():
    """TradeEvent.size is already base units (the protocol converts contracts with ctVal):
    the estimator must not multiply it by the contract value again."""
    est = CostEstimator("okx", "BTC-USDT-SWAP", "Lv1", volatility=0.02, contract_value=0.01)
    for second in range(61):
        est.observe_trade(second * 1_000_000_000, 95_000.0, 0.5)  # 0.5 BTC = 50 contracts
    per_second = 61 * 0.5 * 95_000.0 / 60.0
    assert est.daily_volume_usd == pytest.approx(per_second * 86_400, rel=1e-9)


def test_protocol_trade_event_and_estimator_agree_on_units():
    from tradecost.feeds.okx.protocol import OKXProtocol

    protocol = OKXProtocol(["BTC-USDT-SWAP"], trades=True)
    frame = (
        '{"arg":{"channel":"trades","instId":"BTC-USDT-SWAP"},"data":[{"instId":"BTC-USDT-SWAP",'
        '"tradeId":"1","px":"95000","sz":"50","side":"buy","ts":"1700000000000"}]}'
    )
    (event,) = protocol.receive(frame, 1)
    assert event.contracts == 50.0 and event.size == pytest.approx(0.5)


def test_curve_on_a_swap_book_matches_single_estimates():
    est = CostEstimator("okx", "BTC-USDT-SWAP", "Lv1", volatility=0.02, daily_volume_usd=1e9)
    book = swap_book()
    sizes = np.array([1_000.0, 50_000.0, 150_000.0])
    curve = est.estimate_curve(book, "buy", sizes)
    for i, usd in enumerate(sizes):
        r = est.estimate(book, "buy", float(usd))
        assert curve.slippage_bps[i] == pytest.approx(r.slippage_bps, rel=1e-9)
        assert curve.fee_bps[i] == pytest.approx(r.fee_bps, rel=1e-12)
        assert curve.net_cost_bps[i] == pytest.approx(r.net_cost_bps, rel=1e-9)


def test_instrument_record_round_trip_keeps_the_contract_value():
    row = bundled_instrument("BTC-USDT-SWAP").to_okx()
    assert math.isclose(Instrument.from_okx(row).contract_multiplier, 0.01)


def test_the_feeds_instrument_replaces_the_bundled_one_unless_explicit():
    # the simulated exchange lists ETH-USDT-SWAP with ctVal 0.01 ETH; the 2022 bundle says 0.1
    served = Instrument.from_okx(
        {"instId": "ETH-USDT-SWAP", "instType": "SWAP", "tickSz": "0.01", "lotSz": "1",
         "ctVal": "0.01", "ctMult": "1", "ctType": "linear", "ctValCcy": "ETH"}
    )  # fmt: skip
    est = CostEstimator("okx", "ETH-USDT-SWAP", "Lv1", volatility=0.02)
    assert est.contract_value == pytest.approx(0.1)
    est.use_instrument(served)
    assert est.contract_value == pytest.approx(0.01)
    assert est.book_units_per_base(3000.0) == pytest.approx(100.0)
    pinned = CostEstimator("okx", "ETH-USDT-SWAP", "Lv1", volatility=0.02, contract_value=0.5)
    pinned.use_instrument(served)
    assert pinned.contract_value == 0.5
