"""Learned models: feature extraction, compiled predictions, a refit on 100k samples.

Run: PYTHONPATH=src python -m pytest benchmarks/bench_learned.py -o python_files='bench_*.py'
"""

from __future__ import annotations

import numpy as np
import pytest

from tradecost.models import (
    N_LIMIT_FEATURES,
    N_MARKET_FEATURES,
    DatasetBuilder,
    MakerTakerClassifier,
    SlippageRegressor,
    frames_from_market,
)
from tradecost.sim import SimulatedMarket


@pytest.fixture(scope="module")
def stream():
    builder = DatasetBuilder("0.1", latency_ms=250.0, seed=3)
    builder.feed_all(frames_from_market(SimulatedMarket(seed=3), 600.0))
    builder.finish()
    return builder


def test_extract_market_features(benchmark, stream):
    out = np.empty(N_MARKET_FEATURES)
    benchmark(stream.extractor.extract, stream.book, "buy", 100_000.0, out)


def test_extract_limit_features(benchmark, stream):
    out = np.empty(N_LIMIT_FEATURES)
    benchmark(stream.extractor.extract_limit, stream.book, "buy", 2, 1_000.0, 5.0, out)


def test_predict_slippage_p50_compiled(benchmark, stream):
    data = stream.slippage_dataset()
    predictor = SlippageRegressor().fit(data.X, data.y).compile()
    benchmark(predictor.predict_one, data.X[0])


def test_predict_slippage_p50_p90_compiled(benchmark, stream):
    data = stream.slippage_dataset()
    predictor = SlippageRegressor().fit(data.X, data.y).compile()
    out = np.empty(2)
    benchmark(predictor.predict_into, data.X[0], out)


def test_predict_fill_compiled(benchmark, stream):
    data = stream.fill_dataset()
    predictor = MakerTakerClassifier(horizon_feature=8).fit(data.X, data.y).compile()
    benchmark(predictor.predict_one, data.X[0])


def test_predict_slippage_sklearn_path(benchmark, stream):
    data = stream.slippage_dataset()
    model = SlippageRegressor().fit(data.X, data.y)
    benchmark(model.predict, data.X[:1])


def _hundred_k(data_X, data_y):
    rng = np.random.default_rng(0)
    index = rng.integers(0, data_X.shape[0], 100_000)
    return data_X[index], data_y[index]


def test_refit_slippage_p50_p90_100k(benchmark, stream):
    data = stream.slippage_dataset()
    X, y = _hundred_k(data.X, data.y)
    benchmark.pedantic(SlippageRegressor().fit, args=(X, y), rounds=1, iterations=1)


def test_refit_fill_cloglog_100k(benchmark, stream):
    data = stream.fill_dataset()
    X, y = _hundred_k(data.X, data.y)
    model = MakerTakerClassifier(horizon_feature=8, horizon_effect="free")
    benchmark.pedantic(model.fit, args=(X, y), rounds=3, iterations=1)


def test_refit_fill_cloglog_frailty_100k(benchmark, stream):
    """What ``OnlineModels`` refits: the frailty θ chosen by profile likelihood."""
    data = stream.fill_dataset()
    X, y = _hundred_k(data.X, data.y)
    model = MakerTakerClassifier(horizon_feature=8, horizon_effect="free", frailty="fit")
    benchmark.pedantic(model.fit, args=(X, y), rounds=3, iterations=1)


@pytest.fixture(scope="module")
def frames_30s():
    return list(frames_from_market(SimulatedMarket(seed=3), 30.0))


def test_dataset_builder_replay_30s(benchmark, frames_30s):
    """Samples from 30 simulated seconds of raw frames (about 24k), through the OKX protocol's
    sequence and checksum checks; divide by the frame count for the time per frame."""

    def replay() -> DatasetBuilder:
        builder = DatasetBuilder("0.1", seed=5)
        builder.feed_all(frames_30s)
        return builder

    builder = benchmark.pedantic(replay, rounds=5, iterations=1)
    benchmark.extra_info["frames"] = len(frames_30s)
    assert len(builder.slippage_dataset()) > 0
