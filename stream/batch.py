"""Batch mode: the worker's two steps run in one process, no broker, same records."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from stream.core.models import OutRecord
from stream.inputs import Payload
from stream.steps import Analysed, Steps


def process_payloads(steps: Steps, payloads: Iterable[Payload]) -> Iterator[OutRecord]:
    """What the worker would publish, in order, for these raw messages on one partition."""
    state = steps.publish_state({})
    for payload in payloads:
        result = steps.analyse(payload.key, payload.value)
        if isinstance(result, Analysed):
            yield from steps.publish(result.payload, state)
        else:
            yield result
