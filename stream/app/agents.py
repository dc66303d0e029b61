"""The two agents. Each takes a message, calls a step, sends what the step returns.

Nothing here decides anything: a message that fails is turned into a dead letter by the
step, and any unexpected exception is caught per message and dead-lettered too, so the
worker keeps going and nothing is acknowledged that was not handled (the offset commits
only after the sends are flushed: Faust flushes the producer before committing).
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

import faust

from stream.app.health import watch_tables
from stream.app.status import StatusBoard
from stream.app.tables import Tables
from stream.app.topics import Topics
from stream.core.models import OutRecord
from stream.errors import Reason
from stream.logs import get_logger, log_published
from stream.metrics import Metrics, record_published
from stream.steps import Analysed, Coordinates, Steps

log = get_logger("stream.agents")


class Sender:
    """Publishes records with their schema headers and counts them."""

    def __init__(self, steps: Steps, topics: Topics, metrics: Metrics,
                 board: StatusBoard | None = None) -> None:
        self.steps, self.topics, self.metrics = steps, topics, metrics
        self.board = board

    async def send(self, record: OutRecord, stage: str) -> None:
        encoded = self.steps.encode(record)
        await self.topics.by_name[encoded.topic].send(
            key=encoded.key, value=encoded.value, headers=encoded.headers)
        record_published(self.metrics, stage, record)
        log_published(log, stage, record)
        if self.board is not None:
            self.board.observe(record)


AgentPair = tuple[Any, Any]


def register_agents(app: faust.App, steps: Steps, topics: Topics, tables: Tables,
                    metrics: Metrics, board: StatusBoard | None = None) -> AgentPair:
    """Define the two agents on ``app``; returned so agent tests can drive them."""
    sender = Sender(steps, topics, metrics, board)
    memory = watch_tables(app, tables, metrics)  # counts table keys as the agent writes
    state = steps.publish_state(memory.dedup, memory.events)

    async def on_revoked(sender: Any, *args: Any, **kwargs: Any) -> None:
        # The table partition may move to another worker and back: rebuild its indexes.
        state.invalidate()

    app.on_partitions_revoked.connect(on_revoked)  # type: ignore[arg-type]

    @app.agent(topics.raw, name="analyse")
    async def analyse_agent(stream: faust.StreamT[bytes]) -> None:
        async for event in stream.events():
            message = event.message
            where = Coordinates(message.topic, message.partition, message.offset)
            metrics.messages_in.labels("analyse").inc()
            started = time.perf_counter()
            try:
                result = steps.analyse(message.key, message.value, where)
            except Exception as exc:
                log.exception("analyse_failed", topic=where.topic, partition=where.partition,
                              offset=where.offset, key=_key(message.key))
                result = steps.dead_letter(Reason.INTERNAL_ERROR, repr(exc)[:500],
                                           message.value, message.key, where)
            metrics.stage_seconds.labels("analyse").observe(time.perf_counter() - started)
            if isinstance(result, Analysed):
                # Raw timestamp travels with the article for the end-to-end latency metric.
                await topics.by_name[steps.settings.topic_analysed].send(
                    key=result.article_id.encode(), value=result.payload,
                    headers=[("raw-timestamp", repr(message.timestamp).encode())])
                metrics.messages_out.labels("analyse", "analysed").inc()
            else:
                metrics.dropped.labels("analyse", _field(result, "reason")).inc()
                await sender.send(result, "analyse")

    @app.agent(topics.analysed, name="publish")
    async def publish_agent(stream: faust.StreamT[bytes]) -> None:
        async for event in stream.events():
            message = event.message
            metrics.messages_in.labels("publish").inc()
            started = time.perf_counter()
            try:
                records = steps.publish(message.value, state)
            except Exception as exc:
                log.exception("publish_failed", topic=message.topic, partition=message.partition,
                              offset=message.offset, article_id=_key(message.key))
                where = Coordinates(message.topic, message.partition, message.offset)
                records = [steps.dead_letter(Reason.INTERNAL_ERROR, repr(exc)[:500],
                                             message.value, message.key, where)]
            metrics.stage_seconds.labels("publish").observe(time.perf_counter() - started)
            for record in records:
                await sender.send(record, "publish")
            _observe_latency(metrics, message.headers, records)

    return analyse_agent, publish_agent


def _field(record: OutRecord, name: str) -> str:
    return str(record.value.get(name, "unknown")) if record.value else "unknown"


def _key(key: bytes | None) -> str | None:
    """A message key (the article id) for a log line."""
    return key.decode("utf-8", "replace")[:200] if key else None


def _observe_latency(metrics: Metrics, headers: Any, records: list[OutRecord]) -> None:
    if not any(r.output in ("enriched", "duplicates") for r in records):
        return
    raw_ts = _header(headers, "raw-timestamp")
    if raw_ts:
        with contextlib.suppress(ValueError):
            metrics.end_to_end_seconds.observe(max(0.0, time.time() - float(raw_ts)))


def _header(headers: Any, name: str) -> str | None:
    items = headers.items() if isinstance(headers, dict) else (headers or [])
    for key, value in items:
        if key == name:
            return value.decode() if isinstance(value, bytes) else str(value)
    return None
