"""Build ``src/tradecost/data/okx_instruments.json`` from a recorded OKX instruments response.

Input: a capture of ``GET /api/v5/public/instruments?instType=...`` responses, one per line, in the
form ``<url> -> <receive_ts>: <json body>`` (the 2022-05-13 REST capture ``raw/OKX.0`` of the
recorded OKX traffic, see ``$TRADECOST_OKX_CAPTURES``). For every instrument type the most recent
response wins. Only the fields :class:`tradecost.feeds.okx.Instrument` reads are kept, and options
are left out (thousands of short-lived strikes). The output is bundled so that tick sizes and
contract values are known without a network call; ``Instrument`` values fetched live from
``/api/v5/public/instruments`` take precedence.

Usage::

    python scripts/build_okx_instruments.py "$TRADECOST_OKX_CAPTURES/raw/OKX.0"
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

KEPT_FIELDS = (
    "instId",
    "instType",
    "baseCcy",
    "quoteCcy",
    "settleCcy",
    "tickSz",
    "lotSz",
    "minSz",
    "ctVal",
    "ctMult",
    "ctValCcy",
    "ctType",
    "state",
)
KEPT_TYPES = ("SPOT", "SWAP", "FUTURES")
OUTPUT = (
    Path(__file__).resolve().parent.parent / "src" / "tradecost" / "data" / "okx_instruments.json"
)


def latest_responses(capture: Path) -> dict[str, tuple[float, list[dict[str, str]]]]:
    latest: dict[str, tuple[float, list[dict[str, str]]]] = {}
    for line in capture.read_text().splitlines():
        if " -> " not in line:
            continue
        url, rest = line.split(" -> ", 1)
        received, body = rest.split(": ", 1)
        inst_type = parse_qs(urlsplit(url).query).get("instType", [""])[0]
        if inst_type not in KEPT_TYPES:
            continue
        payload = json.loads(body)
        if payload.get("code") != "0":
            continue
        if inst_type not in latest or float(received) > latest[inst_type][0]:
            latest[inst_type] = (float(received), payload["data"])
    return latest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("capture", type=Path)
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()
    latest = latest_responses(args.capture)
    instruments = []
    received_at = 0.0
    for inst_type in KEPT_TYPES:
        received, rows = latest[inst_type]
        received_at = max(received_at, received)
        for row in rows:
            instruments.append({field: row.get(field, "") for field in KEPT_FIELDS})
    instruments.sort(key=lambda row: (row["instType"], row["instId"]))
    document = {
        "source": "GET /api/v5/public/instruments (OKX v5 REST), recorded capture",
        "received_at_unix_s": received_at,
        "instruments": instruments,
    }
    args.output.write_text(json.dumps(document, separators=(",", ":")) + "\n")
    print(f"wrote {len(instruments)} instruments to {args.output}")


if __name__ == "__main__":
    main()
