"""A wall-clock budget per article, so one pathological input cannot stall a worker.

Cleaning and extraction are synchronous Python; the only way to stop them from outside
without a process per article is an interval timer whose signal handler raises in the
main thread. That interrupts Python code at the next bytecode (C code such as a single
regex or parser call finishes first, which is why the cleaners also bound their inputs).
Off the main thread (where signals cannot be delivered) the budget is not enforced.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


class BudgetExceeded(Exception):
    """Raised inside the guarded block when its time is up."""


def _on_alarm(signum: int, frame: FrameType | None) -> None:
    raise BudgetExceeded()


@contextmanager
def time_budget(seconds: float) -> Iterator[None]:
    if seconds <= 0 or threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
