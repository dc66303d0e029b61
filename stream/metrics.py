"""Every Prometheus metric the service exports, declared in one place.

The registry is passed in (never the global default), so tests and several apps in one
process each get their own. Label sets that are known in advance (stages, reasons, kinds,
event types, tables) are created at zero up front: a series that exists from the first
scrape makes ``rate()`` and the alert ratios in ``deploy/prometheus/alerts.yml`` defined
before the first event of its kind, instead of silently absent.

Everything here is plain prometheus-client; nothing imports Faust, so the agent tests and
batch tooling can use it freely.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any, TypeVar

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info

from stream import __version__
from stream.core.models import OutRecord
from stream.core.records import entity_count
from stream.errors import Reason

_STAGE_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
#: The end-to-end latency objective (99% within it; deploy/prometheus/alerts.yml). It must
#: stay a bucket bound: the burn-rate rules read the share of articles under it from that
#: bucket (a test checks both).
LATENCY_OBJECTIVE_SECONDS = 2.5

STAGES = ("analyse", "publish")
DUPLICATE_KINDS = ("exact", "near")
EVENT_TYPES = ("match_results", "quotes")
TABLES = ("memory",)


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
    ready: Gauge
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
        stage_seconds=Histogram("stream_stage_seconds",
                                "Processing time per article and stage (analyse: a batch's "
                                "wall time shared among its articles)",
                                ["stage"], buckets=_STAGE_BUCKETS, registry=registry),
        end_to_end_seconds=Histogram(
            "stream_end_to_end_latency_seconds",
            "Raw message timestamp to the publish of the article's verdict (enriched or "
            "duplicate)", buckets=_LATENCY_BUCKETS, registry=registry),
        consumer_lag=Gauge("stream_consumer_lag", "Messages behind the end of the partition",
                           ["topic", "partition"], registry=registry),
        table_keys=Gauge("stream_table_keys", "Keys held in a state table (active partitions)",
                         ["table"], registry=registry),
        extraction_empty=Counter("stream_extraction_empty",
                                 "Unique articles with no entity extracted", registry=registry),
        ready=Gauge("stream_worker_ready",
                    "1 once partitions are assigned and tables recovered", registry=registry),
        worker_info=Info("stream_worker", "Worker build information", registry=registry),
    )
    metrics.worker_info.info({"version": __version__})
    _zero_known_labels(metrics)
    return metrics


def _zero_known_labels(metrics: Metrics) -> None:
    """Create the series whose labels are known before any traffic (see module doc)."""
    for stage in STAGES:
        metrics.messages_in.labels(stage)
        metrics.stage_seconds.labels(stage)
    for reason in Reason:
        metrics.dead_letters.labels(reason.value)
    for kind in DUPLICATE_KINDS:
        metrics.duplicates.labels(kind)
    for event_type in EVENT_TYPES:
        metrics.events.labels(event_type)
    metrics.messages_out.labels("publish", "enriched")


def record_published(metrics: Metrics, stage: str, record: OutRecord) -> None:
    """Count one published record under every metric it concerns.

    One place for this (rather than in each agent) keeps the agents thin and makes the
    counting unit-testable without Faust.
    """
    metrics.messages_out.labels(stage, record.output).inc()
    value = record.value
    if value is None:  # a tombstone (a retired event's key deleted): nothing more to count
        return
    if record.output == "dlq":
        metrics.dead_letters.labels(str(value.get("reason", "unknown"))).inc()
    elif record.output == "duplicates":
        metrics.duplicates.labels(str(value.get("kind", "unknown"))).inc()
    elif record.output in EVENT_TYPES:
        metrics.events.labels(record.output).inc()
    elif record.output == "enriched" and not entity_count(value):
        metrics.extraction_empty.inc()


K = TypeVar("K")
V = TypeVar("V")


_MISSING: Any = object()


class CountingMap(MutableMapping[K, V]):
    """A mapping that keeps ``stream_table_keys`` current without ever scanning the table.

    ``len()`` of a Faust table on the RocksDB store iterates every key of every active
    partition (``faust.stores.rocksdb.Store._size``): fine once, far too slow per message
    or per scrape. So the count is taken with one ``len()`` the first time it is needed
    (after recovery, or after a rebalance invalidated it), then moved by the writes that go
    through this wrapper: a set on a new key adds one (one point lookup to know it is new,
    skipped when the key was just read: the events merge reads each key before writing it),
    a delete removes one. Only the publish agent writes the tables, through this wrapper.
    """

    #: Keys whose presence was just learnt by a read; bounded, cleared when full.
    PRESENCE_LIMIT = 4096

    def __init__(self, inner: MutableMapping[K, V], gauge: Gauge, name: str) -> None:
        self.inner = inner
        #: Where ``get`` reads, found on first use: a Faust table's store (its ``data``),
        #: whose ``get`` is one look-up (the table's own asks the store twice: "is the key
        #: there?", then "what is it?"); any other mapping is read directly.
        self._reads: Mapping[K, V] | None = None
        self._gauge = gauge.labels(name)
        self._count: int | None = None
        self._present: dict[K, bool] = {}

    # -- counting --------------------------------------------------------------------
    def invalidate(self) -> None:
        """Forget the count (partitions moved): the next ``refresh`` or write retakes it."""
        self._count = None
        self._present.clear()

    def _note(self, key: K, present: bool) -> None:
        if len(self._present) >= self.PRESENCE_LIMIT:
            self._present.clear()
        self._present[key] = present

    def refresh(self) -> int:
        """Take the baseline count if there is none; publish it. One scan per baseline."""
        if self._count is None:
            self._count = len(self.inner)
        self._gauge.set(self._count)
        return self._count

    def _move(self, before: int, delta: int) -> None:
        self._count = max(0, before + delta)
        self._gauge.set(self._count)

    # -- MutableMapping --------------------------------------------------------------
    def __getitem__(self, key: K) -> V:
        return self.inner[key]

    def get(self, key: K, default: Any = None) -> Any:
        missing = _MISSING
        reads = self._reads
        if reads is None:
            store = getattr(self.inner, "data", None)
            reads = self._reads = store if isinstance(store, Mapping) else self.inner
        value = reads.get(key, missing)
        self._note(key, value is not missing)
        return default if value is missing else value

    def __contains__(self, key: object) -> bool:
        present = key in self.inner
        self._note(key, present)  # type: ignore[arg-type]
        return present

    def __setitem__(self, key: K, value: V) -> None:
        before = self.refresh()  # baseline taken before the write, so it is not counted twice
        known = self._present.get(key)
        new = (key not in self.inner) if known is None else not known
        self.inner[key] = value
        self._note(key, True)
        if new:
            self._move(before, +1)

    def __delitem__(self, key: K) -> None:
        before = self.refresh()
        self._present.pop(key, None)
        del self.inner[key]
        self._move(before, -1)

    def __iter__(self) -> Iterator[K]:
        return iter(self.inner)

    def __len__(self) -> int:
        """The maintained count: exact as long as every write goes through this wrapper."""
        return self.refresh()
