"""The edge: bytes in, typed records out, and typed records to validated bytes.

Everything that crosses Kafka is checked here against the JSON Schemas in ``schemas/``;
past this module the core trusts its types.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import fastjsonschema
import orjson

from stream import PIPELINE_VERSION
from stream.core.models import (
    AnalysedArticle,
    CleanArticle,
    Entity,
    Extraction,
    Fingerprint,
    MatchResult,
    Quote,
    RawArticle,
    Ref,
)
from stream.errors import Reason, RejectedInput, SchemaError

SCHEMA_VERSION = 1
#: Logical output -> schema name carried in the ``schema`` header.
SCHEMA_OF_OUTPUT = {
    "enriched": "enriched_article",
    "duplicates": "duplicate",
    "match_results": "match_result",
    "quotes": "quote",
    "dlq": "dead_letter",
}
#: Embedding more than this much of a rejected original would not fit a Kafka message.
DLQ_ORIGINAL_LIMIT = 4 * 1024 * 1024


class SchemaRegistry:
    """Compiled validators for the files in ``schemas/``, loaded once per directory.

    The schemas are JSON Schema 2020-12 (checked against the metaschema by the tests) and
    use only keywords that draft-07 shares, so fastjsonschema can compile them to Python
    code: about 17x faster than interpreting them, which matters on every message.
    """

    def __init__(self, schemas_dir: Path) -> None:
        self._dir = schemas_dir
        self._validators: dict[str, Callable[[object], object]] = {}

    def schema(self, name: str) -> dict[str, Any]:
        path = self._dir / f"{name}.v{SCHEMA_VERSION}.json"
        try:
            loaded: dict[str, Any] = orjson.loads(path.read_bytes())
        except (OSError, orjson.JSONDecodeError) as exc:
            raise SchemaError(f"cannot load schema {path}: {exc}") from exc
        return loaded

    def validator(self, name: str) -> Callable[[object], object]:
        if name not in self._validators:
            try:
                self._validators[name] = fastjsonschema.compile(self.schema(name))
            except fastjsonschema.JsonSchemaDefinitionException as exc:
                raise SchemaError(f"cannot compile schema {name}: {exc}") from exc
        return self._validators[name]

    def first_error(self, name: str, value: object) -> str | None:
        try:
            self.validator(name)(value)
        except fastjsonschema.JsonSchemaValueException as exc:
            return _describe(exc)
        return None


@cache
def registry_for(schemas_dir: Path) -> SchemaRegistry:
    return SchemaRegistry(schemas_dir)


def _describe(error: fastjsonschema.JsonSchemaValueException) -> str:
    return str(error.message)[:300]


def headers_for(schema: str) -> list[tuple[str, bytes]]:
    """Every message names its schema and version, so consumers can route by version."""
    return [
        ("schema", schema.encode()),
        ("schema-version", str(SCHEMA_VERSION).encode()),
        ("pipeline-version", PIPELINE_VERSION.encode()),
        ("content-type", b"application/json"),
    ]


# --------------------------------------------------------------------------- raw input


def decode_raw(payload: bytes, registry: SchemaRegistry, *, max_body_bytes: int) -> RawArticle:
    """Bytes from ``articles.raw`` to a RawArticle, or :class:`RejectedInput` with a reason."""
    if len(payload) > max_body_bytes + 64 * 1024:
        raise RejectedInput(Reason.TOO_LARGE, f"message of {len(payload)} bytes")
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RejectedInput(Reason.INVALID_UTF8, f"byte {exc.start}: {exc.reason}") from exc
    try:
        document = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise RejectedInput(Reason.INVALID_JSON, str(exc)[:300]) from exc
    error = registry.first_error("raw_article", document)
    if error is not None:
        raise RejectedInput(Reason.SCHEMA_VIOLATION, error)
    if len(document["body"].encode("utf-8", "surrogatepass")) > max_body_bytes:
        raise RejectedInput(Reason.TOO_LARGE, f"body over {max_body_bytes} bytes")
    return raw_from_mapping(document)


def raw_from_mapping(document: Mapping[str, Any]) -> RawArticle:
    """Build a RawArticle from an already validated mapping."""
    return RawArticle(
        source=document["source"],
        body=document["body"],
        content_type=document.get("content_type") or "text/plain",
        url=document.get("url"),
        title=document.get("title"),
        published_at=parse_datetime(document.get("published_at")),
        fetched_at=parse_datetime(document.get("fetched_at")),
        language=document.get("language"),
        metadata=document.get("metadata") or {},
    )


def parse_datetime(value: str | None) -> datetime | None:
    """RFC 3339 to an aware datetime; a missing offset is taken as UTC."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise RejectedInput(Reason.SCHEMA_VIOLATION, f"bad datetime {value!r}") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def encode_raw(raw: RawArticle) -> bytes:
    """The producer side of ``articles.raw`` (used by ``stream produce``)."""
    value: dict[str, Any] = {"source": raw.source, "body": raw.body,
                             "content_type": raw.content_type}
    for name in ("url", "title", "language"):
        if getattr(raw, name) is not None:
            value[name] = getattr(raw, name)
    for name in ("published_at", "fetched_at"):
        moment = getattr(raw, name)
        if moment is not None:
            value[name] = moment.isoformat()
    if raw.metadata:
        value["metadata"] = dict(raw.metadata)
    return orjson.dumps(value)


# ------------------------------------------------------------ internal analysed topic


def encode_analysed(analysed: AnalysedArticle) -> bytes:
    """Internal hop between the stages; orjson serialises the dataclasses natively."""
    return orjson.dumps(analysed)


@dataclass(frozen=True, slots=True)
class HopEntry:
    """One analysed article as it crossed the hop, and when its raw message was written."""

    data: dict[str, Any]
    raw_timestamp: float | None


def encode_hops(entries: Sequence[tuple[bytes, float | None]], max_bytes: int) -> list[bytes]:
    """Analysed articles (``encode_analysed`` bytes, raw timestamp) packed into as few hop
    messages as fit ``max_bytes`` each: one message per batch instead of one per article
    spares the producer and the dedup stage's consumer most of their per-message work.
    An article larger than ``max_bytes`` travels alone."""
    messages: list[bytes] = []
    parts: list[bytes] = []
    size = 0
    for payload, raw_timestamp in entries:
        part = b'{"raw_ts":%b,"analysed":%b}' % (orjson.dumps(raw_timestamp), payload)
        if parts and size + len(part) > max_bytes:
            messages.append(_hop_message(parts))
            parts, size = [], 0
        parts.append(part)
        size += len(part) + 1
    if parts:
        messages.append(_hop_message(parts))
    return messages


def _hop_message(parts: list[bytes]) -> bytes:
    return b'{"batch":[' + b",".join(parts) + b"]}"


def decode_hops(payload: bytes, raw_timestamp: float | None = None) -> list[HopEntry]:
    """The articles of one hop message; a message of one bare article (written before
    batching, e.g. still on the topic during an upgrade) is read as a batch of one."""
    data = orjson.loads(payload)
    if isinstance(data, dict) and isinstance(data.get("batch"), list):
        return [HopEntry(entry["analysed"], entry.get("raw_ts")) for entry in data["batch"]]
    return [HopEntry(data, raw_timestamp)]


def decode_analysed(payload: bytes) -> AnalysedArticle:
    return analysed_from_data(orjson.loads(payload))


def analysed_from_data(data: Mapping[str, Any]) -> AnalysedArticle:
    art = data["article"]
    ext = data["extraction"]
    article = CleanArticle(
        article_id=art["article_id"], source=art["source"], url=art["url"], title=art["title"],
        text=art["text"], published_at=parse_datetime(art["published_at"]),
        language=art["language"], content_hash=art["content_hash"],
    )
    extraction = Extraction(
        entities=tuple(
            Entity(e["type"], e["name"], e["id"], tuple((m[0], m[1]) for m in e["mentions"]))
            for e in ext["entities"]
        ),
        match_results=tuple(_match_from(m) for m in ext["match_results"]),
        quotes=tuple(
            Quote(_req_ref(q["speaker"]), q["text"], (q["span"][0], q["span"][1]))
            for q in ext["quotes"]
        ),
    )
    fingerprint = Fingerprint(values=tuple(data["fingerprint"]["values"]),
                              shingles=data["fingerprint"]["shingles"])
    return AnalysedArticle(article=article, extraction=extraction, fingerprint=fingerprint)


def _ref(value: Mapping[str, str] | None) -> Ref | None:
    return None if value is None else Ref(name=value["name"], id=value["id"])


def _req_ref(value: Mapping[str, str]) -> Ref:
    return Ref(name=value["name"], id=value["id"])


def _match_from(m: Mapping[str, Any]) -> MatchResult:
    return MatchResult(
        home=_req_ref(m["home"]), away=_req_ref(m["away"]),
        home_goals=m["home_goals"], away_goals=m["away_goals"],
        competition=_ref(m["competition"]),
        date=date.fromisoformat(m["date"]) if m["date"] else None,
        venue=_ref(m["venue"]), span=(m["span"][0], m["span"][1]),
    )


# ----------------------------------------------------------------------------- output


def dead_letter_value(
    reason: Reason, detail: str, original: bytes, *, key: bytes | None = None,
    topic: str | None = None, partition: int | None = None, offset: int | None = None,
) -> dict[str, Any]:
    truncated = len(original) > DLQ_ORIGINAL_LIMIT
    kept = original[:DLQ_ORIGINAL_LIMIT] if truncated else original
    return {
        "reason": reason.value,
        "detail": detail[:1000],
        "source_topic": topic,
        "partition": partition,
        "offset": offset,
        "key_b64": base64.b64encode(key).decode() if key is not None else None,
        "original_b64": base64.b64encode(kept).decode(),
        "original_size": len(original),
        "original_truncated": truncated,
        "pipeline_version": PIPELINE_VERSION,
    }


def encode_output(value: Mapping[str, Any], schema: str, registry: SchemaRegistry | None) -> bytes:
    """Serialise an outgoing record, validating it first when a registry is given."""
    if registry is not None:
        error = registry.first_error(schema, value)
        if error is not None:
            raise SchemaError(f"outgoing {schema} violates its schema: {error}")
    return orjson.dumps(value)
