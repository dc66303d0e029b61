"""Events: one record per real match and per quote, however many articles report it.

Event state lives in memory passed in (``MutableMapping[str, bytes-able JSON dict]``); the
event is re-published whenever an article reports it, so a compacted topic keyed by
``event_id`` always holds the latest state and a replay re-publishes the same state.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from stream.core.clean.normalize import fold_for_matching
from stream.core.ids import match_event_id, quote_event_id
from stream.core.models import MatchEvent, MatchResult, Quote, QuoteEvent, Ref

EventMemory = MutableMapping[str, Any]


def match_key(result: MatchResult) -> str:
    day = result.date.isoformat() if result.date else None
    return match_event_id(result.home.id, result.away.id, day)


def merge_match(result: MatchResult, article_id: str, memory: EventMemory) -> MatchEvent:
    """Fold one article's report of a match into the event it belongs to."""
    event_id = match_key(result)
    stored = memory.get(f"m:{event_id}")
    article_ids = _grow(stored["article_ids"] if stored else [], article_id)
    event = MatchEvent(
        event_id=event_id, home=result.home, away=result.away,
        home_goals=result.home_goals, away_goals=result.away_goals,
        competition=result.competition or _ref_or_none(stored, "competition"),
        date=result.date, venue=result.venue or _ref_or_none(stored, "venue"),
        article_ids=article_ids,
    )
    memory[f"m:{event_id}"] = {
        "article_ids": list(article_ids),
        "competition": _ref_dict(event.competition),
        "venue": _ref_dict(event.venue),
    }
    return event


def merge_quote(quote: Quote, article_id: str, memory: EventMemory) -> QuoteEvent:
    event_id = quote_event_id(quote.speaker.id, fold_for_matching(quote.text))
    stored = memory.get(f"q:{event_id}")
    article_ids = _grow(stored["article_ids"] if stored else [], article_id)
    memory[f"q:{event_id}"] = {"article_ids": list(article_ids)}
    return QuoteEvent(event_id=event_id, speaker=quote.speaker, text=quote.text,
                      article_ids=article_ids)


def _grow(existing: list[str], article_id: str) -> tuple[str, ...]:
    return tuple(existing) if article_id in existing else (*existing, article_id)


def _ref_or_none(stored: dict[str, Any] | None, name: str) -> Ref | None:
    if not stored or not stored.get(name):
        return None
    return Ref(name=stored[name]["name"], id=stored[name]["id"])


def _ref_dict(ref: Ref | None) -> dict[str, str] | None:
    return None if ref is None else {"name": ref.name, "id": ref.id}
