"""Agent tests: the real Faust agents driven through Faust's test context, without a broker.

Output topics are replaced by recorders, tables by dicts: what is tested is the wiring
(decode, call the step, send with headers, dead-letter on error, keep going).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import faust
import orjson
import pytest

from stream.app.agents import register_agents
from stream.app.tables import Tables
from stream.app.topics import Topics
from stream.codec import registry_for
from stream.core.models import CleanArticle, Extraction
from stream.metrics import create_metrics
from stream.settings import Settings
from stream.steps import Steps


class NoExtraction:
    def extract(self, article: CleanArticle) -> Extraction:
        return Extraction((), (), ())


@dataclass
class Recorder:
    sent: list[dict[str, Any]] = field(default_factory=list)

    async def send(self, *, key: bytes, value: bytes, headers: Any) -> None:
        self.sent.append({"key": key, "value": value, "headers": dict(headers)})


@pytest.fixture
def wiring() -> tuple[Any, Any, dict[str, Recorder], Any]:
    settings = Settings(store="memory")
    app = faust.App("agent-test", broker="kafka://127.0.0.1:1", store="memory://", autodiscover=False)
    recorders = {name: Recorder() for name in (*settings.output_topics, settings.topic_analysed)}
    topics = Topics(raw=app.topic("raw"), analysed=app.topic("analysed"),
                    by_name=recorders)  # type: ignore[arg-type]
    tables = Tables(dedup={}, events={})  # type: ignore[arg-type]
    metrics = create_metrics()
    steps = Steps(settings, NoExtraction(), registry_for(settings.schemas_dir))
    analyse, publish = register_agents(app, steps, topics, tables, metrics)
    return analyse, publish, recorders, metrics


async def test_a_bad_message_is_dead_lettered_and_the_next_one_processed(wiring: Any) -> None:
    analyse, _, recorders, metrics = wiring
    good = orjson.dumps({"source": "s", "body": "A story about a match.\n\nIt was good."})
    async with analyse.test_context() as agent:
        await agent.put(b"{broken", key=b"k1")
        await agent.put(good, key=b"k2")
    [dead] = recorders["articles.dlq"].sent
    assert orjson.loads(dead["value"])["reason"] == "invalid_json"
    assert dead["headers"]["schema"] == b"dead_letter"
    [analysed] = recorders["articles.analysed"].sent
    assert analysed["key"].startswith(b"art_")
    assert metrics.dead_letters.labels("invalid_json")._value.get() == 1


async def test_publish_agent_sends_enriched_then_duplicate(wiring: Any) -> None:
    analyse, publish, recorders, _ = wiring
    body = "The same story, twice.\n\nWord for word."
    async with analyse.test_context() as agent:
        await agent.put(orjson.dumps({"source": "a", "url": "u1", "body": body}))
        await agent.put(orjson.dumps({"source": "b", "url": "u2", "body": body}))
    async with publish.test_context() as agent:
        for hop in recorders["articles.analysed"].sent:
            await agent.put(hop["value"], key=hop["key"])
    [enriched] = recorders["articles.enriched"].sent
    [duplicate] = recorders["articles.duplicates"].sent
    assert orjson.loads(duplicate["value"])["duplicate_of"] == enriched["key"].decode()
