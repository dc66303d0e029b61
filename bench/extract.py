"""Extraction speed: articles/s and median/p95 ms per ~4 KB article, one core.

Usage::

    python bench/extract.py [--rounds N] [--profile]

Articles: every gold article (``tests/fixtures/extract_gold``), cleaned by the real cleaner, then
repeated paragraph by paragraph up to ~4 KB and cut at a paragraph boundary (so the text keeps
its shape: quotes, scores, names), plus a few score-dense synthetic ones (result round-ups).
Timed: the whole ``FootballExtractor.extract`` call, next to the baseline run in the same
process on the same articles: **gazetteer only**, the knowledge-base alias scan alone
(``Gazetteer.find``: the KB's entities, none of the people it does not know, no short forms,
match results or quotes), i.e. what a plain dictionary look-up costs. The breakdown times each
stage on its own (knowledge-base mentions via the gazetteer, people and short forms, match
results, quotes), so its parts add up to about the whole (run alone, each stage finds its data
in the CPU caches: the whole is a little more). ``--profile`` prints a cProfile of the whole
call.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.extract_gate import cleaned, load_gold  # noqa: E402
from stream.core.extract import FootballExtractor, default_extractor  # noqa: E402
from stream.core.extract.gazetteer import Gazetteer  # noqa: E402
from stream.core.extract.matches import find_match_results  # noqa: E402
from stream.core.extract.quotes import find_quotes  # noqa: E402
from stream.core.extract.types import mentions_by_type  # noqa: E402
from stream.core.models import CleanArticle  # noqa: E402

TARGET_CHARS = 4096

_DENSE = [
    "Results round-up: Arsenal 2-1 Chelsea, Liverpool 3-0 Everton, Manchester City 1-1 "
    "Tottenham Hotspur, Newcastle United 0-2 Aston Villa, Brighton 4-2 Fulham.",
    "Real Madrid beat Sevilla 3-1 at the Bernabéu on Saturday, while Barcelona won 2-0 at "
    "Valencia and Atlético Madrid drew 1-1 with Villarreal on Sunday.",
    "In Serie A, Inter beat Napoli 2-1 at San Siro, Juventus lost 1-0 to Roma and AC Milan "
    "thrashed Lazio 4-0. Bayern Munich won 5-0 against Wolfsburg in the Bundesliga.",
    '"We were excellent," Mikel Arteta said after the 2-1 win. "The players gave everything," '
    "he added. Pep Guardiola said City had been unlucky in the 1-1 draw.",
]


def to_size(text: str, size: int = TARGET_CHARS) -> str:
    """Repeat paragraphs until about ``size`` characters, cut at a paragraph boundary."""
    paragraphs = [p for p in text.split("\n") if p.strip()]
    out: list[str] = []
    length = 0
    i = 0
    while length < size and paragraphs:
        paragraph = paragraphs[i % len(paragraphs)]
        if length + len(paragraph) + 1 > size and out:
            break
        out.append(paragraph)
        length += len(paragraph) + 1
        i += 1
    return "\n".join(out)[:size]


def articles() -> list[CleanArticle]:
    gold = [cleaned(item) for item in load_gold()]
    found = [replace(a, text=to_size(a.text)) for a in gold]
    template = gold[0]
    for i in range(4):
        dense = "\n".join(_DENSE[(i + j) % len(_DENSE)] for j in range(len(_DENSE)))
        found.append(replace(template, article_id=f"dense-{i}", text=to_size(dense)))
    return found


def _summary(label: str, per_article: list[float]) -> str:
    ordered = sorted(per_article)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return (f"{label:34} median {statistics.median(per_article):.3f} ms, p95 {p95:.3f} ms, "
            f"{1000 / statistics.mean(per_article):.0f} articles/s")


def _time(fn: Callable[[], object], rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=30, help="timed runs per article (min kept)")
    parser.add_argument("--profile", action="store_true", help="cProfile the whole extract()")
    args = parser.parse_args(argv)
    extractor: FootballExtractor = default_extractor()
    baseline = Gazetteer(extractor.kb)
    docs = articles()
    for doc in docs:  # warm-up: caches, regex compilation
        extractor.extract(doc)
        baseline.find(doc.text)
    per_article = [_time(lambda d=doc: extractor.extract(d), args.rounds) for doc in docs]
    per_baseline = [_time(lambda d=doc: baseline.find(d.text), args.rounds) for doc in docs]
    stages: dict[str, list[float]] = {"gazetteer": [], "people": [], "matches": [], "quotes": []}
    for doc in docs:
        text = doc.text
        mentions = extractor._mentions(text)
        by_type = mentions_by_type(mentions)
        gazetteer = _time(lambda t=text: extractor._kb_mentions(t), args.rounds)
        stages["gazetteer"].append(gazetteer)
        # people (and the other short-form passes) = all mentions minus the gazetteer part
        stages["people"].append(max(0.0, _time(lambda t=text: extractor._mentions(t),
                                               args.rounds) - gazetteer))
        stages["matches"].append(_time(
            lambda t=text, m=mentions, d=doc, b=by_type: find_match_results(
                t, m, d.published_at, extractor._home_club_of,
                home_clubs_of=extractor._home_clubs_of,
                club_facts=extractor._club_facts.get, by_type=b), args.rounds))
        stages["quotes"].append(_time(lambda t=text, m=mentions, b=by_type: find_quotes(
            t, m, facts=extractor._facts.get, managers=extractor._managers_of, by_type=b),
            args.rounds))
    sizes = [len(d.text) for d in docs]
    print(f"{len(docs)} articles, {statistics.mean(sizes):.0f} chars on average, "
          f"best of {args.rounds} runs each")
    print(_summary("extract()", per_article))
    print(_summary("baseline: gazetteer only", per_baseline))
    for name, values in stages.items():
        print(f"  {name:10} median {statistics.median(values):.3f} ms")
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(20):
            for doc in docs:
                extractor.extract(doc)
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
