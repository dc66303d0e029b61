"""The broker-free parts of replay, backfill, diff and dlq; their CLI help and errors."""

from __future__ import annotations

import asyncio
import base64
import time
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import orjson
import pytest
from aiokafka import ConsumerRecord, TopicPartition
from click.testing import CliRunner

from stream.backfill import check_version, versioned_settings
from stream.cli import main
from stream.diff import changed_fields, compare, render_table, to_json
from stream.dlq import Letter, Marks, parse_letter, render_listing
from stream.errors import InputError
from stream.replay import Pacer, parse_bound, replay_headers
from stream.settings import Settings


def _record(value: bytes, headers: list[tuple[str, bytes]] | None = None,
            topic: str = "articles.raw", partition: int = 2, offset: int = 41) -> Any:
    return ConsumerRecord(topic=topic, partition=partition, offset=offset, timestamp=1700000000000,
                          timestamp_type=0, key=b"art_1", value=value, checksum=None,
                          serialized_key_size=5, serialized_value_size=len(value),
                          headers=tuple(headers or ()))


@pytest.mark.parametrize("command", [
    ["replay"], ["backfill"], ["diff"], ["dlq"], ["dlq", "list"], ["dlq", "redrive"]])
def test_every_ops_command_has_help(command: list[str]) -> None:
    result = CliRunner().invoke(main, [*command, "--help"])
    assert result.exit_code == 0 and "Usage:" in result.output


@pytest.mark.parametrize("args,message", [
    (["replay", "--from", "yesterday"], "Error: --from 'yesterday': expected an offset"),
    (["replay", "--from", "0", "--to", "noon"], "Error: --to 'noon': expected an offset"),
    (["backfill", "--since", "last week", "--version", "v1"], "Error: --since 'last week'"),
    (["backfill", "--since", "2025-01-01", "--version", "live"], "Error: version 'live' names"),
    (["backfill", "--since", "2025-01-01", "--version", "v.1"], "Error: version 'v.1': use"),
])
def test_user_mistakes_are_one_error_line_before_any_broker_call(
        args: list[str], message: str) -> None:
    result = CliRunner(env={"STREAM_BROKERS": "127.0.0.1:1"}).invoke(main, args)
    assert result.exit_code == 1
    assert result.output.strip().startswith(message), result.output
    assert len(result.output.strip().splitlines()) == 1


def test_parse_bound() -> None:
    assert parse_bound("42", "--from") == 42
    assert parse_bound("2025-11-09", "--from") == datetime(2025, 11, 9, tzinfo=UTC)
    assert parse_bound("2025-11-09T18:00:00Z", "--to") == datetime(2025, 11, 9, 18, tzinfo=UTC)
    assert parse_bound("2025-11-09T18:00:00+02:00", "--to") == \
        datetime(2025, 11, 9, 18, tzinfo=timezone(timedelta(hours=2)))
    with pytest.raises(InputError):
        parse_bound("-3", "--from")


def test_replay_headers_keep_the_originals_and_say_where_the_copy_came_from() -> None:
    record = _record(b"{}", [("trace", b"abc"), ("replay", b"1"), ("replayed-from", b"old/0/1")])
    assert replay_headers(record) == [
        ("trace", b"abc"), ("replay", b"1"), ("replayed-from", b"articles.raw/2/41"),
        ("original-timestamp", b"1700000000000")]


def test_pacer_holds_the_rate() -> None:
    async def send(count: int, rate: float | None) -> float:
        pacer = Pacer(rate)
        started = time.monotonic()
        for _ in range(count):
            await pacer.wait()
        return time.monotonic() - started

    assert asyncio.run(send(11, 50.0)) >= 0.19  # 10 intervals of 20 ms
    assert asyncio.run(send(200, None)) < 0.1


def test_versioned_settings_rename_only_the_outputs() -> None:
    settings = Settings(topic_raw="in", topic_enriched="out")
    v2 = versioned_settings(settings, "v2")
    assert (v2.topic_raw, v2.topic_enriched, v2.topic_dlq) == ("in", "out.v2", "articles.dlq.v2")
    assert v2.topic_analysed == settings.topic_analysed
    assert versioned_settings(settings, "live") is settings
    assert check_version("2025-11_b") == "2025-11_b"
    for bad in ("", "a b", "v.2", "-x", "x" * 64):
        with pytest.raises(InputError):
            check_version(bad)


def test_compare_finds_added_removed_and_changed_fields() -> None:
    left = {"a": {"x": 1, "y": [1]}, "b": {"x": 1}, "c": {"x": 1, "pipeline_version": "1"}}
    right = {"a": {"x": 1, "y": [1, 2]}, "c": {"x": 1, "pipeline_version": "2"}, "d": {"x": 2}}
    diff = compare("enriched", "t", "t.v2", left, right)
    assert (diff.added, diff.removed, diff.changed) == (
        ["d"], ["b"], {"a": ["y"], "c": ["pipeline_version"]})
    ignoring = compare("enriched", "t", "t.v2", left, right, frozenset({"pipeline_version"}))
    assert ignoring.changed == {"a": ["y"]}
    assert changed_fields({"x": 1}, {"x": 1, "z": None}) == ["z"]
    assert changed_fields("text", "other") == ["(value)"]


def test_render_table_and_json() -> None:
    diffs = [compare("enriched", "t", "t.v2", {"a": {"x": 1}}, {"a": {"x": 2}, "b": {}}),
             compare("quotes", "q", "q.v2", {}, {})]
    table = render_table(diffs, "live", "v2", limit=1)
    assert "enriched" in table.splitlines()[1] and "1" in table.splitlines()[1]
    assert "  + b" in table and "... and 1 more" in table
    assert to_json(diffs, "live", "v2")["outputs"]["enriched"]["changed"] == {"a": ["x"]}
    assert not to_json(diffs, "live", "v2")["same"]
    assert "no differences" in render_table([diffs[1]], "v1", "v2")


def _letter_bytes(reason: str = "invalid_json", **extra: Any) -> bytes:
    return orjson.dumps({
        "reason": reason, "detail": "bad", "source_topic": "articles.raw", "partition": 0,
        "offset": 6, "key_b64": base64.b64encode(b"k").decode(),
        "original_b64": base64.b64encode(b"{nope").decode(), "original_size": 5,
        "original_truncated": False, "pipeline_version": "0.1.0", **extra})


def test_parse_letter_and_listing() -> None:
    letter = parse_letter(_record(_letter_bytes(), topic="articles.dlq", partition=1, offset=3))
    assert letter is not None
    assert (letter.partition, letter.offset, letter.reason, letter.source) == (
        1, 3, "invalid_json", "articles.raw/0/6")
    assert letter.original() == (b"k", b"{nope")
    assert parse_letter(_record(b"not a dead letter", topic="articles.dlq")) is None
    from stream.dlq import Listing

    text = render_listing(Listing(shown=[letter], total=2, by_reason={"invalid_json": 2}))  # type: ignore[arg-type]
    assert "1/3" in text and "articles.raw/0/6" in text
    assert text.splitlines()[-1] == "2 dead letters (showing 1): invalid_json=2"


def test_marks_skip_what_each_reason_already_redrove() -> None:
    tp0, tp1 = TopicPartition("dlq", 0), TopicPartition("dlq", 1)
    marks = Marks({"invalid_json": {tp0: 5, tp1: None}, "timeout": {tp0: 2, tp1: 7}})

    def letter(reason: str, partition: int, offset: int) -> Letter:
        return Letter(partition, offset, reason, "", None, None, None, 0, False, "", None)

    assert marks.done(letter("invalid_json", 0, 4), tp0)
    assert not marks.done(letter("invalid_json", 0, 5), tp0)
    assert not marks.done(letter("invalid_json", 1, 0), tp1)  # never committed there
    assert not marks.done(letter("timeout", 0, 4), tp0)
    assert marks.starts() == {tp0: 2, tp1: 0}
