"""The venue-neutral instrument record every venue's instrument module builds.

An :class:`Instrument` says how to read one market's book: the price grid (``tick_size``, quote
units), the size grid (``lot_size``/``min_size``, in book size units) and, for a contract book,
how many base units one contract is worth (``ct_val × ct_mult``; inverse contracts are worth a
USD amount instead). Venue modules build them from their own REST replies:
``tradecost.feeds.okx.instruments`` (``/api/v5/public/instruments``) and
``tradecost.feeds.binance.instruments`` (``exchangeInfo``). Field names follow OKX's, the first
venue; :attr:`symbol`, :attr:`kind` and :attr:`step_size` are the venue-neutral spellings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, Literal

from tradecost.errors import InvalidInputError

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["KINDS", "Instrument", "Kind", "checked_grid", "inst_type_of", "kind_of"]

Kind = Literal["spot", "swap", "future", "option"]

#: ``inst_type`` (OKX's ``instType`` spelling, used by every venue module) -> :data:`Kind`.
KINDS: dict[str, Kind] = {
    "SPOT": "spot",
    "MARGIN": "spot",
    "SWAP": "swap",
    "FUTURES": "future",
    "OPTION": "option",
}


@dataclass(frozen=True, slots=True)
class Instrument:
    """One tradable instrument of one venue.

    ``tick_size`` is in quote currency; ``lot_size`` and ``min_size`` are in the units the book's
    sizes use (contracts for OKX derivatives, base currency for spot and for Binance). ``ct_val``
    and ``ct_mult`` are ``None`` when book sizes are base units. ``ct_val_ccy`` is the currency of
    ``ct_val`` (the base currency for linear contracts, USD for inverse ones). ``inst_type`` is
    ``"SPOT"``, ``"MARGIN"``, ``"SWAP"`` (perpetual), ``"FUTURES"`` (dated) or ``"OPTION"``.
    ``venue`` names the exchange (``"okx"``, ``"binance"``; ``""`` when unknown); it does not take
    part in equality, so a record compares by its specification alone.
    """

    inst_id: str
    inst_type: str
    tick_size: Decimal
    lot_size: Decimal
    min_size: Decimal
    ct_val: Decimal | None = None
    ct_mult: Decimal | None = None
    ct_val_ccy: str = ""
    ct_type: str = ""
    base_ccy: str = ""
    quote_ccy: str = ""
    settle_ccy: str = ""
    state: str = "live"
    venue: str = field(default="", compare=False)

    @classmethod
    def from_okx(cls, row: Mapping[str, Any]) -> Instrument:
        """Build from one element of OKX's ``/api/v5/public/instruments`` reply (strings as OKX
        sends them; ``venue="okx"``)."""
        return _instrument_from_okx(row)

    def to_okx(self) -> dict[str, str]:
        """The instrument as a row of OKX's instruments reply (strings, OKX field names)."""
        return _instrument_to_okx(self)

    @property
    def symbol(self) -> str:
        """The venue's name for the instrument (``inst_id``: ``BTC-USDT-SWAP``, ``BTCUSDT``)."""
        return self.inst_id

    @property
    def kind(self) -> Kind:
        """``"spot"``, ``"swap"``, ``"future"`` or ``"option"`` (from ``inst_type``)."""
        try:
            return KINDS[self.inst_type.upper()]
        except KeyError:
            raise InvalidInputError(
                f"{self.inst_id}: unknown instrument type {self.inst_type!r}"
            ) from None

    @property
    def step_size(self) -> Decimal:
        """The size grid in book size units (``lot_size``; Binance calls it ``stepSize``)."""
        return self.lot_size

    @property
    def is_contract(self) -> bool:
        """True when book sizes are contracts (OKX FUTURES, SWAP, OPTION)."""
        return self.ct_val is not None

    @property
    def is_inverse(self) -> bool:
        """True for coin-margined contracts whose ``ct_val`` is a USD amount."""
        return self.ct_type == "inverse"

    @property
    def contract_multiplier(self) -> float:
        """Units of ``ct_val_ccy`` per book size unit: ``ctVal × ctMult`` (1.0 for base units)."""
        if self.ct_val is None:
            return 1.0
        return float(self.ct_val * (self.ct_mult if self.ct_mult is not None else Decimal(1)))

    @property
    def contract_value_base(self) -> float | None:
        """Base units per book size unit (1.0 for base-unit books); None for an inverse contract,
        whose worth in base units depends on the price (see :meth:`to_base`)."""
        return None if self.is_inverse else self.contract_multiplier

    def to_base(self, size: float, price: float | None = None) -> float:
        """Convert a book size (contracts or base units) to base-currency units.

        Linear contracts: ``size × ctVal × ctMult``. Inverse contracts: ``size × ctVal × ctMult /
        price`` (``price`` in USD per coin, required). Base-unit books: unchanged.
        """
        if self.ct_val is None:
            return size
        if self.is_inverse:
            if price is None or not price > 0:
                raise InvalidInputError(
                    f"{self.inst_id} is an inverse contract: converting contracts to base units "
                    "needs a positive price"
                )
            return size * self.contract_multiplier / price
        return size * self.contract_multiplier

    def from_base(self, quantity: float, price: float | None = None) -> float:
        """Inverse of :meth:`to_base`: base-currency units to book size units."""
        if self.ct_val is None:
            return quantity
        if self.is_inverse:
            if price is None or not price > 0:
                raise InvalidInputError(
                    f"{self.inst_id} is an inverse contract: converting base units to contracts "
                    "needs a positive price"
                )
            return quantity * price / self.contract_multiplier
        return quantity / self.contract_multiplier


def checked_grid(
    where: str,
    tick: tuple[str, Decimal | None],
    lot: tuple[str, Decimal | None],
    min_size: Decimal | None,
) -> tuple[Decimal, Decimal, Decimal]:
    """``(tick_size, lot_size, min_size)`` of one row of a venue's instrument list, checked.

    ``tick`` and ``lot`` are ``(the venue's field name, value)`` and must be positive, else
    :class:`~tradecost.errors.InvalidInputError` ("<where>: <field> must be positive");
    ``min_size`` defaults to one lot when the venue sends none (or zero). Every venue module
    builds its :class:`Instrument` grid through here.
    """
    (tick_field, tick_size), (lot_field, lot_size) = tick, lot
    if tick_size is None or tick_size <= 0:
        raise InvalidInputError(f"{where}: {tick_field} must be positive")
    if lot_size is None or lot_size <= 0:
        raise InvalidInputError(f"{where}: {lot_field} must be positive")
    return tick_size, lot_size, min_size or lot_size


# OKX rows: the record mirrors OKX's fields, so the mapping lives beside it.


def _okx_decimal(row: Mapping[str, Any], field: str, default: str | None = None) -> Decimal | None:
    raw = row.get(field, "")
    if raw in ("", None):
        return Decimal(default) if default is not None else None
    try:
        return Decimal(str(raw))
    except InvalidOperation:
        raise InvalidInputError(
            f"instrument {row.get('instId')!r}: field {field}={raw!r} is not a decimal number"
        ) from None


def _instrument_from_okx(row: Mapping[str, Any]) -> Instrument:
    inst_id = str(row.get("instId", ""))
    inst_type = str(row.get("instType", ""))
    if not inst_id or not inst_type:
        raise InvalidInputError(f"instrument row without instId/instType: {dict(row)!r}")
    tick_size, lot_size, min_size = checked_grid(
        f"instrument {inst_id!r}",
        ("tickSz", _okx_decimal(row, "tickSz")),
        ("lotSz", _okx_decimal(row, "lotSz")),
        _okx_decimal(row, "minSz"),
    )
    contract = inst_type in ("SWAP", "FUTURES", "OPTION")
    ct_val = _okx_decimal(row, "ctVal") if contract else None
    ct_mult = _okx_decimal(row, "ctMult", "1") if contract else None
    if contract and (ct_val is None or ct_val <= 0):
        raise InvalidInputError(f"instrument {inst_id!r}: a {inst_type} needs a positive ctVal")
    return Instrument(
        inst_id,
        inst_type,
        tick_size,
        lot_size,
        min_size,
        ct_val=ct_val,
        ct_mult=ct_mult,
        ct_val_ccy=str(row.get("ctValCcy", "")),
        ct_type=str(row.get("ctType", "")),
        base_ccy=str(row.get("baseCcy", "")),
        quote_ccy=str(row.get("quoteCcy", "")),
        settle_ccy=str(row.get("settleCcy", "")),
        state=str(row.get("state", "live")),
        venue="okx",
    )


def _instrument_to_okx(instrument: Instrument) -> dict[str, str]:
    return {
        "instId": instrument.inst_id,
        "instType": instrument.inst_type,
        "baseCcy": instrument.base_ccy,
        "quoteCcy": instrument.quote_ccy,
        "settleCcy": instrument.settle_ccy,
        "tickSz": str(instrument.tick_size),
        "lotSz": str(instrument.lot_size),
        "minSz": str(instrument.min_size),
        "ctVal": "" if instrument.ct_val is None else str(instrument.ct_val),
        "ctMult": "" if instrument.ct_mult is None else str(instrument.ct_mult),
        "ctValCcy": instrument.ct_val_ccy,
        "ctType": instrument.ct_type,
        "state": instrument.state,
    }


def inst_type_of(symbol: str) -> str:
    """Guess the ``inst_type`` from an OKX-style dashed id: ``BTC-USDT-SWAP`` is a SWAP,
    ``BTC-USD-250328`` (a date) FUTURES, ``BTC-USD-250328-30000-C`` an OPTION, anything else
    (``BTC-USDT``, Binance's ``BTCUSDT``) SPOT. The one place instrument types are guessed."""
    parts = symbol.upper().split("-")
    if parts[-1] == "SWAP":
        return "SWAP"
    if len(parts) == 5 and parts[-1] in ("C", "P"):
        return "OPTION"
    if len(parts) == 3 and parts[-1].isdigit():
        return "FUTURES"
    return "SPOT"


def kind_of(symbol: str) -> Kind:
    """:func:`inst_type_of` as a :data:`Kind`: "spot", "swap", "future" or "option"."""
    return KINDS[inst_type_of(symbol)]
