"""Pricing books does not load scikit-learn: it is imported when a model is fitted."""

from __future__ import annotations

import json
import subprocess
import sys

PROGRAM = """
import json, sys
import tradecost as tc
book = tc.OrderBook("0.1")
book.apply_snapshot([["100.0", "2"]], [["100.1", "3"]])
estimator = tc.CostEstimator("okx", "BTC-USDT", "Lv1", volatility=0.02, daily_volume_usd=1e9)
estimator.estimate(book, "buy", 150.0)
from tradecost.models.live import LiveModels
before = sorted(m for m in ("sklearn", "scipy") if m in sys.modules)
tc.SlippageRegressor
after = sorted(m for m in ("sklearn", "scipy") if m in sys.modules)
print(json.dumps([before, after]))
"""


def test_scikit_learn_is_loaded_only_for_the_estimators():
    result = subprocess.run(
        [sys.executable, "-c", PROGRAM], capture_output=True, text=True, check=True, timeout=120
    )
    before, after = json.loads(result.stdout)
    assert before == []
    assert "sklearn" in after


def test_unknown_attribute_is_still_an_attribute_error():
    import pytest

    import tradecost
    import tradecost.models

    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        _ = tradecost.Nope  # type: ignore[attr-defined]
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        _ = tradecost.models.Nope  # type: ignore[attr-defined]
