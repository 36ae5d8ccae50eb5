"""The web application: built by :func:`create_app` around a :class:`~tradecost.serve.hub.Hub`,
so tests make one with their own hub and no global state exists.

Routers by concern: costs (estimates), market (books, streams), system (health), live (the
WebSocket push); the page and its files are served from the package (no CDN, no build step).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from importlib import resources
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request, WebSocket
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.websockets import WebSocketDisconnect

from tradecost.errors import InvalidInputError, TradecostError
from tradecost.serve.hub import Hub, OrderSpec
from tradecost.serve.schemas import BookTop, ErrorBody, Estimate, Health, StreamInfo, json_safe

#: at most this many live updates a second to any one client
MAX_PUSH_HZ = 4.0
#: a client that has not taken an update for this long is disconnected (and counted)
SLOW_CLIENT_S = 5.0

PayloadSection = Callable[[Hub], Any]


def get_hub(request: Request) -> Hub:
    hub: Hub = request.app.state.hub
    return hub


HubDep = Annotated[Hub, Depends(get_hub)]

costs = APIRouter(tags=["costs"])
market = APIRouter(tags=["market"])
system = APIRouter(tags=["system"])
live = APIRouter(tags=["live"])

ERRORS: dict[int | str, dict[str, Any]] = {400: {"model": ErrorBody}, 503: {"model": ErrorBody}}


@costs.get("/api/estimate/latest", response_model=Estimate, responses=ERRORS)
def latest_estimate(hub: HubDep) -> dict[str, Any]:
    """The latest estimate for the configured order (priced on every book update)."""
    payload = hub.latest_payload()
    if payload is None:
        raise HTTPException(503, "no estimate yet: the feed has not delivered a book")
    return payload


@costs.get("/api/estimate", response_model=Estimate, responses=ERRORS)
def estimate(
    hub: HubDep,
    exchange: str,
    symbol: str,
    side: Literal["buy", "sell"] = "buy",
    order_type: Literal["market", "limit"] = "market",
    usd: Annotated[float, Query(gt=0, description="order size, quote units")] = 100_000.0,
    fee_tier: str | None = None,
    volatility: Annotated[float | None, Query(gt=0, description="daily, fraction")] = None,
    offset_bps: float | None = None,
) -> dict[str, Any]:
    """The cost of any order on a live book, now."""
    order = OrderSpec(exchange, symbol, side, order_type, usd, fee_tier, volatility, offset_bps)
    result = hub.estimate(order).as_dict()
    stream = hub.stream(exchange, symbol)
    result.update(exchange=exchange, symbol=symbol, exch_ts=stream.last_exch_ts)
    return result


@market.get("/api/book", response_model=BookTop, responses=ERRORS)
def book_top(
    hub: HubDep,
    exchange: str,
    symbol: str,
    depth: Annotated[int, Query(ge=1, le=400)] = 10,
) -> dict[str, Any]:
    """The top ``depth`` levels a side of a live book."""
    return hub.book_top(exchange, symbol, depth)


@market.get("/api/streams", response_model=list[StreamInfo])
def streams(hub: HubDep) -> list[dict[str, Any]]:
    streams: list[dict[str, Any]] = hub.health()["streams"]
    return streams


@system.get("/api/health", response_model=Health)
def health(hub: HubDep, request: Request) -> dict[str, Any]:
    """Feeds (messages, gaps, resyncs), latency, live push, process CPU/memory/threads, and the
    tick store and pairs analytics when the server runs them."""
    out = hub.health()
    store = request.app.state.store
    if store is not None:
        out["store"] = {"path": store.path, "memory": store.memory}
        recorder = getattr(request.app.state, "recorder", None)
        if recorder is not None:
            out["store"]["trades_recorded"] = recorder.recorded
    pairs = request.app.state.pairs
    if pairs is not None:
        out["pairs"] = pairs.status()
    safe: dict[str, Any] = json_safe(out)
    return safe


@live.websocket("/ws/live")
async def live_updates(websocket: WebSocket) -> None:
    """Live updates, at most 4 a second: the estimate of this client's order (sent as
    ``{"type": "order", "exchange": ..., "symbol": ..., "side": ..., "order_type": ...,
    "usd": ..., "fee_tier": ..., "volatility": ...}``; the configured order until then), health,
    and the sections the app was built with. A client that falls behind sees only the newest
    state (conflated); one that stops reading is dropped. Neither ever touches a feed."""
    hub: Hub = websocket.app.state.hub
    sections: dict[str, PayloadSection] = websocket.app.state.sections
    await websocket.accept()
    hub.push.clients += 1
    hub.push.connected_total += 1
    client = _Client(hub.order)
    reader = asyncio.create_task(_read_orders(websocket, client))
    interval = 1.0 / MAX_PUSH_HZ
    sent_version = -1
    cache: dict[str, Any] = websocket.app.state.section_cache
    try:
        while not reader.done():
            version = hub.version
            if version != sent_version or client.changed:
                if sent_version >= 0 and version > sent_version + 1:
                    hub.push.conflated += version - sent_version - 1
                client.changed = False
                message = _message(hub, sections, version, client, cache)
                try:
                    await asyncio.wait_for(websocket.send_text(message), SLOW_CLIENT_S)
                except TimeoutError:
                    hub.push.dropped_clients += 1
                    await websocket.close(code=1008, reason="too slow: not reading updates")
                    return
                hub.push.messages_sent += 1
                sent_version = version
            await asyncio.sleep(interval)
    except (WebSocketDisconnect, RuntimeError, OSError):
        pass
    finally:
        reader.cancel()
        hub.push.clients -= 1


class _Client:
    """One live client's order and the last error it made."""

    def __init__(self, order: OrderSpec) -> None:
        self.order = order
        self.error: str | None = None
        self.changed = False


async def _read_orders(websocket: WebSocket, client: _Client) -> None:
    fields = set(OrderSpec.__dataclass_fields__)
    while True:
        text = await websocket.receive_text()
        try:
            message = json.loads(text)
            if not isinstance(message, dict) or message.get("type") != "order":
                raise InvalidInputError('send {"type": "order", ...} to price an order')
            values = {key: value for key, value in message.items() if key in fields}
            merged = {**client.order.__dict__, "fee_tier": None, "volatility": None, **values}
            if "usd" in merged:
                merged["usd"] = float(merged["usd"])
            client.order = OrderSpec(**merged)
            client.error = None
        except (ValueError, TypeError, TradecostError) as exc:
            client.error = str(exc)
        client.changed = True


def _message(
    hub: Hub,
    sections: dict[str, PayloadSection],
    version: int,
    client: _Client,
    cache: dict[str, Any],
) -> str:
    """One live update for ``client``, as JSON text: the client's own order and estimate, the
    shared health, and the sections. A section (the pairs payload: a few hundred points a
    series) is serialised once per new value and shared by every client (``cache``)."""
    out: dict[str, Any] = {"type": "live", "version": version, "order": dict(client.order.__dict__)}
    error = client.error
    estimate = None
    try:
        result = hub.estimate(client.order)
        estimate = result.as_dict()
        estimate.update(exchange=client.order.exchange, symbol=client.order.symbol)
    except TradecostError as exc:
        error = error or str(exc)
    out["estimate"] = estimate
    out["order_error"] = error
    health = hub.health()
    out["health"] = {key: health[key] for key in ("latency", "feeds", "process", "push")}
    out["streams"] = [
        {"exchange": stream["exchange"], "symbol": stream["symbol"]} for stream in health["streams"]
    ]
    out["alerts"] = list(hub.alerts)
    text = json.dumps(json_safe(out), allow_nan=False)
    parts = [text[:-1]]
    for name, build in sections.items():
        value = build(hub)
        held = cache.get(name)
        if held is None or held[0] is not value:
            held = (value, json.dumps(json_safe(value), allow_nan=False))
            cache[name] = held
        parts.append(f", {json.dumps(name)}: {held[1]}")
    parts.append("}")
    return "".join(parts)


def static_dir() -> str:
    return str(resources.files("tradecost.serve") / "static")


def create_app(
    hub: Hub,
    *,
    routers: tuple[APIRouter, ...] = (),
    sections: dict[str, PayloadSection] | None = None,
    store: Any = None,
    pairs: Any = None,
) -> Any:
    """The FastAPI app over ``hub``; ``routers`` add endpoints, ``sections`` add named parts to
    every live update. ``store`` (a :class:`~tradecost.store.TickStore`) adds the bars, trades
    and upload endpoints; ``pairs`` (a :class:`~tradecost.serve.pairs.PairsService`) the pairs
    endpoints and the ``pairs`` section of the live push."""
    from tradecost import __version__
    from tradecost.serve.data import data, pairs_router

    app = FastAPI(
        title="tradecost",
        version=__version__,
        description="Live pre-trade cost of an order, and pairs analytics after costs.",
        # FastAPI's /docs and /redoc pages load their scripts from a CDN: the OpenAPI document
        # itself is served, nothing that leaves this server
        docs_url=None,
        redoc_url=None,
    )
    app.state.hub = hub
    app.state.sections = dict(sections or {})
    app.state.section_cache = {}
    app.state.store = store
    app.state.pairs = pairs
    extra: tuple[APIRouter, ...] = ()
    if store is not None:
        extra += (data,)
    if pairs is not None:
        extra += (pairs_router,)
        app.state.sections.setdefault("pairs", pairs.section)
    for router in (costs, market, system, live, *extra, *routers):
        app.include_router(router)

    @app.exception_handler(TradecostError)
    async def tradecost_error(request: Request, exc: TradecostError) -> JSONResponse:
        return JSONResponse(status_code=400, content={"error": str(exc)})

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(status_code=exc.status_code, content={"error": str(exc.detail)})

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(f"{static_dir()}/index.html", media_type="text/html")

    app.mount("/static", StaticFiles(directory=static_dir()), name="static")
    return app
