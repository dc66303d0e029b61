"""The topics the worker reads and writes, created from settings (never module globals)."""

from __future__ import annotations

from dataclasses import dataclass

import faust

from stream.settings import Settings


@dataclass(frozen=True)
class Topics:
    raw: faust.TopicT
    analysed: faust.TopicT
    by_name: dict[str, faust.TopicT]


def _bytes_topic(app: faust.App, name: str, partitions: int) -> faust.TopicT:
    return app.topic(name, key_type=bytes, value_type=bytes, key_serializer="raw",
                     value_serializer="raw", partitions=partitions)


def declare_topics(app: faust.App, settings: Settings) -> Topics:
    raw = _bytes_topic(app, settings.topic_raw, settings.partitions)
    analysed = _bytes_topic(app, settings.topic_analysed, 1)
    outputs = {name: _bytes_topic(app, name, settings.partitions)
               for name in settings.output_topics}
    by_name = {**outputs, settings.topic_analysed: analysed}
    return Topics(raw=raw, analysed=analysed, by_name=by_name)
