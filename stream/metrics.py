"""Every Prometheus metric the service exports, declared in one place.

The registry is passed in (never the global default), so tests and several apps in one
process each get their own.
"""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info

from stream import __version__

_STAGE_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


@dataclass(frozen=True)
class Metrics:
    registry: CollectorRegistry
    messages_in: Counter
    messages_out: Counter
    dropped: Counter
    dead_letters: Counter
    duplicates: Counter
    events: Counter
    stage_seconds: Histogram
    end_to_end_seconds: Histogram
    consumer_lag: Gauge
    table_keys: Gauge
    extraction_empty: Counter
    worker_info: Info


def create_metrics(registry: CollectorRegistry | None = None) -> Metrics:
    registry = registry if registry is not None else CollectorRegistry()
    metrics = Metrics(
        registry=registry,
        messages_in=Counter("stream_messages_in", "Messages taken in by a stage",
                            ["stage"], registry=registry),
        messages_out=Counter("stream_messages_out", "Records a stage published",
                             ["stage", "output"], registry=registry),
        dropped=Counter("stream_messages_dropped", "Messages a stage did not pass on, by reason",
                        ["stage", "reason"], registry=registry),
        dead_letters=Counter("stream_dead_letters", "Records sent to the dead-letter topic",
                             ["reason"], registry=registry),
        duplicates=Counter("stream_duplicates", "Articles rejected as duplicates",
                           ["kind"], registry=registry),
        events=Counter("stream_events", "Event records published", ["type"], registry=registry),
        stage_seconds=Histogram("stream_stage_seconds", "Processing time per message and stage",
                                ["stage"], buckets=_STAGE_BUCKETS, registry=registry),
        end_to_end_seconds=Histogram(
            "stream_end_to_end_latency_seconds",
            "Raw message timestamp to enriched publish", buckets=_LATENCY_BUCKETS,
            registry=registry),
        consumer_lag=Gauge("stream_consumer_lag", "Messages behind the end of the partition",
                           ["topic", "partition"], registry=registry),
        table_keys=Gauge("stream_table_keys", "Keys held in a state table",
                         ["table"], registry=registry),
        extraction_empty=Counter("stream_extraction_empty",
                                 "Unique articles with no entity extracted", registry=registry),
        worker_info=Info("stream_worker", "Worker build information", registry=registry),
    )
    metrics.worker_info.info({"version": __version__})
    return metrics
