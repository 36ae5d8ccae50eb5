"""Typed request and response bodies of the HTTP API (pydantic; FastAPI renders them into the
OpenAPI document at ``/openapi.json``)."""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Estimate(BaseModel):
    """A cost estimate (the fields of :class:`tradecost.CostEstimate`; NaN is null)."""

    model_config = ConfigDict(extra="allow")

    exchange: str
    symbol: str
    side: Literal["buy", "sell"]
    order_type: str
    quantity: float = Field(description="order size, base units")
    notional_usd: float = Field(description="order size, quote units")
    arrival_mid: float
    avg_price: float | None
    levels: int
    slippage_usd: float | None
    slippage_bps: float | None
    fee_usd: float | None
    fee_bps: float | None
    impact_usd: float | None
    impact_bps: float | None
    impact_model: str
    net_cost_usd: float | None
    net_cost_bps: float | None
    maker_fraction: float
    taker_fraction: float
    complete: bool
    stale: bool
    crossed: bool
    flags: list[str]
    latency_ns: int = Field(description="time the estimate took to compute, ns")
    exch_ts: int | None = Field(default=None, description="exchange time of the book, ns")


class BookTop(BaseModel):
    exchange: str
    symbol: str
    exch_ts: int = Field(description="exchange time of the last update, ns")
    stale: bool
    best_bid: float | None
    best_ask: float | None
    mid: float | None
    spread_bps: float | None
    bids: list[tuple[float, float]] = Field(description="[price, size] best first")
    asks: list[tuple[float, float]]


class StreamInfo(BaseModel):
    exchange: str
    symbol: str
    book_events: int
    trades: int
    stale: bool


class Health(BaseModel):
    model_config = ConfigDict(extra="allow")

    uptime_s: float
    estimates: int
    streams: list[StreamInfo]
    feeds: dict[str, dict[str, int]]
    latency: dict[str, float | int | None]
    push: dict[str, int]
    process: dict[str, Any]


class ErrorBody(BaseModel):
    error: str


class BarRow(BaseModel):
    ts_ms: int = Field(description="bar start, ms since the epoch (UTC)")
    open: float
    high: float
    low: float
    close: float
    volume: float | None = Field(description="base units")
    notional: float | None = Field(description="quote units, Σ price × size")
    vwap: float | None
    trades: int | None


class BarsResponse(BaseModel):
    exchange: str
    symbol: str
    interval: str
    bars: list[BarRow]


class TradeRow(BaseModel):
    ts_ns: int = Field(description="exchange time, ns since the epoch")
    price: float
    size: float = Field(description="base units")
    side: Literal["buy", "sell"] = Field(description="the taker's side")
    trade_id: str


class TradesResponse(BaseModel):
    exchange: str
    symbol: str
    trades: list[TradeRow]


class UploadResult(BaseModel):
    rows: int = Field(description="bars stored")
    exchange: str
    symbol: str
    interval: str


class PairsResponse(BaseModel):
    exchange: str
    y: str = Field(description="the leg regressed on x (log prices)")
    x: str
    interval: str
    window: int = Field(description="bars in the rolling regression")
    entry: float = Field(description="|z-score| that opens a position")
    bars: int = Field(description="bars analysed (the last ``history``)")
    last_bar_ms: int | None = Field(description="start of the newest bar, ms since the epoch")
    updated_ms: int = Field(description="when this was computed, ms since the epoch")
    latest: dict[str, float | int | str | None] = Field(description="the analytics table")
    adf: dict[str, float | int | bool | str | None] = Field(
        description="ADF test of the spread (regression 'c', AIC lags)"
    )
    engle_granger: dict[str, float | int | bool | str | None] = Field(
        description="Engle–Granger cointegration test of log y on log x"
    )
    signal: str
    position: int = Field(description="+1 long the spread, -1 short, 0 flat")
    action: str = Field(description="the action at the last bar ('' for none)")


class AlertItem(BaseModel):
    ts_ms: int = Field(description="the bar where the rule fired, ms since the epoch")
    time: str = Field(description="the same, ISO 8601 UTC")
    rule: str
    metric: str
    value: float | None
    text: str


def json_safe(value: Any) -> Any:
    """``value`` with every non-finite float replaced by None (JSON has no NaN or infinity)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(item) for item in value]
    return value
