"""Operations on a real worker: /metrics, health, a real Prometheus scraping it, the status
page rendered by headless Chromium, and the worker's own log lines.

One worker serves the whole module (its start is the slow part): it gets the sample
articles (five unique, one exact duplicate, three dead letters) plus one article that
names nobody, and every test reads what that traffic left behind. Prometheus and Chromium
come from Debian's packages (scripts/install_ops_tools.sh); a test needing one that is
absent skips and says so.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import orjson
import pytest
import yaml
from aiokafka import AIOKafkaConsumer
from lxml import html as lxml_html
from prometheus_client.parser import text_string_to_metric_families

from stream.inputs import iter_payloads
from stream.kafka import create_topics

from .conftest import BROKERS, Collected, Env, WorkerProcess, collect, produce

pytestmark = pytest.mark.kafka
REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "samples" / "articles.jsonl"
ARTIFACTS = REPO / "var" / "test-artifacts"
OUTPUTS = ["enriched", "duplicates", "match_results", "quotes", "dlq"]
#: An article naming no person, club, competition or venue: counts as extraction-empty.
NOBODY = {"source": "ops-test", "title": "A Quiet Afternoon In Town",
          "body": "Nothing much happened this afternoon.\n\n"
                  "The weather stayed mild and the streets were calm until evening."}
#: Text that is only in article bodies: it must never reach a page or a log line.
BODY_ONLY = ("Real Madrid were beaten 1-0 by Athletic Bilbao", "Support independent sports")

T = TypeVar("T")


@dataclass
class Running:
    env: Env
    worker: WorkerProcess
    out: Collected
    produced: int


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str, timeout: float = 5.0) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as reply:
            return reply.status, dict(reply.headers), reply.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def _wait_for(probe: Callable[[], T | None], timeout: float, what: str) -> T:
    """Poll ``probe`` until it returns something, for at most ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = probe()
        if result is not None:
            return result
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    tmp = tmp_path_factory.mktemp("ops")
    env = Env(prefix=f"t{uuid.uuid4().hex[:10]}", tmp=tmp)
    asyncio.run(create_topics(env.settings))
    worker = WorkerProcess(env, tmp / "worker.log")
    worker.start()
    try:
        worker.wait_ready()
        base = f"http://127.0.0.1:{env.web_port}"
        _wait_for(lambda: True if _get(base + "/readyz")[0] == 200 else None, 60, "/readyz")
        payloads = [(p.key, p.value) for p in iter_payloads([str(SAMPLES)])]
        payloads.append((None, orjson.dumps(NOBODY)))
        asyncio.run(produce(env, [v for _, v in payloads], [k for k, _ in payloads]))
        out = asyncio.run(collect(env, OUTPUTS, until=lambda c: len(c.records["enriched"]) >= 6
                                  and len(c.records["dlq"]) >= 3
                                  and len(c.records["duplicates"]) >= 1))
        assert len(out.records["enriched"]) == 6, worker.log_tail()
        yield Running(env, worker, out, len(payloads))
    finally:
        worker.kill()


def _metrics(running: Running) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    status, headers, body = _get(f"http://127.0.0.1:{running.env.web_port}/metrics")
    assert status == 200 and headers["Content-Type"].startswith("text/plain; version=")
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(body.decode())
            for s in family.samples}


def _sample(metrics: dict[Any, float], name: str, **labels: str) -> float | None:
    return metrics.get((name, tuple(sorted(labels.items()))))


# -- health --------------------------------------------------------------------------------

def test_liveness_readiness_and_no_table_browsing(running: Running) -> None:
    base = f"http://127.0.0.1:{running.env.web_port}"
    status, _, body = _get(base + "/healthz")
    assert (status, json.loads(body)) == (200, {"status": "ok"})
    status, _, body = _get(base + "/readyz")
    assert (status, json.loads(body)) == (200, {"ready": True})
    # Faust's table browser would hand out the dedup memory: it must not be served.
    for path in ("/table/", "/table/dedup/", "/graph/", "/router/"):
        assert _get(base + path)[0] == 404, path


# -- /metrics ------------------------------------------------------------------------------

def test_metrics_count_the_traffic(running: Running) -> None:
    m = _metrics(running)
    assert _sample(m, "stream_messages_in_total", stage="analyse") == running.produced
    assert _sample(m, "stream_messages_in_total", stage="publish") == 7
    assert _sample(m, "stream_messages_out_total", stage="publish", output="enriched") == 6
    assert _sample(m, "stream_dead_letters_total", reason="invalid_json") == 1
    assert _sample(m, "stream_dead_letters_total", reason="schema_violation") == 2
    assert _sample(m, "stream_duplicates_total", kind="exact") == 1
    assert _sample(m, "stream_events_total", type="match_results") == len(
        running.out.records["match_results"])
    assert _sample(m, "stream_events_total", type="quotes") == len(running.out.records["quotes"])
    assert _sample(m, "stream_extraction_empty_total") == 1
    assert _sample(m, "stream_worker_info", version="0.1.0") == 1
    assert _sample(m, "stream_stage_seconds_count", stage="analyse") == running.produced


def test_end_to_end_latency_is_observed_per_article(running: Running) -> None:
    m = _metrics(running)
    # Every article reaching a verdict (6 enriched + 1 duplicate), each a real duration.
    assert _sample(m, "stream_end_to_end_latency_seconds_count") == 7
    total = _sample(m, "stream_end_to_end_latency_seconds_sum")
    assert total is not None and 0 < total < 7 * 30


def test_lag_ready_and_table_sizes_are_refreshed_by_the_timer(running: Running) -> None:
    env = running.env

    def refreshed() -> dict[Any, float] | None:
        m = _metrics(running)
        lag = {labels: v for (name, labels), v in m.items() if name == "stream_consumer_lag"}
        keys = _sample(m, "stream_table_keys", table="memory")
        return m if lag and keys and _sample(m, "stream_worker_ready") == 1 else None

    m = _wait_for(refreshed, 20, "lag, readiness and table sizes")
    lag = {dict(labels)["topic"]: v for (name, labels), v in m.items()
           if name == "stream_consumer_lag"}
    # Exactly the consumed topics (no changelog), and everything consumed.
    assert lag == {env.topic("raw"): 0, env.topic("analysed"): 0}
    # The maintained count equals the live keys of the table's changelog (its truth).
    keys = asyncio.run(_changelog_keys(f"{env.settings.app_id}-memory-changelog"))
    assert keys and _sample(m, "stream_table_keys", table="memory") == len(keys)


async def _changelog_keys(topic: str) -> set[bytes]:
    """Keys alive at the end of a table's changelog (a None value deletes its key)."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=BROKERS, group_id=None,
                                auto_offset_reset="earliest", enable_auto_commit=False)
    await consumer.start()
    try:
        [partition] = consumer.assignment()
        end = (await consumer.end_offsets([partition]))[partition]
        alive: set[bytes] = set()
        while end and await consumer.position(partition) < end:
            for records in (await consumer.getmany(timeout_ms=1000)).values():
                for record in records:
                    assert record.key is not None
                    (alive.add if record.value is not None else alive.discard)(record.key)
        return alive
    finally:
        await consumer.stop()


# -- the status page in a real browser -----------------------------------------------------

def _chromium(*args: str, profile: Path) -> subprocess.CompletedProcess[bytes]:
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary is None:
        pytest.skip("chromium not installed: run `bash scripts/install_ops_tools.sh`")
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--disable-dev-shm-usage", f"--user-data-dir={profile}",
             "--virtual-time-budget=5000"]
    return subprocess.run([binary, *flags, *args], capture_output=True, timeout=90, check=False)


def _cells(tree: Any, container: str) -> list[str]:
    return [c.text_content().strip() for c in tree.xpath(f'//*[@id="{container}"]//td')]


def test_status_page_renders_in_chromium(running: Running, tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{running.env.web_port}/status"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    screenshot = ARTIFACTS / "status-page.png"
    screenshot.unlink(missing_ok=True)
    shot = _chromium(f"--screenshot={screenshot}", "--window-size=1280,900", url,
                     profile=tmp_path / "profile-shot")
    assert screenshot.exists() and screenshot.stat().st_size > 10_000, shot.stderr[-2000:]
    print(f"status page screenshot: {screenshot}")

    dumped = _chromium("--dump-dom", url, profile=tmp_path / "profile-dom")
    dom = dumped.stdout.decode()
    tree = lxml_html.fromstring(dom)
    for script in tree.xpath("//script"):  # judge what is rendered, not the embedded data
        script.getparent().remove(script)

    assert tree.xpath('//*[@id="ready"]')[0].text_content() == "ready"
    assert tree.xpath('//*[@id="k-dlq"]')[0].text_content() == "3"
    assert tree.xpath('//*[@id="k-in"]')[0].text_content() == str(running.produced)
    articles = _cells(tree, "articles")
    assert "Arsenal Edge Past Chelsea as Late Header Settles Tense London Derby" in articles
    assert NOBODY["title"] in articles
    assert set(running.out.keys("enriched")) <= set(articles)
    duplicates = _cells(tree, "duplicates")
    [duplicate] = running.out.values("duplicates")
    assert duplicate["duplicate_of"] in duplicates and "exact" in duplicates
    assert any("2–1" in cell for cell in _cells(tree, "matches"))
    assert any(cell.startswith("“") for cell in _cells(tree, "quotes"))
    reasons = _cells(tree, "dlq-reasons")
    assert reasons[reasons.index("schema_violation") + 1] == "2"
    assert reasons[reasons.index("invalid_json") + 1] == "1"
    bars = tree.xpath('//*[@id="chart"]//*[local-name()="rect"]')
    assert {bar.get("data-output") for bar in bars} >= {"enriched", "dlq"}
    text = tree.text_content()
    for body_text in BODY_ONLY:
        assert body_text not in text and body_text not in dom


def test_status_json_is_what_the_page_polls(running: Running) -> None:
    status, headers, body = _get(f"http://127.0.0.1:{running.env.web_port}/status.json")
    data = json.loads(body)
    assert status == 200 and headers["Content-Type"].startswith("application/json")
    assert data["ready"] is True and data["totals"]["dead_letters"]["invalid_json"] == 1
    assert len(data["recent"]["enriched"]) == 6 and data["lag_total"] == 0


# -- the worker's log ------------------------------------------------------------------------

#: Faust's terminal spinner shares the worker's stdout (the fixture merges it into the log).
_TERMINAL = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|[\x00-\x1f]")


def test_worker_logs_json_with_coordinates_and_no_body(running: Running) -> None:
    raw = running.worker.log_path.read_text(errors="replace")
    lines = [json.loads(text) for text in (_TERMINAL.sub("", line) for line in raw.splitlines())
             if text.strip()]
    dead = [line for line in lines if line.get("event") == "dead_letter"]
    assert len(dead) == 3
    assert all(d["topic"] == running.env.topic("raw") and isinstance(d["offset"], int)
               and "partition" in d and d["level"] == "warning" for d in dead)
    assert any(line.get("event") == "worker_starting" for line in lines)
    for body_text in BODY_ONLY:
        assert body_text not in raw


# -- a real Prometheus ---------------------------------------------------------------------

@pytest.fixture
def prometheus(running: Running, tmp_path: Path) -> Iterator[str]:
    binary = shutil.which("prometheus")
    if binary is None:
        pytest.skip("prometheus not installed: run `bash scripts/install_ops_tools.sh`")
    port = _free_port()
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(REPO / "deploy" / "prometheus" / "alerts.yml")],
        "scrape_configs": [{"job_name": "stream-worker", "metrics_path": "/metrics",
                            "static_configs": [{"targets": [f"127.0.0.1:{running.env.web_port}"]}]}],
    }
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    log = (tmp_path / "prometheus.log").open("wb")
    proc = subprocess.Popen(
        [binary, f"--config.file={tmp_path / 'prometheus.yml'}",
         f"--storage.tsdb.path={tmp_path / 'data'}", f"--web.listen-address=127.0.0.1:{port}",
         "--log.level=warn"], stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        def ready() -> bool | None:
            assert proc.poll() is None, (tmp_path / "prometheus.log").read_text()
            try:
                return True if _get(base + "/-/ready", timeout=1)[0] == 200 else None
            except OSError:
                return None

        _wait_for(ready, 30, "prometheus /-/ready")
        yield base
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        log.close()


def _query(base: str, promql: str) -> list[dict[str, Any]]:
    status, _, body = _get(f"{base}/api/v1/query?{urllib.parse.urlencode({'query': promql})}")
    reply = json.loads(body)
    assert status == 200 and reply["status"] == "success", reply
    result: list[dict[str, Any]] = reply["data"]["result"]
    return result


def test_prometheus_scrapes_the_worker_and_evaluates_the_rules(
        running: Running, prometheus: str) -> None:
    """Last in the module on purpose: it sends three more articles."""
    query = 'stream_messages_in_total{job="stream-worker", stage="analyse"}'
    [series] = _wait_for(lambda: _query(prometheus, query) or None, 30, query)
    assert float(series["value"][1]) == running.produced
    [up] = _query(prometheus, 'up{job="stream-worker"}')
    assert up["value"][1] == "1"
    # The shipped rules load and evaluate against real series without error.
    status, _, body = _get(prometheus + "/api/v1/rules")
    assert status == 200
    groups = json.loads(body)["data"]["groups"]
    rules = [rule for group in groups for rule in group["rules"]]
    assert len(rules) >= 16 and {r["health"] for r in rules} <= {"ok", "unknown"}

    def recorded() -> list[dict[str, Any]] | None:
        return _query(prometheus, "stream:latency_slo_errors:ratio_rate5m") or None

    # A rate needs traffic inside its window: three more articles, now that it scrapes.
    fresh = [orjson.dumps({"source": "ops-test", "title": f"Fresh {n} {uuid.uuid4().hex}",
                           "body": f"Story {n} {uuid.uuid4().hex}.\n\nIt is new."})
             for n in range(3)]
    asyncio.run(produce(running.env, fresh))
    running.produced += len(fresh)

    def fast_share() -> float | None:
        result = _query(prometheus, "stream:latency_slo_errors:ratio_rate5m")
        value = float(result[0]["value"][1]) if result else float("nan")
        return None if value != value else value  # NaN until the new articles are seen

    assert 0.0 <= _wait_for(fast_share, 30, "the latency recording rule") <= 1.0
    count = f'stream_end_to_end_latency_seconds_count{{job="stream-worker"}} == {7 + len(fresh)}'
    assert _wait_for(lambda: _query(prometheus, count) or None, 30, count)
