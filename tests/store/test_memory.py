"""Memory stays flat while trades pour in: the writer's queue is bounded and nothing is kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from .soak import soak


def test_memory_is_flat_over_1m_trades(tmp_path: Path):
    result = soak(tmp_path / "soak.db", 1_000_000)
    assert len(result.rss_mb) == 10
    # the last 300,000 trades add nothing: a leak of 30 bytes a trade would show
    assert result.growth_after_mb(7) < 8, result.rss_mb


@pytest.mark.slow
def test_memory_is_flat_over_10m_trades(tmp_path: Path):
    result = soak(tmp_path / "soak.db", 10_000_000)
    assert len(result.rss_mb) == 10
    assert result.growth_after_mb(2) < 16, result.rss_mb  # 8M trades: < 2 bytes a trade
