"""Exchange trading fees: maker/taker rates as data, applied to a notional.

Rates are stored and returned as **fractions of notional** (0.001 = 0.1 % = 10 bps). A positive
rate is a charge, a **negative rate is a rebate** (hftbacktest's convention). Built-in tables live
in ``tradecost/data/fees/<exchange>.json``, one file per exchange, each market carrying its sources,
the date of the source and whether it could be verified; the tables are percentages as the
exchanges publish them and are converted once, when loaded.

OKX's own fee-rate endpoint (``GET /api/v5/account/trade-fee``) uses the **opposite sign**
(negative = commission, positive = rebate). :meth:`FeeSchedule.from_okx_trade_fee` converts at that
edge; nothing else in tradecost uses OKX's sign.

Exchange, market and tier names are matched case-insensitively (``"okx"``, ``"OKX"``; ``"vip1"``,
``"VIP1"``; ``"Lv1"``); the schedule reports the canonical spelling of the table.
"""

from __future__ import annotations

import functools
import json
import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from importlib import resources
from os import PathLike
from pathlib import Path
from typing import Any

from tradecost.errors import (
    InvalidInputError,
    UnknownFeeScheduleError,
    UnverifiedFeeTableWarning,
)

__all__ = ["FeeSchedule"]

#: Multipliers from the units a user may give rates in to fractions of notional.
RATE_UNITS: Mapping[str, Decimal] = {
    "fraction": Decimal(1),
    "percent": Decimal("0.01"),
    "bps": Decimal("0.0001"),
}

# A fee of 5 % of notional or more is certainly a unit mistake (percent given as a fraction).
_MAX_ABS_RATE = Decimal("0.05")


def _decimal_fraction(value: Any, unit: str, what: str) -> Decimal:
    """``value`` in ``unit`` as an exact decimal fraction of notional.

    Rates are scaled in decimal so that 0.026 % becomes the double nearest 0.00026, not
    0.026 × 0.01 = 0.00026000000000000003.
    """
    try:
        scale = RATE_UNITS[unit]
    except KeyError:
        raise InvalidInputError(
            f"unknown rate unit {unit!r}; use one of {', '.join(sorted(RATE_UNITS))}"
        ) from None
    if isinstance(value, bool):
        raise InvalidInputError(f"{what} rate {value!r} is not a number")
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (TypeError, ValueError, ArithmeticError):
        raise InvalidInputError(f"{what} rate {value!r} is not a number") from None
    if not number.is_finite():
        raise InvalidInputError(f"{what} rate {value!r} is not finite")
    fraction = number * scale
    if abs(fraction) > _MAX_ABS_RATE:
        raise InvalidInputError(
            f"{what} rate {value!r} {unit} is {float(fraction):.4%} of notional; that is not a "
            f"trading fee (was a percentage given as unit='fraction'?)"
        )
    return fraction


def _rate_to_fraction(value: Any, unit: str, what: str) -> float:
    return float(_decimal_fraction(value, unit, what))


@dataclass(frozen=True, slots=True)
class _MarketTable:
    exchange: str
    market: str
    aliases: tuple[str, ...]
    description: str
    sources: tuple[str, ...]
    source_date: str
    verified: bool
    default_tier: str
    tiers: Mapping[str, tuple[Decimal, Decimal]]  # canonical tier -> (maker, taker), fractions
    discounts: Mapping[str, Decimal]  # name -> factor applied to positive rates


def _parse_exchange_document(document: Mapping[str, Any], origin: str) -> dict[str, _MarketTable]:
    try:
        exchange = str(document["exchange"]).lower()
        unit = str(document.get("unit", "percent"))
        markets: dict[str, _MarketTable] = {}
        for market_name, spec in document["markets"].items():
            tiers = {
                str(tier): (
                    _decimal_fraction(
                        rates["maker"], unit, f"{exchange} {market_name} {tier} maker"
                    ),
                    _decimal_fraction(
                        rates["taker"], unit, f"{exchange} {market_name} {tier} taker"
                    ),
                )
                for tier, rates in spec["tiers"].items()
            }
            if not tiers:
                raise InvalidInputError(f"{origin}: market {market_name!r} has no tiers")
            default_tier = str(spec.get("default_tier", next(iter(tiers))))
            if default_tier not in tiers:
                raise InvalidInputError(
                    f"{origin}: default tier {default_tier!r} of {market_name!r} "
                    "is not in its table"
                )
            discounts = {
                str(name).lower(): Decimal(str(d["factor"]))
                for name, d in spec.get("discounts", {}).items()
            }
            for name, factor in discounts.items():
                if not (factor.is_finite() and 0 < factor <= 1):
                    raise InvalidInputError(
                        f"{origin}: discount {name!r} factor {factor} is not in (0, 1]"
                    )
            sources = spec.get("sources", ())
            markets[str(market_name).lower()] = _MarketTable(
                exchange=exchange,
                market=str(market_name).lower(),
                aliases=tuple(str(a).lower() for a in spec.get("aliases", ())),
                description=str(spec.get("description", "")),
                sources=(sources,) if isinstance(sources, str) else tuple(map(str, sources)),
                source_date=str(spec.get("source_date", "")),
                verified=bool(spec.get("verified", False)),
                default_tier=default_tier,
                tiers=tiers,
                discounts=discounts,
            )
    except (KeyError, TypeError, AttributeError) as exc:
        raise InvalidInputError(
            f"{origin}: not a fee table ({type(exc).__name__}: {exc})"
        ) from None
    return markets


def _fee_data_dir() -> Any:
    return resources.files("tradecost").joinpath("data", "fees")


@functools.cache
def _builtin_exchanges() -> tuple[str, ...]:
    return tuple(
        sorted(
            entry.name.removesuffix(".json")
            for entry in _fee_data_dir().iterdir()
            if entry.name.endswith(".json")
        )
    )


@functools.cache
def _builtin_markets(exchange: str) -> dict[str, _MarketTable]:
    text = _fee_data_dir().joinpath(f"{exchange}.json").read_text(encoding="utf-8")
    document = json.loads(text, parse_float=Decimal)
    return _parse_exchange_document(document, f"built-in fee table {exchange}.json")


def _names(items: Any) -> str:
    return ", ".join(repr(i) for i in items)


def _find_exchange(exchange: str) -> dict[str, _MarketTable]:
    key = str(exchange).strip().lower()
    if key not in _builtin_exchanges():
        raise UnknownFeeScheduleError(
            f"no fee table for exchange {exchange!r}; known exchanges: "
            f"{_names(_builtin_exchanges())} (or build one with FeeSchedule.from_rates / from_file)"
        )
    return _builtin_markets(key)


def _find_market(markets: Mapping[str, _MarketTable], market: str, where: str) -> _MarketTable:
    key = str(market).strip().lower()
    for table in markets.values():
        if key == table.market or key in table.aliases:
            return table
    listing = "; ".join(
        table.market + (f" (also {', '.join(table.aliases)})" if table.aliases else "")
        for table in markets.values()
    )
    raise UnknownFeeScheduleError(f"{where} has no market {market!r}; markets: {listing}")


def _find_tier(table: _MarketTable, tier: str | None) -> str:
    if tier is None:
        return table.default_tier
    key = str(tier).strip().lower()
    for name in table.tiers:
        if name.lower() == key:
            return name
    hint = (
        ""
        if table.verified and len(table.tiers) > 1
        else " (other tiers: supply the rates with FeeSchedule.from_rates or from_file)"
    )
    raise UnknownFeeScheduleError(
        f"{table.exchange} {table.market} has no fee tier {tier!r}; tiers: "
        f"{_names(table.tiers)}{hint}"
    )


def _schedule_from_table(
    table: _MarketTable, tier: str | None, discount: str | None, *, warn: bool
) -> FeeSchedule:
    name = _find_tier(table, tier)
    maker, taker = table.tiers[name]
    discount_name: str | None = None
    if discount is not None:
        discount_name = str(discount).strip().lower()
        if discount_name not in table.discounts:
            available = _names(table.discounts) if table.discounts else "none"
            raise UnknownFeeScheduleError(
                f"{table.exchange} {table.market} has no discount {discount!r}; "
                f"discounts: {available}"
            )
        factor = table.discounts[discount_name]
        # A discount reduces what is charged; it never shrinks a rebate.
        maker = maker * factor if maker > 0 else maker
        taker = taker * factor if taker > 0 else taker
    if warn and not table.verified:
        warnings.warn(
            f"the {table.exchange} {table.market} fee table is unverified (secondary sources "
            f"only: {'; '.join(table.sources)}); pass your own rates with FeeSchedule.from_rates",
            UnverifiedFeeTableWarning,
            stacklevel=3,
        )
    return FeeSchedule(
        maker=float(maker),
        taker=float(taker),
        exchange=table.exchange,
        market=table.market,
        tier=name,
        verified=table.verified,
        sources=table.sources,
        source_date=table.source_date,
        discount=discount_name,
    )


def _check_positive_finite(value: float, what: str) -> float:
    number = float(value)
    if not 0.0 < number < math.inf:
        raise InvalidInputError(f"{what} must be a positive finite number, got {value!r}")
    return number


@dataclass(frozen=True, slots=True)
class FeeSchedule:
    """Maker and taker rates of one exchange, market and tier.

    ``maker`` and ``taker`` are fractions of notional; negative = rebate. Build one with
    :meth:`for_exchange` (built-in tables), :meth:`from_rates` (your own rates), :meth:`from_file`
    (your own table in the built-in JSON format) or :meth:`from_okx_trade_fee` (OKX's API).
    """

    maker: float
    """Rate paid on the passive (maker) part, fraction of notional; negative = rebate."""
    taker: float
    """Rate paid on the aggressive (taker) part, fraction of notional; negative = rebate."""
    exchange: str = "custom"
    market: str = "custom"
    tier: str = "custom"
    verified: bool = True
    """False when the table comes only from secondary sources that could not be checked."""
    sources: tuple[str, ...] = field(default=(), compare=False)
    source_date: str = field(default="", compare=False)
    discount: str | None = None
    """Name of the discount applied (e.g. ``"bnb"``), or None."""

    def __post_init__(self) -> None:
        for what in ("maker", "taker"):
            value = getattr(self, what)
            if not isinstance(value, float):
                value = _rate_to_fraction(value, "fraction", what)
                object.__setattr__(self, what, value)
            elif not math.isfinite(value) or abs(value) > _MAX_ABS_RATE:
                _rate_to_fraction(value, "fraction", what)  # raises with the explanation

    # --- construction -------------------------------------------------------------------------

    @classmethod
    def for_exchange(
        cls,
        exchange: str,
        market: str = "spot",
        tier: str | None = None,
        *,
        discount: str | None = None,
    ) -> FeeSchedule:
        """The built-in schedule of ``exchange`` / ``market`` / ``tier``.

        ``tier=None`` takes the table's entry tier (OKX ``Lv1``, Binance and Bybit ``VIP0``).
        ``discount`` names a table discount such as Binance's ``"bnb"`` (25 % off spot, 10 % off
        USDⓈ-M); it scales charges, never rebates. Tables marked unverified (Coinbase, Kraken) emit
        :class:`~tradecost.errors.UnverifiedFeeTableWarning`.

        Raises :class:`~tradecost.errors.UnknownFeeScheduleError` (a ``ValueError`` and a
        ``LookupError``) naming the valid exchanges, markets or tiers.
        """
        markets = _find_exchange(exchange)
        table = _find_market(markets, market, f"exchange {exchange!r}")
        return _schedule_from_table(table, tier, discount, warn=True)

    @staticmethod
    def exchanges() -> tuple[str, ...]:
        """Exchanges with a built-in table, e.g. ``('binance', 'bybit', ..., 'okx')``."""
        return _builtin_exchanges()

    @staticmethod
    def markets(exchange: str) -> tuple[str, ...]:
        """Canonical market names of ``exchange`` (aliases are accepted by :meth:`for_exchange`)."""
        return tuple(_find_exchange(exchange))

    @staticmethod
    def tiers(exchange: str, market: str = "spot") -> tuple[str, ...]:
        """Tier names of a built-in table, entry tier first (``("Lv1", "VIP1", ..., "VIP8")``)."""
        table = _find_market(_find_exchange(exchange), market, f"exchange {exchange!r}")
        return tuple(table.tiers)

    @staticmethod
    def describe(exchange: str, market: str = "spot") -> dict[str, Any]:
        """Provenance of a built-in table: description, sources, source date, verified flag."""
        table = _find_market(_find_exchange(exchange), market, f"exchange {exchange!r}")
        return {
            "exchange": table.exchange,
            "market": table.market,
            "aliases": table.aliases,
            "description": table.description,
            "sources": table.sources,
            "source_date": table.source_date,
            "verified": table.verified,
            "default_tier": table.default_tier,
            "discounts": {name: float(f) for name, f in table.discounts.items()},
        }

    @classmethod
    def from_rates(
        cls,
        maker: float | str,
        taker: float | str,
        *,
        unit: str = "fraction",
        exchange: str = "custom",
        market: str = "custom",
        tier: str = "custom",
    ) -> FeeSchedule:
        """A schedule from your own rates, in ``unit`` = ``"fraction"``, ``"percent"`` or ``"bps"``.

        Negative = rebate. ``from_rates(0.02, 0.05, unit="percent")`` is OKX swap Lv1.
        """
        return cls(
            maker=_rate_to_fraction(maker, unit, "maker"),
            taker=_rate_to_fraction(taker, unit, "taker"),
            exchange=str(exchange),
            market=str(market),
            tier=str(tier),
        )

    @classmethod
    def from_file(
        cls,
        path: str | PathLike[str],
        market: str = "spot",
        tier: str | None = None,
        *,
        discount: str | None = None,
    ) -> FeeSchedule:
        """A schedule from your own JSON table in the format of ``tradecost/data/fees/*.json``.

        Minimal form: ``{"exchange": "x", "unit": "percent", "markets": {"spot": {"tiers":
        {"T1": {"maker": 0.02, "taker": 0.05}}}}}``. Unverified tables do not warn here: the file
        is yours.
        """
        file = Path(path)
        try:
            document = json.loads(file.read_text(encoding="utf-8"), parse_float=Decimal)
        except OSError as exc:
            raise InvalidInputError(f"cannot read fee table {file}: {exc}") from None
        except json.JSONDecodeError as exc:
            raise InvalidInputError(f"fee table {file} is not valid JSON: {exc}") from None
        if not isinstance(document, Mapping):
            raise InvalidInputError(f"fee table {file} is not a JSON object")
        markets = _parse_exchange_document(document, f"fee table {file}")
        table = _find_market(markets, market, f"fee table {file}")
        return _schedule_from_table(table, tier, discount, warn=False)

    @classmethod
    def from_okx_trade_fee(
        cls, response: Mapping[str, Any], *, group_id: str | int | None = None
    ) -> FeeSchedule:
        """Convert OKX's ``GET /api/v5/account/trade-fee`` answer (a ``data`` row or the body).

        OKX reports **negative = commission, positive = rebate**
        (https://www.okx.com/docs-v5/en/#trading-account-rest-api-get-fee-rates); the result uses
        tradecost's convention (positive = charge). Rates are read from ``feeGroup`` (pick one with
        ``group_id`` when several are present), else ``maker``/``taker``, else the USDT-margined
        ``makerU``/``takerU``, else ``makerUSDC``/``takerUSDC``.
        """
        row: Mapping[str, Any] = response
        if "data" in response:
            rows = response["data"]
            if not isinstance(rows, list) or len(rows) != 1:
                raise InvalidInputError("OKX trade-fee response must carry exactly one data row")
            row = rows[0]
        maker_text: Any = None
        taker_text: Any = None
        groups = row.get("feeGroup") or []
        if groups:
            chosen = [
                g for g in groups if group_id is None or str(g.get("groupId")) == str(group_id)
            ]
            if len(chosen) != 1:
                ids = [g.get("groupId") for g in groups]
                raise UnknownFeeScheduleError(
                    f"OKX trade-fee feeGroup has groups {ids}; pass group_id= to choose one"
                    if group_id is None
                    else f"OKX trade-fee feeGroup has no groupId {group_id!r}; groups: {ids}"
                )
            maker_text, taker_text = chosen[0].get("maker"), chosen[0].get("taker")
        else:
            for maker_key, taker_key in (
                ("maker", "taker"),
                ("makerU", "takerU"),
                ("makerUSDC", "takerUSDC"),
            ):
                if row.get(maker_key) not in (None, "") and row.get(taker_key) not in (None, ""):
                    maker_text, taker_text = row[maker_key], row[taker_key]
                    break
        if maker_text is None or taker_text is None:
            raise InvalidInputError(f"OKX trade-fee row carries no maker/taker rates: {dict(row)}")
        return cls(
            maker=-_rate_to_fraction(maker_text, "fraction", "OKX maker"),
            taker=-_rate_to_fraction(taker_text, "fraction", "OKX taker"),
            exchange="okx",
            market=str(row.get("instType", "custom")).lower() or "custom",
            tier=str(row.get("level", "custom")) or "custom",
            sources=("GET /api/v5/account/trade-fee",),
        )

    # --- arithmetic ---------------------------------------------------------------------------

    def rate(self, maker_fraction: float = 0.0) -> float:
        """Blended rate ``maker·f + taker·(1 − f)`` as a fraction of notional; f in [0, 1]."""
        if not 0.0 <= maker_fraction <= 1.0:
            raise InvalidInputError(f"maker_fraction must be in [0, 1], got {maker_fraction!r}")
        return self.maker * maker_fraction + self.taker * (1.0 - maker_fraction)

    def fee(self, notional: float, maker_fraction: float = 0.0) -> float:
        """Fee in quote currency on ``notional`` (quote currency, ≥ 0) of which ``maker_fraction``
        filled passively. Negative = rebate received. A market order has ``maker_fraction=0``."""
        if not 0.0 <= notional < math.inf:
            raise InvalidInputError(
                f"notional must be a finite non-negative amount of quote currency, got {notional!r}"
            )
        if not 0.0 <= maker_fraction <= 1.0:
            raise InvalidInputError(f"maker_fraction must be in [0, 1], got {maker_fraction!r}")
        return notional * (self.maker * maker_fraction + self.taker * (1.0 - maker_fraction))

    def fee_bps(self, maker_fraction: float = 0.0) -> float:
        """Blended rate in basis points of notional (1 bp = 1e-4)."""
        return self.rate(maker_fraction) * 1e4

    @staticmethod
    def contract_notional(
        contracts: float,
        price: float,
        contract_value: float,
        contract_multiplier: float = 1.0,
        *,
        inverse: bool = False,
    ) -> float:
        """Notional of a contract position, from the instrument's ``ctVal`` and ``ctMult``.

        Linear (e.g. BTC-USDT-SWAP, ctVal 0.01 BTC): ``contracts × ctVal × ctMult × price`` in the
        quote currency. Inverse (e.g. BTC-USD-SWAP, ctVal 100 USD): ``contracts × ctVal × ctMult``
        in USD, independent of price (OKX API v5 'Get instruments', field ``ctVal``).
        """
        if not 0.0 <= contracts < math.inf:
            raise InvalidInputError(f"contracts must be finite and non-negative, got {contracts!r}")
        contract_value = _check_positive_finite(contract_value, "contract_value")
        contract_multiplier = _check_positive_finite(contract_multiplier, "contract_multiplier")
        if inverse:
            return contracts * contract_value * contract_multiplier
        price = _check_positive_finite(price, "price")
        return contracts * contract_value * contract_multiplier * price

    def contract_fee(
        self,
        contracts: float,
        price: float,
        contract_value: float,
        contract_multiplier: float = 1.0,
        maker_fraction: float = 0.0,
        *,
        inverse: bool = False,
    ) -> float:
        """Fee on a contract order: ``rate × contracts × ctMult × ctVal × price`` for linear
        contracts (OKX fee formula for USDT-margined contracts), in quote currency; for inverse
        contracts the fee is in USD (divide by the price for the amount in the settlement coin)."""
        notional = self.contract_notional(
            contracts, price, contract_value, contract_multiplier, inverse=inverse
        )
        return self.fee(notional, maker_fraction)
