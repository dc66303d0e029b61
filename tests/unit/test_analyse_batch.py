"""The analyse step over a batch, stage by stage: the same results as article by article,
in input order, with each failure dead-lettered alone and each article's time budget kept."""

from __future__ import annotations

import time

import orjson

from stream.codec import decode_prepared, decode_raw, registry_for
from stream.core import pipeline
from stream.core.models import CleanArticle, Extraction
from stream.settings import Settings
from stream.steps import Analysed, Coordinates, Steps

STORY = ("Dunmore Rovers beat Kelso Athletic 2-1 at Riverside Park on Saturday.\n\n"
         "\u201cWe kept going,\u201d said Mara Quint after the match.\n\n"
         "The result lifts Rovers to third in the Border League.")


class SlowOn:
    """An extractor that never finishes on one marked article."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def extract(self, article: CleanArticle) -> Extraction:
        while self.marker in article.text:
            time.sleep(0.01)
        return Extraction((), (), ())


def _raw(url: str, body: str = STORY) -> bytes:
    return orjson.dumps({"source": "wire", "url": f"https://wire.example/{url}",
                         "published_at": "2025-03-01T18:00:00+00:00", "body": body})


def _items(payloads: list[bytes]) -> list[tuple[bytes | None, bytes, Coordinates]]:
    return [(f"k{n}".encode(), payload, Coordinates("raw", 0, n))
            for n, payload in enumerate(payloads)]


def test_a_batch_gives_what_each_article_gives_alone() -> None:
    steps = Steps.from_settings(Settings())
    payloads = [_raw(f"a{n}", STORY.replace("2-1", f"{n}-1")) for n in range(4)]
    batch = steps.analyse_batch(_items(payloads))
    alone = [steps.analyse(key, payload, where) for key, payload, where in _items(payloads)]
    assert batch == alone
    first = batch[0]
    assert isinstance(first, Analysed)
    raw = decode_raw(payloads[0], steps.registry, max_body_bytes=10_000)
    expected = steps.prepare(pipeline.analyse(raw, steps.extractor))
    assert decode_prepared(first.payload) == expected


def test_failures_are_dead_lettered_alone_and_the_order_kept() -> None:
    steps = Steps.from_settings(Settings())
    payloads = [_raw("good-1"), b"{not json", orjson.dumps({"source": "s", "body": ""}),
                _raw("good-2")]
    results = steps.analyse_batch(_items(payloads))
    assert [type(r).__name__ for r in results] == ["Analysed", "OutRecord", "OutRecord",
                                                   "Analysed"]
    reasons = [r.value["reason"] for r in results if not isinstance(r, Analysed) and r.value]
    assert reasons[0] == "invalid_json"
    assert [r.key for r in results if not isinstance(r, Analysed)] == ["k1", "k2"]


def test_an_article_over_its_budget_times_out_and_the_rest_go_on() -> None:
    budget = 0.3
    settings = Settings(article_time_budget_seconds=budget)
    steps = Steps(settings, SlowOn("never ends"), registry_for(settings.schemas_dir))
    payloads = [_raw("a"), _raw("b", STORY + "\n\nThis one never ends."), _raw("c")]
    started = time.monotonic()
    results = steps.analyse_batch(_items(payloads))
    assert time.monotonic() - started < 5 * budget
    assert isinstance(results[0], Analysed) and isinstance(results[2], Analysed)
    timed_out = results[1]
    assert not isinstance(timed_out, Analysed) and timed_out.value is not None
    assert timed_out.value["reason"] == "timeout"
