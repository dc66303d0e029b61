"""Timestamps as the pipeline wants them: timezone-aware, or absent."""

from __future__ import annotations

from datetime import UTC, datetime


def aware_or_none(value: str | None) -> datetime | None:
    """An ISO 8601 timestamp made timezone-aware (UTC when it gives no offset); None when
    missing or unreadable, because a source's own date is a hint, never a reason to fail."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
