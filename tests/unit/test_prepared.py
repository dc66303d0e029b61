"""Prepared articles and spliced records: what crosses the hop between the two agents, and
article records written from a body serialised where the article was analysed."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from pathlib import Path

import orjson
import pytest

from stream import PIPELINE_VERSION
from stream.codec import (
    ARTICLE_SCHEMAS,
    HOP_MAGIC,
    check_body,
    decode_hops,
    decode_prepared,
    encode_hops,
    encode_output,
    encode_prepared,
    registry_for,
)
from stream.core import pipeline
from stream.core.models import (
    AnalysedArticle,
    CleanArticle,
    Entity,
    Extraction,
    MatchResult,
    Quote,
    Ref,
    Verdict,
)
from stream.core.records import (
    BODY_FIELDS,
    Spliced,
    body_fields,
    duplicate_record,
    enriched_record,
    entity_count,
)
from stream.errors import CodecError, SchemaError

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"
TEXT = ("Northfield beat Eastbury 2-1 on Saturday.\n\n"
        '"We deserved it," said Jo Marsh.\n\nShare this story')


def _analysed(text: str = TEXT) -> AnalysedArticle:
    north, east = Ref("Northfield", "club:northfield"), Ref("Eastbury", "club:eastbury")
    article = CleanArticle(
        article_id="art_" + "0123456789abcdef0123", source="wire", url="https://example.test/1", title="A win",
        text=text, published_at=datetime(2025, 3, 2, 18, 0, tzinfo=UTC), language="en",
        content_hash="sha_1")
    extraction = Extraction(
        entities=(Entity("club", "Northfield", north.id, ((0, 10),)),
                  Entity("club", "Eastbury", east.id, ((15, 23),)),
                  Entity("person", "Jo Marsh", "person:jo-marsh", ((70, 78),))),
        match_results=(MatchResult(north, east, 2, 1, None, date(2025, 3, 1), None, (0, 41)),),
        quotes=(Quote(Ref("Jo Marsh", "person:jo-marsh"), "We deserved it", (43, 60)),))
    return AnalysedArticle(article, extraction, pipeline.signature(text))


def test_a_prepared_article_crosses_the_hop_unchanged() -> None:
    prepared = pipeline.prepare(_analysed())
    assert decode_prepared(encode_prepared(prepared)) == prepared
    assert pipeline.restore(prepared) == _analysed()


@pytest.mark.parametrize("payload", [b"", b"\x00\x00\x00\x05{\"a\"", b"\x00\x00\x00\x02{}[]",
                                     b"\x00\x00\x00\x02{}{\"text\":"])
def test_what_is_not_a_prepared_article_is_a_codec_error(payload: bytes) -> None:
    with pytest.raises(CodecError):
        decode_prepared(payload)


def test_hops_keep_order_and_timestamps_and_split_at_the_size_limit() -> None:
    payloads = [encode_prepared(pipeline.prepare(_analysed(TEXT + f" {n}"))) for n in range(5)]
    stamps: list[float | None] = [1.5, None, 3.0, None, 5.25]
    limit = 2 * len(payloads[0]) + 40  # two entries per message
    messages = encode_hops(list(zip(payloads, stamps, strict=True)), limit)
    assert len(messages) == 3 and all(m.startswith(HOP_MAGIC) for m in messages)
    entries = [e for m in messages for e in decode_hops(m)]
    assert [e.payload for e in entries] == payloads
    assert [e.raw_timestamp for e in entries] == stamps


def test_an_entry_larger_than_the_limit_travels_alone() -> None:
    payload = encode_prepared(pipeline.prepare(_analysed()))
    messages = encode_hops([(payload, None), (payload, 2.0)], 10)
    assert [len(decode_hops(m)) for m in messages] == [1, 1]


def test_a_cut_hop_message_is_a_codec_error() -> None:
    [message] = encode_hops([(encode_prepared(pipeline.prepare(_analysed())), 1.0)], 1 << 20)
    for cut in (len(HOP_MAGIC) + 5, len(message) - 1):
        with pytest.raises(CodecError):
            decode_hops(message[:cut])
    with pytest.raises(CodecError):
        decode_hops(b"neither framed nor JSON")
    assert not math.isnan(decode_hops(message)[0].raw_timestamp or 0.0)


def test_a_spliced_record_writes_and_reads_as_the_whole_record() -> None:
    analysed = _analysed()
    prepared = pipeline.prepare(analysed)
    spliced = enriched_record(prepared, ["m1"], ["q1", "q2"])
    article = {
        "article_id": analysed.article.article_id, "source": "wire",
        "url": "https://example.test/1", "title": "A win", "text": TEXT,
        "published_at": "2025-03-02T18:00:00+00:00", "language": "en",
        "content_hash": "sha_1", "pipeline_version": PIPELINE_VERSION,
        "entities": [
            {"type": "club", "name": "Northfield", "id": "club:northfield", "mentions": [[0, 10]]},
            {"type": "club", "name": "Eastbury", "id": "club:eastbury", "mentions": [[15, 23]]},
            {"type": "person", "name": "Jo Marsh", "id": "person:jo-marsh",
             "mentions": [[70, 78]]}],
    }
    whole = {**article, "match_event_ids": ["m1"], "quote_event_ids": ["q1", "q2"]}
    assert orjson.loads(spliced.to_json()) == whole
    assert dict(spliced) == whole and spliced == whole
    assert spliced["text"] == TEXT and spliced.get("missing") is None
    assert entity_count(spliced) == entity_count(whole) == 3
    verdict = Verdict("art_" + "f" * 20, "near", 0.812345)
    duplicate = duplicate_record(prepared, verdict)
    assert orjson.loads(duplicate.to_json()) == {
        **article, "duplicate_of": "art_" + "f" * 20, "kind": "near", "similarity": 0.8123}


def test_spliced_records_are_validated_in_parts() -> None:
    registry = registry_for(SCHEMAS)
    analysed = _analysed()
    body = body_fields(TEXT, analysed.extraction.entities)
    check_body(body, registry)  # valid for both article schemas
    good = pipeline.prepare(analysed, orjson.dumps(body), body_checked=True)
    record = enriched_record(good, ["m1"], [])
    assert orjson.loads(encode_output(record, "enriched_article", registry))["text"] == TEXT
    bad_fields = Spliced({**record.fields, "match_event_ids": [1]}, good.body, 3, True)
    with pytest.raises(SchemaError, match="match_event_ids"):
        encode_output(bad_fields, "enriched_article", registry)
    broken = dict(body, entities=[{"type": "club", "name": "X", "id": "x", "mentions": "no"}])
    with pytest.raises(SchemaError):
        check_body(broken, registry)
    # A body nobody checked (rebuilt after learned boilerplate was stripped) is checked on
    # the way out; one checked where it was made is not parsed again.
    unchecked = Spliced(record.fields, orjson.dumps(broken), 1, body_checked=False)
    with pytest.raises(SchemaError):
        encode_output(unchecked, "enriched_article", registry)
    trusted = Spliced(record.fields, good.body, 3, body_checked=True)
    encode_output(trusted, "enriched_article", registry)
    assert trusted._parsed is None


def test_every_article_schema_defines_the_body_alike() -> None:
    """``check_body`` checks a body once, against the first of them."""
    registry = registry_for(SCHEMAS)
    shapes = []
    for name in ARTICLE_SCHEMAS:
        schema = registry.schema(name)
        shapes.append(({k: schema["properties"][k] for k in BODY_FIELDS},
                       schema.get("$defs"), sorted(set(schema["required"]) & set(BODY_FIELDS))))
    assert all(shape == shapes[0] for shape in shapes)
    assert shapes[0][2] == sorted(BODY_FIELDS)


def test_parts_are_held_to_every_field_the_schema_requires() -> None:
    """Each part is checked against its share of the schema, so a field missing from
    either is caught as it would be in the whole record."""
    registry = registry_for(SCHEMAS)
    analysed = _analysed()
    good = pipeline.prepare(analysed)
    record = enriched_record(good, ["m1"], [])
    fields = dict(record.fields)
    del fields["pipeline_version"]
    with pytest.raises(SchemaError, match="pipeline_version"):
        encode_output(Spliced(fields, good.body, 3, True), "enriched_article", registry)
    no_entities = orjson.dumps({"text": TEXT})
    with pytest.raises(SchemaError, match="entities"):
        encode_output(Spliced(record.fields, no_entities, 0, False), "enriched_article",
                      registry)
    with pytest.raises(SchemaError, match="text"):
        check_body({"entities": []}, registry)
    # Never invalid JSON, even from an empty part (validation off).
    assert orjson.loads(Spliced(record.fields, b"{}", 0).to_json()) == record.fields


def test_a_hop_entry_with_an_unreadable_date_is_a_codec_error() -> None:
    payload = encode_prepared(pipeline.prepare(_analysed()))
    broken = payload.replace(b"2025-03-02T18:00:00+00:00", b"2025-13-45T18:00:00+00:00")
    assert broken != payload
    with pytest.raises(CodecError):
        decode_prepared(broken)
