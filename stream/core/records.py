"""Output records as plain JSON-ready mappings, in the shape of the schemas in ``schemas/``,
and the core types they carry as plain data and back (hop messages and memories hold them
in the same shapes).

An article's record (enriched or duplicate) is a :class:`Spliced` mapping: its small
fields as a dict, its text and entities as the JSON made where the article was analysed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date, datetime
from typing import Any

import orjson

from stream import PIPELINE_VERSION
from stream.core.models import (
    Entity,
    MatchEvent,
    MatchResult,
    PreparedArticle,
    Quote,
    QuoteEvent,
    Ref,
    Verdict,
)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def ref_data(ref: Ref | None) -> dict[str, str] | None:
    return None if ref is None else {"name": ref.name, "id": ref.id}


def ref_from(value: Mapping[str, str] | None) -> Ref | None:
    return Ref(name=value["name"], id=value["id"]) if value else None


def _required_ref(value: Mapping[str, str]) -> Ref:
    return Ref(name=value["name"], id=value["id"])


def match_data(result: MatchResult) -> dict[str, Any]:
    """A match result as plain data (the shape orjson gives the dataclass)."""
    return {"home": ref_data(result.home), "away": ref_data(result.away),
            "home_goals": result.home_goals, "away_goals": result.away_goals,
            "competition": ref_data(result.competition),
            "date": result.date.isoformat() if result.date else None,
            "venue": ref_data(result.venue), "span": list(result.span)}


def match_from(m: Mapping[str, Any]) -> MatchResult:
    return MatchResult(
        home=_required_ref(m["home"]), away=_required_ref(m["away"]),
        home_goals=m["home_goals"], away_goals=m["away_goals"],
        competition=ref_from(m["competition"]),
        date=date.fromisoformat(m["date"]) if m["date"] else None,
        venue=ref_from(m["venue"]), span=(m["span"][0], m["span"][1]),
    )


def quote_from(q: Mapping[str, Any]) -> Quote:
    return Quote(_required_ref(q["speaker"]), q["text"], (q["span"][0], q["span"][1]))


def entity_from(e: Mapping[str, Any]) -> Entity:
    return Entity(e["type"], e["name"], e["id"], tuple((m[0], m[1]) for m in e["mentions"]))


def _entity(entity: Entity) -> dict[str, Any]:
    return {"type": entity.type, "name": entity.name, "id": entity.id,
            "mentions": [list(span) for span in entity.mentions]}


#: The fields of an article record that travel as ready-made JSON (``PreparedArticle.body``).
BODY_FIELDS = ("text", "entities")


def body_fields(text: str, entities: tuple[Entity, ...]) -> dict[str, Any]:
    return {"text": text, "entities": [_entity(e) for e in entities]}


def head_fields(article: PreparedArticle) -> dict[str, Any]:
    """An article record's fields other than :data:`BODY_FIELDS`."""
    return {
        "article_id": article.article_id,
        "source": article.source,
        "url": article.url,
        "title": article.title,
        "published_at": _iso(article.published_at),
        "language": article.language,
        "content_hash": article.content_hash,
        "pipeline_version": PIPELINE_VERSION,
    }


class Spliced(Mapping[str, Any]):
    """An article record whose text and entities are JSON already: read as a mapping
    (the body is parsed on the first read of one of its fields), written by
    :meth:`to_json` without parsing it.

    ``fields`` holds everything else; ``entity_count`` answers the one question metrics
    and the status page ask of the body.
    """

    __slots__ = ("_parsed", "body", "body_checked", "entity_count", "fields")

    def __init__(self, fields: dict[str, Any], body: bytes, entity_count: int,
                 body_checked: bool = False) -> None:
        self.fields = fields
        self.body = body
        self.entity_count = entity_count
        self.body_checked = body_checked
        self._parsed: dict[str, Any] | None = None

    def parsed_body(self) -> dict[str, Any]:
        if self._parsed is None:
            self._parsed = orjson.loads(self.body)
        return self._parsed

    def __getitem__(self, key: str) -> Any:
        if key in self.fields:
            return self.fields[key]
        if key in BODY_FIELDS:
            return self.parsed_body()[key]
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        yield from self.fields
        yield from BODY_FIELDS

    def __len__(self) -> int:
        return len(self.fields) + len(BODY_FIELDS)

    def __repr__(self) -> str:
        return f"Spliced({self.fields!r}, body={len(self.body)} bytes)"

    def to_json(self) -> bytes:
        """The whole record: ``fields`` and the body's members in one JSON object."""
        head = orjson.dumps(self.fields)
        if len(self.body) <= 2 or len(head) <= 2:  # an empty part: nothing to join with ","
            return head if len(self.body) <= 2 else self.body
        return head[:-1] + b"," + self.body[1:]


def entity_count(value: Mapping[str, Any]) -> int:
    """Entities in an article record, without parsing a spliced body."""
    if isinstance(value, Spliced):
        return value.entity_count
    return len(value.get("entities") or [])


def enriched_record(article: PreparedArticle, match_event_ids: list[str],
                    quote_event_ids: list[str]) -> Spliced:
    fields = head_fields(article)
    fields["match_event_ids"] = match_event_ids
    fields["quote_event_ids"] = quote_event_ids
    return Spliced(fields, article.body, article.entity_count, article.body_checked)


def duplicate_record(article: PreparedArticle, verdict: Verdict) -> Spliced:
    fields = head_fields(article)
    fields["duplicate_of"] = verdict.duplicate_of
    fields["kind"] = verdict.kind
    fields["similarity"] = round(verdict.similarity, 4)
    return Spliced(fields, article.body, article.entity_count, article.body_checked)


def match_event_value(event: MatchEvent) -> dict[str, Any]:
    return {
        "event_id": event.event_id,
        "home": ref_data(event.home),
        "away": ref_data(event.away),
        "home_goals": event.home_goals,
        "away_goals": event.away_goals,
        "competition": ref_data(event.competition),
        "date": event.date.isoformat() if event.date else None,
        "venue": ref_data(event.venue),
        "article_ids": list(event.article_ids),
        "pipeline_version": PIPELINE_VERSION,
    }


def quote_event_value(event: QuoteEvent) -> dict[str, Any]:
    return {
        "event_id": event.event_id,
        "speaker": ref_data(event.speaker),
        "text": event.text,
        "article_ids": list(event.article_ids),
        "pipeline_version": PIPELINE_VERSION,
    }
