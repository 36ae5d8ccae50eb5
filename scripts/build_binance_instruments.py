"""Build src/tradecost/data/binance_exchange_info.json from recorded exchangeInfo responses.

The bundled file keeps the shape of Binance's ``GET /api/v3/exchangeInfo`` and
``GET /fapi/v1/exchangeInfo`` bodies (``{"symbols": [{"symbol", "status", "baseAsset",
"quoteAsset", "filters": [PRICE_FILTER, LOT_SIZE]}, ...]}``), trimmed to the fields tradecost
reads, so the same parser reads the bundled copy and a live response.

Usage: python scripts/build_binance_instruments.py [CAPTURES_DIR]
(default ../shared/data/binance beside the checkout; the cryptofeed ``BINANCE.0`` and
``BINANCE_FUTURES.0`` files hold one ``<url> -> <ts>: <body>`` line each).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "src" / "tradecost" / "data" / "binance_exchange_info.json"
SOURCES = {"spot": "cryptofeed/BINANCE.0", "usdm": "cryptofeed/BINANCE_FUTURES.0"}
QUOTES = {"USDT", "USDC", "BTC", "ETH", "BNB", "FDUSD", "EUR"}
KEEP_FIELDS = ("symbol", "status", "baseAsset", "quoteAsset", "marginAsset", "contractType")
KEEP_FILTERS = ("PRICE_FILTER", "LOT_SIZE")


def body_of(path: Path) -> dict:
    for line in path.read_text().splitlines():
        if " -> " in line and ": {" in line:
            return json.loads(line.split(": ", 1)[1])
    raise SystemExit(f"no REST body in {path}")


def trim(document: dict, market: str) -> dict:
    rows = []
    for row in document["symbols"]:
        if row.get("status") != "TRADING" or row.get("quoteAsset") not in QUOTES:
            continue
        if market == "usdm" and row.get("contractType") != "PERPETUAL":
            continue
        kept = {k: row[k] for k in KEEP_FIELDS if k in row}
        kept["filters"] = [
            {k: v for k, v in f.items() if k in ("filterType", "tickSize", "stepSize", "minQty")}
            for f in row["filters"]
            if f["filterType"] in KEEP_FILTERS
        ]
        rows.append(kept)
    rows.sort(key=lambda r: r["symbol"])
    return {"serverTime": document.get("serverTime"), "symbols": rows}


def main() -> None:
    captures = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO.parent / "shared/data/binance"
    bundle = {market: trim(body_of(captures / name), market) for market, name in SOURCES.items()}
    OUT.write_text(json.dumps(bundle, separators=(",", ":"), sort_keys=True) + "\n")
    print(OUT, {m: len(b["symbols"]) for m, b in bundle.items()}, OUT.stat().st_size, "bytes")


if __name__ == "__main__":
    main()
