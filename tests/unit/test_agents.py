"""Agent tests: the real Faust agents driven through Faust's test context, without a broker.

Sends go to a recording outbox, tables are dicts, the analysis runs in process: what is
tested is the wiring (batch, call the step, forward hop batches, send with headers,
dead-letter on error, keep going).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import faust
import orjson
import pytest

from stream.app.agents import register_agents
from stream.app.tables import Tables
from stream.app.topics import Topics
from stream.codec import HopEntry, decode_hops, decode_prepared, encode_hops, registry_for
from stream.core.models import CleanArticle, Extraction, PreparedArticle
from stream.core.pipeline import restore
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


def wire(settings: Settings | None = None, outbox: RecordingOutbox | None = None,
         **overrides: Any) -> Wiring:
    settings = settings or Settings(store="memory", analyse_processes=0, **overrides)
    app = faust.App("agent-test", broker="kafka://127.0.0.1:1", store="memory://",
                    autodiscover=False)
    topics = Topics(raw=app.topic("raw"), analysed=app.topic("analysed"), by_name={})
    tables = Tables(memory={}, legacy=())  # type: ignore[arg-type]
    metrics = create_metrics()
    steps = Steps(settings, NoExtraction(), registry_for(settings.schemas_dir))
    outbox = outbox or RecordingOutbox()
    analyse, publish = register_agents(app, steps, topics, tables, metrics,
                                       AnalysePool(settings, steps, 0), outbox)
    return Wiring(analyse, publish, outbox, metrics, settings)


@pytest.fixture
def wiring() -> Wiring:
    return wire()


def article(source: str, url: str, body: str) -> bytes:
    return orjson.dumps({"source": source, "url": url, "body": body})


def entries(wiring: Wiring) -> list[HopEntry]:
    """The entries of the hop messages the analyse agent sent."""
    return [entry for hop in wiring.hops() for entry in decode_hops(hop["value"])]


def prepared(wiring: Wiring) -> list[PreparedArticle]:
    """The articles of the hop messages the analyse agent sent."""
    return [decode_prepared(entry.payload) for entry in entries(wiring)]  # type: ignore[arg-type]


def legacy_data(article: PreparedArticle) -> dict[str, Any]:
    """The article as the earlier hop format carried it (parsed analysed-article JSON)."""
    data: dict[str, Any] = orjson.loads(orjson.dumps(restore(article)))
    return data


async def test_a_bad_message_is_dead_lettered_and_the_next_one_processed(wiring: Wiring) -> None:
    async with wiring.analyse.test_context() as agent:
        await agent.put(b"{broken", key=b"k1")
        await agent.put(article("s", "u", "A story about a match.\n\nIt was good."), key=b"k2")
    [dead] = wiring.outbox.sent["articles.dlq"]
    assert orjson.loads(dead["value"])["reason"] == "invalid_json"
    assert dead["headers"]["schema"] == b"dead_letter"
    assert dead["key"] == b"k1"
    found = entries(wiring)
    assert [a.article_id[:4] for a in prepared(wiring)] == ["art_"]
    assert found[0].raw_timestamp is not None
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
    assert len(wiring.hops()) == 1
    assert [a.url for a in prepared(wiring)] == ["u0", "u1", "u2"]


class GatedOutbox(RecordingOutbox):
    """Holds every hop send until the gate opens, as a slow broker would."""

    def __init__(self, hop_topic: str) -> None:
        super().__init__()
        self.hop_topic, self.gate, self.waiting = hop_topic, asyncio.Event(), asyncio.Event()

    async def send(self, topic: str, key: bytes, value: bytes | None,
                   headers: list[tuple[str, bytes]]) -> None:
        if topic == self.hop_topic:
            self.waiting.set()
            await self.gate.wait()
        await super().send(topic, key, value, headers)


async def test_a_message_is_acknowledged_only_once_its_hop_is_sent() -> None:
    settings = Settings(store="memory", analyse_processes=0, batch_size=2, batch_seconds=0.01)
    wiring = wire(settings=settings, outbox=GatedOutbox(settings.topic_analysed))
    outbox = wiring.outbox
    assert isinstance(outbox, GatedOutbox)
    async with wiring.analyse.test_context() as agent:
        first = await agent.put(article("s", "u0", "A first story.\n\nOf a match."), wait=False)
        second = await agent.put(article("s", "u1", "A second one.\n\nOf a cup."), wait=False)
        for event in (first, second):  # one reference per reading stream, as the consumer
            event.message.incref()      # gives every message (a test put gives none)
        await asyncio.wait_for(outbox.waiting.wait(), 10)
        # The batch is analysed, take_events has moved on, and the hop is still unsent.
        await asyncio.sleep(0.1)
        assert not first.message.acked and not second.message.acked
        outbox.gate.set()
        for _ in range(100):
            if first.message.acked and second.message.acked:
                break
            await asyncio.sleep(0.01)
    assert first.message.acked and second.message.acked
    assert [a.url for a in prepared(wiring)] == ["u0", "u1"]


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
    [original] = prepared(wiring)
    legacy = orjson.dumps(legacy_data(original))
    async with wiring.publish.test_context() as agent:
        await agent.put(legacy, key=b"art_x", headers=[("raw-timestamp", b"1700000000.5")])
    [enriched] = wiring.outbox.sent["articles.enriched"]
    assert enriched["key"].decode() == original.article_id
    assert orjson.loads(enriched["value"])["text"] == restore(original).article.text


async def test_a_json_batch_hop_of_an_older_version_is_still_published(wiring: Wiring) -> None:
    async with wiring.analyse.test_context() as agent:
        await agent.put(article("s", "u1", "A first story about a match.\n\nIt was good."))
        await agent.put(article("s", "u2", "A second story about a cup tie.\n\nIt was bad."))
    articles = prepared(wiring)
    payload = orjson.dumps({"batch": [{"raw_ts": 1.5, "analysed": legacy_data(a)}
                                      for a in articles]})
    async with wiring.publish.test_context() as agent:
        await agent.put(payload, key=b"")
    keys = [r["key"].decode() for r in wiring.outbox.sent["articles.enriched"]]
    assert keys == [a.article_id for a in articles]


@pytest.mark.parametrize(("good", "bad"), [
    (b'"source":"s"', b'"source":5'),  # fails publishing (its records break the schema)
    (b'"published_at":null', b'"published_at":"2025-13-45"'),  # fails reading the entry
])
async def test_an_article_failing_in_publish_is_dead_lettered_alone(
        wiring: Wiring, good: bytes, bad: bytes) -> None:
    async with wiring.analyse.test_context() as agent:
        await agent.put(article("s", "u1", "A first story about a match.\n\nIt was good."))
        await agent.put(article("s", "u2", "A second story about a cup tie.\n\nIt was bad."))
    found = entries(wiring)
    first, second = (e.payload for e in found)
    assert isinstance(first, bytes) and isinstance(second, bytes)
    size = int.from_bytes(first[:4], "big")  # the entry's head, then its body
    head = first[4:4 + size].replace(good, bad)
    assert head != first[4:4 + size]
    broken = len(head).to_bytes(4, "big") + head + first[4 + size:]
    [payload] = encode_hops([(broken, None), (second, None)], 1 << 20)
    async with wiring.publish.test_context() as agent:
        await agent.put(payload, key=b"")
    [dead] = wiring.outbox.sent["articles.dlq"]
    assert orjson.loads(dead["value"])["reason"] == "internal_error"
    [enriched] = wiring.outbox.sent["articles.enriched"]
    assert enriched["key"].decode() == decode_prepared(second).article_id
