"""Quality and speed of plain-text cleaning (``stream.core.clean.text.clean_plain_text``).

Quality: the gate figures of ``tests/unit/test_clean_text_gate.py`` on the fixtures of
``tests/fixtures/text`` (keep-recall of story sentences, remove-rate of leftovers, word
4-shingle F1 against the expected text, share of articles with title, date and author
right), for the tuned part, the held-out part and all of them.

Speed: per-article cleaning time (``clean_plain_text`` on the raw text, normalisation
included), median and p95 in microseconds over ``--repeat`` passes, on each fixture and on
4 KB articles (fixtures repeated or cut to 4096 characters at a paragraph boundary).

Usage::

    python bench/clean_text.py [--repeat K] [--per-doc]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from stream.core.clean.normalize import fold_for_matching, normalise_text, word_tokens
from stream.core.clean.text import clean_plain_text
from tests.unit.test_clean_text_gate import (
    Fixture,
    Result,
    evaluate,
    figures,
    load_fixtures,
    metadata_ok,
)


def four_kb(fixture: Fixture) -> str:
    """The fixture grown (repeating its story paragraphs) or cut to about 4096 chars."""
    text = fixture.raw
    story = fixture.expected
    while len(text) < 4096:
        text += "\n\n" + story
    cut = text.rfind("\n\n", 0, 4096)
    return text[:cut if cut > 2048 else 4096]


def timed(call: Callable[[str], object], inputs: list[str], repeat: int) -> list[float]:
    """Per-call times in µs: each input ``repeat`` times, after a warm-up call."""
    samples: list[float] = []
    for text in inputs:
        call(text)
        for _ in range(repeat):
            start = time.perf_counter()
            call(text)
            samples.append((time.perf_counter() - start) * 1e6)
    return samples


def describe(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return f"median {statistics.median(ordered):8.1f} µs   p95 {p95:8.1f} µs"


def print_figures(label: str, results: list[Result]) -> None:
    f = figures(results)
    print(f"{label:<10}{f.articles:>5}{f.keep_recall:>9.4f}{f.remove_rate:>9.4f}"
          f"{f.f1:>8.4f}{f.precision:>8.4f}{f.recall:>8.4f}{f.metadata_ok:>8.2f}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=50)
    ap.add_argument("--per-doc", action="store_true")
    args = ap.parse_args(argv)

    fixtures = load_fixtures()
    results = [evaluate(f) for f in fixtures]
    if args.per_doc:
        print(f"{'fixture':<34}{'split':<8}{'keep':>7}{'remove':>8}{'F1':>7}  meta  problems")
        for r in results:
            p, rc = r.precision, r.recall
            f1 = 2 * p * rc / (p + rc) if p + rc else 0.0
            problems = [f"lost {s[:50]!r}" for s in r.missing]
            problems += [f"kept {s[:50]!r}" for s in r.leftover]
            print(f"{r.fixture.name:<34}{r.fixture.split:<8}{r.kept / r.keep_total:7.3f}"
                  f"{r.removed / r.remove_total:8.3f}{f1:7.3f}  "
                  f"{'ok' if metadata_ok(r) else 'BAD':<4}  {'; '.join(problems)}")
        print()

    print(f"{'split':<10}{'n':>5}{'keep':>9}{'remove':>9}{'F1':>8}{'prec':>8}{'recall':>8}{'meta':>8}")
    print_figures("tuned", [r for r in results if r.fixture.split == "tune"])
    print_figures("held-out", [r for r in results if r.fixture.split == "heldout"])
    print_figures("all", results)
    print()

    raws = [f.raw for f in fixtures]
    sized = [four_kb(f) for f in fixtures]
    mean_len = sum(map(len, raws)) / len(raws)
    print(f"clean_plain_text, fixtures as they are (mean {mean_len:.0f} chars): "
          f"{describe(timed(clean_plain_text, raws, args.repeat))}")
    print(f"clean_plain_text, 4 KB articles:                      "
          f"{describe(timed(clean_plain_text, sized, args.repeat))}")
    print(f"  of which normalise_text:                            "
          f"{describe(timed(normalise_text, sized, args.repeat))}")
    print(f"fold_for_matching, 4 KB clean text:                   "
          f"{describe(timed(fold_for_matching, sized, args.repeat))}")
    print(f"word_tokens, 4 KB clean text:                         "
          f"{describe(timed(word_tokens, sized, args.repeat))}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
