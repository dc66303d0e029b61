"""Agent tests: the real Faust agents driven through Faust's test context, without a broker.

Sends go to a recording outbox, tables are dicts, the analysis runs in process: what is
tested is the wiring (batch, call the step, forward hop batches, send with headers,
dead-letter on error, keep going).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import faust
import orjson
import pytest

from stream.app.agents import register_agents
from stream.app.tables import Tables
from stream.app.topics import Topics
from stream.codec import decode_hops, registry_for
from stream.core.models import CleanArticle, Extraction
from stream.metrics import Metrics, create_metrics
from stream.pool import AnalysePool
from stream.settings import Settings
from stream.steps import Steps


class NoExtraction:
    def extract(self, article: CleanArticle) -> Extraction:
        return Extraction((), (), ())


@dataclass
class RecordingOutbox:
    sent: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))

    async def send(self, topic: str, key: bytes, value: bytes | None,
                   headers: list[tuple[str, bytes]]) -> None:
        self.sent[topic].append({"key": key, "value": value, "headers": dict(headers)})


@dataclass
class Wiring:
    analyse: Any
    publish: Any
    outbox: RecordingOutbox
    metrics: Metrics
    settings: Settings

    def hops(self) -> list[dict[str, Any]]:
        return self.outbox.sent[self.settings.topic_analysed]


def wire(**overrides: Any) -> Wiring:
    settings = Settings(store="memory", analyse_processes=0, **overrides)
    app = faust.App("agent-test", broker="kafka://127.0.0.1:1", store="memory://",
                    autodiscover=False)
    topics = Topics(raw=app.topic("raw"), analysed=app.topic("analysed"), by_name={})
    tables = Tables(dedup={}, events={})  # type: ignore[arg-type]
    metrics = create_metrics()
    steps = Steps(settings, NoExtraction(), registry_for(settings.schemas_dir))
    outbox = RecordingOutbox()
    analyse, publish = register_agents(app, steps, topics, tables, metrics,
                                       AnalysePool(settings, steps, 0), outbox)
    return Wiring(analyse, publish, outbox, metrics, settings)


@pytest.fixture
def wiring() -> Wiring:
    return wire()


def article(source: str, url: str, body: str) -> bytes:
    return orjson.dumps({"source": source, "url": url, "body": body})


async def test_a_bad_message_is_dead_lettered_and_the_next_one_processed(wiring: Wiring) -> None:
    async with wiring.analyse.test_context() as agent:
        await agent.put(b"{broken", key=b"k1")
        await agent.put(article("s", "u", "A story about a match.\n\nIt was good."), key=b"k2")
    [dead] = wiring.outbox.sent["articles.dlq"]
    assert orjson.loads(dead["value"])["reason"] == "invalid_json"
    assert dead["headers"]["schema"] == b"dead_letter"
    assert dead["key"] == b"k1"
    entries = [entry for hop in wiring.hops() for entry in decode_hops(hop["value"])]
    assert [e.data["article"]["article_id"][:4] for e in entries] == ["art_"]
    assert entries[0].raw_timestamp is not None
    assert wiring.metrics.dead_letters.labels("invalid_json")._value.get() == 1


async def test_publish_agent_sends_enriched_then_duplicate(wiring: Wiring) -> None:
    body = "The same story, twice.\n\nWord for word."
    async with wiring.analyse.test_context() as agent:
        await agent.put(article("a", "u1", body))
        await agent.put(article("b", "u2", body))
    async with wiring.publish.test_context() as agent:
        for hop in wiring.hops():
            await agent.put(hop["value"], key=hop["key"])
    [enriched] = wiring.outbox.sent["articles.enriched"]
    [duplicate] = wiring.outbox.sent["articles.duplicates"]
    assert orjson.loads(duplicate["value"])["duplicate_of"] == enriched["key"].decode()


async def test_a_batch_travels_as_one_hop_message_in_input_order() -> None:
    wiring = wire(batch_size=3, batch_seconds=5.0)
    bodies = [f"Story number {n} about a club.\n\nA second paragraph {n}." for n in range(3)]
    async with wiring.analyse.test_context() as agent:
        for n, body in enumerate(bodies):
            await agent.put(article("s", f"u{n}", body))
    [hop] = wiring.hops()
    entries = decode_hops(hop["value"])
    assert [e.data["article"]["url"] for e in entries] == ["u0", "u1", "u2"]


async def test_an_unreadable_hop_is_dead_lettered_and_the_next_published(wiring: Wiring) -> None:
    async with wiring.analyse.test_context() as agent:
        await agent.put(article("s", "u", "A story about a match.\n\nIt was good."))
    async with wiring.publish.test_context() as agent:
        await agent.put(b"not json", key=b"")
        for hop in wiring.hops():
            await agent.put(hop["value"], key=hop["key"])
    [dead] = wiring.outbox.sent["articles.dlq"]
    assert orjson.loads(dead["value"])["reason"] == "internal_error"
    assert len(wiring.outbox.sent["articles.enriched"]) == 1


async def test_a_hop_written_before_batching_is_still_published(wiring: Wiring) -> None:
    """One bare analysed article per message, the raw timestamp in a header."""
    async with wiring.analyse.test_context() as agent:
        await agent.put(article("s", "u", "A story about a match.\n\nIt was good."))
    [entry] = decode_hops(wiring.hops()[0]["value"])
    legacy = orjson.dumps(entry.data)
    async with wiring.publish.test_context() as agent:
        await agent.put(legacy, key=b"art_x", headers=[("raw-timestamp", b"1700000000.5")])
    [enriched] = wiring.outbox.sent["articles.enriched"]
    assert enriched["key"].decode() == entry.data["article"]["article_id"]


async def test_an_article_failing_in_publish_is_dead_lettered_alone(wiring: Wiring) -> None:
    async with wiring.analyse.test_context() as agent:
        await agent.put(article("s", "u1", "A first story about a match.\n\nIt was good."))
        await agent.put(article("s", "u2", "A second story about a cup tie.\n\nIt was bad."))
    entries = [e for hop in wiring.hops() for e in decode_hops(hop["value"])]
    broken = dict(entries[0].data, extraction={"entities": "not a list"})
    payload = orjson.dumps({"batch": [{"raw_ts": None, "analysed": broken},
                                      {"raw_ts": None, "analysed": entries[1].data}]})
    async with wiring.publish.test_context() as agent:
        await agent.put(payload, key=b"")
    [dead] = wiring.outbox.sent["articles.dlq"]
    assert orjson.loads(dead["value"])["reason"] == "internal_error"
    assert dead["key"].decode() == broken["article"]["article_id"]
    [enriched] = wiring.outbox.sent["articles.enriched"]
    assert enriched["key"].decode() == entries[1].data["article"]["article_id"]
