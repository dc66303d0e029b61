"""Boilerplate learned from the stream: a paragraph that recurs across many articles of
the same source is that source's furniture (a footer, a sign-off, a promo line), even
when no rule names it.

The dedup stage sees every article, so it keeps the per-source counts (memory passed in:
a Faust table in the worker, a dict in batch mode) and strips learned paragraphs before
deciding and publishing. Stripping keeps the extraction consistent: mentions, results and
quotes inside removed paragraphs go, the rest are shifted to the new offsets.

Memory keys: ``p:<source>|<paragraph hash>`` -> ``<count>|<last day>``, and
``pd:<day>`` -> paragraph keys first counted that day (for expiry).
"""

from __future__ import annotations

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
    #: Longer paragraphs are story text, never counted.
    max_chars: int = 400
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


def learned_indices(analysed: AnalysedArticle, memory: Memory,
                    policy: LearningPolicy = DEFAULT_LEARNING) -> set[int]:
    """Paragraphs of this article that its source repeats in many other articles."""
    text, source = analysed.article.text, analysed.article.source
    found: set[int] = set()
    for index, (start, end) in enumerate(paragraph_spans(text)):
        if end - start > policy.max_chars:
            continue
        stored = memory.get(_key(source, text[start:end]))
        if stored and int(stored.split("|")[0]) >= policy.min_articles:
            found.add(index)
    return found


def count_paragraphs(analysed: AnalysedArticle, original_text: str, memory: Memory,
                     policy: LearningPolicy = DEFAULT_LEARNING) -> None:
    """Count each short paragraph once for this (unique) article, and expire old counts."""
    day = _day(analysed)
    for start, end in paragraph_spans(original_text):
        if end - start > policy.max_chars:
            continue
        key = _key(analysed.article.source, original_text[start:end])
        stored = memory.get(key)
        count = int(stored.split("|")[0]) if stored else 0
        memory[key] = f"{count + 1}|{day}"
        if not stored:
            held = memory.get(f"pd:{day}")
            memory[f"pd:{day}"] = f"{held},{key}" if held else key
    _expire(memory, day, policy.window_days)


def _day(analysed: AnalysedArticle) -> str:
    published = analysed.article.published_at
    return published.date().isoformat() if published else ""


def _expire(memory: Memory, day: str, window_days: int) -> None:
    if not day:
        return
    today = date.fromisoformat(day)
    oldest = memory.get("pw:")
    if oldest and oldest >= day:
        return
    memory["pw:"] = day
    held_days = [k for k in (memory.get("pdays:") or "").split(",") if k]
    if day not in held_days:
        held_days.append(day)
    keep: list[str] = []
    for old in sorted(held_days):
        if (today - date.fromisoformat(old)).days <= window_days:
            keep.append(old)
            continue
        for key in (memory.pop(f"pd:{old}", "") or "").split(","):
            stored = memory.get(key) if key else None
            if stored and _stale(stored, today, window_days):
                del memory[key]
    memory["pdays:"] = ",".join(keep)


def _stale(stored: str, today: date, window_days: int) -> bool:
    last = stored.split("|")[1]
    return not last or (today - date.fromisoformat(last)).days > window_days


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
