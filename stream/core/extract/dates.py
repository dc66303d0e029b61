"""Dates in news text, resolved against the article's publication date.

Match reports rarely print a full date: they say "on Sunday", "last night" or
"December 7". Those phrases only mean a day relative to when the article was
published, so every resolver takes ``published_at`` and uses its calendar date.

Decisions (a report states results of matches already played, so ambiguity is
resolved towards the past):

* bare weekday ("on Sunday", "Sunday night's"): the most recent such weekday *on or
  before* the publication day. A Sunday article saying "on Sunday" is about today's
  match: a writer meaning the previous week would say "last Sunday".
* "last Sunday": the most recent Sunday strictly before the publication day.
* "next Sunday" / "this Sunday": the first such weekday strictly after / on or after it.
* "December 7", "7 December", "Dec. 7" without a year: the most recent such date not
  after the publication date.
* "yesterday", "last night": the day before publication (evening matches are
  reported the next morning; a same-evening report says "tonight").
* "today", "tonight", "this evening": the publication day.
* "last week", "last month", "last weekend": a span, not a day; they resolve to
  ``None`` and are never picked as a match date.
* ISO "2025-12-07" and "December 7, 2025" / "7 December 2025": as written, with or
  without a publication date.

Without a publication date only explicit full dates resolve.

The module also owns the sentence splitter the extractors share, because "the same
sentence" is what ties a date to a score.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator
from datetime import date, datetime, timedelta

_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}
_WEEKDAYS = {
    "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3,
    "friday": 4, "saturday": 5, "sunday": 6,
}

#: Capitalised only: "may" and "march" are also verbs.
_MONTH = (
    r"(?:(?:January|February|March|April|May|June|July|August|September|October|"
    r"November|December)\b|(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\b\.?)"
)
_DAY = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?\b"
_YEAR = r"(?:,?\s+(?:(?:19|20)\d{2})\b)"

_DATE_RE = re.compile(
    rf"""
    \b(?P<iso>(?P<iy>(?:19|20)\d{{2}})-(?P<im>[01]\d)-(?P<id>[0-3]\d))\b
  | (?P<md>(?P<m1>{_MONTH})\s+(?P<d1>{_DAY})(?P<y1>{_YEAR})?)
  | \b(?P<dm>(?P<d2>{_DAY})\s+(?:of\s+)?(?P<m2>{_MONTH})(?P<y2>{_YEAR})?)
  | \b(?P<wdx>(?:(?P<wmod>(?i:last|next|this))\s+)?
        (?P<wd>(?i:monday|tuesday|wednesday|thursday|friday|saturday|sunday))
        (?!\s+(?:Times|Mirror|Telegraph|Express|People|Post|World|League|Herald|Sport))
        (?:\s+(?i:night|evening|afternoon|morning))?(?:['’]s)?)\b
  | \b(?P<rel>(?i:yesterday(?:\s+(?:morning|afternoon|evening))?|last\s+night
        |today|tonight
        |this\s+(?:morning|afternoon|evening)))\b
  | \b(?P<vague>(?i:last\s+(?:week(?:end)?|month|season|year)|earlier\s+this\s+(?:week|month)
        |this\s+(?:week(?:end)?|month)))\b
    """,
    re.VERBOSE,
)

_REL_OFFSETS = {"yesterday": -1, "last": -1, "today": 0, "tonight": 0, "this": 0}

#: Words that end with "." without ending a sentence.
_ABBREVIATIONS = frozenset({
    "mr", "mrs", "ms", "dr", "st", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
    "sept", "oct", "nov", "dec", "vs", "v", "no", "jr", "sr", "prof", "gen", "mt", "ft", "fc",
    "approx", "h/t",
})
_SENTENCE_END = re.compile(r"[.!?]+[\"'”’)\]]*(?=\s+[\"'“‘(\[]?[A-Z0-9À-Þ])|\n+")
_WORD_BEFORE_DOT = re.compile(r"([\w/]+)\.$")


def resolve_date(phrase_or_context: str, published_at: datetime | None) -> date | None:
    """The day the first resolvable date expression in the text names, else ``None``.

    Takes a phrase ("on Sunday") or a whole context; vague spans ("last month") are
    skipped rather than guessed.
    """
    for _start, _end, day in _expressions(phrase_or_context, 0, len(phrase_or_context),
                                          published_at):
        if day is not None:
            return day
    return None


def find_date_near(text: str, start: int, end: int, published_at: datetime | None) -> date | None:
    """The date stated in the sentence of ``text[start:end]`` (typically a score).

    The closest expression after the span wins, then the closest before it: reports
    put the date after the result ("beat them 2-1 on Sunday") far more often than before.
    """
    lo, hi = sentence_at(text, start)
    hi = max(hi, end)
    after: date | None = None
    before: date | None = None
    for e_start, e_end, day in _expressions(text, lo, hi, published_at):
        if day is None or (e_start < end and e_end > start):
            continue
        if e_start >= end:
            after = day
            break
        before = day
    return after if after is not None else before


def sentence_spans(text: str, lo: int = 0, hi: int | None = None) -> list[tuple[int, int]]:
    """Sentence spans of ``text[lo:hi]``, whitespace-trimmed, in order.

    A paragraph break always ends a sentence; ".", "!" or "?" end one when followed by
    a capitalised word, unless the word before the dot is an abbreviation or an initial.
    """
    hi = len(text) if hi is None else hi
    spans: list[tuple[int, int]] = []
    begin = lo
    for match in _SENTENCE_END.finditer(text, lo, hi):
        if match.group(0)[0] == "." and _is_abbreviation(text, match.start()):
            continue
        _append_trimmed(text, begin, match.end(), spans)
        begin = match.end()
    _append_trimmed(text, begin, hi, spans)
    return spans


def sentence_at(text: str, pos: int) -> tuple[int, int]:
    """The sentence containing ``pos``, searched within its paragraph only."""
    lo = text.rfind("\n", 0, pos) + 1
    hi = text.find("\n", pos)
    hi = len(text) if hi < 0 else hi
    spans = sentence_spans(text, lo, hi)
    if not spans:
        return lo, hi
    index = max(bisect_right([s for s, _ in spans], pos) - 1, 0)
    return spans[index]


def _is_abbreviation(text: str, dot: int) -> bool:
    """True for "Dec." or "J." so that "Dec. 7" and initials do not split sentences."""
    word = _WORD_BEFORE_DOT.search(text, max(dot - 12, 0), dot + 1)
    if word is None:
        return False
    token = word.group(1)
    return token.lower() in _ABBREVIATIONS or (len(token) == 1 and token.isupper())


def _append_trimmed(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start < end:
        spans.append((start, end))


def _expressions(text: str, lo: int, hi: int,
                 published_at: datetime | None) -> Iterator[tuple[int, int, date | None]]:
    """Every date expression in ``text[lo:hi]`` with the day it names (or None).

    A weekday directly followed by an explicit date ("Tuesday (January 28)") yields the
    explicit date once, spanning both.
    """
    today = published_at.date() if published_at is not None else None
    pending: tuple[int, int, date | None] | None = None
    for match in _DATE_RE.finditer(text, lo, hi):
        day = _resolve_match(match, today)
        if pending is not None:
            p_start, p_end, _ = pending
            gap = text[p_end:match.start()]
            if (match.lastgroup in ("md", "dm", "iso") and len(gap) <= 3
                    and gap.strip(" ,(") == ""):
                pending = None
                yield p_start, match.end(), day
                continue
            yield pending
            pending = None
        if match.group("wd") is not None:
            pending = (match.start(), match.end(), day)
        else:
            yield match.start(), match.end(), day
    if pending is not None:
        yield pending


def _resolve_match(match: re.Match[str], today: date | None) -> date | None:
    """The day one regex match names; dispatch on which alternative matched."""
    if match.group("iso"):
        return _safe_date(int(match.group("iy")), int(match.group("im")), int(match.group("id")))
    if match.group("md") or match.group("dm"):
        month = _MONTHS[(match.group("m1") or match.group("m2"))[:3].lower()]
        day = int(re.sub(r"\D", "", match.group("d1") or match.group("d2")))
        year_text = match.group("y1") or match.group("y2")
        if year_text:
            return _safe_date(int(year_text.strip(" ,")), month, day)
        return _latest_not_after(month, day, today)
    if today is None:
        return None
    if match.group("wd"):
        return _weekday(today, _WEEKDAYS[match.group("wd").lower()], match.group("wmod"))
    if match.group("rel"):
        return today + timedelta(days=_REL_OFFSETS[match.group("rel").split()[0].lower()])
    return None


def _weekday(today: date, weekday: int, modifier: str | None) -> date:
    """Resolve a weekday name by the decisions in the module docstring."""
    back = (today.weekday() - weekday) % 7
    mod = (modifier or "").lower()
    if mod == "last":
        return today - timedelta(days=back or 7)
    if mod in ("next", "this"):
        ahead = (weekday - today.weekday()) % 7
        if mod == "next" and ahead == 0:
            ahead = 7
        return today + timedelta(days=ahead)
    return today - timedelta(days=back)


def _latest_not_after(month: int, day: int, today: date | None) -> date | None:
    """The most recent ``month``/``day`` on or before ``today`` (29 Feb looks back further)."""
    if today is None:
        return None
    for year in range(today.year, today.year - 8, -1):
        candidate = _safe_date(year, month, day)
        if candidate is not None and candidate <= today:
            return candidate
    return None


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None
