"""OKX instrument specifications: tick size, lot size and contract value.

Source: OKX v5 REST ``GET /api/v5/public/instruments?instType=SPOT|SWAP|FUTURES|...`` (docs section
"Public Data / Get instruments"). All numeric fields arrive as strings. Book sizes are in base
currency for SPOT/MARGIN and in **contracts** for FUTURES/SWAP/OPTION. For a linear contract
(``ctType == "linear"``, e.g. BTC-USDT-SWAP, ``ctVal = 0.01`` BTC) the base quantity is
``contracts × ctVal × ctMult``; for an inverse contract (``ctType == "inverse"``, e.g. BTC-USD-SWAP,
``ctVal = 100`` USD) ``contracts × ctVal × ctMult`` is a USD notional, and the base quantity is that
divided by the price.

A trimmed copy of the 2022-05-13 responses (SPOT, SWAP, FUTURES) is bundled as
``tradecost/data/okx_instruments.json`` (built by ``scripts/build_okx_instruments.py``); lot
sizes have changed since (BTC-USDT-SWAP ``lotSz`` was 1, it is 0.01 now), so prefer
:func:`fetch_instruments` when the network is available.
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache
from importlib import resources
from typing import Any

from tradecost.errors import FeedError, InvalidInputError

OKX_REST_URL = "https://www.okx.com"
INSTRUMENTS_PATH = "/api/v5/public/instruments"


def _decimal(row: Mapping[str, Any], field: str, default: str | None = None) -> Decimal | None:
    raw = row.get(field, "")
    if raw in ("", None):
        return Decimal(default) if default is not None else None
    try:
        return Decimal(str(raw))
    except InvalidOperation:
        raise InvalidInputError(
            f"instrument {row.get('instId')!r}: field {field}={raw!r} is not a decimal number"
        ) from None


@dataclass(frozen=True, slots=True)
class Instrument:
    """One OKX instrument, as ``/api/v5/public/instruments`` describes it.

    ``tick_size`` is in quote currency; ``lot_size`` and ``min_size`` are in the units the book's
    sizes use (contracts for derivatives, base currency for spot). ``ct_val``/``ct_mult`` are
    ``None`` for spot. ``ct_val_ccy`` is the currency of ``ct_val`` (the base currency for linear
    contracts, USD for inverse ones).
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

    @classmethod
    def from_okx(cls, row: Mapping[str, Any]) -> Instrument:
        """Build from one element of the REST response's ``data`` list (strings as OKX sends)."""
        inst_id = str(row.get("instId", ""))
        inst_type = str(row.get("instType", ""))
        if not inst_id or not inst_type:
            raise InvalidInputError(f"instrument row without instId/instType: {dict(row)!r}")
        tick_size = _decimal(row, "tickSz")
        lot_size = _decimal(row, "lotSz")
        if tick_size is None or tick_size <= 0:
            raise InvalidInputError(f"instrument {inst_id!r}: tickSz must be positive")
        if lot_size is None or lot_size <= 0:
            raise InvalidInputError(f"instrument {inst_id!r}: lotSz must be positive")
        min_size = _decimal(row, "minSz") or lot_size
        contract = inst_type in ("SWAP", "FUTURES", "OPTION")
        ct_val = _decimal(row, "ctVal") if contract else None
        ct_mult = _decimal(row, "ctMult", "1") if contract else None
        if contract and (ct_val is None or ct_val <= 0):
            raise InvalidInputError(f"instrument {inst_id!r}: a {inst_type} needs a positive ctVal")
        return cls(
            inst_id=inst_id,
            inst_type=inst_type,
            tick_size=tick_size,
            lot_size=lot_size,
            min_size=min_size,
            ct_val=ct_val,
            ct_mult=ct_mult,
            ct_val_ccy=str(row.get("ctValCcy", "")),
            ct_type=str(row.get("ctType", "")),
            base_ccy=str(row.get("baseCcy", "")),
            quote_ccy=str(row.get("quoteCcy", "")),
            settle_ccy=str(row.get("settleCcy", "")),
            state=str(row.get("state", "live")),
        )

    def to_okx(self) -> dict[str, str]:
        """The instrument as a row of the REST response (strings, OKX field names)."""
        return {
            "instId": self.inst_id,
            "instType": self.inst_type,
            "baseCcy": self.base_ccy,
            "quoteCcy": self.quote_ccy,
            "settleCcy": self.settle_ccy,
            "tickSz": str(self.tick_size),
            "lotSz": str(self.lot_size),
            "minSz": str(self.min_size),
            "ctVal": "" if self.ct_val is None else str(self.ct_val),
            "ctMult": "" if self.ct_mult is None else str(self.ct_mult),
            "ctValCcy": self.ct_val_ccy,
            "ctType": self.ct_type,
            "state": self.state,
        }

    @property
    def is_contract(self) -> bool:
        """True when book sizes are contracts (FUTURES, SWAP, OPTION)."""
        return self.ct_val is not None

    @property
    def is_inverse(self) -> bool:
        """True for coin-margined contracts whose ``ct_val`` is a USD amount."""
        return self.ct_type == "inverse"

    @property
    def contract_multiplier(self) -> float:
        """Units of ``ct_val_ccy`` per book size unit: ``ctVal × ctMult`` (1.0 for spot)."""
        if self.ct_val is None:
            return 1.0
        return float(self.ct_val * (self.ct_mult if self.ct_mult is not None else Decimal(1)))

    def to_base(self, size: float, price: float | None = None) -> float:
        """Convert a book size (contracts or base units) to base-currency units.

        Linear contracts: ``size × ctVal × ctMult``. Inverse contracts: ``size × ctVal × ctMult /
        price`` (``price`` in USD per coin, required). Spot: unchanged.
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


def parse_instruments(payload: Mapping[str, Any] | str | bytes) -> dict[str, Instrument]:
    """Parse a ``/api/v5/public/instruments`` response body into ``{inst_id: Instrument}``.

    Raises :class:`~tradecost.errors.FeedError` when the response carries a non-zero ``code``.
    """
    document = json.loads(payload) if isinstance(payload, (str, bytes)) else payload
    code = str(document.get("code", "0"))
    if code != "0":
        raise FeedError(f"OKX instruments request failed: code {code}: {document.get('msg', '')}")
    rows: Iterable[Mapping[str, Any]] = document.get("data") or document.get("instruments") or []
    return {inst.inst_id: inst for inst in map(Instrument.from_okx, rows)}


@cache
def _bundled() -> dict[str, Instrument]:
    text = resources.files("tradecost").joinpath("data/okx_instruments.json").read_text()
    return parse_instruments(text)


def bundled_instruments() -> dict[str, Instrument]:
    """The bundled 2022-05-13 snapshot of OKX SPOT/SWAP/FUTURES specs (a copy; safe to mutate)."""
    return dict(_bundled())


def bundled_instrument(inst_id: str) -> Instrument:
    """One bundled instrument; :class:`~tradecost.errors.InvalidInputError` if unknown."""
    try:
        return _bundled()[inst_id]
    except KeyError:
        raise InvalidInputError(
            f"no bundled OKX instrument {inst_id!r}; pass Instrument(...) or fetch the list with "
            "fetch_instruments()"
        ) from None


def instruments_url(base_url: str, inst_type: str, inst_id: str | None = None) -> str:
    """The REST URL for one instrument type (``base_url`` like ``https://www.okx.com``)."""
    query = {"instType": inst_type}
    if inst_id is not None:
        query["instId"] = inst_id
    return base_url.rstrip("/") + INSTRUMENTS_PATH + "?" + urllib.parse.urlencode(query)


def fetch_instruments(
    inst_type: str, *, base_url: str = OKX_REST_URL, timeout: float = 10.0
) -> dict[str, Instrument]:
    """``GET /api/v5/public/instruments?instType=...`` (blocking: from asyncio use a thread)."""
    with urllib.request.urlopen(instruments_url(base_url, inst_type), timeout=timeout) as reply:
        return parse_instruments(reply.read())


def inst_type_of(inst_id: str) -> str:
    """Guess the OKX ``instType`` from an instrument id (``-SWAP`` suffix, a dated future, spot)."""
    parts = inst_id.split("-")
    if parts[-1] == "SWAP":
        return "SWAP"
    if len(parts) == 5 and parts[-1] in ("C", "P"):
        return "OPTION"
    if len(parts) == 3 and parts[-1].isdigit():
        return "FUTURES"
    return "SPOT"
