"""The worker's garbage-collector settings."""

from __future__ import annotations

import gc

from stream.runtime import GC_THRESHOLDS, settle_heap


def test_settle_heap_freezes_what_exists_and_raises_the_thresholds() -> None:
    before = gc.get_threshold()
    survivor = {"made": "at start-up"}
    try:
        settle_heap()
        assert gc.get_threshold() == GC_THRESHOLDS
        assert gc.get_freeze_count() > 0
        assert not gc.is_tracked(survivor) or survivor not in gc.get_objects()
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
