"""Fault injection on the real broker: nothing lost, no duplicate let through.

Each test streams groups of articles (an original plus exact and near copies of it under
other sources and URLs) into real ``stream worker`` processes, injects a fault while the
stream runs, then reads ``articles.enriched`` / ``articles.duplicates`` / ``articles.dlq``
from the beginning and counts distinct keys against the input:

* lost = input articles with neither an enriched nor a duplicate record;
* duplicated = keys on both enriched and duplicates, plus every extra member of a group
  published on enriched (a copy published although another member of its group was).

Faults: SIGKILL of the worker three times (local state wiped on one restart, so the dedup
memory must come back from its changelog); the broker stopped and restarted mid-run (our
own broker on free ports, never the shared one); SIGSTOP of the worker running the
publish stage for longer than the session timeout while a second worker takes over, then
SIGCONT; two workers with one SIGKILLed (rebalance).

Each runs in 25-45 s here (2 CPUs): none is marked slow; ``make faults`` runs this file.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import re
import shutil
import signal
import subprocess
import time
import urllib.request
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from stream.core.ids import article_id
from stream.kafka import create_topics

from .conftest import BROKERS, REPO, Env, WorkerProcess, _free_port

pytestmark = pytest.mark.kafka

WORDS = ("match goal keeper striker defender coach board season derby title table points "
         "penalty header corner crowd stadium transfer injury squad training pressing "
         "tactics fixture league cup final semi draw win loss comeback midfield wing "
         "academy captain contract fans referee offside save chance volley cross tackle "
         "booking whistle dugout bench tunnel pitch turf terrace anthem scarf banner").split()


# ------------------------------------------------------------------------------- input


@dataclass(frozen=True)
class Article:
    id: str
    value: bytes


@dataclass
class Corpus:
    articles: list[Article]
    groups: list[set[str]]  # ids that tell the same story: exactly one may be published

    @property
    def ids(self) -> set[str]:
        return {a.id for a in self.articles}


def _doc(source: str, url: str, body: str) -> Article:
    return Article(article_id(source, url, body),
                   orjson.dumps({"source": source, "url": url, "body": body,
                                 "published_at": "2025-11-08T18:00:00+00:00"}))


def make_corpus(originals: int, copies: int, seed: int) -> Corpus:
    """``originals`` stories; ``copies`` of them get an exact copy and a near copy (one
    word changed) under other sources. Shuffled, so a copy may come before its original."""
    rng = random.Random(seed)
    articles: list[Article] = []
    groups: list[set[str]] = []
    for number in range(originals):
        paragraphs = [" ".join(rng.choice(WORDS) for _ in range(45)) + "." for _ in range(4)]
        body = f"Report {seed}-{number}.\n\n" + "\n\n".join(paragraphs)
        group = [_doc("wire", f"https://wire.example/{seed}/{number}", body)]
        if number < copies:
            group.append(_doc("mirror", f"https://mirror.example/{seed}/{number}", body))
            words = paragraphs[1].split()
            words[7] = "rescheduled" if words[7] != "rescheduled" else "postponed"
            near = body.replace(paragraphs[1], " ".join(words))
            group.append(_doc("echo", f"https://echo.example/{seed}/{number}", near))
        articles.extend(group)
        groups.append({a.id for a in group})
    rng.shuffle(articles)
    return Corpus(articles, groups)


# ------------------------------------------------------------------------- observation


class Watcher:
    """Reads enriched / duplicates / dlq from the beginning in the background."""

    def __init__(self, env: Env, brokers: str) -> None:
        self.topics = {env.topic(n): n for n in ("enriched", "duplicates", "dlq")}
        self.brokers = brokers
        self.keys: dict[str, set[str]] = {n: set() for n in self.topics.values()}
        self.records = 0
        self._task: asyncio.Task[None] | None = None
        self._consumer: AIOKafkaConsumer | None = None

    async def __aenter__(self) -> Watcher:
        self._consumer = AIOKafkaConsumer(
            *self.topics, bootstrap_servers=self.brokers, auto_offset_reset="earliest",
            enable_auto_commit=False, group_id=None, fetch_max_wait_ms=200)
        await self._consumer.start()
        self._task = asyncio.create_task(self._run())
        return self

    async def _run(self) -> None:
        assert self._consumer is not None
        while True:
            batch = await self._consumer.getmany(timeout_ms=200)
            for records in batch.values():
                for record in records:
                    self.records += 1
                    self.keys[self.topics[record.topic]].add(
                        record.key.decode() if record.key else "")

    async def __aexit__(self, *exc: object) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._consumer is not None:
            await self._consumer.stop()

    @property
    def settled(self) -> int:
        return len(self.keys["enriched"]) + len(self.keys["duplicates"])

    async def wait_for(self, predicate: Callable[[], bool], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return True
            await asyncio.sleep(0.2)
        return predicate()

    async def progress(self, more: int, timeout: float) -> bool:
        target = self.settled + more
        return await self.wait_for(lambda: self.settled >= target, timeout)

    async def complete(self, corpus: Corpus, timeout: float, settle: float = 4.0) -> bool:
        ids = corpus.ids
        done = await self.wait_for(
            lambda: ids <= self.keys["enriched"] | self.keys["duplicates"], timeout)
        await asyncio.sleep(settle)  # anything extra (a re-emitted copy) shows up now
        return done


@dataclass
class Tally:
    produced: int
    enriched: int
    duplicates: int
    dlq: int
    lost: set[str]
    both: set[str]
    extra_in_groups: list[set[str]] = field(default_factory=list)

    @property
    def duplicated(self) -> int:
        return len(self.both) + sum(len(g) - 1 for g in self.extra_in_groups)

    def line(self, what: str) -> str:
        return (f"{what}: produced={self.produced} enriched={self.enriched} "
                f"duplicates={self.duplicates} dlq={self.dlq} lost={len(self.lost)} "
                f"duplicated={self.duplicated} (on both topics {len(self.both)}, groups "
                f"published more than once {len(self.extra_in_groups)})")


def tally(corpus: Corpus, watcher: Watcher) -> Tally:
    enriched, duplicates = watcher.keys["enriched"], watcher.keys["duplicates"]
    ids = corpus.ids
    return Tally(
        produced=len(ids), enriched=len(enriched & ids), duplicates=len(duplicates & ids),
        dlq=len(watcher.keys["dlq"]), lost=ids - enriched - duplicates,
        both=enriched & duplicates & ids,
        extra_in_groups=[g & enriched for g in corpus.groups if len(g & enriched) > 1])


def check(result: Tally, what: str, logs: str) -> None:
    print(result.line(what))
    assert result.dlq == 0, f"{what}: unexpected dead letters"
    assert not result.lost, f"{what}: {len(result.lost)} lost, e.g. {sorted(result.lost)[:3]}\n{logs}"
    assert result.duplicated == 0, (
        f"{what}: {result.duplicated} duplicated: both={sorted(result.both)[:3]} "
        f"groups={[sorted(g) for g in result.extra_in_groups[:3]]}\n{logs}")


# ---------------------------------------------------------------------------- helpers


@dataclass
class BrokerEnv(Env):
    """An Env whose workers may talk to another broker (our own, for the restart test)."""

    brokers: str = BROKERS

    @property
    def vars(self) -> dict[str, str]:
        return {**super().vars, "STREAM_BROKERS": self.brokers}


def make_env(tmp_path: Path, tag: str, partitions: int = 3, brokers: str = BROKERS) -> Env:
    env = BrokerEnv(prefix=f"f{tag}{int(time.time() * 1000) % 10**9}", tmp=tmp_path,
                    partitions=partitions, brokers=brokers)
    asyncio.run(create_topics(env.settings))
    return env


def publish_count(worker: WorkerProcess) -> float:
    """Messages the worker's publish stage took in (0 if it does not run it or is down)."""
    try:
        url = f"http://127.0.0.1:{worker.env.web_port}/metrics"
        with urllib.request.urlopen(url, timeout=2) as response:
            text = response.read().decode()
    except OSError:
        return 0.0
    match = re.search(r'^stream_messages_in_total\{stage="publish"\} ([0-9.e+]+)$', text, re.M)
    return float(match.group(1)) if match else 0.0


async def produce_paced(brokers: str, topic: str, articles: list[Article], per_second: float,
                        ) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=brokers, acks="all", linger_ms=5,
                                request_timeout_ms=60000)
    await producer.start()
    try:
        for index, article in enumerate(articles):
            await producer.send(topic, article.value, key=article.id.encode())
            if index % 5 == 4:
                await asyncio.sleep(5 / per_second)
        await producer.flush()
    finally:
        await producer.stop()


def run(coro: Callable[[], Awaitable[None]], timeout: float) -> None:
    async def bounded() -> None:
        await asyncio.wait_for(coro(), timeout)
    asyncio.run(bounded())


def logs_of(*workers: WorkerProcess) -> str:
    return "\n".join(f"--- {w.log_path.name}\n{w.log_tail(25)}" for w in workers)


def wait_group_formed(started: list[WorkerProcess], timeout: float = 90.0) -> None:
    """Wait until every worker is ready together: all joined the group and recovered.

    ``wait_ready`` only sees the web server answer. Without this the fault could hit the
    first worker before the second one ever joined (on an idle machine it usually did:
    "publish counts [30.0, 0.0]"), and the test then checked a one-member group taking
    its partitions back rather than one worker taking over from another, which it names.
    """
    deadline = time.monotonic() + timeout
    together = 0
    while time.monotonic() < deadline:
        together = together + 1 if all(w.ready() for w in started) else 0
        if together >= 3:  # a rebalance still starting would make one of them not ready
            return
        time.sleep(0.5)
    raise AssertionError(f"the workers were never ready together in {timeout}s\n"
                         f"{logs_of(*started)}")


def start_group(first: WorkerProcess, second: WorkerProcess) -> None:
    """Start the two workers one after the other and wait until they form one group."""
    first.start()
    first.wait_ready()
    second.start()
    second.wait_ready()
    wait_group_formed([first, second])


def busiest(first: WorkerProcess, second: WorkerProcess
            ) -> tuple[WorkerProcess, WorkerProcess, dict[WorkerProcess, float]]:
    """The worker running the publish stage (the dedup memory), the other, and both counts."""
    counts = {w: publish_count(w) for w in (first, second)}
    busy = max(counts, key=lambda w: counts[w])
    return busy, (second if busy is first else first), counts


@contextlib.contextmanager
def workers(env: Env, tmp_path: Path, count: int) -> Iterator[list[WorkerProcess]]:
    # Two workers cannot share a RocksDB directory nor a web port: each gets its own.
    started = [WorkerProcess(env if count == 1 else replace(env, tmp=env.tmp / f"w{i}",
                                                              web_port=_free_port()),
                             tmp_path / f"worker-{i}.log") for i in range(count)]
    try:
        yield started
    finally:
        for worker in started:
            if worker.proc is not None and worker.proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    worker.proc.send_signal(signal.SIGCONT)
            worker.kill(signal.SIGKILL, timeout=10)


# ------------------------------------------------------------------------------- tests


@pytest.mark.timeout(360)
def test_worker_sigkilled_three_times_mid_stream(tmp_path: Path) -> None:
    env = make_env(tmp_path, "k")
    corpus = make_corpus(originals=300, copies=80, seed=11)
    with workers(env, tmp_path, 1) as (worker,):
        worker.start()
        worker.wait_ready()

        async def scenario() -> None:
            async with Watcher(env, BROKERS) as watcher:
                producing = asyncio.create_task(
                    produce_paced(BROKERS, env.topic("raw"), corpus.articles, per_second=15))
                for kill in range(1, 4):
                    assert await watcher.progress(15, timeout=90), (
                        f"no progress before kill {kill}\n{logs_of(worker)}")
                    worker.kill(signal.SIGKILL)
                    print(f"kill -9 #{kill} after {watcher.settled} settled, "
                          f"producing done: {producing.done()}")
                    if kill == 2:  # the dedup memory must come back from its changelog
                        shutil.rmtree(env.tmp / "state", ignore_errors=True)
                    worker.start()
                    await asyncio.to_thread(worker.wait_ready, 90)
                await producing
                await watcher.complete(corpus, timeout=150)
                check(tally(corpus, watcher), "3 x kill -9", logs_of(worker))

        run(scenario, 330)


@pytest.mark.timeout(420)
def test_broker_stopped_and_restarted_mid_stream(tmp_path: Path) -> None:
    broker = OwnBroker(tmp_path / "kafka")
    try:
        broker.start()
        env = make_env(tmp_path, "b", brokers=broker.address)
        corpus = make_corpus(originals=240, copies=60, seed=12)
        half = len(corpus.articles) // 2
        with workers(env, tmp_path, 1) as (worker,):
            worker.start()
            worker.wait_ready()

            async def first_half() -> None:
                async with Watcher(env, broker.address) as watcher:
                    producing = asyncio.create_task(produce_paced(
                        broker.address, env.topic("raw"), corpus.articles[:half], per_second=40))
                    assert await watcher.progress(20, timeout=90), logs_of(worker)
                    await producing

            run(first_half, 150)
            # The worker still has a backlog: stop the broker under it.
            broker.stop()
            print("broker stopped")
            time.sleep(8)
            alive_during_outage = worker.proc is not None and worker.proc.poll() is None
            broker.start()
            print(f"broker restarted; worker alive during the outage: {alive_during_outage}")

            async def second_half() -> None:
                async with Watcher(env, broker.address) as watcher:
                    await produce_paced(broker.address, env.topic("raw"),
                                        corpus.articles[half:], per_second=40)
                    complete = await watcher.complete(corpus, timeout=150)
                    survived = worker.proc is not None and worker.proc.poll() is None
                    print(f"worker survived the outage: {survived}; complete: {complete}")
                    if not survived:  # a supervisor would restart it: measure what is lost
                        worker.start()
                        await asyncio.to_thread(worker.wait_ready, 90)
                        await watcher.complete(corpus, timeout=120)
                    check(tally(corpus, watcher), "broker stop/start", logs_of(worker))
                    assert survived, f"the worker exited when the broker went away\n{logs_of(worker)}"

            run(second_half, 330)
    finally:
        broker.stop()


@pytest.mark.timeout(360)
@pytest.mark.faults
def test_worker_sigstopped_past_session_timeout_while_another_takes_over(
        tmp_path: Path) -> None:
    env = make_env(tmp_path, "s")
    corpus = make_corpus(originals=300, copies=80, seed=13)
    session_timeout = float(env.vars["STREAM_SESSION_TIMEOUT_SECONDS"])
    with workers(env, tmp_path, 2) as (first, second):
        start_group(first, second)

        async def scenario() -> None:
            async with Watcher(env, BROKERS) as watcher:
                producing = asyncio.create_task(
                    produce_paced(BROKERS, env.topic("raw"), corpus.articles, per_second=20))
                assert await watcher.progress(30, timeout=90), logs_of(first, second)
                # Freeze the worker that runs the publish stage (the dedup memory).
                frozen, other, counts = busiest(first, second)
                assert frozen.proc is not None
                frozen.proc.send_signal(signal.SIGSTOP)
                print(f"SIGSTOP {frozen.log_path.name} (publish counts {list(counts.values())}) "
                      f"for {2.5 * session_timeout:.0f}s")
                await asyncio.sleep(2.5 * session_timeout)
                took_over = publish_count(other) > counts[other]
                frozen.proc.send_signal(signal.SIGCONT)
                print(f"SIGCONT; the other worker took over the publish stage: {took_over}")
                await producing
                await watcher.complete(corpus, timeout=150, settle=8.0)
                check(tally(corpus, watcher), "SIGSTOP past session timeout",
                      logs_of(first, second))
                assert took_over, "the second worker did not take over the publish stage"
                assert frozen.proc.poll() is None and other.proc is not None \
                    and other.proc.poll() is None, logs_of(first, second)

        run(scenario, 330)


@pytest.mark.timeout(300)
@pytest.mark.faults
def test_two_workers_one_sigkilled_the_other_takes_over(tmp_path: Path) -> None:
    env = make_env(tmp_path, "r")
    corpus = make_corpus(originals=240, copies=60, seed=14)
    with workers(env, tmp_path, 2) as (first, second):
        start_group(first, second)

        async def scenario() -> None:
            async with Watcher(env, BROKERS) as watcher:
                producing = asyncio.create_task(
                    produce_paced(BROKERS, env.topic("raw"), corpus.articles, per_second=25))
                assert await watcher.progress(30, timeout=90), logs_of(first, second)
                victim, survivor, counts = busiest(first, second)
                victim.kill(signal.SIGKILL)
                print(f"kill -9 {victim.log_path.name} (publish counts {list(counts.values())}) "
                      f"after {watcher.settled} settled")
                await producing
                await watcher.complete(corpus, timeout=150)
                check(tally(corpus, watcher), "2 workers, one killed", logs_of(survivor))
                assert survivor.proc is not None and survivor.proc.poll() is None

        run(scenario, 270)


# ------------------------------------------------------------------------- own broker


class OwnBroker:
    """A private single-node broker on free ports (deploy/kafka/kafka.sh), own state dir."""

    def __init__(self, state: Path) -> None:
        self.port, self.controller = _free_port(), _free_port()
        self.env = {**os.environ, "KAFKA_PORT": str(self.port),
                    "KAFKA_CONTROLLER_PORT": str(self.controller),
                    "KAFKA_STATE_DIR": str(state), "KAFKA_HEAP_OPTS": "-Xms128m -Xmx512m",
                    "KAFKA_START_TIMEOUT": "90", "KAFKA_STOP_TIMEOUT": "20"}
        self.started = False

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _script(self, command: str, timeout: float) -> None:
        result = subprocess.run(["bash", str(REPO / "deploy" / "kafka" / "kafka.sh"), command],
                                env=self.env, capture_output=True, text=True, timeout=timeout)
        assert result.returncode == 0, f"kafka.sh {command}: {result.stdout}\n{result.stderr}"

    def start(self) -> None:
        self.started = True
        self._script("start", 150)

    def stop(self) -> None:
        if self.started:
            self._script("stop", 60)
