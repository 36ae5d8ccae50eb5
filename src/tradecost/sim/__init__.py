"""Simulated venues for tests, demos and training data.

``SimulatedMarket`` generates OKX v5 traffic from a stochastic order-flow model (see
``docs/simulated-market.md``); ``MarketParams`` and ``Regime`` describe its order flow.
``SimulatedExchange`` serves any source of frames over a real OKX-protocol WebSocket on
127.0.0.1 (see ``docs/feed.md``), or with ``venue="binance"`` Binance's spot / USDⓈ-M WebSocket and
REST. ``CorrelatedMarket`` runs several markets whose prices share a common factor (pairs with a
known hedge ratio and spread half-life; ``docs/simulated-market.md``).
"""

from __future__ import annotations

from tradecost.sim.correlated import CorrelatedMarket, Leg
from tradecost.sim.exchange import SimulatedExchange
from tradecost.sim.market import BookSnapshot, MarketParams, Regime, SimulatedMarket, TimedFrame

__all__ = [
    "BookSnapshot",
    "CorrelatedMarket",
    "Leg",
    "MarketParams",
    "Regime",
    "SimulatedExchange",
    "SimulatedMarket",
    "TimedFrame",
]
