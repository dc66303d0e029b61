"""Integration fixtures: a real broker (started by scripts/test.sh), own topics per test,
and a real worker process (``stream worker``) configured through the environment."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from stream.kafka import create_topics
from stream.settings import Settings

BROKERS = os.environ.get("STREAM_BROKERS", "127.0.0.1:9092")
REPO = Path(__file__).resolve().parents[2]


def _broker_up() -> bool:
    host, port = BROKERS.split(",")[0].split(":")
    try:
        with socket.create_connection((host, int(port)), timeout=2):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session", autouse=True)
def _require_broker() -> None:
    if not _broker_up():
        pytest.fail(f"no Kafka broker at {BROKERS}: run `bash deploy/kafka/kafka.sh start` "
                    "(scripts/test.sh does it for you)")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Env:
    """One test's private namespace: topics, app id, state dir, web port."""

    prefix: str
    tmp: Path
    partitions: int = 1
    web_port: int = field(default_factory=_free_port)

    @property
    def vars(self) -> dict[str, str]:
        p = self.prefix
        return {
            "STREAM_BROKERS": BROKERS,
            "STREAM_APP_ID": f"{p}-app",
            "STREAM_TOPIC_RAW": f"{p}.raw",
            "STREAM_TOPIC_ANALYSED": f"{p}.analysed",
            "STREAM_TOPIC_ENRICHED": f"{p}.enriched",
            "STREAM_TOPIC_DUPLICATES": f"{p}.duplicates",
            "STREAM_TOPIC_MATCH_RESULTS": f"{p}.match_results",
            "STREAM_TOPIC_QUOTES": f"{p}.quotes",
            "STREAM_TOPIC_DLQ": f"{p}.dlq",
            "STREAM_PARTITIONS": str(self.partitions),
            "STREAM_DATA_DIR": str(self.tmp / "state"),
            "STREAM_WEB_PORT": str(self.web_port),
            "STREAM_LOG_LEVEL": "INFO",
            "STREAM_SESSION_TIMEOUT_SECONDS": "10",
        }

    @property
    def settings(self) -> Settings:
        kwargs: dict[str, Any] = {k.removeprefix("STREAM_").lower(): v for k, v in self.vars.items()}
        return Settings(**kwargs)

    def topic(self, logical: str) -> str:
        return f"{self.prefix}.{logical}"


@pytest.fixture
def env(tmp_path: Path) -> Env:
    environment = Env(prefix=f"t{uuid.uuid4().hex[:10]}", tmp=tmp_path)
    asyncio.run(create_topics(environment.settings))
    return environment


def run_cli(env: Env, *args: str) -> subprocess.CompletedProcess[str]:
    """The real command line, configured like the worker, through the environment."""
    proc = subprocess.run([sys.executable, "-m", "stream.cli", *args], cwd=REPO,
                          env={**os.environ, **env.vars}, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc


class WorkerProcess:
    def __init__(self, env: Env, log_path: Path) -> None:
        self.env = env
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "stream.cli", "worker"], cwd=REPO,
            env={**os.environ, **self.env.vars}, stdout=log, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Ready once the web server answers; partition assignment follows shortly."""
        import urllib.request

        deadline = time.monotonic() + timeout
        url = f"http://127.0.0.1:{self.env.web_port}/healthz"
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise AssertionError(f"worker exited early:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(url, timeout=1):
                    return
            except OSError:
                time.sleep(0.3)
        raise AssertionError(f"worker not ready in {timeout}s:\n{self.log_tail()}")

    def ready(self) -> bool:
        """/readyz: partitions assigned, tables recovered and no rebalance running."""
        import urllib.request

        url = f"http://127.0.0.1:{self.env.web_port}/readyz"
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return bool(orjson.loads(response.read()).get("ready"))
        except OSError:  # 503 while not ready, or not answering yet
            return False

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def kill(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)


@pytest.fixture
def worker(env: Env, tmp_path: Path) -> Iterator[WorkerProcess]:
    process = WorkerProcess(env, tmp_path / "worker.log")
    yield process
    process.kill()


async def produce(env: Env, values: list[bytes], keys: list[bytes | None] | None = None) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=BROKERS, max_request_size=26214400)
    await producer.start()
    try:
        for index, value in enumerate(values):
            key = keys[index] if keys else None
            await producer.send_and_wait(env.topic("raw"), value, key=key)
    finally:
        await producer.stop()


@dataclass
class Collected:
    records: dict[str, list[dict[str, Any]]]

    def values(self, logical: str) -> list[dict[str, Any]]:
        return [r["value"] for r in self.records.get(logical, [])]

    def keys(self, logical: str) -> list[str]:
        return [r["key"] for r in self.records.get(logical, [])]


async def collect(env: Env, logicals: list[str], *, until: Any, timeout: float = 90.0,
                  settle: float = 1.5) -> Collected:
    """Read the output topics from the beginning until ``until(collected)`` holds (then a
    short settle to catch anything extra) or the timeout passes."""
    topics = {env.topic(name): name for name in logicals}
    consumer = AIOKafkaConsumer(*topics, bootstrap_servers=BROKERS, auto_offset_reset="earliest",
                                enable_auto_commit=False, group_id=None,
                                max_partition_fetch_bytes=26214400, fetch_max_bytes=52428800)
    await consumer.start()
    collected = Collected({name: [] for name in logicals})
    deadline = time.monotonic() + timeout
    settle_until: float | None = None
    try:
        while time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=300)
            for records in batch.values():
                for record in records:
                    collected.records[topics[record.topic]].append({
                        "key": record.key.decode() if record.key else None,
                        "value": orjson.loads(record.value),
                        "headers": {k: v.decode() for k, v in record.headers},
                        "partition": record.partition, "offset": record.offset,
                    })
            if settle_until is None and until(collected):
                settle_until = time.monotonic() + settle
            if settle_until is not None and time.monotonic() >= settle_until:
                break
    finally:
        await consumer.stop()
    return collected
