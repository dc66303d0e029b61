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
from operator import itemgetter
from pathlib import Path

from stream.core.extract.entities import (
    ZEROS,
    Key,
    KeyFolder,
    WordHits,
    fast_init,
    group_and_split,
    keyed_mentions,
    live_text,
    person_names,
    person_ref,
    search_key,
    surname_keys,
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
#: ``EntityMention.start`` by index: a sort key read in C, without the attribute look-up.
_START_INDEX = itemgetter(0)
_new_tuple = tuple.__new__
#: ``Extraction(...)`` made without its frozen ``__init__`` (one per article; see ``fast_init``).
_new_extraction = fast_init(Extraction, ("entities", "match_results", "quotes"))
#: "in Madrid" is the city, not the club.
_NOT_AFTER_CLUB_WORD = frozenset({"in"})


class FootballExtractor:
    """Stateless after construction; safe to share across agents."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self._fold = KeyFolder(fold_text)
        #: Name as written -> its reference (KB person or slug); bounded, cleared when full.
        self._person_refs: dict[str, Ref] = {}
        #: Full name -> its surname search keys; bounded like ``_person_refs``.
        self._surname_keys: dict[str, tuple[Key, ...]] = {}
        self._refs: dict[str, tuple[EntityType, Ref, str]] = {
            e.id: (_KB_TYPES[e.type], Ref(name=e.name, id=e.id), normalise_alias(e.name))
            for e in kb if e.type in _KB_TYPES
        }
        #: Venue id -> ids of its home clubs (the KB is immutable: filled on first use).
        self._home_clubs: dict[str, tuple[str, ...]] = {}
        self._facts: dict[str, PersonFacts] = {}
        self._club_people: dict[str, dict[Key, list[Ref]]] = {}
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
                key = search_key(self._fold(surname).strip())
                self._club_people.setdefault(club.id, {}).setdefault(key, []).append(ref)
        self._club_words: dict[str, list[Key]] = {}
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
                keys.append(search_key(self._fold(word).strip()))
            if keys:
                self._club_words[club.id] = keys
        self._word_index = self._fixed_keys()
        self.gazetteer = Gazetteer(kb, words=[key.decode("ascii") for key in self._word_index])

    def _fixed_keys(self) -> frozenset[bytes]:
        """Short forms known before any article: bare surnames of KB people and of their
        club's people, bare parts of club names. The gazetteer's scan reports where these
        occur, so no article is searched once more for each (see ``entities.WordHits``);
        keys whose occurrences may overlap are left to the search."""
        keys = [key for people in self._club_people.values() for key in people]
        keys += [key for words in self._club_words.values() for key in words]
        for person in self.kb.of_type("person"):
            keys += surname_keys(person.name, fold_text)
        return frozenset(key.key for key in keys if not key.overlapping and key.key)

    def extract(self, article: CleanArticle) -> Extraction:
        text = article.text
        mentions = self._mentions(text)
        entities, by_type = group_and_split(mentions)
        matches = find_match_results(text, mentions, article.published_at, self._home_club_of,
                                     home_clubs_of=self._home_clubs_of,
                                     club_facts=self._club_facts.get, by_type=by_type)
        quotes = find_quotes(text, mentions, facts=self._facts.get,
                             managers=self._managers_of, by_type=by_type)
        return _new_extraction(entities, tuple(matches), tuple(quotes))

    def _mentions(self, text: str) -> list[EntityMention]:
        """Every entity mention, in text order."""
        folded = fold_text(text)
        live = live_text(folded)
        raw, words = self.gazetteer.find_spans_and_words(text, folded)
        hits = None if words is None else WordHits(self._word_index, _starts_by_word(words))
        return self._resolve(text, folded, live, raw, hits)

    def _resolve(self, text: str, folded: str, live: bytearray,
                 raw: list[tuple[int, int, tuple[str, ...]]], hits: WordHits | None
                 ) -> list[EntityMention]:
        """Every entity mention, in text order, by the passes of the module docstring."""
        # Club id -> its mentions so far (the tie-break of bare club words).
        weight: dict[str, int] = {}
        full_names: list[EntityMention] = []
        known = self._known(text, raw, live, weight, full_names)
        new = _new_tuple
        person_ref_of = self._person_ref
        names = person_names(text, live)
        found = [new(EntityMention, (start, end, "person", person_ref_of(name)))
                 for start, end, name in names]
        view = memoryview(live)  # zeroes resolved spans (see ``entities.ZEROS``)
        for start, end, _name in names:
            view[start:end] = ZEROS[end - start]
        full_names += found
        found += surname_mentions(text, folded, full_names, live, self._surname_keys_of, hits)
        if weight:
            found += self._club_short_forms(text, folded, live, weight, hits)
        if not found:
            return known
        mentions = [*known, *found]
        mentions.sort(key=_START_INDEX)
        return mentions

    def _known(self, text: str, raw: list[tuple[int, int, tuple[str, ...]]], live: bytearray,
               weight: dict[str, int], people: list[EntityMention]) -> list[EntityMention]:
        """Knowledge-base mentions of the gazetteer's spans ``raw``, zeroed in ``live``;
        counts club mentions in ``weight`` and adds the person mentions to ``people`` (the
        full names the surname pass needs, without another pass over the mentions).

        Ambiguous aliases are resolved by ``_choose``; spans it cannot resolve are left out.
        One loop over the spans (this runs for every alias hit of every article)."""
        known: list[EntityMention] = []
        append = known.append
        new = _new_tuple
        zeros = ZEROS
        view = memoryview(live)  # zeroes resolved spans (see ``entities.ZEROS``)
        refs = self._refs
        unambiguous: set[str] | None = None
        for start, end, ids in raw:
            if len(ids) == 1:
                entry = refs.get(ids[0])
            else:
                if unambiguous is None:
                    unambiguous = {m[2][0] for m in raw if len(m[2]) == 1}
                entry = self._choose(ids, text[start:end], unambiguous)
            if entry is None:
                continue
            etype, ref, _name = entry
            if etype == "club":
                if end - start <= 3 and _opens_a_name(text, start, end):
                    continue
                club_id = ref.id
                weight[club_id] = weight.get(club_id, 0) + 1
            mention = new(EntityMention, (start, end, etype, ref))
            append(mention)
            if etype == "person":
                people.append(mention)
            view[start:end] = zeros[end - start]
        return known

    def _club_short_forms(self, text: str, folded: str, live: bytearray,
                          weight: dict[str, int], hits: WordHits | None
                          ) -> list[EntityMention]:
        """Bare surnames of KB people of the clubs named, then bare parts of club names."""
        people: dict[Key, list[Ref]] = {}
        words: dict[Key, list[Ref]] = {}
        for club_id in weight:
            for key, refs in self._club_people.get(club_id, {}).items():
                people.setdefault(key, []).extend(refs)
            for key in self._club_words.get(club_id, ()):
                words.setdefault(key, []).append(self._refs[club_id][1])
        found: list[EntityMention] = []
        if people:
            found += keyed_mentions(text, folded, people, "person", live, hits=hits)
        if words:
            found += keyed_mentions(text, folded, words, "club", live, weight,
                                    not_after=_NOT_AFTER_CLUB_WORD, hits=hits)
        return found

    def _surname_keys_of(self, name: str) -> tuple[Key, ...]:
        keys = self._surname_keys.get(name)
        if keys is None:
            if len(self._surname_keys) >= _PERSON_CACHE:
                self._surname_keys.clear()
            keys = self._surname_keys[name] = surname_keys(name, fold_text)
        return keys

    def _kb_mentions(self, text: str) -> list[EntityMention]:
        """The knowledge-base pass alone (``bench/extract.py`` times it as a stage)."""
        folded = fold_text(text)
        return self._known(text, self.gazetteer.find_spans(text, folded), live_text(folded),
                           {}, [])

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


def _starts_by_word(words: list[tuple[bytes, int]]) -> dict[bytes, list[int]]:
    """Word -> starts of its occurrences, from ``(word, start)`` pairs in text order."""
    starts: dict[bytes, list[int]] = {}
    for word, start in words:
        found = starts.get(word)
        if found is None:
            starts[word] = [start]
        else:
            found.append(start)
    return starts


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
