"""``stream produce`` and ``stream tail``: the CLI's Kafka I/O."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any

import orjson
from aiokafka.errors import KafkaError

from stream.errors import BrokerError
from stream.inputs import iter_payloads
from stream.kafka import AckWindow, consume, start_producer
from stream.progress import progress_bar
from stream.settings import Settings


async def produce_paths(settings: Settings, paths: Iterable[str], topic: str,
                        source: str, *, progress: bool | None = None) -> tuple[int, int]:
    """Send every payload of ``paths``; (messages, bytes) once all are acknowledged.

    The bar (stderr, only on a terminal) counts messages: inputs are streamed, so their
    total is not known in advance.
    """
    producer = await start_producer(settings)
    count = size = 0
    try:
        window = AckWindow()
        with progress_bar(total=None, desc=f"produce {topic}", enabled=progress) as bar:
            for payload in iter_payloads(paths, source=source):
                await window.add(await producer.send(topic, payload.value, key=payload.key))
                count += 1
                size += len(payload.value)
                bar.update(1)
            await window.drain()
    except KafkaError as exc:
        raise BrokerError(f"producing to {topic} failed: {exc!r}") from exc
    finally:
        await producer.stop()
    return count, size


def _decode(value: bytes | None) -> object:
    if value is None:
        return None
    try:
        return orjson.loads(value)
    except orjson.JSONDecodeError:
        return value.decode("utf-8", "replace")


async def tail_topics(settings: Settings, topics: list[str], *, from_beginning: bool,
                      brief: bool, max_records: int | None, idle_timeout: float | None) -> None:
    seen = 0
    async for record in consume(settings, topics, from_beginning=from_beginning,
                                idle_timeout=idle_timeout):
        line = {
            "topic": record.topic, "partition": record.partition, "offset": record.offset,
            "key": record.key.decode("utf-8", "replace") if record.key else None,
            "headers": {k: v.decode("utf-8", "replace") for k, v in record.headers or ()},
            "value": _decode(record.value),
        }
        out = (summarise(line) + "\n").encode() if brief else orjson.dumps(line) + b"\n"
        sys.stdout.buffer.write(out)
        sys.stdout.buffer.flush()
        seen += 1
        if max_records is not None and seen >= max_records:
            return


def summarise(line: dict[str, Any]) -> str:
    """A human line per record for the live view of ``make run``."""
    value = line["value"] if isinstance(line["value"], dict) else {}
    schema = line["headers"].get("schema", "?")
    if schema == "enriched_article":
        names = ", ".join(e["name"] for e in value.get("entities", [])[:6])
        detail = f"{value.get('title') or value.get('text', '')[:60]!r} [{names}]"
    elif schema == "duplicate":
        detail = f"{value.get('kind')} duplicate of {value.get('duplicate_of')}"
    elif schema == "match_result":
        detail = (f"{value['home']['name']} {value['home_goals']}-{value['away_goals']} "
                  f"{value['away']['name']} on {value.get('date')} "
                  f"({len(value.get('article_ids', []))} article(s))")
    elif schema == "quote":
        detail = f"{value['speaker']['name']}: \u201c{value['text'][:80]}\u201d"
    elif schema == "dead_letter":
        detail = f"{value.get('reason')}: {value.get('detail', '')[:80]}"
    else:
        detail = str(line["value"])[:100]
    return f"{line['topic']:<22} {line['key']}  {detail}"
