"""The stall watchdog flags only partitions with lag whose position has not moved."""

from __future__ import annotations

from stream.app.watchdog import STALL_SECONDS, StallTracker


def test_moving_or_caught_up_partitions_are_never_stalled() -> None:
    tracker = StallTracker()
    assert tracker.stalled(0.0, {"p0": 5, "p1": 9}, {"p0": 10, "p1": 0}) == []
    # p0 moves, p1 has no lag: fine however long it stays idle
    assert tracker.stalled(STALL_SECONDS + 1, {"p0": 7, "p1": 9}, {"p0": 8, "p1": 0}) == []
    assert tracker.stalled(3 * STALL_SECONDS, {"p0": 9, "p1": 9}, {"p0": 6, "p1": -1}) == []


def test_a_partition_with_lag_that_does_not_move_is_stalled() -> None:
    tracker = StallTracker()
    tracker.stalled(0.0, {"p0": 5}, {"p0": 10})
    assert tracker.stalled(STALL_SECONDS / 2, {"p0": 5}, {"p0": 12}) == []
    assert tracker.stalled(STALL_SECONDS + 0.1, {"p0": 5}, {"p0": 15}) == ["p0"]
    # it moves again: no longer stalled
    assert tracker.stalled(STALL_SECONDS + 5, {"p0": 6}, {"p0": 14}) == []
