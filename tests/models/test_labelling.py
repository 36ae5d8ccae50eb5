"""Queue-ahead and trade-through labelling on hand-made tapes (research notes §5.2)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradecost.errors import InvalidInputError
from tradecost.models import FillLabeller

S = 1_000_000_000  # ns per second
BUY, SELL = 1, -1

# trades after t0 = 0 (price in ticks of 0.1): sell 0.4@99.5, buy 0.5@99.5, sell 0.9@99.5,
# sell 0.3@99.5, sell 1.0@99.0, at t = 1..5 s
TAPE = [
    (1, 995, 0.4, SELL),
    (2, 995, 0.5, BUY),
    (3, 995, 0.9, SELL),
    (4, 995, 0.3, SELL),
    (5, 990, 1.0, SELL),
]


def run(price: int, queue: float, horizon_s: float, side: int = BUY, quantity: float = 0.1):
    labeller = FillLabeller()
    labeller.add(0, 0, side, price, queue, quantity, round(horizon_s * S))
    for t, px, size, aggressor in TAPE:
        labeller.expire(t * S)
        for order_id, fill_ns in labeller.on_trade(t * S, px, size, aggressor):
            assert order_id == 0
            return fill_ns / S
    labeller.expire(10**18)
    return None


@pytest.mark.parametrize(
    ("price", "queue", "horizon", "expected"),
    [
        (995, 1.5, 10.0, 4.0),  # buy @99.5 behind 1.5: filled at t = 4
        (995, 1.5, 3.5, None),  # the same with h = 3.5 s: not filled
        (990, 3.0, 10.0, None),  # buy @99.0 behind 3.0: 1.0 printed at the price, no fill
        (996, 0.0, 10.0, 1.0),  # buy @99.6 improves the touch: the first sell trades through
    ],
)
def test_research_note_vectors(price, queue, horizon, expected):
    assert run(price, queue, horizon) == expected


def test_trade_through_fills_whatever_the_queue():
    # a sell printing strictly below a resting buy fills it even with a huge queue ahead
    assert run(1000, 1e9, 10.0) == 1.0


def test_volume_at_price_fills_only_after_the_queue_ahead():
    # queue 1.2 + size 0.1: the sells at 99.5 reach 0.4, 1.3 (≥ 1.3 at t = 3)
    assert run(995, 1.2, 10.0) == 3.0
    assert run(995, 1.21, 10.0) == 4.0
    # the order's own size counts too: 1.5 ahead and 0.2 own need 1.7 > 1.6 printed at 99.5;
    # the trade-through at 99.0 (t = 5) fills it
    assert run(995, 1.5, 10.0, quantity=0.2) == 5.0
    assert run(995, 1.5, 4.5, quantity=0.2) is None


def test_same_side_takers_do_not_fill():
    # a resting sell @99.5 is filled by buy takers only: the buy of 0.5 at t = 2
    assert run(995, 0.0, 10.0, side=SELL, quantity=0.5) == 2.0
    assert run(995, 0.0, 10.0, side=SELL, quantity=0.6) is None


def test_trades_at_or_before_t0_do_not_count():
    labeller = FillLabeller()
    labeller.add(7, 5 * S, BUY, 995, 0.0, 0.1, 10 * S)
    assert labeller.on_trade(5 * S, 990, 1.0, SELL) == []
    assert labeller.on_trade(6 * S, 990, 1.0, SELL) == [(7, 6 * S)]
    assert len(labeller) == 0


def test_expire_and_clear():
    labeller = FillLabeller()
    labeller.add(1, 0, BUY, 995, 0.0, 0.1, 2 * S)
    labeller.add(2, 0, BUY, 995, 0.0, 0.1, 20 * S)
    assert labeller.expire(2 * S) == []  # the window (0, 2 s] still includes 2 s
    assert labeller.expire(2 * S + 1) == [1]
    assert labeller.clear() == [2]


@pytest.mark.parametrize(
    "args", [(0, 0, 2, 995, 0.0, 0.1, S), (0, 0, 1, 995, -1.0, 0.1, S), (0, 0, 1, 995, 0.0, 0.0, S)]
)
def test_bad_orders_are_refused(args):
    with pytest.raises(InvalidInputError):
        FillLabeller().add(*args)


def test_fills_are_counted_by_the_rule_that_made_them():
    labeller = FillLabeller()
    labeller.add(0, 0, BUY, 995, 1.2, 0.1, 10 * S)  # queue consumed at t = 3
    labeller.add(1, 0, BUY, 996, 0.0, 0.1, 10 * S)  # traded through at t = 1
    labeller.add(2, 0, BUY, 995, 1.5, 0.2, 10 * S)  # 1.6 < 1.7 at 99.5, through at t = 5
    labeller.add(3, 0, BUY, 990, 3.0, 0.1, 10 * S)  # never filled
    filled = {}
    for t, px, size, aggressor in TAPE:
        for order_id, fill_ns in labeller.on_trade(t * S, px, size, aggressor):
            filled[order_id] = fill_ns // S
    assert filled == {1: 1, 0: 3, 2: 5}
    assert (labeller.trade_through_fills, labeller.queue_fills) == (2, 1)


@settings(max_examples=200)
@given(
    st.lists(
        st.one_of(
            st.tuples(st.just("add"), st.integers(0, 50), st.integers(1, 30)),
            st.tuples(st.just("trade"), st.integers(0, 80), st.integers(-3, 3)),
            st.tuples(st.just("expire"), st.integers(0, 90), st.just(0)),
        ),
        max_size=60,
    )
)
def test_expire_matches_a_full_scan(steps):
    """``expire`` skips its scan while no order can have ended; what it returns, and what is
    left pending, equal a labeller that scans every pending order on every call."""
    labeller = FillLabeller()
    reference: dict[int, int] = {}  # order id -> end, in insertion order
    for number, (kind, t, value) in enumerate(steps):
        if kind == "add":
            labeller.add(number, t, 1, 100, 0.0, 1.0, value)
            reference[number] = t + value
        elif kind == "trade":  # a sell through or at the order price fills resting buys
            for order_id, _ in labeller.on_trade(t, 100 + value, 1.0, -1):
                del reference[order_id]
        else:
            expected = [order_id for order_id, end in reference.items() if end < t]
            for order_id in expected:
                del reference[order_id]
            assert labeller.expire(t) == expected
        assert len(labeller) == len(reference)
    assert sorted(labeller.clear()) == sorted(reference)
    assert labeller.expire(10**9) == []
