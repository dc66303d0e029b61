"""Build the Faust app from settings: the only place that knows Faust's configuration."""

from __future__ import annotations

from dataclasses import dataclass

import faust

from stream.app.agents import ProducerOutbox, register_agents
from stream.app.health import register_health
from stream.app.rebalance import register_rebalance_guards
from stream.app.status import StatusBoard, register_status
from stream.app.tables import Tables, declare_tables
from stream.app.topics import Topics, declare_topics
from stream.app.transport import StreamApp
from stream.app.watchdog import register_watchdog
from stream.metrics import Metrics, create_metrics
from stream.pool import AnalysePool
from stream.security import client_security
from stream.settings import Settings
from stream.steps import Steps


@dataclass(frozen=True)
class Service:
    app: faust.App
    topics: Topics
    tables: Tables
    metrics: Metrics
    steps: Steps
    pool: AnalysePool


def broker_credentials(settings: Settings) -> faust.types.auth.CredentialsT | None:
    """SASL and TLS from stream.security, the same path as the CLI's aiokafka clients."""
    return client_security(settings).faust_credentials()


def create_service(settings: Settings, metrics: Metrics | None = None) -> Service:
    metrics = metrics or create_metrics()
    app = StreamApp(
        settings.app_id,
        fetch_max_wait_ms=settings.fetch_max_wait_ms,
        broker=[f"kafka://{b}" for b in settings.broker_list],
        broker_credentials=broker_credentials(settings),
        store="rocksdb://" if settings.store == "rocksdb" else "memory://",
        datadir=str(settings.data_dir),
        key_serializer="raw",
        value_serializer="raw",
        topic_partitions=settings.partitions,
        topic_replication_factor=settings.replication_factor,
        topic_disable_leader=True,
        consumer_auto_offset_reset="earliest",
        broker_session_timeout=settings.session_timeout_seconds,
        broker_heartbeat_interval=settings.session_timeout_seconds / 10,
        broker_request_timeout=max(90.0, settings.session_timeout_seconds * 2),
        producer_max_request_size=settings.max_message_bytes,
        # A few ms of batching turns many small sends into one request per partition.
        producer_linger_ms=settings.producer_linger_ms,
        producer_max_batch_size=min(settings.producer_batch_bytes, settings.max_message_bytes),
        consumer_max_fetch_size=settings.max_message_bytes,
        web_enabled=True,
        web_bind=settings.web_host,
        web_host=settings.web_host,
        web_port=settings.web_port,
        web_in_thread=False,
        # Faust's table-browsing, router and debug endpoints would expose state: off.
        web_router_enabled=False,
        web_tables_enabled=False,
        web_graph_enabled=False,
        web_stats_enabled=False,
        web_metrics_enabled=False,
        autodiscover=False,
    )
    steps = Steps.from_settings(settings)
    pool = AnalysePool(settings, steps, settings.pool_processes)
    topics = declare_topics(app, settings)
    tables = declare_tables(app)
    board = StatusBoard()
    register_agents(app, steps, topics, tables, metrics, pool, ProducerOutbox(app), board)
    register_health(app, metrics)
    register_rebalance_guards(app)
    register_watchdog(app, metrics)
    register_status(app, board, metrics)
    return Service(app=app, topics=topics, tables=tables, metrics=metrics, steps=steps, pool=pool)
