"""structlog configuration: JSON lines by default, never article bodies or secrets.

Two guards keep bodies and secrets out, whatever a call site passes: fields whose name
says they hold one (``body``, ``text``, ``password``, ``original_b64``, ...) are replaced
by ``[redacted]``, and any other string field is cut at ``MAX_FIELD_CHARS`` (an article
pasted into an error message stays a short excerpt). Settings hold the SASL password as
pydantic ``SecretStr``, which prints as ``**********``.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any, TextIO

import structlog

from stream.core.models import OutRecord

#: Field names whose values are never written to a log line.
REDACTED_FIELDS = frozenset({
    "body", "text", "html", "original_b64", "value", "payload",
    "password", "sasl_password", "secret", "token", "authorization",
})
MAX_FIELD_CHARS = 500
#: The standard-library parent of the service's loggers, asked for the level (cached by
#: ``logging``) before building a per-record DEBUG line.
_SERVICE_LOGGER = logging.getLogger("stream")


def redact(logger: Any, method: str,
           event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: drop body and secret fields, shorten long strings."""
    for key, value in event_dict.items():
        if key in REDACTED_FIELDS:
            event_dict[key] = "[redacted]"
        elif isinstance(value, str) and len(value) > MAX_FIELD_CHARS and key != "exception":
            event_dict[key] = f"{value[:MAX_FIELD_CHARS]}...[{len(value)} chars]"
    return event_dict


def configure_logging(level: str = "INFO", fmt: str = "json", stream: TextIO | None = None) -> None:
    """Route stdlib logging (Faust, aiokafka) and structlog through one renderer.

    ``stream`` defaults to stderr; tests pass a buffer to read what would be logged.
    """
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer() if fmt == "json" else structlog.dev.ConsoleRenderer()
    )
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        redact,
    ]
    structlog.configure(
        # filter_by_level first: a DEBUG line costs nothing when the level is INFO.
        processors=[structlog.stdlib.filter_by_level, *shared,
                    structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    structlog.processors.format_exc_info, renderer],
    ))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    logger: structlog.stdlib.BoundLogger = structlog.stdlib.get_logger(name)
    return logger


def log_published(log: structlog.stdlib.BoundLogger, stage: str, record: OutRecord) -> None:
    """One line per published record: ids and coordinates only, never the content.

    Dead letters are WARNING (someone should look: reason and where the message sat);
    everything else is DEBUG, since at INFO a busy worker would log every article.
    """
    value = record.value or {}
    if record.output == "dlq":
        log.warning("dead_letter", stage=stage, reason=value.get("reason"), key=record.key,
                    topic=value.get("source_topic"), partition=value.get("partition"),
                    offset=value.get("offset"))
        return
    if not _SERVICE_LOGGER.isEnabledFor(logging.DEBUG):  # the line would be dropped anyway
        return
    log.debug("published", stage=stage, output=record.output, key=record.key,
              article_id=value.get("article_id"), duplicate_of=value.get("duplicate_of"))
