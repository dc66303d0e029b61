"""Dedup and event folding on plain dicts: the same code the worker runs on Faust tables."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from stream.core import dedup, events
from stream.core.dedup.minhash import signature
from stream.core.ids import article_id, content_hash
from stream.core.models import CleanArticle, MatchResult, Quote, Ref, Verdict


def _article(body: str, url: str, text: str | None = None) -> CleanArticle:
    return CleanArticle(article_id=article_id("src", url, body), source="src", url=url,
                        title=None, text=text or body, published_at=None, language="en",
                        content_hash=content_hash(text or body))


def _see(article: CleanArticle, memory: dict[str, str]) -> Verdict:
    sig = signature(article.text)
    verdict = dedup.decide(article, sig, memory)
    dedup.remember(article, sig, verdict, memory)
    return verdict


def test_same_text_under_another_url_is_an_exact_duplicate_of_the_first() -> None:
    memory: dict[str, str] = {}
    first, second = _article("story", "u1"), _article("story", "u2")
    assert not _see(first, memory).is_duplicate
    again = _see(second, memory)
    assert again.duplicate_of == first.article_id and again.kind == "exact"


def test_the_owner_passing_again_is_itself_not_its_duplicate() -> None:
    memory: dict[str, str] = {}
    first = _article("story", "u1")
    _see(first, memory)
    replay = _see(first, memory)
    assert replay.seen_before and not replay.is_duplicate


STORY = " ".join(
    f"Paragraph {i}: the harbour club announced a new training ground plan number {i}, "
    f"with the council expected to decide on permit {i * 7} before the winter break."
    for i in range(12))
OTHER = " ".join(
    f"Item {i}: a rival side from the valley reported record ticket sales of {i * 311} "
    f"seats after their cup run took them to round {i}."
    for i in range(12))


def test_a_lightly_edited_copy_is_a_near_duplicate_and_another_story_is_not() -> None:
    memory: dict[str, str] = {}
    original = _article(STORY, "u1")
    _see(original, memory)
    edited = STORY.replace("announced", "revealed").replace("Paragraph 3:", "")
    copy = _see(_article(edited, "u2"), memory)
    assert copy.kind == "near" and copy.duplicate_of == original.article_id
    assert 0.5 <= copy.similarity < 1.0
    assert not _see(_article(OTHER, "u3"), memory).is_duplicate


def test_a_shortened_copy_is_caught_by_containment() -> None:
    memory: dict[str, str] = {}
    original = _article(STORY, "u1")
    _see(original, memory)
    half = STORY[: len(STORY) // 2]
    verdict = _see(_article(half, "u2"), memory)
    assert verdict.kind == "near" and verdict.duplicate_of == original.article_id


ARSENAL, CHELSEA = Ref("Arsenal", "club:arsenal"), Ref("Chelsea", "club:chelsea")


def _result(day: date | None) -> MatchResult:
    return MatchResult(home=ARSENAL, away=CHELSEA, home_goals=2, away_goals=1, competition=None,
                       date=day, venue=None, span=(0, 10))


def test_one_match_reported_twice_is_one_event_with_both_articles() -> None:
    memory: dict[str, Any] = {}
    one = events.merge_match(_result(date(2025, 11, 8)), "art_1", memory).event
    two = events.merge_match(_result(date(2025, 11, 8)), "art_2", memory).event
    again = events.merge_match(_result(date(2025, 11, 8)), "art_2", memory).event
    assert one.event_id == two.event_id == again.event_id
    assert two.article_ids == ("art_1", "art_2") == again.article_ids


def test_orientation_does_not_split_an_event() -> None:
    memory: dict[str, Any] = {}
    one = events.merge_match(_result(date(2025, 11, 8)), "art_1", memory).event
    flipped = MatchResult(home=CHELSEA, away=ARSENAL, home_goals=1, away_goals=2, competition=None,
                          date=date(2025, 11, 8), venue=None, span=(0, 1))
    two = events.merge_match(flipped, "art_2", memory).event
    assert two.event_id == one.event_id and (two.home, two.home_goals) == (ARSENAL, 2)


def test_a_dated_report_absorbs_the_undated_one_of_the_same_week() -> None:
    memory: dict[str, Any] = {}
    published = datetime(2025, 11, 9, 18, tzinfo=UTC)
    undated = events.merge_match(_result(None), "art_1", memory, published)
    also_undated = events.merge_match(_result(None), "art_2", memory, published)
    assert also_undated.event.event_id == undated.event.event_id
    dated = events.merge_match(_result(date(2025, 11, 8)), "art_3", memory, published)
    assert dated.retired == (undated.event.event_id,)
    assert dated.event.article_ids == ("art_1", "art_2", "art_3")
    assert dated.event.date == date(2025, 11, 8)
    later = events.merge_match(_result(None), "art_4", memory, published)
    assert later.event.event_id == dated.event.event_id


def test_the_same_teams_a_month_apart_are_two_matches() -> None:
    memory: dict[str, Any] = {}
    first = events.merge_match(_result(None), "art_1", memory, datetime(2025, 9, 1, tzinfo=UTC))
    second = events.merge_match(_result(None), "art_2", memory, datetime(2025, 10, 20, tzinfo=UTC))
    assert first.event.event_id != second.event.event_id


def test_quotes_fold_typography_into_one_event() -> None:
    memory: dict[str, Any] = {}
    speaker = Ref("Ana Duarte", "person:ana-duarte")
    a = events.merge_quote(Quote(speaker, "It\u2019s a great day", (0, 1)), "art_1", memory)
    b = events.merge_quote(Quote(speaker, "It's a great day", (0, 1)), "art_2", memory)
    assert a.event_id == b.event_id and b.article_ids == ("art_1", "art_2")


def _dated(body: str, url: str, day: str) -> CleanArticle:
    article = _article(body, url)
    return CleanArticle(**{**{f: getattr(article, f) for f in article.__slots__},  # type: ignore[attr-defined]
                           "published_at": datetime.fromisoformat(day + "T12:00:00+00:00")})


def test_memory_forgets_what_falls_out_of_the_window() -> None:
    memory: dict[str, str] = {}
    policy = dedup.NearPolicy(window_days=30)
    old = _dated(STORY, "u1", "2025-01-01")
    for article in (old, _dated(OTHER, "u2", "2025-01-20")):
        sig = signature(article.text)
        dedup.remember(article, sig, dedup.decide(article, sig, memory, policy), memory, policy)
    assert f"a:{old.article_id}" in memory
    newer = _dated("A different story entirely, with nothing in common at all here.", "u3",
                   "2025-02-15")
    sig = signature(newer.text)
    dedup.remember(newer, sig, dedup.decide(newer, sig, memory, policy), memory, policy)
    assert f"a:{old.article_id}" not in memory
    assert all(k[:2] == "a:" for k in memory), "one key per unique article is stored"
    assert sorted(k for k in memory if k.startswith("a:")) == sorted(
        f"a:{a}" for a in (_dated(OTHER, "u2", "2025-01-20").article_id, newer.article_id))
    rebuilt = dedup.DedupState(memory).index
    assert sorted(rebuilt.days) == ["2025-01-20", "2025-02-15"]
    assert old.article_id not in rebuilt.rows.row_of
    assert all(rebuilt.rows.article_at[row] in rebuilt.stored
               for rows in rebuilt.buckets.values() for row in rows)
    # the same text again, now outside the window, is news again
    again = _dated(STORY, "u4", "2025-02-16")
    assert not dedup.decide(again, signature(again.text), memory, policy).is_duplicate


def test_a_rebuilt_index_decides_like_the_live_one() -> None:
    memory: dict[str, str] = {}
    live = dedup.DedupState(memory)
    original = _article(STORY, "u1")
    for article in (original, _article(OTHER, "u2")):
        sig = signature(article.text)
        live.remember(article, sig, live.decide(article, sig))
    copy = _article(STORY.replace("announced", "unveiled"), "u3")
    sig = signature(copy.text)
    restarted = dedup.DedupState(dict(memory))  # a new process with the recovered table
    assert restarted.decide(copy, sig) == live.decide(copy, sig)
    assert restarted.decide(copy, sig).duplicate_of == original.article_id


def _story(n: int) -> str:
    words = [f"w{n}x{k}" for k in range(60)]
    return " ".join(words) + "."


def test_rows_freed_by_forgotten_articles_are_reused_without_mixing_owners() -> None:
    state = dedup.DedupState({})
    policy = dedup.NearPolicy(window_days=30)
    for n in range(100):  # more than one allocation of rows, over two months
        day = f"2025-01-{1 + n % 28:02d}" if n < 70 else f"2025-03-{1 + n % 28:02d}"
        article = _dated(_story(n), f"u{n}", day)
        sig = signature(article.text)
        state.remember(article, sig, state.decide(article, sig, policy), policy)
    rows = state.index.rows
    assert len(rows.row_of) == len(state.index.stored) < 100  # January was forgotten
    assert len(rows.article_at) <= 100
    for n in (75, 99):
        edited = _dated(_story(n).replace(f"w{n}x5 ", f"changed{n} "), f"copy{n}", "2025-03-28")
        sig = signature(edited.text)
        verdict = state.decide(edited, sig, policy)
        assert verdict.kind == "near"
        assert verdict.duplicate_of == _dated(_story(n), f"u{n}", "2025-03-01").article_id
