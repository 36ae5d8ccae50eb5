"""The data endpoints of ``tradecost serve``: bars and trades from the tick store (JSON and CSV),
OHLC upload, and the pairs analytics (metrics, tests, signal, alerts, CSV).

The store is ``app.state.store`` and the pairs service ``app.state.pairs`` (both set by
:func:`tradecost.serve.app.create_app`); without a store these routes answer 503.
"""

from __future__ import annotations

import io
import math
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, UploadFile
from fastapi.responses import Response

from tradecost.errors import InvalidInputError
from tradecost.serve.schemas import (
    AlertItem,
    BarRow,
    BarsResponse,
    ErrorBody,
    PairsResponse,
    TradeRow,
    TradesResponse,
    UploadResult,
    json_safe,
)

#: the largest OHLC upload accepted, bytes (a day of 1 s bars is about 5 MB)
MAX_UPLOAD_BYTES = 8 * 2**20
#: symbols and exchange names: letters, digits, '-', '_', '.', at most 40
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,39}")
NS_PER_MS = 1_000_000

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody},
    404: {"model": ErrorBody},
    503: {"model": ErrorBody},
}

data = APIRouter(tags=["data"])
pairs_router = APIRouter(tags=["pairs"])


def get_store(request: Request) -> Any:
    store = getattr(request.app.state, "store", None)
    if store is None:
        raise HTTPException(503, "this server records no data (no tick store)")
    return store


def get_pairs(request: Request) -> Any:
    service = getattr(request.app.state, "pairs", None)
    if service is None:
        raise HTTPException(503, "this server runs no pairs analytics")
    return service


StoreDep = Annotated[Any, Depends(get_store)]
PairsDep = Annotated[Any, Depends(get_pairs)]
Exchange = Annotated[str, Query(description="venue name as recorded, e.g. binance, okx, upload")]
Symbol = Annotated[str, Query(description="instrument as the venue names it, e.g. BTCUSDT")]
Interval = Annotated[str, Query(description="bar length: 1s, 15s, 1m, 5m, 1h, 1d…")]
StartMs = Annotated[int | None, Query(ge=0, description="from this time, ms since the epoch")]
EndMs = Annotated[int | None, Query(ge=0, description="before this time, ms since the epoch")]
Limit = Annotated[int, Query(ge=1, le=100_000, description="at most this many, the newest")]


def _name(value: str, what: str) -> str:
    if not NAME.fullmatch(value):
        raise InvalidInputError(
            f"{what} {value!r} is not a name: letters, digits, '.', '_', '-' (at most 40)"
        )
    return value


def _instrument(store: Any, exchange: str, symbol: str) -> str:
    """The instrument's source kind (``trades``/``bars``); 404 when the store does not hold it."""
    _name(exchange, "exchange")
    _name(symbol, "symbol")
    table = store.instruments()
    match = table[(table["exchange"] == exchange) & (table["symbol"] == symbol)]
    if match.empty:
        known = ", ".join(
            f"{e}:{s}" for e, s in zip(table["exchange"], table["symbol"], strict=True)
        )
        raise HTTPException(404, f"no data for {exchange}:{symbol} (stored: {known or 'none'})")
    return str(match["source"].iloc[0])


def _range_ns(start_ms: int | None, end_ms: int | None) -> tuple[int | None, int | None]:
    if start_ms is not None and end_ms is not None and start_ms >= end_ms:
        raise InvalidInputError(f"start_ms ({start_ms}) must be before end_ms ({end_ms})")
    return (
        None if start_ms is None else start_ms * NS_PER_MS,
        None if end_ms is None else end_ms * NS_PER_MS,
    )


@dataclass(frozen=True)
class BarsQuery:
    """Which bars ``/api/bars`` and ``/api/bars.csv`` serve (their shared query parameters)."""

    store: Any
    exchange: str
    symbol: str
    interval: str
    start_ms: int | None
    end_ms: int | None

    def frame(self, limit: int) -> Any:
        """The newest ``limit`` bars of the range, oldest first."""
        from tradecost.store.intervals import parse_interval

        parse_interval(self.interval)  # a bad interval is a 400 before anything is read
        _instrument(self.store, self.exchange, self.symbol)
        start_ns, end_ns = _range_ns(self.start_ms, self.end_ms)
        frame = self.store.bars(
            self.symbol, self.interval, self.exchange, start_ns=start_ns, end_ns=end_ns
        )
        return frame.iloc[-limit:]


def _bars_query(
    store: StoreDep,
    exchange: Exchange,
    symbol: Symbol,
    interval: Interval = "1m",
    start_ms: StartMs = None,
    end_ms: EndMs = None,
) -> BarsQuery:
    return BarsQuery(store, exchange, symbol, interval, start_ms, end_ms)


BarsDep = Annotated[BarsQuery, Depends(_bars_query)]


def _number(value: Any) -> float | None:
    number = float(value)
    return number if math.isfinite(number) else None


@data.get("/api/bars", response_model=BarsResponse, responses=ERRORS)
def bars(query: BarsDep, limit: Limit = 1_000) -> dict[str, Any]:
    """OHLC bars of recorded trades (or uploaded bars), oldest first, the newest ``limit``."""
    frame = query.frame(limit)
    rows = [
        {
            "ts_ms": int(ts) // NS_PER_MS,
            "open": float(row.open),
            "high": float(row.high),
            "low": float(row.low),
            "close": float(row.close),
            "volume": _number(row.volume),
            "notional": _number(row.notional),
            "vwap": _number(row.vwap),
            "trades": int(row.trades) if _number(row.trades) is not None else None,
        }
        for ts, row in zip(frame.index, frame.itertuples(index=False), strict=True)
    ]
    return {
        "exchange": query.exchange,
        "symbol": query.symbol,
        "interval": query.interval,
        "bars": rows,
    }


@data.get("/api/bars.csv", response_class=Response, responses=ERRORS)
def bars_csv(query: BarsDep, limit: Limit = 100_000) -> Response:
    """The same bars as a CSV download (index ``ts_ns``, the store's export format)."""
    return _csv(query.frame(limit), f"{query.exchange}_{query.symbol}_{query.interval}_bars.csv")


@data.get("/api/trades", response_model=TradesResponse, responses=ERRORS)
def trades(
    store: StoreDep,
    exchange: Exchange,
    symbol: Symbol,
    start_ms: StartMs = None,
    end_ms: EndMs = None,
    limit: Limit = 1_000,
) -> dict[str, Any]:
    """Recorded trades, oldest first, the newest ``limit`` (``size`` base units)."""
    if _instrument(store, exchange, symbol) != "trades":
        raise InvalidInputError(f"{exchange}:{symbol} holds uploaded bars, not trades")
    start_ns, end_ns = _range_ns(start_ms, end_ms)
    frame = store.trades(symbol, exchange, start_ns, end_ns).iloc[-limit:]
    rows = [
        {
            "ts_ns": int(row.ts_ns),
            "price": float(row.price),
            "size": float(row.size),
            "side": str(row.side),
            "trade_id": str(row.trade_id),
        }
        for row in frame.itertuples(index=False)
    ]
    return {"exchange": exchange, "symbol": symbol, "trades": rows}


@data.post("/api/bars/upload", response_model=UploadResult, responses={**ERRORS, 413: {}})
async def upload_bars(
    request: Request,
    store: StoreDep,
    symbol: Symbol,
    file: UploadFile,
    exchange: Exchange = "upload",
    interval: Annotated[
        str | None, Query(description="bar length (default: from the times)")
    ] = None,
) -> dict[str, Any]:
    """Store OHLC bars from a CSV file (multipart field ``file``; columns as ``tradecost
    import-bars``: a time column and open, high, low, close). All or nothing; at most
    ``MAX_UPLOAD_BYTES``."""
    _name(symbol, "symbol")
    _name(exchange, "exchange")
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_UPLOAD_BYTES + 64_000:
        raise HTTPException(413, f"upload too large: at most {MAX_UPLOAD_BYTES} bytes")
    buffer = io.BytesIO()
    while chunk := await file.read(1 << 16):
        buffer.write(chunk)
        if buffer.tell() > MAX_UPLOAD_BYTES:
            raise HTTPException(413, f"upload too large: at most {MAX_UPLOAD_BYTES} bytes")
    if buffer.tell() == 0:
        raise InvalidInputError("the uploaded file is empty")
    with tempfile.TemporaryDirectory(prefix="tradecost-upload-") as folder:
        path = Path(folder) / "bars.csv"  # never the client's file name
        path.write_bytes(buffer.getvalue())
        try:
            rows = store.import_bars(symbol, path, exchange=exchange, interval=interval)
        except InvalidInputError as exc:  # name the upload, not the server's temporary file
            message = str(exc).replace(str(path), "the uploaded file")
            raise type(exc)(message) from None
    store.flush()
    table = store.instruments()
    own = table[(table["exchange"] == exchange) & (table["symbol"] == symbol)]
    from tradecost.store.intervals import format_interval

    interval_ns = own["bar_interval_ns"].iloc[0]
    return {
        "rows": rows,
        "exchange": exchange,
        "symbol": symbol,
        "interval": format_interval(int(interval_ns)),
    }


def _csv(frame: Any, filename: str) -> Response:
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", filename)
    return Response(
        frame.to_csv(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{safe}"'},
    )


@pairs_router.get("/api/pairs", response_model=PairsResponse, responses=ERRORS)
def pairs(service: PairsDep) -> dict[str, Any]:
    """The pair's latest metrics, its ADF and Engle–Granger tests, and the signal."""
    payload = service.payload
    if payload is None:
        raise HTTPException(503, "no pairs analytics yet: waiting for the first bars")

    out = {
        "exchange": payload["exchange"],
        "y": payload["y"],
        "x": payload["x"],
        "interval": payload["interval"],
        "window": payload["window"],
        "entry": payload["entry"],
        "bars": payload["bars"],
        "last_bar_ms": payload["last_bar_ms"],
        "updated_ms": payload["updated_ms"],
        "latest": payload["latest"],
        "adf": payload["adf"],
        "engle_granger": payload["engle_granger"],
        "signal": payload["signal"],
        "position": payload["position"],
        "action": payload["action"],
    }
    safe: dict[str, Any] = json_safe(out)
    return safe


@pairs_router.get("/api/alerts", response_model=list[AlertItem], responses=ERRORS)
def alerts(
    service: PairsDep,
    since_ms: Annotated[int | None, Query(ge=0, description="only alerts after this")] = None,
) -> list[dict[str, Any]]:
    """Alerts over the analysed history (z-score crossing ±entry, or the exit level), oldest
    first."""
    items: list[dict[str, Any]] = list(service.alerts)
    if since_ms is not None:
        items = [item for item in items if item["ts_ms"] > since_ms]

    safe: list[dict[str, Any]] = json_safe(items)
    return safe


@pairs_router.get("/api/pairs/analytics.csv", response_class=Response, responses=ERRORS)
def analytics_csv(service: PairsDep) -> Response:
    """The analytics table (closes, α, β, spread, z, correlation, position) per bar, as CSV."""
    frame = service.frame
    if frame is None:
        raise HTTPException(503, "no pairs analytics yet: waiting for a full window of bars")
    cfg = service.config
    return _csv(frame, f"{cfg.y}_{cfg.x}_{cfg.interval}_analytics.csv")


__all__ = ["MAX_UPLOAD_BYTES", "BarRow", "TradeRow", "data", "pairs_router"]
