"""Typed request and response bodies of the HTTP API (pydantic; FastAPI renders them into the
OpenAPI document at ``/openapi.json``)."""

from __future__ import annotations

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
