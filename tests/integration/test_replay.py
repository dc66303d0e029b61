"""Replay and backfill on the real broker: replays add nothing new, backfills are
versioned, repeatable and comparable."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from aiokafka import TopicPartition

from stream.batch import process_payloads
from stream.inputs import Payload, iter_payloads
from stream.kafka import committed_offsets, offset_bounds, read_ranges, start_reader
from stream.steps import Steps

from .conftest import REPO, Collected, Env, WorkerProcess, collect, produce, run_cli

pytestmark = pytest.mark.kafka
SAMPLES = REPO / "samples" / "articles.jsonl"
OUTPUTS = ["enriched", "duplicates", "match_results", "quotes", "dlq"]


def _payloads() -> list[Payload]:
    return list(iter_payloads([str(SAMPLES)]))


def _send(env: Env, payloads: list[Payload]) -> None:
    asyncio.run(produce(env, [p.value for p in payloads], [p.key for p in payloads]))


async def _read_all(env: Env, topic: str) -> list[Any]:
    """Every record of a topic up to its end now (no waiting: for "nothing arrived")."""
    consumer = await start_reader(env.settings)
    try:
        bounds = await offset_bounds(consumer, [TopicPartition(topic, 0)])
        return [r async for r in read_ranges(consumer, bounds)]
    finally:
        await consumer.stop()


def _latest(records: list[dict[str, Any]]) -> dict[str, Any]:
    return {r["key"]: r["value"] for r in records}


def test_replaying_the_same_range_twice_adds_no_article_and_no_event(
        env: Env, worker: WorkerProcess) -> None:
    worker.start()
    worker.wait_ready()
    payloads = _payloads()
    _send(env, payloads)
    first = asyncio.run(collect(env, OUTPUTS, until=lambda c: len(c.records["enriched"]) >= 5
                                and len(c.records["duplicates"]) >= 1
                                and len(c.records["dlq"]) >= 3))
    expected = _batch(env, payloads)  # counted against the input, through batch mode
    assert set(first.keys("enriched")) == set(expected["enriched"]), worker.log_tail()
    assert set(first.keys("duplicates")) == set(expected["duplicates"])

    for _ in range(2):
        out = run_cli(env, "replay", "--from", "0", "--to", str(len(payloads)))
        assert f"replayed {len(payloads)} messages" in out.stderr

    # Each pass re-emits every article under its own key (the owner is recognised as
    # itself), so wait for three passes' worth of records, then compare distinct keys.
    def three_passes(c: Collected) -> bool:
        return all(len(c.records[name]) >= 3 * len(first.records[name])
                   for name in ("enriched", "duplicates", "dlq"))

    after = asyncio.run(collect(env, OUTPUTS, until=three_passes))
    assert three_passes(after), worker.log_tail()
    for name in ("enriched", "duplicates", "match_results", "quotes"):
        assert set(after.keys(name)) == set(first.keys(name)), name
    assert set(after.keys("enriched")).isdisjoint(after.keys("duplicates"))
    assert all(d["duplicate_of"] != d["article_id"] for d in after.values("duplicates"))
    for name in ("match_results", "quotes"):  # no event grew: same articles behind each
        latest = _latest(after.records[name])
        assert {k: sorted(v["article_ids"]) for k, v in latest.items()} == \
            {k: sorted(v["article_ids"]) for k, v in _latest(first.records[name]).items()}

    raw = asyncio.run(_read_all(env, env.topic("raw")))
    assert len(raw) == 3 * len(payloads)
    copies = raw[len(payloads):]
    assert all(dict(r.headers)["replay"] == b"1" for r in copies)
    assert [dict(r.headers)["replayed-from"].decode() for r in copies] == \
        [f"{env.topic('raw')}/0/{i}" for i in range(len(payloads))] * 2
    assert [(r.key, r.value) for r in copies] == [(r.key, r.value) for r in raw[:len(payloads)]] * 2


def test_replay_by_time_range_into_another_topic_keeps_keys_values_and_headers(
        env: Env) -> None:
    payloads = _payloads()
    _send(env, payloads[:3])
    time.sleep(1.2)
    middle = datetime.now(UTC)
    time.sleep(0.2)
    _send(env, payloads[3:])
    target = env.topic("dlq")  # any existing delete-policy topic (compacted ones need keys)
    out = run_cli(env, "replay", "--from", middle.isoformat(), "--into", target, "--rate", "100")
    assert f"replayed {len(payloads) - 3} messages" in out.stderr
    copied = asyncio.run(_read_all(env, target))
    assert [(r.key, r.value) for r in copied] == [(p.key, p.value) for p in payloads[3:]]
    assert dict(copied[0].headers)["replayed-from"] == f"{env.topic('raw')}/0/3".encode()

    before = run_cli(env, "replay", "--from", "0", "--to", middle.isoformat(), "--into", target)
    assert "replayed 3 messages" in before.stderr

    bad = subprocess.run([sys.executable, "-m", "stream.cli", "replay", "--from", "0",
                          "--partition", "4"], cwd=REPO, env={**os.environ, **env.vars},
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1
    assert bad.stderr.strip() == f"Error: {env.topic('raw')} has no partition 4 (it has 1)"


def _batch(env: Env, payloads: list[Payload]) -> dict[str, dict[str, Any]]:
    """What batch mode publishes for these payloads, last value per key, by output."""
    settings = env.settings
    steps = Steps.from_settings(settings)
    out: dict[str, dict[str, Any]] = {}
    for record in process_payloads(steps, payloads):
        value = steps.encode(record).value
        out.setdefault(record.output, {})[record.key] = None if value is None else orjson.loads(
            value)
    return out


def _version(env: Env, version: str, name: str) -> list[Any]:
    return asyncio.run(_read_all(env, f"{env.topic(name)}.{version}"))


def _by_key(records: list[Any]) -> dict[str, Any]:
    return {r.key.decode(): orjson.loads(r.value) for r in records}


def test_backfill_is_versioned_repeatable_and_diffable(env: Env) -> None:
    payloads = _payloads()
    _send(env, payloads[:1])
    time.sleep(1.2)
    middle = datetime.now(UTC)
    time.sleep(0.2)

    run_cli(env, "backfill", "--since", "2000-01-01", "--version", "v1")
    once = _version(env, "v1", "enriched")
    again = run_cli(env, "backfill", "--since", "2000-01-01", "--version", "v1")
    assert "committed group" in again.stderr
    twice = _version(env, "v1", "enriched")
    assert len(twice) == 2 * len(once) and _by_key(twice) == _by_key(once)  # same keys, values
    assert _by_key(once) == _batch(env, payloads[:1])["enriched"]

    _send(env, payloads[1:])
    run_cli(env, "backfill", "--since", "2000-01-01", "--version", "v2")
    expected = _batch(env, payloads)
    for name, output in (("enriched", "enriched"), ("duplicates", "duplicates"),
                         ("match_results", "match_results"), ("quotes", "quotes")):
        assert _by_key(_version(env, "v2", name)) == expected.get(output, {}), name
    assert len(_version(env, "v2", "dlq")) == 3
    assert asyncio.run(_read_all(env, env.topic("enriched"))) == []  # live outputs untouched

    # --since: only what arrived after the moment.
    run_cli(env, "backfill", "--since", middle.isoformat(), "--version", "late")
    assert set(_by_key(_version(env, "late", "enriched"))) == \
        set(_batch(env, payloads[1:])["enriched"])

    report = orjson.loads(run_cli(env, "diff", "v1", "v2", "--json").stdout)
    enriched = report["outputs"]["enriched"]
    assert set(enriched["added"]) == set(expected["enriched"]) - set(_by_key(once))
    assert enriched["removed"] == [] and enriched["changed"] == {}
    assert report["outputs"]["duplicates"]["added"] == list(expected["duplicates"])
    # The derby's event gained the second report of it: changed, in article_ids only.
    assert "article_ids" in [f for fields in report["outputs"]["match_results"]["changed"].values()
                             for f in fields]
    same = run_cli(env, "diff", "v2", "v2")
    assert "no differences between v2 and v2" in same.stdout
    table = run_cli(env, "diff", "live", "v2").stdout
    assert table.splitlines()[0].split() == ["output", "live", "v2", "added", "removed", "changed"]

    group = f"{env.settings.app_id}-backfill-v2"
    raw = TopicPartition(env.topic("raw"), 0)
    marks = asyncio.run(committed_offsets(env.settings, [group], [raw]))
    assert marks[group][raw] == len(payloads)
