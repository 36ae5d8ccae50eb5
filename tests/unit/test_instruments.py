"""One venue-neutral Instrument: both venues' instrument modules build it, checked against the
bundled REST replies read here with json (not through the parsers under test)."""

from __future__ import annotations

import json
from decimal import Decimal
from importlib import resources

import pytest

import tradecost
from tradecost.errors import InvalidInputError
from tradecost.estimator import CostEstimator
from tradecost.feeds.binance.instruments import bundled_binance_instruments
from tradecost.feeds.okx.instruments import (
    bundled_instrument,
    instrument_from_okx,
    instrument_to_okx,
)
from tradecost.instruments import Instrument, inst_type_of, kind_of


def _okx_rows() -> dict[str, dict[str, str]]:
    text = resources.files("tradecost").joinpath("data/okx_instruments.json").read_text()
    return {row["instId"]: row for row in json.loads(text)["instruments"]}


def _binance_rows(market: str) -> dict[str, dict[str, object]]:
    text = resources.files("tradecost").joinpath("data/binance_exchange_info.json").read_text()
    return {row["symbol"]: row for row in json.loads(text)[market]["symbols"]}


def test_every_public_path_names_the_same_class():
    from tradecost.feeds import okx
    from tradecost.feeds.binance import instruments as binance_instruments
    from tradecost.feeds.okx import instruments as okx_instruments

    assert tradecost.Instrument is Instrument
    assert okx.Instrument is Instrument
    assert okx_instruments.Instrument is Instrument
    assert binance_instruments.Instrument is Instrument


@pytest.mark.parametrize("inst_id", ["BTC-USDT", "BTC-USDT-SWAP", "BTC-USD-SWAP", "ETH-USDT-SWAP"])
def test_okx_records_read_like_the_reply(inst_id: str):
    row = _okx_rows()[inst_id]
    instrument = bundled_instrument(inst_id)
    assert isinstance(instrument, Instrument)
    assert instrument.venue == "okx"
    assert instrument.symbol == inst_id
    assert instrument.tick_size == Decimal(row["tickSz"])
    assert instrument.step_size == instrument.lot_size == Decimal(row["lotSz"])
    expected_kind = {"SPOT": "spot", "SWAP": "swap", "FUTURES": "future"}[row["instType"]]
    assert instrument.kind == expected_kind
    if row["instType"] == "SPOT":
        assert instrument.contract_value_base == 1.0
    elif row["ctType"] == "inverse":
        assert instrument.contract_value_base is None
        assert instrument.contract_multiplier == float(row["ctVal"]) * float(row["ctMult"])
    else:
        assert instrument.contract_value_base == float(row["ctVal"]) * float(row["ctMult"])
    assert instrument.settle_ccy == row.get("settleCcy", "")


@pytest.mark.parametrize(("market", "symbol"), [("spot", "BTCUSDT"), ("usdm", "BTCUSDT")])
def test_binance_records_read_like_the_reply(market: str, symbol: str):
    row = _binance_rows(market)[symbol]
    filters = {f["filterType"]: f for f in row["filters"]}  # type: ignore[attr-defined]
    instrument = bundled_binance_instruments(market)[symbol]
    assert isinstance(instrument, Instrument)
    assert instrument.venue == "binance"
    assert instrument.symbol == symbol
    assert instrument.kind == ("spot" if market == "spot" else "swap")
    assert instrument.tick_size == Decimal(filters["PRICE_FILTER"]["tickSize"])
    assert instrument.step_size == Decimal(filters["LOT_SIZE"]["stepSize"])
    assert instrument.contract_value_base == 1.0  # Binance books are in base units
    assert not instrument.is_contract
    assert instrument.to_base(2.5) == 2.5


def test_okx_row_round_trips_and_the_old_class_methods_still_work():
    row = _okx_rows()["BTC-USDT-SWAP"]
    instrument = instrument_from_okx(row)
    assert Instrument.from_okx(row) == instrument
    assert instrument.to_okx() == instrument_to_okx(instrument)
    assert instrument_from_okx(instrument.to_okx()) == instrument


def test_venue_does_not_take_part_in_equality():
    fields = dict(
        inst_id="X-Y",
        inst_type="SPOT",
        tick_size=Decimal("0.1"),
        lot_size=Decimal("1"),
        min_size=Decimal("1"),
    )
    assert Instrument(**fields, venue="okx") == Instrument(**fields)  # type: ignore[arg-type]


def test_unknown_type_has_no_kind():
    instrument = Instrument("X", "WARRANT", Decimal("1"), Decimal("1"), Decimal("1"))
    with pytest.raises(InvalidInputError, match="unknown instrument type"):
        _ = instrument.kind


CASES = [
    ("BTC-USDT", "SPOT", "spot"),
    ("BTC-USDT-SWAP", "SWAP", "swap"),
    ("btc-usd-swap", "SWAP", "swap"),
    ("BTC-USD-250328", "FUTURES", "future"),
    ("BTC-USD-250328-30000-C", "OPTION", "option"),
    ("BTCUSDT", "SPOT", "spot"),
]


@pytest.mark.parametrize(("symbol", "inst_type", "kind"), CASES)
def test_instrument_types_are_guessed_in_one_place(symbol: str, inst_type: str, kind: str):
    from tradecost.feeds.okx.instruments import inst_type_of as okx_inst_type_of

    assert okx_inst_type_of is inst_type_of
    assert inst_type_of(symbol) == inst_type
    assert kind_of(symbol) == kind
    # The estimator's fee-table market follows the same guess.
    market = CostEstimator(
        "okx", symbol, volatility=0.02, daily_volume_usd=1e9, contract_value=0.01
    ).market
    assert (
        market == {"spot": "spot", "swap": "swap", "future": "futures", "option": "futures"}[kind]
    )


@pytest.mark.parametrize("field", ["tickSz", "lotSz"])
@pytest.mark.parametrize("value", ["0", "-0.1", ""])
def test_okx_rows_need_a_positive_grid_and_the_error_names_the_field(field: str, value: str):
    row = dict(_okx_rows()["BTC-USDT"], **{field: value})
    with pytest.raises(InvalidInputError, match=f"instrument 'BTC-USDT': {field} must be positive"):
        instrument_from_okx(row)


@pytest.mark.parametrize(
    ("filter_type", "field"), [("PRICE_FILTER", "tickSize"), ("LOT_SIZE", "stepSize")]
)
@pytest.mark.parametrize("value", ["0", "-1", None])
def test_binance_rows_need_a_positive_grid_and_the_error_names_the_filter(
    filter_type: str, field: str, value: str | None
):
    from tradecost.feeds.binance.instruments import instrument_from_binance

    row = json.loads(json.dumps(_binance_rows("spot")["BTCUSDT"]))
    for entry in row["filters"]:
        if entry["filterType"] == filter_type:
            if value is None:
                del entry[field]
            else:
                entry[field] = value
    with pytest.raises(InvalidInputError, match=f"'BTCUSDT': {filter_type}.{field} must be"):
        instrument_from_binance(row, "spot")


def test_a_missing_minimum_size_is_one_lot_on_both_venues():
    from tradecost.feeds.binance.instruments import instrument_from_binance

    okx_row = dict(_okx_rows()["BTC-USDT"], minSz="")
    assert instrument_from_okx(okx_row).min_size == Decimal(okx_row["lotSz"])
    binance_row = json.loads(json.dumps(_binance_rows("spot")["BTCUSDT"]))
    for entry in binance_row["filters"]:
        if entry["filterType"] == "LOT_SIZE":
            del entry["minQty"]
            step = Decimal(entry["stepSize"]).normalize()
    assert instrument_from_binance(binance_row, "spot").min_size == step
