"""Quality gate for the extraction stage, on the hand-labelled gold set.

Usage::

    python bench/extract_gate.py                 # scores on the tuning part and the held-out part
    python bench/extract_gate.py --details       # plus every miss / false hit (tuning part only)

The gold set (``tests/fixtures/extract_gold/*.json``) holds articles written for the project in
the style of crawled football news, each with its labels; ``split`` is ``tune`` (looked at while
improving the extractors) or ``heldout`` (only ever scored, never inspected). Every article goes
through the real pipeline front: ``RawArticle`` -> ``clean_article`` -> ``FootballExtractor``.

Scoring (micro-averaged over articles):

* **entities**: per type, the set of entity ids an article mentions (predicted vs gold).
  Persons the knowledge base does not know are labelled ``person:<slug of the full name>``;
  persons named only by a surname the KB does not know are not labelled. Places are not labelled
  (the KB has none), so predicted ``place`` entities are not scored.
* **match results**: exact tuple match on (home, away, home goals, away goals, competition,
  date, venue). When the text does not say which side was at home the gold entry has
  ``"ordered": false`` and either orientation counts (the goals travel with their club).
  Competition / date / venue are labelled when the text states them for that match (a date only
  when a date expression names the day: "on Sunday", "December 7", "this afternoon"; not
  "earlier in the day" or "in May").
* **quotes**: a gold quote (a snippet of the quoted words plus the speaker id) is *found* when a
  predicted quote's text contains the snippet (whitespace and quotation marks normalised).
  Quote recall = found / gold; speaker accuracy = found with the right speaker / found;
  quote precision = predicted quotes that contain some gold snippet / predicted quotes (a quote
  with no identifiable person speaker is not a gold quote, so attributing it is a false hit).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.scoring import Counts  # noqa: E402
from stream.core.clean import clean_article  # noqa: E402
from stream.core.extract import FootballExtractor, default_extractor  # noqa: E402
from stream.core.models import CleanArticle, Extraction, MatchResult, RawArticle  # noqa: E402

GOLD_DIR = ROOT / "tests" / "fixtures" / "extract_gold"
ENTITY_TYPES = ("person", "club", "competition", "venue", "organisation")
_QUOTE_MARKS = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'", "«": '"', "»": '"'})


@dataclass
class Report:
    articles: int = 0
    entities: dict[str, Counts] = field(default_factory=lambda: {t: Counts() for t in ENTITY_TYPES})
    matches: Counts = field(default_factory=Counts)
    quotes_gold: int = 0
    quotes_found: int = 0
    quotes_right_speaker: int = 0
    quotes_predicted: int = 0
    quotes_predicted_matching: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def entity_total(self) -> Counts:
        total = Counts()
        for counts in self.entities.values():
            total.add(counts)
        return total

    @property
    def quote_recall(self) -> float:
        return self.quotes_found / self.quotes_gold if self.quotes_gold else 1.0

    @property
    def speaker_accuracy(self) -> float:
        return self.quotes_right_speaker / self.quotes_found if self.quotes_found else 1.0

    @property
    def quote_precision(self) -> float:
        return (self.quotes_predicted_matching / self.quotes_predicted
                if self.quotes_predicted else 1.0)


def load_gold(split: str | None = None, gold_dir: Path = GOLD_DIR) -> list[dict[str, Any]]:
    """Gold articles, in file order; ``split`` is "tune", "heldout" or None for all."""
    items = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(gold_dir.glob("*.json"))]
    return [a for a in items if split is None or a["split"] == split]


def raw_article(item: dict[str, Any]) -> RawArticle:
    raw = item["raw"]
    published = raw.get("published_at")
    return RawArticle(
        source=raw["source"], body=raw["body"], content_type=raw.get("content_type", "text/plain"),
        url=raw.get("url"), title=raw.get("title"),
        published_at=datetime.fromisoformat(published) if published else None,
    )


def cleaned(item: dict[str, Any]) -> CleanArticle:
    return clean_article(raw_article(item))


def evaluate(items: Iterable[dict[str, Any]], extractor: FootballExtractor | None = None,
             details: bool = False) -> Report:
    extractor = extractor or default_extractor()
    report = Report()
    for item in items:
        article = cleaned(item)
        _score(report, item, article, extractor.extract(article), details)
    return report


def _score(report: Report, item: dict[str, Any], article: CleanArticle,
           extraction: Extraction, details: bool) -> None:
    report.articles += 1
    gold = item["gold"]
    name = item["id"]
    for etype in ENTITY_TYPES:
        want = set(gold["entities"].get(etype, ()))
        got = {e.id for e in extraction.entities if e.type == etype}
        report.entities[etype].add(Counts(len(want & got), len(got - want), len(want - got)))
        if details:
            for missing in sorted(want - got):
                report.problems.append(f"{name}: entity missed   {missing}")
            for extra in sorted(got - want):
                surfaces = [article.text[s:e] for ent in extraction.entities if ent.id == extra
                            for s, e in ent.mentions]
                report.problems.append(f"{name}: entity extra    {extra} {surfaces[:3]}")
    _score_matches(report, name, gold["match_results"], extraction.match_results, details)
    _score_quotes(report, name, gold["quotes"], extraction, details)


def _match_key(m: MatchResult) -> tuple[Any, ...]:
    return (m.home.id, m.away.id, m.home_goals, m.away_goals,
            m.competition.id if m.competition else None,
            m.date.isoformat() if m.date else None, m.venue.id if m.venue else None)


def _gold_keys(g: dict[str, Any]) -> list[tuple[Any, ...]]:
    key = (g["home"], g["away"], g["home_goals"], g["away_goals"], g["competition"], g["date"],
           g["venue"])
    if g.get("ordered", True):
        return [key]
    return [key, (g["away"], g["home"], g["away_goals"], g["home_goals"], *key[4:])]


def _score_matches(report: Report, name: str, gold: Sequence[dict[str, Any]],
                   predicted: Sequence[MatchResult], details: bool) -> None:
    left = [_match_key(m) for m in predicted]
    missed = []
    for g in gold:
        hit = next((k for k in _gold_keys(g) if k in left), None)
        if hit is None:
            missed.append(_gold_keys(g)[0])
        else:
            left.remove(hit)
    report.matches.add(Counts(len(gold) - len(missed), len(left), len(missed)))
    if details:
        for key in missed:
            report.problems.append(f"{name}: match missed    {key}")
        for key in left:
            report.problems.append(f"{name}: match extra     {key}")


def _norm(text: str) -> str:
    return " ".join(text.translate(_QUOTE_MARKS).split())


def _score_quotes(report: Report, name: str, gold: Sequence[dict[str, Any]],
                  extraction: Extraction, details: bool) -> None:
    predicted = [(_norm(q.text), q.speaker.id) for q in extraction.quotes]
    snippets = [_norm(g["text"]) for g in gold]
    report.quotes_gold += len(gold)
    report.quotes_predicted += len(predicted)
    report.quotes_predicted_matching += sum(
        1 for text, _ in predicted if any(s in text for s in snippets))
    for g, snippet in zip(gold, snippets, strict=True):
        speakers = [speaker for text, speaker in predicted if snippet in text]
        if not speakers:
            if details:
                report.problems.append(f"{name}: quote missed    {g['speaker']} {snippet[:50]!r}")
            continue
        report.quotes_found += 1
        if g["speaker"] in speakers:
            report.quotes_right_speaker += 1
        elif details:
            report.problems.append(
                f"{name}: quote speaker   {speakers[0]} != {g['speaker']} {snippet[:50]!r}")
    if details:
        for text, speaker in predicted:
            if not any(s in text for s in snippets):
                report.problems.append(f"{name}: quote extra     {speaker} {text[:60]!r}")


def format_report(title: str, report: Report) -> str:
    lines = [f"== {title}: {report.articles} articles"]
    lines.append(f"{'':14}{'P':>7}{'R':>7}{'F1':>7}{'tp':>6}{'fp':>5}{'fn':>5}")
    rows = [*report.entities.items(), ("ENTITIES", report.entity_total),
            ("MATCHES", report.matches)]
    for label, c in rows:
        lines.append(f"{label:14}{c.precision:7.3f}{c.recall:7.3f}{c.f1:7.3f}"
                     f"{c.tp:6}{c.fp:5}{c.fn:5}")
    lines.append(
        f"QUOTES        recall {report.quote_recall:.3f} ({report.quotes_found}/"
        f"{report.quotes_gold})  speaker accuracy {report.speaker_accuracy:.3f} "
        f"({report.quotes_right_speaker}/{report.quotes_found})  precision "
        f"{report.quote_precision:.3f} ({report.quotes_predicted_matching}/"
        f"{report.quotes_predicted})")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--details", action="store_true",
                        help="list every miss and false hit on the tuning part")
    parser.add_argument("--split", choices=("tune", "heldout", "all"), default=None,
                        help="score one part only (default: both, separately)")
    args = parser.parse_args(argv)
    splits = [args.split] if args.split else ["tune", "heldout"]
    for split in splits:
        items = load_gold(None if split == "all" else split)
        # Held-out articles are never inspected: details only for the tuning part.
        report = evaluate(items, details=args.details and split == "tune")
        print(format_report(split, report))
        for problem in report.problems:
            print("  " + problem)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
