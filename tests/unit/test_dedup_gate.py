"""Quality gate of the near-duplicate detector on the labelled pairs of tests/fixtures/dedup.

Every document is cleaned by the real ``clean_article``; for each pair, ``a`` goes through
``decide``/``remember`` on an empty dict memory, then ``decide`` runs on ``b`` with the
default ``NearPolicy``. Floors: precision >= 0.97 and recall >= 0.97 on the duplicate
pairs, and no two different stories on the same subject taken for one. ``bench/dedup.py``
prints the same figures with the thresholds swept and the errors listed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from stream.core import dedup
from stream.core.clean import clean_article
from stream.core.dedup.minhash import signature
from stream.core.models import RawArticle

pytestmark = pytest.mark.gate

CORPUS = Path(__file__).resolve().parent.parent / "fixtures" / "dedup"
MIN_PRECISION = 0.97
MIN_RECALL = 0.97


@dataclass(frozen=True, slots=True)
class Outcome:
    a: str
    b: str
    duplicate: bool
    kind: str
    flagged: bool


def _read_jsonl(name: str) -> list[dict[str, Any]]:
    with (CORPUS / name).open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _moment(day: str | None) -> datetime | None:
    return datetime.fromisoformat(day).replace(tzinfo=UTC) if day else None


def _raw_documents() -> dict[str, RawArticle]:
    raws = {s["id"]: RawArticle(source=s["source"], body=s["text"], title=s["title"],
                                url=f"https://{s['source']}.example/{s['id']}",
                                published_at=_moment(s.get("published")))
            for s in _read_jsonl("stories.jsonl")}
    for doc in _read_jsonl("variants.jsonl"):
        body = doc.get("body")
        if body is None:
            body = (CORPUS / doc["body_file"]).read_text(encoding="utf-8")
        raws[doc["id"]] = RawArticle(source=doc["source"], body=body,
                                     content_type=doc["content_type"], url=doc["url"],
                                     title=doc.get("title"),
                                     published_at=_moment(doc.get("published")))
    return raws


@cache
def outcomes() -> tuple[Outcome, ...]:
    clean = {key: clean_article(raw) for key, raw in _raw_documents().items()}
    sigs = {key: signature(article.text) for key, article in clean.items()}
    out: list[Outcome] = []
    for pair in _read_jsonl("pairs.jsonl"):
        a, b = pair["a"], pair["b"]
        memory: dict[str, str] = {}
        first = dedup.decide(clean[a], sigs[a], memory)
        assert not first.is_duplicate, f"{a} duplicate in an empty memory"
        dedup.remember(clean[a], sigs[a], first, memory)
        verdict = dedup.decide(clean[b], sigs[b], memory)
        assert not verdict.seen_before, f"{b} has the same article id as {a}"
        out.append(Outcome(a, b, pair["label"] == "duplicate", pair["kind"],
                           verdict.duplicate_of == clean[a].article_id))
    return tuple(out)


def test_corpus_is_a_realistic_mix() -> None:
    pairs = outcomes()
    kinds = {o.kind for o in pairs}
    assert len(pairs) >= 150
    assert kinds == {"exact", "syndicated", "edited", "truncated", "html", "same_subject",
                     "unrelated"}
    assert sum(o.kind == "same_subject" for o in pairs) >= 40


def test_precision_on_duplicate_pairs_meets_the_floor() -> None:
    pairs = outcomes()
    flagged = [o for o in pairs if o.flagged]
    wrong = [f"{o.kind}: {o.a} -> {o.b}" for o in flagged if not o.duplicate]
    precision = (len(flagged) - len(wrong)) / len(flagged)
    assert precision >= MIN_PRECISION, f"precision {precision:.3f}; false positives: {wrong}"


def test_recall_on_duplicate_pairs_meets_the_floor() -> None:
    duplicates = [o for o in outcomes() if o.duplicate]
    missed = [f"{o.kind}: {o.a} -> {o.b}" for o in duplicates if not o.flagged]
    recall = 1 - len(missed) / len(duplicates)
    assert recall >= MIN_RECALL, f"recall {recall:.3f}; missed: {missed}"


def test_no_same_subject_story_is_taken_for_a_duplicate() -> None:
    flagged = [f"{o.a} -> {o.b}" for o in outcomes() if o.kind == "same_subject" and o.flagged]
    assert not flagged


@pytest.mark.parametrize("kind", ["exact", "syndicated", "edited", "html"])
def test_whole_copies_are_all_caught(kind: str) -> None:
    missed = [f"{o.a} -> {o.b}" for o in outcomes() if o.kind == kind and not o.flagged]
    assert not missed
