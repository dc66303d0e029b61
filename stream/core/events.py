"""Events: one record per real match and per quote, however many articles report it.

A match's id comes from its two teams (in sorted order, so an article that has home and
away the other way round still lands on the same event) and its date. Reports without a
date join the event of the same teams and score reported within a few days; when no such
event exists they get a provisional id anchored on the publication day. A later report
that knows the date supersedes the provisional event: the merged event is published
under the dated id and the provisional id is retired (``retired`` lists it, so the
wiring can publish a tombstone on the compacted topic).

Event state lives in memory passed in (a dict, or a Faust table in the worker); the event
is re-published whenever an article reports it, so a compacted topic keyed by
``event_id`` always holds the latest state, and a replay re-publishes the same state.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from stream.core.clean.normalize import fold_for_matching
from stream.core.ids import match_event_id, quote_event_id
from stream.core.models import MatchEvent, MatchResult, Quote, QuoteEvent, Ref

EventMemory = MutableMapping[str, Any]
#: An undated report joins an event of the same teams and score this close in time.
UNDATED_MATCH_DAYS = 7


@dataclass(frozen=True, slots=True)
class MatchUpdate:
    event: MatchEvent
    #: Provisional event ids folded into ``event`` (to be tombstoned downstream).
    retired: tuple[str, ...] = ()


def _pair_key(result: MatchResult) -> str:
    return "|".join(sorted((result.home.id, result.away.id)))


def merge_match(result: MatchResult, article_id: str, memory: EventMemory,
                published_at: datetime | None = None) -> MatchUpdate:
    """Fold one article's report of a match into the event it belongs to."""
    pair = _pair_key(result)
    index: list[dict[str, Any]] = list(memory.get(f"mt:{pair}") or [])
    anchor = published_at.date() if published_at else None
    event_id, retired = _resolve_id(result, pair, index, anchor)
    stored = memory.get(f"m:{event_id}")
    merged_from = [memory.get(f"m:{old}") for old in retired]
    article_ids: list[str] = []
    for previous in [*merged_from, stored]:
        if previous:
            article_ids.extend(a for a in previous["article_ids"] if a not in article_ids)
    if article_id not in article_ids:
        article_ids.append(article_id)
    event = _event(event_id, result, stored, merged_from, tuple(article_ids))
    memory[f"m:{event_id}"] = _state(event)
    for old in retired:
        memory.pop(f"m:{old}", None)
    memory[f"mt:{pair}"] = _reindex(index, event, retired, anchor)
    return MatchUpdate(event=event, retired=tuple(retired))


def _resolve_id(result: MatchResult, pair: str, index: list[dict[str, Any]],
                anchor: date | None) -> tuple[str, list[str]]:
    home_id, away_id = pair.split("|")
    score = sorted((result.home_goals, result.away_goals))
    if result.date is not None:
        event_id = match_event_id(home_id, away_id, result.date.isoformat())
        retired = [e["id"] for e in index if e["date"] is None and e["score"] == score
                   and _near(e["anchor"], result.date) and e["id"] != event_id]
        return event_id, retired
    for entry in reversed(index):
        if entry["score"] == score and _near(entry["date"] or entry["anchor"], anchor):
            return str(entry["id"]), []
    return match_event_id(home_id, away_id, f"~{anchor.isoformat() if anchor else ''}"), []


def _near(day: str | date | None, other: str | date | None) -> bool:
    if day is None or other is None:
        return day is None and other is None
    first = date.fromisoformat(day) if isinstance(day, str) else day
    second = date.fromisoformat(other) if isinstance(other, str) else other
    return abs(first - second) <= timedelta(days=UNDATED_MATCH_DAYS)


def _event(event_id: str, result: MatchResult, stored: dict[str, Any] | None,
           merged_from: list[dict[str, Any] | None], article_ids: tuple[str, ...]) -> MatchEvent:
    """The first report fixes orientation and score; later ones fill what was unknown."""
    base = stored or next((m for m in merged_from if m), None)
    if base is None:
        return MatchEvent(event_id=event_id, home=result.home, away=result.away,
                          home_goals=result.home_goals, away_goals=result.away_goals,
                          competition=result.competition, date=result.date, venue=result.venue,
                          article_ids=article_ids)
    return MatchEvent(
        event_id=event_id,
        home=_ref(base["home"]) or result.home, away=_ref(base["away"]) or result.away,
        home_goals=base["home_goals"], away_goals=base["away_goals"],
        competition=_ref(base["competition"]) or result.competition,
        date=result.date or (date.fromisoformat(base["date"]) if base["date"] else None),
        venue=_ref(base["venue"]) or result.venue,
        article_ids=article_ids,
    )


def _state(event: MatchEvent) -> dict[str, Any]:
    return {
        "home": _ref_dict(event.home), "away": _ref_dict(event.away),
        "home_goals": event.home_goals, "away_goals": event.away_goals,
        "competition": _ref_dict(event.competition), "venue": _ref_dict(event.venue),
        "date": event.date.isoformat() if event.date else None,
        "article_ids": list(event.article_ids),
    }


def _reindex(index: list[dict[str, Any]], event: MatchEvent, retired: list[str],
             anchor: date | None) -> list[dict[str, Any]]:
    kept = [e for e in index if e["id"] not in retired and e["id"] != event.event_id]
    entry = {"id": event.event_id, "date": event.date.isoformat() if event.date else None,
             "anchor": anchor.isoformat() if anchor else None,
             "score": sorted((event.home_goals, event.away_goals))}
    return [*kept, entry][-32:]


def merge_quote(quote: Quote, article_id: str, memory: EventMemory) -> QuoteEvent:
    event_id = quote_event_id(quote.speaker.id, fold_for_matching(quote.text))
    stored = memory.get(f"q:{event_id}")
    existing = list(stored["article_ids"]) if stored else []
    article_ids = tuple(existing) if article_id in existing else (*existing, article_id)
    memory[f"q:{event_id}"] = {"article_ids": list(article_ids)}
    return QuoteEvent(event_id=event_id, speaker=quote.speaker, text=quote.text,
                      article_ids=article_ids)


def _ref(value: dict[str, str] | None) -> Ref | None:
    return None if not value else Ref(name=value["name"], id=value["id"])


def _ref_dict(ref: Ref | None) -> dict[str, str] | None:
    return None if ref is None else {"name": ref.name, "id": ref.id}
