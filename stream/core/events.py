"""Events: one record per real match and per quote, however many articles report it.

A match's id comes from its two teams (in sorted order, so an article that has home and
away the other way round still lands on the same event) and its date. Reports without a
date join the event of the same teams and score reported within a few days; when no such
event exists they get a provisional id anchored on the publication day. A later report
that knows the date supersedes the provisional event: the merged event is published
under the dated id and the provisional id is retired (``retired`` lists it, so the
wiring can publish a tombstone on the compacted topic).

The event is re-published whenever an article reports it, so a compacted topic keyed by
``event_id`` always holds the latest state, and a replay re-publishes the same state.

Memory. :func:`merge_match` and :func:`merge_quote` fold reports into any mapping.
:class:`EventState` keeps that fold in process and stores only what it is derived from,
because every write to a Faust table is a changelog message: one key per unique article
that reports anything, however many events it touches (in the worker, one part of that
article's journal entry, ``stream/core/journal.py``),

``e:<article_id>`` -> ``{"n": sequence, "day": day, "anchor": publication day,
"matches": [...], "quotes": [event ids]}``,

and rebuilds the fold by replaying those entries in arrival order after a restart or a
rebalance. Like dedup, it remembers a window of publication days: articles more than
``window_days`` behind the latest day are forgotten, and an event keeps the reports of
the window.
"""

from __future__ import annotations

from collections import ChainMap, defaultdict
from collections.abc import Iterable, MutableMapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from stream.core.clean.normalize import fold_for_matching
from stream.core.derived import Derived
from stream.core.ids import match_event_id, quote_event_id
from stream.core.models import MatchEvent, MatchResult, Quote, QuoteEvent
from stream.core.records import match_data, match_from, ref_data, ref_from

EventMemory = MutableMapping[str, Any]
_LEGACY_PREFIXES = ("m:", "mt:", "q:")
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
    return _merge_match(result, article_id, memory, published_at.date() if published_at else None)


def _merge_match(result: MatchResult, article_id: str, memory: EventMemory,
                 anchor: date | None) -> MatchUpdate:
    pair = _pair_key(result)
    index: list[dict[str, Any]] = list(memory.get(f"mt:{pair}") or [])
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
        home=ref_from(base["home"]) or result.home, away=ref_from(base["away"]) or result.away,
        home_goals=base["home_goals"], away_goals=base["away_goals"],
        competition=ref_from(base["competition"]) or result.competition,
        date=result.date or (date.fromisoformat(base["date"]) if base["date"] else None),
        venue=ref_from(base["venue"]) or result.venue,
        article_ids=article_ids,
    )


def _state(event: MatchEvent) -> dict[str, Any]:
    return {
        "home": ref_data(event.home), "away": ref_data(event.away),
        "home_goals": event.home_goals, "away_goals": event.away_goals,
        "competition": ref_data(event.competition), "venue": ref_data(event.venue),
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
    event_id = quote_id(quote)
    return QuoteEvent(event_id=event_id, speaker=quote.speaker, text=quote.text,
                      article_ids=_fold_quote(event_id, article_id, memory))


def quote_id(quote: Quote) -> str:
    return quote_event_id(quote.speaker.id, fold_for_matching(quote.text))


def _fold_quote(event_id: str, article_id: str, memory: EventMemory) -> tuple[str, ...]:
    stored = memory.get(f"q:{event_id}")
    existing = list(stored["article_ids"]) if stored else []
    article_ids = tuple(existing) if article_id in existing else (*existing, article_id)
    memory[f"q:{event_id}"] = {"article_ids": list(article_ids)}
    return article_ids


# ------------------------------------------------------------------ derived memory


@dataclass(frozen=True, slots=True)
class Folded:
    """One article's reports folded into events: what the publish step sends."""

    matches: list[MatchUpdate]
    quotes: list[QuoteEvent]


@dataclass(frozen=True, slots=True)
class _Entry:
    """What one article contributed: enough to fold it again after a restart."""

    sequence: int
    day: str
    anchor: date | None
    matches: tuple[MatchResult, ...]
    quote_ids: tuple[str, ...]

    def pack(self) -> dict[str, Any]:
        return {"n": self.sequence, "day": self.day,
                "anchor": self.anchor.isoformat() if self.anchor else None,
                "matches": [match_data(m) for m in self.matches],
                "quotes": list(self.quote_ids)}

    @staticmethod
    def read(value: Any) -> _Entry | None:
        """The entry, or None when ``value`` is not one this version wrote."""
        try:
            return _Entry(sequence=int(value["n"]), day=str(value["day"]),
                          anchor=date.fromisoformat(value["anchor"]) if value["anchor"] else None,
                          matches=tuple(match_from(m) for m in value["matches"]),
                          quote_ids=tuple(str(q) for q in value["quotes"]))
        except (KeyError, IndexError, TypeError, ValueError):
            return None


@dataclass
class _Fold:
    """The events as derived from the entries, and the bookkeeping of the window."""

    events: dict[str, Any] = field(default_factory=dict)
    days: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    articles: set[str] = field(default_factory=set)
    watermark: str = ""
    next_sequence: int = 0

    def add(self, article_id: str, entry: _Entry) -> None:
        for result in entry.matches:
            _merge_match(result, article_id, self.events, entry.anchor)
        for event_id in entry.quote_ids:
            _fold_quote(event_id, article_id, self.events)
        self.note(article_id, entry)

    def note(self, article_id: str, entry: _Entry) -> None:
        self.articles.add(article_id)
        self.days[entry.day].append(article_id)
        self.watermark = max(self.watermark, entry.day)
        self.next_sequence = max(self.next_sequence, entry.sequence + 1)


class EventState:
    """The events fold kept in process, derived from the ``e:`` entries in ``memory``
    (a Faust table in the worker, a dict in batch mode); see the module docstring.

    Replaying the entries in arrival order gives exactly the fold the live process has,
    so a restarted or rebalanced worker decides as the original would have.
    """

    def __init__(self, memory: EventMemory, window_days: int = 30) -> None:
        self.memory = memory
        self.window_days = window_days
        self._fold = Derived(self._rebuild)

    def invalidate(self) -> None:
        """The memory may have changed behind our back (rebalance): rebuild on next use."""
        self._fold.invalidate()

    @property
    def fold(self) -> _Fold:
        return self._fold.get()

    def _rebuild(self) -> _Fold:
        fold = _Fold()
        entries: list[tuple[str, _Entry]] = []
        dropped: list[str] = []
        for key, value in self.memory.items():
            if key.startswith("e:"):
                entry = _Entry.read(value)
                if entry is None:
                    dropped.append(key)
                else:
                    entries.append((key[2:], entry))
            elif key.startswith(_LEGACY_PREFIXES):
                dropped.append(key)
        # An entry this version cannot read, or a key of the earlier layout (which stored
        # the fold itself): one article's reports are lost rather than every later
        # article failing on the same rebuild.
        for key in dropped:
            del self.memory[key]
        for article_id, entry in sorted(entries, key=lambda item: item[1].sequence):
            fold.add(article_id, entry)
        return fold

    @property
    def events(self) -> dict[str, Any]:
        """The folded events (``m:``, ``mt:`` and ``q:`` keys, as :func:`merge_match`
        and :func:`merge_quote` write them)."""
        return self.fold.events

    def report(self, article_id: str, published_at: datetime | None,
               matches: Sequence[MatchResult], quotes: Sequence[Quote]) -> Folded:
        """Fold one article's match results and quotes into their events.

        An article folded already (redelivered, replayed) is folded into a scratch layer
        instead: its events come out as they are now, and the fold is left as it was.
        """
        if not matches and not quotes:
            return Folded([], [])
        fold = self.fold
        known = article_id in fold.articles or self._too_old(published_at, fold)
        layer: EventMemory = ChainMap({}, fold.events) if known else fold.events
        updates = [merge_match(m, article_id, layer, published_at) for m in matches]
        quote_events = [merge_quote(q, article_id, layer) for q in quotes]
        if not known:
            self._remember(article_id, published_at, matches, quote_events)
        return Folded(updates, quote_events)

    def _too_old(self, published_at: datetime | None, fold: _Fold) -> bool:
        """Already behind the window when it arrives: folded, but not remembered."""
        if published_at is None or not fold.watermark:
            return False
        newest = date.fromisoformat(fold.watermark)
        return (newest - published_at.date()).days > self.window_days

    def _remember(self, article_id: str, published_at: datetime | None,
                  matches: Sequence[MatchResult], quote_events: Iterable[QuoteEvent]) -> None:
        fold = self.fold
        day = (published_at.date().isoformat() if published_at else "") or fold.watermark
        entry = _Entry(fold.next_sequence, day, published_at.date() if published_at else None,
                       tuple(matches), tuple(dict.fromkeys(q.event_id for q in quote_events)))
        self.memory[f"e:{article_id}"] = entry.pack()
        before = fold.watermark
        fold.note(article_id, entry)
        if before and fold.watermark != before:
            self._expire(fold)

    def _expire(self, fold: _Fold) -> None:
        """Forget the articles that left the window; the fold is rebuilt without them."""
        newest = date.fromisoformat(fold.watermark)
        old = [d for d in fold.days
               if d and (newest - date.fromisoformat(d)).days > self.window_days]
        for day in old:
            for article_id in fold.days.pop(day):
                self.memory.pop(f"e:{article_id}", None)
        if old:
            self._fold.invalidate()

