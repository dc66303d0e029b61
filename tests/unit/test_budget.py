"""The per-article time budget interrupts runaway Python code and leaves no timer behind."""

from __future__ import annotations

import signal
import time

import pytest

from stream.budget import BudgetExceeded, time_budget


def test_a_runaway_loop_is_interrupted() -> None:
    started = time.monotonic()
    with pytest.raises(BudgetExceeded), time_budget(0.2):
        while True:
            pass
    assert time.monotonic() - started < 2
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_fast_work_is_untouched() -> None:
    with time_budget(1.0):
        total = sum(range(1000))
    assert total == 499500
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
