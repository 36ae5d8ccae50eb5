"""The live view's estimate with and without the learned models, as ``simulate --demo`` runs it.

``python benchmarks/live_tick.py [SECONDS] [ROUNDS] [python]`` runs ``tradecost simulate --demo
--json`` in this process for SECONDS (default 15) with no models (``--no-models``), with the
untrained models it starts with, and with models trained beforehand on 10 simulated minutes (the
demo itself needs ~3.5 minutes of stream before its first refit), ROUNDS times each (default 2),
interleaved, and prints the p50 of each run's ``latency_ns`` (the estimate) and
``end_to_end_ns`` (bytes received → estimate ready) as JSON lines. With ``python``, each round
also runs the untrained and trained models through a Python-level ``predict_quantiles`` (the
tick path before it was one compiled call: ``models`` "untrained-python", "trained-python"),
so the saving is measured in the same process.
"""

from __future__ import annotations

import io
import json
import math
import statistics
import sys
from typing import Any

from tradecost import simulate
from tradecost.cli import build_parser
from tradecost.loop import run as run_loop
from tradecost.models.live import LiveModels
from tradecost.sim import SimulatedMarket


def trained_predictors() -> Any:
    models = LiveModels("0.1", refit_every=2048, min_samples=2048, max_samples=4096)
    market = SimulatedMarket(symbol="BTC-USDT", seed=5)
    for timed in market.events(channels=("books-l2-tbt", "trades"), duration=600.0):
        models.on_frame(timed.frame, timed.ts_ns)
        models.drain()
    models.online.wait()
    assert models.online.predictors.slippage is not None, models.online.errors
    return models.online.predictors


class PythonCallLiveModels(LiveModels):
    """``predict_quantiles`` as it was before the compiled call: a Python method reaching the
    predictor by attribute lookups (``_predictors`` is what the plain attribute
    ``OnlineModels.predictors`` was) and the extractor through a slot."""

    __slots__ = ("_extractor",)

    def __init__(self, tick_size: str, **options: Any) -> None:
        super().__init__(tick_size, **options)
        self._extractor = self.online.builder.extractor

    def predict_quantiles(self, book: Any, side: str, notional: float) -> tuple[float, float]:
        predictor = self.online._predictors.slippage
        if predictor is None:
            return math.nan, math.nan
        values = predictor.predict_book(self._extractor, book, side, notional)  # type: ignore[arg-type]
        return values[0], values[-1]


def run_demo(seconds: float, models: str, predictors: Any) -> dict[str, Any]:
    base = PythonCallLiveModels if models.endswith("-python") else LiveModels

    class PretrainedLiveModels(base):  # type: ignore[valid-type,misc]
        __slots__ = ()

        def __init__(self, tick_size: str, **options: Any) -> None:
            super().__init__(tick_size, **options)
            self.online.predictors = predictors

    simulate.LiveModels = PretrainedLiveModels if models.startswith("trained") else base  # type: ignore[misc]
    extra = ["--no-models"] if models == "none" else []
    args = build_parser().parse_args(
        ["simulate", "--demo", "--json", "--duration", str(seconds), *extra]
    )
    inputs, note = simulate.estimator_inputs(args)
    out = io.StringIO()
    run_loop(simulate.run(args, out, inputs, note), args.event_loop)
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    learned = [r["slippage_p50_bps"] is not None for r in rows]
    assert all(learned) if models.startswith("trained") else not any(learned)
    return {
        "models": models,
        "ticks": len(rows),
        "estimate_p50_us": round(statistics.median(r["latency_ns"] for r in rows) / 1e3, 1),
        "end_to_end_p50_us": round(statistics.median(r["end_to_end_ns"] for r in rows) / 1e3, 1),
    }


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 15.0
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    kinds = ["none", "untrained", "trained"]
    if len(sys.argv) > 3 and sys.argv[3] == "python":
        kinds += ["untrained-python", "trained-python"]
    predictors = trained_predictors()
    for _ in range(rounds):
        for models in kinds:
            print(json.dumps(run_demo(seconds, models, predictors)), flush=True)


if __name__ == "__main__":
    main()
