"""Deduplication: decide whether an article was already told, against memory passed in.

Memory is any ``MutableMapping[str, str]``: a dict in batch mode and tests, a Faust table
(changelogged, recoverable) in the worker. Keys are namespaced:

``h:<content_hash>`` -> the article id that owns this exact text;
``a:<article_id>``   -> ``<published day>|<shingle count>|<signature>`` of a unique article;
``b:<band key>``     -> comma-separated ids of unique articles in that LSH bucket.

The owner's own id is remembered so that a redelivered or replayed article (same id) is
recognised as itself and re-emitted, never taken for its own duplicate and lost.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass
from datetime import date

from stream.core.dedup.minhash import band_keys, containment, jaccard
from stream.core.models import CleanArticle, Verdict
from stream.core.models import Fingerprint as Signature

Memory = MutableMapping[str, str]

_UNIQUE = Verdict(duplicate_of=None, kind=None, similarity=0.0)
_SEEN = Verdict(duplicate_of=None, kind=None, similarity=1.0, seen_before=True)
#: Most recent articles kept per LSH bucket: bounds a hot bucket's cost.
BUCKET_CAPACITY = 64


@dataclass(frozen=True, slots=True)
class NearPolicy:
    """When two texts are one story; tuned by bench/dedup.py on labelled pairs."""

    jaccard: float = 0.5
    containment: float = 0.8
    min_shingles: int = 25
    window_days: int = 30


DEFAULT_POLICY = NearPolicy()


def decide(article: CleanArticle, sig: Signature, memory: Memory,
           policy: NearPolicy = DEFAULT_POLICY) -> Verdict:
    """Read-only decision; call :func:`remember` after publishing the result."""
    if f"a:{article.article_id}" in memory:
        return _SEEN
    owner = memory.get(f"h:{article.content_hash}")
    if owner is not None and owner != article.article_id:
        return Verdict(duplicate_of=owner, kind="exact", similarity=1.0)
    return _nearest(article, sig, memory, policy) or _UNIQUE


def _nearest(article: CleanArticle, sig: Signature, memory: Memory,
             policy: NearPolicy) -> Verdict | None:
    best: tuple[float, str] | None = None
    day = article.published_at.date() if article.published_at else None
    for candidate in _candidates(sig, memory):
        stored = memory.get(f"a:{candidate}")
        if stored is None:
            continue
        other_day, other_size, other_values = _unpack(stored)
        if not _within(day, other_day, policy.window_days):
            continue
        score = _similarity(sig, other_size, other_values, policy)
        if score is not None and (best is None or score > best[0]):
            best = (score, candidate)
    if best is None:
        return None
    return Verdict(duplicate_of=best[1], kind="near", similarity=best[0])


def _candidates(sig: Signature, memory: Memory) -> list[str]:
    seen: dict[str, None] = {}
    for key in band_keys(sig):
        bucket = memory.get(f"b:{key}")
        if bucket:
            seen.update(dict.fromkeys(bucket.split(",")))
    return list(seen)


def _similarity(sig: Signature, other_size: int, other_values: tuple[int, ...],
                policy: NearPolicy) -> float | None:
    jacc = jaccard(sig.values, other_values)
    if jacc >= policy.jaccard:
        return jacc
    if min(sig.shingles, other_size) >= policy.min_shingles:
        contained = containment(jacc, sig.shingles, other_size)
        if contained >= policy.containment:
            return contained
    return None


def _within(day: date | None, other: date | None, window_days: int) -> bool:
    return day is None or other is None or abs((day - other).days) <= window_days


def remember(article: CleanArticle, sig: Signature, verdict: Verdict, memory: Memory) -> None:
    """Record a unique article: owner of its text, and its signature in the LSH buckets."""
    if verdict.is_duplicate or verdict.seen_before:
        return
    memory[f"a:{article.article_id}"] = _pack(article, sig)
    memory.setdefault(f"h:{article.content_hash}", article.article_id)
    for key in band_keys(sig):
        bucket = memory.get(f"b:{key}")
        ids = bucket.split(",") if bucket else []
        if article.article_id not in ids:
            ids = [*ids, article.article_id][-BUCKET_CAPACITY:]
            memory[f"b:{key}"] = ",".join(ids)


def _pack(article: CleanArticle, sig: Signature) -> str:
    day = article.published_at.date().isoformat() if article.published_at else ""
    return f"{day}|{sig.shingles}|{','.join(f'{v:x}' for v in sig.values)}"


def _unpack(stored: str) -> tuple[date | None, int, tuple[int, ...]]:
    day, size, values = stored.split("|")
    return (date.fromisoformat(day) if day else None, int(size),
            tuple(int(v, 16) for v in values.split(",")) if values else ())
