"""Worker health: liveness, readiness, consumer lag and table sizes, served next to /metrics.

Faust keeps no public accessor for what these read (the read offsets, the recovery
state); the few private attributes are read defensively, in this module only, so a Faust
upgrade that moves them breaks one place and shows up as "not ready" / no lag series,
never as a crash of the worker.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import faust
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from stream.app.tables import Tables
from stream.metrics import CountingMap, Metrics

#: How often lag, readiness and table sizes are refreshed (a scrape reads the last values).
LAG_INTERVAL_SECONDS = 5.0


def is_ready(app: faust.App) -> bool:
    """Ready once partitions are assigned, the tables recovered and no rebalance runs."""
    recovery: Any = getattr(app.tables, "_recovery", None)  # the property would create it
    if recovery is None:
        return False
    try:
        assigned = bool(app.consumer.assignment())
    except Exception:  # consumer not started yet
        return False
    return assigned and recovery.completed.is_set() and not app.rebalancing


def partition_lag(consumer: Any, tps: Iterable[Any]) -> dict[tuple[str, int], int]:
    """Messages between the worker's read position and the end of each partition.

    Faust's ``_read_offset`` holds the offset of the last message read (after a seek, the
    committed offset, i.e. the next to read: then the lag reads one low until the first
    message, never high). Partitions whose end is not known yet (no fetch answered) are
    left out rather than guessed.
    """
    lag: dict[tuple[str, int], int] = {}
    for tp in tps:
        try:
            highwater = consumer.highwater(tp)
        except Exception:
            continue
        if highwater is None:
            continue
        read = consumer._read_offset.get(tp)
        position = (read + 1) if read is not None else 0
        lag[(tp.topic, tp.partition)] = max(0, highwater - position)
    return lag


def update_lag(app: faust.App, metrics: Metrics) -> None:
    """Refresh ``stream_consumer_lag`` for the partitions the agents consume.

    Changelog partitions are left out: after recovery Faust no longer reads them (it
    writes them), so their "lag" would grow with every table write and mean nothing.
    Series of partitions no longer assigned are dropped (clear, then set: both happen in
    one step of the event loop, so a scrape never sees the gap).
    """
    consumer: Any = app.consumer
    changelogs = set(app.tables.changelog_topics)
    tps = [tp for tp in consumer.assignment() if tp.topic not in changelogs]
    lag = partition_lag(consumer, tps)
    metrics.consumer_lag.clear()
    for (topic, partition), value in lag.items():
        metrics.consumer_lag.labels(topic, str(partition)).set(value)


@dataclass(frozen=True)
class CountedTables:
    """The tables as the publish agent writes them: counted, see ``CountingMap``."""

    memory: CountingMap[str, Any]

    def all(self) -> tuple[CountingMap[str, Any], ...]:
        return (self.memory,)


def watch_tables(app: faust.App, tables: Tables, metrics: Metrics) -> CountedTables:
    """Wrap the tables so ``stream_table_keys`` follows writes; recount after rebalances.

    A rebalance can move the publish partition (and so the table's active data) to
    another worker and back: the counts are invalidated when partitions are revoked and
    retaken (one ``len()`` each) by the timer once the worker is ready again.
    """
    counted = CountedTables(memory=CountingMap(tables.memory, metrics.table_keys, "memory"))

    async def on_revoked(sender: Any, *args: Any, signal: Any = None, **kwargs: Any) -> None:
        for table in counted.all():
            table.invalidate()

    # mode types the handler with mypy_extensions' NamedArg, which mypy matches against
    # no plain signature; the handler takes every argument a signal sends.
    app.on_partitions_revoked.connect(on_revoked)  # type: ignore[arg-type]

    @app.timer(interval=LAG_INTERVAL_SECONDS)  # type: ignore[untyped-decorator]
    async def refresh_table_keys() -> None:
        if is_ready(app):
            for table in counted.all():
                table.refresh()

    return counted


def register_health(app: faust.App, metrics: Metrics) -> None:
    """/metrics, /healthz (the process answers) and /readyz (it can do its work)."""

    @app.page("/metrics")
    async def metrics_page(web: faust.web.View, request: faust.web.Request) -> faust.web.Response:
        # The full type (with version=0.0.4) in the header: aiohttp's content_type argument
        # refuses parameters, and Prometheus 3 is strict about the scrape content type.
        return web.bytes(generate_latest(metrics.registry),
                         headers={"Content-Type": CONTENT_TYPE_LATEST})

    @app.page("/healthz")
    async def liveness(web: faust.web.View, request: faust.web.Request) -> faust.web.Response:
        return web.json({"status": "ok"})

    @app.page("/readyz")
    async def readiness(web: faust.web.View, request: faust.web.Request) -> faust.web.Response:
        ready = is_ready(app)
        return web.json({"ready": ready}, status=200 if ready else 503)

    @app.timer(interval=LAG_INTERVAL_SECONDS)  # type: ignore[untyped-decorator]
    async def refresh_lag() -> None:
        metrics.ready.set(1 if is_ready(app) else 0)
        update_lag(app, metrics)

