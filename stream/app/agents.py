"""The two agents. Each takes messages, calls a step, sends what the step returns.

``analyse`` takes raw messages in batches (``batch_size`` or ``batch_seconds``, whichever
comes first), has the pool clean and extract them in other processes, and forwards the
batch as one hop message; ``publish`` reads hop messages and publishes article by article.

Nothing here decides anything: a message that fails is turned into a dead letter by the
step, and any unexpected exception is caught per message and dead-lettered too, so the
worker keeps going and nothing is acknowledged that was not handled (the offset commits
only after the sends are flushed: Faust flushes the producer before committing).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import Any, Protocol, cast

import faust
import orjson

from stream.app.health import watch_tables
from stream.app.status import StatusBoard
from stream.app.tables import Tables
from stream.app.topics import Topics
from stream.codec import HopEntry, decode_hops, decode_prepared, encode_hops
from stream.core.models import OutRecord
from stream.errors import Reason
from stream.logs import get_logger, log_published
from stream.metrics import Metrics, record_published
from stream.pool import AnalysePool, RawItem
from stream.steps import Analysed, Coordinates, Encoded, Steps

log = get_logger("stream.agents")


class Outbox(Protocol):
    """Where records go: the worker's Kafka producer, or a recorder in agent tests."""

    async def send(self, topic: str, key: bytes, value: bytes | None,
                   headers: list[tuple[str, bytes]]) -> None: ...


class ProducerOutbox:
    """Sends through Faust's producer directly: Faust flushes that producer before it
    commits offsets, so a record sent while handling a message is delivered before the
    message counts as handled, and the per-send work of ``Topic.send`` is skipped."""

    def __init__(self, app: faust.App) -> None:
        self.app = app

    async def send(self, topic: str, key: bytes, value: bytes | None,
                   headers: list[tuple[str, bytes]]) -> None:
        await self.app.producer.send(topic, key, value, None, None, headers)


class Sender:
    """Publishes records with their schema headers and counts them."""

    def __init__(self, steps: Steps, outbox: Outbox, metrics: Metrics,
                 board: StatusBoard | None = None) -> None:
        self.steps, self.outbox, self.metrics = steps, outbox, metrics
        self.board = board

    async def send(self, record: OutRecord, stage: str, encoded: Encoded | None = None) -> None:
        """Send ``record``; ``encoded`` is ``steps.encode(record)`` when already made."""
        if encoded is None:
            encoded = self.steps.encode(record)
        await self.outbox.send(encoded.topic, encoded.key, encoded.value, encoded.headers)
        record_published(self.metrics, stage, record)
        log_published(log, stage, record)
        if self.board is not None:
            self.board.observe(record)


AgentPair = tuple[Any, Any]
#: Batches handed to the pool and not yet forwarded: the pool starts on the next batch
#: while this process forwards the last one.
ANALYSE_BATCHES_IN_FLIGHT = 2
#: A batch of raw events, its analysis under way, and when it started.
_InFlight = tuple[Sequence[Any], "asyncio.Future[list[Any]]", float]


async def _until_free(slots: asyncio.Semaphore, forwarder: asyncio.Future[None]) -> None:
    """A slot for the next batch; the forwarder's failure, if it failed meanwhile."""
    acquired: asyncio.Future[Any] = asyncio.ensure_future(slots.acquire())
    waited: set[asyncio.Future[Any]] = {acquired, forwarder}
    await asyncio.wait(waited, return_when=asyncio.FIRST_COMPLETED)
    if forwarder.done():
        acquired.cancel()
        forwarder.result()  # raises what stopped it
        raise RuntimeError("the analyse forwarder stopped")


def register_agents(app: faust.App, steps: Steps, topics: Topics, tables: Tables,
                    metrics: Metrics, pool: AnalysePool, outbox: Outbox,
                    board: StatusBoard | None = None) -> AgentPair:
    """Define the two agents on ``app``; returned so agent tests can drive them."""
    settings = steps.settings
    sender = Sender(steps, outbox, metrics, board)
    memory = watch_tables(app, tables, metrics)  # counts table keys as the agent writes
    state = steps.publish_state(memory.memory, legacy=tables.legacy)
    hop_limit = settings.max_message_bytes // 2
    publish_in = metrics.messages_in.labels("publish")
    publish_seconds = metrics.stage_seconds.labels("publish")

    async def on_revoked(sender: Any, *args: Any, **kwargs: Any) -> None:
        # The table partition may move to another worker and back: rebuild its indexes.
        state.invalidate()

    app.on_partitions_revoked.connect(on_revoked)  # type: ignore[arg-type]

    @app.agent(topics.raw, name="analyse")
    async def analyse_agent(stream: faust.StreamT[bytes]) -> None:
        # ``take_events`` acknowledges a batch as soon as the body moves on to the next; each
        # message holds one more reference until its batch is forwarded (``_forward``), so
        # nothing is acknowledged before its hop is sent while the pool already analyses
        # the next batch (with one batch at a time, the pool idles while this process
        # sends the hops and gathers the next batch).
        batches = cast(faust.Stream[bytes], stream).take_events(settings.batch_size,
                                                                settings.batch_seconds)
        slots = asyncio.Semaphore(ANALYSE_BATCHES_IN_FLIGHT)
        queue: asyncio.Queue[_InFlight] = asyncio.Queue()
        forwarder = asyncio.ensure_future(_forward_batches(queue, slots, stream))
        try:
            async for events in batches:
                await _until_free(slots, forwarder)
                for event in events:
                    event.message.incref()
                metrics.messages_in.labels("analyse").inc(len(events))
                started = time.perf_counter()
                queue.put_nowait((events, asyncio.ensure_future(_analysed(events)), started))
        finally:
            forwarder.cancel()

    async def _analysed(events: Sequence[Any]) -> list[Any]:
        items = [RawItem(e.message.key, e.message.value or b"",
                         Coordinates(e.message.topic, e.message.partition, e.message.offset))
                 for e in events]
        try:
            return await pool.analyse(items)
        except Exception as exc:  # the pool itself failed, not one article
            log.exception("analyse_pool_failed", messages=len(items))
            return [steps.dead_letter(Reason.INTERNAL_ERROR, repr(exc)[:500], item.value,
                                      item.key, item.where) for item in items]

    async def _forward_batches(queue: asyncio.Queue[_InFlight], slots: asyncio.Semaphore,
                               stream: Any) -> None:
        """Sends each batch's hops in the order the batches came, then acknowledges it."""
        while True:
            events, analysed, started = await queue.get()
            try:
                await _forward(events, await analysed, started)
            except Exception:  # the agent raises it at its next batch (and is restarted)
                log.exception("analyse_forward_failed", messages=len(events))
                raise
            for event in events:
                await stream.ack(event)
            slots.release()

    async def _forward(events: Sequence[Any], results: list[Any], started: float) -> None:
        # The batch's wall time shared among its articles: one observation each.
        per_article = (time.perf_counter() - started) / len(events)
        stage_seconds = metrics.stage_seconds.labels("analyse")
        for _ in events:
            stage_seconds.observe(per_article)
        hops: list[tuple[bytes, float | None]] = []
        for event, result in zip(events, results, strict=True):
            if isinstance(result, Analysed):
                # Raw timestamp travels with the article for the end-to-end latency.
                hops.append((result.payload, event.message.timestamp))
            else:
                metrics.dropped.labels("analyse", _field(result, "reason")).inc()
                await sender.send(result, "analyse")
        for hop in encode_hops(hops, hop_limit):
            await outbox.send(settings.topic_analysed, b"", hop, [])
        metrics.messages_out.labels("analyse", "analysed").inc(len(hops))

    @app.agent(topics.analysed, name="publish")
    async def publish_agent(stream: faust.StreamT[bytes]) -> None:
        async for event in stream.events():
            message = event.message
            where = Coordinates(message.topic, message.partition, message.offset)
            try:
                entries = decode_hops(message.value,
                                      _float(_header(message.headers, "raw-timestamp")))
            except Exception as exc:
                log.exception("hop_unreadable", partition=where.partition, offset=where.offset)
                await sender.send(steps.dead_letter(Reason.INTERNAL_ERROR, repr(exc)[:500],
                                                    message.value, message.key, where), "publish")
                continue
            for entry in entries:
                await _publish_one(entry, where)
                # A hop holds a whole batch and sends rarely suspend: let the analyse agent
                # hand the pool its next batch meanwhile, or the pool idles until we finish.
                await asyncio.sleep(0)

    async def _publish_one(entry: HopEntry, where: Coordinates) -> None:
        publish_in.inc()
        started = time.perf_counter()
        try:
            records = steps.publish_entry(entry, state)
            # Encoded (and validated) here: a record that breaks its schema dead-letters
            # its article instead of stopping the agent on the same hop again and again.
            encoded: list[Encoded | None] = [steps.encode(r) for r in records]
        except Exception as exc:
            article_id = _article_id(entry.payload)
            log.exception("publish_failed", partition=where.partition, offset=where.offset,
                          article_id=article_id)
            key = article_id.encode() if article_id else None
            original = (entry.payload if isinstance(entry.payload, bytes)
                        else orjson.dumps(entry.payload))
            records = [steps.dead_letter(Reason.INTERNAL_ERROR, repr(exc)[:500],
                                         original, key, where)]
            encoded = [None]
        publish_seconds.observe(time.perf_counter() - started)
        for record, ready in zip(records, encoded, strict=True):
            await sender.send(record, "publish", ready)
        _observe_latency(metrics, entry.raw_timestamp, records)

    return analyse_agent, publish_agent


def _field(record: OutRecord, name: str) -> str:
    return str(record.value.get(name, "unknown")) if record.value else "unknown"


def _article_id(payload: bytes | dict[str, Any]) -> str | None:
    if isinstance(payload, bytes):
        try:
            return decode_prepared(payload).article_id
        except Exception:  # in the error path: any failure to read it means no id
            return None
    try:
        return str(payload["article"]["article_id"])
    except (KeyError, TypeError):
        return None


def _observe_latency(metrics: Metrics, raw_timestamp: float | None,
                     records: list[OutRecord]) -> None:
    if raw_timestamp is None or not any(r.output in ("enriched", "duplicates") for r in records):
        return
    metrics.end_to_end_seconds.observe(max(0.0, time.time() - raw_timestamp))


def _float(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        return float(text)
    except ValueError:
        return None


def _header(headers: Any, name: str) -> str | None:
    items = headers.items() if isinstance(headers, dict) else (headers or [])
    for key, value in items:
        if key == name:
            return value.decode() if isinstance(value, bytes) else str(value)
    return None
