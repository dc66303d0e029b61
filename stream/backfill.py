"""``stream backfill``: reprocess history from ``articles.raw`` into versioned output topics.

Why a bounded consumer running the batch steps, and not a second Faust worker: the live
worker's state (tables, changelogs, consumer group) must stay untouched, and a backfill
has an end. Reading every partition up to the end offsets captured at start, merged in
timestamp order (the order the live pipeline saw them in, near enough), through
:meth:`Steps.analyse` / :meth:`Steps.publish` with dict memory gives the same records the
worker would publish, and the same records again on every re-run: ids are deterministic
and the order is fixed, so a re-run rewrites the compacted topics with equal values.

The consumer group ``<app_id>-backfill-<version>`` is committed at the end offsets once
everything is flushed: it records how far the version got (``kafka-consumer-groups``
shows it). A re-run still starts from ``--since``, because the dedup memory lives in this
process and must see the whole range again to decide the same way.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaError

from stream.core.models import OutRecord
from stream.core.pipeline import PublishState
from stream.errors import BrokerError, InputError, Reason
from stream.kafka import (
    AckWindow,
    create_topics,
    read_ranges,
    retrying,
    start_producer,
    start_reader,
    topic_partitions,
    topic_specs,
)
from stream.progress import progress_bar
from stream.replay import resolve_ranges
from stream.settings import Settings
from stream.steps import Analysed, Coordinates, Steps

#: The version name of the unversioned topics the worker writes.
LIVE = "live"
#: Settings fields naming the outputs a backfill writes under ``<name>.<version>``.
OUTPUT_FIELDS = ("topic_enriched", "topic_duplicates", "topic_match_results", "topic_quotes",
                 "topic_dlq")
_VERSION = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,62}")


def check_version(version: str, *, allow_live: bool = False) -> str:
    """Versions become topic-name suffixes and group ids: keep them plain, no dots."""
    if version == LIVE:
        if allow_live:
            return version
        raise InputError(f"version {LIVE!r} names the live topics; a backfill needs its own")
    if not _VERSION.fullmatch(version):
        raise InputError(f"version {version!r}: use letters, digits, '-' or '_' "
                         "(up to 63, starting with a letter or digit)")
    return version


def versioned_settings(settings: Settings, version: str) -> Settings:
    """The same settings with every output topic suffixed by ``.<version>``."""
    if check_version(version, allow_live=True) == LIVE:
        return settings
    return settings.model_copy(
        update={name: f"{getattr(settings, name)}.{version}" for name in OUTPUT_FIELDS})


def group_id(settings: Settings, version: str) -> str:
    return f"{settings.app_id}-backfill-{version}"


@dataclass
class BackfillSummary:
    version: str
    group: str
    ranges: dict[int, tuple[int, int]] = field(default_factory=dict)
    read: int = 0
    produced: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    def describe(self) -> str:
        spans = ", ".join(f"p{p}:{a}..{b}" for p, (a, b) in sorted(self.ranges.items()))
        outputs = ", ".join(f"{topic}={n}" for topic, n in sorted(self.produced.items()))
        return (f"backfill {self.version}: read {self.read} raw messages "
                f"[{spans or 'nothing'}], published {outputs or 'nothing'} "
                f"in {self.seconds:.1f}s; committed group {self.group}")


def process_record(steps: Steps, key: bytes | None, value: bytes, where: Coordinates,
                   state: PublishState) -> list[OutRecord]:
    """Both steps for one raw message, failures dead-lettered as the worker's agents do.

    A failure in the publish step is dead-lettered with the *raw* bytes and coordinates
    (the worker only has the internal analysed payload there), so it can be redriven.
    """
    try:
        result = steps.analyse(key, value, where)
        if not isinstance(result, Analysed):
            return [result]
        return steps.publish(result.payload, state)
    except Exception as exc:  # same contract as the agents: one bad message never stops us
        return [steps.dead_letter(Reason.INTERNAL_ERROR, repr(exc)[:500], value, key, where)]


async def backfill(settings: Settings, *, since: datetime, version: str,
                   steps: Steps | None = None, progress: bool | None = None) -> BackfillSummary:
    """Process ``articles.raw`` from ``since`` to its current end into ``*.<version>``."""
    check_version(version)
    target = versioned_settings(settings, version)
    await create_topics(target, [s for s in topic_specs(target)
                                 if s.name in target.output_topics])
    steps = steps or Steps.from_settings(target)
    summary = BackfillSummary(version, group_id(settings, version))
    started = time.monotonic()
    partitions = await topic_partitions(settings, settings.topic_raw)
    consumer = await start_reader(settings, group_id=summary.group)
    try:
        ranges = await resolve_ranges(consumer, partitions, since, None)
        summary.ranges = {tp.partition: r for tp, r in ranges.items()}
        producer = await start_producer(settings)
        try:
            await _run(consumer, producer, steps, ranges, summary, progress)
        finally:
            await producer.stop()
        await _commit(consumer, {tp: stop for tp, (_, stop) in ranges.items()}, summary.group)
    finally:
        await consumer.stop()
    summary.seconds = time.monotonic() - started
    return summary


async def _run(consumer: AIOKafkaConsumer, producer: AIOKafkaProducer, steps: Steps,
               ranges: dict[TopicPartition, tuple[int, int]], summary: BackfillSummary,
               progress: bool | None) -> None:
    state = steps.publish_state({})
    marker = ("backfill-version", summary.version.encode())
    window = AckWindow()
    total = sum(max(0, stop - first) for first, stop in ranges.values())
    with progress_bar(total=total, desc=f"backfill {summary.version}", enabled=progress) as bar:
        try:
            async for record in read_ranges(consumer, ranges):
                where = Coordinates(record.topic, record.partition, record.offset)
                for out in process_record(steps, record.key, record.value or b"", where,
                                          state):
                    encoded = steps.encode(out)
                    await window.add(await producer.send(
                        encoded.topic, encoded.value, key=encoded.key,
                        headers=[*encoded.headers, marker]))
                    summary.produced[encoded.topic] += 1
                summary.read += 1
                bar.update(1)
            await window.drain()
        except KafkaError as exc:
            raise BrokerError(f"backfill {summary.version} failed to publish: {exc!r}") from exc


async def _commit(consumer: AIOKafkaConsumer, offsets: dict[TopicPartition, int],
                  group: str) -> None:
    """Record the end reached, only after every output was acknowledged."""
    if not offsets:
        return
    try:
        consumer.assign(list(offsets))
        await retrying(lambda: consumer.commit(offsets))
    except KafkaError as exc:
        raise BrokerError(f"committing offsets of group {group} failed: {exc!r}") from exc
