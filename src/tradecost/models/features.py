"""Feature layouts of the learned cost models, and the compiled extractor that fills them.

The extractor (:class:`FeatureExtractor`, compiled in :mod:`tradecost.models._features`) writes
into a caller's preallocated float64 array; the names below give the meaning of each slot.
Signs are taken from the order's point of view: a positive imbalance, order-flow imbalance or
trade imbalance is pressure that moves the price against the order (up for a buy).

Sources: order-flow imbalance, Cont, Kukanov & Stoikov, "The Price Impact of Order Book
Events", J. Financial Econometrics 12(1) 2014, eq. (2); queue imbalance, Gould & Bonart,
arXiv:1512.03492; size vs depth and spread, research notes §4.3; limit-order features, §5.2.
"""

from __future__ import annotations

from tradecost._core import check_fresh
from tradecost.models import _features
from tradecost.models._features import N_LIMIT_FEATURES, N_MARKET_FEATURES, FeatureExtractor

check_fresh(_features)

__all__ = [
    "LIMIT_FEATURES",
    "MARKET_FEATURES",
    "N_LIMIT_FEATURES",
    "N_MARKET_FEATURES",
    "FeatureExtractor",
]

#: Slots of :meth:`FeatureExtractor.extract` (a market order of Q quote units).
MARKET_FEATURES: tuple[str, ...] = (
    "walk_bps",  # walk-the-book slippage of Q vs the mid, bps (positive = cost)
    "walk_half_bps",  # the same for Q/2 (slippage-curve point)
    "walk_double_bps",  # the same for 2Q (slippage-curve point)
    "unfilled_fraction",  # part of Q the visible side cannot fill (0 = complete)
    "log_size_over_depth",  # ln(Q / quote value of the top k levels walked)
    "spread_bps",  # best ask − best bid, bps of the mid
    "log_depth_walked",  # ln(quote value of the top k levels on the side walked)
    "log_depth_own",  # ln(quote value of the top k levels on the order's own side)
    "touch_imbalance",  # (own touch size − walked touch size) / sum
    "depth_imbalance",  # the same over the top k levels, in quote value
    "order_flow_imbalance",  # decayed CKS OFI, signed by side, / mean touch size
    "trade_imbalance",  # decayed (buy − sell taker volume) / total, signed by side
    "volatility_bps",  # realised volatility of the mid, bps per √s (decayed)
    "trade_rate",  # trades per second (decayed)
)

#: Slots of :meth:`FeatureExtractor.extract_limit` (a resting limit order).
LIMIT_FEATURES: tuple[str, ...] = (
    "distance_ticks",  # ticks behind the order's own touch (negative = inside the spread)
    "log_queue_ratio",  # ln(1 + queue ahead / order size)
    "touch_imbalance",  # (own touch size − opposite touch size) / sum
    "spread_ticks",  # best ask − best bid, ticks
    "log_size_over_touch",  # ln(1 + order size / own touch size)
    "opposite_taker_rate",  # takers per second hitting the order's side (sellers for a buy)
    "order_flow_imbalance",  # as in MARKET_FEATURES
    "volatility_bps",  # as in MARKET_FEATURES
    "horizon_s",  # h, seconds: enters the models as ln h
)

assert len(MARKET_FEATURES) == N_MARKET_FEATURES
assert len(LIMIT_FEATURES) == N_LIMIT_FEATURES
