"""Simulated venues for tests, demos and training data."""

from tradecost.sim.exchange import SimulatedExchange as SimulatedExchange
