"""The one exception hierarchy of the service.

Everything the service raises on purpose derives from :class:`StreamError`, so callers
(the CLI, the agents) can tell our failures from bugs. Third-party errors are wrapped
with ``raise ... from exc`` so the original cause stays in the traceback.
"""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    """Reason codes written on dead letters; stable, documented, used as metric labels."""

    INVALID_UTF8 = "invalid_utf8"
    INVALID_JSON = "invalid_json"
    SCHEMA_VIOLATION = "schema_violation"
    TOO_LARGE = "too_large"
    UNSUPPORTED_CONTENT_TYPE = "unsupported_content_type"
    CLEAN_FAILED = "clean_failed"
    EMPTY_TEXT = "empty_text"
    TIMEOUT = "timeout"
    INTERNAL_ERROR = "internal_error"


class StreamError(Exception):
    """Base of every error the service raises on purpose."""


class ConfigError(StreamError):
    """Settings are missing or inconsistent."""


class InputError(StreamError):
    """A user-supplied file or argument cannot be used (CLI-level)."""


class BrokerError(StreamError):
    """The Kafka broker could not be reached or refused an operation."""


class RejectedInput(StreamError):
    """An input record cannot be processed; it goes to the dead-letter topic with ``reason``."""

    def __init__(self, reason: Reason, detail: str) -> None:
        super().__init__(f"{reason.value}: {detail}")
        self.reason = reason
        self.detail = detail


class SchemaError(StreamError):
    """An outgoing record does not match its published schema: a bug, never user input."""


class CodecError(StreamError):
    """An internal message (the hop between the two agents) cannot be read."""
