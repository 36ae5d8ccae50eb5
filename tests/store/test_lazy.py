"""`import tradecost` stays light: the store and pandas load on first use."""

from __future__ import annotations

import json
import subprocess
import sys

PROGRAM = """
import json, sys
import tradecost as tc
loaded = lambda: sorted(m for m in ("pandas", "tradecost.store") if m in sys.modules)
steps = [loaded()]
store = tc.TickStore(":memory:")
steps.append(loaded())
store.append_trades("okx", "BTC-USDT", [(1, 1.0, 1.0, "buy", "1")])
store.bars("BTC-USDT", "1m")
steps.append(loaded())
store.close()
print(json.dumps(steps))
"""


def test_the_store_and_pandas_load_on_first_use():
    result = subprocess.run(
        [sys.executable, "-c", PROGRAM], capture_output=True, text=True, check=True, timeout=120
    )
    before, store_made, bars_read = json.loads(result.stdout)
    assert before == []
    assert store_made == ["tradecost.store"]
    assert bars_read == ["pandas", "tradecost.store"]
