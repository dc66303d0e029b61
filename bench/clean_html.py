"""Benchmark ``stream.core.clean.html.extract_html`` against trafilatura.

Why this exists: the extractor is only worth keeping if it is both more
accurate and much faster than the obvious off-the-shelf choice, so both are
run in the same process, on the same decoded input, with the same scoring.

Corpus layout (same as the html-dev corpus)::

    CORPUS_DIR/html/ID.html.gz   (or ID.html)
    CORPUS_DIR/ground-truth.json  {ID: {"articleBody": str, "url": str}}

Scoring: lowercase ``\\w+`` tokens, multiset of 4-token shingles (a text with
fewer than 4 tokens is a single shingle of all its tokens, if non-empty),
per-document precision/recall with multiset intersection, macro-averaged over
documents, F1 = harmonic mean of the two averages.  An empty prediction has
precision 0 and recall 0 (an extractor must not be rewarded for silence).
If the gold text is empty, recall is 1 when the prediction is empty too.

Timing covers only the extraction call: for our extractor that is
``extract_html(raw_bytes)`` (decoding included); for trafilatura it is
``trafilatura.extract(decoded_str)`` plus the same UTF-8 decode, so both pay
for decoding.  A warm-up pass (which also produces the scored outputs)
precedes the timed passes, and the two extractors are timed interleaved,
page by page, so machine load affects both equally.

Usage::

    python bench/clean_html.py CORPUS_DIR [--limit N] [--repeat K] [--per-doc]
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from stream.core.clean.html import extract_html

_TOKEN_RE = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class Page:
    """One corpus page: raw bytes as they would arrive from the crawler."""

    doc_id: str
    raw: bytes
    gold: str


@dataclass(frozen=True, slots=True)
class Score:
    """Per-document precision and recall."""

    precision: float
    recall: float


def shingles(text: str) -> Counter[tuple[str, ...]]:
    """Multiset of 4-token shingles; short texts become one shingle."""
    tokens = _TOKEN_RE.findall(text.lower())
    if not tokens:
        return Counter()
    if len(tokens) < 4:
        return Counter([tuple(tokens)])
    return Counter(tuple(tokens[i : i + 4]) for i in range(len(tokens) - 3))


def score(pred: str, gold: str) -> Score:
    """Precision/recall of shingle multisets (empty prediction scores 0/0)."""
    p, g = shingles(pred), shingles(gold)
    if not g:
        return Score(1.0 if not p else 0.0, 1.0 if not p else 0.0)
    if not p:
        return Score(0.0, 0.0)
    common = sum((p & g).values())
    return Score(common / sum(p.values()), common / sum(g.values()))


def load_corpus(corpus: Path, limit: int | None) -> list[Page]:
    """Read every page listed in ground-truth.json that exists on disk."""
    truth = json.loads((corpus / "ground-truth.json").read_text(encoding="utf-8"))
    pages: list[Page] = []
    for doc_id in sorted(truth):
        gz = corpus / "html" / f"{doc_id}.html.gz"
        plain = corpus / "html" / f"{doc_id}.html"
        if gz.exists():
            raw = gzip.decompress(gz.read_bytes())
        elif plain.exists():
            raw = plain.read_bytes()
        else:
            continue
        pages.append(Page(doc_id, raw, truth[doc_id].get("articleBody") or ""))
        if limit is not None and len(pages) >= limit:
            break
    return pages


def ours(raw: bytes) -> str:
    """Our extractor on raw bytes (it detects the encoding itself)."""
    return extract_html(raw).text


def trafilatura_extract(raw: bytes) -> str:
    """trafilatura with default settings on the decoded string."""
    import trafilatura

    text = raw.decode("utf-8", errors="replace")
    return trafilatura.extract(text) or ""


def run(
    extractors: dict[str, Callable[[bytes], str]], pages: list[Page], repeat: int
) -> dict[str, tuple[list[str], float]]:
    """Warm up, then time ``repeat`` passes; return outputs and pages/s per extractor.

    The extractors are interleaved page by page, so that a change in machine
    load during the run affects both alike and the speed ratio stays honest.
    """
    outputs = {name: [fn(p.raw) for p in pages] for name, fn in extractors.items()}
    elapsed = dict.fromkeys(extractors, 0.0)
    for _ in range(repeat):
        for page in pages:
            for name, fn in extractors.items():
                start = time.perf_counter()
                fn(page.raw)
                elapsed[name] += time.perf_counter() - start
    total = len(pages) * repeat
    return {
        name: (outputs[name], total / elapsed[name] if elapsed[name] > 0 else float("inf"))
        for name in extractors
    }


def aggregate(scores: list[Score]) -> tuple[float, float, float]:
    """Macro precision, macro recall, F1 of the two."""
    if not scores:
        return 0.0, 0.0, 0.0
    p = sum(s.precision for s in scores) / len(scores)
    r = sum(s.recall for s in scores) / len(scores)
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f1


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run both extractors, print the comparison."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--per-doc", action="store_true")
    ap.add_argument("--no-trafilatura", action="store_true", help="skip baseline")
    args = ap.parse_args(argv)

    pages = load_corpus(args.corpus, args.limit)
    if not pages:
        print("no pages found", file=sys.stderr)
        return 1
    extractors: dict[str, Callable[[bytes], str]] = {"ours": ours}
    if not args.no_trafilatura:
        extractors["trafilatura"] = trafilatura_extract

    results: dict[str, tuple[list[Score], float]] = {}
    for name, (outputs, rate) in run(extractors, pages, args.repeat).items():
        results[name] = ([score(o, p.gold) for o, p in zip(outputs, pages, strict=True)], rate)

    if args.per_doc:
        names = list(results)
        header = "doc_id            " + "".join(f"{n[:11]:>12}P{'R':>6}" for n in names)
        print(header)
        for i, page in enumerate(pages):
            cells = "".join(
                f"{results[n][0][i].precision:13.3f}{results[n][0][i].recall:6.3f}" for n in names
            )
            print(f"{page.doc_id[:16]:<18}{cells}")
        print()

    print(f"pages: {len(pages)}  repeat: {args.repeat}")
    print(f"{'extractor':<12}{'F1':>8}{'prec':>8}{'recall':>8}{'pages/s':>10}")
    for name, (scores, rate) in results.items():
        p, r, f1 = aggregate(scores)
        print(f"{name:<12}{f1:8.4f}{p:8.4f}{r:8.4f}{rate:10.1f}")
    if "trafilatura" in results:
        ratio = results["ours"][1] / results["trafilatura"][1]
        print(f"speed ratio (ours / trafilatura): {ratio:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
