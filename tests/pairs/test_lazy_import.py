"""`import tradecost` stays light; `from tradecost import pairs` loads no pandas or matplotlib."""

from __future__ import annotations

import json
import subprocess
import sys

PROGRAM = """
import json, sys
import numpy as np
import tradecost
after_tradecost = "tradecost.pairs" in sys.modules
from tradecost import pairs
rng = np.random.default_rng(0)
x = np.exp(np.cumsum(rng.standard_normal(500)) * 1e-3 + 10)
y = np.exp(0.5 * np.log(x) + rng.standard_normal(500) * 1e-3)
result = pairs.analyze(y, x, 100, adf_lags=1)
pairs.adf(result.spread[-100:])
pairs.engle_granger(y, x)
pairs.signals(result)
heavy = sorted(m for m in ("pandas", "matplotlib", "statsmodels", "scipy", "sklearn") if m in sys.modules)
print(json.dumps([after_tradecost, heavy]))
"""


def test_pairs_is_lazy_and_light():
    result = subprocess.run(
        [sys.executable, "-c", PROGRAM], capture_output=True, text=True, check=True, timeout=120
    )
    after_tradecost, heavy = json.loads(result.stdout)
    assert after_tradecost is False
    assert heavy == []
