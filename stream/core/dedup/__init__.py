"""Deduplication: decide whether an article was already told, against memory passed in.

Memory is any ``MutableMapping[str, str]``: a dict in batch mode and tests, a Faust table
(changelogged, recoverable) in the worker. Keys are namespaced:

``h:<content_hash>`` -> the article id that owns this exact text;
``a:<article_id>``   -> ``<day>|<shingle count>|<signature>|<content hash>`` of a unique article;
``b:<band key>``     -> comma-separated ids of unique articles in that LSH bucket;
``d:<day>``          -> ids of the unique articles remembered under that publication day;
``w:``               -> the watermark: the latest publication day seen;
``days:``            -> the days still held, oldest first.

The owner's own id is remembered so that a redelivered or replayed article (same id) is
recognised as itself and re-emitted, never taken for its own duplicate and lost.

Memory is bounded by a window on publication days: when the watermark moves on, days
older than ``window_days`` before it are forgotten, with every key they own. An article
already older than the window when it arrives is published but not remembered.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from stream.core.dedup.minhash import (
    band_keys,
    containment,
    jaccard_arrays,
    pack_values,
    unpack_values,
)
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
    #: Teasers: all of a short text inside a longer one. Distinct stories on one subject
    #: reach ~0.33 on the labelled pairs, teasers >= 0.78 (estimates err by up to ~0.2).
    containment: float = 0.6
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
    mine = np.array(sig.values, dtype=np.uint64)
    for candidate in _candidates(sig, memory):
        stored = memory.get(f"a:{candidate}")
        if stored is None:
            continue
        other_day, other_size, other_values, _content = _unpack(stored)
        if not _within(day, other_day, policy.window_days):
            continue
        score = _similarity(mine, sig.shingles, other_size, other_values, policy)
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


def _similarity(mine: npt.NDArray[np.uint64], size: int, other_size: int,
                other_values: npt.NDArray[np.uint64], policy: NearPolicy) -> float | None:
    jacc = jaccard_arrays(mine, other_values)
    if jacc >= policy.jaccard:
        return jacc
    if min(size, other_size) >= policy.min_shingles:
        contained = containment(jacc, size, other_size)
        if contained >= policy.containment:
            return contained
    return None


def _within(day: date | None, other: date | None, window_days: int) -> bool:
    return day is None or other is None or abs((day - other).days) <= window_days


def remember(article: CleanArticle, sig: Signature, verdict: Verdict, memory: Memory,
             policy: NearPolicy = DEFAULT_POLICY) -> None:
    """Record a unique article: owner of its text, its signature in the LSH buckets, its
    day in the window; then forget the days that fell out of the window."""
    if verdict.is_duplicate or verdict.seen_before:
        return
    watermark = memory.get("w:")
    day = article.published_at.date().isoformat() if article.published_at else watermark or ""
    if watermark and day and _days_between(day, watermark) > policy.window_days:
        return
    memory[f"a:{article.article_id}"] = _pack(day, sig, article.content_hash)
    memory.setdefault(f"h:{article.content_hash}", article.article_id)
    for key in band_keys(sig):
        _add(memory, f"b:{key}", article.article_id, BUCKET_CAPACITY)
    _add(memory, f"d:{day}", article.article_id, None)
    _note_day(memory, day)
    if day and (not watermark or day > watermark):
        memory["w:"] = day
        _expire(memory, day, policy.window_days)


def _add(memory: Memory, key: str, article_id: str, capacity: int | None) -> None:
    held = memory.get(key)
    ids = held.split(",") if held else []
    if article_id not in ids:
        ids.append(article_id)
        memory[key] = ",".join(ids[-capacity:] if capacity else ids)


def _note_day(memory: Memory, day: str) -> None:
    held = memory.get("days:")
    days = held.split(",") if held else []
    if day not in days:
        memory["days:"] = ",".join(sorted([*days, day]))


def _days_between(earlier: str, later: str) -> int:
    return (date.fromisoformat(later) - date.fromisoformat(earlier)).days


def _expire(memory: Memory, watermark: str, window_days: int) -> None:
    held = memory.get("days:")
    days = held.split(",") if held else []
    old = [d for d in days if d and _days_between(d, watermark) > window_days]
    for day in old:
        for article_id in (memory.pop(f"d:{day}", "") or "").split(","):
            if article_id:
                _forget(memory, article_id)
    if old:
        memory["days:"] = ",".join(d for d in days if d not in old)


def _forget(memory: Memory, article_id: str) -> None:
    stored = memory.pop(f"a:{article_id}", None)
    if stored is None:
        return
    _day, size, values, content = _unpack(stored)
    if memory.get(f"h:{content}") == article_id:
        del memory[f"h:{content}"]
    for key in band_keys(Signature(values=tuple(int(v) for v in values), shingles=size)):
        held = memory.get(f"b:{key}")
        ids = [i for i in (held.split(",") if held else []) if i != article_id]
        if ids:
            memory[f"b:{key}"] = ",".join(ids)
        else:
            memory.pop(f"b:{key}", None)


def _pack(day: str, sig: Signature, content: str) -> str:
    return f"{day}|{sig.shingles}|{pack_values(sig.values)}|{content}"


@lru_cache(maxsize=16384)
def _unpack(stored: str) -> tuple[date | None, int, npt.NDArray[np.uint64], str]:
    """Parsed once per stored value: hot candidates are compared again and again."""
    day, size, values, content = stored.split("|")
    return (date.fromisoformat(day) if day else None, int(size), unpack_values(values),
            content)
