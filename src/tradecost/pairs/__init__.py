"""Pairs analytics that know what a trade costs.

Rolling hedge ratio, spread, z-score and correlation (:func:`analyze`), unit-root and
cointegration tests (:func:`adf`, :func:`rolling_adf`, :func:`engle_granger`, :func:`half_life`),
signals and alert rules, and a backtest whose every leg is priced with tradecost's fees and
slippage. Import it as ``from tradecost import pairs``; pandas is loaded only by the functions
that return tables.
"""

from __future__ import annotations

from tradecost._core import check_fresh as _check_fresh
from tradecost.pairs import _rolling

_check_fresh(_rolling)

from tradecost.pairs.analysis import PairAnalysis, analyze  # noqa: E402
from tradecost.pairs.backtest import TRADE_COLUMNS, BacktestResult, backtest  # noqa: E402
from tradecost.pairs.live import RollingPair  # noqa: E402
from tradecost.pairs.rules import (  # noqa: E402
    Alert,
    AlertMonitor,
    AlertRule,
    Signals,
    SignalState,
    signals,
)
from tradecost.pairs.stationarity import (  # noqa: E402
    ADFResult,
    EngleGrangerResult,
    adf,
    engle_granger,
    half_life,
    rolling_adf,
)

__all__ = [
    "TRADE_COLUMNS",
    "ADFResult",
    "Alert",
    "AlertMonitor",
    "AlertRule",
    "BacktestResult",
    "EngleGrangerResult",
    "PairAnalysis",
    "RollingPair",
    "SignalState",
    "Signals",
    "adf",
    "analyze",
    "backtest",
    "engle_granger",
    "half_life",
    "rolling_adf",
    "signals",
]
