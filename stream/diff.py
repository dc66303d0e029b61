"""``stream diff V1 V2``: what changed between two versions of the outputs.

Outputs are compacted topics, so a version's content is the last value per key; that is
what is compared (a null value, a tombstone, removes the key). ``live`` names the
unversioned topics the worker writes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import orjson

from stream.backfill import LIVE, versioned_settings
from stream.errors import InputError
from stream.kafka import offset_bounds, read_ranges, start_reader, topic_partitions
from stream.settings import Settings

#: Logical outputs compared, with the settings field naming each one's topic.
COMPARED = {
    "enriched": "topic_enriched",
    "duplicates": "topic_duplicates",
    "match_results": "topic_match_results",
    "quotes": "topic_quotes",
}


@dataclass
class TopicDiff:
    output: str
    left_topic: str
    right_topic: str
    left_count: int
    right_count: int
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: dict[str, list[str]] = field(default_factory=dict)

    @property
    def same(self) -> bool:
        return not (self.added or self.removed or self.changed)


def changed_fields(left: Any, right: Any, ignore: frozenset[str] = frozenset()) -> list[str]:
    """Top-level fields whose values differ (a field missing on one side differs)."""
    if isinstance(left, dict) and isinstance(right, dict):
        names = sorted((left.keys() | right.keys()) - ignore)
        return [n for n in names if left.get(n, _MISSING) != right.get(n, _MISSING)]
    return [] if left == right else ["(value)"]


_MISSING = object()


def compare(output: str, left_topic: str, right_topic: str, left: dict[str, Any],
            right: dict[str, Any], ignore: frozenset[str] = frozenset()) -> TopicDiff:
    """Keys added, removed and changed from ``left`` to ``right`` (pure, for tests)."""
    result = TopicDiff(output, left_topic, right_topic, len(left), len(right),
                       added=sorted(right.keys() - left.keys()),
                       removed=sorted(left.keys() - right.keys()))
    for key in sorted(left.keys() & right.keys()):
        fields = changed_fields(left[key], right[key], ignore)
        if fields:
            result.changed[key] = fields
    return result


async def read_latest(settings: Settings, topic: str) -> dict[str, Any]:
    """Last value per key of a topic, read to the end offsets captured at start."""
    partitions = await topic_partitions(settings, topic)
    consumer = await start_reader(settings)
    try:
        bounds = await offset_bounds(consumer, partitions)
        latest: dict[str, Any] = {}
        async for record in read_ranges(consumer, bounds):
            key = record.key.decode("utf-8", "replace") if record.key is not None else ""
            if record.value is None:
                latest.pop(key, None)
            else:
                latest[key] = _decode(record.value)
        return latest
    finally:
        await consumer.stop()


def _decode(value: bytes) -> Any:
    try:
        return orjson.loads(value)
    except orjson.JSONDecodeError:
        return value.decode("utf-8", "replace")


async def diff_versions(settings: Settings, left: str, right: str,
                        ignore: frozenset[str] = frozenset()) -> list[TopicDiff]:
    """Compare every compared output of version ``left`` with version ``right``."""
    left_settings = versioned_settings(settings, left)
    right_settings = versioned_settings(settings, right)
    diffs = []
    for output, name in COMPARED.items():
        left_topic, right_topic = getattr(left_settings, name), getattr(right_settings, name)
        diffs.append(compare(output, left_topic, right_topic,
                             await _read_version(settings, left_topic, left),
                             await _read_version(settings, right_topic, right), ignore))
    return diffs


async def _read_version(settings: Settings, topic: str, version: str) -> dict[str, Any]:
    try:
        return await read_latest(settings, topic)
    except InputError as exc:
        hint = "" if version == LIVE else f" (run `stream backfill --version {version}` first)"
        raise InputError(f"{exc}{hint}") from exc


def render_table(diffs: list[TopicDiff], left: str, right: str, limit: int = 20) -> str:
    """A fixed-width table of counts, then the differing keys (at most ``limit`` each)."""
    width = max(len(left), len(right), 8)
    lines = [f"{'output':<14} {left:>{width}} {right:>{width}} {'added':>7} {'removed':>7} "
             f"{'changed':>7}"]
    for d in diffs:
        lines.append(f"{d.output:<14} {d.left_count:>{width}} {d.right_count:>{width}} "
                     f"{len(d.added):>7} {len(d.removed):>7} {len(d.changed):>7}")
    for d in diffs:
        lines += _details(d, limit)
    if all(d.same for d in diffs):
        lines.append(f"no differences between {left} and {right}")
    return "\n".join(lines)


def _details(d: TopicDiff, limit: int) -> list[str]:
    rows = [f"  + {k}" for k in d.added] + [f"  - {k}" for k in d.removed] + [
        f"  ~ {k}: {', '.join(fields)}" for k, fields in d.changed.items()]
    if not rows:
        return []
    more = [f"  ... and {len(rows) - limit} more (--json lists all)"] if len(rows) > limit else []
    return [f"{d.output} ({d.left_topic} -> {d.right_topic}):", *rows[:limit], *more]


def to_json(diffs: list[TopicDiff], left: str, right: str) -> dict[str, Any]:
    return {"left": left, "right": right, "same": all(d.same for d in diffs),
            "outputs": {d.output: asdict(d) for d in diffs}}
