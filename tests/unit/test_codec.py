"""The edge: what is accepted, and the reason code of what is not."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest

from stream.codec import decode_raw, encode_output, registry_for
from stream.errors import Reason, RejectedInput, SchemaError
from stream.settings import Settings

REGISTRY = registry_for(Settings().schemas_dir)


def _reason(payload: bytes, max_body: int = 1_000_000) -> Reason:
    with pytest.raises(RejectedInput) as caught:
        decode_raw(payload, REGISTRY, max_body_bytes=max_body)
    return caught.value.reason


def test_valid_raw_article_decodes_with_aware_datetimes() -> None:
    raw = decode_raw(orjson.dumps({"source": "s", "body": "b", "published_at": "2025-01-02T03:04:05"}),
                     REGISTRY, max_body_bytes=1000)
    assert raw.content_type == "text/plain"
    assert raw.published_at == datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.mark.parametrize(("payload", "reason"), [
    (b"\xff\xfe", Reason.INVALID_UTF8),
    (b"{nope", Reason.INVALID_JSON),
    (b"[1, 2]", Reason.SCHEMA_VIOLATION),
    (orjson.dumps({"source": "s"}), Reason.SCHEMA_VIOLATION),
    (orjson.dumps({"source": "s", "body": 3}), Reason.SCHEMA_VIOLATION),
    (orjson.dumps({"source": "s", "body": "b", "content_type": "image/png"}), Reason.SCHEMA_VIOLATION),
    (orjson.dumps({"source": "s", "body": "b", "published_at": "last week"}), Reason.SCHEMA_VIOLATION),
    (orjson.dumps({"source": "s", "body": "x" * 5000}), Reason.TOO_LARGE),
])
def test_bad_input_gets_a_reason(payload: bytes, reason: Reason) -> None:
    assert _reason(payload, max_body=2000) == reason


def test_outgoing_records_are_validated_against_their_schema() -> None:
    with pytest.raises(SchemaError):
        encode_output({"event_id": "nope"}, "quote", REGISTRY)


def test_a_rejection_names_unknown_fields_in_sorted_order() -> None:
    # The validator prints a Python set: its order follows the process's hash seed, and
    # a dead letter must read the same on every replay.
    extra = {"source": "s", "body": "b", "zeta": 1, "alpha": 2, "mid": 3, "beta": 4}
    with pytest.raises(RejectedInput) as caught:
        decode_raw(orjson.dumps(extra), REGISTRY, max_body_bytes=1000)
    assert "{'alpha', 'beta', 'mid', 'zeta'}" in caught.value.detail
