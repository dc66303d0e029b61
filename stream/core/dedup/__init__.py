"""Deduplication: decide whether an article was already told.

The durable memory is any ``MutableMapping[str, str]`` passed in (a dict in tests, the
publish step's journal in the worker and batch mode: ``stream/core/journal.py``, whose
store is a changelogged Faust table in the worker) and holds one key per unique article,
because every write to a Faust table is a message on its changelog topic:

``a:<article_id>``   -> ``<day>|<shingle count>|<signature>|<content hash>|<sequence>``.

Everything else (the owner of each exact text, the LSH buckets, the articles of each day,
the watermark, the arrival order) is a :class:`DedupIndex` derived from the ``a:``
entries: built in process, and
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
from datetime import date, datetime
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from stream.core.dedup.minhash import (
    NUM_PERM,
    band_keys,
    pack_values,
    unpack_values,
)
from stream.core.derived import Derived
from stream.core.models import Fingerprint as Signature
from stream.core.models import Verdict

Memory = MutableMapping[str, str]


class Identified(Protocol):
    """What dedup reads of an article (a ``CleanArticle`` or a ``PreparedArticle``)."""

    @property
    def article_id(self) -> str: ...
    @property
    def content_hash(self) -> str: ...
    @property
    def published_at(self) -> datetime | None: ...

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


class SignatureRows:
    """The remembered signatures, sizes, days and arrival numbers as arrays, one row per
    article: an article is compared with all its LSH candidates in a few numpy operations
    instead of a Python loop (a templated story can bring hundreds of candidates)."""

    def __init__(self, width: int = NUM_PERM) -> None:
        self.width = width
        self.values = np.zeros((0, width), dtype=np.uint64)
        self.shingles = np.zeros(0, dtype=np.float64)
        self.ordinals = np.zeros(0, dtype=np.int64)  # -1: no publication day
        self.sequence = np.zeros(0, dtype=np.int64)
        self.row_of: dict[str, int] = {}
        self.article_at: list[str] = []
        self._free: list[int] = []

    def put(self, article_id: str, stored: Stored) -> int | None:
        """The article's row (None for an empty text: no signature to compare)."""
        if len(stored.values) != self.width:
            return None
        row = self._free.pop() if self._free else self._grow()
        self.values[row] = stored.values
        self.shingles[row] = stored.shingles
        self.ordinals[row] = date.fromisoformat(stored.day).toordinal() if stored.day else -1
        self.sequence[row] = stored.sequence
        self.row_of[article_id] = row
        self.article_at[row] = article_id
        return row

    def remove(self, article_id: str) -> None:
        row = self.row_of.pop(article_id, None)
        if row is not None:
            self._free.append(row)

    def _grow(self) -> int:
        used = len(self.article_at)  # rows handed out so far; none of them is free
        if used == len(self.shingles):
            size = max(64, 2 * used)
            self.values = _resized(self.values, (size, self.width))
            self.shingles = _resized(self.shingles, (size,))
            self.ordinals = _resized(self.ordinals, (size,))
            self.sequence = _resized(self.sequence, (size,))
        self.article_at.append("")
        return used


def _resized(array: npt.NDArray[Any], shape: tuple[int, ...]) -> npt.NDArray[Any]:
    grown = np.zeros(shape, dtype=array.dtype)
    grown[: len(array)] = array
    return grown


@dataclass
class DedupIndex:
    """What can be derived from the memory, kept in process.

    It mirrors every ``a:`` entry (parsed) and the first owner of each content hash, so
    deciding reads no table at all: in the worker each table read is a RocksDB look-up plus Faust's
    serialisers, and a templated story can bring a few hundred LSH candidates.
    """

    #: LSH bucket -> rows (in ``rows``) of its articles, oldest first.
    buckets: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    days: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    stored: dict[str, Stored] = field(default_factory=dict)
    owners: dict[str, str] = field(default_factory=dict)
    rows: SignatureRows = field(default_factory=SignatureRows)
    watermark: str = ""
    next_sequence: int = 0

    @classmethod
    def rebuild(cls, memory: Memory) -> DedupIndex:
        index = cls()
        entries: list[tuple[str, Stored]] = []
        unreadable: list[str] = []
        for key, value in memory.items():
            if key.startswith("a:"):
                stored = _read(value)
                if stored is None:
                    unreadable.append(key)
                else:
                    entries.append((key[2:], stored))
        # That one article is forgotten, rather than every later article failing on it.
        for key in unreadable:
            del memory[key]
        for article_id, stored in sorted(entries, key=lambda e: e[1].sequence):
            index.add(article_id, stored)
        return index

    def add(self, article_id: str, stored: Stored) -> None:
        self.stored[article_id] = stored
        row = self.rows.put(article_id, stored)
        self.owners.setdefault(stored.content_hash, article_id)
        self.next_sequence = max(self.next_sequence, stored.sequence + 1)
        if row is not None:
            for key in band_keys(Signature(tuple(stored.values.tolist()), stored.shingles)):
                bucket = self.buckets[key]
                bucket.append(row)
                if len(bucket) > BUCKET_CAPACITY:
                    del bucket[0]
        self.days[stored.day].append(article_id)
        if stored.day > self.watermark:
            self.watermark = stored.day

    def drop(self, article_id: str, stored: Stored) -> None:
        self.stored.pop(article_id, None)
        row = self.rows.row_of.get(article_id)
        if self.owners.get(stored.content_hash) == article_id:
            del self.owners[stored.content_hash]
        if row is not None:  # out of its buckets before the row is freed for reuse
            for key in band_keys(Signature(tuple(stored.values.tolist()), stored.shingles)):
                bucket = self.buckets.get(key)
                if bucket and row in bucket:
                    bucket.remove(row)
                    if not bucket:
                        del self.buckets[key]
        self.rows.remove(article_id)


class DedupState:
    """The durable memory and its derived index, kept in step."""

    def __init__(self, memory: Memory) -> None:
        self.memory = memory
        self._index = Derived(lambda: DedupIndex.rebuild(self.memory))

    @property
    def index(self) -> DedupIndex:
        return self._index.get()

    def invalidate(self) -> None:
        """The memory may have changed behind our back (rebalance): rebuild on next use."""
        self._index.invalidate()

    def decide(self, article: Identified, sig: Signature,
               policy: NearPolicy = DEFAULT_POLICY) -> Verdict:
        """Read-only decision; call :meth:`remember` after publishing the result."""
        index = self.index
        if article.article_id in index.stored:
            return _SEEN
        owner = index.owners.get(article.content_hash)
        if owner is not None and owner != article.article_id:
            return Verdict(duplicate_of=owner, kind="exact", similarity=1.0)
        return self._nearest(article, sig, policy) or _UNIQUE

    def _nearest(self, article: Identified, sig: Signature,
                 policy: NearPolicy) -> Verdict | None:
        table = self.index.rows
        found = self._candidates(sig)
        if not found or len(sig.values) != table.width:
            return None
        rows = np.fromiter(found, dtype=np.intp, count=len(found))
        if article.published_at is not None:
            ordinals = table.ordinals[rows]
            day = article.published_at.date().toordinal()
            rows = rows[(ordinals < 0) | (np.abs(ordinals - day) <= policy.window_days)]
        scores = _scores(np.array(sig.values, dtype=np.uint64), sig.shingles,
                         table.values[rows], table.shingles[rows], policy)
        qualifying = np.flatnonzero(scores >= 0)
        if not len(qualifying):
            return None
        # Best score, then the oldest (lowest arrival number) among equal scores.
        order = np.lexsort((table.sequence[rows[qualifying]], -scores[qualifying]))
        best = int(qualifying[order[0]])
        owner = table.article_at[int(rows[best])]
        return Verdict(duplicate_of=owner, kind="near", similarity=float(scores[best]))

    def _candidates(self, sig: Signature) -> set[int]:
        """Rows of the articles sharing an LSH bucket with ``sig`` (order is irrelevant:
        ties are broken by arrival number)."""
        buckets = self.index.buckets
        return set().union(*[buckets.get(key, ()) for key in band_keys(sig)])

    def remember(self, article: Identified, sig: Signature, verdict: Verdict,
                 policy: NearPolicy = DEFAULT_POLICY) -> None:
        """Record a unique article (one write), then forget what left the window."""
        if verdict.is_duplicate or verdict.seen_before:
            return
        index = self.index
        day = article.published_at.date().isoformat() if article.published_at else ""
        day = day or index.watermark
        if index.watermark and day and _days_between(day, index.watermark) > policy.window_days:
            return
        packed = _pack(day, sig, article.content_hash, index.next_sequence)
        self.memory[f"a:{article.article_id}"] = packed
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
        self.memory.pop(f"a:{article_id}", None)
        stored = self.index.stored.get(article_id)
        if stored is not None:
            self.index.drop(article_id, stored)

    @property
    def watermark(self) -> str:
        return self.index.watermark


def decide(article: Identified, sig: Signature, memory: Memory | DedupState,
           policy: NearPolicy = DEFAULT_POLICY) -> Verdict:
    """Functional form over a bare memory (a fresh index is derived from it)."""
    return _state(memory).decide(article, sig, policy)


def remember(article: Identified, sig: Signature, verdict: Verdict,
             memory: Memory | DedupState, policy: NearPolicy = DEFAULT_POLICY) -> None:
    _state(memory).remember(article, sig, verdict, policy)


def _state(memory: Memory | DedupState) -> DedupState:
    return memory if isinstance(memory, DedupState) else DedupState(memory)


def _scores(mine: npt.NDArray[np.uint64], size: int, values: npt.NDArray[np.uint64],
            other: npt.NDArray[np.float64], policy: NearPolicy) -> npt.NDArray[np.float64]:
    """Similarity to every candidate at once, -1 where the policy says "not the same story".

    The estimated Jaccard when it reaches the policy's threshold, otherwise the estimated
    containment of the smaller text in the larger when both are long enough and it reaches
    its own threshold (a teaser inside the full story).
    """
    # Agreeing positions counted by a product with ones: faster than count_nonzero(axis=1).
    jacc = ((values == mine) @ _ONES[: len(mine)]) / len(mine)
    smaller = np.minimum(other, size)
    with np.errstate(divide="ignore", invalid="ignore"):
        contained = np.minimum(1.0, (jacc * (size + other) / (1 + jacc)) / smaller)
    contained = np.where((jacc > 0) & (smaller > 0), contained, 0.0)
    by_containment = (smaller >= policy.min_shingles) & (contained >= policy.containment)
    return np.where(jacc >= policy.jaccard, jacc, np.where(by_containment, contained, -1.0))


_ONES = np.ones(NUM_PERM, dtype=np.float64)


def _days_between(earlier: str, later: str) -> int:
    return (date.fromisoformat(later) - date.fromisoformat(earlier)).days


def _pack(day: str, sig: Signature, content: str, sequence: int) -> str:
    return f"{day}|{sig.shingles}|{pack_values(sig.values)}|{content}|{sequence}"


def _read(value: Any) -> Stored | None:
    """The entry, or None when ``value`` is not one this version wrote."""
    try:
        stored = _unpack(value)
    except (AttributeError, TypeError, ValueError):
        return None
    return stored if len(stored.values) in (0, NUM_PERM) else None


def _unpack(stored: str) -> Stored:
    day, size, values, content, sequence = stored.split("|")
    return Stored(day=day, shingles=int(size), values=unpack_values(values),
                  content_hash=content, sequence=int(sequence))
