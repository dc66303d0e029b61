"""The pipeline as two pure steps, shared verbatim by the worker and batch mode.

``analyse`` (clean + extract) depends only on the article, so it runs on any partition in
parallel. ``publish`` (dedup + events) needs to see every article, so the worker funnels
analysed articles through a single-partition topic to it; its memory is passed in.
"""

from __future__ import annotations

from collections.abc import Iterable, MutableMapping
from typing import Any, Protocol, TypeVar

from stream.core import boilerplate, dedup, events
from stream.core.clean import clean_article
from stream.core.dedup.minhash import signature
from stream.core.models import (
    AnalysedArticle,
    CleanArticle,
    Extraction,
    MatchEvent,
    OutRecord,
    QuoteEvent,
    RawArticle,
)
from stream.core.records import (
    duplicate_value,
    enriched_value,
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
    """Everything the publish step remembers: the durable memories passed in (a Faust
    table each in the worker, dicts in batch mode) and the indexes derived from them.

    ``invalidate`` after anything may have changed the memories behind this process's
    back (a rebalance); the indexes are rebuilt from the memories on next use.
    """

    def __init__(self, dedup_memory: dedup.Memory, event_memory: MutableMapping[str, Any],
                 policy: dedup.NearPolicy = dedup.DEFAULT_POLICY) -> None:
        self.dedup = dedup.DedupState(dedup_memory)
        self.learning = boilerplate.LearningState(dedup_memory)
        self.events = event_memory
        self.policy = policy

    def invalidate(self) -> None:
        self.dedup.invalidate()
        self.learning.invalidate()


def publish(analysed: AnalysedArticle, state: PublishState) -> list[OutRecord]:
    """Strip learned boilerplate, decide unique or duplicate, fold events, and say what
    to publish, in order."""
    original_text = analysed.article.text
    learned = state.learning.learned_indices(analysed)
    if learned:
        analysed = boilerplate.strip_paragraphs(analysed, learned)
    article, extraction = analysed.article, analysed.extraction
    event_memory = state.events
    verdict = state.dedup.decide(article, analysed.fingerprint, state.policy)
    if verdict.is_duplicate:
        value = duplicate_value(article, extraction.entities, verdict)
        return [OutRecord("duplicates", article.article_id, value)]
    updates = [events.merge_match(m, article.article_id, event_memory, article.published_at)
               for m in extraction.match_results]
    retired = _unique(old for u in updates for old in u.retired)
    match_events = _last_per_id(u.event for u in updates)
    quote_events = _last_per_id(events.merge_quote(q, article.article_id, event_memory)
                                for q in extraction.quotes)
    records = [OutRecord("enriched", article.article_id, enriched_value(
        article, extraction.entities,
        _unique(e.event_id for e in match_events), _unique(e.event_id for e in quote_events)))]
    # A provisional (undated) event folded into a dated one: tombstone on the compacted topic.
    records += [OutRecord("match_results", old, None) for old in retired
                if old not in {e.event_id for e in match_events}]
    records += [OutRecord("match_results", e.event_id, match_event_value(e)) for e in match_events]
    records += [OutRecord("quotes", e.event_id, quote_event_value(e)) for e in quote_events]
    if not verdict.seen_before:
        state.learning.count(analysed, original_text)
    state.dedup.remember(article, analysed.fingerprint, verdict, state.policy)
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
