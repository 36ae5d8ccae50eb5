"""``tradecost pairs``: the analytics of a pair of symbols from the tick store's bars.

Reads bars through ``tradecost.store.TickStore(path).bars(symbol, interval=...)``, aligns the two
symbols on their common bar starts, and prints the latest metrics, the stationarity tests, the
signal and any alerts — as text or one JSON object — with an optional chart and backtest.
"""

from __future__ import annotations

import argparse
import json
import math
import re
from typing import Any

import numpy as np

from tradecost.errors import InvalidInputError, TradecostError

_UNITS_NS = {"s": 10**9, "m": 60 * 10**9, "h": 3_600 * 10**9, "d": 86_400 * 10**9}


def interval_ns(interval: str) -> int:
    """'1m' → 60e9: a bar length as <count><s|m|h|d>."""
    match = re.fullmatch(r"(\d+)([smhd])", interval.strip())
    if match is None or int(match.group(1)) <= 0:
        raise InvalidInputError(f"interval {interval!r} is not <count><s|m|h|d>, e.g. 1m")
    return int(match.group(1)) * _UNITS_NS[match.group(2)]


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "pairs",
        help="pairs analytics from the tick store: hedge ratio, spread, z-score, ADF, signal",
        description=(
            "Rolling OLS of log y on log x over the bars of two symbols in a tick store; prints "
            "the latest β, spread, z-score and correlation, Engle–Granger and ADF results, the "
            "signal and alerts; optionally a chart (--plot) and a cost-aware backtest."
        ),
    )
    parser.add_argument("--db", required=True, help="tick store (SQLite file)")
    parser.add_argument("--y", required=True, help="dependent symbol, e.g. ETHUSDT")
    parser.add_argument("--x", required=True, help="hedge symbol, e.g. BTCUSDT")
    parser.add_argument("--interval", default="1m", help="bar length: 1s, 1m, 5m, 1h, ...")
    parser.add_argument("--window", type=int, default=300, help="rolling window, in bars")
    parser.add_argument("--exchange", default=None, help="only this exchange's trades")
    parser.add_argument("--method", choices=("ols", "kalman", "huber"), default="ols")
    parser.add_argument(
        "--zscore-window",
        choices=("inclusive", "exclusive"),
        default=None,
        help="score the bar inside its own window (default for ols/huber) or against the "
        "previous one",
    )
    parser.add_argument("--adf-lags", type=int, default=1, help="lags of the rolling ADF")
    parser.add_argument("--entry", type=float, default=2.0, help="enter at |z| ≥ entry")
    parser.add_argument("--exit", type=float, default=0.0, help="exit when z crosses ±exit")
    parser.add_argument("--stop", type=float, default=None, help="stop out at |z| ≥ stop")
    parser.add_argument(
        "--alert",
        action="append",
        default=[],
        help="alert rule METRIC>VALUE / METRIC<VALUE / METRIC=VALUE on zscore, abs_zscore, "
        "spread, correlation, adf_pvalue (repeatable)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--plot", metavar="FILE.png", default=None, help="draw the chart")
    parser.add_argument("--backtest", action="store_true", help="run the cost-aware backtest")
    parser.add_argument("--notional", type=float, default=10_000.0, help="quote per y leg")
    parser.add_argument("--fee-exchange", default="binance", help="fee table (binance, okx, ...)")
    parser.add_argument("--market", default="spot", help="fee table market (spot, usdm, swap)")
    parser.add_argument("--tier", default=None, help="fee tier (default: the entry tier)")
    parser.set_defaults(handler=cmd_pairs)


def _number(value: float) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def _clean(value: Any) -> Any:
    """JSON-safe: NaN/inf → null, numpy scalars → Python."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return _number(float(value))
    return value


def report(
    bars_y: Any, bars_x: Any, args: argparse.Namespace, book_at: Any = None
) -> dict[str, Any]:
    """Everything ``tradecost pairs`` shows, from the two symbols' bar tables (DataFrames with
    the tick store's columns, indexed by bar start in int64 ns)."""
    from tradecost.pairs import (
        AlertMonitor,
        AlertRule,
        adf,
        analyze,
        engle_granger,
        half_life,
        signals,
    )
    from tradecost.pairs._bars import backtest_bars, join_bars

    joined = join_bars(bars_y, bars_x)
    if joined.empty:
        raise InvalidInputError(
            f"{args.y} and {args.x} have no {args.interval} bar in common in {args.db}"
        )
    if len(joined) < args.window:
        raise InvalidInputError(
            f"{len(joined)} common {args.interval} bars of {args.y} and {args.x}, fewer than "
            f"the window of {args.window}: record longer or use a smaller --window"
        )
    close_y, close_x = joined["close_y"], joined["close_x"]
    analysis = analyze(
        close_y,
        close_x,
        args.window,
        method=args.method,
        zscore_window=args.zscore_window,
        adf_lags=args.adf_lags,
    )
    prices_y, prices_x = close_y.to_numpy(), close_x.to_numpy()
    coint = engle_granger(prices_y, prices_x)
    coint_window = engle_granger(prices_y[-args.window :], prices_x[-args.window :])
    # the rolling spread series (each point from its own window's fit) over the last window
    recent = analysis.spread[-args.window :]
    stationarity = adf(recent, maxlag=None, regression="c", autolag="AIC")
    # the last window's own residuals: the relationship as it stands now
    residuals = np.log(prices_y[-args.window :]) - (
        analysis.alpha[-1] + analysis.beta[-1] * np.log(prices_x[-args.window :])
    )
    try:
        spread_half_life = half_life(residuals)
    except InvalidInputError:
        spread_half_life = math.nan
    rule = signals(analysis, args.entry, args.exit, args.stop)
    rules = [AlertRule.parse(text) for text in args.alert]
    alerts = AlertMonitor(rules).scan(analysis) if rules else []
    start = joined.index[0]
    end = joined.index[-1]
    out: dict[str, Any] = {
        "y": args.y,
        "x": args.x,
        "interval": args.interval,
        "window": args.window,
        "method": analysis.method,
        "zscore_window": analysis.zscore_window,
        "ddof": analysis.ddof,
        "bars": len(joined),
        "first_bar_ns": int(start),
        "last_bar_ns": int(end),
        "latest": analysis.latest(),
        "engle_granger": {
            "stat": coint.stat,
            "pvalue": coint.pvalue,
            "beta": coint.beta,
            "usedlag": coint.usedlag,
            "critical_values": coint.critical_values,
            "bars": len(joined),
        },
        "engle_granger_window": {
            "stat": coint_window.stat,
            "pvalue": coint_window.pvalue,
            "beta": coint_window.beta,
            "usedlag": coint_window.usedlag,
            "bars": args.window,
        },
        "adf_spread": {
            "stat": stationarity.stat,
            "pvalue": stationarity.pvalue,
            "usedlag": stationarity.usedlag,
            "nobs": stationarity.nobs,
            "critical_values": stationarity.critical_values,
            "bars": int(recent.size),
        },
        "half_life_bars": spread_half_life,
        "signal": {
            **rule.latest(),
            "entry": args.entry,
            "exit": args.exit,
            "stop": args.stop,
        },
        "alerts": [
            {
                "rule": a.rule,
                "bar_ns": int(a.label) if a.label is not None else None,
                "previous": a.previous,
                "value": a.value,
            }
            for a in alerts[-20:]
        ],
        "alerts_total": len(alerts),
    }
    if args.backtest:
        result = backtest_bars(
            joined,
            analysis,
            args,
            interval_ns=interval_ns(args.interval),
            book_at=book_at,
            y_symbol=args.y,
            x_symbol=args.x,
        )
        methods = sorted({f["cost_method"] for f in result.fills})
        out["backtest"] = {**result.summary, "fills": len(result.fills), "slippage_by": methods}
    if args.plot:
        from tradecost.pairs.plot import plot_pair

        held = result.position if args.backtest else rule.position

        plot_pair(
            args.plot,
            analysis,
            close_y.to_numpy(),
            close_x.to_numpy(),
            times=joined.index.to_numpy(dtype=np.int64).astype("datetime64[ns]"),
            volume_y=joined["volume_y"].to_numpy(),
            volume_x=joined["volume_x"].to_numpy(),
            y_name=args.y,
            x_name=args.x,
            entry=args.entry,
            exit=args.exit,
            stop=args.stop,
            position=held,
        )
        out["plot"] = str(args.plot)
    return out


def _utc(ts_ns: int | None) -> str:
    """Bar start as ``2026-11-27T19:26Z``."""
    if ts_ns is None:
        return "?"
    return str(np.datetime64(int(ts_ns), "ns").astype("datetime64[m]")) + "Z"


def _text(out: dict[str, Any]) -> str:
    latest = out["latest"]
    eg = out["engle_granger"]
    stat = out["adf_spread"]
    signal = out["signal"]
    position = {1: "long spread", -1: "short spread", 0: "flat"}[signal["position"]]
    lines = [
        f"{out['y']} ~ {out['x']}  {out['bars']} common {out['interval']} bars "
        f"{_utc(out['first_bar_ns'])} … {_utc(out['last_bar_ns'])}, window "
        f"{out['window']} ({out['method']}, z {out['zscore_window']}, ddof {out['ddof']:g})",
        f"  beta          {latest['beta']:.6f}",
        f"  alpha         {latest['alpha']:.6f}",
        f"  spread        {latest['spread']:.6g}  (sd {latest['spread_sd']:.4g})",
        f"  z-score       {latest['zscore']:.3f}",
        f"  correlation   {latest['correlation']:.4f}",
    ]
    if "adf_pvalue" in latest:
        lines.append(f"  rolling ADF   {latest['adf_stat']:.3f}  (p {latest['adf_pvalue']:.3g})")
    lines += [
        f"Engle–Granger over all bars: stat {eg['stat']:.3f}, p {eg['pvalue']:.3g}, "
        f"beta {eg['beta']:.4f}, lags {eg['usedlag']}",
        f"Engle–Granger over the last {out['window']} bars: stat "
        f"{out['engle_granger_window']['stat']:.3f}, p {out['engle_granger_window']['pvalue']:.3g}",
        f"ADF of the rolling spread, last {stat['bars']} bars: stat {stat['stat']:.3f}, "
        f"p {stat['pvalue']:.3g}; half-life of the window's residuals "
        f"{out['half_life_bars']:.1f} bars",
        f"signal: {position}"
        + (f" ({signal['action']} on the last bar)" if signal["action"] else "")
        + f"; entry ±{signal['entry']:g}, exit ±{signal['exit']:g}"
        + (f", stop ±{signal['stop']:g}" if signal["stop"] is not None else ""),
    ]
    if out["alerts_total"]:
        lines.append(f"alerts: {out['alerts_total']} (last {len(out['alerts'])})")
        lines += [
            f"  {_utc(a['bar_ns'])} {a['rule']}: {a['previous']:.4g} → {a['value']:.4g}"
            for a in out["alerts"]
        ]
    if "backtest" in out:
        bt = out["backtest"]
        lines.append(
            f"backtest: {bt['round_trips']:.0f} round trips, gross {bt['gross_pnl']:.2f}, fees "
            f"{bt['fees']:.2f}, slippage {bt['slippage']:.2f} ({', '.join(bt['slippage_by'])}), "
            f"net {bt['net_pnl']:.2f}; turnover {bt['turnover']:.0f}, costs "
            f"{bt['cost_bps_of_turnover']:.2f} bp of turnover"
        )
    if "plot" in out:
        lines.append(f"chart: {out['plot']}")
    return "\n".join(lines)


def cmd_pairs(args: argparse.Namespace) -> int:
    try:
        from tradecost.store import TickStore  # type: ignore[import-not-found,unused-ignore]
    except ImportError as exc:
        raise TradecostError(
            f"`tradecost pairs` reads bars from tradecost.store, which is not available: {exc}"
        ) from exc
    interval_ns(args.interval)
    with TickStore(args.db) as store:
        bars_y = store.bars(args.y, interval=args.interval, exchange=args.exchange)
        bars_x = store.bars(args.x, interval=args.interval, exchange=args.exchange)
        out = report(bars_y, bars_x, args, book_at=getattr(store, "book_at", None))
    if args.json:
        print(json.dumps(_clean(out)))
    else:
        print(_text(out))
    return 0
