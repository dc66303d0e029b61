"""Plain typed records passed between the pipeline's stages.

They are frozen dataclasses so that orjson serialises them natively and the core can
trust them: validation happens once, at the edge (``stream.codec``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

EntityType = Literal["person", "club", "competition", "venue", "organisation", "place"]
DuplicateKind = Literal["exact", "near"]
#: Logical outputs; the wiring maps them to configured topic names.
OutputName = Literal["enriched", "duplicates", "match_results", "quotes", "dlq"]


@dataclass(frozen=True, slots=True)
class RawArticle:
    """An article as a producer delivered it."""

    source: str
    body: str
    content_type: str = "text/plain"
    url: str | None = None
    title: str | None = None
    published_at: datetime | None = None
    fetched_at: datetime | None = None
    language: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CleanArticle:
    """The story alone: boilerplate removed, text normalised."""

    article_id: str
    source: str
    url: str | None
    title: str | None
    text: str
    published_at: datetime | None
    language: str | None
    content_hash: str


@dataclass(frozen=True, slots=True)
class Ref:
    """A reference to a canonical thing: its display name and stable id."""

    name: str
    id: str


@dataclass(frozen=True, slots=True)
class Entity:
    type: EntityType
    name: str
    id: str
    mentions: tuple[tuple[int, int], ...]


@dataclass(frozen=True, slots=True)
class MatchResult:
    """A result as one article states it, oriented home/away where the text tells."""

    home: Ref
    away: Ref
    home_goals: int
    away_goals: int
    competition: Ref | None
    date: date | None
    venue: Ref | None
    span: tuple[int, int]


@dataclass(frozen=True, slots=True)
class Quote:
    speaker: Ref
    text: str
    span: tuple[int, int]


@dataclass(frozen=True, slots=True)
class Extraction:
    entities: tuple[Entity, ...]
    match_results: tuple[MatchResult, ...]
    quotes: tuple[Quote, ...]


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """Near-duplicate signature, computed where articles are analysed in parallel."""

    values: tuple[int, ...]
    shingles: int


@dataclass(frozen=True, slots=True)
class AnalysedArticle:
    """A cleaned article with what it says: the unit the dedup stage decides on."""

    article: CleanArticle
    extraction: Extraction
    fingerprint: Fingerprint


@dataclass(frozen=True, slots=True)
class PreparedArticle:
    """An analysed article made ready for the publish step, where articles are analysed
    in parallel: the fields dedup, events and boilerplate learning decide on, typed, and
    the bulk of the output record (text and entities) already serialised.

    The publish step sees every article in one process, so it is the service's serial
    part: it reads these few fields and adds its verdict to ``body`` instead of parsing,
    rebuilding, validating and serialising each article's text and entities again.
    """

    article_id: str
    source: str
    url: str | None
    title: str | None
    published_at: datetime | None
    language: str | None
    content_hash: str
    fingerprint: Fingerprint
    match_results: tuple[MatchResult, ...]
    quotes: tuple[Quote, ...]
    #: ``(paragraph index, hash)`` of each paragraph short enough to be boilerplate.
    short_paragraphs: tuple[tuple[int, str], ...]
    entity_count: int
    #: ``{"text": ..., "entities": [...]}`` as JSON, in the output schemas' shape.
    body: bytes
    #: Whether ``body`` was validated against the output schemas where it was made.
    body_checked: bool = False


@dataclass(frozen=True, slots=True)
class Verdict:
    """The dedup decision for one article."""

    duplicate_of: str | None
    kind: DuplicateKind | None
    similarity: float
    #: True when this very article passed before (a redelivery or replay): re-emit, same id.
    seen_before: bool = False

    @property
    def is_duplicate(self) -> bool:
        return self.duplicate_of is not None


@dataclass(frozen=True, slots=True)
class MatchEvent:
    """One real match, however many articles reported it."""

    event_id: str
    home: Ref
    away: Ref
    home_goals: int
    away_goals: int
    competition: Ref | None
    date: date | None
    venue: Ref | None
    article_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class QuoteEvent:
    event_id: str
    speaker: Ref
    text: str
    article_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class OutRecord:
    """One record to publish: the same shape in batch mode and in the worker."""

    output: OutputName
    key: str
    #: The record in its schema's shape; None is a tombstone (on a compacted topic it
    #: deletes the key). Article records are ``records.Spliced`` mappings: write them with
    #: their ``to_json()`` (``Steps.encode`` does), not ``orjson.dumps``.
    value: Mapping[str, Any] | None
