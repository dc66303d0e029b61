"""Extraction stage: who and what an article talks about, as canonical records.

The :class:`FootballExtractor` glues the knowledge base, the gazetteer and the
extractors for people, match results and quotes. Another domain is another knowledge
base and a few extractors behind the same ``extract(article) -> Extraction`` call.

Order of the entity passes (each only looks at text no earlier pass resolved):
knowledge-base aliases (gazetteer), full person names, bare surnames of those names, bare
surnames of KB people whose club the article names, bare parts of named clubs ("Madrid",
"City"); see :mod:`stream.core.extract.entities` for the rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from operator import attrgetter
from pathlib import Path

from stream.core.extract.entities import (
    KeyFolder,
    find_person_names,
    group_sorted,
    keyed_mentions,
    new_mention,
    person_ref,
    surname_mentions,
)
from stream.core.extract.gazetteer import Gazetteer
from stream.core.extract.kb import KnowledgeBase, fold_text, load_default, normalise_alias
from stream.core.extract.matches import ClubFacts, find_match_results
from stream.core.extract.quotes import PersonFacts, find_quotes
from stream.core.extract.types import EntityMention
from stream.core.models import CleanArticle, EntityType, Extraction, Ref

_KB_TYPES: dict[str, EntityType] = {
    "person": "person", "club": "club", "competition": "competition", "venue": "venue",
    "organisation": "organisation", "place": "place",
}
#: Words of a club's name too generic to stand for it alone.
_GENERIC = frozenset(
    "fc cf sc ac afc cd ud sd rc as ss ssc sv vfb vfl bv tsg club football futbol fútbol calcio "
    "balompie balompié sport sports sporting de del la le the and of real".split()
)
#: "Real" alone is Real Madrid's (or Betis's, Sociedad's) everyday short form; allowed as a
#: first word even though it is generic elsewhere.
_FIRST_WORDS = frozenset({"real", "atletico", "atlético", "inter", "borussia", "eintracht"})
_PERSON_CACHE = 50_000
_START = attrgetter("start")
#: "in Madrid" is the city, not the club.
_NOT_AFTER_CLUB_WORD = frozenset({"in"})


class FootballExtractor:
    """Stateless after construction; safe to share across agents."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.gazetteer = Gazetteer(kb)
        self._fold = KeyFolder(fold_text)
        #: Name as written -> its reference (KB person or slug); bounded, cleared when full.
        self._person_refs: dict[str, Ref] = {}
        self._refs: dict[str, tuple[EntityType, Ref, str]] = {
            e.id: (_KB_TYPES[e.type], Ref(name=e.name, id=e.id), normalise_alias(e.name))
            for e in kb if e.type in _KB_TYPES
        }
        #: Venue id -> ids of its home clubs (the KB is immutable: filled on first use).
        self._home_clubs: dict[str, tuple[str, ...]] = {}
        self._facts: dict[str, PersonFacts] = {}
        self._club_people: dict[str, dict[str, list[Ref]]] = {}
        self._managers: dict[str, list[Ref]] = {}
        for person in kb.of_type("person"):
            club = kb.club_of(person.id)
            self._facts[person.id] = PersonFacts(
                person.attrs.get("nationality"), person.attrs.get("role"),
                club.id if club is not None else None)
            if club is None:
                continue
            ref = Ref(name=person.name, id=person.id)
            if person.attrs.get("role") == "manager":
                self._managers.setdefault(club.id, []).append(ref)
            surname = person.name.split()[-1]
            if len(person.name.split()) > 1 and len(surname) > 3 \
                    and normalise_alias(surname) not in kb.by_alias:
                key = self._fold(surname).strip()
                self._club_people.setdefault(club.id, {}).setdefault(key, []).append(ref)
        self._club_words: dict[str, list[str]] = {}
        self._club_facts: dict[str, ClubFacts] = {}
        for club in kb.of_type("club"):
            city = normalise_alias(club.attrs.get("city", ""))
            self._club_facts[club.id] = ClubFacts(club.attrs.get("country"), city)
            words = club.name.split()
            while len(words) > 1 and normalise_alias(words[-1]) in _GENERIC:
                words.pop()
            while len(words) > 1 and normalise_alias(words[0]) in _GENERIC \
                    and normalise_alias(words[0]) not in _FIRST_WORDS:
                words.pop(0)
            if len(words) < 2:
                continue
            picks = [w for w in (words[0], words[-1]) if len(w) > 3]
            keys = []
            for i, word in enumerate(picks):
                norm = normalise_alias(word)
                first = i == 0 and word is words[0]
                if norm in kb.by_alias or any(c.isdigit() for c in norm):
                    continue
                if norm in _GENERIC and not (first and norm in _FIRST_WORDS):
                    continue
                if first and norm == city and norm not in _FIRST_WORDS:
                    continue
                keys.append(self._fold(word).strip())
            if keys:
                self._club_words[club.id] = keys

    def extract(self, article: CleanArticle) -> Extraction:
        text = article.text
        mentions = self._mentions(text)
        matches = find_match_results(text, mentions, article.published_at, self._home_club_of,
                                     home_clubs_of=self._home_clubs_of,
                                     club_facts=self._club_facts.get)
        quotes = find_quotes(text, mentions, facts=self._facts.get,
                             managers=self._managers_of)
        return Extraction(group_sorted(mentions), tuple(matches), tuple(quotes))

    def _mentions(self, text: str) -> list[EntityMention]:
        folded = fold_text(text)
        mask = bytearray(len(text))
        known: list[EntityMention] = []
        append = known.append
        # Club id -> its mentions so far (the tie-break of bare club words).
        weight: dict[str, int] = {}
        raw = self.gazetteer.find_spans(text, folded)
        entries = self._refs
        unambiguous: set[str] | None = None
        for start, end, ids in raw:
            if len(ids) == 1:
                entry = entries.get(ids[0])
            else:
                if unambiguous is None:
                    unambiguous = {m[2][0] for m in raw if len(m[2]) == 1}
                entry = self._choose(ids, text[start:end], unambiguous)
            if entry is None:
                continue
            etype, ref = entry[0], entry[1]
            if etype == "club":
                if end - start <= 3 and _opens_a_name(text, start, end):
                    continue
                weight[ref.id] = weight.get(ref.id, 0) + 1
            append(new_mention(start, end, etype, ref))
            mask[start:end] = b"\x01" * (end - start)
        found: list[EntityMention] = []
        for start, end, name in find_person_names(text, mask):
            found.append(new_mention(start, end, "person", self._person_ref(name)))
            mask[start:end] = b"\x01" * (end - start)
        full_names = [m for m in known if m.type == "person"]
        full_names += found
        found += surname_mentions(text, folded, full_names, mask, self._fold)
        if weight:
            people: dict[str, list[Ref]] = {}
            words: dict[str, list[Ref]] = {}
            for club_id in weight:
                for key, refs in self._club_people.get(club_id, {}).items():
                    people.setdefault(key, []).extend(refs)
                for key in self._club_words.get(club_id, ()):
                    words.setdefault(key, []).append(self._refs[club_id][1])
            if people:
                found += keyed_mentions(text, folded, people, "person", mask)
            if words:
                found += keyed_mentions(text, folded, words, "club", mask, weight,
                                        not_after=_NOT_AFTER_CLUB_WORD)
        if not found:
            return known
        mentions = [*known, *found]
        mentions.sort(key=_START)
        return mentions

    def _kb_mentions(self, text: str) -> list[EntityMention]:
        return [new_mention(*m) for m in self._kb_spans(text, fold_text(text))]

    def _kb_spans(self, text: str, folded: str
                  ) -> list[tuple[int, int, EntityType, Ref]]:
        """Knowledge-base mentions as ``(start, end, type, ref)``, in text order."""
        raw = self.gazetteer.find_spans(text, folded)
        refs = self._refs
        mentions: list[tuple[int, int, EntityType, Ref]] = []
        append = mentions.append
        unambiguous: set[str] | None = None
        for start, end, ids in raw:
            if len(ids) == 1:
                entry = refs.get(ids[0])
            else:
                if unambiguous is None:
                    unambiguous = {m[2][0] for m in raw if len(m[2]) == 1}
                entry = self._choose(ids, text[start:end], unambiguous)
            if entry is not None:
                append((start, end, entry[0], entry[1]))
        return mentions

    def _choose(self, ids: Sequence[str], surface: str,
                unambiguous: set[str]) -> tuple[EntityType, Ref, str] | None:
        """One entity for an ambiguous alias: the one the article names unambiguously, else
        the one whose own name it is ("Ligue 1" is the French league, not the Algerian)."""
        named = [i for i in ids if i in unambiguous and i in self._refs]
        if len(named) == 1:
            return self._refs[named[0]]
        key = normalise_alias(surface)
        exact = [i for i in ids if i in self._refs and self._refs[i][2] == key]
        return self._refs[exact[0]] if len(exact) == 1 else None

    def _person_ref(self, name: str) -> Ref:
        ref = self._person_refs.get(name)
        if ref is None:
            ref = next((Ref(name=e.name, id=e.id) for e in self.kb.lookup(name)
                        if e.type == "person"), None) or person_ref(name)
            if len(self._person_refs) >= _PERSON_CACHE:
                self._person_refs.clear()
            self._person_refs[name] = ref
        return ref

    def _home_club_of(self, venue_id: str) -> Ref | None:
        club = self.kb.home_club_of(venue_id)
        return None if club is None else Ref(name=club.name, id=club.id)

    def _home_clubs_of(self, venue_id: str) -> tuple[str, ...]:
        clubs = self._home_clubs.get(venue_id)
        if clubs is None:
            clubs = tuple(c.id for c in self.kb.home_clubs_of(venue_id))
            self._home_clubs[venue_id] = clubs
        return clubs

    def _managers_of(self, club_id: str) -> Sequence[Ref]:
        return self._managers.get(club_id, ())


def _opens_a_name(text: str, start: int, end: int) -> bool:
    """A short club alias opening a person's name ("Pau López"): capitalised, right before
    another capitalised word (asked of two- and three-letter club aliases)."""
    return (text[start:end].istitle() and text[end:end + 1] == " "
            and text[end + 1:end + 2].isupper())


@cache
def default_extractor(kb_path: Path | None = None) -> FootballExtractor:
    """The extractor over the shipped knowledge base, with a user file merged on top."""
    kb = load_default()
    if kb_path is not None:
        kb = kb.merged_with(kb_path)
    return FootballExtractor(kb)
