"""Entities: knowledge-base mentions plus person names the knowledge base does not know.

People are found as runs of capitalised words that are not something else (a club, a
month, a sentence-opening word, a country, a title such as "Chairman", a ground such as
"Racecourse Ground").

Short forms are resolved only from what the article itself says, plus the KB's club links:

* a bare surname ("Alonso") after a full name ("Xabi Alonso") is that person; when two
  people of the article share it ("Diego Simeone", "Giuliano Simeone") the most recent full
  name before the mention wins (the way a reader resolves it), and a surname before any full
  name is resolved only when one person has it;
* a bare surname the KB keeps out of its aliases because it is shared ("Alonso",
  "Bellingham", "Valverde") is the KB person of that surname whose club (``club_of``) the
  article names, when exactly one such person exists;
* a bare part of a club's name ("Madrid", "City", "United", "Real") is the club the
  article names in full, when one club fits (several: the one named most often, unless tied).
  Not after "in" ("in Madrid" is the city) and not before another capitalised word
  ("United States", "City Ground").

All searches run on a live byte copy of the same-length folded text
(:func:`~stream.core.extract.kb.fold_text`) in which every pass zeroes the characters it
resolved (:func:`live_text`): a key is looked for with ``bytearray.find``, so occurrences inside
mentions already resolved ("Messi" in "Lionel Messi", most of them) are never visited, and the
cost stays a few C-level scans per article instead of Python loops over every pair of spans.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from operator import attrgetter
from typing import Any, NamedTuple, TypeVar

from stream.core.extract.types import EntityMention
from stream.core.models import Entity, EntityType, Ref

_PARTICLE = r"(?:de|da|das|do|dos|del|della|di|van|von|der|den|ter|le|la|el|al|bin|ben)"
#: Runs of capitalised words (particles allowed between them). No look-behind and a plain
#: character class first: sre scans this several times faster than a bounded, look-around
#: pattern; the word-level checks are done on the (few) runs found. Possessive quantifiers
#: (word and space classes are disjoint, so giving characters back can never help) and the
#: capital tried before the particles keep sre from backtracking through every capitalised
#: word that opens a sentence.
_NAME_RUN = re.compile(
    rf"[A-ZÀ-ÖØ-Þ](?:\.|[\w'’\-]*+)"
    rf"(?:[ \t]++(?:[A-ZÀ-ÖØ-Þ]|{_PARTICLE}[ \t]+[A-ZÀ-ÖØ-Þ])[\w'’\-]*+)+"
)
#: ``_NAME_RUN`` reads nothing but the class of each character: a capital of its first class,
#: a lowercase ASCII letter (the particles are spelled out), another word character, an
#: apostrophe (' or ’), "-", ".", a space, a tab, or anything else. :func:`_shape` maps every
#: character to one byte naming its class, and ``_SHAPE_RUN`` is ``_NAME_RUN`` written over
#: those bytes: the same matches at the same offsets, but opening with a literal (the
#: capital's byte), which sre finds with a fast scan instead of testing a character class at
#: every position (half the time on an article, mapping included).
_SHAPE_RUN = re.compile(
    rb"\x01(?:\.|[a-z\x01\x02'\-]*+)"
    rb"(?:[ \t]++(?:\x01|" + _PARTICLE.encode() + rb"[ \t]+\x01)[a-z\x01\x02'\-]*+)+"
)
#: A word of a name: capitalised, ends in a lowercase letter ("LONDON" is not a name).
_NAME_WORD = re.compile(r"(?:[A-ZÀ-ÖØ-Þ][\w'’\-]*[a-zß-öø-ÿ]|[A-Z]\.|O[’'][A-Z]\w+)$")
_MAX_NAME_WORDS = 4

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
    chairman chairwoman captain skipper boss striker forward midfielder defender winger
    goalkeeper keeper veteran teenager youngster star legend owner agent insider executive
    sporting-director interim caretaker transfer exclusive breaking live report
    ground stadium stadion stadio estadio estadi arena park road lane field parc
    saudi arabia qatar emirates kazakhstan africa america asia europe
    england scotland wales ireland spain france germany italy portugal netherlands belgium
    brazil argentina uruguay colombia mexico canada japan korea australia egypt morocco
    norway sweden denmark finland poland austria switzerland croatia serbia turkey greece
    """.split()
)
_GENERIC_CLUB_WORDS = frozenset(
    "fc cf sc ac afc cd ud sd rc as ss ssc club football futbol fútbol calcio balompie "
    "balompié sport sports sporting de del la le the and of hove".split()
)

#: Demonyms and country names -> the country as the KB spells it (``nationality`` of people,
#: ``country`` of clubs): "the Frenchman", "the Italian champions".
DEMONYMS: Mapping[str, str] = {
    **{w: "Spain" for w in ("spaniard", "spanish", "spain")},
    **{w: "France" for w in ("frenchman", "french", "france")},
    **{w: "Germany" for w in ("german", "germany")},
    **{w: "Italy" for w in ("italian", "italy")},
    **{w: "Portugal" for w in ("portuguese", "portugal")},
    **{w: "England" for w in ("englishman", "english", "england")},
    **{w: "Scotland" for w in ("scot", "scotsman", "scottish", "scotland")},
    **{w: "Wales" for w in ("welshman", "welsh", "wales")},
    **{w: "Ireland" for w in ("irishman", "irish", "ireland")},
    **{w: "Netherlands" for w in ("dutchman", "dutch", "netherlands")},
    **{w: "Denmark" for w in ("dane", "danish", "denmark")},
    **{w: "Argentina" for w in ("argentine", "argentinian", "argentina")},
    **{w: "Brazil" for w in ("brazilian", "brazil")},
    **{w: "Uruguay" for w in ("uruguayan", "uruguay")},
    **{w: "Belgium" for w in ("belgian", "belgium")},
    **{w: "Croatia" for w in ("croat", "croatian", "croatia")},
    **{w: "Chile" for w in ("chilean", "chile")},
    **{w: "Norway" for w in ("norwegian", "norway")},
    **{w: "Sweden" for w in ("swede", "swedish", "sweden")},
    **{w: "Austria" for w in ("austrian", "austria")},
    **{w: "Switzerland" for w in ("swiss", "switzerland")},
    **{w: "Turkey" for w in ("turk", "turkish", "turkey")},
    **{w: "Poland" for w in ("pole", "polish", "poland")},
    **{w: "Egypt" for w in ("egyptian", "egypt")},
    **{w: "Slovenia" for w in ("slovenian", "slovene", "slovenia")},
    **{w: "Serbia" for w in ("serb", "serbian", "serbia")},
    **{w: "Colombia" for w in ("colombian", "colombia")},
    **{w: "Ecuador" for w in ("ecuadorian", "ecuador")},
    **{w: "Morocco" for w in ("moroccan", "morocco")},
    **{w: "Nigeria" for w in ("nigerian", "nigeria")},
    **{w: "Ghana" for w in ("ghanaian", "ghana")},
    **{w: "Senegal" for w in ("senegalese", "senegal")},
    **{w: "Cameroon" for w in ("cameroonian", "cameroon")},
    **{w: "Georgia" for w in ("georgian", "georgia")},
    **{w: "Hungary" for w in ("hungarian", "hungary")},
    **{w: "Romania" for w in ("romanian", "romania")},
    **{w: "Greece" for w in ("greek", "greece")},
    **{w: "Mexico" for w in ("mexican", "mexico")},
    **{w: "Canada" for w in ("canadian", "canada")},
    **{w: "Australia" for w in ("australian", "australia")},
    **{w: "United States" for w in ("american",)},
    **{w: "South Korea" for w in ("korean",)},
    **{w: "Algeria" for w in ("algerian", "algeria")},
}


_START = attrgetter("start")
_PARTICLES = frozenset(
    "de da das do dos del della di van von der den ter le la el al bin ben".split())


_T = TypeVar("_T")


def fast_init(cls: type[_T], names: tuple[str, ...]) -> Callable[..., _T]:
    """A constructor of a frozen, slotted three- or four-field dataclass about twice as fast
    as its own ``__init__`` (which sets each field through ``object.__setattr__``): the
    instance is made with ``object.__new__`` and its slots are filled through their
    descriptors, giving an object equal in every way to ``cls(*values)``. Used for what is
    made by the dozen per article. Falls back to ``cls`` itself if it has a ``__post_init__``
    or other fields."""
    slots: list[Any] = [cls.__dict__.get(name) for name in names]
    if (len(names) not in (3, 4) or hasattr(cls, "__post_init__")
            or tuple(getattr(cls, "__dataclass_fields__", ())) != names
            or not all(hasattr(slot, "__set__") for slot in slots)):
        return cls
    new = object.__new__
    setters = [slot.__set__ for slot in slots]
    if len(setters) == 3:
        set_a, set_b, set_c = setters

        def make3(a: Any, b: Any, c: Any) -> _T:
            instance = new(cls)
            set_a(instance, a)
            set_b(instance, b)
            set_c(instance, c)
            return instance

        return make3
    set_a, set_b, set_c, set_d = setters

    def make(a: Any, b: Any, c: Any, d: Any) -> _T:
        instance = new(cls)
        set_a(instance, a)
        set_b(instance, b)
        set_c(instance, c)
        set_d(instance, d)
        return instance

    return make


_new_tuple = tuple.__new__


_new_entity: Callable[[EntityType, str, str, tuple[tuple[int, int], ...]], Entity] = fast_init(
    Entity, ("type", "name", "id", "mentions"))


def slugify(name: str) -> str:
    folded = unicodedata.normalize("NFKD", name)
    ascii_only = "".join(c for c in folded if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_only).strip("-")


def person_ref(name: str) -> Ref:
    return Ref(name=name, id=f"person:{slugify(name)}")


class _Zeros(dict[int, bytes]):
    """Length -> that many zero bytes, made once: ``view[start:end] = ZEROS[end - start]``
    resolves a span without allocating (mentions are resolved by the hundred per article).

    ``view`` is a ``memoryview`` of the :func:`live_text`: its slice assignment costs less
    than half the bytearray's own (which goes through the generic buffer-resize path)."""

    def __missing__(self, length: int) -> bytes:
        value = self[length] = bytes(length)
        return value


ZEROS = _Zeros()


def live_text(folded: str) -> bytearray:
    """The folded text (``kb.fold_text``, ASCII) as bytes in which each pass zeroes the
    characters it resolves (``fold_text`` never yields a zero byte).

    Why: a later pass looks for its keys ("messi", "united") with ``bytearray.find`` in it and
    so never visits an occurrence inside a mention already resolved ("Lionel Messi"), and
    "is this span still free?" is one ``find(0, start, end)``.
    """
    return bytearray(folded, "ascii")


def find_person_names(text: str, taken: Sequence[tuple[int, int]]
                      ) -> list[tuple[int, int, str]]:
    """Spans of likely person names not overlapping the ``taken`` spans."""
    live = bytearray(b"\x01") * len(text)
    for start, end in taken:
        live[start:end] = ZEROS[end - start]
    return person_names(text, live)


def person_names(text: str, live: bytearray) -> list[tuple[int, int, str]]:
    """:func:`find_person_names` for a caller holding the :func:`live_text` of ``text``."""
    found: list[tuple[int, int, str]] = []
    cache = _RUN_CACHE
    for match in _SHAPE_RUN.finditer(_shape(text)):
        start, end = match.span()
        if not live[start] or live.find(0, start, end) >= 0:
            continue  # overlaps a mention already resolved (most runs do, most from its start)
        if start and (text[start - 1].isalnum() or text[start - 1] in "'’"):
            continue  # a capital inside a word
        run = text[start:end]
        name = cache.get(run, _UNSEEN)
        if name is _UNSEEN:
            if len(cache) >= _RUN_CACHE_SIZE:
                cache.clear()
            name = cache[run] = _name_in_run(run)
        if name is not None:
            found.append((start + name[0], start + name[1], text[start + name[0]:start + name[1]]))
    return found


def _shape_char(char: str) -> str:
    """The class of one character for ``_SHAPE_RUN`` (see there)."""
    if "A" <= char <= "Z" or "À" <= char <= "Ö" or "Ø" <= char <= "Þ":
        return "\x01"
    if "a" <= char <= "z" or char in "'-. \t":
        return char
    if char == "’":
        return "'"
    if char.isalnum() or char == "_":  # what sre's \w is
        return "\x02"
    return "\x03"


#: Latin-1 byte -> its class byte: ``bytes.translate`` maps a Latin-1 text in C.
_SHAPE_TABLE = "".join(_shape_char(chr(i)) for i in range(256)).encode("latin-1")
#: Characters beyond Latin-1 become a Latin-1 stand-in of their class (the table then maps
#: it): "ª" is a word character, "\x03" nothing.
_STAND_IN = {"\x02": "ª"}
#: Frequent non-Latin-1 punctuation, replaced up front so the slower error handler only
#: sees letters such as "ć" or "ş".
_SHAPE_PUNCTUATION = (("\u2019", "'"), ("\u2018", "\x03"), ("\u201c", "\x03"),
                      ("\u201d", "\x03"), ("\u2013", "\x03"), ("\u2014", "\x03"),
                      ("\u2026", "\x03"))
_SHAPE_ERRORS = "stream-name-shape"


def _shape_beyond_latin1(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeEncodeError):
        raise error
    chars = error.object[error.start:error.end]
    stand_ins = "".join(_STAND_IN.get(shape, shape) for shape in map(_shape_char, chars))
    return stand_ins, error.end


codecs.register_error(_SHAPE_ERRORS, _shape_beyond_latin1)


def _shape(text: str) -> bytes:
    """One byte per character of ``text``, naming its class (see ``_SHAPE_RUN``)."""
    if text.isascii():
        return text.encode("ascii").translate(_SHAPE_TABLE)
    for mark, stand_in in _SHAPE_PUNCTUATION:
        if mark in text:
            text = text.replace(mark, stand_in)
    return text.encode("latin-1", _SHAPE_ERRORS).translate(_SHAPE_TABLE)


#: Run of capitalised words -> the name in it as (start, end) offsets into the run, or None:
#: a pure function of the run, and the same runs ("Real Madrid", "Mikel Arteta") come back in
#: article after article. Bounded: cleared when full.
_RUN_CACHE: dict[str, tuple[int, int] | None] = {}
_RUN_CACHE_SIZE = 50_000
_UNSEEN = (-1, -1)


def _name_in_run(run: str) -> tuple[int, int] | None:
    """The word-level checks of :func:`find_person_names` on one run of capitalised words."""
    not_name = _NOT_NAME_WORDS
    words = run.split()
    lowered = run.lower().split()
    skip = 0
    while skip < len(words) and lowered[skip] in not_name:
        skip += 1
    kept = len(words) - skip
    if kept < 2 or kept > _MAX_NAME_WORDS or any(w in not_name for w in lowered[skip + 1:]):
        return None
    end = len(run)
    last = words[-1]
    if last.endswith(("'s", "’s")):
        end -= 2
        words[-1] = last[:-2]
    if not all(w[-1].islower() or w in _PARTICLES or _NAME_WORD.match(w)
               for w in words[skip:]):
        return None
    start = run.index(words[skip], len(" ".join(words[:skip]))) if skip else 0
    return start, end


class Key(NamedTuple):
    """A folded search key: its bytes (searched in the :func:`live_text`) and whether two
    whole-word occurrences of it can overlap ("x x" in "x x x")."""

    key: bytes
    overlapping: bool


def search_key(folded_key: str) -> Key:
    """The :class:`Key` of a key folded like the text (``kb.fold_text``, stripped)."""
    raw = folded_key.encode("ascii")
    # Occurrences starting k apart overlap as whole words only if the k-th character is a
    # space and the rest of the key is also its beginning.
    overlapping = any(raw[k - 1] == 32 and raw.startswith(raw[k:]) for k in range(1, len(raw)))
    return Key(raw, overlapping)


class WordHits(NamedTuple):
    """Keys whose whole-word occurrences a scan already found (the gazetteer's, see
    ``Gazetteer(words=...)``): ``starts[key]`` are their starts in the folded text, for every
    key of ``indexed`` (a key of ``indexed`` missing from ``starts`` does not occur)."""

    indexed: frozenset[bytes]
    starts: dict[bytes, list[int]]


def _occurrences(text: str, folded: str, key: Key, live: bytearray,
                 hits: WordHits | None = None) -> list[tuple[int, int]]:
    """Capitalised whole-word occurrences of a folded ``key`` in unresolved text.

    Occurrences are taken left to right, each search resuming after the previous occurrence.
    Searching the live text skips resolved ones without changing which are taken, except for
    a key whose occurrences can overlap: its occurrences are taken from the folded text.
    A key of ``hits`` is not searched at all: its whole-word occurrences are known, and
    (they cannot overlap) the unresolved ones are the ones a search would take.
    """
    if key.overlapping:
        return _overlapping_occurrences(text, folded, key.key.decode("ascii"), live)
    raw = key.key
    if hits is not None and raw in hits.indexed:
        starts = hits.starts.get(raw)
        return _known_occurrences(text, starts, len(raw), live) if starts else []
    pos = live.find(raw)
    if pos < 0:
        return []
    spans: list[tuple[int, int]] = []
    size = len(raw)
    length = len(folded)
    while pos >= 0:
        end = pos + size
        if ((pos == 0 or (folded[pos - 1] == " " and text[pos - 1] not in "'’-"))
                and (end == length or (folded[end] == " " and text[end] != "-"))
                and text[pos].isupper()):
            spans.append((pos, end))
        pos = live.find(raw, end)
    return spans


def _known_occurrences(text: str, starts: list[int] | None, size: int,
                       live: bytearray) -> list[tuple[int, int]]:
    """:func:`_occurrences` of a key from the starts of its whole-word occurrences."""
    if not starts:
        return []
    spans: list[tuple[int, int]] = []
    length = len(text)
    for pos in starts:
        if not live[pos]:
            continue  # inside a mention already resolved (most are): the cheapest test
        end = pos + size
        if ((pos == 0 or text[pos - 1] not in "'’-") and (end == length or text[end] != "-")
                and text[pos].isupper() and live.find(0, pos, end) < 0):
            spans.append((pos, end))
    return spans


def _overlapping_occurrences(text: str, folded: str, key: str,
                             live: bytearray) -> list[tuple[int, int]]:
    """:func:`_occurrences` of a key that may overlap itself, as found in the folded text."""
    spans: list[tuple[int, int]] = []
    size = len(key)
    length = len(folded)
    pos = folded.find(key)
    while pos >= 0:
        end = pos + size
        if ((pos == 0 or (folded[pos - 1] == " " and text[pos - 1] not in "'’-"))
                and (end == length or (folded[end] == " " and text[end] != "-"))
                and text[pos].isupper() and live.find(0, pos, end) < 0):
            spans.append((pos, end))
        pos = folded.find(key, end)
    return spans


def _key_length(key: Key) -> int:
    return len(key.key)


def surname_mentions(text: str, folded: str, people: Sequence[EntityMention],
                     live: bytearray, keys_of: Callable[[str], tuple[Key, ...]],
                     hits: WordHits | None = None) -> list[EntityMention]:
    """Bare surnames of the full names seen (see the module docstring); ``keys_of`` is
    :func:`surname_keys` (a caller may cache it per name), ``hits`` what is known of where
    keys occur."""
    names: dict[str, tuple[Key, ...]] = {}  # a few names, mentioned again and again
    for mention in people:
        name = mention.ref.name
        if name not in names:
            names[name] = keys_of(name)
    # Key -> the names that have it, keys in order of first mention (ties of length keep it).
    by_key: dict[Key, list[str]] = {}
    for name, keys in names.items():
        for key in keys:
            by_key.setdefault(key, []).append(name)
    found: list[EntityMention] = []
    new = _new_tuple
    view = memoryview(live)  # zeroes resolved spans (see ``ZEROS``)
    for key in sorted(by_key, key=_key_length, reverse=True):
        if len(key.key) < 3:
            continue
        spans = _occurrences(text, folded, key, live, hits)
        if not spans:
            continue
        # The mentions of those names (looked for only for a key that occurs: few do).
        owner_names = by_key[key]
        owners = [m for m in people if m.ref.name in owner_names]
        first = owners[0].ref
        single = len(owners) == 1 or len({(m.ref.name, m.ref.id) for m in owners}) == 1
        for start, end in spans:
            if single:
                ref = first
            else:
                before = [m for m in owners if m.end <= start]
                if not before:
                    continue
                ref = max(before, key=_START).ref
            view[start:end] = ZEROS[end - start]
            found.append(new(EntityMention, (start, end, "person", ref)))
    return found


def surname_keys(name: str, fold: Callable[[str], str]) -> tuple[Key, ...]:
    """Folded short forms of a full name: its last word, and everything after the first."""
    parts = name.split()
    if len(parts) < 2:
        return ()
    keys = {parts[-1]} if len(parts) == 2 else {parts[-1], " ".join(parts[1:])}
    return tuple(search_key(fold(key).strip()) for key in keys)


def keyed_mentions(text: str, folded: str, candidates: Mapping[Key, Sequence[Ref]],
                   etype: EntityType, live: bytearray,
                   weight: Mapping[str, int] | None = None,
                   not_after: frozenset[str] = frozenset(),
                   hits: WordHits | None = None) -> list[EntityMention]:
    """Mentions of folded keys that name one of ``candidates[key]``.

    Several candidates: the one with the highest ``weight`` (mentions so far), unless tied.
    A key right after a word of ``not_after`` ("in Madrid") or right before another
    capitalised word ("United States") is left alone. ``hits``: what is known of where
    keys occur.
    """
    found: list[EntityMention] = []
    new = _new_tuple
    view = memoryview(live)  # zeroes resolved spans (see ``ZEROS``)
    for key in sorted(candidates, key=_key_length, reverse=True):
        spans = _occurrences(text, folded, key, live, hits)
        if not spans:
            continue
        refs = candidates[key]
        if len(refs) > 1:
            scored = sorted(refs, key=lambda r: (weight or {}).get(r.id, 0), reverse=True)
            if (weight or {}).get(scored[0].id, 0) == (weight or {}).get(scored[1].id, 0):
                continue
            ref = scored[0]
        else:
            ref = refs[0]
        for start, end in spans:
            previous = folded[max(0, start - 12):start].split()
            if previous and previous[-1] in not_after:
                continue
            if end + 1 < len(text) and text[end] == " " and text[end + 1].isupper():
                continue
            view[start:end] = ZEROS[end - start]
            found.append(new(EntityMention, (start, end, etype, ref)))
    return found


class KeyFolder:
    """Callable folding a short key like the text (``kb.fold_text``), cached."""

    def __init__(self, fold_text: Callable[[str], str]) -> None:
        self._fold = fold_text
        self._cache: dict[str, str] = {}

    def __call__(self, key: str) -> str:
        value = self._cache.get(key)
        if value is None:
            value = self._cache[key] = self._fold(key)
        return value


def group_entities(mentions: Sequence[EntityMention]) -> tuple[Entity, ...]:
    """One entity per id, mentions in text order; entities in order of first mention."""
    return group_and_split(sorted(mentions, key=_START))[0]


def group_and_split(mentions: Iterable[EntityMention]
                    ) -> tuple[tuple[Entity, ...], dict[str, list[EntityMention]]]:
    """:func:`group_entities` and ``types.mentions_by_type`` of mentions in text order, in
    one pass (both are asked of every article)."""
    by_id: dict[str, tuple[EntityType, str, list[tuple[int, int]]]] = {}
    by_type: dict[str, list[EntityMention]] = {}
    for mention in mentions:
        start, end, etype, ref = mention
        entry = by_id.get(ref.id)
        if entry is None:
            entry = by_id[ref.id] = (etype, ref.name, [])
        entry[2].append((start, end))
        group = by_type.get(etype)
        if group is None:
            by_type[etype] = [mention]
        else:
            group.append(mention)
    new = _new_entity
    return tuple([new(t, n, i, tuple(spans)) for i, (t, n, spans) in by_id.items()]), by_type


def surname_index(people: Sequence[EntityMention]) -> dict[str, Ref]:
    """Last name (and everything after the first name) of each full name seen, when only
    one person has it (kept for callers that want the unambiguous index alone)."""
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
