"""The per-article time budget interrupts runaway Python code and leaves no timer behind."""

from __future__ import annotations

import signal
import time

import pytest

from stream.budget import BudgetExceeded, alarm_handler


def _forever(_: object) -> None:
    while True:
        pass


def test_a_runaway_loop_is_interrupted_and_the_next_call_runs() -> None:
    before = signal.getsignal(signal.SIGALRM)
    started = time.monotonic()
    with alarm_handler() as run:
        with pytest.raises(BudgetExceeded):
            run(0.2, _forever, None)
        assert time.monotonic() - started < 2
        assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
        assert run(1.0, sum, range(1000)) == 499500
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert signal.getsignal(signal.SIGALRM) is before


def test_no_time_left_means_no_call() -> None:
    calls: list[int] = []
    with alarm_handler() as run, pytest.raises(BudgetExceeded):
        run(0.0, calls.append, 1)
    assert calls == []
