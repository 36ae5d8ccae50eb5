"""Frame faults without a socket: what a connection is sent when a fault is pending."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tradecost.sim._faults import FrameFaults


def send_all(
    faults: FrameFaults, frames: list[tuple[str, str]]
) -> tuple[list[str], list[str | None]]:
    """Every ``(target, text)`` through the faults: the texts sent, and the kind per frame."""
    sent: list[str] = []
    kinds: list[str | None] = []
    for target, text in frames:
        out, kind = faults.apply(target, target, text, lambda text=text: f"bad:{text}")
        sent.extend(out)
        kinds.append(kind)
    return sent, kinds


FRAMES = [("A", f"a{i}") for i in range(6)]


def test_no_fault_sends_everything_once_in_order() -> None:
    assert send_all(FrameFaults(), FRAMES) == ([t for _, t in FRAMES], [None] * 6)


@pytest.mark.parametrize("count", [1, 2, 3])
def test_drop_loses_the_next_count_frames(count: int) -> None:
    faults = FrameFaults()
    faults.add("drop", None, count)
    sent, kinds = send_all(faults, FRAMES)
    assert sent == [t for _, t in FRAMES[count:]]
    assert kinds == ["drop"] * count + [None] * (6 - count)
    assert faults.pending == []


def test_duplicate_and_corrupt() -> None:
    faults = FrameFaults()
    faults.add("duplicate", None, 1)
    faults.add("corrupt", None, 1)
    sent, kinds = send_all(faults, FRAMES[:3])
    assert sent == ["a0", "a0", "bad:a1", "a2"]
    assert kinds == ["duplicate", "corrupt", None]


def test_reorder_swaps_with_the_next_frame_of_the_same_stream() -> None:
    faults = FrameFaults()
    faults.add("reorder", "A", 1)
    frames = [("A", "a0"), ("B", "b0"), ("A", "a1"), ("A", "a2")]
    sent, kinds = send_all(faults, frames)
    assert sent == ["b0", "a1", "a0", "a2"]
    assert kinds == ["reorder", None, None, None]


def test_a_targeted_fault_leaves_other_targets_alone() -> None:
    faults = FrameFaults()
    faults.add("drop", "B", 1)
    sent, _ = send_all(faults, [("A", "a0"), ("B", "b0"), ("B", "b1")])
    assert sent == ["a0", "b1"]


@given(
    kind=st.sampled_from(["drop", "duplicate", "reorder", "corrupt"]),
    count=st.integers(1, 4),
    targets=st.lists(st.sampled_from("AB"), min_size=1, max_size=20),
)
def test_every_frame_accounted_for(kind: str, count: int, targets: list[str]) -> None:
    """Against a count: each applied fault removes, adds or changes exactly one frame, and a
    held frame comes out after the next frame of its stream (or stays held at the end)."""
    frames = [(target, f"{target}{i}") for i, target in enumerate(targets)]
    faults = FrameFaults()
    faults.add(kind, None, count)
    sent, kinds = send_all(faults, frames)
    applied = sum(k is not None for k in kinds)
    assert applied == min(count, len(frames))
    originals = [text for _, text in frames]
    if kind == "drop":
        assert sent == originals[applied:]
    elif kind == "duplicate":
        assert len(sent) == len(originals) + applied
        assert sorted(set(sent)) == sorted(originals)
    elif kind == "corrupt":
        assert sent == [f"bad:{t}" for t in originals[:applied]] + originals[applied:]
    else:
        held = list(faults.held.values())
        assert sorted(sent + held) == sorted(originals)
        assert len(held) <= 2  # at most one frame per stream is ever held back


def test_a_frame_that_cannot_be_faulted_keeps_the_fault_and_releases_the_held_one() -> None:
    faults = FrameFaults()
    faults.add("reorder", None, 1)
    faults.add("drop", None, 1)
    assert faults.apply("A", "A", "a0", lambda: "bad") == ([], "reorder")
    # an empty heartbeat-like update: sent as it is, the held frame after it, no fault used
    assert faults.apply("A", "A", "beat", lambda: "bad", faultable=False) == (["beat", "a0"], None)
    assert [f.kind for f in faults.pending] == ["drop"]
    assert faults.apply("A", "A", "a1", lambda: "bad") == ([], "drop")
