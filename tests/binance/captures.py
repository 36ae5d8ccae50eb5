"""Readers for the recorded Binance traffic in ../shared/data/binance (see its README).

Each capture becomes one time-ordered list of records: ``("ws", local_ns, raw)`` for a WebSocket
message as received and ``("rest", local_ns, symbol, body)`` for a REST depth snapshot.
"""

from __future__ import annotations

import gzip
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

REPO = Path(__file__).resolve().parents[2]


def captures_dir() -> Path | None:
    """``$TRADECOST_BINANCE_CAPTURES``, else ``../shared/data/binance`` beside the checkout."""
    configured = os.environ.get("TRADECOST_BINANCE_CAPTURES")
    folder = Path(configured) if configured else REPO.parent / "shared" / "data" / "binance"
    return folder if folder.is_dir() else None


def require_captures() -> Path:
    folder = captures_dir()
    if folder is None:
        pytest.skip(
            "recorded Binance captures not found: set TRADECOST_BINANCE_CAPTURES or place them "
            "in ../shared/data/binance beside the checkout"
        )
    return folder


Record = tuple  # ("ws", ns, raw) | ("rest", ns, symbol, body)


@dataclass
class Capture:
    name: str
    #: "spot" or "futures" (USDⓈ-M and COIN-M share the futures sequencing rule)
    rule: str
    records: list[Record] = field(default_factory=list)


_REST = re.compile(r"^(https?://\S+) -> ([0-9.]+): (.*)$")
_WS = re.compile(r"^([0-9.]+): (.*)$")


def _cryptofeed_lines(path: Path) -> list[Record]:
    out: list[Record] = []
    for line in path.read_text().splitlines():
        rest = _REST.match(line)
        if rest:
            url, ts, body = rest.groups()
            query = parse_qs(urlsplit(url).query)
            if "/depth" in url and "symbol" in query:
                out.append(("rest", int(float(ts) * 1e9), query["symbol"][0], body))
            continue
        ws = _WS.match(line)
        if ws:
            out.append(("ws", int(float(ws.group(1)) * 1e9), ws.group(2)))
    return out


CRYPTOFEED = {
    "BINANCE": "spot",
    "BINANCE_US": "spot",
    "BINANCE_FUTURES": "futures",
    "BINANCE_DELIVERY": "futures",
    "BINANCE_2021-04-05": "spot",
    "BINANCE_FUTURES_2021-04-05": "futures",
}
HFTBACKTEST = ("btcusdt", "ethusdt")


def capture_names() -> list[str]:
    return [*CRYPTOFEED, *(f"hftbacktest_{s}" for s in HFTBACKTEST)]


def load_capture(folder: Path, name: str) -> Capture:
    if name.startswith("hftbacktest_"):
        symbol = name.split("_", 1)[1]
        capture = Capture(name, "spot")
        for day in ("20240808", "20240809"):
            with gzip.open(folder / "hftbacktest" / f"spot_{symbol}_{day}.gz", "rt") as handle:
                for line in handle:
                    ts, raw = line.rstrip("\n").split(" ", 1)
                    if raw.startswith('{"lastUpdateId"'):
                        capture.records.append(("rest", int(ts), symbol.upper(), raw))
                    else:
                        capture.records.append(("ws", int(ts), raw))
        return capture
    capture = Capture(name, CRYPTOFEED[name])
    base = folder / "cryptofeed"
    single = base / f"{name}.0"
    if (base / f"{name}.ws.1.0").exists():
        records = _cryptofeed_lines(base / f"{name}.http.0.0")
        records += _cryptofeed_lines(base / f"{name}.ws.1.0")
    else:
        records = _cryptofeed_lines(single)
    records.sort(key=lambda r: r[1])  # stable: same-time records keep file order
    capture.records = records
    return capture
