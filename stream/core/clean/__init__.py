"""Cleaning stage: from a delivered article (HTML or crawled text) to the story alone."""

from __future__ import annotations

from datetime import datetime

from stream.core.clean.language import detect_language
from stream.core.clean.normalize import fold_for_matching, normalise_text
from stream.core.clean.text import clean_plain_text
from stream.core.ids import article_id as make_article_id
from stream.core.ids import content_hash
from stream.core.models import CleanArticle, RawArticle
from stream.core.moments import aware_or_none
from stream.errors import Reason, RejectedInput

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
TEXT_TYPES = frozenset({"text/plain"})

__all__ = ["clean_article", "fold_for_matching", "normalise_text"]


def clean_article(raw: RawArticle) -> CleanArticle:
    """Clean one article; raise :class:`RejectedInput` when nothing of a story is left."""
    content_type = raw.content_type.split(";")[0].strip().lower()
    if content_type in HTML_TYPES:
        title, text, published_at, language = _clean_html(raw)
    elif content_type in TEXT_TYPES:
        cleaned = clean_plain_text(raw.body, title=raw.title)
        title, text, published_at, language = (
            cleaned.title, cleaned.text, cleaned.published_at, raw.language)
    else:
        raise RejectedInput(Reason.UNSUPPORTED_CONTENT_TYPE, f"content_type {raw.content_type!r}")
    if not text.strip():
        raise RejectedInput(Reason.EMPTY_TEXT, "no article text left after cleaning")
    return CleanArticle(
        article_id=make_article_id(raw.source, raw.url, raw.body),
        source=raw.source,
        url=raw.url,
        title=title,
        text=text,
        published_at=raw.published_at or published_at,
        language=raw.language or language or detect_language(text),
        content_hash=content_hash(fold_for_matching(text)),
    )


def _clean_html(raw: RawArticle) -> tuple[str | None, str, datetime | None, str | None]:
    from stream.core.clean.html import extract_html

    try:
        document = extract_html(raw.body, url=raw.url)
    except ValueError as exc:
        raise RejectedInput(Reason.CLEAN_FAILED, f"html extraction failed: {exc}") from exc
    published = aware_or_none(document.published_at)
    text = normalise_text(document.text)
    title = raw.title or (normalise_text(document.title) if document.title else None)
    return title, text, published, raw.language or document.language
