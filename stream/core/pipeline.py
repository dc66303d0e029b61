"""The pipeline as two pure steps, shared verbatim by the worker and batch mode.

``analyse`` (clean + extract) depends only on the article, so it runs on any partition in
parallel. ``publish`` (dedup + events) needs to see every article, so the worker funnels
analysed articles through a single-partition topic to it; its memory is passed in.
"""

from __future__ import annotations

from collections.abc import Iterable, MutableMapping, Sequence
from typing import Any, Protocol, TypeVar

import orjson

from stream.core import boilerplate, dedup, events
from stream.core.clean import clean_article
from stream.core.dedup.minhash import signature
from stream.core.journal import Journal
from stream.core.models import (
    AnalysedArticle,
    CleanArticle,
    Extraction,
    MatchEvent,
    OutRecord,
    PreparedArticle,
    QuoteEvent,
    RawArticle,
)
from stream.core.records import (
    body_fields,
    duplicate_record,
    enriched_record,
    entity_from,
    match_event_value,
    quote_event_value,
)


class Extractor(Protocol):
    def extract(self, article: CleanArticle) -> Extraction: ...


def analyse(raw: RawArticle, extractor: Extractor) -> AnalysedArticle:
    """Clean and extract one article; raises ``RejectedInput`` for what cannot be used."""
    article = clean_article(raw)
    return AnalysedArticle(article=article, extraction=extractor.extract(article),
                           fingerprint=signature(article.text))


class PublishState:
    """Everything the publish step remembers: one durable memory passed in (a Faust table
    in the worker, a dict in batch mode) holding one journal entry per article (see
    ``journal``), and the indexes dedup, learning and events derive from it.

    ``invalidate`` after anything may have changed the memory behind this process's back
    (a rebalance); the indexes are rebuilt from it on next use. ``legacy`` memories hold
    the entries of the layout before the journal (one key per part): moved in at the
    first rebuild.
    """

    def __init__(self, memory: MutableMapping[str, Any],
                 policy: dedup.NearPolicy = dedup.DEFAULT_POLICY,
                 legacy: Sequence[MutableMapping[str, Any]] = ()) -> None:
        self.journal = Journal(memory, legacy)
        self.dedup = dedup.DedupState(self.journal)
        self.learning = boilerplate.LearningState(self.journal)
        self.events = events.EventState(self.journal, policy.window_days)
        self.policy = policy

    def invalidate(self) -> None:
        self.journal.forget_snapshot()
        self.dedup.invalidate()
        self.learning.invalidate()
        self.events.invalidate()


def prepare(analysed: AnalysedArticle, body: bytes | None = None, *,
            body_checked: bool = False) -> PreparedArticle:
    """What the publish step needs of an analysed article (see ``PreparedArticle``).

    ``body`` is ``records.body_fields`` of the article as JSON, for a caller that
    serialised (and validated) it already.
    """
    article, extraction = analysed.article, analysed.extraction
    if body is None:
        body = orjson.dumps(body_fields(article.text, extraction.entities))
    return PreparedArticle(
        article_id=article.article_id, source=article.source, url=article.url,
        title=article.title, published_at=article.published_at, language=article.language,
        content_hash=article.content_hash, fingerprint=analysed.fingerprint,
        match_results=extraction.match_results, quotes=extraction.quotes,
        short_paragraphs=boilerplate.short_paragraphs(article.text),
        entity_count=len(extraction.entities), body=body, body_checked=body_checked)


def restore(prepared: PreparedArticle) -> AnalysedArticle:
    """The analysed article back from a prepared one (its body parsed)."""
    body = orjson.loads(prepared.body)
    article = CleanArticle(
        article_id=prepared.article_id, source=prepared.source, url=prepared.url,
        title=prepared.title, text=body["text"], published_at=prepared.published_at,
        language=prepared.language, content_hash=prepared.content_hash)
    entities = tuple(entity_from(e) for e in body["entities"])
    return AnalysedArticle(article=article, extraction=Extraction(
        entities, prepared.match_results, prepared.quotes), fingerprint=prepared.fingerprint)


def publish(analysed: AnalysedArticle, state: PublishState) -> list[OutRecord]:
    """:func:`publish_prepared` of an article analysed in this process."""
    return publish_prepared(prepare(analysed), state)


def publish_prepared(prepared: PreparedArticle, state: PublishState) -> list[OutRecord]:
    """Strip learned boilerplate, decide unique or duplicate, fold events, and say what
    to publish, in order; what the article changed in the memory is written once."""
    try:
        return _publish_prepared(prepared, state)
    finally:
        state.journal.commit()


def _publish_prepared(prepared: PreparedArticle, state: PublishState) -> list[OutRecord]:
    learned = state.learning.learned_among(prepared.source, prepared.short_paragraphs)
    article = prepared
    if learned:  # rare: the article's text and offsets change, so its body is rebuilt
        article = prepare(boilerplate.strip_paragraphs(restore(prepared), learned))
    verdict = state.dedup.decide(article, article.fingerprint, state.policy)
    if verdict.is_duplicate:
        return [OutRecord("duplicates", article.article_id, duplicate_record(article, verdict))]
    article_id = article.article_id
    folded = state.events.report(article_id, article.published_at, article.match_results,
                                 article.quotes)
    retired = _unique(old for u in folded.matches for old in u.retired)
    match_events = _last_per_id(u.event for u in folded.matches)
    quote_events = _last_per_id(folded.quotes)
    records = [OutRecord("enriched", article_id, enriched_record(
        article, _unique(e.event_id for e in match_events),
        _unique(e.event_id for e in quote_events)))]
    # A provisional (undated) event folded into a dated one: tombstone on the compacted topic.
    records += [OutRecord("match_results", old, None) for old in retired
                if old not in {e.event_id for e in match_events}]
    records += [OutRecord("match_results", e.event_id, match_event_value(e)) for e in match_events]
    records += [OutRecord("quotes", e.event_id, quote_event_value(e)) for e in quote_events]
    if not verdict.seen_before:
        # Counted on the paragraphs as they arrived, learned ones included.
        state.learning.count_short(article_id, prepared.source, prepared.published_at,
                                   prepared.short_paragraphs)
    state.dedup.remember(article, article.fingerprint, verdict, state.policy)
    return records


def _unique(ids: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(ids))


E = TypeVar("E", MatchEvent, QuoteEvent)


def _last_per_id(folded: Iterable[E]) -> list[E]:
    """An article telling the same match twice publishes its event once, latest state."""
    latest: dict[str, E] = {}
    for event in folded:
        latest.pop(event.event_id, None)
        latest[event.event_id] = event
    return list(latest.values())
