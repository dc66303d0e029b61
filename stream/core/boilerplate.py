"""Boilerplate learned from the stream: a paragraph that recurs across many articles of
the same source is that source's furniture (a footer, a sign-off, a promo line), even
when no rule names it.

The dedup stage sees every article, so it keeps the per-source counts (memory passed in:
a Faust table in the worker, a dict in batch mode) and strips learned paragraphs before
deciding and publishing. Stripping keeps the extraction consistent: mentions, results and
quotes inside removed paragraphs go, the rest are shifted to the new offsets.

Memory keys: ``p:<source>|<paragraph hash>`` -> ``<count>|<last day seen>``; which keys
belong to which day is derived in process (see :class:`LearningState`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass, replace
from datetime import date

from stream.core.clean.normalize import fold_for_matching
from stream.core.dedup.minhash import signature
from stream.core.ids import content_hash, digest
from stream.core.models import AnalysedArticle, Entity, Extraction, MatchResult, Quote

Memory = MutableMapping[str, str]
#: Maps an old [start, end) span to the new text, or None when it was removed.
Mover = Callable[[int, int], tuple[int, int] | None]


@dataclass(frozen=True, slots=True)
class LearningPolicy:
    #: Distinct unique articles of one source that must share a paragraph.
    min_articles: int = 5
    #: Longer paragraphs are story text, never counted (and each count is a write).
    max_chars: int = 250
    #: Counts not confirmed for this long are forgotten.
    window_days: int = 30


DEFAULT_LEARNING = LearningPolicy()


def paragraph_spans(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    start = 0
    while start <= len(text):
        end = text.find("\n\n", start)
        end = len(text) if end < 0 else end
        if end > start:
            spans.append((start, end))
        start = end + 2
    return spans


def _key(source: str, paragraph: str) -> str:
    return f"p:{source}|{digest((fold_for_matching(paragraph),), size=8)}"


class LearningState:
    """Per-source paragraph counts in the durable memory (``p:`` keys, one write per
    counted paragraph) plus a derived, in-process index of which keys were last seen on
    which day, rebuilt from the memory after a restart or rebalance."""

    def __init__(self, memory: Memory, policy: LearningPolicy = DEFAULT_LEARNING) -> None:
        self.memory = memory
        self.policy = policy
        self._by_day: dict[str, set[str]] | None = None
        self._watermark = ""

    def invalidate(self) -> None:
        self._by_day = None
        self._watermark = ""

    @property
    def by_day(self) -> dict[str, set[str]]:
        if self._by_day is None:
            self._by_day = defaultdict(set)
            for key, value in self.memory.items():
                if key.startswith("p:"):
                    day = value.split("|")[1]
                    self._by_day[day].add(key)
                    self._watermark = max(self._watermark, day)
        return self._by_day

    def learned_indices(self, analysed: AnalysedArticle) -> set[int]:
        """Paragraphs of this article that its source repeats in many other articles."""
        text, source = analysed.article.text, analysed.article.source
        found: set[int] = set()
        for index, (start, end) in enumerate(paragraph_spans(text)):
            if end - start > self.policy.max_chars:
                continue
            stored = self.memory.get(_key(source, text[start:end]))
            if stored and int(stored.split("|")[0]) >= self.policy.min_articles:
                found.add(index)
        return found

    def count(self, analysed: AnalysedArticle, original_text: str) -> None:
        """Count each short paragraph once for this (unique) article; expire old counts."""
        by_day = self.by_day
        day = _day(analysed) or self._watermark
        for start, end in paragraph_spans(original_text):
            if end - start > self.policy.max_chars:
                continue
            key = _key(analysed.article.source, original_text[start:end])
            stored = self.memory.get(key)
            count, last = (int(stored.split("|")[0]), stored.split("|")[1]) if stored else (0, "")
            if last != day:
                by_day.get(last, set()).discard(key)
            self.memory[key] = f"{count + 1}|{day}"
            by_day[day].add(key)
        if day > self._watermark:
            self._watermark = day
            self._expire()

    def _expire(self) -> None:
        today = date.fromisoformat(self._watermark)
        for old in [d for d in self.by_day if d and d < self._watermark]:
            if (today - date.fromisoformat(old)).days > self.policy.window_days:
                for key in self.by_day.pop(old):
                    self.memory.pop(key, None)


def _day(analysed: AnalysedArticle) -> str:
    published = analysed.article.published_at
    return published.date().isoformat() if published else ""


def strip_paragraphs(analysed: AnalysedArticle, remove: set[int]) -> AnalysedArticle:
    """The article without the given paragraphs, its extraction moved to the new offsets."""
    text = analysed.article.text
    spans = paragraph_spans(text)
    kept = [(s, e) for i, (s, e) in enumerate(spans) if i not in remove]
    if len(kept) == len(spans) or not kept:
        return analysed
    shifts: list[tuple[int, int, int]] = []  # old start, old end, delta
    position = 0
    for start, end in kept:
        shifts.append((start, end, position - start))
        position += end - start + 2
    new_text = "\n\n".join(text[s:e] for s, e in kept)

    def move(start: int, end: int) -> tuple[int, int] | None:
        first = next((sh for sh in shifts if sh[0] <= start < sh[1] + 1), None)
        last = next((sh for sh in shifts if sh[0] < end <= sh[1]), None)
        if first is None or last is None:
            return None
        return start + first[2], end + last[2]

    article = replace(analysed.article, text=new_text,
                      content_hash=content_hash(fold_for_matching(new_text)))
    extraction = _move_extraction(analysed.extraction, move)
    return AnalysedArticle(article=article, extraction=extraction,
                           fingerprint=signature(new_text))


def _move_extraction(extraction: Extraction, move: Mover) -> Extraction:
    entities: list[Entity] = []
    for entity in extraction.entities:
        spans = tuple(s for s in (move(a, b) for a, b in entity.mentions) if s is not None)
        if spans:
            entities.append(replace(entity, mentions=spans))
    results: list[MatchResult] = []
    for result in extraction.match_results:
        span = move(*result.span)
        if span is not None:
            results.append(replace(result, span=span))
    quotes: list[Quote] = []
    for quote in extraction.quotes:
        span = move(*quote.span)
        if span is not None:
            quotes.append(replace(quote, span=span))
    return Extraction(tuple(entities), tuple(results), tuple(quotes))
