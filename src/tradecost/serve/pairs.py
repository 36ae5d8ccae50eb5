"""The recorded trades and the pairs analytics behind ``tradecost serve``.

:class:`TradeRecorder` takes the feeds' trades in the socket callback (one list append) and hands
them to the :class:`~tradecost.store.TickStore` from a task every ``flush_s``; the store's own
writer thread commits them. :class:`PairsService` recomputes the pair from the store's bars once
a second in a worker thread (never on the feed path) and publishes one payload: the charts'
series, the latest metrics, the stationarity tests, the signal and the alerts.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from tradecost.errors import InvalidInputError, TradecostError

NS_PER_MS = 1_000_000
#: the ADF test of the spread waits for this many spread points, Engle–Granger for this many bars
#: (below, automatic lag selection has too few observations to be meaningful)
MIN_ADF_POINTS = 20
MIN_EG_BARS = 30


class TradeRecorder:
    """Trades of every feed into the store, in groups (a store append per group, not per trade)."""

    def __init__(self, store: Any, flush_s: float = 0.2) -> None:
        self.store = store
        self.flush_s = flush_s
        self._pending: dict[tuple[str, str], list[Any]] = {}
        self._lock = threading.Lock()
        self.recorded = 0

    def on_trade(self, venue: str, event: Any) -> None:
        """A TradeEvent from ``venue``'s feed (socket callback: an append, nothing more)."""
        with self._lock:
            self._pending.setdefault((venue, event.inst_id), []).append(event)

    def flush(self) -> int:
        with self._lock:
            pending, self._pending = self._pending, {}
        stored = 0
        for (venue, symbol), trades in pending.items():
            stored += self.store.append_trades(venue, symbol, trades)
        self.recorded += stored
        return stored

    async def run(self, stop: asyncio.Event) -> None:
        """Hand trades to the store every ``flush_s`` until ``stop`` is set (then once more)."""
        try:
            while not stop.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.flush_s)
                self.flush()
        finally:
            self.flush()


@dataclass(frozen=True)
class PairConfig:
    """Which pair to analyse and how: ``y`` is regressed on ``x`` (log prices of bar closes)."""

    exchange: str = "binance"
    y: str = "ETHUSDT"
    x: str = "BTCUSDT"
    interval: str = "1s"
    window: int = 60  #: bars in the rolling regression
    entry: float = 2.0  #: |z| that opens a position (and the chart's threshold lines)
    exit: float = 0.0
    history: int = 600  #: bars shown and analysed

    def __post_init__(self) -> None:
        from tradecost.store.intervals import parse_interval

        parse_interval(self.interval)
        if self.y == self.x:
            raise InvalidInputError(f"a pair needs two symbols, got {self.y} twice")
        if not 3 <= self.window < self.history:
            raise InvalidInputError(
                f"window={self.window} must be at least 3 and below history={self.history}"
            )
        if not (math.isfinite(self.entry) and self.entry > 0):
            raise InvalidInputError(f"entry={self.entry!r} must be a positive z-score")


POSITION_TEXT = {
    0: "flat",
    1: "long the spread: buy {y}, sell β·{x}",
    -1: "short the spread: sell {y}, buy β·{x}",
}


class PairsService:
    """Recomputes the pair from the store's bars every ``period_s`` (in a worker thread) and keeps
    the latest payload, analytics table and alerts for the web layer."""

    def __init__(
        self,
        store: Any,
        config: PairConfig,
        *,
        clock_ns: Callable[[], int] = time.time_ns,
        on_update: Callable[[], None] | None = None,
    ) -> None:
        self.store = store
        self.config = config
        self._clock_ns = clock_ns
        self._on_update = on_update
        self.payload: dict[str, Any] | None = None
        self.frame: Any = None  #: the analytics table (pandas), newest computation
        self.alerts: list[dict[str, Any]] = []
        self.computations = 0
        self.compute_ms = math.nan
        self.error: str | None = None
        self._last_bar_ns: int | None = None

    # ---- the periodic computation ---------------------------------------------------------

    async def run(self, stop: asyncio.Event, period_s: float = 1.0) -> None:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), period_s)
            if stop.is_set():
                break
            payload = await asyncio.to_thread(self.update)
            if payload is not None and self._on_update is not None:
                self._on_update()  # on the loop, as the web layer reads

    def update(self) -> dict[str, Any] | None:
        """One computation; the payload is published by a single reference assignment."""
        started = time.perf_counter()
        try:
            payload = self.compute()
        except TradecostError as exc:  # e.g. a window where one leg did not trade at all
            self.error = str(exc)
            return None
        self.error = None
        self.compute_ms = (time.perf_counter() - started) * 1e3
        self.computations += 1
        if payload is not None:
            self.payload = payload
        return payload

    def closes(self) -> Any:
        """Aligned bar closes and the y leg's notional: a DataFrame indexed by bar start (ns)."""
        import pandas as pd

        from tradecost.store.intervals import parse_interval

        cfg = self.config
        interval_ns = parse_interval(cfg.interval)
        # from the last bar seen (exchange time, whatever the venue's clock says), not the wall
        start_ns = None
        if self._last_bar_ns is not None:
            start_ns = (self._last_bar_ns // interval_ns - 2 * cfg.history) * interval_ns
        legs = {}
        for name, symbol in (("y", cfg.y), ("x", cfg.x)):
            bars = self.store.bars(symbol, cfg.interval, cfg.exchange, start_ns=start_ns)
            legs[name] = bars["close"]
            if name == "y":
                legs["y_notional"] = bars["notional"]
        frame = pd.DataFrame(legs)
        if frame.empty:
            return frame
        grid = np.arange(frame.index.min(), frame.index.max() + interval_ns, interval_ns)
        frame = frame.reindex(grid)
        frame[["y", "x"]] = frame[["y", "x"]].ffill()
        frame["y_notional"] = frame["y_notional"].fillna(0.0)
        self._last_bar_ns = int(grid[-1])
        return frame.dropna(subset=["y", "x"]).iloc[-cfg.history :]

    def compute(self) -> dict[str, Any] | None:
        from tradecost.pairs import AlertMonitor, AlertRule, adf, analyze, engle_granger
        from tradecost.pairs import half_life as spread_half_life
        from tradecost.pairs import signals as pair_signals
        from tradecost.pairs.analysis import rolling_mean

        cfg = self.config
        frame = self.closes()
        n = len(frame)
        times_ms = [int(t) // NS_PER_MS for t in frame.index]
        y = frame["y"].to_numpy(dtype=np.float64) if n else np.empty(0)
        x = frame["x"].to_numpy(dtype=np.float64) if n else np.empty(0)
        base = {
            "title": f"{cfg.y} on {cfg.x} · {cfg.exchange} · {cfg.interval} bars · "
            f"window {cfg.window}",
            "exchange": cfg.exchange,
            "y": cfg.y,
            "x": cfg.x,
            "interval": cfg.interval,
            "window": cfg.window,
            "entry": cfg.entry,
            "bars": n,
            "last_bar_ms": times_ms[-1] if n else None,
            "times_ms": times_ms,
            "y_norm": (y / y[0] * 100).tolist() if n else [],
            "x_norm": (x / x[0] * 100).tolist() if n else [],
            "y_notional": frame["y_notional"].tolist() if n else [],
            "bars_csv": f"/api/bars.csv?exchange={cfg.exchange}&symbol={cfg.y}"
            f"&interval={cfg.interval}",
            "analytics_csv": "/api/pairs/analytics.csv",
            "updated_ms": self._clock_ns() // NS_PER_MS,
        }
        nan_list = [None] * n
        if n < cfg.window + 2:
            base.update(
                spread=nan_list,
                spread_mean=nan_list,
                zscore=nan_list,
                latest={"bars": n, "status": f"warming up: {n} of {cfg.window + 2} bars"},
                adf={},
                engle_granger={},
                signal="warming up",
                position=0,
                action="",
            )
            base["title"] += f" — warming up ({n}/{cfg.window + 2} bars)"
            self.alerts = []
            return base
        analysis = analyze(y, x, cfg.window)
        spread = analysis.spread
        spread_mean = rolling_mean(spread, cfg.window)
        signal = pair_signals(analysis, cfg.entry, cfg.exit)
        position = int(signal.position[-1])
        action = str(signal.latest()["action"])
        finite = spread[np.isfinite(spread)]
        adf_out: dict[str, Any] = {"status": f"waiting: {finite.size} of {MIN_ADF_POINTS} points"}
        if finite.size >= MIN_ADF_POINTS:
            try:
                result = adf(finite, regression="c", autolag="AIC")
                adf_out = {
                    "statistic": result.stat,
                    "p_value": result.pvalue,
                    "lags": result.usedlag,
                    "nobs": result.nobs,
                    **{f"critical {k}": v for k, v in result.critical_values.items()},
                    "stationary at 5%": bool(result.stat < result.critical_values["5%"]),
                }
            except TradecostError as exc:
                adf_out = {"error": str(exc)}
        eg_out: dict[str, Any] = {"status": f"waiting: {n} of {MIN_EG_BARS} bars"}
        if n >= MIN_EG_BARS:
            try:
                eg = engle_granger(y, x)
                eg_out = {
                    "statistic": eg.stat,
                    "p_value": eg.pvalue,
                    "beta": eg.beta,
                    "lags": eg.usedlag,
                    "nobs": eg.nobs,
                    "critical 5%": eg.critical_values["5%"],
                    "cointegrated at 5%": bool(eg.pvalue < 0.05),
                }
            except TradecostError as exc:
                eg_out = {"error": str(exc)}
        latest = analysis.latest()
        try:
            hl = spread_half_life(finite)
        except TradecostError:
            hl = math.nan
        interval_s = (times_ms[1] - times_ms[0]) / 1e3 if n > 1 else math.nan
        table = {
            "bars": n,
            f"{cfg.y} close": float(y[-1]),
            f"{cfg.x} close": float(x[-1]),
            "hedge ratio β": latest["beta"],
            "alpha": latest["alpha"],
            "spread": latest["spread"],
            "spread sd": latest["spread_sd"],
            "z-score": latest["zscore"],
            "correlation": latest["correlation"],
            "half-life (s)": hl * interval_s,
        }
        rules = [
            AlertRule("zscore", cfg.entry, "above", name="z above entry"),
            AlertRule("zscore", -cfg.entry, "below", name="z below -entry"),
            AlertRule("zscore", cfg.exit, "cross", name="z through exit"),
        ]
        fired = AlertMonitor(rules).scan(analysis)
        alerts = []
        for alert in fired:
            ts_ms = times_ms[alert.index]
            alerts.append(
                {
                    "ts_ms": ts_ms,
                    "time": _iso(ts_ms),
                    "rule": alert.rule,
                    "metric": alert.metric,
                    "value": alert.value,
                    "text": f"{_iso(ts_ms)[11:19]}  z {alert.previous:+.2f} → {alert.value:+.2f}"
                    f" ({alert.rule}, {alert.threshold:+g})",
                }
            )
        self.alerts = alerts
        self.frame = _analytics_frame(frame, analysis, spread_mean, signal.position)
        text = POSITION_TEXT[position].format(y=cfg.y, x=cfg.x)
        base.update(
            spread=spread.tolist(),
            spread_mean=spread_mean.tolist(),
            zscore=analysis.zscore.tolist(),
            latest=table,
            adf=adf_out,
            engle_granger=eg_out,
            signal=text + (f" ({action} now)" if action else ""),
            position=position,
            action=action,
        )
        return base

    def section(self, hub: Any) -> dict[str, Any] | None:
        """The live push's ``pairs`` section (the latest payload)."""
        return self.payload

    def status(self) -> dict[str, Any]:
        return {
            **asdict(self.config),
            "computations": self.computations,
            "compute_ms": self.compute_ms,
            "error": self.error,
        }


def _iso(ts_ms: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts_ms / 1e3)) + f".{ts_ms % 1000:03d}Z"


def _analytics_frame(frame: Any, analysis: Any, spread_mean: Any, position: Any) -> Any:
    out = analysis.to_frame()
    out.index = frame.index
    out.index.name = "ts_ns"
    out.insert(0, "x_close", frame["x"].to_numpy())
    out.insert(0, "y_close", frame["y"].to_numpy())
    out["spread_mean"] = spread_mean
    out["position"] = position
    return out
