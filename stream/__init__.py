"""stream: event-streaming ingestion for news (clean, extract, deduplicate on Kafka)."""

__version__ = "0.1.0"

#: Stamped on every output record so consumers and backfills can tell which code produced it.
PIPELINE_VERSION = __version__
