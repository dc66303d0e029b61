"""Metrics, health, status board and logging, without a broker.

What is checked is what an operator relies on: every record is counted under the right
labels, the table-size gauge follows writes without scanning, lag ignores changelogs and
forgets revoked partitions, the status board never holds bodies, and log lines never
carry a body or the SASL password.
"""

from __future__ import annotations

import io
import json
import re
import threading
import time
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import faust
import orjson
import pytest
from lxml import html as lxml_html

from stream.app.health import CountedTables, is_ready, partition_lag, update_lag, watch_tables
from stream.app.status import StatusBoard, page_headers, render_page
from stream.app.tables import Tables
from stream.core.models import OutRecord
from stream.logs import configure_logging, get_logger, log_published
from stream.metrics import (
    LATENCY_OBJECTIVE_SECONDS,
    CountingMap,
    Metrics,
    create_metrics,
    record_published,
)
from stream.settings import Settings


def value(metrics: Metrics, name: str, **labels: str) -> float | None:
    return metrics.registry.get_sample_value(name, labels)


def enriched(article_id: str = "art_1", entities: int = 1, **extra: Any) -> OutRecord:
    return OutRecord("enriched", article_id, {
        "article_id": article_id, "source": "s", "title": "A title", "text": "BODY TEXT " * 50,
        "entities": [{"type": "club", "name": "X", "id": "club:x", "mentions": [[0, 1]]}] * entities,
        "match_event_ids": [], "quote_event_ids": [], **extra})


def dead_letter(reason: str = "invalid_json") -> OutRecord:
    return OutRecord("dlq", "k", {"reason": reason, "detail": "SECRET DETAIL",
                                  "source_topic": "raw", "partition": 1, "offset": 7,
                                  "original_b64": "Qk9EWQ==", "original_size": 4})


# -- counters ------------------------------------------------------------------------------

def test_known_label_sets_exist_at_zero_before_any_traffic() -> None:
    metrics = create_metrics()
    assert value(metrics, "stream_messages_in_total", stage="analyse") == 0
    assert value(metrics, "stream_dead_letters_total", reason="timeout") == 0
    assert value(metrics, "stream_duplicates_total", kind="near") == 0
    assert value(metrics, "stream_events_total", type="quotes") == 0
    assert value(metrics, "stream_extraction_empty_total") == 0
    assert value(metrics, "stream_worker_info", version="0.1.0") == 1


def test_each_output_is_counted_under_its_own_metric() -> None:
    metrics = create_metrics()
    record_published(metrics, "analyse", dead_letter("schema_violation"))
    record_published(metrics, "publish", OutRecord("duplicates", "a2", {"kind": "near"}))
    record_published(metrics, "publish", OutRecord("match_results", "m1", {"event_id": "m1"}))
    record_published(metrics, "publish", OutRecord("quotes", "q1", {"event_id": "q1"}))
    record_published(metrics, "publish", enriched())
    assert value(metrics, "stream_dead_letters_total", reason="schema_violation") == 1
    assert value(metrics, "stream_messages_out_total", stage="analyse", output="dlq") == 1
    assert value(metrics, "stream_duplicates_total", kind="near") == 1
    assert value(metrics, "stream_events_total", type="match_results") == 1
    assert value(metrics, "stream_events_total", type="quotes") == 1
    assert value(metrics, "stream_messages_out_total", stage="publish", output="enriched") == 1


def test_extraction_empty_counts_unique_articles_without_entities_only() -> None:
    metrics = create_metrics()
    record_published(metrics, "publish", enriched("a1", entities=2))
    record_published(metrics, "publish", enriched("a2", entities=0))
    record_published(metrics, "publish", OutRecord("duplicates", "a3", {"kind": "exact",
                                                                        "entities": []}))
    assert value(metrics, "stream_extraction_empty_total") == 1


def test_a_tombstone_is_a_published_record_but_no_event() -> None:
    metrics = create_metrics()
    record_published(metrics, "publish", OutRecord("match_results", "m_old", None))
    assert value(metrics, "stream_messages_out_total", stage="publish",
                 output="match_results") == 1
    assert value(metrics, "stream_events_total", type="match_results") == 0


def test_latency_objective_is_a_bucket_bound() -> None:
    bounds = [s.labels["le"] for s in create_metrics().end_to_end_seconds.collect()[0].samples
              if s.name.endswith("_bucket")]
    assert str(LATENCY_OBJECTIVE_SECONDS) in bounds


# -- table sizes -----------------------------------------------------------------------------

class ScanCounting(dict[str, Any]):
    """A dict that counts full scans (len), as a RocksDB-backed table would pay for them."""

    scans = 0

    def __len__(self) -> int:
        type(self).scans += 1
        return super().__len__()


def test_counting_map_scans_once_then_follows_writes() -> None:
    metrics = create_metrics()
    inner = ScanCounting(old1="x", old2="y")
    ScanCounting.scans = 0
    table = CountingMap(inner, metrics.table_keys, "dedup")
    table["new"] = "1"           # baseline (2) taken before the write, then +1
    table["new"] = "2"           # overwrite: no change
    table.setdefault("other", "3")
    table.setdefault("other", "4")
    table.pop("old1")
    table.pop("missing", None)
    del table["new"]
    assert ScanCounting.scans == 1
    assert value(metrics, "stream_table_keys", table="dedup") == 2 == dict.__len__(inner)
    assert table.get("other") == "3" and "old2" in table and "old1" not in table


class LookupCounting(dict[str, str]):
    lookups = 0

    def __contains__(self, key: object) -> bool:
        type(self).lookups += 1
        return super().__contains__(key)


def test_a_write_after_a_read_of_the_same_key_needs_no_second_lookup() -> None:
    metrics = create_metrics()
    inner = LookupCounting(seen="x")
    table = CountingMap(inner, metrics.table_keys, "events")
    table.refresh()
    LookupCounting.lookups = 0
    for key in ("seen", "fresh"):  # the events merge: read, then write the same key
        table.get(key)
        table[key] = "v"
        table[key] = "w"
    assert LookupCounting.lookups == 0
    assert value(metrics, "stream_table_keys", table="events") == 2 == dict.__len__(inner)
    table.invalidate()  # the partition moved: what was learnt no longer holds
    table["other"] = "v"
    assert LookupCounting.lookups == 1


def test_counting_map_reads_from_the_table_store() -> None:
    """A Faust table's own ``get`` asks its store (``data``) twice; reads go to the store."""
    metrics = create_metrics()
    store = {"k": "stored"}
    inner = LookupCounting(store)
    inner.data = store  # type: ignore[attr-defined]
    table = CountingMap(inner, metrics.table_keys, "events")
    LookupCounting.lookups = 0
    assert table.get("k") == "stored" and table.get("none", "d") == "d"
    table["k"] = "v"  # a write still goes through the table (its changelog)
    assert LookupCounting.lookups == 0 and inner["k"] == "v"


def test_counting_map_recounts_after_invalidate() -> None:
    metrics = create_metrics()
    inner: dict[str, str] = {}
    table = CountingMap(inner, metrics.table_keys, "events")
    table["a"] = "1"
    inner["b"] = "written by another worker while the partition was away"
    table.invalidate()
    assert table.refresh() == 2
    assert value(metrics, "stream_table_keys", table="events") == 2


async def test_watch_tables_recounts_after_a_revocation() -> None:
    app = faust.App("watch-test", broker="kafka://127.0.0.1:1", store="memory://",
                    autodiscover=False)
    metrics = create_metrics()
    memory: dict[str, str] = {}
    counted = watch_tables(app, Tables(memory=memory, legacy=()), metrics)  # type: ignore[arg-type]
    assert isinstance(counted, CountedTables)
    counted.memory["k"] = "v"
    memory["moved-in"] = "while another worker held the partition"
    await app.on_partitions_revoked.send(set())
    assert counted.memory.refresh() == 2


# -- lag and readiness -----------------------------------------------------------------------

@dataclass(frozen=True)
class TP:
    topic: str
    partition: int


@dataclass
class FakeConsumer:
    assigned: set[TP]
    highwaters: dict[TP, int | None]
    _read_offset: dict[TP, int | None] = field(default_factory=dict)

    def assignment(self) -> set[TP]:
        return self.assigned

    def highwater(self, tp: TP) -> int | None:
        return self.highwaters[tp]


@dataclass
class FakeTables:
    changelog_topics: set[str]
    _recovery: Any = None


@dataclass
class FakeApp:
    consumer: FakeConsumer
    tables: FakeTables
    rebalancing: bool = False


def test_partition_lag_reads_position_against_highwater() -> None:
    raw0, raw1, fresh = TP("raw", 0), TP("raw", 1), TP("raw", 2)
    consumer = FakeConsumer({raw0, raw1, fresh}, {raw0: 10, raw1: 5, fresh: None},
                            {raw0: 6, raw1: None})
    assert partition_lag(consumer, consumer.assigned) == {("raw", 0): 3, ("raw", 1): 5}


def test_update_lag_skips_changelogs_and_drops_revoked_partitions() -> None:
    metrics = create_metrics()
    raw, changelog = TP("raw", 0), TP("app-dedup-changelog", 0)
    consumer = FakeConsumer({raw, changelog}, {raw: 4, changelog: 100}, {raw: 3})
    app = FakeApp(consumer, FakeTables({"app-dedup-changelog"}))
    update_lag(app, metrics)  # type: ignore[arg-type]
    assert value(metrics, "stream_consumer_lag", topic="raw", partition="0") == 0
    assert value(metrics, "stream_consumer_lag", topic="app-dedup-changelog", partition="0") is None
    consumer.assigned = set()
    update_lag(app, metrics)  # type: ignore[arg-type]
    assert value(metrics, "stream_consumer_lag", topic="raw", partition="0") is None


def test_ready_needs_assignment_recovery_and_no_rebalance() -> None:
    completed = threading.Event()
    raw = TP("raw", 0)
    app = FakeApp(FakeConsumer({raw}, {raw: 0}), FakeTables(set()))
    assert not is_ready(app)  # type: ignore[arg-type]  # recovery not started
    app.tables._recovery = SimpleNamespace(completed=completed)
    assert not is_ready(app)  # type: ignore[arg-type]  # recovery running
    completed.set()
    assert is_ready(app)  # type: ignore[arg-type]
    app.rebalancing = True
    assert not is_ready(app)  # type: ignore[arg-type]
    app.rebalancing, app.consumer.assigned = False, set()
    assert not is_ready(app)  # type: ignore[arg-type]


# -- status board ----------------------------------------------------------------------------

class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_board_keeps_summaries_never_bodies_or_dead_letter_bytes() -> None:
    board = StatusBoard()
    board.observe(enriched("art_1"))
    board.observe(dead_letter())
    snapshot = json.dumps(board.snapshot(create_metrics(), ready=True))
    assert "A title" in snapshot and "art_1" in snapshot
    for secret in ("BODY TEXT", "SECRET DETAIL", "Qk9EWQ=="):
        assert secret not in snapshot


def test_board_shows_each_event_once_in_its_latest_state_and_drops_tombstones() -> None:
    board = StatusBoard()
    match = {"event_id": "m1", "home": {"name": "Arsenal FC", "id": "club:arsenal"},
             "away": {"name": "Chelsea FC", "id": "club:chelsea"}, "home_goals": 2,
             "away_goals": 1, "date": "2025-11-08", "competition": None,
             "venue": {"name": "Emirates Stadium", "id": "venue:emirates"}, "article_ids": ["a"]}
    board.observe(OutRecord("match_results", "m1", match))
    board.observe(OutRecord("match_results", "m1", {**match, "article_ids": ["a", "b"]}))
    [shown] = board.recent["match_results"]
    assert shown["score_line"] == "Arsenal FC 2–1 Chelsea FC" and shown["articles"] == 2
    board.observe(OutRecord("match_results", "m1", None))
    assert not board.recent["match_results"]


def test_board_series_counts_per_interval_and_forgets_old_ones() -> None:
    clock = Clock()
    board = StatusBoard(clock=clock)
    board.observe(enriched())
    board.observe(dead_letter())
    clock.now += 10
    board.observe(enriched("art_2"))
    series = board.series()
    assert sum(series["counts"]["enriched"]) == 2 and series["counts"]["enriched"][-1] == 1
    assert sum(series["counts"]["dlq"]) == 1 and len(series["counts"]["dlq"]) == 60
    clock.now += 3600
    assert sum(board.series()["counts"]["enriched"]) == 0


def test_board_totals_come_from_the_metrics() -> None:
    metrics = create_metrics()
    board = StatusBoard()
    for record in (dead_letter("invalid_utf8"), dead_letter("invalid_utf8"), enriched()):
        record_published(metrics, "publish", record)
        board.observe(record)
    snapshot = board.snapshot(metrics, ready=False)
    assert snapshot["totals"]["dead_letters"]["invalid_utf8"] == 2
    assert snapshot["recent"]["enriched"][0]["article_id"] == "art_1"
    assert snapshot["ready"] is False


def test_page_embeds_data_that_cannot_close_its_script_and_allows_only_its_own_code() -> None:
    board = StatusBoard()
    board.observe(enriched(title="</script><script>alert(1)</script>"))
    page = render_page(board.snapshot(create_metrics(), ready=True))
    assert "</script><script>alert" not in page
    tree = lxml_html.fromstring(page)
    [initial] = tree.xpath('//script[@id="initial"]')
    data = orjson.loads(initial.text)
    assert data["recent"]["enriched"][0]["title"].startswith("</script>")
    policy = page_headers()["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "unsafe-inline" not in policy
    assert len(re.findall(r"'sha256-[A-Za-z0-9+/=]+'", policy)) == 2


# -- logs ------------------------------------------------------------------------------------

@pytest.fixture
def log_buffer() -> io.StringIO:
    buffer = io.StringIO()
    configure_logging("DEBUG", "json", stream=buffer)
    return buffer


def test_settings_never_show_the_sasl_password(log_buffer: io.StringIO) -> None:
    password = "pw-" + str(time.time_ns())
    settings = Settings(security_protocol="SASL_SSL", sasl_username="svc",
                        sasl_password=password)  # type: ignore[arg-type]
    assert settings.sasl_password is not None
    assert settings.sasl_password.get_secret_value() == password
    for shown in (repr(settings), str(settings), settings.model_dump_json()):
        assert password not in shown
    log = get_logger("stream.worker")
    # The worker's startup line, and the whole settings object for good measure.
    log.info("worker_starting", app_id=settings.app_id, brokers=settings.brokers,
             input=settings.topic_raw, web=f"http://{settings.web_host}:{settings.web_port}")
    log.info("settings", settings=settings, sasl_password=password)
    output = log_buffer.getvalue()
    assert "worker_starting" in output and password not in output


def test_log_lines_are_json_with_coordinates_and_no_body(log_buffer: io.StringIO) -> None:
    log = get_logger("stream.agents")
    log_published(log, "analyse", dead_letter("too_large"))
    log_published(log, "publish", enriched("art_9"))
    log.info("oops", body="BODY TEXT", detail="x" * 5000)
    lines = [json.loads(line) for line in log_buffer.getvalue().splitlines()]
    dead, published, oops = lines
    assert dead["event"] == "dead_letter" and dead["level"] == "warning"
    assert (dead["reason"], dead["topic"], dead["partition"], dead["offset"]) == (
        "too_large", "raw", 1, 7)
    assert published["article_id"] == "art_9" and published["level"] == "debug"
    assert oops["body"] == "[redacted]" and len(oops["detail"]) < 600
    assert "BODY TEXT" not in log_buffer.getvalue()


def test_log_level_is_honoured() -> None:
    buffer = io.StringIO()
    configure_logging("WARNING", "json", stream=buffer)
    get_logger("stream.agents").info("hidden")
    get_logger("stream.agents").warning("shown")
    assert "hidden" not in buffer.getvalue() and "shown" in buffer.getvalue()


# -- through the real agents (Faust test context, no broker) -------------------------------

@dataclass
class Recorder:
    sent: list[dict[str, Any]] = field(default_factory=list)

    async def send(self, topic: str, key: bytes, value: bytes | None,
                   headers: list[tuple[str, bytes]]) -> None:
        self.sent.append({"topic": topic, "key": key, "value": value, "headers": list(headers)})


async def test_agents_observe_latency_table_keys_and_empty_extraction() -> None:
    from stream.app.agents import register_agents
    from stream.app.topics import Topics
    from stream.codec import registry_for
    from stream.core.models import CleanArticle, Extraction
    from stream.pool import AnalysePool
    from stream.steps import Steps

    class NoExtraction:
        def extract(self, article: CleanArticle) -> Extraction:
            return Extraction((), (), ())

    settings = Settings(store="memory", analyse_processes=0)
    app = faust.App("metrics-agent-test", broker="kafka://127.0.0.1:1", store="memory://",
                    autodiscover=False)
    outbox = Recorder()
    topics = Topics(raw=app.topic("raw"), analysed=app.topic("analysed"), by_name={})
    memory: dict[str, Any] = {}
    metrics, board = create_metrics(), StatusBoard()
    steps = Steps(settings, NoExtraction(), registry_for(settings.schemas_dir))
    analyse, publish = register_agents(app, steps, topics,
                                       Tables(memory=memory, legacy=()),  # type: ignore[arg-type]
                                       metrics, AnalysePool(settings, steps, 0), outbox, board)
    async with analyse.test_context() as agent:
        await agent.put(orjson.dumps({"source": "s", "title": "Nothing known",
                                      "body": "A quiet story.\n\nNobody we know."}))
    [hop] = [sent for sent in outbox.sent if sent["topic"] == settings.topic_analysed]
    async with publish.test_context() as agent:
        await agent.put(hop["value"], key=hop["key"])
    assert value(metrics, "stream_end_to_end_latency_seconds_count") == 1
    assert value(metrics, "stream_extraction_empty_total") == 1
    assert value(metrics, "stream_table_keys", table="memory") == len(memory) > 0
    assert board.recent["enriched"][0]["title"] == "Nothing known"
