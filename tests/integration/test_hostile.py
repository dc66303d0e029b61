"""Hostile input on the real broker: every message is dead-lettered with the right reason
or cleaned correctly, and the worker neither crashes nor stalls.

All hostile messages are produced to one worker, then one ordinary article; the test
reads ``articles.dlq``, ``articles.enriched`` and ``articles.duplicates`` and checks each
case against what is expected of it (table ``CASES`` below, one line per case saying
which outcome is right and why). The ordinary article must be enriched within
``RECOVERY_BOUND_SECONDS`` of being produced, and the worker process must still run.

Big cases are generated here (nothing of megabytes is committed); the small XML ones are
in ``tests/fixtures/hostile/``.
"""

from __future__ import annotations

import asyncio
import base64
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest

from stream.core.ids import article_id

from .conftest import Collected, Env, WorkerProcess, collect, produce

pytestmark = [pytest.mark.kafka, pytest.mark.timeout(420)]

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "hostile"
RECOVERY_BOUND_SECONDS = 90.0
PARAGRAPH = ("Harbour Town beat Millbrook 3-1 at the Quayside on Saturday, with two goals in the "
             "last ten minutes settling a match that had been level for most of the afternoon. ")
STORY = "\n\n".join(PARAGRAPH + f"The home captain said the squad had answered every question {i}."
                    for i in range(5))
_RNG = random.Random(2025)
_WORDS = ("keeper striker derby title table penalty header corner crowd transfer injury squad "
          "pressing tactics fixture midfield wing academy captain contract referee offside "
          "volley cross tackle booking whistle dugout tunnel terrace anthem banner").split()
#: Produced after the hostile cases: unique text, so it must come out on enriched.
NORMAL = {"source": "hostile-suite", "url": "https://hostile.example/normal",
          "content_type": "text/plain",
          "body": "Ordinary report after the storm\n\n" + "\n\n".join(
              " ".join(_RNG.choice(_WORDS) for _ in range(50)) + "." for _ in range(4))}


def _id(doc: dict[str, Any]) -> str:
    return article_id(doc["source"], doc.get("url"), doc["body"])


@dataclass
class Case:
    name: str
    value: bytes
    #: "dlq:<reason>" or "cleaned": published with its text, on enriched or (several cases
    #: tell the same story, on purpose) on duplicates; ``check`` then reads the text
    expected: str
    why: str
    #: the id an enriched record would carry (None when the value is not a valid article)
    article: str | None = None
    check: Callable[[dict[str, Any]], str | None] | None = None

    @property
    def key(self) -> bytes:
        return f"hostile-{self.name}".encode()


def _article(name: str, body: str, content_type: str = "text/plain", **extra: Any
             ) -> tuple[bytes, str]:
    doc = {"source": "hostile-suite", "url": f"https://hostile.example/{name}",
           "content_type": content_type, "body": body, **extra}
    return orjson.dumps(doc), _id(doc)


def _no_leak(record: dict[str, Any]) -> str | None:
    text = record["text"]
    if "root:x:0:0" in text or "/bin/bash" in text or "/usr/sbin/nologin" in text:
        return "external entity expanded: /etc/passwd content in the text"
    if "lollollol" in text or "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" in text:
        return "entity expanded: repeated entity text in the output"
    if len(text) > 20_000:
        return f"text of {len(text)} chars: something was expanded"
    return None


def _story_kept(words: str) -> Callable[[dict[str, Any]], str | None]:
    def check(record: dict[str, Any]) -> str | None:
        problem = _no_leak(record)
        if problem:
            return problem
        return None if words in record["text"] else f"story text {words!r} missing"
    return check


def _no_controls(record: dict[str, Any]) -> str | None:
    bad = sorted({hex(ord(c)) for c in record["text"] if ord(c) < 32 and c not in "\n"}
                 | {hex(ord(c)) for c in record["text"] if 0x7F <= ord(c) < 0xA0})
    if bad:
        return f"control characters left in the text: {bad[:10]}"
    return None if "Harbour Town beat Millbrook" in record["text"] else "story text missing"


def _cases() -> list[Case]:
    cases: list[Case] = []

    def add(name: str, value: bytes, expected: str, why: str, article: str | None = None,
            check: Callable[[dict[str, Any]], str | None] | None = None) -> None:
        cases.append(Case(name, value, expected, why, article, check))

    good, _ = _article("utf8", STORY)
    add("invalid-utf8", good.replace(b"Harbour", b"Harb\xff\xfe\xc3(r", 1), "dlq:invalid_utf8",
        "bytes that are not UTF-8 cannot be decoded")
    add("invalid-utf8-overlong", b'{"source": "x", "body": "\xc0\xaf"}', "dlq:invalid_utf8",
        "an overlong encoding is not UTF-8")
    add("invalid-json", b'{"source": "x", "body": "unterminated', "dlq:invalid_json",
        "truncated JSON")
    add("not-json-at-all", b"this line is not JSON at all", "dlq:invalid_json", "plain text")
    add("json-lone-surrogate", b'{"source": "x", "body": "\\ud800 alone"}', "dlq:invalid_json",
        "a lone surrogate escape is not a Unicode string")
    add("json-array", b'[{"source": "x", "body": "y"}]', "dlq:schema_violation",
        "an array is not an article object")
    add("json-number", b"42", "dlq:schema_violation", "a number is not an article object")
    add("json-string", b'"just a string"', "dlq:schema_violation", "a string is not an object")
    add("json-null", b"null", "dlq:schema_violation", "null is not an object")
    add("missing-body", b'{"source": "x", "url": "https://x.example/1"}', "dlq:schema_violation",
        "body is required")
    add("body-not-string", b'{"source": "x", "body": {"text": "nested"}}',
        "dlq:schema_violation", "body must be a string")
    add("body-number", b'{"source": "x", "body": 12345}', "dlq:schema_violation",
        "body must be a string")
    add("unknown-content-type", _article("feed-type", STORY, "application/rss+xml")[0],
        "dlq:schema_violation", "content_type is an enum in the schema, checked before cleaning")
    value, _ = _article("empty", "")
    add("empty-body", value, "dlq:empty_text", "nothing to clean")
    value, _ = _article("blank", " \n\t\u00a0\u200b \n\n ")
    add("whitespace-body", value, "dlq:empty_text", "only whitespace and invisible characters")
    value, _ = _article("empty-html", "<html><body><nav>Home</nav><script>x()</script></body>"
                        "</html>", "text/html")
    add("html-without-text", value, "dlq:empty_text", "a page with no story")
    value, _ = _article("too-large", "Harbour Town " * (20 * 1024 * 1024 // 13))
    add("body-20mb", value, "dlq:too_large", "over STREAM_MAX_BODY_BYTES (12 MiB)")

    nested = ("<html><body>" + "<div>" * 100_000 + "<p>" + PARAGRAPH * 3 + "</p>"
              + "</div>" * 100_000 + "</body></html>")
    value, art = _article("nested", nested, "text/html")
    add("nested-100k-divs", value, "cleaned",
        "markup nested past MAX_DEPTH is flattened before parsing; the story survives",
        art, _story_kept("Harbour Town beat Millbrook"))
    controls = "".join(chr(c) for c in range(32) if chr(c) not in "\n") + "\x7f\x85\x9f"
    body = f"Control{controls}characters\n\n" + STORY.replace(". ", f".{controls} ", 3)
    value, art = _article("controls", body)
    add("control-characters", value, "cleaned",
        "valid JSON escapes; the cleaner drops C0/C1 controls and keeps the story", art,
        _no_controls)
    line = (PARAGRAPH.strip() + " ") * (5 * 1024 * 1024 // len(PARAGRAPH))
    value, art = _article("one-line", line)
    add("huge-line-5mb", value, "cleaned",
        "5 MB of text without a newline is still a (long) article under the 12 MiB limit",
        art, lambda r: None if "Harbour Town beat Millbrook" in r["text"] else "text missing")
    for name, file, content_type, words in (
            ("billion-laughs-html", "billion_laughs.html", "text/html", "Rovers and City drew"),
            ("billion-laughs-xhtml", "billion_laughs.html", "application/xhtml+xml",
             "Rovers and City drew"),
            ("xxe-html", "xxe.html", "text/html", "United beat Athletic 2-1"),
            ("xxe-xhtml", "xxe.html", "application/xhtml+xml", "United beat Athletic 2-1"),
            ("xxe-feed-as-html", "xxe_feed.xml", "text/html", "Harbour Town")):
        value, art = _article(name, (FIXTURES / file).read_text(), content_type)
        add(name, value, "cleaned",
            "DTD entities are never expanded nor fetched; the prose around them is kept",
            art, _story_kept(words))
    value, art = _article("xxe-feed-as-text", (FIXTURES / "xxe_feed.xml").read_text())
    add("xxe-feed-as-text", value, "cleaned",
        "as text/plain the markup is text: kept verbatim, nothing expanded", art, _no_leak)
    return cases


def _outcome(case: Case, out: Collected, dlq_by_key: dict[str, dict[str, Any]]
             ) -> tuple[str, dict[str, Any] | None]:
    letter = dlq_by_key.get(case.key.decode())
    if letter is not None:
        return f"dlq:{letter['reason']}", letter
    for record in out.values("enriched") + out.values("duplicates"):
        if case.article is not None and record["article_id"] == case.article:
            return "cleaned", record
    return "missing", None


def test_hostile_inputs_are_dead_lettered_or_cleaned_and_the_worker_survives(
        env: Env, worker: WorkerProcess) -> None:
    cases = _cases()
    worker.start()
    worker.wait_ready()
    started = time.monotonic()
    asyncio.run(produce(env, [c.value for c in cases], [c.key for c in cases]))
    produced_hostile = time.monotonic()
    asyncio.run(produce(env, [orjson.dumps(NORMAL)], [b"normal"]))
    normal_id = _id(NORMAL)
    wanted = {c.key.decode() for c in cases}

    def done(c: Collected) -> bool:
        published = {v["article_id"] for v in c.values("enriched") + c.values("duplicates")}
        resolved = set(c.keys("dlq")) | published
        return normal_id in published and all(
            case.key.decode() in resolved or case.article in resolved for case in cases)

    out = asyncio.run(collect(env, ["dlq", "enriched", "duplicates"], until=done,
                              timeout=RECOVERY_BOUND_SECONDS + 60, settle=2.0))
    finished = time.monotonic()
    alive = worker.proc is not None and worker.proc.poll() is None

    dlq_by_key = {r["key"]: r["value"] for r in out.records["dlq"] if r["key"] in wanted}
    failures: list[str] = []
    reasons: Counter[str] = Counter()
    print(f"\n{'case':<26}{'expected':<26}{'got':<26}note")
    for case in cases:
        got, record = _outcome(case, out, dlq_by_key)
        reasons[got] += 1
        note = ""
        if got != case.expected:
            note = f"WRONG ({case.why})"
            if record is not None and got.startswith("dlq:"):
                note += f"; detail: {record['detail'][:160]}"
            failures.append(f"{case.name}: expected {case.expected}, got {got}. {note}")
        elif got.startswith("dlq:") and record is not None:
            note = _check_letter(case, record) or ""
            if note:
                failures.append(f"{case.name}: {note}")
        elif case.check is not None and record is not None:
            note = case.check(record) or ""
            if note:
                failures.append(f"{case.name}: {note}")
        print(f"{case.name:<26}{case.expected:<26}{got:<26}{note or 'ok'}")
    normal = [v for v in out.values("enriched") if v["article_id"] == normal_id]
    print(f"counts per outcome: {dict(sorted(reasons.items()))}")
    print(f"hostile produced in {produced_hostile - started:.1f}s; all outcomes read "
          f"{finished - produced_hostile:.1f}s later; worker alive: {alive}")
    assert alive, f"the worker died:\n{worker.log_tail()}"
    assert normal, (f"the ordinary article after the hostile ones was not enriched within "
                    f"{RECOVERY_BOUND_SECONDS + 60:.0f}s: the worker stalled\n{worker.log_tail()}")
    assert finished - produced_hostile <= RECOVERY_BOUND_SECONDS + 60
    assert not failures, "\n".join(failures)


def _check_letter(case: Case, letter: dict[str, Any]) -> str | None:
    """A dead letter keeps the original bytes (the first 4 MiB of bigger ones)."""
    original = base64.b64decode(letter["original_b64"])
    if letter["original_size"] != len(case.value):
        return f"original_size {letter['original_size']} != {len(case.value)}"
    if letter["original_truncated"]:
        return None if case.value.startswith(original) else "truncated original differs"
    return None if original == case.value else "original bytes not kept byte for byte"
