"""Boilerplate learned from the stream: a paragraph that recurs across many articles of
the same source is that source's furniture (a footer, a sign-off, a promo line), even
when no rule names it.

The dedup stage sees every article, so it keeps the per-source counts (memory passed in:
a Faust table in the worker, a dict in batch mode) and strips learned paragraphs before
deciding and publishing. Stripping keeps the extraction consistent: mentions, results and
quotes inside removed paragraphs go, the rest are shifted to the new offsets.

Memory keys: ``b:<article id>`` -> ``<day>|<hash>,<hash>,...``, the short paragraphs of
one unique article: one table write per article however many paragraphs it has (every
write is a changelog message). The counts per source and paragraph are derived in process
(see :class:`LearningState`) and rebuilt from these entries after a restart or rebalance.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, MutableMapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from stream.core.clean.normalize import fold_for_matching
from stream.core.dedup.minhash import signature
from stream.core.derived import Derived
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


def short_paragraphs(text: str, policy: LearningPolicy = DEFAULT_LEARNING
                     ) -> tuple[tuple[int, str], ...]:
    """``(index, hash)`` of each paragraph short enough to be counted as boilerplate:
    computed where the article is analysed, so the publish step only looks them up."""
    return tuple((index, _hash(text[start:end]))
                 for index, (start, end) in enumerate(paragraph_spans(text))
                 if end - start <= policy.max_chars)


def _hash(paragraph: str) -> str:
    return digest((fold_for_matching(paragraph),), size=8)


class LearningState:
    """Short-paragraph counts per source over the window, derived from the ``b:`` entries.

    A paragraph counts once per unique article that carried it, for as long as that
    article is inside the window (``window_days`` behind the latest day seen).
    """

    def __init__(self, memory: Memory, policy: LearningPolicy = DEFAULT_LEARNING) -> None:
        self.memory = memory
        self.policy = policy
        self._index = Derived(lambda: _LearnedIndex.rebuild(self.memory))

    def invalidate(self) -> None:
        self._index.invalidate()

    @property
    def index(self) -> _LearnedIndex:
        return self._index.get()

    def learned_among(self, source: str, short: Sequence[tuple[int, str]]) -> set[int]:
        """Indices of the article's paragraphs (its :func:`short_paragraphs`) that its
        source repeats in many other articles."""
        counts = self.index.counts
        if not counts:
            return set()
        least = self.policy.min_articles
        return {index for index, digest_ in short
                if counts.get(f"{source}|{digest_}", 0) >= least}

    def count_short(self, article_id: str, source: str, published_at: datetime | None,
                    short: Sequence[tuple[int, str]]) -> None:
        """Count each short paragraph once for this (unique) article, from its
        :func:`short_paragraphs` (of its text as it arrived, before any learned paragraph
        was stripped); expire old articles."""
        index = self.index
        if article_id in index.day_of:  # redelivered after a crash: counted already
            return
        hashes = list(dict.fromkeys(digest_ for _index, digest_ in short))
        if not hashes:
            return
        day = (published_at.date().isoformat() if published_at else "") or index.watermark
        entry = _Entry(day, source, tuple(hashes))
        self.memory[f"b:{article_id}"] = entry.pack()
        before = index.watermark
        index.add(article_id, entry)
        if index.watermark != before:
            self._expire()

    def _expire(self) -> None:
        index = self.index
        if not index.watermark:
            return
        today = date.fromisoformat(index.watermark)
        for old in sorted(d for d in index.by_day if d and d < index.watermark):
            if (today - date.fromisoformat(old)).days <= self.policy.window_days:
                break
            for article_id in index.by_day.pop(old):
                packed = self.memory.pop(f"b:{article_id}", None)
                index.remove(article_id, _Entry.unpack(packed) if packed else None)


@dataclass(frozen=True, slots=True)
class _Entry:
    day: str
    source: str
    hashes: tuple[str, ...]

    def pack(self) -> str:
        return f"{self.day}|{self.source}|{','.join(self.hashes)}"

    @staticmethod
    def unpack(packed: str) -> _Entry:
        day, rest = packed.split("|", 1)
        source, _, hashes = rest.rpartition("|")
        return _Entry(day, source, tuple(hashes.split(",")) if hashes else ())


@dataclass
class _LearnedIndex:
    counts: dict[str, int] = field(default_factory=dict)
    by_day: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    day_of: dict[str, str] = field(default_factory=dict)
    watermark: str = ""

    @classmethod
    def rebuild(cls, memory: Memory) -> _LearnedIndex:
        index = cls()
        unreadable: list[str] = []
        for key, value in memory.items():
            if key.startswith("b:"):
                try:
                    entry = _Entry.unpack(value)
                except (AttributeError, TypeError, ValueError):
                    unreadable.append(key)
                    continue
                index.add(key[2:], entry)
        # Its paragraphs go uncounted, rather than every later article failing on it.
        for key in unreadable:
            del memory[key]
        return index

    def add(self, article_id: str, entry: _Entry) -> None:
        for paragraph in entry.hashes:
            key = f"{entry.source}|{paragraph}"
            self.counts[key] = self.counts.get(key, 0) + 1
        self.by_day[entry.day].append(article_id)
        self.day_of[article_id] = entry.day
        if entry.day > self.watermark:
            self.watermark = entry.day

    def remove(self, article_id: str, entry: _Entry | None) -> None:
        self.day_of.pop(article_id, None)
        if entry is None:
            return
        for paragraph in entry.hashes:
            key = f"{entry.source}|{paragraph}"
            left = self.counts.get(key, 0) - 1
            if left > 0:
                self.counts[key] = left
            else:
                self.counts.pop(key, None)


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
