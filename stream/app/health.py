"""Worker health: liveness, readiness and consumer lag, served next to /metrics."""

from __future__ import annotations

from typing import Any

import faust
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from stream.metrics import Metrics

LAG_INTERVAL_SECONDS = 5.0


def is_ready(app: faust.App) -> bool:
    """Ready once partitions are assigned and the tables have been recovered."""
    consumer = app.consumer
    recovery: Any = getattr(app.tables, "recovery", None)
    if recovery is None:
        return False
    return bool(consumer.assignment()) and recovery.completed.is_set() and not app.rebalancing


def update_lag(app: faust.App, metrics: Metrics) -> None:
    """Messages between what this worker has read and the end of each assigned partition."""
    consumer: Any = app.consumer
    for tp in consumer.assignment():
        try:
            highwater = consumer.highwater(tp)
        except Exception:
            continue
        if highwater is None:
            continue
        read = consumer._read_offset.get(tp)  # faust keeps no public accessor
        position = (read + 1) if read is not None else 0
        metrics.consumer_lag.labels(tp.topic, str(tp.partition)).set(max(0, highwater - position))


def register_health(app: faust.App, metrics: Metrics) -> None:
    @app.page("/metrics")
    async def metrics_page(web: faust.web.View, request: faust.web.Request) -> faust.web.Response:
        body = generate_latest(metrics.registry)
        return web.bytes(body, content_type=CONTENT_TYPE_LATEST.split(";")[0])

    @app.page("/healthz")
    async def liveness(web: faust.web.View, request: faust.web.Request) -> faust.web.Response:
        return web.json({"status": "ok"})

    @app.page("/readyz")
    async def readiness(web: faust.web.View, request: faust.web.Request) -> faust.web.Response:
        ready = is_ready(app)
        return web.json({"ready": ready}, status=200 if ready else 503)

    @app.timer(interval=LAG_INTERVAL_SECONDS)  # type: ignore[untyped-decorator]
    async def refresh_lag() -> None:
        update_lag(app, metrics)
