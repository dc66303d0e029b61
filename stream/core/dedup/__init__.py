"""Deduplication: decide whether an article was already told.

The durable memory is any ``MutableMapping[str, str]`` passed in (a dict in batch mode and
tests, a changelogged Faust table in the worker) and holds only two keys per unique
article, because every write to a Faust table is a message on its changelog topic:

``h:<content_hash>`` -> the article id that owns this exact text;
``a:<article_id>``   -> ``<day>|<shingle count>|<signature>|<content hash>|<sequence>``.

Everything else (the LSH buckets, the articles of each day, the watermark, the arrival
order) is a :class:`DedupIndex` derived from the ``a:`` entries: built in process, and
rebuilt by scanning the memory whenever it may be out of step (a new process, a
rebalance). The sequence number keeps the arrival order across rebuilds, so the oldest
article wins ties and a rebuilt index decides exactly as the original did.

The owner's own id is remembered, so a redelivered or replayed article (same id) is
recognised as itself and re-emitted, never taken for its own duplicate and lost.

Memory is bounded by a window on publication days: when the watermark (the latest day
remembered) moves on, articles more than ``window_days`` older are forgotten. An article
already older than the window when it arrives is published but not remembered.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import MutableMapping
from dataclasses import dataclass, field
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


@dataclass(frozen=True, slots=True)
class Stored:
    day: str
    shingles: int
    values: npt.NDArray[np.uint64]
    content_hash: str
    sequence: int


@dataclass
class DedupIndex:
    """What can be derived from the ``a:`` entries, kept in process."""

    buckets: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    days: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    sequence: dict[str, int] = field(default_factory=dict)
    watermark: str = ""
    next_sequence: int = 0

    @classmethod
    def rebuild(cls, memory: Memory) -> DedupIndex:
        index = cls()
        entries = [(key[2:], _unpack(value)) for key, value in memory.items()
                   if key.startswith("a:")]
        for article_id, stored in sorted(entries, key=lambda e: e[1].sequence):
            index.add(article_id, stored)
        return index

    def add(self, article_id: str, stored: Stored) -> None:
        self.sequence[article_id] = stored.sequence
        self.next_sequence = max(self.next_sequence, stored.sequence + 1)
        for key in band_keys(Signature(tuple(int(v) for v in stored.values), stored.shingles)):
            bucket = self.buckets[key]
            bucket.append(article_id)
            if len(bucket) > BUCKET_CAPACITY:
                del bucket[0]
        self.days[stored.day].append(article_id)
        if stored.day > self.watermark:
            self.watermark = stored.day

    def drop(self, article_id: str, stored: Stored) -> None:
        self.sequence.pop(article_id, None)
        for key in band_keys(Signature(tuple(int(v) for v in stored.values), stored.shingles)):
            bucket = self.buckets.get(key)
            if bucket and article_id in bucket:
                bucket.remove(article_id)
                if not bucket:
                    del self.buckets[key]


class DedupState:
    """The durable memory and its derived index, kept in step."""

    def __init__(self, memory: Memory) -> None:
        self.memory = memory
        self._index: DedupIndex | None = None

    @property
    def index(self) -> DedupIndex:
        if self._index is None:
            self._index = DedupIndex.rebuild(self.memory)
        return self._index

    def invalidate(self) -> None:
        """The memory may have changed behind our back (rebalance): rebuild on next use."""
        self._index = None

    def decide(self, article: CleanArticle, sig: Signature,
               policy: NearPolicy = DEFAULT_POLICY) -> Verdict:
        """Read-only decision; call :meth:`remember` after publishing the result."""
        if f"a:{article.article_id}" in self.memory:
            return _SEEN
        owner = self.memory.get(f"h:{article.content_hash}")
        if owner is not None and owner != article.article_id:
            return Verdict(duplicate_of=owner, kind="exact", similarity=1.0)
        return self._nearest(article, sig, policy) or _UNIQUE

    def _nearest(self, article: CleanArticle, sig: Signature,
                 policy: NearPolicy) -> Verdict | None:
        best: tuple[float, int, str] | None = None
        day = article.published_at.date() if article.published_at else None
        mine = np.array(sig.values, dtype=np.uint64)
        for candidate in self._candidates(sig):
            stored_text = self.memory.get(f"a:{candidate}")
            if stored_text is None:
                continue
            stored = _unpack(stored_text)
            if not _within(day, stored.day, policy.window_days):
                continue
            score = _similarity(mine, sig.shingles, stored, policy)
            if score is None:
                continue
            rank = (score, -stored.sequence, candidate)  # best score, then the oldest
            if best is None or rank[:2] > best[:2]:
                best = (score, -stored.sequence, candidate)
        if best is None:
            return None
        return Verdict(duplicate_of=best[2], kind="near", similarity=best[0])

    def _candidates(self, sig: Signature) -> list[str]:
        seen: dict[str, None] = {}
        buckets = self.index.buckets
        for key in band_keys(sig):
            bucket = buckets.get(key)
            if bucket:
                seen.update(dict.fromkeys(bucket))
        return list(seen)

    def remember(self, article: CleanArticle, sig: Signature, verdict: Verdict,
                 policy: NearPolicy = DEFAULT_POLICY) -> None:
        """Record a unique article (two writes), then forget what left the window."""
        if verdict.is_duplicate or verdict.seen_before:
            return
        index = self.index
        day = article.published_at.date().isoformat() if article.published_at else ""
        day = day or index.watermark
        if index.watermark and day and _days_between(day, index.watermark) > policy.window_days:
            return
        packed = _pack(day, sig, article.content_hash, index.next_sequence)
        self.memory[f"a:{article.article_id}"] = packed
        self.memory.setdefault(f"h:{article.content_hash}", article.article_id)
        before = index.watermark
        index.add(article.article_id, _unpack(packed))
        if index.watermark != before and before:
            self._expire(policy.window_days)

    def _expire(self, window_days: int) -> None:
        index = self.index
        old = [d for d in index.days if d and _days_between(d, index.watermark) > window_days]
        for day in sorted(old):
            for article_id in index.days.pop(day):
                self._forget(article_id)

    def _forget(self, article_id: str) -> None:
        stored_text = self.memory.pop(f"a:{article_id}", None)
        if stored_text is None:
            return
        stored = _unpack(stored_text)
        if self.memory.get(f"h:{stored.content_hash}") == article_id:
            del self.memory[f"h:{stored.content_hash}"]
        self.index.drop(article_id, stored)

    @property
    def watermark(self) -> str:
        return self.index.watermark


def decide(article: CleanArticle, sig: Signature, memory: Memory | DedupState,
           policy: NearPolicy = DEFAULT_POLICY) -> Verdict:
    """Functional form over a bare memory (a fresh index is derived from it)."""
    return _state(memory).decide(article, sig, policy)


def remember(article: CleanArticle, sig: Signature, verdict: Verdict,
             memory: Memory | DedupState, policy: NearPolicy = DEFAULT_POLICY) -> None:
    _state(memory).remember(article, sig, verdict, policy)


def _state(memory: Memory | DedupState) -> DedupState:
    return memory if isinstance(memory, DedupState) else DedupState(memory)


def _similarity(mine: npt.NDArray[np.uint64], size: int, stored: Stored,
                policy: NearPolicy) -> float | None:
    jacc = jaccard_arrays(mine, stored.values)
    if jacc >= policy.jaccard:
        return jacc
    if min(size, stored.shingles) >= policy.min_shingles:
        contained = containment(jacc, size, stored.shingles)
        if contained >= policy.containment:
            return contained
    return None


def _within(day: date | None, other: str, window_days: int) -> bool:
    return day is None or not other or abs((day - date.fromisoformat(other)).days) <= window_days


def _days_between(earlier: str, later: str) -> int:
    return (date.fromisoformat(later) - date.fromisoformat(earlier)).days


def _pack(day: str, sig: Signature, content: str, sequence: int) -> str:
    return f"{day}|{sig.shingles}|{pack_values(sig.values)}|{content}|{sequence}"


@lru_cache(maxsize=16384)
def _unpack(stored: str) -> Stored:
    """Parsed once per stored value: hot candidates are compared again and again."""
    day, size, values, content, sequence = stored.split("|")
    return Stored(day=day, shingles=int(size), values=unpack_values(values),
                  content_hash=content, sequence=int(sequence))
