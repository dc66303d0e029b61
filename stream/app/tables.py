"""Faust tables holding the dedup stage's memory: changelogged, so a restarted worker
rebuilds them from Kafka instead of forgetting what it has seen."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import faust
from faust.types import TableT


@dataclass(frozen=True)
class Tables:
    dedup: TableT[str, str]
    events: TableT[str, Any]


def declare_tables(app: faust.App) -> Tables:
    # One partition each: co-partitioned with the single-partition analysed topic.
    dedup = app.Table("dedup", partitions=1, key_type=str, value_type=str,
                      help="content hash -> owner article id; article id -> content hash")
    events = app.Table("events", partitions=1, key_type=str,
                       help="article id -> what it reported (events are derived from these)")
    return Tables(dedup=dedup, events=events)
