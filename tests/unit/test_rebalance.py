"""The rebalance guards (stream/app/rebalance.py) on fakes: what they seek and keep."""

from __future__ import annotations

from collections import namedtuple
from types import SimpleNamespace
from typing import Any

from stream.app.rebalance import (
    install_resume_guard,
    install_rewind,
    uncommitted_stream_partitions,
)

TP = namedtuple("TP", "topic partition")


class FakeConsumer:
    def __init__(self, committed: dict[Any, int | None], earliest: dict[Any, int]) -> None:
        self.committed, self.earliest = committed, earliest
        self.sought: dict[Any, int] = {}

    async def seek_to_committed(self) -> dict[Any, int | None]:
        return self.committed

    async def earliest_offsets(self, *tps: Any) -> dict[Any, int]:
        return {tp: self.earliest[tp] for tp in tps}

    async def seek_wait(self, targets: dict[Any, int]) -> None:
        self.sought.update(targets)


def test_only_stream_partitions_without_a_commit_are_rewound() -> None:
    committed = {TP("raw", 0): None, TP("raw", 1): 0, TP("raw", 2): 17,
                 TP("app-dedup-changelog", 0): None}
    assert uncommitted_stream_partitions(committed, {"app-dedup-changelog"}) == [
        TP("raw", 0), TP("raw", 1)]


async def test_seeking_to_committed_also_seeks_uncommitted_partitions_to_the_start() -> None:
    committed = {TP("raw", 0): None, TP("raw", 1): 40, TP("app-events-changelog", 0): None}
    consumer = FakeConsumer(committed, {TP("raw", 0): 5, TP("raw", 1): 0})
    app: Any = SimpleNamespace(tables=SimpleNamespace(changelog_topics={"app-events-changelog"}))
    assert install_rewind(app, consumer) and not install_rewind(app, consumer)
    assert await consumer.seek_to_committed() == committed
    assert consumer.sought == {TP("raw", 0): 5}


def test_resuming_a_running_flow_keeps_its_queues() -> None:
    cleared: list[bool] = []
    flow = SimpleNamespace(active=True)
    flow.is_active = lambda: flow.active
    flow.resume = lambda: cleared.append(True)
    assert install_resume_guard(flow) and not install_resume_guard(flow)
    flow.resume()
    assert cleared == []  # running: nothing cleared
    flow.active = False
    flow.resume()
    assert cleared == [True]  # a real resume still clears what came before the suspension
