"""One rule for sizes: the book and walk_book speak the exchange's units (contracts for swaps),
everything above them speaks base units, and CostEstimator converts between them."""

from __future__ import annotations

import pytest

import tradecost as tc


def contract_book() -> tc.OrderBook:
    book = tc.OrderBook("0.1", inst_id="BTC-USDT-SWAP")
    book.apply_snapshot([["94999.9", "500"]], [["95000.1", "40"], ["95000.5", "70"]])
    return book


def test_walk_book_quantity_is_in_book_size_units_as_documented():
    doc = tc.walk_book.__doc__ or ""
    assert "book size units" in doc and "contracts" in doc
    fill = tc.walk_book(contract_book(), "buy", quantity=100.0)  # 100 contracts
    assert fill.quantity == 100.0 and fill.levels == 2
    assert fill.notional == pytest.approx(40 * 95000.1 + 60 * 95000.5)


def test_estimator_converts_base_units_to_contracts_in_one_place():
    book = contract_book()
    est = tc.CostEstimator("okx", "BTC-USDT-SWAP", "Lv1", volatility=0.02, daily_volume_usd=1e9)
    per_base = est.book_units_per_base(book.mid)
    assert per_base == pytest.approx(100.0)
    r = est.estimate(book, "buy", quantity=1.0)
    fill = tc.walk_book(book, "buy", quantity=1.0 * per_base)
    assert r.avg_price == pytest.approx(fill.avg_price, rel=1e-12) and r.levels == fill.levels


def test_missing_target_names_the_units():
    with pytest.raises(tc.InvalidInputError, match="book size units"):
        tc.walk_book(contract_book(), "buy")
