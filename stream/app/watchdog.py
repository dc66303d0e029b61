"""A stall watchdog for the worker.

Faust can end a burst of rebalances (a worker frozen past its session timeout, another
killed) "ready" but with its stream partitions never resumed: nothing is consumed while
lag grows. The watchdog notices assigned input partitions that have lag and have not
moved for a while, logs what the consumer looks like, and resumes the partitions and the
flow the way Faust's recovery does. If that does not help, the process exits non-zero so
that its supervisor restarts it (a restart always recovers: state comes back from the
changelogs and offsets from the last commit), rather than sitting idle forever.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Any

import faust

from stream.app.health import is_ready
from stream.logs import get_logger
from stream.metrics import Metrics

log = get_logger("stream.watchdog")

CHECK_SECONDS = 5.0
STALL_SECONDS = 20.0
GIVE_UP_SECONDS = 60.0
EXIT_CODE = 70
#: A check this late means the whole process stood still (the timer could not run).
FROZEN_SECONDS = 3 * CHECK_SECONDS


@dataclass
class StallTracker:
    """Per-partition last read offset and when it last moved."""

    offsets: dict[Any, int | None] = field(default_factory=dict)
    moved_at: dict[Any, float] = field(default_factory=dict)
    kicked_at: float | None = None
    noted_not_ready: bool = False
    checked_at: float | None = None

    def resumed_after_freeze(self, now: float) -> bool:
        """True if the process itself stood still since the last check ended (SIGSTOP,
        a blocked loop): that time is not the consumer's, so every clock starts again."""
        frozen = self.checked_at is not None and now - self.checked_at > FROZEN_SECONDS
        if frozen:
            self.moved_at.clear()
            self.kicked_at = None
        return frozen

    def stalled(self, now: float, read: dict[Any, int | None], lag: dict[Any, int]) -> list[Any]:
        stuck = []
        for tp, offset in read.items():
            if self.offsets.get(tp, -2) != offset or tp not in self.moved_at:
                self.offsets[tp] = offset
                self.moved_at[tp] = now
            elif lag.get(tp, 0) > 0 and now - self.moved_at[tp] >= STALL_SECONDS:
                stuck.append(tp)
        for tp in set(self.offsets) - set(read):
            self.offsets.pop(tp, None)
            self.moved_at.pop(tp, None)
        if not stuck:
            self.kicked_at = None
            self.noted_not_ready = False
        return stuck


def register_watchdog(app: faust.App, metrics: Metrics) -> None:
    tracker = StallTracker()

    @app.timer(interval=CHECK_SECONDS)  # type: ignore[untyped-decorator]
    async def watch_for_stalls() -> None:
        try:
            if not tracker.resumed_after_freeze(time.monotonic()):
                await _check(app, tracker)
        finally:  # from the end of a check: a slow broker answer is not a freeze
            tracker.checked_at = time.monotonic()


async def _check(app: faust.App, tracker: StallTracker) -> None:
    consumer: Any = app.consumer
    changelogs = set(app.tables.changelog_topics)
    tps = [tp for tp in consumer.assignment() if tp.topic not in changelogs]
    if not tps:
        return
    try:  # ask the broker: a stalled fetcher would leave cached highwaters stale too
        ends = await consumer.highwaters(*tps)
    except Exception:
        return
    # Readiness after the request: a rebalance may have started while it ran (e.g.
    # the group dropped this worker while it was frozen), and then nothing is touched.
    ready = is_ready(app)
    read = {tp: consumer._read_offset.get(tp) for tp in tps}
    lag = {tp: ends[tp] - ((read[tp] + 1) if read[tp] is not None else 0)
           for tp in tps if ends.get(tp) is not None}
    now = time.monotonic()
    stuck = tracker.stalled(now, read, lag)
    if not stuck:
        return
    if not ready:
        # Recovering a large table also holds the streams still, for as long as it
        # takes: never act then (a restart would only start the recovery again).
        if not tracker.noted_not_ready:
            log.info("worker_waiting_not_ready", partitions=[str(tp) for tp in stuck],
                     **_diagnostics(app, consumer))
            tracker.noted_not_ready = True
        return
    if tracker.kicked_at is None:
        tracker.kicked_at = now
        await _kick(app, consumer, tps, stuck)
    elif now - tracker.kicked_at >= GIVE_UP_SECONDS:
        log.error("worker_stalled_exiting", partitions=[str(tp) for tp in stuck],
                  exit_code=EXIT_CODE)
        os._exit(EXIT_CODE)


def _diagnostics(app: faust.App, consumer: Any) -> dict[str, Any]:
    recovery: Any = getattr(app.tables, "recovery", None)
    return {
        "paused": [str(tp) for tp in getattr(consumer, "_paused_partitions", ())],
        "active": [str(tp) for tp in (getattr(consumer, "_active_partitions", None) or ())],
        "assigned": len(consumer.assignment()),
        "flow_active": app.flow_control.is_active(),
        "rebalancing": bool(app.rebalancing),
        "recovery_completed": bool(recovery and recovery.completed.is_set()),
    }


async def _kick(app: faust.App, consumer: Any, tps: list[Any], stuck: list[Any]) -> None:
    log.warning("worker_stalled_resuming", partitions=[str(tp) for tp in stuck],
                seconds=STALL_SECONDS, **_diagnostics(app, consumer))
    try:
        consumer.resume_partitions(set(tps))
        await consumer.perform_seek()
        app.flow_control.resume()
        consumer.resume_flow()
        fetcher: Any = getattr(app, "_fetcher", None)
        if fetcher is not None:
            await fetcher.maybe_start()
    except Exception as exc:
        # Typically a rebalance began meanwhile (IllegalStateError: partition no longer
        # assigned); its recovery seeks and resumes anyway. An exception escaping a Faust
        # timer would crash the worker: log it, the give-up deadline still stands.
        log.warning("worker_stall_resume_failed", error=repr(exc)[:300])
