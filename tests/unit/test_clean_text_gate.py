"""Quality gate of plain-text cleaning on the crawled-text fixtures of tests/fixtures/text.

Each fixture is an article written for the project in the shape of crawled plain text
(``NAME.txt``: a story about a real club with a site's leftovers around and inside it),
with the story alone as ``NAME.expected.txt`` and, in ``manifest.json``, the leftovers
that must go (``remove``), the expected title, publication date and author, and the split
(``tune``: rules were developed against it; ``heldout``: written after the rules and
never tuned on).

Figures, over all fixtures and per fixture:

* keep-recall: share of the expected text's sentences found verbatim in the output;
* remove-rate: share of the must-remove snippets absent from the output;
* shingle F1 against the expected text (lowercase word 4-shingles, multiset precision
  and recall, macro-averaged: the scoring of ``bench/clean_html.py``).

``bench/clean_text.py`` prints the same figures, per split and per fixture, with timings.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path

import pytest

from stream.core.clean.text import CleanedText, clean_plain_text

pytestmark = pytest.mark.gate

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "text"
#: Every story sentence survives, in every fixture.
MIN_KEEP_RECALL = 1.0
MIN_REMOVE_RATE = 0.97
MIN_FIXTURE_REMOVE_RATE = 0.75
MIN_F1 = 0.98

_TOKEN = re.compile(r"\w+")
_SENTENCE_END = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"”’)]))\s+(?=[A-Z\"“‘(])")


@dataclass(frozen=True, slots=True)
class Fixture:
    name: str
    split: str
    raw: str
    expected: str
    remove: tuple[str, ...]
    title: str | None
    published_at: datetime | None
    author: str | None


@dataclass(frozen=True, slots=True)
class Result:
    fixture: Fixture
    cleaned: CleanedText
    kept: int
    keep_total: int
    removed: int
    remove_total: int
    precision: float
    recall: float
    missing: tuple[str, ...]
    leftover: tuple[str, ...]


@cache
def load_fixtures() -> tuple[Fixture, ...]:
    manifest = json.loads((FIXTURES / "manifest.json").read_text(encoding="utf-8"))
    out = []
    for name, meta in manifest.items():
        published = meta.get("published_at")
        out.append(Fixture(
            name=name, split=meta.get("split", "tune"),
            raw=(FIXTURES / f"{name}.txt").read_text(encoding="utf-8"),
            expected=(FIXTURES / f"{name}.expected.txt").read_text(encoding="utf-8").strip(),
            remove=tuple(meta.get("remove", ())), title=meta.get("title"),
            published_at=datetime.fromisoformat(published) if published else None,
            author=meta.get("author")))
    return tuple(out)


def sentences(text: str) -> list[str]:
    """The must-keep snippets: every sentence of every expected paragraph."""
    return [s.strip() for p in text.split("\n\n") for s in _SENTENCE_END.split(p) if s.strip()]


def shingles(text: str) -> Counter[tuple[str, ...]]:
    tokens = _TOKEN.findall(text.lower())
    if not tokens:
        return Counter()
    if len(tokens) < 4:
        return Counter([tuple(tokens)])
    return Counter(tuple(tokens[i:i + 4]) for i in range(len(tokens) - 3))


def shingle_scores(pred: str, gold: str) -> tuple[float, float]:
    p, g = shingles(pred), shingles(gold)
    if not g:
        return (1.0, 1.0) if not p else (0.0, 0.0)
    if not p:
        return 0.0, 0.0
    common = sum((p & g).values())
    return common / sum(p.values()), common / sum(g.values())


def evaluate(fixture: Fixture) -> Result:
    cleaned = clean_plain_text(fixture.raw)
    keep = sentences(fixture.expected)
    missing = tuple(s for s in keep if s not in cleaned.text)
    leftover = tuple(s for s in fixture.remove if s in cleaned.text)
    precision, recall = shingle_scores(cleaned.text, fixture.expected)
    return Result(fixture, cleaned, len(keep) - len(missing), len(keep),
                  len(fixture.remove) - len(leftover), len(fixture.remove),
                  precision, recall, missing, leftover)


@dataclass(frozen=True, slots=True)
class Figures:
    articles: int
    keep_recall: float
    remove_rate: float
    precision: float
    recall: float
    f1: float
    metadata_ok: float


def metadata_ok(result: Result) -> bool:
    fx, cleaned = result.fixture, result.cleaned
    return (cleaned.title == fx.title and cleaned.published_at == fx.published_at
            and cleaned.author == fx.author)


def figures(results: list[Result]) -> Figures:
    if not results:
        return Figures(0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
    kept = sum(r.kept for r in results) / max(1, sum(r.keep_total for r in results))
    removed = sum(r.removed for r in results) / max(1, sum(r.remove_total for r in results))
    p = sum(r.precision for r in results) / len(results)
    rc = sum(r.recall for r in results) / len(results)
    f1 = 2 * p * rc / (p + rc) if p + rc else 0.0
    meta = sum(metadata_ok(r) for r in results) / len(results)
    return Figures(len(results), kept, removed, p, rc, f1, meta)


@cache
def results() -> tuple[Result, ...]:
    return tuple(evaluate(f) for f in load_fixtures())


def test_the_corpus_is_large_enough_and_has_a_held_out_part() -> None:
    fixtures = load_fixtures()
    assert len(fixtures) >= 20
    assert sum(f.split == "heldout" for f in fixtures) >= 6
    for fixture in fixtures:
        assert fixture.remove, f"{fixture.name} lists nothing to remove"
        for snippet in fixture.remove:
            assert snippet in fixture.raw, (fixture.name, snippet)
            assert snippet not in fixture.expected, (fixture.name, snippet)
        for sentence in sentences(fixture.expected):
            assert sentence in fixture.raw, (fixture.name, sentence)


@pytest.mark.parametrize("fixture", load_fixtures(), ids=lambda f: f.name)
def test_every_story_sentence_survives_and_leftovers_go(fixture: Fixture) -> None:
    result = evaluate(fixture)
    assert not result.missing, f"story sentences lost: {result.missing}"
    assert result.removed / result.remove_total >= MIN_FIXTURE_REMOVE_RATE, \
        f"leftovers kept: {result.leftover}"


@pytest.mark.parametrize("fixture", load_fixtures(), ids=lambda f: f.name)
def test_title_date_and_author_become_fields(fixture: Fixture) -> None:
    cleaned = evaluate(fixture).cleaned
    assert (cleaned.title, cleaned.published_at, cleaned.author) == \
        (fixture.title, fixture.published_at, fixture.author)


def test_gate_floors_over_the_whole_corpus() -> None:
    overall = figures(list(results()))
    assert overall.keep_recall >= MIN_KEEP_RECALL
    assert overall.remove_rate >= MIN_REMOVE_RATE
    assert overall.f1 >= MIN_F1


def test_gate_floors_on_the_held_out_part_alone() -> None:
    held_out = figures([r for r in results() if r.fixture.split == "heldout"])
    assert held_out.keep_recall >= MIN_KEEP_RECALL
    assert held_out.remove_rate >= MIN_REMOVE_RATE
    assert held_out.f1 >= MIN_F1
