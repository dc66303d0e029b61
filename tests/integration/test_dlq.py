"""Dead letters on the real broker: listed, and redriven to the raw topic at most once."""

from __future__ import annotations

import asyncio
import base64
from typing import Any

import orjson
import pytest
from aiokafka import AIOKafkaProducer, TopicPartition

from stream.core.models import OutRecord
from stream.errors import Reason
from stream.kafka import offset_bounds, read_ranges, start_reader
from stream.steps import Coordinates, Steps

from .conftest import BROKERS, Env, run_cli

pytestmark = pytest.mark.kafka

BAD_JSON = b"{not json"
NO_BODY = orjson.dumps({"source": "t", "title": "no body"})
NOT_UTF8 = b"\xff\xfe\x00bad"


def _letters(env: Env) -> list[tuple[str, bytes]]:
    """Dead letters exactly as the worker's analyse step writes them (same code path):
    three redrivable ones, one whose original was truncated, one from the internal hop."""
    settings = env.settings
    steps = Steps.from_settings(settings)
    raw = env.topic("raw")
    records = [
        steps.analyse(b"key-1", BAD_JSON, Coordinates(raw, 0, 0)),
        steps.analyse(None, NO_BODY, Coordinates(raw, 0, 1)),
        steps.analyse(None, NOT_UTF8, Coordinates(raw, 0, 2)),
        steps.dead_letter(Reason.TOO_LARGE, "message too big", b"x" * 64, None,
                          Coordinates(raw, 0, 3)),
        steps.dead_letter(Reason.INTERNAL_ERROR, "boom", b"{}", b"art_x",
                          Coordinates(env.topic("analysed"), 0, 9)),
    ]
    out = []
    for record in records:
        assert isinstance(record, OutRecord) and record.output == "dlq", record
        value = dict(record.value)
        if value["reason"] == "too_large":
            value["original_truncated"] = True
        encoded = steps.encode(OutRecord("dlq", record.key, value))  # validated as sent
        out.append((encoded.key.decode(), encoded.value))
    return out


async def _publish(topic: str, letters: list[tuple[str, bytes]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=BROKERS)
    await producer.start()
    try:
        for key, value in letters:
            await producer.send_and_wait(topic, value, key=key.encode())
    finally:
        await producer.stop()


def _raw(env: Env) -> list[Any]:
    async def read() -> list[Any]:
        consumer = await start_reader(env.settings)
        try:
            bounds = await offset_bounds(consumer, [TopicPartition(env.topic("raw"), 0)])
            return [r async for r in read_ranges(consumer, bounds)]
        finally:
            await consumer.stop()

    return asyncio.run(read())


def test_dlq_list_shows_every_dead_letter_with_its_reason_and_origin(env: Env) -> None:
    asyncio.run(_publish(env.topic("dlq"), _letters(env)))
    table = run_cli(env, "dlq", "list").stdout.splitlines()
    assert table[0].split()[:3] == ["dlq", "p/offset", "reason"]
    assert [row.split()[1] for row in table[1:-1]] == [
        "invalid_json", "schema_violation", "invalid_utf8", "too_large", "internal_error"]
    assert f"{env.topic('raw')}/0/1" in table[2] and "64+" in table[4]  # truncated marked
    assert table[-1] == ("5 dead letters: internal_error=1, invalid_json=1, invalid_utf8=1, "
                         "schema_violation=1, too_large=1")
    [only] = [orjson.loads(line) for line in
              run_cli(env, "dlq", "list", "--reason", "invalid_json", "--json").stdout.splitlines()]
    assert only["reason"] == "invalid_json" and only["size"] == len(BAD_JSON)
    short = run_cli(env, "dlq", "list", "--max", "1").stdout.splitlines()
    assert len(short) == 3 and short[-1].startswith("5 dead letters (showing 1): ")


def test_redrive_sends_each_dead_letter_back_once(env: Env) -> None:
    asyncio.run(_publish(env.topic("dlq"), _letters(env)))

    dry = run_cli(env, "dlq", "redrive", "--dry-run")
    assert len([line for line in dry.stdout.splitlines() if line.startswith("would redrive")]) == 3
    assert _raw(env) == []  # a dry run sends nothing and records nothing

    one = run_cli(env, "dlq", "redrive", "--reason", "invalid_json")
    assert "redrove 1 dead letters" in one.stderr
    [first] = _raw(env)
    assert (first.key, first.value) == (b"key-1", BAD_JSON)  # original bytes and key
    headers = dict(first.headers)
    assert headers["redrive"] == b"1" and headers["dlq-reason"] == b"invalid_json"
    assert headers["redriven-from"] == f"{env.topic('dlq')}/0/0".encode()

    again = run_cli(env, "dlq", "redrive", "--reason", "invalid_json")
    assert "redrove 0 dead letters" in again.stderr  # reading started past its mark
    assert len(_raw(env)) == 1

    rest = run_cli(env, "dlq", "redrive")  # the other reasons; invalid_json stays done
    assert "redrove 2 dead letters" in rest.stderr
    assert "skipped 1 already redriven, 1 truncated, 1 not from the raw topic" in rest.stderr
    assert "was truncated in the dead letter, skipped" in rest.stderr  # the warning
    assert [r.value for r in _raw(env)] == [BAD_JSON, NO_BODY, NOT_UTF8]

    assert "redrove 0 dead letters" in run_cli(env, "dlq", "redrive").stderr
    assert len(_raw(env)) == 3

    # A new dead letter later on: only it goes.
    late = orjson.loads(_letters(env)[0][1])
    late["original_b64"] = base64.b64encode(b"{late").decode()
    asyncio.run(_publish(env.topic("dlq"), [("key-9", orjson.dumps(late))]))
    assert "redrove 1 dead letters" in run_cli(env, "dlq", "redrive").stderr
    assert [r.value for r in _raw(env)][-1] == b"{late"
