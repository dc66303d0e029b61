"""The analysis pool: results in input order, the same as in process, and a process that
dies on one message costs that message only (real spawned processes, no broker)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence

import orjson
import pytest

from stream.codec import decode_prepared
from stream.core.models import OutRecord
from stream.pool import AnalysePool, RawItem, Result, _child_analyse, _chunks
from stream.settings import Settings
from stream.steps import Analysed, Coordinates, Steps

POISON = b"poison"


def crash_on_poison(items: Sequence[RawItem]) -> list[Result]:
    """Runs in the child: dies like a C-level crash would when it meets the poison."""
    if any(item.value == POISON for item in items):
        os._exit(3)
    return _child_analyse(items)


class CrashingPool(AnalysePool):
    task = staticmethod(crash_on_poison)


def _items(count: int) -> list[RawItem]:
    return [RawItem(f"k{n}".encode(), orjson.dumps({
        "source": "s", "url": f"u{n}",
        "body": f"Story {n}: the visitors won away from home.\n\nParagraph two of story {n}."}),
        Coordinates("raw", 0, n)) for n in range(count)]


def _url(result: Result) -> str:
    assert isinstance(result, Analysed)
    return str(decode_prepared(result.payload).url)


@pytest.fixture(scope="module")
def settings() -> Settings:
    return Settings(store="memory")


def test_chunks_are_contiguous_cover_everything_and_balance_bytes() -> None:
    items = _items(10)
    for parts in (1, 2, 3, 10, 20):
        chunks = _chunks(items, parts)
        assert [i for chunk in chunks for i in chunk] == items
        assert len(chunks) == min(parts, len(items))
    heavy = [RawItem(None, b"x" * 1000, Coordinates())] + [RawItem(None, b"x", Coordinates())] * 9
    assert [len(c) for c in _chunks(heavy, 2)] == [1, 9]


async def test_processes_give_the_same_results_in_order_as_in_process(settings: Settings) -> None:
    steps = Steps.from_settings(settings)
    items = [*_items(7), RawItem(b"bad", b"{not json", Coordinates("raw", 1, 9))]
    pool = AnalysePool(settings, steps, 2)
    try:
        await pool.start()
        in_processes = await pool.analyse(items)
    finally:
        pool.close()
    in_process = await AnalysePool(settings, steps, 0).analyse(items)
    assert [_url(r) for r in in_processes[:7]] == [f"u{n}" for n in range(7)]
    assert [r.payload for r in in_processes[:7]] == [r.payload for r in in_process[:7]]  # type: ignore[union-attr]
    dead = in_processes[7]
    assert isinstance(dead, OutRecord) and dead.output == "dlq" and dead.key == "bad"


async def test_a_process_dying_costs_only_the_message_that_kills_it(settings: Settings) -> None:
    steps = Steps.from_settings(settings)
    items = _items(6)
    items.insert(3, RawItem(b"p", POISON, Coordinates("raw", 0, 99)))
    pool = CrashingPool(settings, steps, 2)
    try:
        results = await pool.analyse(items)
        after = await pool.analyse(_items(2))  # the replaced pool keeps working
    finally:
        pool.close()
    dead = results[3]
    assert isinstance(dead, OutRecord) and dead.output == "dlq"
    assert dead.value is not None and dead.value["reason"] == "internal_error"
    assert "died" in dead.value["detail"]
    assert [_url(r) for i, r in enumerate(results) if i != 3] == [f"u{n}" for n in range(6)]
    assert [_url(r) for r in after] == ["u0", "u1"]
    assert pool.restarts >= 1


def test_pool_size_defaults_to_one_fewer_than_the_cpus(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: {0, 1, 2, 3})
    assert Settings().pool_processes == 3
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: {0})
    assert Settings().pool_processes == 1
    assert Settings(analyse_processes=0).pool_processes == 0


async def test_analysis_processes_run_at_the_configured_lower_priority() -> None:
    settings = Settings(store="memory", analyse_niceness=7)
    pool = AnalysePool(settings, Steps.from_settings(settings), 1)
    try:
        await pool.start()
        child = await asyncio.wrap_future(pool._pool().submit(os.nice, 0))
    finally:
        pool.close()
    assert child == os.nice(0) + 7
