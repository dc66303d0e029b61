"""The whole pipeline on the real broker: raw in, enriched/duplicates/events/dead letters out."""

from __future__ import annotations

import asyncio
import base64
import urllib.request
from pathlib import Path

import orjson
import pytest

from stream.batch import process_payloads
from stream.inputs import iter_payloads
from stream.steps import Steps

from .conftest import Collected, Env, WorkerProcess, collect, produce

pytestmark = pytest.mark.kafka
SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "articles.jsonl"
OUTPUTS = ["enriched", "duplicates", "match_results", "quotes", "dlq"]


def _payloads() -> list[tuple[bytes | None, bytes]]:
    return [(p.key, p.value) for p in iter_payloads([str(SAMPLES)])]


def test_samples_flow_through_every_stage(env: Env, worker: WorkerProcess) -> None:
    worker.start()
    worker.wait_ready()
    payloads = _payloads()
    asyncio.run(produce(env, [v for _, v in payloads], [k for k, _ in payloads]))

    def done(c: Collected) -> bool:
        return len(c.records["enriched"]) >= 5 and len(c.records["dlq"]) >= 3 \
            and len(c.records["duplicates"]) >= 1

    out = asyncio.run(collect(env, OUTPUTS, until=done))
    assert len(set(out.keys("enriched"))) == 5, worker.log_tail()
    [duplicate] = out.values("duplicates")
    assert duplicate["kind"] == "exact" and duplicate["duplicate_of"] in out.keys("enriched")
    assert sorted(d["reason"] for d in out.values("dlq")) == [
        "invalid_json", "schema_violation", "schema_violation"]
    headers = out.records["enriched"][0]["headers"]
    assert headers["schema"] == "enriched_article" and headers["schema-version"] == "1"
    # Two sources report the same derby: one event naming both articles.
    arsenal = [e for e in out.values("match_results") if e["home"]["id"] == "club:arsenal"]
    assert arsenal, out.values("match_results")
    final = arsenal[-1]
    assert (final["home_goals"], final["away_goals"]) == (2, 1)
    assert len(final["article_ids"]) == 2
    assert len({e["event_id"] for e in arsenal}) == 1
    assert out.values("quotes"), "quotes with speakers are published"


def test_malformed_messages_are_dead_lettered_and_the_worker_goes_on(
        env: Env, worker: WorkerProcess) -> None:
    worker.start()
    worker.wait_ready()
    good = orjson.dumps({"source": "t", "body": "Celtic beat Rangers 3-0 at Celtic Park on "
                         "Sunday.\n\nThe home side dominated from the first whistle."})
    bad = [b"{not json", orjson.dumps({"source": "t", "title": "no body"}), b"\xff\xfe\x00bad"]
    asyncio.run(produce(env, [*bad, good]))
    out = asyncio.run(collect(env, ["enriched", "dlq"],
                              until=lambda c: len(c.records["dlq"]) >= 3
                              and len(c.records["enriched"]) >= 1))
    reasons = [d["reason"] for d in out.values("dlq")]
    assert reasons == ["invalid_json", "schema_violation", "invalid_utf8"], worker.log_tail()
    originals = [base64.b64decode(d["original_b64"]) for d in out.values("dlq")]
    assert originals == bad
    assert all(d["source_topic"] == env.topic("raw") for d in out.values("dlq"))
    assert len(out.values("enriched")) == 1
    metrics = _get(env, "/metrics")
    assert 'stream_dead_letters_total{reason="invalid_utf8"} 1.0' in metrics
    assert 'stream_messages_in_total{stage="analyse"} 4.0' in metrics
    assert '"ready": true' in _get(env, "/readyz").replace('":true', '": true')


def _get(env: Env, path: str) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{env.web_port}{path}", timeout=5) as reply:
        return reply.read().decode()


def test_batch_mode_prints_exactly_what_the_worker_publishes(
        env: Env, worker: WorkerProcess) -> None:
    payloads = _payloads()
    settings = env.settings
    steps = Steps.from_settings(settings)
    batch = [(steps.topic_of(r), r.key, r.value) for r in process_payloads(
        steps, iter_payloads([str(SAMPLES)]))]

    worker.start()
    worker.wait_ready()
    asyncio.run(produce(env, [v for _, v in payloads], [k for k, _ in payloads]))
    out = asyncio.run(collect(env, OUTPUTS, until=lambda c: sum(
        len(v) for v in c.records.values()) >= len(batch)))
    streamed = {name: [(env.topic(name), r["key"], r["value"]) for r in out.records[name]]
                for name in OUTPUTS}
    for name in OUTPUTS:
        expected = [b for b in batch if b[0] == env.topic(name)]
        got = streamed[name]
        if name == "dlq":  # only the broker knows where a message sat
            got = [(t, k, {**v, "partition": None, "offset": None, "source_topic": None})
                   for t, k, v in got]
        assert got == expected, name
