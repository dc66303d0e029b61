"""The publish step's memory: one entry per article, written once per article published."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from stream.core import pipeline
from stream.core.extract import default_extractor
from stream.core.journal import Journal
from stream.core.models import AnalysedArticle, RawArticle


class RecordingStore(dict[str, Any]):
    """A dict that counts the writes and deletes reaching it (each one a changelog
    message in the worker)."""

    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def __setitem__(self, key: str, value: Any) -> None:
        self.writes += 1
        super().__setitem__(key, value)

    def __delitem__(self, key: str) -> None:
        self.writes += 1
        super().__delitem__(key)


def test_parts_of_one_article_reach_the_store_in_one_write_at_commit() -> None:
    store = RecordingStore()
    journal = Journal(store)
    journal["a:x1"] = "dedup"
    journal["b:x1"] = "learning"
    journal["e:x1"] = {"n": 0}
    assert store.writes == 0 and journal["b:x1"] == "learning"  # staged, readable
    journal.commit()
    assert store.writes == 1 and store == {"x1": {"a": "dedup", "b": "learning", "e": {"n": 0}}}
    journal.commit()
    assert store.writes == 1  # nothing staged, nothing written


def test_a_part_added_later_keeps_the_others() -> None:
    store = RecordingStore()
    journal = Journal(store)
    journal["a:x1"] = "dedup"
    journal.commit()
    journal["e:x1"] = {"n": 3}
    journal.commit()
    assert store["x1"] == {"a": "dedup", "e": {"n": 3}} and store.writes == 2


def test_pop_and_delete_stage_the_removal_and_the_last_part_removes_the_entry() -> None:
    store = RecordingStore()
    journal = Journal(store)
    journal["a:x1"], journal["b:x1"] = "dedup", "learning"
    journal.commit()
    assert journal.pop("b:x1") == "learning"
    assert "b:x1" not in journal and journal.pop("b:x1", None) is None
    with pytest.raises(KeyError):
        del journal["b:x1"]
    journal.commit()
    assert store == {"x1": {"a": "dedup"}}
    del journal["a:x1"]
    journal.commit()
    assert store == {} and store.writes == 3


def test_items_merge_the_store_with_what_is_staged() -> None:
    journal = Journal({"x1": {"a": "old", "b": "kept"}, "x2": {"e": {"n": 1}}})
    journal["a:x1"] = "new"
    del journal["e:x2"]
    journal["e:x3"] = {"n": 2}
    assert dict(journal.items()) == {"a:x1": "new", "b:x1": "kept", "e:x3": {"n": 2}}
    assert sorted(journal) == ["a:x1", "b:x1", "e:x3"] and len(journal) == 3


def test_keys_without_a_part_are_refused() -> None:
    journal = Journal({})
    with pytest.raises(KeyError):
        journal["no-part"] = 1
    with pytest.raises(KeyError):
        _ = journal[":x1"]


def test_legacy_entries_move_in_at_the_first_full_read_and_leave_their_memory() -> None:
    dedup_legacy: dict[str, Any] = {"a:x1": "dedup", "b:x1": "learning"}
    events_legacy: dict[str, Any] = {"e:x1": {"n": 0}, "e:x2": {"n": 1}}
    store: dict[str, Any] = {}
    journal = Journal(store, legacy=(dedup_legacy, events_legacy))
    assert dict(journal.items()) == {"a:x1": "dedup", "b:x1": "learning",
                                     "e:x1": {"n": 0}, "e:x2": {"n": 1}}
    assert store == {"x1": {"a": "dedup", "b": "learning", "e": {"n": 0}},
                     "x2": {"e": {"n": 1}}}
    assert dedup_legacy == {} and events_legacy == {}


# -- through the publish step ----------------------------------------------------------------

FOOTER = "Follow the harbour desk for more stories every day."
REPORTS = [
    ("Arsenal beat Chelsea 2-1 at the Emirates Stadium on Saturday, a win built on "
     "pressing.", "We were brilliant today", "Mikel Arteta"),
    ("Liverpool and Everton drew 1-1 at Anfield on Sunday after a tense second half.",
     "It was a fair result", "Arne Slot"),
    ("Newcastle United beat Aston Villa 3-0 at St James' Park on Saturday in front of a "
     "full house.", "The crowd carried us", "Eddie Howe"),
]


def _report(index: int, day: int, copy: int = 0) -> AnalysedArticle:
    result, quote, speaker = REPORTS[index % len(REPORTS)]
    body = (f"{result}\n\n\"{quote},\" said {speaker} after the game.\n\n"
            f"Story {index} of the round, told by desk {copy}: the club's season goes on "
            f"with a run of {index + 3} games in {day + 9} days.\n\n{FOOTER}")
    published = datetime(2025, 3, 3, tzinfo=UTC) + timedelta(days=day)
    return pipeline.analyse(RawArticle(source=f"desk{copy}", body=body,
                                       url=f"https://d{copy}.example/{index}-{day}",
                                       published_at=published), EXTRACTOR)


EXTRACTOR = default_extractor()


def test_publishing_writes_each_remembered_article_once() -> None:
    store = RecordingStore()
    state = pipeline.PublishState(store)
    articles = [_report(i, day=i % 3, copy=c) for i in range(6) for c in range(2)]
    outputs = [pipeline.publish(a, state) for a in articles]
    assert any(r.output == "match_results" for rs in outputs for r in rs)
    assert any(r.output == "quotes" for rs in outputs for r in rs)
    remembered = set(store)
    assert remembered and store.writes == len(remembered)
    # Dedup, learning and events each keep their part of an article in its one entry.
    assert any(sorted(entry) == ["a", "b", "e"] for entry in store.values())


def test_a_state_rebuilt_from_the_store_publishes_what_the_live_one_does() -> None:
    store: dict[str, Any] = {}
    live = pipeline.PublishState(store)
    for i in range(5):
        pipeline.publish(_report(i, day=i % 2), live)
    later = [_report(i, day=2, copy=1) for i in range(5, 8)] + [_report(1, day=1)]
    copy = {key: dict(entry) for key, entry in store.items()}
    rebuilt = pipeline.PublishState(copy)
    for article in later:
        assert pipeline.publish(article, rebuilt) == pipeline.publish(article, live)
    assert copy == store


def test_a_store_value_of_another_layout_is_no_entry_and_is_replaced_by_the_next_write() -> None:
    store: dict[str, Any] = {"x1": "not a journal entry", "x2": {"a": "dedup"}}
    journal = Journal(store)
    assert dict(journal.items()) == {"a:x2": "dedup"} and "a:x1" not in journal
    journal["a:x1"] = "fresh"
    journal.commit()
    assert store["x1"] == {"a": "fresh"}


def test_unreadable_parts_are_dropped_by_the_rebuilds_instead_of_failing_them() -> None:
    store: dict[str, Any] = {}
    state = pipeline.PublishState(store)
    for i in range(3):
        pipeline.publish(_report(i, day=0), state)
    [first, *_] = store
    store[first] = {**store[first], "a": "not|a|dedup|entry", "b": None}
    rebuilt = pipeline.PublishState(store)
    outputs = pipeline.publish(_report(4, day=1), rebuilt)  # the rebuilds ran, no error
    assert outputs[0].output in ("enriched", "duplicates")
    assert "a" not in store[first] and "b" not in store[first]  # dropped, written back
    assert first not in rebuilt.dedup.index.stored


def test_the_three_rebuilds_read_the_store_once() -> None:
    class CountingScans(dict[str, Any]):
        scans = 0

        def items(self) -> Any:
            CountingScans.scans += 1
            return super().items()

    store = CountingScans()
    state = pipeline.PublishState(store)
    pipeline.publish(_report(0, day=0), state)
    scans_at_start = CountingScans.scans
    rebuilt = pipeline.PublishState(store)
    pipeline.publish(_report(1, day=0), rebuilt)
    assert CountingScans.scans - scans_at_start == 1
    rebuilt.invalidate()  # a rebalance: the next rebuilds read the store again
    pipeline.publish(_report(2, day=0), rebuilt)
    assert CountingScans.scans - scans_at_start == 2
