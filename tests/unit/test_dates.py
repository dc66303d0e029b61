"""Date phrases resolved against a publication date."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from stream.core.extract.dates import (
    find_date_near,
    resolve_date,
    sentence_at,
    sentence_in,
    sentence_spans,
)

#: A Thursday.
PUB = datetime(2025, 12, 11, 8, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("on Sunday", date(2025, 12, 7)),
        ("Sunday night's", date(2025, 12, 7)),
        ("Sunday night’s", date(2025, 12, 7)),
        ("on Wednesday night", date(2025, 12, 10)),
        ("on Saturday afternoon", date(2025, 12, 6)),
        ("on Friday", date(2025, 12, 5)),
        ("last Sunday", date(2025, 12, 7)),
        ("next Sunday", date(2025, 12, 14)),
        ("this Saturday", date(2025, 12, 13)),
        ("on December 7", date(2025, 12, 7)),
        ("7 December", date(2025, 12, 7)),
        ("the 7th of December", date(2025, 12, 7)),
        ("Dec. 7", date(2025, 12, 7)),
        ("Dec 7", date(2025, 12, 7)),
        ("Sept. 30", date(2025, 9, 30)),
        ("yesterday", date(2025, 12, 10)),
        ("Yesterday evening", date(2025, 12, 10)),
        ("last night", date(2025, 12, 10)),
        ("today", date(2025, 12, 11)),
        ("tonight", date(2025, 12, 11)),
        ("this evening", date(2025, 12, 11)),
        ("2025-12-07", date(2025, 12, 7)),
        ("December 7, 2025", date(2025, 12, 7)),
        ("7 December 2024", date(2024, 12, 7)),
    ],
)
def test_phrases_resolve_against_publication(phrase: str, expected: date) -> None:
    assert resolve_date(phrase, PUB) == expected


def test_same_weekday_as_publication_means_today() -> None:
    assert resolve_date("on Thursday", PUB) == date(2025, 12, 11)
    assert resolve_date("last Thursday", PUB) == date(2025, 12, 4)


def test_month_day_takes_the_latest_year_not_after_publication() -> None:
    assert resolve_date("on December 20", PUB) == date(2024, 12, 20)
    assert resolve_date("December 11", PUB) == date(2025, 12, 11)
    january = datetime(2025, 1, 29, tzinfo=UTC)
    assert resolve_date("the loss on December 7", january) == date(2024, 12, 7)


def test_leap_day_looks_back_to_a_leap_year() -> None:
    assert resolve_date("Feb 29", PUB) == date(2024, 2, 29)


def test_publication_timezone_date_is_used() -> None:
    late_sunday = datetime(2025, 12, 7, 23, 30, tzinfo=timezone(timedelta(hours=-5)))
    assert resolve_date("yesterday", late_sunday) == date(2025, 12, 6)


@pytest.mark.parametrize(
    "phrase",
    ["last month", "last week", "last weekend", "earlier this month", "this week",
     "December 2025", "in the 2024-25 season", "the Sunday Times reported", "no date here",
     "he may 2 things"],
)
def test_spans_and_non_dates_are_none(phrase: str) -> None:
    assert resolve_date(phrase, PUB) is None


def test_without_publication_only_full_dates_resolve() -> None:
    assert resolve_date("December 7, 2025", None) == date(2025, 12, 7)
    assert resolve_date("2025-12-07", None) == date(2025, 12, 7)
    assert resolve_date("on Sunday", None) is None
    assert resolve_date("7 December", None) is None
    assert resolve_date("yesterday", None) is None


def test_weekday_with_explicit_date_uses_the_date() -> None:
    assert resolve_date("on Tuesday (January 28)", PUB) == date(2025, 1, 28)
    assert resolve_date("on Wednesday, January 29", PUB) == date(2025, 1, 29)


def test_context_skips_vague_spans_for_the_first_day() -> None:
    assert resolve_date("Last month was poor, but on Sunday they won.", PUB) == date(2025, 12, 7)


def test_find_date_near_prefers_after_then_before() -> None:
    text = "On Saturday the squad trained. Yesterday they won 2-1 at home on Sunday night."
    start = text.index("2-1")
    assert find_date_near(text, start, start + 3, PUB) == date(2025, 12, 7)
    text = "Yesterday they won 2-1 at home. On Saturday they rested."
    start = text.index("2-1")
    assert find_date_near(text, start, start + 3, PUB) == date(2025, 12, 10)


def test_find_date_near_stays_in_the_sentence() -> None:
    text = "They won 2-1 in the end. On Sunday the fans celebrated."
    start = text.index("2-1")
    assert find_date_near(text, start, start + 3, PUB) is None


def test_find_date_near_ignores_vague_and_takes_next() -> None:
    text = "After a poor run last month they won 3-0 last week and 1-0 on Dec. 7 away."
    start = text.index("1-0")
    assert find_date_near(text, start, start + 3, PUB) == date(2025, 12, 7)


def test_sentences_respect_abbreviations_and_paragraphs() -> None:
    text = "It was Dec. 7 and Mr. Smith left. Then J. Doe spoke!\nNew paragraph here."
    spans = [text[s:e] for s, e in sentence_spans(text)]
    assert spans == ["It was Dec. 7 and Mr. Smith left.", "Then J. Doe spoke!",
                     "New paragraph here."]
    start, end = sentence_at(text, text.index("Doe"))
    assert text[start:end] == "Then J. Doe spoke!"


def test_a_span_right_after_the_score_blocks_a_later_day() -> None:
    text = "Glasner, whose side beat Liverpool 2-1 last month, said on Thursday he was happy."
    score = text.index("2-1")
    assert find_date_near(text, score, score + 3, PUB) is None
    text = "They beat Liverpool 2-1 on Sunday, their first win since last month."
    score = text.index("2-1")
    assert find_date_near(text, score, score + 3, PUB) == date(2025, 12, 7)


def test_sentence_look_ups_with_a_cache_match_those_without() -> None:
    text = ("Mr. Smith arrived on Dec. 7 at 3 p.m. He left! Did he? Yes.\n"
            "J. R. Doe scored. \"It was great,\" he said. (Then) 2-1 it ended...  Later.")
    cache: dict[int, tuple[int, list[int]]] = {}
    for pos in range(len(text)):
        para_lo = text.rfind("\n", 0, pos) + 1
        para_hi = text.find("\n", pos)
        para_hi = len(text) if para_hi < 0 else para_hi
        assert sentence_in(text, pos, para_lo, para_hi, cache) == sentence_at(text, pos)


def test_trigger_scan_groups_branches_without_changing_matches() -> None:
    import re

    from stream.core.extract.dates import _TRIGGER

    flat = re.compile(
        r"Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec|Mon|Tue|Wed|Thu|Fri|Sat|Sun|"
        r"yesterday|Yesterday|last|Last|today|Today|tonight|Tonight|this|This|next|Next|"
        r"earlier|Earlier|19\d\d-|20\d\d-")
    text = ("This Thursday, thistle and Thus; today tonight Tonight last Last next Nextel "
            "Janus June July Mayday Monday 2025-12-07 1999- Sunday Saturday Septembers "
            "yesterday earlier Earlier Aug Apr Oct Nov Dec Feb Fri Wed Tue")
    assert [m.span() for m in _TRIGGER.finditer(text)] == [m.span() for m in flat.finditer(text)]
