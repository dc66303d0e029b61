"""Batch mode: the worker's two steps run in one process, no broker, same records."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from stream.core.models import OutRecord
from stream.inputs import Payload
from stream.steps import Analysed, Steps


def process_payloads(steps: Steps, payloads: Iterable[Payload]) -> Iterator[OutRecord]:
    """What the worker would publish, in order, for these raw messages on one partition."""
    dedup_memory: dict[str, str] = {}
    event_memory: dict[str, Any] = {}
    state = steps.publish_state(dedup_memory, event_memory)
    for payload in payloads:
        result = steps.analyse(payload.key, payload.value)
        if isinstance(result, Analysed):
            yield from steps.publish(result.payload, state)
        else:
            yield result
