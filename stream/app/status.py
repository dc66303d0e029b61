"""Status page state: recent records and counts the worker shows to people.

(Skeleton: the Sender feeds ``observe``; the page itself is registered by
``register_status``.)
"""

from __future__ import annotations

from collections import deque
from typing import Any

import faust

from stream.core.models import OutRecord
from stream.metrics import Metrics

RECENT = 20


class StatusBoard:
    """Bounded memory of what the worker published lately (no article bodies)."""

    def __init__(self, size: int = RECENT) -> None:
        self.recent: dict[str, deque[dict[str, Any]]] = {}
        self.size = size

    def observe(self, record: OutRecord) -> None:
        summary = {"key": record.key}
        self.recent.setdefault(record.output, deque(maxlen=self.size)).append(summary)


def register_status(app: faust.App, board: StatusBoard, metrics: Metrics) -> None:
    """Placeholder until the status page lands."""
