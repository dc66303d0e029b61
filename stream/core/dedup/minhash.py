"""MinHash signatures (one-permutation hashing) and LSH band keys for near-duplicates.

One-permutation hashing hashes each shingle once and keeps the minimum per bucket, so it
costs O(shingles) instead of O(shingles x permutations); empty buckets (short texts) are
filled by rotation densification. Deterministic by construction (crc32 word hashes,
fixed mixing constants), so a replay in another process computes the same signature and
band keys.
"""

from __future__ import annotations

import base64
import zlib
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from stream.core.clean.normalize import word_tokens
from stream.core.models import Fingerprint as Signature

SHINGLE_WORDS = 5
NUM_PERM = 64
BANDS = 32
ROWS = 2
_BUCKET_SHIFT = np.uint64(64 - 6)  # top 6 bits choose one of 64 buckets
_VALUE_MASK = np.uint64((1 << 58) - 1)
_EMPTY = np.uint64(1 << 58)
#: Position multipliers make a shingle's hash depend on word order.
_POS = np.array([0x9E3779B97F4A7C15, 0xBF58476D1CE4E5B9, 0x94D049BB133111EB,
                 0xD6E8FEB86659FD93, 0xA0761D6478BD642F], dtype=np.uint64)[:SHINGLE_WORDS]
_MIX1 = np.uint64(0xFF51AFD7ED558CCD)
_MIX2 = np.uint64(0xC4CEB9FE1A85EC53)
_ROTATE = 0x9E3779B97F4A7C15 & ((1 << 58) - 1)


#: Word -> crc32. A vocabulary repeats, so a bounded dict beats hashing every token
#: (about 40 ns a look-up against 230 ns for encode + crc32). Cleared when full.
_WORD_HASHES: dict[str, int] = {}
_WORD_CACHE_LIMIT = 200_000


def _word_hash(word: str) -> int:
    value = zlib.crc32(word.encode())
    if len(_WORD_HASHES) >= _WORD_CACHE_LIMIT:
        _WORD_HASHES.clear()
    _WORD_HASHES[word] = value
    return value


def _shingle_hashes(tokens: list[str]) -> npt.NDArray[np.uint64]:
    """The distinct shingle hashes, sorted."""
    cached = _WORD_HASHES.get
    words = np.array([cached(t) or _word_hash(t) for t in tokens], dtype=np.uint64)
    width = min(SHINGLE_WORDS, len(words))
    count = len(words) - width + 1
    with np.errstate(over="ignore"):
        combined = words[:count] * _POS[0]
        for offset in range(1, width):
            combined += words[offset:offset + count] * _POS[offset]
        # murmur3 finaliser: spreads the sum over all 64 bits
        combined ^= combined >> np.uint64(33)
        combined *= _MIX1
        combined ^= combined >> np.uint64(33)
        combined *= _MIX2
        combined ^= combined >> np.uint64(33)
    combined.sort()
    distinct = np.empty(len(combined), dtype=bool)
    distinct[0] = True
    np.not_equal(combined[1:], combined[:-1], out=distinct[1:])
    unique: npt.NDArray[np.uint64] = combined[distinct]
    return unique


def signature(text: str) -> Signature:
    tokens = word_tokens(text)
    if not tokens:
        return Signature(values=(), shingles=0)
    hashes = _shingle_hashes(tokens)
    # The bucket is a hash's top bits, so in sorted order each bucket's hashes are
    # contiguous and the first of each run holds the bucket's smallest value.
    buckets = (hashes >> _BUCKET_SHIFT).astype(np.intp)
    firsts = np.empty(len(buckets), dtype=bool)
    firsts[0] = True
    np.not_equal(buckets[1:], buckets[:-1], out=firsts[1:])
    sig = np.full(NUM_PERM, _EMPTY, dtype=np.uint64)
    sig[buckets[firsts]] = hashes[firsts] & _VALUE_MASK
    return Signature(values=_densify(sig.tolist()), shingles=len(hashes))


def _densify(values: list[int]) -> tuple[int, ...]:
    """Fill an empty bucket from the next filled one, shifted by the distance travelled."""
    empty = int(_EMPTY)
    if empty not in values:
        return tuple(values)
    filled = [i for i, v in enumerate(values) if v != empty]
    out = list(values)
    for index, value in enumerate(values):
        if value == empty:
            source = next((f for f in filled if f > index), filled[0])
            distance = (source - index) % NUM_PERM
            out[index] = (values[source] + distance * _ROTATE) & int(_VALUE_MASK)
    return tuple(out)


_BAND_MIX = np.uint64(0x9E3779B97F4A7C15)
_BAND_MASK = np.uint64((1 << 40) - 1)


#: A band's number above its 40 mixed bits: one key space for all bands.
_BAND_NUMBERS = np.arange(BANDS, dtype=np.uint64) << np.uint64(40)


def band_keys(sig: Signature) -> tuple[int, ...]:
    return _band_keys(sig.values)


@lru_cache(maxsize=256)
def _band_keys(values: tuple[int, ...]) -> tuple[int, ...]:
    """One key per band; two texts sharing any key are candidates for comparison.

    A band's rows are mixed into 40 bits (vectorised), enough that unrelated texts
    practically never share a bucket by accident; the band's number goes above them.
    Keys live in process only (the index is rebuilt from the stored signatures).
    """
    if not values:
        return ()
    rows = np.array(values, dtype=np.uint64).reshape(BANDS, ROWS)
    with np.errstate(over="ignore"):
        mixed = rows[:, 0]
        for row in range(1, ROWS):
            mixed = (mixed * _BAND_MIX) ^ rows[:, row]
        mixed ^= mixed >> np.uint64(29)
        mixed *= _MIX1
        mixed ^= mixed >> np.uint64(32)
    return tuple(((mixed & _BAND_MASK) | _BAND_NUMBERS).tolist())


def pack_values(values: Sequence[int]) -> str:
    """Compact text form of a signature for the state store (base64 of 64-bit words)."""
    return base64.b64encode(np.array(values, dtype="<u8").tobytes()).decode()


def unpack_values(packed: str) -> npt.NDArray[np.uint64]:
    return np.frombuffer(base64.b64decode(packed), dtype="<u8")


def jaccard_arrays(a: npt.NDArray[np.uint64], b: npt.NDArray[np.uint64]) -> float:
    if not len(a) or len(a) != len(b):
        return 0.0
    return float(np.count_nonzero(a == b)) / len(a)


def jaccard(a: Sequence[int], b: Sequence[int]) -> float:
    if not a or len(a) != len(b):
        return 0.0
    return sum(1 for x, y in zip(a, b, strict=True) if x == y) / len(a)


def containment(jacc: float, size_a: int, size_b: int) -> float:
    """Share of the smaller text found in the larger, from Jaccard and the two sizes."""
    if jacc <= 0 or min(size_a, size_b) == 0:
        return 0.0
    intersection = jacc * (size_a + size_b) / (1 + jacc)
    return min(1.0, intersection / min(size_a, size_b))
