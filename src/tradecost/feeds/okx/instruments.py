"""OKX instrument specifications: tick size, lot size and contract value.

Source: OKX v5 REST ``GET /api/v5/public/instruments?instType=SPOT|SWAP|FUTURES|...`` (docs section
"Public Data / Get instruments"), read into the venue-neutral
:class:`~tradecost.instruments.Instrument` (``venue="okx"``). All numeric fields arrive as strings.
Book sizes are in base currency for SPOT/MARGIN and in **contracts** for FUTURES/SWAP/OPTION. For a
linear contract (``ctType == "linear"``, e.g. BTC-USDT-SWAP, ``ctVal = 0.01`` BTC) the base
quantity is ``contracts × ctVal × ctMult``; for an inverse contract (``ctType == "inverse"``, e.g.
BTC-USD-SWAP, ``ctVal = 100`` USD) ``contracts × ctVal × ctMult`` is a USD notional, and the base
quantity is that divided by the price.

A trimmed copy of the 2022-05-13 responses (SPOT, SWAP, FUTURES) is bundled as
``tradecost/data/okx_instruments.json`` (built by ``scripts/build_okx_instruments.py``); lot sizes
have changed since (BTC-USDT-SWAP ``lotSz`` was 1, it is 0.01 now), so prefer
:func:`fetch_instruments` when the network is available.
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from collections.abc import Iterable, Mapping
from functools import cache
from importlib import resources
from typing import Any

from tradecost.errors import FeedError, InvalidInputError
from tradecost.instruments import Instrument, inst_type_of

__all__ = [
    "Instrument",
    "bundled_instrument",
    "bundled_instruments",
    "fetch_instruments",
    "inst_type_of",
    "instrument_from_okx",
    "instrument_to_okx",
    "instruments_url",
    "parse_instruments",
]

OKX_REST_URL = "https://www.okx.com"
INSTRUMENTS_PATH = "/api/v5/public/instruments"


#: OKX's names for the record's constructor and serialiser (the code lives with the record).
instrument_from_okx = Instrument.from_okx
instrument_to_okx = Instrument.to_okx


def parse_instruments(payload: Mapping[str, Any] | str | bytes) -> dict[str, Instrument]:
    """Parse a ``/api/v5/public/instruments`` response body into ``{inst_id: Instrument}``.

    Raises :class:`~tradecost.errors.FeedError` when the response carries a non-zero ``code``.
    """
    document = json.loads(payload) if isinstance(payload, (str, bytes)) else payload
    code = str(document.get("code", "0"))
    if code != "0":
        raise FeedError(f"OKX instruments request failed: code {code}: {document.get('msg', '')}")
    rows: Iterable[Mapping[str, Any]] = document.get("data") or document.get("instruments") or []
    return {inst.inst_id: inst for inst in map(instrument_from_okx, rows)}


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
