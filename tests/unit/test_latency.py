"""The fixed-memory latency histogram against numpy's exact percentiles."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tradecost.latency import LatencyHistogram


def test_percentiles_within_bucket_resolution():
    rng = np.random.default_rng(3)
    values = rng.lognormal(8, 1.5, 50_000).astype(np.int64)
    hist = LatencyHistogram()
    for v in values:
        hist.record(int(v))
    for q in (50, 95, 99, 99.9):
        exact = np.percentile(values, q, method="inverted_cdf")
        assert hist.percentile(q) == pytest.approx(exact, rel=1 / 64)
    summary = hist.summary()
    assert summary.count == 50_000
    assert summary.max_ns == values.max()
    assert summary.mean_ns == pytest.approx(values.mean())


def test_small_values_are_exact_and_extremes_are_kept():
    hist = LatencyHistogram()
    for v in (0, 1, 2, 3, -5):
        hist.record(v)
    assert hist.percentile(100) == 3.0
    assert hist.percentile(20) == 0.0
    hist.record(2**50)
    assert hist.percentile(100) == float(2**50)


def test_empty_merge_reset():
    a, b = LatencyHistogram(), LatencyHistogram()
    assert math.isnan(a.percentile(50))
    assert math.isnan(a.summary().p99_ns)
    b.record(1000)
    a.merge(b)
    assert a.count == 1 and a.percentile(50) == pytest.approx(1000, rel=1 / 64)
    a.reset()
    assert a.count == 0
    with pytest.raises(ValueError, match="percentile"):
        a.percentile(0)
