"""The edge: bytes in, typed records out, and typed records to validated bytes.

Everything that crosses Kafka is checked here against the JSON Schemas in ``schemas/``;
past this module the core trusts its types.
"""

from __future__ import annotations

import base64
import math
import re
import struct
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import fastjsonschema
import orjson

from stream import PIPELINE_VERSION
from stream.core.models import (
    AnalysedArticle,
    CleanArticle,
    Extraction,
    Fingerprint,
    PreparedArticle,
    RawArticle,
)
from stream.core.records import BODY_FIELDS, Spliced, entity_from, match_from, quote_from
from stream.errors import CodecError, Reason, RejectedInput, SchemaError

SCHEMA_VERSION = 1
#: Logical output -> schema name carried in the ``schema`` header.
SCHEMA_OF_OUTPUT = {
    "enriched": "enriched_article",
    "duplicates": "duplicate",
    "match_results": "match_result",
    "quotes": "quote",
    "dlq": "dead_letter",
}
#: Output schemas of article records (the ones a ``records.Spliced`` value fills).
ARTICLE_SCHEMAS = ("enriched_article", "duplicate")
_BODY = frozenset(BODY_FIELDS)
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
        self._parts: dict[tuple[str, frozenset[str]], Callable[[object], object]] = {}
        self._heads: dict[str, frozenset[str]] = {}

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
        return _first_error(self.validator(name), value)

    def head_fields(self, name: str) -> frozenset[str]:
        """The properties of schema ``name`` besides an article record's body (read once:
        asked for every record sent)."""
        found = self._heads.get(name)
        if found is None:
            properties = frozenset(self.schema(name).get("properties", {}))
            found = self._heads[name] = properties - _BODY
        return found

    def part_validator(self, name: str, fields: frozenset[str]) -> Callable[[object], object]:
        """A validator of ``fields`` of schema ``name`` alone: an object with those
        properties (the ones the schema requires among them required, no others).

        A record made in two parts (``records.Spliced``: the body where the article was
        analysed, the rest where it is published) is checked part by part, each where it
        is made, and never parsed back to be checked whole.
        """
        key = (name, fields)
        if key not in self._parts:
            schema = self.schema(name)
            properties = schema.get("properties", {})
            unknown = fields - properties.keys()
            if unknown and schema.get("additionalProperties") is False:
                raise SchemaError(f"schema {name} has no properties {sorted(unknown)}")
            part = {k: v for k, v in schema.items() if k not in ("properties", "required")}
            part["properties"] = {k: v for k, v in properties.items() if k in fields}
            part["required"] = [k for k in schema.get("required", []) if k in fields]
            try:
                self._parts[key] = fastjsonschema.compile(part)
            except fastjsonschema.JsonSchemaDefinitionException as exc:
                raise SchemaError(f"cannot compile part of schema {name}: {exc}") from exc
        return self._parts[key]

    def part_error(self, name: str, value: Mapping[str, Any], fields: frozenset[str]
                   ) -> str | None:
        """:meth:`first_error` of ``value`` as the part of a record that holds ``fields``
        (see :meth:`part_validator`): parts whose fields add up to the schema's
        properties are together checked as the whole would be."""
        return _first_error(self.part_validator(name, fields), value)


def _first_error(validator: Callable[[object], object], value: object) -> str | None:
    try:
        validator(value)
    except fastjsonschema.JsonSchemaValueException as exc:
        return _describe(exc)
    return None


@cache
def registry_for(schemas_dir: Path) -> SchemaRegistry:
    return SchemaRegistry(schemas_dir)


#: A set of names in a validator's message ("must not contain {'b', 'a'} properties").
_NAME_SET = re.compile(r"\{'[^{}]*'\}")


def _describe(error: fastjsonschema.JsonSchemaValueException) -> str:
    """The validator's message with its sets of names sorted: it prints Python sets,
    whose order changes with each process's hash seed, and a dead letter's reason must
    be the same on every replay."""
    return _NAME_SET.sub(_sorted_names, str(error.message))[:300]


def _sorted_names(found: re.Match[str]) -> str:
    names = sorted(name.strip().strip("'") for name in found.group(0)[1:-1].split(","))
    return "{" + ", ".join(f"'{name}'" for name in names) + "}"


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


def encode_prepared(prepared: PreparedArticle) -> bytes:
    """One prepared article: its head (every field but the body) as JSON, then the body
    as it is, so the reader parses the small head only."""
    head = orjson.dumps({
        "article_id": prepared.article_id, "source": prepared.source, "url": prepared.url,
        "title": prepared.title, "published_at": prepared.published_at,
        "language": prepared.language, "content_hash": prepared.content_hash,
        "fingerprint": prepared.fingerprint, "match_results": prepared.match_results,
        "quotes": prepared.quotes, "short_paragraphs": prepared.short_paragraphs,
        "entity_count": prepared.entity_count, "body_checked": prepared.body_checked,
    })
    return _LENGTH.pack(len(head)) + head + prepared.body


def decode_prepared(payload: bytes) -> PreparedArticle:
    """The inverse of :func:`encode_prepared`; :class:`CodecError` if it is not one."""
    try:
        (size,) = _LENGTH.unpack_from(payload)
        head = orjson.loads(payload[_LENGTH.size:_LENGTH.size + size])
        body = payload[_LENGTH.size + size:]
        if not body.startswith(b"{") or not body.endswith(b"}"):
            raise ValueError("the body is not a JSON object")
        fingerprint = head["fingerprint"]
        return PreparedArticle(
            article_id=head["article_id"], source=head["source"], url=head["url"],
            title=head["title"], published_at=parse_datetime(head["published_at"]),
            language=head["language"], content_hash=head["content_hash"],
            fingerprint=Fingerprint(tuple(fingerprint["values"]), fingerprint["shingles"]),
            match_results=tuple(match_from(m) for m in head["match_results"]),
            quotes=tuple(quote_from(q) for q in head["quotes"]),
            short_paragraphs=tuple((i, h) for i, h in head["short_paragraphs"]),
            entity_count=head["entity_count"], body=body, body_checked=head["body_checked"])
    except (struct.error, orjson.JSONDecodeError, KeyError, TypeError, ValueError,
            RejectedInput) as exc:
        raise CodecError(f"not a prepared article: {exc!r}"[:300]) from exc


@dataclass(frozen=True, slots=True)
class HopEntry:
    """One article as it crossed the hop, and when its raw message was written:
    ``encode_prepared`` bytes, or the parsed JSON of an analysed article (older format)."""

    payload: bytes | dict[str, Any]
    raw_timestamp: float | None


#: First bytes of a hop message of prepared articles (a JSON hop starts with "{").
HOP_MAGIC = b"HOP2"
_LENGTH = struct.Struct(">I")
#: Raw timestamp (NaN: none) and length of each entry of a hop message.
_ENTRY = struct.Struct(">dI")


def encode_hops(entries: Sequence[tuple[bytes, float | None]], max_bytes: int) -> list[bytes]:
    """Prepared articles (``encode_prepared`` bytes, raw timestamp) packed into as few hop
    messages as fit ``max_bytes`` each: one message per batch instead of one per article
    spares the producer and the dedup stage's consumer most of their per-message work.
    An article larger than ``max_bytes`` travels alone."""
    messages: list[bytes] = []
    parts: list[bytes] = [HOP_MAGIC]
    size = len(HOP_MAGIC)
    for payload, raw_timestamp in entries:
        part = _ENTRY.pack(math.nan if raw_timestamp is None else raw_timestamp,
                           len(payload)) + payload
        if len(parts) > 1 and size + len(part) > max_bytes:
            messages.append(b"".join(parts))
            parts, size = [HOP_MAGIC], len(HOP_MAGIC)
        parts.append(part)
        size += len(part)
    if len(parts) > 1:
        messages.append(b"".join(parts))
    return messages


def decode_hops(payload: bytes, raw_timestamp: float | None = None) -> list[HopEntry]:
    """The articles of one hop message. Older formats, which may still sit on the topic
    during an upgrade, are read too: a JSON batch (``{"batch": [...]}``) and a message of
    one bare analysed article (read as a batch of one, ``raw_timestamp`` from its header).
    Raises :class:`CodecError` when the message is none of these."""
    if payload.startswith(HOP_MAGIC):
        return _framed_entries(payload)
    try:
        data = orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        raise CodecError(f"not a hop message: {exc}"[:300]) from exc
    if isinstance(data, dict) and isinstance(data.get("batch"), list):
        return [HopEntry(entry["analysed"], entry.get("raw_ts")) for entry in data["batch"]]
    return [HopEntry(data, raw_timestamp)]


def _framed_entries(payload: bytes) -> list[HopEntry]:
    entries: list[HopEntry] = []
    at = len(HOP_MAGIC)
    while at < len(payload):
        try:
            raw_ts, size = _ENTRY.unpack_from(payload, at)
        except struct.error as exc:
            raise CodecError(f"hop message cut at byte {at}") from exc
        at += _ENTRY.size
        if at + size > len(payload):
            raise CodecError(f"hop message cut at byte {at}: entry of {size} bytes")
        entries.append(HopEntry(payload[at:at + size], None if math.isnan(raw_ts) else raw_ts))
        at += size
    return entries


def analysed_from_data(data: Mapping[str, Any]) -> AnalysedArticle:
    art = data["article"]
    ext = data["extraction"]
    article = CleanArticle(
        article_id=art["article_id"], source=art["source"], url=art["url"], title=art["title"],
        text=art["text"], published_at=parse_datetime(art["published_at"]),
        language=art["language"], content_hash=art["content_hash"],
    )
    extraction = Extraction(
        entities=tuple(entity_from(e) for e in ext["entities"]),
        match_results=tuple(match_from(m) for m in ext["match_results"]),
        quotes=tuple(quote_from(q) for q in ext["quotes"]),
    )
    fingerprint = Fingerprint(values=tuple(data["fingerprint"]["values"]),
                              shingles=data["fingerprint"]["shingles"])
    return AnalysedArticle(article=article, extraction=extraction, fingerprint=fingerprint)


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
    """Serialise an outgoing record, validating it first when a registry is given.

    A :class:`~stream.core.records.Spliced` record is checked in parts: its fields here,
    its body only if it was not checked where it was made (see ``check_body``).
    """
    if isinstance(value, Spliced):
        if registry is not None:
            head = registry.head_fields(schema)
            _raise_on(schema, registry.part_error(schema, value.fields, head))
            if not value.body_checked:
                _raise_on(schema, registry.part_error(schema, value.parsed_body(), _BODY))
        return value.to_json()
    if registry is not None:
        _raise_on(schema, registry.first_error(schema, value))
    return orjson.dumps(value)


def check_body(body: Mapping[str, Any], registry: SchemaRegistry) -> None:
    """Validate an article record's body (``records.body_fields``); raises
    :class:`SchemaError`. Every schema of :data:`ARTICLE_SCHEMAS` defines the body's
    fields alike (a test holds them to it), so one check serves them all."""
    _raise_on(ARTICLE_SCHEMAS[0], registry.part_error(ARTICLE_SCHEMAS[0], body, _BODY))


def _raise_on(schema: str, error: str | None) -> None:
    if error is not None:
        raise SchemaError(f"outgoing {schema} violates its schema: {error}")
