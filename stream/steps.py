"""The two pipeline steps at the byte level, shared by the Faust agents and batch mode.

Keeping bytes-in/records-out here (and nothing Faust-specific) is what makes
``stream process`` print exactly what the worker publishes for the same input.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any

import orjson

from stream.budget import BudgetExceeded, time_budget
from stream.codec import (
    SCHEMA_OF_OUTPUT,
    HopEntry,
    SchemaRegistry,
    analysed_from_data,
    check_body,
    dead_letter_value,
    decode_prepared,
    decode_raw,
    encode_output,
    encode_prepared,
    headers_for,
    registry_for,
)
from stream.core import pipeline
from stream.core.dedup import NearPolicy
from stream.core.extract import default_extractor
from stream.core.ids import digest
from stream.core.models import AnalysedArticle, OutRecord, PreparedArticle
from stream.core.records import body_fields
from stream.errors import Reason, RejectedInput
from stream.settings import Settings


@dataclass(frozen=True, slots=True)
class Coordinates:
    """Where a message came from, for dead letters and logs."""

    topic: str | None = None
    partition: int | None = None
    offset: int | None = None


@dataclass(frozen=True, slots=True)
class Analysed:
    """Result of the first step: the hop to the dedup stage."""

    article_id: str
    payload: bytes


@dataclass(frozen=True, slots=True)
class Encoded:
    topic: str
    key: bytes
    value: bytes | None
    headers: list[tuple[str, bytes]]


class Steps:
    """Holds what the steps need (settings, extractor, schemas); no state of its own."""

    def __init__(self, settings: Settings, extractor: pipeline.Extractor,
                 registry: SchemaRegistry) -> None:
        self.settings = settings
        self.extractor = extractor
        self.registry = registry
        self.policy = NearPolicy(window_days=settings.dedup_window_days)
        self._topic_of = {
            "enriched": settings.topic_enriched,
            "duplicates": settings.topic_duplicates,
            "match_results": settings.topic_match_results,
            "quotes": settings.topic_quotes,
            "dlq": settings.topic_dlq,
        }

    @classmethod
    def from_settings(cls, settings: Settings) -> Steps:
        """The steps over the shipped knowledge base (with ``settings.kb_path`` merged on
        top) and the schemas in ``settings.schemas_dir``."""
        return cls(settings, default_extractor(settings.kb_path),
                   registry_for(settings.schemas_dir))

    def analyse(self, key: bytes | None, payload: bytes,
                where: Coordinates = Coordinates()) -> Analysed | OutRecord:
        """Raw bytes to an analysed article, or a dead letter saying why not."""
        try:
            raw = decode_raw(payload, self.registry, max_body_bytes=self.settings.max_body_bytes)
            with time_budget(self.settings.article_time_budget_seconds):
                analysed = pipeline.analyse(raw, self.extractor)
        except RejectedInput as rejected:
            return self.dead_letter(rejected.reason, rejected.detail, payload, key, where)
        except BudgetExceeded:
            budget = self.settings.article_time_budget_seconds
            return self.dead_letter(Reason.TIMEOUT, f"not cleaned and extracted within {budget} s",
                                    payload, key, where)
        return Analysed(analysed.article.article_id, encode_prepared(self.prepare(analysed)))

    def prepare(self, analysed: AnalysedArticle) -> PreparedArticle:
        """The article ready for the publish step, its body validated here (where
        articles are analysed in parallel) when outgoing records are validated."""
        fields = body_fields(analysed.article.text, analysed.extraction.entities)
        checked = self.settings.validate_output
        if checked:
            check_body(fields, self.registry)
        return pipeline.prepare(analysed, orjson.dumps(fields), body_checked=checked)

    def publish_state(self, dedup_memory: MutableMapping[str, str],
                      event_memory: MutableMapping[str, Any]) -> pipeline.PublishState:
        return pipeline.PublishState(dedup_memory, event_memory, self.policy)

    def publish(self, payload: bytes, state: pipeline.PublishState) -> list[OutRecord]:
        """The publish step for the payload :meth:`analyse` returned."""
        return pipeline.publish_prepared(decode_prepared(payload), state)

    def publish_entry(self, entry: HopEntry, state: pipeline.PublishState) -> list[OutRecord]:
        """The publish step for one article of a hop message, in either format."""
        if isinstance(entry.payload, bytes):
            return self.publish(entry.payload, state)
        return pipeline.publish(analysed_from_data(entry.payload), state)

    def dead_letter(self, reason: Reason, detail: str, payload: bytes, key: bytes | None,
                    where: Coordinates) -> OutRecord:
        value = dead_letter_value(reason, detail, payload, key=key, topic=where.topic,
                                  partition=where.partition, offset=where.offset)
        record_key = key.decode("utf-8", "replace") if key else "dlq_" + digest((payload.hex(),))
        return OutRecord("dlq", record_key, value)

    def topic_of(self, record: OutRecord) -> str:
        return self._topic_of[record.output]

    def encode(self, record: OutRecord) -> Encoded:
        schema = SCHEMA_OF_OUTPUT[record.output]
        registry = self.registry if self.settings.validate_output else None
        value = None if record.value is None else encode_output(record.value, schema, registry)
        return Encoded(topic=self.topic_of(record), key=record.key.encode(), value=value,
                       headers=headers_for(schema))
