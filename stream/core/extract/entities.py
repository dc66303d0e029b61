"""Entities: knowledge-base mentions plus person names the knowledge base does not know.

People are found as runs of capitalised words that are not something else (a club, a
month, a sentence-opening word); a later bare surname is resolved to the full name used
earlier in the same article ("Alonso" -> "Xabi Alonso").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence

from stream.core.extract.types import EntityMention
from stream.core.models import Entity, EntityType, Ref

_TOKEN = r"[A-ZÀ-ÖØ-Þ][a-zß-öø-ÿA-ZÀ-ÖØ-Þ'’\-]*[a-zß-öø-ÿ]"
_PARTICLE = r"(?:de|da|das|do|dos|del|della|di|van|von|der|den|ter|le|la|el|al|bin|ben)"
_NAME_RUN = re.compile(
    rf"(?<![\w'’])(?:{_TOKEN}|[A-Z]\.)"
    rf"(?:\s+(?:{_PARTICLE}\s+)?(?:{_TOKEN}|O[’']{_TOKEN})){{1,3}}(?![\w])"
)
_POSSESSIVE = re.compile(r"[’']s$")

#: Capitalised words that open sentences or name things other than people.
_NOT_NAME_WORDS = frozenset(
    """
    a an the this that these those there their they he she it its his her we our you your
    i in on at by for from with after before during since until while when where why how
    what who which if but and or so yet as of to into over under up down out about against
    monday tuesday wednesday thursday friday saturday sunday january february march april
    may june july august september october november december
    speaking according meanwhile however although though despite also still even just
    league cup champions premier europa conference super final finals semi quarter round
    club fc cf ac sc real united city athletic sporting olympique inter stade borussia
    madrid barcelona london manchester munich milan paris
    video assistant referee var golden ball boot award awards player players coach manager
    head chief president director board news sports sport football soccer world national
    spanish english french german italian portuguese dutch brazilian argentine kazakh
    european african american asian north south east west new old saint st san santa
    mr mrs ms dr sir lord lady king queen prince
    """.split()
)


def slugify(name: str) -> str:
    folded = unicodedata.normalize("NFKD", name)
    ascii_only = "".join(c for c in folded if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_only).strip("-")


def find_person_names(text: str, taken: Sequence[tuple[int, int]]) -> list[tuple[int, int, str]]:
    """Spans of likely person names not overlapping already-resolved mentions."""
    found: list[tuple[int, int, str]] = []
    for match in _NAME_RUN.finditer(text):
        tokens = [(m.start() + match.start(), m.end() + match.start(), m.group(0))
                  for m in _WORD.finditer(match.group(0))]
        while tokens and tokens[0][2].lower() in _NOT_NAME_WORDS:
            tokens.pop(0)
        if tokens:
            last_start, _end, last = tokens[-1]
            bare = _POSSESSIVE.sub("", last)
            tokens[-1] = (last_start, last_start + len(bare), bare)
        if len(tokens) < 2 or any(t[2].lower() in _NOT_NAME_WORDS for t in tokens):
            continue
        start, end = tokens[0][0], tokens[-1][1]
        if not _overlaps(start, end, taken):
            found.append((start, end, text[start:end]))
    return found


_WORD = re.compile(r"[^\s]+")


def _overlaps(start: int, end: int, spans: Iterable[tuple[int, int]]) -> bool:
    return any(start < s_end and s_start < end for s_start, s_end in spans)


def group_entities(mentions: Sequence[EntityMention]) -> tuple[Entity, ...]:
    """One entity per id, mentions in text order; entities in order of first mention."""
    by_id: dict[str, tuple[EntityType, str, list[tuple[int, int]]]] = {}
    for mention in sorted(mentions, key=lambda m: m.start):
        entry = by_id.setdefault(mention.ref.id, (mention.type, mention.ref.name, []))
        entry[2].append((mention.start, mention.end))
    return tuple(Entity(type=t, name=n, id=i, mentions=tuple(spans))
                 for i, (t, n, spans) in by_id.items())


def surname_index(people: Sequence[EntityMention]) -> dict[str, Ref]:
    """Last name (and first name) of each full name seen, when only one person has it."""
    index: dict[str, Ref | None] = {}
    for mention in people:
        parts = mention.ref.name.split()
        if len(parts) < 2:
            continue
        for key in (parts[-1], " ".join(parts[1:])):
            folded = key.casefold()
            previous = index.get(folded)
            index[folded] = mention.ref if previous in (None, mention.ref) else None
    return {k: v for k, v in index.items() if v is not None}


def person_ref(name: str) -> Ref:
    return Ref(name=name, id=f"person:{slugify(name)}")
