"""kill -9 in the middle of a stream: nothing lost, no duplicate let through.

The worker is killed while articles are still arriving, its local table state is wiped so
that the dedup memory must be rebuilt from the changelog topic, and a new worker takes
over. Counting distinct keys against the input shows what a downstream consumer sees.
"""

from __future__ import annotations

import asyncio
import random
import shutil
import signal
import time
from pathlib import Path

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from stream.core.ids import article_id

from .conftest import BROKERS, Env, WorkerProcess, collect

pytestmark = pytest.mark.kafka

WORDS = ("match goal keeper striker defender coach board season derby title table points "
         "penalty header corner crowd stadium transfer injury squad training pressing "
         "tactics fixture league cup final semi draw win loss comeback midfield wing "
         "academy captain contract fans referee offside save chance").split()


def _story(rng: random.Random, number: int) -> str:
    paragraphs = [" ".join(rng.choice(WORDS) for _ in range(40)) + "." for _ in range(4)]
    return f"Report number {number}.\n\n" + "\n\n".join(paragraphs)


def _articles(count: int, copies: int) -> tuple[list[dict[str, str]], list[tuple[str, str]]]:
    rng = random.Random(7)
    originals = [{"source": "wire", "url": f"https://wire.example/{i}", "body": _story(rng, i)}
                 for i in range(count)]
    pairs = []
    articles = list(originals)
    for i in range(copies):
        copy = {"source": "mirror", "url": f"https://mirror.example/{i}",
                "body": originals[i]["body"]}
        articles.append(copy)
        pairs.append((_id(originals[i]), _id(copy)))
    rng.shuffle(articles)
    return articles, pairs


def _id(article: dict[str, str]) -> str:
    return article_id(article["source"], article["url"], article["body"])


async def _produce_paced(env: Env, articles: list[dict[str, str]], per_second: int) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=BROKERS)
    await producer.start()
    try:
        for index, article in enumerate(articles):
            await producer.send(env.topic("raw"), orjson.dumps(article),
                                key=_id(article).encode())
            if index % 10 == 9:
                await asyncio.sleep(10 / per_second)
        await producer.flush()
    finally:
        await producer.stop()


async def _wait_for_enriched(env: Env, at_least: int, timeout: float) -> int:
    consumer = AIOKafkaConsumer(env.topic("enriched"), bootstrap_servers=BROKERS,
                                auto_offset_reset="earliest", group_id=None)
    await consumer.start()
    seen = 0
    deadline = time.monotonic() + timeout
    try:
        while seen < at_least and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=200)
            seen += sum(len(records) for records in batch.values())
    finally:
        await consumer.stop()
    return seen


def test_kill_9_mid_stream_loses_nothing_and_lets_no_duplicate_through(
        tmp_path: Path) -> None:
    env = Env(prefix=f"kill{int(time.time() * 1000) % 10**9}", tmp=tmp_path, partitions=3)
    asyncio.run(_create(env))
    articles, pairs = _articles(count=240, copies=60)
    first = WorkerProcess(env, tmp_path / "worker-1.log")
    second = WorkerProcess(env, tmp_path / "worker-2.log")
    try:
        first.start()
        first.wait_ready()

        async def scenario() -> int:
            producing = asyncio.create_task(_produce_paced(env, articles, per_second=60))
            seen = await _wait_for_enriched(env, at_least=40, timeout=60)
            first.kill(signal.SIGKILL)
            # Wipe local state: the dedup table must come back from its changelog.
            shutil.rmtree(env.tmp / "state", ignore_errors=True)
            second.start()
            await producing
            return seen

        seen_before_kill = asyncio.run(scenario())
        assert seen_before_kill >= 40, first.log_tail()
        second.wait_ready()
        unique_expected = len(articles) - len(pairs)
        out = asyncio.run(collect(
            env, ["enriched", "duplicates", "dlq"], timeout=150, settle=3.0,
            until=lambda c: len(set(c.keys("enriched"))) >= unique_expected
            and len(set(c.keys("duplicates"))) >= len(pairs)))
    finally:
        first.kill(signal.SIGKILL)
        second.kill()

    enriched, duplicates = set(out.keys("enriched")), set(out.keys("duplicates"))
    produced = {_id(a) for a in articles}
    lost = produced - enriched - duplicates
    print(f"kill -9 after {seen_before_kill} enriched records: produced={len(produced)} "
          f"enriched={len(enriched)} duplicates={len(duplicates)} lost={len(lost)} "
          f"both={len(enriched & duplicates)} records={len(out.keys('enriched'))}")
    assert not out.values("dlq"), out.values("dlq")[:2]
    assert not lost, second.log_tail()
    assert not enriched & duplicates, "an article was both published and rejected"
    for original, copy in pairs:  # exactly one of each pair got through
        assert (original in enriched) != (copy in enriched), (original, copy)
    assert len(enriched) == len(produced) - len(pairs)


async def _create(env: Env) -> None:
    from stream.kafka import create_topics

    await create_topics(env.settings)
