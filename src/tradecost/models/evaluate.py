"""Walk-forward, out-of-sample evaluation of the learned cost models against their baselines.

``python -m tradecost.models.evaluate --demo --json`` (wired as ``tradecost models evaluate``):
builds the datasets of :mod:`tradecost.models.datasets` from a simulated market (``--demo``,
``--market btc`` by default or ``large_tick``, see :func:`demo_market`) or a recording
(``--source FILE``), splits them in time into ``splits + 1`` consecutive blocks, and for
k = 1..splits fits on blocks 0..k−1 and predicts block k (expanding window, never a random
split; research notes §4.4). Every metric is computed on the pooled out-of-sample predictions.

Slippage (target: realised cost vs the arrival mid, bps): MAE and R² of the linear model, pinball
loss and empirical coverage per quantile, each beside two baselines, the raw walk-the-book value
of the decision-time snapshot and a quantile regression on that value alone.
Maker/taker: log-loss, Brier score, AUC and a calibration table for the cloglog GLMs (offset
ln h, and h^γ free), each with a gamma frailty fitted on the training window, and the logit,
beside the pure Avellaneda–Stoikov cloglog (no frailty), the base rate and a distance-only
model.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
from sklearn.metrics import (
    brier_score_loss,
    log_loss,
    mean_absolute_error,
    mean_pinball_loss,
    r2_score,
    roc_auc_score,
)

from tradecost.errors import InvalidInputError
from tradecost.models.datasets import (
    DatasetBuilder,
    FillDataset,
    SlippageDataset,
    frames_from_file,
    frames_from_market,
    infer_tick_size,
)
from tradecost.models.features import LIMIT_FEATURES, MARKET_FEATURES
from tradecost.models.maker_taker import MakerTakerClassifier
from tradecost.models.slippage import SlippageRegressor
from tradecost.sim.market import MarketParams, SimulatedMarket

__all__ = [
    "calibration_table",
    "evaluate_fills",
    "evaluate_slippage",
    "main_evaluate",
    "walk_forward_blocks",
]

_F64 = npt.NDArray[np.float64]
HORIZON = LIMIT_FEATURES.index("horizon_s")
DISTANCE = LIMIT_FEATURES.index("distance_ticks")
QUEUE = LIMIT_FEATURES.index("log_queue_ratio")
WALK = MARKET_FEATURES.index("walk_bps")


def walk_forward_blocks(n: int, splits: int) -> list[tuple[slice, slice]]:
    """(train, test) slices of an expanding walk-forward split of n time-ordered rows."""
    if splits < 1:
        raise InvalidInputError(f"splits must be >= 1, got {splits}")
    edges = np.linspace(0, n, splits + 2).round().astype(int)
    return [
        (slice(0, int(edges[k])), slice(int(edges[k]), int(edges[k + 1])))
        for k in range(1, splits + 1)
    ]


def _recent(train: slice, max_train: int | None) -> slice:
    start = train.start or 0
    if max_train is not None and train.stop - start > max_train:
        start = train.stop - max_train
    return slice(start, train.stop)


def evaluate_slippage(
    data: SlippageDataset,
    *,
    quantiles: Sequence[float] = (0.5, 0.9),
    splits: int = 3,
    max_train: int | None = 20_000,
) -> dict[str, Any]:
    """Out-of-sample metrics of SlippageRegressor (quantile and linear) and baselines."""
    n = len(data)
    if n < 50 * (splits + 1):
        raise InvalidInputError(
            f"{n} slippage samples are too few for {splits} walk-forward splits"
        )
    X, y = data.X, data.y
    levels = sorted(float(q) for q in quantiles)
    pred = {name: np.full((n, len(levels)), np.nan) for name in ("model", "walk_quantile")}
    linear = {name: np.full(n, np.nan) for name in ("model", "walk_linear")}
    tested = np.zeros(n, dtype=bool)
    for train, test in walk_forward_blocks(n, splits):
        fit_rows = _recent(train, max_train)
        model = SlippageRegressor(quantiles=tuple(levels)).fit(X[fit_rows], y[fit_rows])
        walk_only = SlippageRegressor(quantiles=tuple(levels)).fit(
            X[fit_rows, WALK : WALK + 1], y[fit_rows]
        )
        pred["model"][test] = model.predict_quantiles(X[test])
        pred["walk_quantile"][test] = walk_only.predict_quantiles(X[test, WALK : WALK + 1])
        mean_model = SlippageRegressor(kind="linear").fit(X[fit_rows], y[fit_rows])
        mean_walk = SlippageRegressor(kind="linear").fit(X[fit_rows, WALK : WALK + 1], y[fit_rows])
        linear["model"][test] = mean_model.predict(X[test])
        linear["walk_linear"][test] = mean_walk.predict(X[test, WALK : WALK + 1])
        tested[test] = True
    y_test = y[tested]
    walk = data.walk_bps[tested]
    out: dict[str, Any] = {
        "samples": n,
        "out_of_sample": int(tested.sum()),
        "latency_ms": data.latency_ns / 1e6,
        "target": "realised slippage vs arrival mid, bps",
        "realised_mean_bps": float(y_test.mean()),
        "walk_book_mean_bps": float(walk.mean()),
        "mean_model": {
            "model": _point_metrics(y_test, linear["model"][tested]),
            "walk_book": _point_metrics(y_test, walk),
            "walk_book_linear": _point_metrics(y_test, linear["walk_linear"][tested]),
        },
        "quantiles": {},
    }
    for j, level in enumerate(levels):
        entry: dict[str, Any] = {}
        for name, values in (
            ("model", pred["model"][tested, j]),
            ("walk_book", walk),
            ("walk_book_quantile", pred["walk_quantile"][tested, j]),
        ):
            entry[name] = {
                "pinball_loss": float(mean_pinball_loss(y_test, values, alpha=level)),
                "coverage": float(np.mean(y_test <= values)),
                "mae": float(mean_absolute_error(y_test, values)),
            }
        entry["nominal"] = level
        out["quantiles"][f"p{round(level * 100)}"] = entry
    return out


def _point_metrics(y: _F64, prediction: _F64) -> dict[str, float]:
    return {
        "mae": float(mean_absolute_error(y, prediction)),
        "r2": float(r2_score(y, prediction)),
    }


def calibration_table(y: npt.ArrayLike, p: npt.ArrayLike, bins: int = 10) -> list[dict[str, Any]]:
    """Reliability table: equal-width bins of predicted P, with count, mean prediction and
    observed frequency (empty bins omitted)."""
    labels = np.asarray(y, dtype=np.float64)
    prob = np.asarray(p, dtype=np.float64)
    index = np.minimum((prob * bins).astype(int), bins - 1)
    table = []
    for b in range(bins):
        mask = index == b
        if mask.any():
            table.append(
                {
                    "bin": [b / bins, (b + 1) / bins],
                    "count": int(mask.sum()),
                    "mean_predicted": float(prob[mask].mean()),
                    "observed": float(labels[mask].mean()),
                }
            )
    return table


def _classifier_metrics(y: npt.NDArray[np.int64], p: _F64) -> dict[str, Any]:
    table = calibration_table(y, p)
    total = sum(row["count"] for row in table)
    ece = sum(row["count"] * abs(row["mean_predicted"] - row["observed"]) for row in table)
    clipped = np.clip(p, 1e-12, 1 - 1e-12)
    return {
        "log_loss": float(log_loss(y, clipped, labels=[0, 1])),
        "brier": float(brier_score_loss(y, p)),
        "auc": float(roc_auc_score(y, p)) if 0 < y.sum() < y.size else math.nan,
        "expected_calibration_error": float(ece / total),
        "calibration": table,
    }


def evaluate_fills(
    data: FillDataset, *, splits: int = 3, max_train: int | None = 50_000
) -> dict[str, Any]:
    """Out-of-sample metrics of MakerTakerClassifier (cloglog and logit) and baselines."""
    n = len(data)
    if n < 50 * (splits + 1):
        raise InvalidInputError(f"{n} fill samples are too few for {splits} walk-forward splits")
    X, y = data.X, data.y
    names = (
        "cloglog",
        "cloglog_weibull",
        "logit",
        "cloglog_no_frailty",
        "distance_only",
        "base_rate",
    )
    frailty: dict[str, list[float]] = {"cloglog": [], "cloglog_weibull": []}
    pred = {name: np.full(n, np.nan) for name in names}
    tested = np.zeros(n, dtype=bool)
    distance_columns = [DISTANCE, HORIZON]
    last: MakerTakerClassifier | None = None
    for train, test in walk_forward_blocks(n, splits):
        rows = _recent(train, max_train)
        for name, link, effect, theta in (
            ("cloglog", "cloglog", "offset", "fit"),
            ("cloglog_weibull", "cloglog", "free", "fit"),
            ("logit", "logit", "free", 0.0),
            ("cloglog_no_frailty", "cloglog", "offset", 0.0),
        ):
            model = MakerTakerClassifier(
                link=link, horizon_feature=HORIZON, horizon_effect=effect, frailty=theta
            ).fit(X[rows], y[rows])
            pred[name][test] = model.predict_proba(X[test])[:, 1]
            if name in frailty:
                frailty[name].append(model.frailty_)
            if name == "cloglog_weibull":
                last = model
        distance_only = MakerTakerClassifier(link="cloglog", horizon_feature=1).fit(
            X[rows][:, distance_columns], y[rows]
        )
        pred["distance_only"][test] = distance_only.predict_proba(X[test][:, distance_columns])[
            :, 1
        ]
        pred["base_rate"][test] = float(np.mean(y[rows]))
        tested[test] = True
    y_test = y[tested]
    out: dict[str, Any] = {
        "samples": n,
        "out_of_sample": int(tested.sum()),
        "fill_rate": float(y_test.mean()),
        "label": "filled passively within h (queue-ahead and trade-through; lower bound)",
        "horizons_s": sorted(float(h) for h in np.unique(data.horizon_s)),
        "models": {name: _classifier_metrics(y_test, pred[name][tested]) for name in names},
        "frailty_per_split": frailty,
    }
    if last is not None:
        out["monotonicity"] = _monotonicity(last, X[tested])
        out["monotonicity"]["queue_at_fixed_distance"] = queue_effect_by_distance(
            last, X[tested], y_test
        )
        coefficients = {name: float(c) for name, c in zip(LIMIT_FEATURES, last.coef_, strict=True)}
        coefficients["intercept"] = float(last.intercept_)
        coefficients["ln_horizon"] = float(last.horizon_coef_)
        coefficients["frailty"] = float(last.frailty_)
        out["cloglog_weibull_coefficients"] = coefficients
    return out


def _monotonicity(model: MakerTakerClassifier, X: _F64) -> dict[str, Any]:
    """P(fill) along a grid of distance and of queue ahead, other features at their medians."""
    base = np.median(X, axis=0)
    result: dict[str, Any] = {}
    for name, column, grid in (
        ("distance_ticks", DISTANCE, np.arange(0.0, 41.0, 5.0)),
        ("log_queue_ratio", QUEUE, np.linspace(0.0, 6.0, 7)),
    ):
        rows = np.tile(base, (grid.size, 1))
        rows[:, column] = grid
        p = model.predict_proba(rows)[:, 1]
        result[name] = {
            "grid": grid.tolist(),
            "p_fill": p.tolist(),
            "decreasing": bool(np.all(np.diff(p) < 0)),
        }
    return result


_DISTANCE_BUCKETS = ((-2, 0), (1, 3), (4, 10), (11, 20), (21, 40))


def queue_effect_by_distance(
    model: MakerTakerClassifier, X: _F64, y: npt.NDArray[np.int64]
) -> list[dict[str, Any]]:
    """P(fill) against queue ahead with distance held fixed, per distance bucket (ticks).

    ``observed``: fill frequency in the lower and upper third of ln(1 + Q0/q) within the bucket
    (model-free); ``model``: the model's average prediction over the bucket's rows with
    ln(1 + Q0/q) set to each third's median (partial dependence). Buckets inside the spread have
    Q0 = 0 and are skipped.
    """
    out = []
    for low, high in _DISTANCE_BUCKETS:
        rows = (X[:, DISTANCE] >= low) & (X[:, DISTANCE] <= high)
        queue = X[rows, QUEUE]
        if rows.sum() < 30 or np.ptp(queue) == 0:
            continue
        low_cut, high_cut = np.quantile(queue, [1 / 3, 2 / 3])
        lower, upper = queue <= low_cut, queue > high_cut
        if not (lower.any() and upper.any()):
            continue
        sub = X[rows].copy()
        partial = []
        for third in (lower, upper):
            sub[:, QUEUE] = float(np.median(queue[third]))
            partial.append(float(model.predict_proba(sub)[:, 1].mean()))
        labels = y[rows]
        out.append(
            {
                "distance_ticks": [low, high],
                "count": int(rows.sum()),
                "log_queue_ratio_thirds": [float(low_cut), float(high_cut)],
                "observed": [float(labels[lower].mean()), float(labels[upper].mean())],
                "model": partial,
            }
        )
    return out


def build_datasets(
    frames: Iterable[tuple[int | None, str]], tick_size: str, **options: Any
) -> tuple[SlippageDataset, FillDataset, dict[str, Any]]:
    """Run a DatasetBuilder over ``frames``; returns both datasets and stream counters."""
    builder = DatasetBuilder(tick_size, **options)
    builder.feed_all(frames)
    builder.finish()
    stats = {
        "frames": builder.frames,
        "bad_frames": builder.bad_frames,
        "dropped_incomplete": builder.dropped_incomplete,
        "censored": builder.censored,
        "fills_by_rule": builder.fills_by_rule,
        "inst_id": builder.inst_id,
    }
    return builder.slippage_dataset(), builder.fill_dataset(), stats


def evaluate(args: argparse.Namespace) -> dict[str, Any]:
    """The full report for parsed command-line arguments."""
    started = time.perf_counter()
    options: dict[str, Any] = {
        "latency_ms": args.latency_ms,
        "decision_interval_ms": args.decision_interval_ms,
        "seed": args.seed,
        "size_range_usd": (args.min_usd or 1e3, args.max_usd or 1e6),
    }
    if args.demo:
        demo = demo_market(args.market)
        low, high = demo.size_range_usd
        options["size_range_usd"] = (args.min_usd or low, args.max_usd or high)
        options["distance_range_ticks"] = demo.distance_range_ticks
        options["limit_size_range_usd"] = demo.limit_size_range_usd
        market = SimulatedMarket(symbol=demo.symbol, seed=args.seed, params=demo.params)
        source: dict[str, Any] = {
            "kind": "simulated",
            "market": args.market,
            "symbol": demo.symbol,
            "distance_range_ticks": list(demo.distance_range_ticks),
            "limit_size_range_usd": list(demo.limit_size_range_usd),
            "seed": args.seed,
            "duration_s": args.duration,
            "channels": ["books-l2-tbt", "trades"],
        }
        frames: Iterable[tuple[int | None, str]] = frames_from_market(market, args.duration)
        tick_size = market.params.tick_size
    else:
        tick_size = args.tick_size or infer_tick_size(frames_from_file(args.source), args.inst_id)
        source = {"kind": "file", "path": str(args.source), "tick_size": tick_size}
        frames = frames_from_file(args.source)
        options["inst_id"] = args.inst_id
    slippage, fills, stats = build_datasets(frames, tick_size, **options)
    source.update(stats)
    report: dict[str, Any] = {"source": source, "splits": args.splits}
    report["slippage"] = evaluate_slippage(slippage, splits=args.splits)
    report["maker_taker"] = evaluate_fills(fills, splits=args.splits)
    report["checks"] = _checks(report)
    report["checks_computed_on"] = (
        f"simulated {args.market} market ({source['symbol']})"
        if args.demo
        else f"recording {args.source}"
    )
    report["elapsed_s"] = round(time.perf_counter() - started, 2)
    return report


class DemoMarket(NamedTuple):
    """A simulated market of ``--demo`` and the orders sampled on it."""

    symbol: str
    params: MarketParams
    size_range_usd: tuple[float, float]
    """market-order sizes, USD (log-uniform)"""
    distance_range_ticks: tuple[int, int]
    """limit-order distances behind the own touch, ticks (uniform; never crossing)"""
    limit_size_range_usd: tuple[float, float]
    """limit-order sizes, USD (log-uniform)"""


def demo_market(name: str) -> DemoMarket:
    """The simulated market ``name`` of ``--demo`` (one of :data:`DEMO_MARKETS`).

    ``btc``: the default parameters, OKX BTC-USDT spot, a small-tick book (0.1 at ≈ 95,000,
    0.01 bps a tick): market orders 1,000–1,000,000 USD, limit orders 100–50,000 USD up to 40
    ticks behind the touch. ``large_tick``: :meth:`MarketParams.large_tick` (0.0001 at 0.2,
    5 bps a tick), scaled to its book: ≈ 110k USD rests per side, so market orders are
    100–20,000 USD; the touch holds ≈ 8k USD (median), so limit orders are 20–2,000 USD (the
    size of its typical orders), and a level more than a few ticks behind the touch is rarely
    reached within 10 s, so they rest up to 5 ticks behind it.
    """
    if name == "btc":
        return DemoMarket("BTC-USDT", MarketParams(), (1e3, 1e6), (-2, 40), (1e2, 5e4))
    if name == "large_tick":
        return DemoMarket(
            "LTICK-USDT", MarketParams.large_tick(), (1e2, 2e4), (-2, 5), (20.0, 2000.0)
        )
    raise InvalidInputError(f"unknown market {name!r}; choose from {', '.join(DEMO_MARKETS)}")


DEMO_MARKETS: tuple[str, ...] = ("btc", "large_tick")


def _checks(report: dict[str, Any]) -> dict[str, bool]:
    slip = report["slippage"]["quantiles"]
    fills = report["maker_taker"]["models"]
    checks: dict[str, bool] = {}
    for key, entry in slip.items():
        model = entry["model"]
        checks[f"{key}_beats_walk_book"] = (
            model["pinball_loss"] < entry["walk_book"]["pinball_loss"]
        )
        checks[f"{key}_beats_walk_book_quantile"] = (
            model["pinball_loss"] < entry["walk_book_quantile"]["pinball_loss"]
        )
        checks[f"{key}_coverage_within_3_points"] = (
            abs(model["coverage"] - entry["nominal"]) <= 0.03
        )
    for name in ("cloglog", "cloglog_weibull", "logit"):
        checks[f"{name}_beats_base_rate_brier"] = fills[name]["brier"] < fills["base_rate"]["brier"]
        checks[f"{name}_beats_distance_only_brier"] = (
            fills[name]["brier"] < fills["distance_only"]["brier"]
        )
        checks[f"{name}_calibrated_ece_below_0.03"] = (
            fills[name]["expected_calibration_error"] < 0.03
        )
    mono = report["maker_taker"].get("monotonicity", {})
    checks["fill_decreasing_in_distance"] = bool(mono.get("distance_ticks", {}).get("decreasing"))
    checks["fill_decreasing_in_queue"] = bool(mono.get("log_queue_ratio", {}).get("decreasing"))
    return checks


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tradecost models evaluate",
        description="Walk-forward, out-of-sample quality of the learned cost models vs baselines.",
    )
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--demo", action="store_true", help="use the built-in simulated market")
    where.add_argument("--source", metavar="FILE", help="a recording of raw OKX frames")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument(
        "--market",
        choices=DEMO_MARKETS,
        default="btc",
        help="simulated market of --demo: btc (small tick, default) or large_tick",
    )
    parser.add_argument("--seed", type=int, default=7, help="market and sampling seed")
    parser.add_argument("--duration", type=float, default=2400.0, help="simulated seconds (--demo)")
    parser.add_argument("--latency-ms", type=float, default=250.0, help="submission latency")
    parser.add_argument("--decision-interval-ms", type=float, default=100.0)
    parser.add_argument(
        "--min-usd",
        type=float,
        default=None,
        help="smallest market order (default 1e3; 1e2 on large_tick)",
    )
    parser.add_argument(
        "--max-usd",
        type=float,
        default=None,
        help="largest market order (default 1e6; 2e4 on large_tick)",
    )
    parser.add_argument("--splits", type=int, default=3, help="walk-forward test blocks")
    parser.add_argument("--inst-id", default=None, help="instrument of a --source recording")
    parser.add_argument("--tick-size", default=None, help="tick size of a --source recording")
    return parser


def main_evaluate(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        report = evaluate(args)
    except InvalidInputError as exc:
        print(f"tradecost models evaluate: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report, indent=2, allow_nan=True))
        return 0
    _print_summary(report)
    return 0


def _print_summary(report: dict[str, Any]) -> None:
    slip = report["slippage"]
    print(
        f"slippage: {slip['out_of_sample']} out-of-sample orders, latency {slip['latency_ms']} ms"
    )
    for key, entry in slip["quantiles"].items():
        for name in ("model", "walk_book_quantile", "walk_book"):
            m = entry[name]
            print(
                f"  {key} {name:<20} pinball {m['pinball_loss']:.5f}  coverage {m['coverage']:.3f}"
            )
    for name, m in slip["mean_model"].items():
        print(f"  mean {name:<20} MAE {m['mae']:.5f}  R2 {m['r2']:.4f}")
    fills = report["maker_taker"]
    print(
        f"maker/taker: {fills['out_of_sample']} out-of-sample orders, "
        f"fill rate {fills['fill_rate']:.3f}"
    )
    for name, m in fills["models"].items():
        print(
            f"  {name:<14} log-loss {m['log_loss']:.4f}  Brier {m['brier']:.4f}  "
            f"AUC {m['auc']:.3f}  ECE {m['expected_calibration_error']:.4f}"
        )
    rules = report["source"].get("fills_by_rule")
    if rules:
        print(
            f"  labelled fills: {rules['trade_through']} trade-through, "
            f"{rules['queue_consumed']} queue ahead traded"
        )
    for row in fills.get("monotonicity", {}).get("queue_at_fixed_distance", []):
        low, high = row["distance_ticks"]
        print(
            f"  queue ahead at {low}..{high} ticks (lower -> upper third): observed "
            f"{row['observed'][0]:.3f} -> {row['observed'][1]:.3f}, model "
            f"{row['model'][0]:.3f} -> {row['model'][1]:.3f}"
        )
    print(f"checks computed on the {report['checks_computed_on']}")
    print(
        "checks: " + ", ".join(f"{k}={'ok' if v else 'FAIL'}" for k, v in report["checks"].items())
    )
    print(f"elapsed {report['elapsed_s']} s")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main_evaluate())
