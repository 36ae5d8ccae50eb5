"""Signals against a plain-loop reference; alert rules' crossing semantics and callbacks."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.pairs.reference import cointegrated_pair, signal_reference
from tradecost import pairs
from tradecost.errors import InvalidInputError
from tradecost.pairs.rules import ACTIONS

z_values = st.one_of(st.floats(-6, 6), st.just(math.nan))


@given(
    z=st.lists(z_values, max_size=200),
    entry=st.floats(0.5, 3),
    exit_fraction=st.floats(-0.9, 0.9),
    stop_extra=st.one_of(st.none(), st.floats(0.1, 3)),
)
def test_signals_match_the_reference_loop(z, entry, exit_fraction, stop_extra):
    exit = exit_fraction * entry
    stop = None if stop_extra is None else entry + stop_extra
    result = pairs.signals(np.array(z, dtype=float), entry, exit, stop)
    expected = signal_reference(z, entry, exit, math.inf if stop is None else stop)
    np.testing.assert_array_equal(result.position, expected)
    changed = np.flatnonzero(np.diff(np.r_[0, expected]))
    np.testing.assert_array_equal(np.flatnonzero(result.action), changed)


@given(
    z=st.lists(z_values, max_size=200),
    entry=st.floats(0.5, 3),
    stop_extra=st.one_of(st.none(), st.floats(0.1, 3)),
)
def test_live_signal_state_equals_the_batch_rules(z, entry, stop_extra):
    stop = None if stop_extra is None else entry + stop_extra
    batch = pairs.signals(np.array(z, dtype=float), entry, 0.25 * entry, stop)
    live = pairs.SignalState(entry, 0.25 * entry, stop)
    actions = []
    positions = []
    for value in z:
        actions.append(live.update(value))
        positions.append(live.position)
    assert positions == batch.position.tolist()
    assert actions == [ACTIONS[int(a)] for a in batch.action]


def test_signal_walkthrough():
    z = np.array([np.nan, 0.5, 2.1, 1.0, -0.1, -2.5, -4.5, -3.0, -1.0, -2.2, 0.3])
    result = pairs.signals(z, entry=2.0, exit=0.0, stop=4.0)
    assert result.position.tolist() == [0, 0, -1, -1, 0, 1, 0, 0, 0, 1, 0]
    assert result.events() == [
        (2, "enter_short"),
        (4, "exit"),
        (5, "enter_long"),
        (6, "stop"),  # no re-entry at -3.0: disarmed until |z| < 2
        (9, "enter_long"),
        (10, "exit"),
    ]
    assert result.latest() == {"position": 0, "action": "exit"}


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"entry": 0.0}, "entry"),
        ({"entry": 2.0, "exit": 2.5}, "exit"),
        ({"entry": 2.0, "stop": 1.5}, "stop"),
        ({"entry": math.nan}, "entry"),
    ],
)
def test_signal_parameters_are_checked(kwargs, match):
    with pytest.raises(InvalidInputError, match=match):
        pairs.signals(np.zeros(5), **kwargs)


def test_alert_rules_fire_on_crossings_only():
    rule = pairs.AlertRule.parse("zscore>2")
    values = np.array([0.0, 1.9, 2.0, 2.5, 1.0, np.nan, 3.0, 1.0, 2.2])
    assert rule.crossings(values).tolist() == [2, 8]  # the jump after NaN is not a crossing
    below = pairs.AlertRule.parse("correlation<0.5")
    assert below.direction == "below"
    assert below.crossings(np.array([0.9, 0.6, 0.5, 0.4, 0.7, 0.3])).tolist() == [2, 5]
    either = pairs.AlertRule("spread", 0.0, "cross")
    assert either.crossings(np.array([-1.0, 1.0, 2.0, -0.5])).tolist() == [1, 3]
    with pytest.raises(InvalidInputError, match="metric"):
        pairs.AlertRule.parse("volume>3")
    with pytest.raises(InvalidInputError, match="METRIC"):
        pairs.AlertRule.parse("zscore >> 3")


def test_monitor_scan_and_live_updates_agree_and_call_back():
    y, x, _, _ = cointegrated_pair(1_500, beta=1.0, half_life=10, seed=5)
    analysis = pairs.analyze(y, x, 200, adf_lags=1)
    seen = []
    rules = [
        pairs.AlertRule.parse("zscore>2", callback=seen.append),
        pairs.AlertRule.parse("abs_zscore>2.5"),
        pairs.AlertRule.parse("adf_pvalue<0.05"),
    ]
    everything = []
    history = pairs.AlertMonitor(rules, callback=everything.append).scan(analysis)
    assert history == everything
    assert [a for a in history if a.rule == "zscore>2"] == seen
    assert seen and all(a.previous < 2 <= a.value for a in seen)
    assert [a.index for a in history] == sorted(a.index for a in history)

    live = pairs.AlertMonitor(rules)
    streamed = []
    frame = analysis.to_frame()
    for row in frame.itertuples(index=False):
        streamed += live.update(row._asdict())
    assert [(a.rule, a.index, a.value) for a in streamed] == [
        (a.rule, a.index, a.value) for a in history
    ]


def test_adf_pvalue_alert_needs_the_rolling_adf():
    y, x, _, _ = cointegrated_pair(400, beta=1.0, half_life=10, seed=5)
    monitor = pairs.AlertMonitor([pairs.AlertRule.parse("adf_pvalue<0.05")])
    with pytest.raises(InvalidInputError, match="adf_lags"):
        monitor.scan(pairs.analyze(y, x, 100))
