"""FeeSchedule: built-in tables per exchange and tier, rebates, discounts, contracts, OKX API."""

from __future__ import annotations

import itertools
import json
import math
import warnings
from importlib import resources

import pytest
from hypothesis import given
from hypothesis import strategies as st

import tradecost as tc
from tradecost import FeeSchedule
from tradecost.errors import InvalidInputError, UnknownFeeScheduleError, UnverifiedFeeTableWarning

# Expected rates in percent, (maker, taker), from the sources cited in the data files.
OKX_SPOT = {
    "Lv1": (0.080, 0.100),
    "VIP1": (0.045, 0.050),
    "VIP2": (0.040, 0.045),
    "VIP3": (0.030, 0.040),
    "VIP4": (0.020, 0.035),
    "VIP5": (0.000, 0.030),
    "VIP6": (-0.002, 0.025),
    "VIP7": (-0.005, 0.020),
    "VIP8": (-0.005, 0.015),
}
BINANCE_SPOT = dict(
    zip(
        [f"VIP{i}" for i in range(10)],
        [
            (0.1000, 0.1000),
            (0.0900, 0.1000),
            (0.0800, 0.1000),
            (0.0420, 0.0600),
            (0.0420, 0.0540),
            (0.0360, 0.0480),
            (0.0300, 0.0420),
            (0.0240, 0.0360),
            (0.0180, 0.0300),
            (0.0120, 0.0240),
        ],
        strict=True,
    )
)
BINANCE_USDM = dict(
    zip(
        [f"VIP{i}" for i in range(10)],
        [
            (0.0200, 0.0500),
            (0.0160, 0.0400),
            (0.0140, 0.0350),
            (0.0120, 0.0320),
            (0.0100, 0.0300),
            (0.0080, 0.0270),
            (0.0060, 0.0250),
            (0.0040, 0.0220),
            (0.0020, 0.0200),
            (0.0000, 0.0170),
        ],
        strict=True,
    )
)
BYBIT_TIERS = ["VIP0", "VIP1", "VIP2", "VIP3", "VIP4", "VIP5", "Supreme"]
# The Bybit help centre lists taker/maker; these are (maker, taker).
BYBIT_SPOT = dict(
    zip(
        BYBIT_TIERS,
        [
            (0.1000, 0.1000),
            (0.0675, 0.0800),
            (0.0650, 0.0775),
            (0.0625, 0.0750),
            (0.0500, 0.0600),
            (0.0400, 0.0500),
            (0.0300, 0.0450),
        ],
        strict=True,
    )
)
BYBIT_PERP = dict(
    zip(
        BYBIT_TIERS,
        [
            (0.0200, 0.0550),
            (0.0180, 0.0400),
            (0.0160, 0.0375),
            (0.0140, 0.0350),
            (0.0120, 0.0320),
            (0.0100, 0.0320),
            (0.0000, 0.0300),
        ],
        strict=True,
    )
)
CASES = (
    [("okx", "spot", t, r) for t, r in OKX_SPOT.items()]
    + [("okx", "swap", "Lv1", (0.020, 0.050))]
    + [("binance", "spot", t, r) for t, r in BINANCE_SPOT.items()]
    + [("binance", "usdm", t, r) for t, r in BINANCE_USDM.items()]
    + [("bybit", "spot", t, r) for t, r in BYBIT_SPOT.items()]
    + [("bybit", "perp", t, r) for t, r in BYBIT_PERP.items()]
)


@pytest.mark.parametrize(("exchange", "market", "tier", "percent"), CASES)
def test_builtin_rates_to_the_digit(exchange, market, tier, percent):
    fees = FeeSchedule.for_exchange(exchange, market=market, tier=tier)
    # the double nearest the decimal fraction, not percent * 0.01 with its rounding residue
    assert fees.maker == float(f"{percent[0] / 100:.6f}")
    assert fees.taker == float(f"{percent[1] / 100:.6f}")
    assert (fees.exchange, fees.market, fees.tier) == (exchange, market, tier)
    assert fees.verified
    assert fees.sources
    assert fees.fee(10_000.0) == pytest.approx(10_000.0 * percent[1] / 100, rel=1e-12)
    assert fees.fee(10_000.0, maker_fraction=1.0) == pytest.approx(
        10_000.0 * percent[0] / 100, rel=1e-12, abs=1e-12
    )


def test_design_contract_example():
    fees = tc.FeeSchedule.for_exchange("okx", market="spot", tier="VIP1")
    assert (fees.maker, fees.taker) == (0.00045, 0.0005)
    assert fees.fee(100.0) == pytest.approx(0.05)
    assert tc.FeeSchedule.tiers("okx", "spot") == tuple(OKX_SPOT)


def test_tier_lists_and_defaults():
    assert FeeSchedule.tiers("binance", "spot") == tuple(BINANCE_SPOT)
    assert FeeSchedule.tiers("bybit", "perp") == tuple(BYBIT_TIERS)
    assert FeeSchedule.tiers("okx", "swap") == ("Lv1",)
    assert FeeSchedule.exchanges() == ("binance", "bybit", "coinbase", "kraken", "okx")
    assert FeeSchedule.markets("okx") == ("spot", "swap")
    assert FeeSchedule.for_exchange("okx").tier == "Lv1"
    assert FeeSchedule.for_exchange("binance", "usdm").tier == "VIP0"


@pytest.mark.parametrize(
    ("exchange", "market", "tier", "canonical"),
    [
        ("OKX", "SPOT", "lv1", ("okx", "spot", "Lv1")),
        ("okx", "spot", "vip8", ("okx", "spot", "VIP8")),
        (" Okx ", "Perpetual", "LV1", ("okx", "swap", "Lv1")),
        ("Binance", "USDS-M", "vip3", ("binance", "usdm", "VIP3")),
        ("binance", "futures", "VIP9", ("binance", "usdm", "VIP9")),
        ("BYBIT", "linear", "supreme", ("bybit", "perp", "Supreme")),
    ],
)
def test_names_are_case_insensitive_and_aliased(exchange, market, tier, canonical):
    fees = FeeSchedule.for_exchange(exchange, market=market, tier=tier)
    assert (fees.exchange, fees.market, fees.tier) == canonical


def test_rebates_are_negative():
    vip7 = FeeSchedule.for_exchange("okx", "spot", "VIP7")
    assert vip7.maker == -0.00005
    assert vip7.fee(1_000_000.0, maker_fraction=1.0) == pytest.approx(-50.0)
    # 60 % passive: 0.6·(−0.005 %) + 0.4·0.020 % = 0.005 %
    assert vip7.fee(1_000_000.0, maker_fraction=0.6) == pytest.approx(50.0)
    assert vip7.fee_bps(0.6) == pytest.approx(0.5)
    assert vip7.rate(0.6) == pytest.approx(0.00005)


def test_bnb_discount():
    spot = FeeSchedule.for_exchange("binance", "spot", "VIP0", discount="bnb")
    assert (spot.maker, spot.taker) == (0.00075, 0.00075)
    assert spot.discount == "bnb"
    futures = FeeSchedule.for_exchange("binance", "usdm", "VIP0", discount="BNB")
    assert (futures.maker, futures.taker) == (0.00018, 0.00045)
    free = FeeSchedule.for_exchange("binance", "usdm", "VIP9", discount="bnb")
    assert free.maker == 0.0
    with pytest.raises(UnknownFeeScheduleError, match="discount"):
        FeeSchedule.for_exchange("okx", "spot", "Lv1", discount="bnb")


def test_discount_never_shrinks_a_rebate(tmp_path):
    table = {
        "exchange": "venue",
        "unit": "bps",
        "markets": {
            "spot": {
                "tiers": {"MM": {"maker": -1, "taker": 4}},
                "discounts": {"token": {"factor": 0.5}},
            }
        },
    }
    path = tmp_path / "venue.json"
    path.write_text(json.dumps(table))
    fees = FeeSchedule.from_file(path, tier="mm", discount="token")
    assert (fees.maker, fees.taker) == (-0.0001, 0.0002)
    assert not fees.verified  # a user's file carries no verification claim


def test_swap_contract_notional_and_fee():
    # BTC-USDT-SWAP: ctVal 0.01 BTC, ctMult 1 (OKX instruments). 25 contracts at 95,000 USDT.
    notional = FeeSchedule.contract_notional(25, 95_000.0, contract_value=0.01)
    assert notional == pytest.approx(23_750.0)
    swap = FeeSchedule.for_exchange("okx", "swap", "Lv1")
    assert swap.contract_fee(25, 95_000.0, 0.01) == pytest.approx(23_750.0 * 0.0005)
    assert swap.contract_fee(25, 95_000.0, 0.01, maker_fraction=1.0) == pytest.approx(4.75)
    # inverse BTC-USD-SWAP: ctVal 100 USD, notional independent of price
    assert FeeSchedule.contract_notional(3, 0.0, 100.0, inverse=True) == 300.0
    with pytest.raises(InvalidInputError, match="contract_value"):
        FeeSchedule.contract_notional(1, 95_000.0, 0.0)
    with pytest.raises(InvalidInputError, match="contracts"):
        FeeSchedule.contract_notional(-1, 95_000.0, 0.01)
    with pytest.raises(InvalidInputError, match="price"):
        FeeSchedule.contract_notional(1, math.nan, 0.01)


def test_okx_api_sign_convention_converted():
    # The docs' example: Lv1 spot, API says maker "-0.0008", taker "-0.001" (negative = charge).
    response = {
        "code": "0",
        "msg": "",
        "data": [
            {
                "category": "1",
                "instType": "SPOT",
                "level": "Lv1",
                "maker": "-0.0008",
                "taker": "-0.001",
                "makerU": "",
                "takerU": "",
                "ts": "1608623351857",
            }
        ],
    }
    fees = FeeSchedule.from_okx_trade_fee(response)
    table = FeeSchedule.for_exchange("okx", "spot", "Lv1")
    assert (fees.maker, fees.taker) == (table.maker, table.taker) == (0.0008, 0.001)
    assert (fees.market, fees.tier) == ("spot", "Lv1")
    # a rebate is positive in the API and negative here
    vip = FeeSchedule.from_okx_trade_fee(
        {"instType": "SPOT", "maker": "0.00005", "taker": "-0.0002"}
    )
    assert (vip.maker, vip.taker) == (-0.00005, 0.0002)
    # USDT-margined contracts report makerU/takerU
    swap = FeeSchedule.from_okx_trade_fee(
        {
            "instType": "SWAP",
            "level": "Lv1",
            "maker": "",
            "taker": "",
            "makerU": "-0.0002",
            "takerU": "-0.0005",
        }
    )
    assert (swap.maker, swap.taker, swap.market) == (0.0002, 0.0005, "swap")
    groups = {
        "instType": "SPOT",
        "level": "Lv1",
        "feeGroup": [
            {"groupId": "1", "maker": "-0.0008", "taker": "-0.001"},
            {"groupId": "2", "maker": "-0.0012", "taker": "-0.0015"},
        ],
    }
    assert FeeSchedule.from_okx_trade_fee(groups, group_id=2).taker == 0.0015
    with pytest.raises(UnknownFeeScheduleError, match="group_id"):
        FeeSchedule.from_okx_trade_fee(groups)
    with pytest.raises(UnknownFeeScheduleError, match="groupId 3"):
        FeeSchedule.from_okx_trade_fee(groups, group_id=3)
    with pytest.raises(InvalidInputError, match="no maker/taker"):
        FeeSchedule.from_okx_trade_fee({"instType": "SPOT", "maker": "", "taker": ""})


def test_unknown_names_list_the_valid_ones():
    with pytest.raises(UnknownFeeScheduleError) as info:
        FeeSchedule.for_exchange("ftx")
    assert "'binance', 'bybit', 'coinbase', 'kraken', 'okx'" in str(info.value)
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, LookupError)
    with pytest.raises(UnknownFeeScheduleError, match=r"markets: spot; swap \(also perp"):
        FeeSchedule.for_exchange("okx", market="options")
    with pytest.raises(UnknownFeeScheduleError, match=r"'Lv1', 'VIP1'.*'VIP8'"):
        FeeSchedule.for_exchange("okx", "spot", "VIP9")
    with pytest.raises(UnknownFeeScheduleError, match="from_rates"):
        FeeSchedule.for_exchange("okx", "swap", "VIP1")
    with pytest.raises(UnknownFeeScheduleError):
        FeeSchedule.tiers("okx", "margin")


@pytest.mark.parametrize("exchange", ["coinbase", "kraken"])
def test_unverified_tables_warn(exchange):
    with pytest.warns(UnverifiedFeeTableWarning, match="unverified"):
        fees = FeeSchedule.for_exchange(exchange)
    assert not fees.verified
    assert fees.taker > fees.maker > 0.0
    assert not FeeSchedule.describe(exchange)["verified"]


def test_from_rates_units():
    assert FeeSchedule.from_rates(0.02, 0.05, unit="percent") == FeeSchedule.from_rates(
        2, 5, unit="bps"
    )
    fees = FeeSchedule.from_rates("0.0002", "0.0005", exchange="okx", market="swap", tier="VIP1")
    assert (fees.maker, fees.taker, fees.tier) == (0.0002, 0.0005, "VIP1")
    assert FeeSchedule.from_rates(-0.5, 2.0, unit="bps").maker == -0.00005
    with pytest.raises(InvalidInputError, match="unit"):
        FeeSchedule.from_rates(1, 2, unit="permille")
    with pytest.raises(InvalidInputError, match="not a trading fee"):
        FeeSchedule.from_rates(0.1, 0.2)  # 10 %: a percentage given as a fraction
    with pytest.raises(InvalidInputError, match="finite"):
        FeeSchedule.from_rates(math.nan, 0.001)
    with pytest.raises(InvalidInputError, match="not a number"):
        FeeSchedule.from_rates("cheap", 0.001)
    with pytest.raises(InvalidInputError):
        FeeSchedule(maker=math.inf, taker=0.001)


def test_from_file_errors(tmp_path):
    with pytest.raises(InvalidInputError, match="cannot read"):
        FeeSchedule.from_file(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(InvalidInputError, match="not valid JSON"):
        FeeSchedule.from_file(bad)
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({"exchange": "x", "markets": {"spot": {"levels": {}}}}))
    with pytest.raises(InvalidInputError, match="not a fee table"):
        FeeSchedule.from_file(wrong)


@pytest.mark.parametrize(
    ("notional", "maker_fraction"),
    [(-1.0, 0.0), (math.nan, 0.0), (math.inf, 0.0), (100.0, -0.1), (100.0, 1.5), (100.0, math.nan)],
)
def test_bad_fee_input(notional, maker_fraction):
    fees = FeeSchedule.for_exchange("okx")
    with pytest.raises(InvalidInputError):
        fees.fee(notional, maker_fraction)


def test_data_files_carry_provenance():
    directory = resources.files("tradecost").joinpath("data", "fees")
    names = sorted(entry.name for entry in directory.iterdir() if entry.name.endswith(".json"))
    assert names == ["binance.json", "bybit.json", "coinbase.json", "kraken.json", "okx.json"]
    for name in names:
        document = json.loads(directory.joinpath(name).read_text(encoding="utf-8"))
        for market, spec in document["markets"].items():
            assert spec["sources"], (name, market)
            assert spec["source_date"], (name, market)
            assert spec["retrieved"], (name, market)
            assert isinstance(spec["verified"], bool)
            for tier, rates in spec["tiers"].items():
                # every table we ship charges takers at least as much as makers
                assert rates["maker"] <= rates["taker"], (name, market, tier)
    assert (
        "negative = commission"
        in json.loads(directory.joinpath("okx.json").read_text(encoding="utf-8"))[
            "api_sign_convention"
        ]
    )


@given(
    notional=st.floats(0.0, 1e12),
    maker_fraction=st.floats(0.0, 1.0),
    tier=st.sampled_from(list(OKX_SPOT)),
)
def test_fee_is_linear_and_between_maker_and_taker(notional, maker_fraction, tier):
    fees = FeeSchedule.for_exchange("okx", "spot", tier)
    fee = fees.fee(notional, maker_fraction)
    low, high = sorted((fees.maker * notional, fees.taker * notional))
    assert low - 1e-9 * notional <= fee <= high + 1e-9 * notional
    assert fees.fee(2.0 * notional, maker_fraction) == pytest.approx(2.0 * fee, abs=1e-9)


def _all_tables() -> list[tuple[str, str]]:
    return [(e, m) for e in FeeSchedule.exchanges() for m in FeeSchedule.markets(e)]


@pytest.mark.parametrize(("exchange", "market"), _all_tables())
def test_every_tier_loads_and_rates_fall_with_the_tier(exchange, market):
    # tiers are listed entry tier first: a higher tier never charges more, and no tier pays a
    # taker less than a maker
    tiers = FeeSchedule.tiers(exchange, market)
    assert tiers and len(set(tiers)) == len(tiers)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnverifiedFeeTableWarning)
        schedules = [FeeSchedule.for_exchange(exchange, market, tier) for tier in tiers]
    assert [s.tier for s in schedules] == list(tiers)
    for schedule in schedules:
        assert schedule.taker >= schedule.maker, schedule
    for lower, higher in itertools.pairwise(schedules):
        assert higher.maker <= lower.maker, (lower.tier, higher.tier)
        assert higher.taker <= lower.taker, (lower.tier, higher.tier)


def test_okx_tables_hold_exactly_the_sourced_tiers():
    # spot: the tiers of the cited table, no more; swap: Lv1 only, the one swap rate the
    # search found in a source (the data file records the searches for the others)
    assert FeeSchedule.tiers("okx", "spot") == tuple(OKX_SPOT)
    assert FeeSchedule.tiers("okx", "swap") == ("Lv1",)
    for alias in ("perp", "perpetual", "futures"):
        assert FeeSchedule.for_exchange("okx", alias).market == "swap"
    swap = FeeSchedule.describe("okx", "swap")
    assert swap["verified"] and swap["sources"]
