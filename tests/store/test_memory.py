"""Memory stays flat while trades pour in: the writer's queue is bounded and nothing is kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from .soak import soak


def test_memory_is_flat_over_1m_trades(tmp_path: Path):
    result = soak(tmp_path / "soak.db", 1_000_000)
    assert len(result.rss_mb) == 10
    assert result.growth_after_warmup_mb < 40


@pytest.mark.slow
def test_memory_is_flat_over_10m_trades(tmp_path: Path):
    result = soak(tmp_path / "soak.db", 10_000_000)
    assert len(result.rss_mb) == 10
    assert result.growth_after_warmup_mb < 40
