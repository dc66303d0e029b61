"""Output records as plain JSON-ready mappings, in the shape of the schemas in ``schemas/``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from stream import PIPELINE_VERSION
from stream.core.models import (
    CleanArticle,
    Entity,
    MatchEvent,
    QuoteEvent,
    Ref,
    Verdict,
)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _ref(ref: Ref | None) -> dict[str, str] | None:
    return None if ref is None else {"name": ref.name, "id": ref.id}


def _entity(entity: Entity) -> dict[str, Any]:
    return {"type": entity.type, "name": entity.name, "id": entity.id,
            "mentions": [list(span) for span in entity.mentions]}


def article_fields(article: CleanArticle, entities: tuple[Entity, ...]) -> dict[str, Any]:
    return {
        "article_id": article.article_id,
        "source": article.source,
        "url": article.url,
        "title": article.title,
        "text": article.text,
        "published_at": _iso(article.published_at),
        "language": article.language,
        "content_hash": article.content_hash,
        "entities": [_entity(e) for e in entities],
        "pipeline_version": PIPELINE_VERSION,
    }


def enriched_value(article: CleanArticle, entities: tuple[Entity, ...],
                   match_event_ids: list[str], quote_event_ids: list[str]) -> dict[str, Any]:
    value = article_fields(article, entities)
    value["match_event_ids"] = match_event_ids
    value["quote_event_ids"] = quote_event_ids
    return value


def duplicate_value(article: CleanArticle, entities: tuple[Entity, ...],
                    verdict: Verdict) -> dict[str, Any]:
    value = article_fields(article, entities)
    value["duplicate_of"] = verdict.duplicate_of
    value["kind"] = verdict.kind
    value["similarity"] = round(verdict.similarity, 4)
    return value


def match_event_value(event: MatchEvent) -> dict[str, Any]:
    return {
        "event_id": event.event_id,
        "home": _ref(event.home),
        "away": _ref(event.away),
        "home_goals": event.home_goals,
        "away_goals": event.away_goals,
        "competition": _ref(event.competition),
        "date": event.date.isoformat() if event.date else None,
        "venue": _ref(event.venue),
        "article_ids": list(event.article_ids),
        "pipeline_version": PIPELINE_VERSION,
    }


def quote_event_value(event: QuoteEvent) -> dict[str, Any]:
    return {
        "event_id": event.event_id,
        "speaker": _ref(event.speaker),
        "text": event.text,
        "article_ids": list(event.article_ids),
        "pipeline_version": PIPELINE_VERSION,
    }
