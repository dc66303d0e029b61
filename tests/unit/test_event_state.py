"""The events fold kept in process and derived from one memory entry per reporting article."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from stream.core.events import EventState, Folded
from stream.core.models import MatchResult, Quote, Ref

HOME, AWAY = Ref("Dunmore Rovers", "club:dunmore-rovers"), Ref("Kelso Athletic", "club:kelso")
CUP = Ref("Border Cup", "competition:border-cup")
SPEAKER = Ref("Mara Quint", "person:mara-quint")
START = datetime(2025, 3, 1, 19, tzinfo=UTC)


def _result(day: date | None, home_goals: int = 2, away_goals: int = 0,
            flipped: bool = False) -> MatchResult:
    home, away = (AWAY, HOME) if flipped else (HOME, AWAY)
    goals = (away_goals, home_goals) if flipped else (home_goals, away_goals)
    return MatchResult(home=home, away=away, home_goals=goals[0], away_goals=goals[1],
                       competition=CUP if day else None, date=day, venue=None, span=(3, 9))


def _quote(text: str) -> Quote:
    return Quote(SPEAKER, text, (0, len(text)))


def _reports(days: int = 6) -> list[tuple[str, datetime, list[MatchResult], list[Quote]]]:
    """Undated reports, a dated one absorbing them, a flipped one, quotes, a day apiece."""
    reports = []
    for day in range(days):
        published = START + timedelta(days=day)
        matches = [_result(None)] if day % 3 == 0 else [_result(published.date(), flipped=True)]
        if day % 2:
            matches.append(_result(None, 1, 1))
        quotes = [_quote("We kept going"), _quote(f"Day {day % 2} was hard")]
        reports.append((f"art_{day}", published, matches, quotes))
    return reports


def _replay(state: EventState, reports: list[tuple[str, datetime, list[MatchResult],
                                                    list[Quote]]]) -> list[Folded]:
    return [state.report(article, published, matches, quotes)
            for article, published, matches, quotes in reports]


def test_one_entry_per_reporting_article_however_many_events_it_touches() -> None:
    memory: dict[str, Any] = {}
    state = EventState(memory)
    _replay(state, _reports())
    state.report("art_silent", START, [], [])
    assert sorted(memory) == [f"e:art_{day}" for day in range(6)]
    assert any(len(entry["matches"]) + len(entry["quotes"]) > 2 for entry in memory.values())


def test_a_restarted_fold_is_the_live_one() -> None:
    memory: dict[str, Any] = {}
    live = EventState(memory)
    _replay(live, _reports())
    # A table hands its entries back in key order, not arrival order.
    restarted = EventState(dict(sorted(memory.items(), reverse=True)))
    assert restarted.events == live.events
    # and both go on deciding alike
    later = ("art_late", START + timedelta(days=6), [_result(None)], [_quote("We kept going")])
    assert _replay(restarted, [later]) == _replay(live, [later])


def test_a_redelivered_article_gets_its_events_and_changes_nothing() -> None:
    memory: dict[str, Any] = {}
    state = EventState(memory)
    first = _replay(state, _reports())
    before, entries = dict(state.events), dict(memory)
    again = _replay(state, _reports()[-1:])
    assert state.events == before and memory == entries
    assert [u.event for u in again[0].matches] == [u.event for u in first[-1].matches]
    assert [q.article_ids for q in again[0].quotes] == [q.article_ids for q in first[-1].quotes]


def test_reports_of_one_match_share_its_event_and_the_undated_are_absorbed() -> None:
    state = EventState({})
    folded = _replay(state, _reports(2))
    undated, dated = folded[0].matches[0], folded[1].matches[0]
    assert dated.retired == (undated.event.event_id,)
    assert dated.event.article_ids == ("art_0", "art_1")
    assert (dated.event.home, dated.event.home_goals) == (HOME, 2)  # the first report's way
    assert folded[1].quotes[0].article_ids == ("art_0", "art_1")


def test_articles_leave_the_window_with_their_reports() -> None:
    memory: dict[str, Any] = {}
    state = EventState(memory, window_days=3)
    _replay(state, _reports(3))
    quote = _quote("We kept going")
    late = state.report("art_late", START + timedelta(days=10), [], [quote])
    assert late.quotes[0].article_ids == ("art_0", "art_1", "art_2", "art_late")
    assert sorted(memory) == ["e:art_late"]  # the others are more than 3 days behind
    after = state.report("art_next", START + timedelta(days=10), [], [quote])
    assert after.quotes[0].article_ids == ("art_late", "art_next")
    assert EventState(dict(memory), window_days=3).events == state.events


def test_an_article_older_than_the_window_is_published_but_not_remembered() -> None:
    memory: dict[str, Any] = {}
    state = EventState(memory, window_days=3)
    state.report("art_now", START + timedelta(days=20), [], [_quote("We kept going")])
    old = state.report("art_old", START, [], [_quote("We kept going")])
    assert old.quotes[0].article_ids == ("art_now", "art_old")
    assert sorted(memory) == ["e:art_now"]
    assert state.events["q:" + old.quotes[0].event_id]["article_ids"] == ["art_now"]


def test_keys_of_the_layout_that_stored_the_fold_are_dropped() -> None:
    memory: dict[str, Any] = {"m:old": {"article_ids": ["a"]}, "mt:x|y": [], "q:old": {}}
    EventState(memory).report("art_0", START, [], [_quote("We kept going")])
    assert sorted(memory) == ["e:art_0"]


def test_an_entry_this_version_cannot_read_is_dropped_and_the_rest_folded() -> None:
    memory: dict[str, Any] = {}
    EventState(memory).report("art_0", START, [_result(None)], [_quote("We kept going")])
    memory["e:art_odd"] = {"n": 5, "day": "2025-03-01", "anchor": None,
                           "matches": [[["x"], ["y"], 1, 0, None, None, None, [0, 1]]],
                           "quotes": []}
    later = EventState(memory).report("art_1", START, [], [_quote("We kept going")])
    assert later.quotes[0].article_ids == ("art_0", "art_1")
    assert sorted(memory) == ["e:art_0", "e:art_1"]
