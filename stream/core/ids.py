"""Deterministic ids: the same input always gets the same id, so replays are idempotent."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable


def digest(parts: Iterable[str], size: int = 10) -> str:
    """Hex blake2b of the parts joined by a separator that cannot occur in text."""
    hasher = hashlib.blake2b(digest_size=size)
    for part in parts:
        hasher.update(part.encode("utf-8", "surrogatepass"))
        hasher.update(b"\x1f")
    return hasher.hexdigest()


def article_id(source: str, url: str | None, body: str) -> str:
    """Identity of a delivered article: who sent it, where from, and exactly what.

    The body is part of the identity so that an edited page is a new article (and then a
    near-duplicate of the old one), while a byte-identical re-send keeps its id.
    """
    body_hash = hashlib.sha256(body.encode("utf-8", "surrogatepass")).hexdigest()
    return "art_" + digest((source, url or "", body_hash))


def content_hash(normalised_text: str) -> str:
    """Fingerprint of cleaned, normalised text: equal stories under other URLs share it."""
    return digest((normalised_text,), size=16)


def match_event_id(home_id: str, away_id: str, day: str | None) -> str:
    return "match_" + digest((home_id, away_id, day or ""))


def quote_event_id(speaker_id: str, normalised_quote: str) -> str:
    return "quote_" + digest((speaker_id, normalised_quote))
