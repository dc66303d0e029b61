"""Find knowledge-base aliases in article text, fast, with offsets into the original text.

Why this shape: extraction has a budget of about 0.5 ms per 4 KB article, so the alias scan
must cost a small fraction of that.  The text is folded to a same-length lowercase ASCII form
(:func:`~stream.core.extract.kb.fold_text`: accents stripped, punctuation as spaces), so offsets
in the folded text are offsets in the original and no offset map is needed; one Aho-Corasick
pass (pyahocorasick, C) then finds every alias at once.  Each alias is stored between two
spaces and the folded text gets a space at each end, so an alias can only start and end at a
word boundary ("Madrid’s" -> "madrid s" yields "Madrid") and the automaton never reports a hit
inside a word (no per-hit boundary check in Python).

Candidates are resolved longest first and never overlap, so "Real Madrid" wins over "Madrid"
and "Manchester United" over "United" (suffixes are dropped as they are found; prefixes and
other overlaps are settled per cluster of overlapping spans, so the cost stays linear).
Aliases the knowledge base marks as cased must appear exactly as written in the original text
("AS" the newspaper, not "as").
"""

from __future__ import annotations

import re
import time
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

import ahocorasick

from stream.core.extract.kb import KbEntity, KnowledgeBase, fold_text

__all__ = ["Gazetteer", "Mention"]

_COMBINING = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_PLACEHOLDER = "\x01"  # fold_text's stand-in for letters without an ASCII base


class Mention(NamedTuple):
    """``text[start:end] == surface`` names one of ``entity_ids`` (several when ambiguous).

    A named tuple rather than a frozen dataclass: it is created for every hit in every article
    and a tuple is several times cheaper to build.
    """

    start: int
    end: int
    surface: str
    entity_ids: tuple[str, ...]


# One stored alias form: (entity id, exact spelling required or None when case-insensitive).
_Entry = tuple[str, str | None]
# A candidate match: (start, end, entity ids).
_Span = tuple[int, int, tuple[str, ...]]
# A key's cased entries, and by exact spelling the ids a surface spelled so names: the key's
# plain ids, then those of the cased entries with that spelling (in entry order).
_Cased = tuple[tuple[_Entry, ...], dict[str, tuple[str, ...]]]


def _cased_of(plain: tuple[str, ...], entries: tuple[_Entry, ...]) -> _Cased:
    by_spelling: dict[str, list[str]] = {}
    for eid, exact in entries:
        if exact is not None:
            by_spelling.setdefault(exact, []).append(eid)
    return entries, {exact: tuple(dict.fromkeys((*plain, *ids)))
                     for exact, ids in by_spelling.items()}


def _alias_keys(alias: str) -> set[str]:
    """Folded search keys for an alias: spaces collapsed, and as written ("St. Pauli" folds to
    "st  pauli" in text, so both that and "st pauli" are stored)."""
    folded = fold_text(alias)
    keys = {" ".join(folded.split()), folded.strip()}
    return {k for k in keys if k and _PLACEHOLDER not in k and any(c.isalpha() for c in k)}


def _cased_match(surface: str, exact: str) -> bool:
    """Exact spelling, allowing other whitespace and a lowercase leading article."""
    if surface == exact:
        return True
    flat = " ".join(surface.split())
    if flat == exact:
        return True
    return exact.startswith("The ") and flat.startswith("the ") and flat[4:] == exact[4:]


def _with_cased(plain: tuple[str, ...], cased: _Cased, surface: str) -> tuple[str, ...]:
    """``plain`` plus the entities whose exact spelling ``surface`` is.

    A one-word surface ("Chelsea") can only be its own spelling (the other allowances are
    about whitespace and "The"), so its ids are looked up, merged in advance."""
    entries, by_spelling = cased
    if surface.isalnum():
        return by_spelling.get(surface, plain)
    extra = [eid for eid, exact in entries if exact is not None and _cased_match(surface, exact)]
    return tuple(dict.fromkeys((*plain, *extra))) if extra else plain


class Gazetteer:
    """Alias matcher over one knowledge base; immutable and safe to share between tasks."""

    __slots__ = ("_automaton", "build_ms", "key_count")

    def __init__(self, kb: KnowledgeBase, types: Iterable[str] | None = None,
                 words: Iterable[str] = ()) -> None:
        """Index every alias of every entity (of ``types``, when given), and ``words``.

        ``words`` are more folded keys (``kb.fold_text``, stripped) that are not looked up as
        aliases but whose whole-word occurrences :meth:`find_spans_and_words` reports from the
        same scan: a caller looking for many fixed short forms ("Alonso", "United") then needs
        no search of its own for each.
        """
        started = time.perf_counter()
        wanted = frozenset(types) if types is not None else None
        table: dict[str, dict[_Entry, None]] = {}
        for entity in kb:
            if wanted is None or entity.type in wanted:
                self._add_entity(table, entity)
        extra = {word: word.encode("ascii") for word in words}
        automaton = ahocorasick.Automaton()
        for key, entries in table.items():
            plain = tuple(dict.fromkeys(eid for eid, exact in entries if exact is None))
            cased = tuple((eid, exact) for eid, exact in entries if exact is not None)
            # Cased entries keep the first letters their exact spellings allow, so a hit on
            # "as" (the word) is dismissed without comparing it with "AS" (the newspaper).
            firsts = "".join({c for _, exact in cased for c in (exact[0], exact[0].lower())
                              if exact.startswith("The ") or c == exact[0]})
            automaton.add_word(" " + key + " ", (len(key), plain,
                                                 _cased_of(plain, cased) if cased else None,
                                                 firsts, extra.pop(key, None)))
        for word, raw in extra.items():
            automaton.add_word(" " + word + " ", (len(word), (), None, "", raw))
        automaton.make_automaton()
        self._automaton = automaton
        self.key_count = len(table)
        self.build_ms = (time.perf_counter() - started) * 1000

    @staticmethod
    def _add_entity(table: dict[str, dict[_Entry, None]], entity: KbEntity) -> None:
        for alias in entity.aliases:
            exact = alias if alias in entity.cased_aliases else None
            for key in _alias_keys(alias):
                table.setdefault(key, {})[(entity.id, exact)] = None

    def find(self, text: str) -> list[Mention]:
        """Non-overlapping whole-word alias mentions, in text order, longest match first."""
        if not text:
            return []
        folded = fold_text(text)
        if _PLACEHOLDER in folded and _COMBINING.search(text):
            return self._find_decomposed(text)
        new = tuple.__new__  # skips the named tuple's Python-level __new__: one call per hit
        return [new(Mention, (s, e, text[s:e], ids))
                for s, e, ids in self._spans(text, folded, None)]

    def find_spans(self, text: str, folded: str) -> list[tuple[int, int, tuple[str, ...]]]:
        """:meth:`find` as ``(start, end, entity ids)`` for a caller that already holds
        ``fold_text(text)`` (the surface is ``text[start:end]``)."""
        if not text:
            return []
        if _PLACEHOLDER in folded and _COMBINING.search(text):
            return [(m.start, m.end, m.entity_ids) for m in self._find_decomposed(text)]
        return self._spans(text, folded, None)

    def find_spans_and_words(self, text: str, folded: str
                             ) -> tuple[list[_Span], list[tuple[bytes, int]] | None]:
        """:meth:`find_spans`, and ``(word, start)`` of each whole-word occurrence of the
        ``words`` given at construction, in the folded text (None when the text is not NFC:
        its spans are mapped back from another string)."""
        if not text:
            return [], []
        if _PLACEHOLDER in folded and _COMBINING.search(text):
            return self.find_spans(text, folded), None
        words: list[tuple[bytes, int]] = []
        return self._spans(text, folded, words), words

    def _spans(self, text: str, folded: str,
               words: list[tuple[bytes, int]] | None) -> list[_Span]:
        """Candidates in text order; ``folded`` is ``fold_text(text)``; occurrences of the
        extra words go to ``words`` when given.

        A hit starting where the last candidate starts, and longer ("Bayern Munich" after
        "Bayern"), replaces it on the spot: the two overlap nothing else while no other
        overlap has been seen, so the longest-first rule would keep the longer one anyway.
        Any other overlap sends everything found, replaced ones included, through that rule.
        """
        candidates: list[_Span] = []
        replaced: list[_Span] = []
        append = candidates.append
        prev_end = prev_length = -1
        overlap = False
        # Hits come in order of their end; ``last`` is the trailing space's index in the
        # padded text, i.e. the alias's end in the original text plus one.
        for last, (length, plain, cased, firsts, word) in self._automaton.iter(
                " " + folded + " "):
            end = last - 1
            if word is not None and words is not None:
                words.append((word, end - length))
            if end == prev_end and length <= prev_length:
                continue  # a suffix of an alias already kept ("Madrid" in "Real Madrid")
            start = end - length
            if cased is not None and text[start] in firsts:
                plain = _with_cased(plain, cased, text[start:end])
            if plain:
                if end == prev_end:
                    candidates.pop()
                    if replaced or (candidates and start < candidates[-1][1]):
                        overlap = True
                elif start < prev_end:
                    if not overlap and candidates[-1][0] == start:
                        replaced.append(candidates.pop())
                    else:
                        overlap = True
                append((start, end, plain))
                prev_end, prev_length = end, length
        # Without overlaps the candidates are already in text order and all kept.
        return _longest_first(candidates + replaced) if overlap else candidates

    def _find_decomposed(self, text: str) -> list[Mention]:
        """Text with combining accents (NFD): match on the base letters, map offsets back."""
        kept = [i for i, c in enumerate(text) if not unicodedata.combining(c)]
        base = "".join(text[i] for i in kept)
        mentions: list[Mention] = []
        for start, end, ids in self._spans(base, fold_text(base), None):
            real_start = kept[start]
            real_end = kept[end] if end < len(kept) else len(text)
            mentions.append(Mention(real_start, real_end, text[real_start:real_end], ids))
        return mentions


def _longest_first(candidates: list[_Span]) -> list[_Span]:
    """Keep the longest candidates that do not overlap an already kept one; text order out.

    Most candidates overlap nothing, so the work is done per cluster of overlapping spans
    (one linear sweep); only inside a cluster are spans taken longest first.
    """
    if len(candidates) < 2:
        return candidates
    candidates.sort()
    chosen: list[_Span] = []
    cluster: list[_Span] = [candidates[0]]
    cluster_end = candidates[0][1]
    for span in candidates[1:]:
        if span[0] < cluster_end:
            cluster.append(span)
            cluster_end = max(cluster_end, span[1])
            continue
        chosen.extend(cluster if len(cluster) == 1 else _resolve_cluster(cluster))
        cluster, cluster_end = [span], span[1]
    chosen.extend(cluster if len(cluster) == 1 else _resolve_cluster(cluster))
    return chosen


def _resolve_cluster(cluster: list[_Span]) -> list[_Span]:
    kept: list[_Span] = []
    for span in sorted(cluster, key=lambda c: (c[0] - c[1], c[0])):
        if all(span[1] <= k[0] or k[1] <= span[0] for k in kept):
            kept.append(span)
    kept.sort()
    return kept


def _benchmark(paths: list[str]) -> None:
    """Print load, build and per-4 KB scan times on the given files (or a built-in sample)."""
    import sys

    from stream.core.extract.kb import load_default

    started = time.perf_counter()
    kb = load_default()
    load_ms = (time.perf_counter() - started) * 1000
    gazetteer = Gazetteer(kb)
    sample = (
        "Real Madrid’s coach said on Tuesday that Kylian Mbappé and Vinícius Júnior would start "
        "against Atlético at the Bernabéu, while Barcelona travel to Sevilla. Manchester City "
        "and Arsenal meet on Sunday. “We were very good in the second half,” the manager told "
        "reporters after the game, before heading back to the training ground for a session. "
    )
    texts = [Path(p).read_text(encoding="utf-8") for p in paths] or [sample]
    for label, text in zip(paths or ["built-in sample"], texts, strict=True):
        chunk = (text * (4096 // len(text) + 1))[:4096]
        for variant, sample_text in (("as is", chunk), ("ascii only", _ascii(chunk))):
            gazetteer.find(sample_text)
            rounds = 2000
            began = time.perf_counter()
            for _ in range(rounds):
                found = gazetteer.find(sample_text)
            per = (time.perf_counter() - began) / rounds * 1e6
            print(f"{label} [{variant}]: {per:.1f} us per {len(sample_text)} chars, "
                  f"{len(found)} mentions")
    print(f"kb load {load_ms:.1f} ms ({len(kb)} entities), "
          f"gazetteer build {gazetteer.build_ms:.1f} ms ({gazetteer.key_count} keys)",
          file=sys.stdout)


def _ascii(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return decomposed.encode("ascii", "ignore").decode("ascii")


if __name__ == "__main__":
    import sys

    _benchmark(sys.argv[1:])
