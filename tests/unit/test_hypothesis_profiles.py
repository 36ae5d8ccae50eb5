"""The Hypothesis profiles: scripts/test.sh's "ci" draws the same examples on every run."""

from __future__ import annotations

from hypothesis import settings

import tests.conftest  # noqa: F401 - registers the profiles


def test_ci_profile_is_deterministic_and_replayable():
    ci = settings.get_profile("ci")
    assert ci.derandomize
    assert ci.print_blob


def test_dev_profile_keeps_exploring():
    assert not settings.get_profile("dev").derandomize
