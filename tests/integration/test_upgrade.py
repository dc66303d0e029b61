"""A worker upgraded from the two-table memory (``dedup`` and ``events``, one key per
part) moves those entries into the ``memory`` table at its first start: what it had seen
stays seen, the events keep their earlier reports, and the old tables end up empty."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from stream.core.ids import article_id
from stream.steps import Analysed, Steps

from .conftest import BROKERS, Env, WorkerProcess, collect, produce
from .test_ops import _changelog_keys

pytestmark = pytest.mark.kafka

REPORTS = [
    ("Arsenal beat Chelsea 2-1 at the Emirates Stadium on Saturday.", "We kept going",
     "Mikel Arteta"),
    ("Liverpool and Everton drew 1-1 at Anfield on Sunday.", "A fair point", "Arne Slot"),
]
FOOTER = "Read more from the upgrade desk every morning."


def _article(index: int, source: str, url: str) -> dict[str, str]:
    result, quote, speaker = REPORTS[index]
    published = datetime(2025, 3, 3, 18, tzinfo=UTC) + timedelta(days=index)
    body = (f"{result}\n\n\"{quote},\" said {speaker}.\n\nThe desk's report "
            f"number {index} closes the weekend.\n\n{FOOTER}")
    return {"source": source, "url": url, "body": body, "published_at": published.isoformat()}


def _id(article: dict[str, str]) -> str:
    return article_id(article["source"], article["url"], article["body"])


def _legacy_entries(env: Env, originals: list[dict[str, str]]
                    ) -> tuple[dict[str, str], dict[str, Any]]:
    """What an earlier worker kept for ``originals``: the same parts, one key each."""
    steps = Steps.from_settings(env.settings)
    store: dict[str, Any] = {}
    state = steps.publish_state(store)
    for article in originals:
        result = steps.analyse(_id(article).encode(), orjson.dumps(article))
        assert isinstance(result, Analysed)
        steps.publish(result.payload, state)
    dedup = {f"{part}:{aid}": value for aid, entry in store.items()
             for part, value in entry.items() if part in ("a", "b")}
    events = {f"e:{aid}": entry["e"] for aid, entry in store.items() if "e" in entry}
    assert {k[0] for k in dedup} == {"a", "b"} and len(events) == len(originals)
    return dedup, events


async def _write_changelogs(env: Env, dedup: dict[str, str], events: dict[str, Any]) -> None:
    app_id = env.settings.app_id
    admin = AIOKafkaAdminClient(bootstrap_servers=BROKERS)
    await admin.start()
    try:
        await admin.create_topics([
            NewTopic(f"{app_id}-{name}-changelog", 1, 1,
                     topic_configs={"cleanup.policy": "compact"})
            for name in ("dedup", "events")])
    finally:
        await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=BROKERS)
    await producer.start()
    try:
        # Faust writes a table's keys and values to its changelog as JSON.
        for name, entries in (("dedup", dedup), ("events", events)):
            for key, value in entries.items():
                await producer.send(f"{app_id}-{name}-changelog", orjson.dumps(value),
                                    key=orjson.dumps(key))
        await producer.flush()
    finally:
        await producer.stop()


def test_a_worker_moves_the_two_table_memory_into_one_entry_per_article(
        env: Env, worker: WorkerProcess) -> None:
    originals = [_article(0, "wire", "https://wire.example/0"),
                 _article(1, "wire", "https://wire.example/1")]
    dedup, events = _legacy_entries(env, originals)
    asyncio.run(_write_changelogs(env, dedup, events))

    copy = {**originals[0], "source": "mirror", "url": "https://mirror.example/0"}
    another_report = {  # the same match told in other words: a new article, the same event
        "source": "gazette", "url": "https://gazette.example/derby",
        "published_at": originals[1]["published_at"],
        "body": ("Liverpool and Everton drew 1-1 at Anfield on Sunday.\n\nThe visitors "
                 "defended deep for most of the afternoon and were rewarded late on when a "
                 "corner was flicked in at the near post.\n\nSupporters of both clubs "
                 "filled the streets around the ground long before kick-off, and the "
                 "stewards needed extra time to clear the concourses afterwards.")}
    worker.start()
    worker.wait_ready()
    arrivals = [copy, another_report]
    asyncio.run(produce(env, [orjson.dumps(a) for a in arrivals],
                        [_id(a).encode() for a in arrivals]))
    out = asyncio.run(collect(
        env, ["enriched", "duplicates", "match_results", "dlq"], timeout=60,
        until=lambda c: c.keys("duplicates") and _id(another_report) in c.keys("enriched")))

    assert not out.values("dlq"), out.values("dlq")
    # What the earlier worker had seen is still seen: the copy is its duplicate (a record
    # may come twice: messages read during the start-up seek are read again).
    verdicts = {(d["article_id"], d["duplicate_of"]) for d in out.values("duplicates")}
    assert verdicts == {(_id(copy), _id(originals[0]))}, worker.log_tail()
    assert set(out.keys("enriched")) == {_id(another_report)}
    # The match keeps its earlier report alongside the new one.
    told = [e for e in out.values("match_results") if _id(another_report) in e["article_ids"]]
    assert told and all(_id(originals[1]) in event["article_ids"] for event in told)
    # The entries moved: one per article in memory, none left in the old tables.
    app_id = env.settings.app_id
    memory = asyncio.run(_changelog_keys(f"{app_id}-memory-changelog"))
    assert {orjson.dumps(_id(originals[0])), orjson.dumps(_id(originals[1]))} <= memory
    for name in ("dedup", "events"):
        assert asyncio.run(_changelog_keys(f"{app_id}-{name}-changelog")) == set(), name
