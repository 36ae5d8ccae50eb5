from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# "ci" (scripts/test.sh) is deterministic: the same examples on every run, so a red run is
# about the change under test, and a failure prints the blob that replays it. "dev" (the
# default) draws new examples each run, to keep finding new cases locally.
settings.register_profile(
    "ci",
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
    print_blob=True,
)
# Explicit, because on a machine that looks like CI Hypothesis loads its own derandomized
# "ci" profile first and a new profile inherits from whatever is loaded.
settings.register_profile(
    "dev", parent=settings.get_profile("default"), max_examples=60, deadline=None, derandomize=False
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


def captures_dir() -> Path | None:
    """The recorded OKX captures: $TRADECOST_OKX_CAPTURES, else ../shared/data/okx beside the
    checkout. None when neither exists (the playback tests then skip)."""
    configured = os.environ.get("TRADECOST_OKX_CAPTURES")
    if configured:
        path = Path(configured)
        return path if path.is_dir() else None
    default = Path(__file__).resolve().parents[2] / "shared" / "data" / "okx"
    return default if default.is_dir() else None


@pytest.fixture(scope="session")
def okx_captures() -> Path:
    path = captures_dir()
    if path is None:
        pytest.skip("recorded OKX captures not found (set TRADECOST_OKX_CAPTURES)")
    return path
