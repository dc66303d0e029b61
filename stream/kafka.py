"""aiokafka clients for the CLI (produce, tail, topics), configured from settings.

Every aiokafka/Kafka error is wrapped in :class:`BrokerError` so the CLI prints one line.
"""

from __future__ import annotations

import asyncio
import heapq
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError

from stream.errors import BrokerError, InputError
from stream.security import client_security, explain_connect_failure
from stream.settings import Settings

MiB = 1024 * 1024
T = TypeVar("T")


def client_kwargs(settings: Settings) -> dict[str, Any]:
    """Bootstrap servers plus TLS/SASL from stream.security, the path Faust uses too."""
    return {"bootstrap_servers": settings.broker_list,
            **client_security(settings).aiokafka_kwargs()}


@dataclass(frozen=True, slots=True)
class TopicSpec:
    name: str
    partitions: int
    config: dict[str, str]


def topic_specs(settings: Settings) -> list[TopicSpec]:
    """Partitions and configs of every topic the service uses; see README "Topics"."""
    big = str(settings.max_message_bytes)
    compact = {"cleanup.policy": "compact", "max.message.bytes": big}
    return [
        TopicSpec(settings.topic_raw, settings.partitions,
                  {"cleanup.policy": "delete", "retention.ms": str(settings.raw_retention_ms),
                   "max.message.bytes": big}),
        TopicSpec(settings.topic_analysed, 1,
                  {"cleanup.policy": "delete", "retention.ms": str(7 * 24 * 3600 * 1000),
                   "max.message.bytes": big}),
        TopicSpec(settings.topic_enriched, settings.partitions, compact),
        TopicSpec(settings.topic_duplicates, settings.partitions, compact),
        TopicSpec(settings.topic_match_results, settings.partitions, compact),
        TopicSpec(settings.topic_quotes, settings.partitions, compact),
        TopicSpec(settings.topic_dlq, settings.partitions,
                  {"cleanup.policy": "delete", "retention.ms": str(30 * 24 * 3600 * 1000),
                   "max.message.bytes": big}),
    ]


async def _admin(settings: Settings) -> AIOKafkaAdminClient:
    admin = AIOKafkaAdminClient(request_timeout_ms=15000, **client_kwargs(settings))
    try:
        await admin.start()
    except KafkaError as exc:
        await admin.close()
        raise BrokerError(await explain_connect_failure(settings, exc)) from exc
    return admin


async def create_topics(settings: Settings, specs: Iterable[TopicSpec] | None = None
                        ) -> tuple[list[str], list[str]]:
    """Create what is missing; return (created, already existing). Idempotent."""
    specs = list(specs if specs is not None else topic_specs(settings))
    admin = await _admin(settings)
    try:
        existing = set(await admin.list_topics())
        missing = [s for s in specs if s.name not in existing]
        created: list[str] = []
        for spec in missing:
            try:
                await admin.create_topics([NewTopic(spec.name, spec.partitions,
                                                    settings.replication_factor,
                                                    topic_configs=spec.config)])
                created.append(spec.name)
            except TopicAlreadyExistsError:
                pass
        await _wait_for_metadata(admin, [s.name for s in missing])
        return created, [s.name for s in specs if s.name in existing]
    except KafkaError as exc:
        raise BrokerError(f"creating topics failed: {exc!r}") from exc
    finally:
        await admin.close()


async def _wait_for_metadata(admin: AIOKafkaAdminClient, names: list[str]) -> None:
    for _ in range(50):
        if set(names) <= set(await admin.list_topics()):
            return
        await asyncio.sleep(0.1)


async def list_topics(settings: Settings) -> dict[str, int]:
    admin = await _admin(settings)
    try:
        names = sorted(t for t in await admin.list_topics() if not t.startswith("__"))
        described = await admin.describe_topics(names) if names else []
        return {d["topic"]: len(d["partitions"]) for d in described}
    except KafkaError as exc:
        raise BrokerError(f"listing topics failed: {exc!r}") from exc
    finally:
        await admin.close()


#: Sends kept in flight before waiting for their acknowledgements.
FLUSH_EVERY = 1000


class AckWindow:
    """Sends in flight, acknowledged in bounded batches: fast like fire-and-forget, yet
    an error surfaces within ``limit`` messages and ``drain`` proves all were written."""

    def __init__(self, limit: int = FLUSH_EVERY) -> None:
        self.limit = limit
        self._pending: list[Awaitable[Any]] = []

    async def add(self, delivery: Awaitable[Any]) -> None:
        self._pending.append(delivery)
        if len(self._pending) >= self.limit:
            await self.drain()

    async def drain(self) -> None:
        await asyncio.gather(*self._pending)
        self._pending.clear()


async def start_producer(settings: Settings) -> AIOKafkaProducer:
    producer = AIOKafkaProducer(
        max_request_size=settings.max_message_bytes, linger_ms=5, acks="all",
        max_batch_size=min(settings.producer_batch_bytes, settings.max_message_bytes),
        enable_idempotence=True, **client_kwargs(settings))
    try:
        await producer.start()
    except KafkaError as exc:
        await producer.stop()
        raise BrokerError(await explain_connect_failure(settings, exc)) from exc
    return producer


async def _started_consumer(settings: Settings, *topics: str, group_id: str | None,
                            auto_offset_reset: str) -> AIOKafkaConsumer:
    """A started consumer that never auto-commits, sized for the largest messages."""
    consumer = AIOKafkaConsumer(
        *topics, enable_auto_commit=False, group_id=group_id,
        auto_offset_reset=auto_offset_reset, fetch_max_bytes=settings.max_message_bytes * 2,
        max_partition_fetch_bytes=settings.max_message_bytes, **client_kwargs(settings))
    try:
        await consumer.start()
    except KafkaError as exc:
        await consumer.stop()
        raise BrokerError(await explain_connect_failure(settings, exc)) from exc
    return consumer


async def consume(settings: Settings, topics: list[str], *, from_beginning: bool,
                  idle_timeout: float | None) -> AsyncIterator[Any]:
    """Yield records of a topic (no consumer group, nothing committed)."""
    consumer = await _started_consumer(
        settings, *topics, group_id=None,
        auto_offset_reset="earliest" if from_beginning else "latest")
    try:
        while True:
            batch = await consumer.getmany(timeout_ms=500)
            if not batch:
                if idle_timeout is not None:
                    idle_timeout -= 0.5
                    if idle_timeout <= 0:
                        return
                continue
            for records in batch.values():
                for record in records:
                    yield record
    finally:
        await consumer.stop()


# ----------------------------------------------------------- bounded reads (replay, backfill)
# Appended for replay / backfill / diff / dlq: every read below is *bounded* by end offsets
# captured when it starts, so a command that writes into the topic it reads still stops.


async def start_reader(settings: Settings, *, group_id: str | None = None) -> AIOKafkaConsumer:
    """A consumer for manual assignment: nothing auto-committed, no group join.

    ``group_id`` is only used to read or commit that group's offsets explicitly.
    """
    consumer = await _started_consumer(settings, group_id=group_id,
                                       auto_offset_reset="earliest")
    # Let the consumer's background tasks begin: aiokafka's stop() re-raises the
    # CancelledError of a task cancelled before it first ran (an early stop on a user error).
    await asyncio.sleep(0)
    return consumer


async def topic_partitions(settings: Settings, topic: str) -> list[TopicPartition]:
    """The partitions of an existing topic; a missing topic is the user's mistake.

    Asked of the admin API: a consumer's own metadata only covers what it subscribed to.
    """
    admin = await _admin(settings)
    try:
        if topic not in await admin.list_topics():
            raise InputError(f"topic {topic} does not exist")
        [described] = await admin.describe_topics([topic])
    except KafkaError as exc:
        raise BrokerError(f"reading metadata of {topic} failed: {exc!r}") from exc
    finally:
        await admin.close()
    return sorted(TopicPartition(topic, p["partition"]) for p in described["partitions"])


async def offset_bounds(consumer: AIOKafkaConsumer, partitions: list[TopicPartition]
                        ) -> dict[TopicPartition, tuple[int, int]]:
    """(first, end) offset of each partition, as of now: the end bounds every later read."""
    try:
        first = await consumer.beginning_offsets(partitions)
        end = await consumer.end_offsets(partitions)
    except KafkaError as exc:
        raise BrokerError(f"reading offsets failed: {exc!r}") from exc
    return {tp: (first[tp], end[tp]) for tp in partitions}


async def offsets_at(consumer: AIOKafkaConsumer, partitions: list[TopicPartition],
                     moment: datetime) -> dict[TopicPartition, int | None]:
    """First offset whose timestamp is at or after ``moment`` (None: no such message yet)."""
    millis = int(moment.timestamp() * 1000)
    try:
        found = await consumer.offsets_for_times({tp: millis for tp in partitions})
    except KafkaError as exc:
        raise BrokerError(f"looking up offsets for {moment.isoformat()} failed: {exc!r}") from exc
    return {tp: (hit.offset if hit is not None else None) for tp, hit in found.items()}


async def read_ranges(consumer: AIOKafkaConsumer, ranges: dict[TopicPartition, tuple[int, int]],
                      *, stall_seconds: float = 20.0) -> AsyncIterator[ConsumerRecord[Any, Any]]:
    """Records in ``[start, stop)`` of each partition, merged in (timestamp, partition, offset)
    order.

    Why merged and not as fetched: a consumer interleaves partitions by fetch timing, so
    two reads of the same history would see a different order; backfill's dedup memory
    needs the same order every run to make the same owner/duplicate decisions.
    """
    active = {tp: bounds for tp, bounds in ranges.items() if bounds[0] < bounds[1]}
    if not active:
        return
    consumer.assign(list(active))
    for tp, (start, _) in active.items():
        consumer.seek(tp, start)
    buffers: dict[TopicPartition, deque[ConsumerRecord[Any, Any]]] = {tp: deque() for tp in active}
    heap: list[tuple[int, int, int, TopicPartition]] = []
    for tp, (_, stop) in active.items():
        await _refill(consumer, tp, stop, buffers[tp], stall_seconds)
        _push_head(heap, tp, buffers[tp])
    while heap:
        tp = heapq.heappop(heap)[3]
        yield buffers[tp].popleft()
        if not buffers[tp]:
            await _refill(consumer, tp, active[tp][1], buffers[tp], stall_seconds)
        _push_head(heap, tp, buffers[tp])


def _push_head(heap: list[tuple[int, int, int, TopicPartition]], tp: TopicPartition,
               buffer: deque[ConsumerRecord[Any, Any]]) -> None:
    if buffer:
        head = buffer[0]
        heapq.heappush(heap, (head.timestamp, head.partition, head.offset, tp))


async def _refill(consumer: AIOKafkaConsumer, tp: TopicPartition, stop: int,
                  buffer: deque[ConsumerRecord[Any, Any]], stall_seconds: float) -> None:
    """Fetch the next records of one partition below ``stop``; nothing left leaves it empty."""
    deadline = time.monotonic() + stall_seconds
    try:
        while await consumer.position(tp) < stop:
            batch = await consumer.getmany(tp, timeout_ms=500, max_records=500)
            kept = [r for r in batch.get(tp, []) if r.offset < stop]
            if kept:
                buffer.extend(kept)
                return
            if time.monotonic() > deadline:
                position = await consumer.position(tp)
                raise BrokerError(f"reading {tp.topic}[{tp.partition}] stalled at offset "
                                  f"{position} before {stop}")
    except KafkaError as exc:
        raise BrokerError(f"reading {tp.topic}[{tp.partition}] failed: {exc!r}") from exc


async def committed_offsets(settings: Settings, groups: list[str],
                            partitions: list[TopicPartition]
                            ) -> dict[str, dict[TopicPartition, int | None]]:
    """Each group's committed offset per partition (None: never committed), one admin
    connection for all groups."""
    admin = await _admin(settings)
    try:
        found: dict[str, Any] = {}
        for group in groups:
            def listing(group: str = group) -> Awaitable[Any]:
                coroutine: Awaitable[Any] = admin.list_consumer_group_offsets(
                    group, partitions=partitions)
                return coroutine

            found[group] = await retrying(listing)
    except KafkaError as exc:
        raise BrokerError(f"reading committed offsets failed: {exc!r}") from exc
    finally:
        await admin.close()
    return {group: {tp: _offset_of(offsets.get(tp)) for tp in partitions}
            for group, offsets in found.items()}


async def retrying(call: Callable[[], Awaitable[T]], seconds: float = 30.0) -> T:
    """Retry what Kafka calls retriable: on a fresh broker the group coordinator (and its
    ``__consumer_offsets`` topic) comes up only on first use, and answers "not
    available" for a few seconds."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return await call()
        except KafkaError as exc:
            if not getattr(exc, "retriable", False) or time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.5)


def _offset_of(meta: Any) -> int | None:
    """The broker answers -1 for a partition the group never committed."""
    return int(meta.offset) if meta is not None and meta.offset >= 0 else None


async def commit_offsets(settings: Settings, group_id: str,
                         offsets: dict[TopicPartition, int]) -> None:
    """Commit explicit offsets for a group without joining it (manual assignment)."""
    if not offsets:
        return
    consumer = await start_reader(settings, group_id=group_id)
    try:
        consumer.assign(list(offsets))
        await retrying(lambda: consumer.commit(offsets))
    except KafkaError as exc:
        raise BrokerError(f"committing offsets of group {group_id} failed: {exc!r}") from exc
    finally:
        await consumer.stop()
