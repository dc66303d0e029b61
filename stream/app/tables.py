"""Faust tables holding the publish step's memory: changelogged, so a restarted worker
rebuilds it from Kafka instead of forgetting what it has seen."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import faust
from faust.types import TableT


@dataclass(frozen=True)
class Tables:
    #: article id -> what dedup, learning and events remember of it (stream/core/journal).
    memory: TableT[str, Any]
    #: The layout before the journal (one key per part); read once, emptied, then unused.
    legacy: tuple[TableT[str, Any], ...]


def declare_tables(app: faust.App) -> Tables:
    # One partition each: co-partitioned with the single-partition analysed topic.
    memory = app.Table("memory", partitions=1, key_type=str,
                       help="article id -> its dedup, learning and events entries")
    dedup = app.Table("dedup", partitions=1, key_type=str, value_type=str,
                      help="before the journal: a:/b:<article id> entries (moved to memory)")
    events = app.Table("events", partitions=1, key_type=str,
                       help="before the journal: e:<article id> entries (moved to memory)")
    return Tables(memory=memory, legacy=(dedup, events))
