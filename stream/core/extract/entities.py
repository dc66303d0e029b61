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

All searches run on the same-length folded text (:func:`~stream.core.extract.kb.fold_text`)
with ``str.find`` and a byte mask of the characters already resolved, so the cost stays a
few C-level scans per article instead of Python loops over every pair of spans.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence

from stream.core.extract.types import EntityMention
from stream.core.models import Entity, EntityType, Ref

_PARTICLE = r"(?:de|da|das|do|dos|del|della|di|van|von|der|den|ter|le|la|el|al|bin|ben)"
#: Runs of capitalised words (particles allowed between them). No look-behind and a plain
#: character class first: sre scans this several times faster than a bounded, look-around
#: pattern; the word-level checks are done on the (few) runs found.
_NAME_RUN = re.compile(
    rf"[A-ZÀ-ÖØ-Þ](?:\.|[\w'’\-]*)(?:[ \t]+(?:{_PARTICLE}[ \t]+)?[A-ZÀ-ÖØ-Þ][\w'’\-]*)+"
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


_PARTICLES = frozenset(
    "de da das do dos del della di van von der den ter le la el al bin ben".split())


def slugify(name: str) -> str:
    folded = unicodedata.normalize("NFKD", name)
    ascii_only = "".join(c for c in folded if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_only).strip("-")


def person_ref(name: str) -> Ref:
    return Ref(name=name, id=f"person:{slugify(name)}")


def mask_of(length: int, spans: Iterable[tuple[int, int]]) -> bytearray:
    """One byte per character, 1 where a resolved mention already sits."""
    mask = bytearray(length)
    for start, end in spans:
        mask[start:end] = b"\x01" * (end - start)
    return mask


def _free(mask: bytearray, start: int, end: int) -> bool:
    return mask.find(1, start, end) < 0


def find_person_names(text: str, taken: Sequence[tuple[int, int]] | bytearray
                      ) -> list[tuple[int, int, str]]:
    """Spans of likely person names not overlapping already-resolved mentions."""
    mask = taken if isinstance(taken, bytearray) else mask_of(len(text), taken)
    found: list[tuple[int, int, str]] = []
    not_name = _NOT_NAME_WORDS
    for match in _NAME_RUN.finditer(text):
        start, end = match.span()
        if start and (text[start - 1].isalnum() or text[start - 1] in "'’"):
            continue  # a capital inside a word
        if not _free(mask, start, end):
            continue
        run = match.group(0)
        words = run.split()
        lowered = run.lower().split()
        skip = 0
        while skip < len(words) and lowered[skip] in not_name:
            skip += 1
        kept = len(words) - skip
        if kept < 2 or kept > _MAX_NAME_WORDS or any(w in not_name for w in lowered[skip + 1:]):
            continue
        last = words[-1]
        if last.endswith(("'s", "’s")):
            end -= 2
            words[-1] = last[:-2]
        if not all(w[-1].islower() or w in _PARTICLES or _NAME_WORD.match(w)
                   for w in words[skip:]):
            continue
        if skip:
            start = text.index(words[skip], start + len(" ".join(words[:skip])))
        found.append((start, end, text[start:end]))
    return found


def _occurrences(text: str, folded: str, key: str, mask: bytearray) -> list[tuple[int, int]]:
    """Capitalised whole-word occurrences of a folded ``key`` in unresolved text."""
    spans: list[tuple[int, int]] = []
    if key not in folded:
        return spans
    size = len(key)
    pos = folded.find(key)
    while pos >= 0:
        end = pos + size
        if ((pos == 0 or (folded[pos - 1] == " " and text[pos - 1] not in "'’-"))
                and (end == len(folded) or (folded[end] == " " and text[end] not in "-"))
                and text[pos].isupper() and _free(mask, pos, end)):
            spans.append((pos, end))
        pos = folded.find(key, end)
    return spans


def surname_mentions(text: str, folded: str, people: Sequence[EntityMention],
                     mask: bytearray, fold: Callable[[str], str]) -> list[EntityMention]:
    """Bare surnames of the full names seen (see the module docstring)."""
    by_key: dict[str, list[EntityMention]] = {}
    for mention in people:
        parts = mention.ref.name.split()
        if len(parts) < 2:
            continue
        keys = {parts[-1]} if len(parts) == 2 else {parts[-1], " ".join(parts[1:])}
        for key in keys:
            by_key.setdefault(fold(key).strip(), []).append(mention)
    found: list[EntityMention] = []
    for key in sorted(by_key, key=len, reverse=True):
        if len(key) < 3:
            continue
        owners = by_key[key]
        refs = {m.ref for m in owners}
        for start, end in _occurrences(text, folded, key, mask):
            if len(refs) == 1:
                ref = owners[0].ref
            else:
                before = [m for m in owners if m.end <= start]
                if not before:
                    continue
                ref = max(before, key=lambda m: m.start).ref
            mask[start:end] = b"\x01" * (end - start)
            found.append(EntityMention(start, end, "person", ref))
    return found


def keyed_mentions(text: str, folded: str, candidates: Mapping[str, Sequence[Ref]],
                   etype: EntityType, mask: bytearray,
                   weight: Mapping[str, int] | None = None,
                   not_after: frozenset[str] = frozenset()) -> list[EntityMention]:
    """Mentions of folded keys that name one of ``candidates[key]``.

    Several candidates: the one with the highest ``weight`` (mentions so far), unless tied.
    A key right after a word of ``not_after`` ("in Madrid") or right before another
    capitalised word ("United States") is left alone.
    """
    found: list[EntityMention] = []
    for key in sorted(candidates, key=len, reverse=True):
        refs = candidates[key]
        if len(refs) > 1:
            scored = sorted(refs, key=lambda r: (weight or {}).get(r.id, 0), reverse=True)
            if (weight or {}).get(scored[0].id, 0) == (weight or {}).get(scored[1].id, 0):
                continue
            ref = scored[0]
        else:
            ref = refs[0]
        for start, end in _occurrences(text, folded, key, mask):
            previous = folded[max(0, start - 12):start].split()
            if previous and previous[-1] in not_after:
                continue
            if end + 1 < len(text) and text[end] == " " and text[end + 1].isupper():
                continue
            mask[start:end] = b"\x01" * (end - start)
            found.append(EntityMention(start, end, etype, ref))
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
    by_id: dict[str, tuple[EntityType, str, list[tuple[int, int]]]] = {}
    for mention in sorted(mentions, key=lambda m: m.start):
        entry = by_id.setdefault(mention.ref.id, (mention.type, mention.ref.name, []))
        entry[2].append((mention.start, mention.end))
    return tuple(Entity(type=t, name=n, id=i, mentions=tuple(spans))
                 for i, (t, n, spans) in by_id.items())


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
