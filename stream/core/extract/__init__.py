"""Extraction stage: who and what an article talks about, as canonical records.

The :class:`FootballExtractor` glues the knowledge base, the gazetteer and the
extractors for people, match results and quotes. Another domain is another knowledge
base and a few extractors behind the same ``extract(article) -> Extraction`` call.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from pathlib import Path

from stream.core.extract.entities import (
    find_person_names,
    group_entities,
    person_ref,
    surname_index,
)
from stream.core.extract.gazetteer import Gazetteer
from stream.core.extract.kb import KnowledgeBase, load_default
from stream.core.extract.matches import find_match_results
from stream.core.extract.quotes import find_quotes
from stream.core.extract.types import EntityMention
from stream.core.models import CleanArticle, EntityType, Extraction, Ref

_KB_TYPES: dict[str, EntityType] = {
    "person": "person", "club": "club", "competition": "competition", "venue": "venue",
    "organisation": "organisation", "place": "place",
}


class FootballExtractor:
    """Stateless after construction; safe to share across agents."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.gazetteer = Gazetteer(kb)

    def extract(self, article: CleanArticle) -> Extraction:
        text = article.text
        known = self._kb_mentions(text)
        people = self._people(text, known)
        mentions = sorted([*known, *people], key=lambda m: m.start)
        matches = find_match_results(text, mentions, article.published_at, self._home_club_of)
        quotes = find_quotes(text, mentions)
        return Extraction(group_entities(mentions), tuple(matches), tuple(quotes))

    def _kb_mentions(self, text: str) -> list[EntityMention]:
        raw = self.gazetteer.find(text)
        unambiguous = {m.entity_ids[0] for m in raw if len(m.entity_ids) == 1}
        mentions: list[EntityMention] = []
        for mention in raw:
            chosen = _choose(mention.entity_ids, unambiguous)
            if chosen is None:
                continue
            entity = self.kb.get(chosen)
            if entity is None or entity.type not in _KB_TYPES:
                continue
            mentions.append(EntityMention(mention.start, mention.end, _KB_TYPES[entity.type],
                                          Ref(name=entity.name, id=entity.id)))
        return mentions

    def _people(self, text: str, known: Sequence[EntityMention]) -> list[EntityMention]:
        taken = [(m.start, m.end) for m in known]
        people: list[EntityMention] = []
        for start, end, name in find_person_names(text, taken):
            people.append(EntityMention(start, end, "person", self._person_ref(name)))
        full_names = [m for m in [*known, *people] if m.type == "person"]
        taken += [(m.start, m.end) for m in people]
        people += _surname_mentions(text, surname_index(full_names), taken)
        return people

    def _person_ref(self, name: str) -> Ref:
        for entity in self.kb.lookup(name):
            if entity.type == "person":
                return Ref(name=entity.name, id=entity.id)
        return person_ref(name)

    def _home_club_of(self, venue_id: str) -> Ref | None:
        club = self.kb.home_club_of(venue_id)
        return None if club is None else Ref(name=club.name, id=club.id)


def _choose(ids: Sequence[str], unambiguous: set[str]) -> str | None:
    """One id for a mention: the only one, or the one the article names unambiguously."""
    if len(ids) == 1:
        return ids[0]
    named = [i for i in ids if i in unambiguous]
    return named[0] if len(named) == 1 else None


def _surname_mentions(text: str, index: dict[str, Ref],
                      taken: list[tuple[int, int]]) -> list[EntityMention]:
    if not index:
        return []
    pattern = re.compile(
        r"(?<![\w'’])(" + "|".join(re.escape(k) for k in sorted(index, key=len, reverse=True))
        + r")(?![\w])", re.IGNORECASE)
    found: list[EntityMention] = []
    for match in pattern.finditer(text):
        start, end = match.span()
        if not match.group(0)[0].isupper():
            continue
        if any(start < t_end and t_start < end for t_start, t_end in taken):
            continue
        found.append(EntityMention(start, end, "person", index[match.group(0).casefold()]))
    return found


@cache
def default_extractor(kb_path: Path | None = None) -> FootballExtractor:
    """The extractor over the shipped knowledge base, with a user file merged on top."""
    kb = load_default()
    if kb_path is not None:
        kb = kb.merged_with(kb_path)
    return FootballExtractor(kb)
