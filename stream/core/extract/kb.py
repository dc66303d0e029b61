"""Football knowledge base: clubs, competitions, venues, people and media organisations.

Why this module exists: entity extraction needs a fixed, offline list of the things football
news talks about, with every spelling an article may use, so that a mention can be resolved to a
stable id without any network look-up.  The data ships with the package (generated
``data/clubs.json`` plus hand-written ``data/curated.json``) and a deployment can lay its own file
on top with :meth:`KnowledgeBase.merged_with`.

This module is pure Python (no Faust, Kafka or metrics imports) so it can be used from the
stream workers, from scripts and from tests alike.

JSON format (the same for ``clubs.json``, ``curated.json`` and user files)::

    {
      "header": {"title": "...", "license": "...", "source": "...", ...},   # optional, str -> str
      "entities": [
        {
          "id": "club:real-madrid",          # required; "<type prefix>:<slug>"
          "type": "club",                    # person|club|competition|venue|organisation|place
          "name": "Real Madrid",             # display name, always also an alias
          "aliases": ["Real Madrid CF", "Los Blancos"],
          "cased_aliases": ["RMA"],          # optional: match only exactly as written
          "drop_aliases": ["Real"],          # optional: remove these (compared normalised)
          "wikidata": "Q8682",               # optional shortcut for attrs["wikidata"]
          "attrs": {"country": "Spain", "city": "Madrid", "stadium": "venue:santiago-bernabeu"}
        }
      ]
    }

Merging rules (applied entity by entity, in file order, later files on top of earlier ones):

* a new ``id`` needs ``type`` and ``name``;
* for an existing ``id`` every field is optional: ``name``/``type`` replace, ``aliases`` and
  ``cased_aliases`` are added (order kept, duplicates removed), ``drop_aliases`` removes,
  ``attrs`` are merged key by key and a ``null`` value deletes the key.

Attribute conventions (all values are strings): ``country``, ``country_code``, ``city``,
``league`` (competition id), ``stadium`` (venue id) on clubs; ``club`` (one club id, or several
separated by commas for a shared ground) on venues; ``role`` (``player``/``manager``/...),
``club`` (club id), ``nationality`` on people; ``seasons`` (comma-separated) on competitions;
``wikidata`` anywhere.

Case: an alias is matched case- and accent-insensitively, except when it is listed in
``cased_aliases`` or is short (three characters or fewer, or an all-capitals form of four):
those match only as written, because "AS" the newspaper is not the word "as".
"""

from __future__ import annotations

import codecs
import functools
import json
import os
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

__all__ = [
    "ENTITY_TYPES",
    "KbEntity",
    "KbFormatError",
    "KnowledgeBase",
    "fold_text",
    "is_cased_by_default",
    "load_default",
    "normalise_alias",
    "slugify",
]

#: The entity types the knowledge base knows about.
ENTITY_TYPES = frozenset({"person", "club", "competition", "venue", "organisation", "place"})

#: The packaged data files, loaded in this order (later files patch earlier ones).
DEFAULT_FILES = ("clubs.json", "curated.json")

_EMPTY_ATTRS: Mapping[str, str] = MappingProxyType({})


class KbFormatError(ValueError):
    """A knowledge-base document does not follow the JSON format in the module docstring."""


@dataclass(frozen=True, slots=True)
class KbEntity:
    """One thing news can mention, with every spelling we accept for it.

    ``aliases`` always starts with ``name``.  ``cased_aliases`` is the subset that must match
    exactly as written (see the module docstring); it is kept on the entity so that both the
    dictionary look-up and the gazetteer apply the same rule.
    """

    id: str
    type: str
    name: str
    aliases: tuple[str, ...]
    attrs: Mapping[str, str] = field(default_factory=lambda: _EMPTY_ATTRS)
    cased_aliases: frozenset[str] = frozenset()

    def __hash__(self) -> int:
        # attrs is a mapping (unhashable); ids are unique within a knowledge base.
        return hash((self.id, self.type, self.name, self.aliases))

    def is_cased(self, alias: str) -> bool:
        """Whether ``alias`` (as stored) must match exactly as written."""
        return alias in self.cased_aliases


# --------------------------------------------------------------------------------------------
# Normalisation
# --------------------------------------------------------------------------------------------

#: Letters that NFKD does not decompose into a base letter, spelled out in full.
_EXPANSIONS = {
    "ß": "ss", "ẞ": "ss", "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe", "þ": "th", "Þ": "th",
    "ø": "o", "Ø": "o", "ł": "l", "Ł": "l", "đ": "d", "Đ": "d", "ð": "d", "Ð": "d",
    "ı": "i", "ħ": "h", "Ħ": "h", "ŧ": "t", "Ŧ": "t", "ĸ": "k", "ŋ": "n", "Ŋ": "n",
}
_NON_WORD = re.compile(r"[\W_]+")


def normalise_alias(s: str) -> str:
    """The key under which an alias is stored and looked up.

    NFKD accent folding, a few letters NFKD leaves alone spelled out (``ß`` -> ``ss``,
    ``ø`` -> ``o``), case folding, and every run of punctuation or whitespace collapsed to one
    space, so "Atlético de Madrid", "ATLETICO DE MADRID" and "Atletico-de-Madrid" share a key.
    """
    if s.isascii():
        return _NON_WORD.sub(" ", s.lower()).strip()
    decomposed = unicodedata.normalize("NFKD", s)
    chars = [_EXPANSIONS.get(c, c) for c in decomposed if not unicodedata.combining(c)]
    return _NON_WORD.sub(" ", "".join(chars).casefold()).strip()


def slugify(s: str) -> str:
    """A stable ASCII slug for ids ("Atlético Madrid" -> "atletico-madrid")."""
    folded = normalise_alias(s).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", folded).strip("-")


def is_cased_by_default(alias: str) -> bool:
    """Short forms are too often ordinary words ("as", "psg" is fine but "AS" is not "as")."""
    bare = alias.strip()
    return len(bare) <= 3 or (len(bare) <= 4 and bare.isupper())


# Length-preserving fold used by the gazetteer: one output character per input character, so
# offsets found in the folded text are offsets in the original.  ASCII letters and digits are
# lowercased; any other ASCII character becomes a space; a non-ASCII letter or digit becomes its
# unaccented ASCII base letter, or U+0001 (a "some other letter" placeholder that still counts as
# part of a word) when it has none; other non-ASCII characters become spaces.
_WORD_PLACEHOLDER = "\x01"
_ASCII_FOLD = "".join(
    chr(i).lower() if chr(i).isalnum() else (_WORD_PLACEHOLDER if i == 1 else " ")
    for i in range(128)
)


def _fold_non_ascii(cp: int) -> str:
    char = chr(cp)
    category = unicodedata.category(char)
    if category[0] == "M":
        return _WORD_PLACEHOLDER
    if category[0] not in "LN":
        return " "
    base = "".join(
        _EXPANSIONS.get(c, c)
        for c in unicodedata.normalize("NFKD", char)
        if not unicodedata.combining(c)
    ).lower()
    if base and base[0].isascii() and base[0].isalnum():
        return base[0]
    return _WORD_PLACEHOLDER


class _FoldMap(dict[int, str]):
    """Code point -> folded character, filled on first use (most texts touch a few dozen)."""

    def __missing__(self, cp: int) -> str:
        value = _fold_non_ascii(cp)
        self[cp] = value
        return value


_FOLD_MAP = _FoldMap()
#: Latin-1 byte -> folded ASCII byte: most accented letters in European names live here, and
#: ``bytes.translate`` folds them in C.
_LATIN1_FOLD = "".join(
    _ASCII_FOLD[i] if i < 128 else _FOLD_MAP[i] for i in range(256)
).encode("latin-1")
#: Frequent non-Latin-1 punctuation, replaced up front so the slower error handler below
#: only sees letters such as "ş" or "ć".
_PUNCTUATION = ("\u2019", "\u2018", "\u201c", "\u201d", "\u2013", "\u2014", "\u2026")
_ERROR_HANDLER = "stream-kb-fold"


def _fold_beyond_latin1(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeEncodeError):
        raise error
    return error.object[error.start : error.end].translate(_FOLD_MAP), error.end


codecs.register_error(_ERROR_HANDLER, _fold_beyond_latin1)


def fold_text(text: str) -> str:
    """Lowercase, accent-free, punctuation-as-space copy of ``text`` of exactly the same length.

    Why not :func:`normalise_alias`: the gazetteer must report offsets into the original text,
    and a same-length fold makes the folded offsets the original ones with no offset map.
    Speed matters (it runs on every article), hence the byte-level path: ASCII and Latin-1
    characters are folded by ``bytes.translate``; only rarer letters go through Python.
    Text that is not NFC (a letter followed by a combining accent) folds the accent to a word
    character, so callers wanting those matches should pass NFC text (the gazetteer does).
    """
    if text.isascii():
        return text.translate(_ASCII_FOLD)
    for mark in _PUNCTUATION:
        if mark in text:
            text = text.replace(mark, " ")
    return text.encode("latin-1", _ERROR_HANDLER).translate(_LATIN1_FOLD).decode("ascii")


# --------------------------------------------------------------------------------------------
# Building entities from JSON records
# --------------------------------------------------------------------------------------------


def _clean_alias(alias: str) -> str:
    return " ".join(unicodedata.normalize("NFC", alias).split())


def _str_list(record: Mapping[str, Any], key: str, entity_id: str) -> list[str]:
    value = record.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise KbFormatError(f"{entity_id}: {key!r} must be a list of strings")
    return [a for a in (_clean_alias(v) for v in value) if a]


def _merged_attrs(
    base: Mapping[str, str], record: Mapping[str, Any], entity_id: str
) -> Mapping[str, str]:
    attrs = dict(base)
    patch = record.get("attrs", {})
    if not isinstance(patch, Mapping):
        raise KbFormatError(f"{entity_id}: 'attrs' must be an object")
    for key, value in patch.items():
        if value is None:
            attrs.pop(key, None)
        elif isinstance(value, str):
            attrs[key] = value
        else:
            raise KbFormatError(f"{entity_id}: attr {key!r} must be a string or null")
    wikidata = record.get("wikidata")
    if wikidata is not None:
        if not isinstance(wikidata, str):
            raise KbFormatError(f"{entity_id}: 'wikidata' must be a string")
        attrs["wikidata"] = wikidata
    return MappingProxyType(attrs) if attrs else _EMPTY_ATTRS


def _dedupe(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def apply_record(existing: KbEntity | None, record: Mapping[str, Any]) -> KbEntity:
    """Create an entity from one JSON record, or patch ``existing`` with it (see merging rules)."""
    entity_id = record.get("id")
    if not isinstance(entity_id, str) or ":" not in entity_id:
        raise KbFormatError(f"entity id must be a 'prefix:slug' string, got {entity_id!r}")
    etype = record.get("type", existing.type if existing else None)
    name = record.get("name", existing.name if existing else None)
    if etype not in ENTITY_TYPES:
        raise KbFormatError(f"{entity_id}: type must be one of {sorted(ENTITY_TYPES)}")
    if not isinstance(name, str) or not name.strip():
        raise KbFormatError(f"{entity_id}: a new entity needs a non-empty 'name'")
    name = _clean_alias(name)
    added = _str_list(record, "aliases", entity_id)
    cased = _str_list(record, "cased_aliases", entity_id)
    dropped = {normalise_alias(a) for a in _str_list(record, "drop_aliases", entity_id)}
    old_aliases = existing.aliases if existing else ()
    old_cased = existing.cased_aliases if existing else frozenset()
    aliases = _dedupe([name, *old_aliases, *added, *cased])
    if dropped:
        aliases = tuple(a for a in aliases if a == name or normalise_alias(a) not in dropped)
    new_defaults = {a for a in (name, *added) if a not in old_aliases and is_cased_by_default(a)}
    cased_set = frozenset(a for a in (old_cased | new_defaults | set(cased)) if a in aliases)
    attrs = _merged_attrs(existing.attrs if existing else _EMPTY_ATTRS, record, entity_id)
    return KbEntity(entity_id, etype, name, aliases, attrs, cased_set)


def _records_of(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    entities = document.get("entities")
    if not isinstance(entities, list) or not all(isinstance(e, Mapping) for e in entities):
        raise KbFormatError("a knowledge-base document needs an 'entities' list of objects")
    return entities


def _read_document(source: str | os.PathLike[str] | Mapping[str, Any]) -> Mapping[str, Any]:
    if isinstance(source, Mapping):
        return source
    with Path(source).open("rb") as handle:
        document = json.load(handle)
    if not isinstance(document, Mapping):
        raise KbFormatError(f"{source}: top level must be a JSON object")
    return document


# --------------------------------------------------------------------------------------------
# The knowledge base
# --------------------------------------------------------------------------------------------


class KnowledgeBase:
    """Entities by id plus an alias index; immutable once built (merging returns a new one).

    Why immutable: the default instance is cached and shared by every worker coroutine, so no
    caller may change it under another.
    """

    __slots__ = ("_alias_index", "_by_alias", "_entities", "_headers", "_home_clubs", "_venue_of")

    def __init__(
        self, entities: Iterable[KbEntity], headers: Iterable[Mapping[str, str]] = ()
    ) -> None:
        self._entities: dict[str, KbEntity] = {}
        for entity in entities:
            self._entities[entity.id] = entity
        self._headers = tuple(MappingProxyType(dict(h)) for h in headers)
        # normalised alias -> [(entity id, exact surface if the alias is cased else None)]
        self._alias_index: dict[str, list[tuple[str, str | None]]] = {}
        for entity in self._entities.values():
            for alias in entity.aliases:
                key = normalise_alias(alias)
                if key:
                    exact = alias if alias in entity.cased_aliases else None
                    self._alias_index.setdefault(key, []).append((entity.id, exact))
        self._by_alias = MappingProxyType(
            {k: _dedupe(eid for eid, _ in v) for k, v in self._alias_index.items()}
        )
        self._home_clubs = self._index_home_clubs()
        self._venue_of: dict[str, str] = {}
        for venue_id, clubs in self._home_clubs.items():
            for club_id in clubs:
                self._venue_of.setdefault(club_id, venue_id)

    # -- construction ---------------------------------------------------------------------

    @classmethod
    def from_documents(
        cls, documents: Iterable[Mapping[str, Any]], base: KnowledgeBase | None = None
    ) -> KnowledgeBase:
        """Apply documents in order on top of ``base`` (or of nothing)."""
        entities: dict[str, KbEntity] = dict(base._entities) if base else {}
        headers: list[Mapping[str, str]] = list(base._headers) if base else []
        for document in documents:
            header = document.get("header")
            if isinstance(header, Mapping):
                headers.append({str(k): str(v) for k, v in header.items()})
            for record in _records_of(document):
                entity = apply_record(entities.get(str(record.get("id"))), record)
                entities[entity.id] = entity
        return cls(entities.values(), headers)

    @classmethod
    def from_files(cls, *paths: str | os.PathLike[str]) -> KnowledgeBase:
        """Load one or more JSON files in the module's format."""
        return cls.from_documents(_read_document(p) for p in paths)

    def merged_with(self, source: str | os.PathLike[str] | Mapping[str, Any]) -> KnowledgeBase:
        """A new knowledge base with a user file (path) or parsed document laid on top.

        Entries override by id and add aliases, so a deployment can add a local club, a
        nickname or a new manager without editing the packaged data.
        """
        return KnowledgeBase.from_documents([_read_document(source)], base=self)

    # -- access -----------------------------------------------------------------------------

    @property
    def entities(self) -> Mapping[str, KbEntity]:
        """All entities by id (read-only view)."""
        return MappingProxyType(self._entities)

    @property
    def by_alias(self) -> Mapping[str, tuple[str, ...]]:
        """Normalised alias -> ids of every entity with that alias (cased ones included)."""
        return self._by_alias

    @property
    def headers(self) -> tuple[Mapping[str, str], ...]:
        """The ``header`` objects of the loaded documents (licence and provenance)."""
        return self._headers

    def __len__(self) -> int:
        return len(self._entities)

    def __contains__(self, entity_id: object) -> bool:
        return entity_id in self._entities

    def __iter__(self) -> Iterator[KbEntity]:
        return iter(self._entities.values())

    def get(self, entity_id: str) -> KbEntity | None:
        """The entity with this id, or None."""
        return self._entities.get(entity_id)

    def of_type(self, etype: str) -> list[KbEntity]:
        """Every entity of one type, in load order."""
        return [e for e in self._entities.values() if e.type == etype]

    def lookup(self, alias: str, etype: str | None = None) -> list[KbEntity]:
        """Entities that ``alias`` may name, optionally only of one type.

        Case- and accent-insensitive, except for cased aliases, which must be written exactly.
        Several results mean the alias is ambiguous; the caller decides (or drops it).
        """
        surface = _clean_alias(alias)
        key = normalise_alias(alias)
        if key not in self._alias_index and key.startswith("the "):
            key, surface = key[4:], surface[4:]  # "the Bernabéu" -> "Bernabéu"
        found: dict[str, KbEntity] = {}
        for entity_id, exact in self._alias_index.get(key, ()):
            if exact is not None and exact != surface:
                continue
            entity = self._entities[entity_id]
            if etype is None or entity.type == etype:
                found.setdefault(entity_id, entity)
        return list(found.values())

    # -- relations --------------------------------------------------------------------------

    def _related(self, entity_id: str, attr: str, etype: str) -> KbEntity | None:
        entity = self._entities.get(entity_id)
        if entity is None:
            return None
        target_id = entity.attrs.get(attr, "").split(",")[0].strip()
        target = self._entities.get(target_id)
        return target if target is not None and target.type == etype else None

    def club_of(self, person_id: str) -> KbEntity | None:
        """The club a person plays for or manages (as of the data's season), if known."""
        return self._related(person_id, "club", "club")

    def venue_of(self, club_id: str) -> KbEntity | None:
        """A club's home ground: its ``stadium`` attr, else a venue that names it as home."""
        venue = self._related(club_id, "stadium", "venue")
        if venue is not None:
            return venue
        venue_id = self._venue_of.get(club_id)
        return self._entities[venue_id] if venue_id is not None else None

    def home_clubs_of(self, venue_id: str) -> tuple[KbEntity, ...]:
        """Every club that plays home games at a venue (San Siro has two)."""
        return tuple(self._entities[c] for c in self._home_clubs.get(venue_id, ()))

    def home_club_of(self, venue_id: str) -> KbEntity | None:
        """The (first listed) club whose home ground the venue is, or None."""
        clubs = self.home_clubs_of(venue_id)
        return clubs[0] if clubs else None

    def _index_home_clubs(self) -> dict[str, tuple[str, ...]]:
        """venue id -> club ids, from venues' ``club`` attr then clubs' ``stadium`` attr."""
        homes: dict[str, list[str]] = {}
        for entity in self._entities.values():
            if entity.type == "venue":
                for club_id in entity.attrs.get("club", "").split(","):
                    club = self._entities.get(club_id.strip())
                    if club is not None and club.type == "club":
                        homes.setdefault(entity.id, []).append(club.id)
        for entity in self._entities.values():
            if entity.type == "club":
                venue = self._entities.get(entity.attrs.get("stadium", ""))
                if venue is not None and venue.type == "venue":
                    homes.setdefault(venue.id, []).append(entity.id)
        return {venue_id: _dedupe(clubs) for venue_id, clubs in homes.items()}


def _packaged_document(name: str) -> Mapping[str, Any]:
    data = resources.files("stream.core.extract").joinpath("data", name).read_bytes()
    document = json.loads(data)
    if not isinstance(document, Mapping):
        raise KbFormatError(f"packaged {name}: top level must be a JSON object")
    return document


@functools.cache
def load_default() -> KnowledgeBase:
    """The packaged knowledge base (generated clubs plus curated facts), loaded once."""
    return KnowledgeBase.from_documents(_packaged_document(n) for n in DEFAULT_FILES)
