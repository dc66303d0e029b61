"""Benchmark the near-duplicate detector (``stream.core.dedup``) against datasketch.

Why this exists: ``NearPolicy`` thresholds and the shingle size are only as good as the
labelled pairs that justify them. Both methods run in one process on the same cleaned text.

Corpus (``tests/fixtures/dedup/``, written for the project): ``stories.jsonl`` (base
stories), ``variants.jsonl`` (copies derived by ``make_variants.py``; HTML pages under
``html/``) and ``pairs.jsonl`` (``a``, ``b``, ``label`` duplicate|distinct, ``kind``).
Every document is cleaned with ``stream.core.clean.clean_article`` from a ``RawArticle``.

Methods, on the cleaned text:

- project: ``signature`` (64-value one-permutation MinHash of word 5-shingles); score =
  estimated Jaccard, and containment of the smaller text in the larger as in
  ``stream.core.dedup._similarity`` (only when both have >= ``min_shingles`` shingles);
  an equal ``content_hash`` is an exact duplicate whatever the threshold;
- datasketch: ``MinHash(num_perm=128)`` of word 5-shingles of ``word_tokens`` (the same
  folded tokens), ``MinHashLSH(threshold=t)`` built on the ``a`` side of every pair; a pair
  is a duplicate when ``a`` is returned by the query for ``b`` (LSH as the decision, the
  usual use).

The project's policy line and its error list go through the real ``decide``/``remember``
(insert ``a`` in an empty dict memory, then decide on ``b``), so LSH candidate misses count.

Throughput: synthetic ~4 KB articles (paragraphs of the cleaned corpus, shuffled with a
fixed seed); per article, project = ``signature`` + ``decide`` + ``remember``, datasketch =
tokens + shingles + ``MinHash`` + ``query`` + ``insert`` (when not a duplicate). Cleaning is
not timed. One warm-up pass, then timed passes on fresh memory; median of per-article
``time.perf_counter`` times.

Usage::

    python bench/dedup.py [--articles N] [--passes K]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from datasketch import MinHash, MinHashLSH

from bench.scoring import Counts
from stream.core import dedup
from stream.core.clean import clean_article, fold_for_matching
from stream.core.clean.normalize import word_tokens
from stream.core.dedup.minhash import containment, jaccard, signature
from stream.core.ids import content_hash
from stream.core.models import CleanArticle, Fingerprint, RawArticle

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "dedup"
THRESHOLDS = [round(0.30 + 0.05 * i, 2) for i in range(13)]
NUM_PERM = 128
SHINGLE_WORDS = 5
POLICY = dedup.DEFAULT_POLICY


@dataclass(frozen=True, slots=True)
class Pair:
    a: str
    b: str
    duplicate: bool
    kind: str


# ---------------------------------------------------------------- corpus

def _moment(day: str | None) -> datetime | None:
    return datetime.fromisoformat(day).replace(tzinfo=UTC) if day else None


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def load_raw(corpus: Path = CORPUS) -> dict[str, RawArticle]:
    """Every document of the corpus as the producer would deliver it."""
    raws: dict[str, RawArticle] = {}
    for story in _read_jsonl(corpus / "stories.jsonl"):
        raws[story["id"]] = RawArticle(
            source=story["source"], body=story["text"], title=story["title"],
            url=f"https://{story['source']}.example/{story['id']}",
            published_at=_moment(story.get("published")))
    for doc in _read_jsonl(corpus / "variants.jsonl"):
        body = doc.get("body")
        if body is None:
            body = (corpus / doc["body_file"]).read_text(encoding="utf-8")
        raws[doc["id"]] = RawArticle(
            source=doc["source"], body=body, content_type=doc["content_type"],
            url=doc["url"], title=doc.get("title"), published_at=_moment(doc.get("published")))
    return raws


def load_pairs(corpus: Path = CORPUS) -> list[Pair]:
    return [Pair(p["a"], p["b"], p["label"] == "duplicate", p["kind"])
            for p in _read_jsonl(corpus / "pairs.jsonl")]


# ---------------------------------------------------------------- scoring

def count(pairs: list[Pair], predicted: Iterable[bool]) -> Counts:
    tp = fp = fn = 0
    for pair, hit in zip(pairs, predicted, strict=True):
        tp += hit and pair.duplicate
        fp += hit and not pair.duplicate
        fn += (not hit) and pair.duplicate
    return Counts(tp, fp, fn)


@dataclass(frozen=True, slots=True)
class ProjectScore:
    exact: bool
    jaccard: float
    containment: float  # 0 when either side has fewer than min_shingles shingles
    shingles: tuple[int, int]


def project_score(a: CleanArticle, b: CleanArticle, sa: Fingerprint, sb: Fingerprint,
                  min_shingles: int = POLICY.min_shingles) -> ProjectScore:
    jacc = jaccard(sa.values, sb.values)
    contained = (containment(jacc, sa.shingles, sb.shingles)
                 if min(sa.shingles, sb.shingles) >= min_shingles else 0.0)
    return ProjectScore(a.content_hash == b.content_hash, jacc, contained,
                        (sa.shingles, sb.shingles))


def rule(score: ProjectScore, jacc: float, contain: float) -> bool:
    """``_similarity``'s rule: Jaccard at least ``jacc``, or containment at least ``contain``."""
    return score.exact or score.jaccard >= jacc or score.containment >= contain


def shingle_set(tokens: list[str], k: int) -> set[str]:
    if len(tokens) < k:
        return {" ".join(tokens)} if tokens else set()
    return {" ".join(tokens[i:i + k]) for i in range(len(tokens) - k + 1)}


def ds_minhash(text: str) -> MinHash:
    m = MinHash(num_perm=NUM_PERM)
    m.update_batch([s.encode("utf-8") for s in shingle_set(word_tokens(text), SHINGLE_WORDS)])
    return m


def datasketch_predictions(pairs: list[Pair], hashes: dict[str, MinHash],
                           threshold: float) -> list[bool]:
    lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
    for key in dict.fromkeys(p.a for p in pairs):
        lsh.insert(key, hashes[key])
    return [p.a in lsh.query(hashes[p.b]) for p in pairs]


def decide_pair(a: CleanArticle, b: CleanArticle, sa: Fingerprint, sb: Fingerprint,
                policy: dedup.NearPolicy = POLICY) -> bool:
    """The real path: remember ``a`` in an empty memory, then decide on ``b``."""
    memory: dict[str, str] = {}
    dedup.remember(a, sa, dedup.decide(a, sa, memory, policy), memory)
    verdict = dedup.decide(b, sb, memory, policy)
    return verdict.duplicate_of == a.article_id


# ---------------------------------------------------------------- throughput

def synthetic_articles(texts: list[str], n: int, size: int = 4096) -> list[CleanArticle]:
    rng = random.Random(4096)
    paragraphs = [p for t in texts for p in t.split("\n\n") if len(p.split()) > 20]
    out: list[CleanArticle] = []
    for index in range(n):
        rng.shuffle(paragraphs)
        chosen: list[str] = []
        while len("\n\n".join(chosen).encode()) < size:
            chosen.append(paragraphs[len(chosen)])
        text = "\n\n".join(chosen)
        out.append(CleanArticle(
            article_id=f"art_{index:06d}", source="bench", url=None, title=None, text=text,
            published_at=None, language="en", content_hash=content_hash(fold_for_matching(text))))
    return out


def time_project(articles: list[CleanArticle]) -> list[float]:
    state = dedup.DedupState({})
    times: list[float] = []
    for article in articles:
        start = time.perf_counter()
        sig = signature(article.text)
        verdict = state.decide(article, sig)
        state.remember(article, sig, verdict)
        times.append(time.perf_counter() - start)
    return times


def time_datasketch(articles: list[CleanArticle]) -> list[float]:
    lsh = MinHashLSH(threshold=POLICY.jaccard, num_perm=NUM_PERM)
    times: list[float] = []
    for article in articles:
        start = time.perf_counter()
        m = ds_minhash(article.text)
        if not lsh.query(m):
            lsh.insert(article.article_id, m)
        times.append(time.perf_counter() - start)
    return times


def measure(run: Callable[[list[CleanArticle]], list[float]], articles: list[CleanArticle],
            passes: int) -> tuple[float, float]:
    """(articles per second, median ms per article) after one warm-up pass."""
    run(articles)
    times = [t for _ in range(passes) for t in run(articles)]
    return len(times) / sum(times), statistics.median(times) * 1000


# ---------------------------------------------------------------- report

def plateau(pairs: list[Pair], scores: list[ProjectScore]) -> str:
    """Where F1 is at its best: the Jaccard range at the policy's containment, and back."""
    def span(values: list[float], make: Callable[[float], Counts]) -> str:
        f1s = {v: make(v).f1 for v in values}
        top = max(f1s.values())
        best = [v for v, f in f1s.items() if f >= top - 1e-9]
        return f"{min(best):.2f}..{max(best):.2f} (F1 {top:.3f})"

    grid = [*THRESHOLDS, 0.95]
    j_span = span(grid, lambda t: count(pairs, (rule(s, t, POLICY.containment) for s in scores)))
    c_span = span(grid, lambda t: count(pairs, (rule(s, POLICY.jaccard, t) for s in scores)))
    return (f"best F1 for J in {j_span} at C>={POLICY.containment:.2f}; "
            f"for C in {c_span} at J>={POLICY.jaccard:.2f}")


def banded(sig: Fingerprint, bands: int, rows: int) -> set[tuple[int, tuple[int, ...]]]:
    return {(b, sig.values[b * rows:(b + 1) * rows]) for b in range(bands)}


def exact_scores(pairs: list[Pair], tokens: dict[str, list[str]], k: int,
                 min_shingles: int) -> list[ProjectScore]:
    out: list[ProjectScore] = []
    for p in pairs:
        sa, sb = shingle_set(tokens[p.a], k), shingle_set(tokens[p.b], k)
        inter = len(sa & sb)
        jacc = inter / len(sa | sb) if sa or sb else 0.0
        small = min(len(sa), len(sb))
        contained = inter / small if small >= min_shingles else 0.0
        out.append(ProjectScore(False, jacc, contained, (len(sa), len(sb))))
    return out


def separation(pairs: list[Pair], scores: list[ProjectScore]) -> str:
    dist = [s for p, s in zip(pairs, scores, strict=True) if not p.duplicate]
    whole = [s for p, s in zip(pairs, scores, strict=True)
             if p.duplicate and p.kind != "truncated" and not s.exact]
    part = [s for p, s in zip(pairs, scores, strict=True) if p.kind == "truncated"]
    return (f"distinct max J {max(s.jaccard for s in dist):.3f} max C "
            f"{max(s.containment for s in dist):.3f} | dup min J "
            f"{min(s.jaccard for s in whole):.3f} (non-truncated) | truncated min C "
            f"{min(s.containment for s in part):.3f}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=500, help="synthetic ~4 KB articles")
    parser.add_argument("--passes", type=int, default=3, help="timed passes after warm-up")
    args = parser.parse_args(argv)

    raws = load_raw()
    pairs = load_pairs()
    clean = {key: clean_article(raw) for key, raw in raws.items()}
    sigs = {key: signature(a.text) for key, a in clean.items()}
    hashes = {key: ds_minhash(a.text) for key, a in clean.items()}
    tokens = {key: word_tokens(a.text) for key, a in clean.items()}

    kinds: dict[str, int] = {}
    for p in pairs:
        kinds[p.kind] = kinds.get(p.kind, 0) + 1
    n_dup = sum(p.duplicate for p in pairs)
    words = [len(tokens[k]) for k in clean]
    print(f"corpus: {len(raws)} documents ({sum(1 for k in raws if '~' not in k)} stories), "
          f"{len(pairs)} pairs: {n_dup} duplicate, {len(pairs) - n_dup} distinct")
    print("  by kind: " + ", ".join(f"{k} {v}" for k, v in kinds.items()))
    print(f"  cleaned words per document: min {min(words)}, median "
          f"{statistics.median(words):.0f}, max {max(words)}")
    print()

    scores = [project_score(clean[p.a], clean[p.b], sigs[p.a], sigs[p.b]) for p in pairs]
    print("precision / recall / F1 per threshold t (project = 64-value signature, pairwise; "
          "datasketch = MinHashLSH(t), 128 perm)")
    header = (f"{'t':>5} | {'project J>=t':^17} | {'project J>=t|C>=.80':^19} | "
              f"{'project J>=.50|C>=t':^19} | {'datasketch LSH':^17}")
    print(header)
    print("-" * len(header))
    for t in THRESHOLDS:
        only_j = count(pairs, (rule(s, t, 9.0) for s in scores))
        j_sweep = count(pairs, (rule(s, t, POLICY.containment) for s in scores))
        c_sweep = count(pairs, (rule(s, POLICY.jaccard, t) for s in scores))
        ds = count(pairs, datasketch_predictions(pairs, hashes, t))
        print(f"{t:5.2f} | {only_j.cell()} | {j_sweep.cell():^19} | {c_sweep.cell():^19} | "
              f"{ds.cell()}")
    print()

    pairwise = count(pairs, (rule(s, POLICY.jaccard, POLICY.containment) for s in scores))
    decided = [decide_pair(clean[p.a], clean[p.b], sigs[p.a], sigs[p.b]) for p in pairs]
    real = count(pairs, decided)
    same_subject_hits = sum(d for p, d in zip(pairs, decided, strict=True)
                            if p.kind == "same_subject")
    print(f">> current policy {POLICY}:")
    print(f"   pairwise rule      P {pairwise.precision:.3f}  R {pairwise.recall:.3f}  "
          f"F1 {pairwise.f1:.3f}")
    print(f"   real decide()      P {real.precision:.3f}  R {real.recall:.3f}  F1 {real.f1:.3f}"
          f"  (tp {real.tp}, fp {real.fp}, fn {real.fn}; same_subject flagged "
          f"{same_subject_hits})")
    print("   recall by kind: " + ", ".join(
        f"{kind} {sum(d for p, d in zip(pairs, decided, strict=True) if p.kind == kind)}"
        f"/{kinds[kind]}" for kind in kinds if kind not in ("same_subject", "unrelated")))
    print()

    print("errors at the current policy (real decide()):")
    errors = 0
    for p, s, hit in zip(pairs, scores, decided, strict=True):
        if hit == p.duplicate:
            continue
        errors += 1
        what = "FP" if hit else "FN"
        candidate = bool(set(dedup.minhash.band_keys(sigs[p.a]))
                         & set(dedup.minhash.band_keys(sigs[p.b])))
        print(f"  {what} {p.kind:<12} {p.a} -> {p.b}: J {s.jaccard:.3f} C {s.containment:.3f} "
              f"shingles {s.shingles[0]}/{s.shingles[1]} lsh-candidate {candidate}")
    if not errors:
        print("  none")
    print()

    print("score ranges (project signature, pairwise):")
    print("  " + separation(pairs, scores))
    print("  " + plateau(pairs, scores))
    exact5 = exact_scores(pairs, tokens, SHINGLE_WORDS, POLICY.min_shingles)
    j_err = [abs(s.jaccard - e.jaccard) for s, e in zip(scores, exact5, strict=True)]
    c_err = [abs(s.containment - e.containment) for s, e in zip(scores, exact5, strict=True)
             if s.containment and e.containment]
    ds_err = [abs(hashes[p.a].jaccard(hashes[p.b]) - e.jaccard)
              for p, e in zip(pairs, exact5, strict=True)]
    print(f"  estimate error vs exact 5-shingle sets: project J mean {statistics.mean(j_err):.3f}"
          f" max {max(j_err):.3f}, project C mean {statistics.mean(c_err):.3f} max "
          f"{max(c_err):.3f}; datasketch(128) J mean {statistics.mean(ds_err):.3f} max "
          f"{max(ds_err):.3f}")
    print()

    print("LSH banding of the 64-value signature (candidate = one equal band), then the rule:")
    print(f"  {'bands x rows':<13} {'P(cand) J=.2/.33/.5':<21} {'cand: dup':>9} {'trunc':>6}"
          f" {'distinct':>8} | {'J.50|C.80  P/R':>15} | {'J.50|C.60  P/R':>15}")
    for bands, rows in [(21, 3), (32, 2), (16, 4), (64, 1)]:
        cand = [bool(banded(sigs[p.a], bands, rows) & banded(sigs[p.b], bands, rows))
                or s.exact for p, s in zip(pairs, scores, strict=True)]
        curve = "/".join(f"{1 - (1 - j ** rows) ** bands:.2f}" for j in (0.2, 1 / 3, 0.5))
        dup_rate = sum(c for p, c in zip(pairs, cand, strict=True) if p.duplicate) / n_dup
        trunc = [c for p, c in zip(pairs, cand, strict=True) if p.kind == "truncated"]
        distinct = [c for p, c in zip(pairs, cand, strict=True) if not p.duplicate]
        cells = []
        for contain in (POLICY.containment, 0.6):
            got = count(pairs, (c and rule(s, POLICY.jaccard, contain)
                                for c, s in zip(cand, scores, strict=True)))
            cells.append(f"{got.precision:.3f} {got.recall:.3f}")
        mark = "  <- current" if (bands, rows) == (21, 3) else ""
        print(f"  {f'{bands} x {rows}':<13} {curve:<21} {dup_rate:9.3f} "
              f"{sum(trunc)}/{len(trunc):<4} {sum(distinct):>4}/{len(distinct):<3} | "
              f"{cells[0]:>15} | {cells[1]:>15}{mark}")
    print()

    print("shingle size (exact shingle sets, no MinHash noise; C needs >= 25 shingles each):")
    for k in range(2, 9):
        exact = exact_scores(pairs, tokens, k, POLICY.min_shingles)
        policy_k = count(pairs, (rule(s, POLICY.jaccard, POLICY.containment) for s in exact))
        print(f"  k={k}: J.50|C.80 P {policy_k.precision:.3f} R {policy_k.recall:.3f} | "
              f"{separation(pairs, exact)}")
    print()

    articles = synthetic_articles([clean[k].text for k in clean if "~" not in k], args.articles)
    size = statistics.mean(len(a.text.encode()) for a in articles)
    project = measure(time_project, articles, args.passes)
    ds_rate = measure(time_datasketch, articles, args.passes)
    print(f"throughput: {len(articles)} synthetic articles of {size:.0f} bytes on average, "
          f"1 warm-up + {args.passes} timed passes, dedup only (cleaning not timed)")
    print(f"  {'method':<44} {'articles/s':>11} {'median ms':>10}")
    print(f"  {'project: signature + decide + remember':<44} {project[0]:11.0f} "
          f"{project[1]:10.3f}")
    print(f"  {'datasketch: MinHash(128) + LSH query + insert':<44} {ds_rate[0]:11.0f} "
          f"{ds_rate[1]:10.3f}")
    print(f"  project is {project[0] / ds_rate[0]:.1f}x datasketch's throughput")


if __name__ == "__main__":
    main()
