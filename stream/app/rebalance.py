"""Two guards against Faust losing messages around a rebalance (faust-streaming 0.15).

Both showed up in the two-worker fault tests (one worker killed or frozen while the other
takes over its partitions): articles never analysed or never published although every
offset ended up committed, so the lag read zero and no stall was visible.

1. **Uncommitted partitions are not sought back.** Faust discards records it already took
   from aiokafka whenever the flow stops for a rebalance (``Consumer.getmany`` finding the
   flow inactive, or a generation change in the middle of a batch) and relies on
   ``Consumer.perform_seek`` -- "seek all partitions to their committed offsets" -- to read
   them again. aiokafka's ``seek_to_committed`` only seeks partitions whose committed
   offset is above 0: a partition nothing was committed on keeps the position after the
   discarded records, which are skipped for good (Faust then commits past them: with no
   committed offset it does not check the head of its acknowledged offsets for a hole).
   A worker taking over partitions from one that died or froze before its first commit
   hits this every time: aiokafka resets them to the earliest offset, fetches the whole
   backlog while the flow is still stopped, Faust drops it and goes on from the end.
   Guard: wherever Faust seeks to the committed offsets, the stream partitions with no
   committed offset (none, or 0) are sought to their earliest offset, which is where
   ``consumer_auto_offset_reset="earliest"`` starts them.

2. **Resuming an already running flow empties the stream queues.** At the end of a
   recovery Faust resumes the stream partitions, awaits the seek to the committed offsets
   (network round trips) and then calls ``flow_control.resume()`` again although the flow
   was already resumed earlier in the recovery; ``resume()`` clears every stream queue.
   Records delivered into the queues during the seek are thrown away while Faust counts
   them as read: the next ones fetched are at or below its read offset and are dropped,
   and the one-offset tolerance of its commit check (``min(acked) - committed > 1``) lets
   the commit step over a single missing offset. Guard: ``resume()`` clears the queues
   only when it actually ends a suspension (what the clearing is for: dropping what was
   fetched before a rebalance); a resume of a running flow leaves the queued records to
   be processed. A record may then be handled twice (the seek re-reads from the committed
   offset), which is the at-least-once replay Faust does anyway and the dedup memory
   recognises an article passing again as itself.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import faust

from stream.logs import get_logger

log = get_logger("stream.rebalance")

#: Set on the patched objects once wrapped (every rebalance calls the installer again).
_MARK = "_stream_rebalance_guard"


def uncommitted_stream_partitions(committed: Mapping[Any, int | None],
                                  changelogs: set[str]) -> list[Any]:
    """Partitions of the streams with no committed offset (None, or 0: nothing handled).

    Changelog partitions are left alone: Faust keeps their position in the table store
    and seeks them itself during recovery; it never commits offsets for them.
    """
    return [tp for tp, offset in committed.items()
            if not offset and tp.topic not in changelogs]


async def rewind_uncommitted(app: faust.App, consumer: Any,
                             committed: Mapping[Any, int | None]) -> None:
    """Seek the uncommitted stream partitions in ``committed`` to their earliest offset."""
    fresh = uncommitted_stream_partitions(committed, set(app.tables.changelog_topics))
    if not fresh:
        return
    starts = await consumer.earliest_offsets(*fresh)
    targets = {tp: starts[tp] for tp in fresh if starts.get(tp) is not None}
    if not targets:
        return
    # seek_wait runs the seek on the consumer's own thread (aiokafka is not thread-safe);
    # perform_seek then sets the read offsets of these partitions to None (none read).
    await consumer.seek_wait(targets)
    rewound = {f"{tp.topic}:{tp.partition}": offset for tp, offset in targets.items()}
    log.info("uncommitted_partitions_rewound", partitions=rewound)


def install_rewind(app: faust.App, consumer: Any) -> bool:
    """Wrap ``consumer.seek_to_committed`` (which ``perform_seek`` calls); once only."""
    if getattr(consumer, _MARK, False):
        return False
    seek_to_committed: Callable[[], Awaitable[Mapping[Any, int | None]]] = (
        consumer.seek_to_committed)

    async def seek_to_committed_or_start() -> Mapping[Any, int | None]:
        committed = await seek_to_committed()
        await rewind_uncommitted(app, consumer, committed)
        return committed

    consumer.seek_to_committed = seek_to_committed_or_start
    setattr(consumer, _MARK, True)
    return True


def install_resume_guard(flow_control: Any) -> bool:
    """Make ``flow_control.resume()`` clear the queues only if the flow was suspended."""
    if getattr(flow_control, _MARK, False):
        return False
    resume: Callable[[], None] = flow_control.resume

    def resume_without_clearing_running_queues() -> None:
        if flow_control.is_active():
            return  # already flowing: the queues hold records read since, keep them
        resume()

    flow_control.resume = resume_without_clearing_running_queues
    setattr(flow_control, _MARK, True)
    return True


def register_rebalance_guards(app: faust.App) -> None:
    """Install both guards before the worker's first assignment.

    Every rebalance, the first included, starts with ``on_partitions_revoked`` (with an
    empty set the first time), before any partition is assigned, fetched, sought or its
    flow resumed. The rewind only with ``consumer_auto_offset_reset="earliest"``: with
    "latest" new partitions are meant to start at the end.
    """
    rewind = str(app.conf.consumer_auto_offset_reset).lower() == "earliest"

    async def on_revoked(sender: Any, *args: Any, **kwargs: Any) -> None:
        if rewind:
            install_rewind(app, app.consumer)
        install_resume_guard(app.flow_control)

    # Same typing gap as in stream.app.health: mode types handlers with NamedArg.
    app.on_partitions_revoked.connect(on_revoked)  # type: ignore[arg-type]
