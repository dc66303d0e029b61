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
  ``None`` and are never picked as a match date. When such a span is the first date
  expression after a score, the score's date is ``None`` (a later "on Thursday" in the same
  sentence is about something else: "beat them 2-1 last month, said on Thursday").
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

#: Cheap scan for where a date expression may start; ``_AT`` then decides. Only branches
#: opening with a plain literal: one character class ("[Tt]his") makes sre try every
#: position. Branches are grouped by first letter ("T(?:ue|hu|his)"), because sre skips a
#: branch on its first literal alone, and a common letter ("t") then costs one branch, not
#: five.
_TRIGGER = re.compile(
    r"J(?:an|un|ul)|F(?:eb|ri)|M(?:ar|ay|on)|A(?:pr|ug)|S(?:ep|at|un)|Oct|Nov|Dec|"
    r"T(?:ue|hu|oday|onight|his)|Wed|yesterday|Yesterday|last|Last|t(?:oday|onight|his)|"
    r"next|Next|earlier|Earlier|19\d\d-|20\d\d-"
)
_AT = re.compile(
    rf"""
    (?P<iso>(?P<iy>(?:19|20)\d{{2}})-(?P<im>[01]\d)-(?P<id>[0-3]\d))\b
  | (?P<md>(?P<m1>{_MONTH})(?:\s+(?P<d1>{_DAY})(?P<y1>{_YEAR})?)?)
  | (?P<wdx>(?:(?P<wmod>[Ll]ast|[Nn]ext|[Tt]his)\s+)?
        (?P<wd>Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)
        (?!\s+(?:Times|Mirror|Telegraph|Express|People|Post|World|League|Herald|Sport))
        (?:\s+(?:night|evening|afternoon|morning))?(?:['’]s)?)\b
  | (?P<rel>[Yy]esterday(?:\s+(?:morning|afternoon|evening))?|[Ll]ast\s+night
        |[Tt]oday|[Tt]onight|[Tt]his\s+(?:morning|afternoon|evening))\b
  | (?P<vague>[Ll]ast\s+(?:week(?:end)?|month|season|year)|[Ee]arlier\s+this\s+(?:week|month)
        |[Tt]his\s+(?:week(?:end)?|month))\b
    """,
    re.VERBOSE,
)
#: "7 December", "the 7th of December": the day sits before the month.
_DAY_BEFORE = re.compile(rf"(?<![\w.,])(?P<d2>{_DAY})\s+(?:of\s+)?$")
_YEAR_AFTER = re.compile(_YEAR)

_REL_OFFSETS = {"yesterday": -1, "last": -1, "today": 0, "tonight": 0, "this": 0}

#: Words that end with "." without ending a sentence.
_ABBREVIATIONS = frozenset({
    "mr", "mrs", "ms", "dr", "st", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
    "sept", "oct", "nov", "dec", "vs", "v", "no", "jr", "sr", "prof", "gen", "mt", "ft", "fc",
    "approx", "h/t",
})
#: ``[.!?]`` first, not ``[.!?]+``: a pattern opening with a character class lets sre skip
#: to the next candidate character; opening with a repeat makes it try every position.
_SENTENCE_END = re.compile(r"[.!?][.!?]*[\"'”’)\]]*(?=\s+[\"'“‘(\[]?[A-Z0-9À-Þ])")


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
    return find_date_in_sentence(text, sentence_at(text, start), start, end, published_at)


def find_date_in_sentence(text: str, sentence: tuple[int, int], start: int, end: int,
                          published_at: datetime | None) -> date | None:
    """:func:`find_date_near` for a caller that already knows the sentence span."""
    lo, hi = sentence[0], max(sentence[1], end)
    after: date | None = None
    before: date | None = None
    for e_start, e_end, day in _expressions(text, lo, hi, published_at):
        if e_start < end and e_end > start:
            continue
        if day is None:
            if e_start >= end and published_at is not None:
                # "beat them 2-1 at Selhurst Park last month, said on Thursday ...": the
                # span closest after the score is the match's; a later day is not.
                return None
            continue
        if e_start >= end:
            after = day
            break
        before = day
    return after if after is not None else before


def sentence_spans(text: str, lo: int = 0, hi: int | None = None) -> list[tuple[int, int]]:
    """Sentence spans of ``text[lo:hi]``, whitespace-trimmed, in order.

    A line break always ends a sentence; ".", "!" or "?" end one when followed by a
    capitalised word, unless the word before the dot is an abbreviation or an initial.
    """
    hi = len(text) if hi is None else hi
    spans: list[tuple[int, int]] = []
    para_lo = lo
    while para_lo < hi:
        para_hi = text.find("\n", para_lo, hi)
        para_hi = hi if para_hi < 0 else para_hi
        begin = para_lo
        for end in _ends(text, para_lo, para_hi):
            _append_trimmed(text, begin, end, spans)
            begin = end
        _append_trimmed(text, begin, para_hi, spans)
        para_lo = para_hi + 1
    return spans


def sentence_at(text: str, pos: int) -> tuple[int, int]:
    """The (trimmed) sentence containing ``pos``, searched within its paragraph only.

    Scans only from the paragraph start to the end of that sentence: callers ask this
    once per score or quote, so it must not split the whole text (a caller asking for many
    positions of one text uses :func:`sentence_in`).
    """
    para_lo = text.rfind("\n", 0, pos) + 1
    para_hi = text.find("\n", pos)
    para_hi = len(text) if para_hi < 0 else para_hi
    start = para_lo
    for end in _ends(text, para_lo, para_hi):
        if end > pos:
            return _trimmed(text, start, end)
        start = end
    return _trimmed(text, start, para_hi)


def sentence_in(text: str, pos: int, para_lo: int, para_hi: int,
                cache: dict[int, tuple[int, list[int]]]) -> tuple[int, int]:
    """:func:`sentence_at` for a caller that asks for many positions of one text and
    knows the paragraph ``text[para_lo:para_hi]`` holding ``pos``: ``cache`` (a dict it
    keeps for that text) holds each paragraph's sentence ends, split once on first use,
    so a look-up is one bisection."""
    known = cache.get(para_lo)
    if known is None:
        known = cache[para_lo] = (para_hi, _end_list(text, para_lo, para_hi))
    para_hi, ends = known
    i = bisect_right(ends, pos)
    return _trimmed(text, ends[i - 1] if i else para_lo, ends[i] if i < len(ends) else para_hi)


def _ends(text: str, lo: int, hi: int) -> Iterator[int]:
    """Sentence end offsets within one paragraph."""
    for match in _SENTENCE_END.finditer(text, lo, hi):
        if text[match.start()] == "." and _is_abbreviation(text, match.start()):
            continue
        yield match.end()


def _end_list(text: str, lo: int, hi: int) -> list[int]:
    """:func:`_ends` as a list, without the generator (asked once per paragraph).

    A paragraph without "!" or "?" (most) is walked from full stop to full stop with
    ``str.find``: the pattern opens with a character class, which sre tests character by
    character, several times slower than ``find`` skips to the next ".". Trying the pattern
    at each full stop from the end of the last match finds what ``finditer`` finds (a match
    can only start at one of them)."""
    if text.find("!", lo, hi) >= 0 or text.find("?", lo, hi) >= 0:
        return list(_ends(text, lo, hi))
    ends: list[int] = []
    match_at = _SENTENCE_END.match
    dot = text.find(".", lo, hi)
    while dot >= 0:
        match = match_at(text, dot, hi)
        if match is None:
            dot = text.find(".", dot + 1, hi)
            continue
        if not _is_abbreviation(text, dot):
            ends.append(match.end())
        dot = text.find(".", match.end(), hi)
    return ends


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    """``text[start:end]`` without surrounding whitespace (as is when that leaves nothing)."""
    lo, hi = start, end
    while lo < hi and text[lo].isspace():
        lo += 1
    while hi > lo and text[hi - 1].isspace():
        hi -= 1
    return (lo, hi) if lo < hi else (start, end)


def _is_abbreviation(text: str, dot: int) -> bool:
    """True for "Dec." or "J." so that "Dec. 7" and initials do not split sentences.

    The word is the run of word characters and slashes before the dot, at most 12 long
    (what the pattern ``([\\w/]+)\\.$`` finds in the 12 characters before it), read
    backwards: that pattern has no literal to scan for, so sre would try every position."""
    lo = dot - 12 if dot > 12 else 0
    start = dot
    while start > lo and (text[start - 1].isalnum() or text[start - 1] in "_/"):
        start -= 1
    if start == dot:
        return False
    token = text[start:dot]
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
    for start, end, is_weekday, day in _raw_expressions(text, lo, hi, today):
        if pending is not None:
            gap = text[pending[1]:start]
            if not is_weekday and len(gap) <= 3 and gap.strip(" ,(") == "" and day is not None:
                yield pending[0], end, day
                pending = None
                continue
            yield pending
            pending = None
        if is_weekday:
            pending = (start, end, day)
        else:
            yield start, end, day
    if pending is not None:
        yield pending


def _raw_expressions(text: str, lo: int, hi: int,
                     today: date | None) -> Iterator[tuple[int, int, bool, date | None]]:
    """(start, end, is_weekday, day) per expression; a literal trigger scan first keeps
    this cheap on long text."""
    consumed = lo
    for trigger in _TRIGGER.finditer(text, lo, hi):
        pos = trigger.start()
        if pos < consumed or (pos > 0 and text[pos - 1].isalnum()):
            continue
        match = _AT.match(text, pos, hi)
        if match is None:
            continue
        consumed = match.end()
        # The alternative that matched is the last group closed: the outer group of each.
        kind = match.lastgroup
        if kind == "md":
            found = _month_date(text, lo, hi, match, today)
            if found is not None:
                yield found
            continue
        yield pos, consumed, kind == "wdx", _resolve_match(match, kind, today)


def _month_date(text: str, lo: int, hi: int, match: re.Match[str],
                today: date | None) -> tuple[int, int, bool, date | None] | None:
    """"December 7[, 2025]" from the match, or "7 December[ 2025]" looking back."""
    month = _MONTHS[match.group("m1")[:3].lower()]
    start, end = match.start(), match.end()
    day_text, year_text = match.group("d1"), match.group("y1")
    if day_text is None:
        before = _DAY_BEFORE.search(text, max(lo, start - 12), start)
        if before is None:
            return None
        day_text, start = before.group("d2"), before.start()
        year = _YEAR_AFTER.match(text, end, hi)
        if year is not None:
            year_text, end = year.group(0), year.end()
    day = int(day_text.rstrip("stndrh"))
    if year_text:
        return start, end, False, _safe_date(int(year_text.strip(" ,")), month, day)
    return start, end, False, _latest_not_after(month, day, today)


def _resolve_match(match: re.Match[str], kind: str | None,
                   today: date | None) -> date | None:
    """The day an ISO, weekday or relative match names; ``kind`` is the alternative."""
    if kind == "iso":
        return _safe_date(int(match.group("iy")), int(match.group("im")), int(match.group("id")))
    if today is None:
        return None
    if kind == "wdx":
        return _weekday(today, _WEEKDAYS[match.group("wd").lower()], match.group("wmod"))
    if kind == "rel":
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
