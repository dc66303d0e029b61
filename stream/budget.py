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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


class BudgetExceeded(Exception):
    """Raised inside the guarded block when its time is up."""


def _on_alarm(signum: int, frame: FrameType | None) -> None:
    raise BudgetExceeded()


@contextmanager
def alarm_handler() -> Iterator[Callable[[float, Callable[[T], R], T], R]]:
    """Gives ``run(seconds, fn, value)``: ``fn(value)``, interrupted by
    :class:`BudgetExceeded` after ``seconds`` (at once when none are left).

    The handler is installed once for many calls; each call only arms and disarms the
    timer. Off the main thread ``run`` calls ``fn`` without a budget.
    """
    if not _can_signal():
        yield _unbudgeted
        return
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    try:
        yield _budgeted
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _budgeted(seconds: float, fn: Callable[[T], R], value: T) -> R:
    if seconds <= 0:
        raise BudgetExceeded()
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return fn(value)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def _unbudgeted(seconds: float, fn: Callable[[T], R], value: T) -> R:
    return fn(value)


def _can_signal() -> bool:
    return threading.current_thread() is threading.main_thread()
