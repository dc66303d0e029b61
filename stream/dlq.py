"""``stream dlq list`` and ``stream dlq redrive``: look at dead letters, send them back.

How a redrive avoids sending the same dead letter twice: one consumer group per reason,
``<app_id>-dlq-redrive-<reason>``, whose committed offset on each DLQ partition says
"every dead letter of this reason before here was dealt with". A redrive skips letters
below their reason's mark and, once everything it sent is acknowledged, moves the marks of
the reasons it handled to the DLQ end offsets it captured at start.

Why groups and not a header check: the redriven copies land on ``articles.raw``, which is
kept forever, so finding them again would mean scanning all history on every redrive;
committed offsets are Kafka's own record of "processed up to here", cost nothing to
keep, survive restarts and show in the usual tools. Why one group per reason: a
``--reason R`` redrive must not mark letters of other reasons as done, and the reasons
are a small closed set. A crash between acknowledgement and commit may send a letter
again on the next run (at-least-once), which the pipeline's deterministic ids absorb.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiokafka import AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaError

from stream.errors import BrokerError, Reason
from stream.kafka import (
    AckWindow,
    commit_offsets,
    committed_offsets,
    offset_bounds,
    read_ranges,
    start_producer,
    start_reader,
    topic_partitions,
)
from stream.progress import progress_bar
from stream.settings import Settings

log = logging.getLogger("stream.dlq")


@dataclass(frozen=True, slots=True)
class Letter:
    """One dead letter as read back from the DLQ, with where it sits there."""

    partition: int
    offset: int
    reason: str
    detail: str
    source_topic: str | None
    source_partition: int | None
    source_offset: int | None
    size: int
    truncated: bool
    original_b64: str
    key_b64: str | None

    @property
    def source(self) -> str:
        if self.source_topic is None:
            return "-"
        return f"{self.source_topic}/{self.source_partition}/{self.source_offset}"

    def original(self) -> tuple[bytes | None, bytes]:
        """The original key and value bytes, exactly as they first arrived."""
        key = base64.b64decode(self.key_b64, validate=True) if self.key_b64 else None
        return key, base64.b64decode(self.original_b64, validate=True)

    def summary(self) -> dict[str, Any]:
        """What ``dlq list --json`` prints: everything but the bytes themselves."""
        return {"partition": self.partition, "offset": self.offset, "reason": self.reason,
                "detail": self.detail, "source": self.source, "size": self.size,
                "truncated": self.truncated}


def parse_letter(record: ConsumerRecord[Any, Any]) -> Letter | None:
    """A DLQ record as a Letter; None (and a warning) for one that is not a dead letter."""
    try:
        doc = orjson.loads(record.value or b"")
        return Letter(
            partition=record.partition, offset=record.offset, reason=str(doc["reason"]),
            detail=str(doc.get("detail") or ""), source_topic=doc.get("source_topic"),
            source_partition=doc.get("partition"), source_offset=doc.get("offset"),
            size=int(doc.get("original_size") or 0),
            truncated=bool(doc.get("original_truncated")),
            original_b64=str(doc["original_b64"]), key_b64=doc.get("key_b64"))
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        log.warning("%s/%s/%s is not a dead letter, skipped", record.topic, record.partition,
                    record.offset)
        return None


async def read_letters(settings: Settings, *, starts: dict[TopicPartition, int] | None = None,
                       progress: bool | None = None
                       ) -> tuple[dict[TopicPartition, int], AsyncIterator[Letter]]:
    """The DLQ's end offsets, captured now, and its letters up to them.

    ``starts`` skips what is known to be done; the ends bound the read, so a redrive whose
    letters fail again (and come back to the DLQ) still stops.
    """
    partitions = await topic_partitions(settings, settings.topic_dlq)
    consumer = await start_reader(settings)
    try:
        bounds = await offset_bounds(consumer, partitions)
    except BaseException:
        await consumer.stop()
        raise
    ranges = {tp: (max(first, (starts or {}).get(tp, first)), end)
              for tp, (first, end) in bounds.items()}

    async def letters() -> AsyncIterator[Letter]:
        total = sum(max(0, end - first) for first, end in ranges.values())
        try:
            with progress_bar(total=total, desc="dead letters", enabled=progress) as bar:
                async for record in read_ranges(consumer, ranges):
                    bar.update(1)
                    letter = parse_letter(record)
                    if letter is not None:
                        yield letter
        finally:
            await consumer.stop()

    return {tp: end for tp, (_, end) in bounds.items()}, letters()


# ------------------------------------------------------------------------------- list


@dataclass
class Listing:
    shown: list[Letter] = field(default_factory=list)
    total: int = 0
    by_reason: Counter[str] = field(default_factory=Counter)


async def list_letters(settings: Settings, *, reason: str | None = None,
                       limit: int | None = None) -> Listing:
    """Letters of the DLQ (of one reason), the first ``limit`` kept, all counted."""
    listing = Listing()
    _, letters = await read_letters(settings)
    async for letter in letters:
        if reason is not None and letter.reason != reason:
            continue
        listing.total += 1
        listing.by_reason[letter.reason] += 1
        if limit is None or len(listing.shown) < limit:
            listing.shown.append(letter)
    return listing


def render_listing(listing: Listing) -> str:
    lines = [f"{'dlq p/offset':<14} {'reason':<24} {'size':>9}  {'source':<32} detail"]
    for letter in listing.shown:
        where = f"{letter.partition}/{letter.offset}"
        size = f"{letter.size}{'+' if letter.truncated else ''}"
        detail = letter.detail.replace("\n", " ")
        lines.append(f"{where:<14} {letter.reason:<24} {size:>9}  {letter.source:<32} "
                     f"{detail[:70]}{'...' if len(detail) > 70 else ''}")
    counts = ", ".join(f"{r}={n}" for r, n in sorted(listing.by_reason.items()))
    shown = f" (showing {len(listing.shown)})" if len(listing.shown) < listing.total else ""
    lines.append(f"{listing.total} dead letters{shown}" + (f": {counts}" if counts else ""))
    return "\n".join(lines)


# ----------------------------------------------------------------------------- redrive

REDRIVE_HEADER = "redrive"


def redrive_group(settings: Settings, reason: str) -> str:
    return f"{settings.app_id}-dlq-redrive-{re.sub(r'[^A-Za-z0-9._-]', '_', reason)}"


@dataclass
class RedriveSummary:
    into: str
    dry_run: bool
    redriven: list[Letter] = field(default_factory=list)
    bytes: int = 0
    already: int = 0
    truncated: int = 0
    foreign: int = 0
    seconds: float = 0.0

    def describe(self) -> str:
        verb = "would redrive" if self.dry_run else "redrove"
        return (f"{verb} {len(self.redriven)} dead letters ({self.bytes} bytes) to {self.into} "
                f"in {self.seconds:.1f}s; skipped {self.already} already redriven, "
                f"{self.truncated} truncated, {self.foreign} not from the raw topic")


def redrive_headers(settings: Settings, letter: Letter) -> list[tuple[str, bytes]]:
    return [(REDRIVE_HEADER, b"1"),
            ("redriven-from", f"{settings.topic_dlq}/{letter.partition}/{letter.offset}".encode()),
            ("dlq-reason", letter.reason.encode())]


class Marks:
    """Per reason, the DLQ offset before which its letters were already redriven."""

    def __init__(self, committed: dict[str, dict[TopicPartition, int | None]]) -> None:
        self.committed = committed

    def done(self, letter: Letter, tp: TopicPartition) -> bool:
        mark = self.committed.get(letter.reason, {}).get(tp)
        return mark is not None and letter.offset < mark

    def starts(self) -> dict[TopicPartition, int]:
        """Where reading may start: the lowest mark over the reasons in scope."""
        per_tp: dict[TopicPartition, int] = {}
        for marks in self.committed.values():
            for tp, mark in marks.items():
                per_tp[tp] = min(per_tp.get(tp, mark or 0), mark or 0)
        return per_tp


async def redrive(settings: Settings, *, reason: str | None = None, dry_run: bool = False,
                  into: str | None = None, progress: bool | None = None) -> RedriveSummary:
    """Re-publish dead letters' original bytes to the raw topic, each at most once."""
    started = time.monotonic()
    summary = RedriveSummary(into or settings.topic_raw, dry_run)
    reasons = [reason] if reason is not None else [r.value for r in Reason]
    groups = {r: redrive_group(settings, r) for r in reasons}
    marks = Marks(await _marks(settings, groups))
    ends, letters = await read_letters(settings, starts=marks.starts(), progress=progress)
    handled: set[str] = set()
    producer = None if dry_run else await start_producer(settings)
    try:
        await _redrive_letters(settings, letters, producer, marks, reasons, summary, handled)
    finally:
        if producer is not None:
            await producer.stop()
    if not dry_run:
        for name in sorted(handled):
            await commit_offsets(settings, groups[name], ends)
    summary.seconds = time.monotonic() - started
    return summary


async def _marks(settings: Settings, groups: dict[str, str]
                 ) -> dict[str, dict[TopicPartition, int | None]]:
    partitions = await topic_partitions(settings, settings.topic_dlq)
    by_group = await committed_offsets(settings, list(groups.values()), partitions)
    return {reason: by_group[group] for reason, group in groups.items()}


async def _redrive_letters(settings: Settings, letters: AsyncIterator[Letter],
                           producer: AIOKafkaProducer | None, marks: Marks,
                           reasons: list[str], summary: RedriveSummary,
                           handled: set[str]) -> None:
    """Send each eligible letter; note which reasons had letters past their mark."""
    window = AckWindow()
    try:
        async for letter in letters:
            if letter.reason not in reasons:
                continue
            if marks.done(letter, TopicPartition(settings.topic_dlq, letter.partition)):
                summary.already += 1
                continue
            handled.add(letter.reason)
            if not _redrivable(settings, letter, summary):
                continue
            key, value = letter.original()
            summary.redriven.append(letter)
            summary.bytes += len(value)
            if producer is not None:
                await window.add(await producer.send(summary.into, value, key=key,
                                                     headers=redrive_headers(settings, letter)))
        await window.drain()
    except KafkaError as exc:
        raise BrokerError(f"redriving into {summary.into} failed: {exc!r}") from exc


def _redrivable(settings: Settings, letter: Letter, summary: RedriveSummary) -> bool:
    """Only whole originals that came from the raw topic can go back to it."""
    where = f"{settings.topic_dlq}/{letter.partition}/{letter.offset}"
    if letter.truncated:
        summary.truncated += 1
        log.warning("%s: original of %d bytes was truncated in the dead letter, skipped",
                    where, letter.size)
        return False
    if letter.source_topic not in (None, settings.topic_raw):
        summary.foreign += 1
        log.warning("%s: came from %s, not %s, skipped", where, letter.source_topic,
                    settings.topic_raw)
        return False
    try:
        letter.original()
    except (binascii.Error, ValueError):
        summary.foreign += 1
        log.warning("%s: original bytes are not valid base64, skipped", where)
        return False
    return True
