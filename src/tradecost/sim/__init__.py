"""A simulated OKX market: order flow, its book and trades, as raw OKX v5 frames.

``SimulatedMarket`` generates the traffic (see ``docs/simulated-market.md``); ``MarketParams``
and ``Regime`` describe its order flow.
"""

from __future__ import annotations

from tradecost.sim.market import BookSnapshot, MarketParams, Regime, SimulatedMarket, TimedFrame

__all__ = [
    "BookSnapshot",
    "MarketParams",
    "Regime",
    "SimulatedMarket",
    "TimedFrame",
]
