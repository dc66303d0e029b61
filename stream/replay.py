"""``stream replay``: re-publish a bounded range of a topic, each message marked as a replay.

Replays are safe to repeat because every id downstream is deterministic and the dedup
memory recognises an article passing again (see ``stream.core.dedup``): the header only
tells people and tools what happened, the pipeline does not need it.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaError

from stream.errors import BrokerError, InputError
from stream.kafka import (
    AckWindow,
    offset_bounds,
    offsets_at,
    read_ranges,
    start_producer,
    start_reader,
    topic_partitions,
)
from stream.progress import progress_bar
from stream.settings import Settings

Bound = int | datetime
#: Headers a replay sets; older values (a replay of a replay) are replaced, not stacked.
REPLAY_HEADERS = ("replay", "replayed-from", "original-timestamp")


def parse_bound(text: str, option: str) -> Bound:
    """An offset (digits) or an ISO-8601 moment (no offset means UTC)."""
    text = text.strip()
    if text.isdigit():
        return int(text)
    return parse_moment(text, option, expected="an offset (e.g. 42) or an ISO-8601 time")


def parse_moment(text: str, option: str, *,
                 expected: str = "an ISO-8601 date or time") -> datetime:
    """ISO-8601 date or date-time to an aware datetime (no offset means UTC)."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InputError(f"{option} {text!r}: expected {expected} "
                         "(e.g. 2025-11-09 or 2025-11-09T18:00:00Z)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass
class ReplaySummary:
    topic: str
    into: str
    ranges: dict[int, tuple[int, int]] = field(default_factory=dict)
    messages: int = 0
    bytes: int = 0
    unkeyed: int = 0
    seconds: float = 0.0

    def describe(self) -> str:
        spans = ", ".join(f"p{p}:{a}..{b}" for p, (a, b) in sorted(self.ranges.items()))
        return (f"replayed {self.messages} messages ({self.bytes} bytes) from {self.topic} "
                f"[{spans or 'nothing'}] into {self.into} in {self.seconds:.1f}s")


def replay_headers(record: ConsumerRecord[Any, Any]) -> list[tuple[str, bytes]]:
    """The original headers plus where this copy came from."""
    kept = [(k, v) for k, v in record.headers or () if k not in REPLAY_HEADERS]
    return [*kept, ("replay", b"1"),
            ("replayed-from", f"{record.topic}/{record.partition}/{record.offset}".encode()),
            ("original-timestamp", str(record.timestamp).encode())]


async def resolve_ranges(consumer: AIOKafkaConsumer, partitions: list[TopicPartition],
                         start: Bound | None, stop: Bound | None
                         ) -> dict[TopicPartition, tuple[int, int]]:
    """``[start, stop)`` per partition, clamped to what exists now (the end is fixed here)."""
    bounds = await offset_bounds(consumer, partitions)
    firsts = await _offsets(consumer, partitions, start, {tp: b[0] for tp, b in bounds.items()},
                            bounds)
    stops = await _offsets(consumer, partitions, stop, {tp: b[1] for tp, b in bounds.items()},
                           bounds)
    return {tp: (max(firsts[tp], bounds[tp][0]), min(stops[tp], bounds[tp][1]))
            for tp in partitions}


async def _offsets(consumer: AIOKafkaConsumer, partitions: list[TopicPartition],
                   bound: Bound | None, default: dict[TopicPartition, int],
                   bounds: dict[TopicPartition, tuple[int, int]]) -> dict[TopicPartition, int]:
    if bound is None:
        return default
    if isinstance(bound, int):
        return dict.fromkeys(partitions, bound)
    found = await offsets_at(consumer, partitions, bound)
    # No message at or after the moment: the range reaches the end captured at start.
    return {tp: _or(found[tp], bounds[tp][1]) for tp in partitions}


def _or(offset: int | None, default: int) -> int:
    return default if offset is None else offset


class Pacer:
    """Keeps the send rate at or under ``rate`` messages per second (None: no limit)."""

    def __init__(self, rate: float | None) -> None:
        self.rate = rate
        self.started = time.monotonic()
        self.sent = 0

    async def wait(self) -> None:
        if self.rate:
            delay = self.started + self.sent / self.rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
        self.sent += 1


async def replay(settings: Settings, topic: str, *, start: Bound | None, stop: Bound | None,
                 partition: int | None = None, rate: float | None = None,
                 into: str | None = None, progress: bool | None = None) -> ReplaySummary:
    """Re-publish ``[start, stop)`` of ``topic`` into ``into`` (default: the same topic)."""
    if rate is not None and rate <= 0:
        raise InputError("--rate must be a positive number of messages per second")
    target = into or topic
    partitions = await topic_partitions(settings, topic)
    same_layout = len(await topic_partitions(settings, target)) == len(partitions)
    selected = _select(topic, partitions, partition)
    consumer = await start_reader(settings)
    try:
        ranges = await resolve_ranges(consumer, selected, start, stop)
        summary = ReplaySummary(topic, target, {tp.partition: r for tp, r in ranges.items()})
        producer = await start_producer(settings)
        try:
            await _copy(consumer, producer, ranges, summary, keep_partition=same_layout,
                        pacer=Pacer(rate), progress=progress)
        finally:
            await producer.stop()
    finally:
        await consumer.stop()
    return summary


def _select(topic: str, partitions: list[TopicPartition],
            partition: int | None) -> list[TopicPartition]:
    if partition is None:
        return partitions
    chosen = [tp for tp in partitions if tp.partition == partition]
    if not chosen:
        raise InputError(f"{topic} has no partition {partition} "
                         f"(it has {len(partitions)})")
    return chosen


async def _copy(consumer: AIOKafkaConsumer, producer: AIOKafkaProducer,
                ranges: dict[TopicPartition, tuple[int, int]], summary: ReplaySummary, *,
                keep_partition: bool, pacer: Pacer, progress: bool | None) -> None:
    """Send each record of the ranges to the target; same key, value and headers.

    The source partition is kept when both topics have as many partitions, so an unkeyed
    message keeps its neighbours; otherwise the key decides as for any producer.
    """
    started = time.monotonic()
    total = sum(stop - first for first, stop in ranges.values() if stop > first)
    window = AckWindow()
    with progress_bar(total=total, desc=f"replay {summary.topic}", enabled=progress) as bar:
        try:
            async for record in read_ranges(consumer, ranges):
                await pacer.wait()
                await window.add(await producer.send(
                    summary.into, record.value, key=record.key,
                    partition=record.partition if keep_partition else None,
                    headers=replay_headers(record)))
                summary.messages += 1
                summary.bytes += len(record.value or b"")
                summary.unkeyed += record.key is None
                bar.update(1)
            await window.drain()
        except KafkaError as exc:
            hint = (" (a compacted topic refuses messages without a key)"
                    if summary.unkeyed else "")
            raise BrokerError(f"replaying into {summary.into} failed: {exc!r}{hint}") from exc
    summary.seconds = time.monotonic() - started
