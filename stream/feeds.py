"""RSS and Atom feeds to raw articles: parsed safely, fetched with bounds.

Feeds are untrusted XML. They are parsed with ``defusedxml``: any entity declaration
(the "billion laughs" expansion bomb) or external reference (XXE: reading local files
or URLs through the parser) is refused outright, not expanded; DTDs without entities
(old RSS 0.91 feeds carry one) are tolerated. The input size is bounded before parsing,
and a fetch is bounded in bytes and in time.
"""

from __future__ import annotations

import re
import time
import urllib.request
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import IO, Any
from urllib.error import URLError
from urllib.parse import urlsplit

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from stream.core.moments import aware_or_none
from stream.errors import InputError

#: Larger feeds are refused: real ones are well under a megabyte.
MAX_FEED_BYTES = 16 * 1024 * 1024
#: Seconds a whole fetch may take (connect, redirects and body together, roughly).
FETCH_TIMEOUT = 20.0
_TAG = re.compile(r"<[^>]+>")


@dataclass(frozen=True, slots=True)
class FeedItem:
    """One item or entry: what a raw article needs."""

    title: str | None
    url: str | None
    published_at: datetime | None
    body: str
    content_type: str


def is_url(name: str) -> bool:
    return name.startswith(("http://", "https://"))


def looks_like_feed(data: bytes) -> bool:
    """Cheap sniff of the first bytes: an XML document whose root is rss, feed or RDF."""
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"<") and re.search(rb"<(?:\w+:)?(rss|feed|RDF)\b", head) is not None


# ----------------------------------------------------------------------------- fetch


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects to http(s) only: never to ftp:// or file://."""

    def redirect_request(self, req: Any, fp: IO[bytes], code: int, msg: str, headers: Any,
                         newurl: str) -> Any:
        if urlsplit(newurl).scheme not in ("http", "https"):
            raise InputError(f"{req.full_url}: redirect to {newurl} refused")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def fetch(url: str, *, limit: int = MAX_FEED_BYTES, timeout: float = FETCH_TIMEOUT) -> bytes:
    """GET a feed: at most ``limit`` bytes and about ``timeout`` seconds, else InputError."""
    opener = urllib.request.build_opener(_HttpOnlyRedirects())
    request = urllib.request.Request(url, headers={
        "User-Agent": "stream-news/feeds", "Accept": "application/rss+xml, application/atom+xml, "
                                                     "application/xml;q=0.9, */*;q=0.5"})
    deadline = time.monotonic() + timeout
    try:
        with opener.open(request, timeout=timeout) as reply:
            return _read_bounded(reply, url, limit, deadline)
    except (URLError, OSError, ValueError) as exc:
        raise InputError(f"{url}: cannot fetch: {getattr(exc, 'reason', exc)}") from exc


def _read_bounded(reply: IO[bytes], url: str, limit: int, deadline: float) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while chunk := reply.read(64 * 1024):
        size += len(chunk)
        if size > limit:
            raise InputError(f"{url}: feed larger than {limit} bytes")
        if time.monotonic() > deadline:
            raise InputError(f"{url}: fetch took longer than the time limit")
        chunks.append(chunk)
    return b"".join(chunks)


# ----------------------------------------------------------------------------- parse


def parse_feed(data: bytes, origin: str) -> list[FeedItem]:
    """Items of an RSS 2.0, RSS 1.0 (RDF) or Atom document; InputError when unsafe or not
    a feed."""
    if len(data) > MAX_FEED_BYTES:
        raise InputError(f"{origin}: feed larger than {MAX_FEED_BYTES} bytes")
    try:
        root = SafeET.fromstring(data, forbid_dtd=False, forbid_entities=True,
                                 forbid_external=True)
    except DefusedXmlException as exc:
        raise InputError(f"{origin}: unsafe XML refused ({type(exc).__name__}: "
                         "entity declarations and external references are not allowed)") from exc
    except ET.ParseError as exc:
        raise InputError(f"{origin}: not well-formed XML: {exc}") from exc
    kind = _local(root.tag)
    if kind == "feed":
        return [_atom_item(e) for e in root if _local(e.tag) == "entry"]
    if kind == "rss":
        channel = _child(root, "channel")
        return [_rss_item(e) for e in (channel if channel is not None else root)
                if _local(e.tag) == "item"]
    if kind == "RDF":
        return [_rss_item(e) for e in root if _local(e.tag) == "item"]
    raise InputError(f"{origin}: not an RSS or Atom feed (root element <{kind}>)")


def _local(tag: Any) -> str:
    """Element name without its namespace: feeds mix namespaces freely."""
    return str(tag).rsplit("}", 1)[-1]


def _child(element: ET.Element, *names: str) -> ET.Element | None:
    """First child with one of ``names``, trying the names in order of preference."""
    for name in names:
        for child in element:
            if _local(child.tag) == name:
                return child
    return None


def _text(element: ET.Element | None) -> str | None:
    if element is None or element.text is None:
        return None
    return element.text.strip() or None


def _rss_item(item: ET.Element) -> FeedItem:
    body = _text(_child(item, "encoded", "description")) or ""
    link = _text(_child(item, "link"))
    guid = _child(item, "guid")
    if link is None and guid is not None and guid.get("isPermaLink", "true") != "false":
        link = _text(guid)
    date_text = _text(_child(item, "pubDate"))
    published = _rfc822(date_text) if date_text else aware_or_none(_text(_child(item, "date")))
    return FeedItem(title=_plain(_text(_child(item, "title"))), url=link,
                    published_at=published, body=body, content_type="text/html")


def _atom_item(entry: ET.Element) -> FeedItem:
    content = _child(entry, "content")
    if content is None or content.get("src") or not _atom_body(content):
        content = _child(entry, "summary")
    body = _atom_body(content) if content is not None else ""
    kind = (content.get("type") or "text") if content is not None else "text"
    return FeedItem(
        title=_plain(_text(_child(entry, "title"))), url=_atom_link(entry),
        published_at=aware_or_none(_text(_child(entry, "published", "updated"))), body=body,
        content_type="text/plain" if kind == "text" else "text/html")


def _atom_body(content: ET.Element) -> str:
    """Atom content: text or escaped HTML as is; inline XHTML serialised back to markup."""
    if content.get("type") != "xhtml":
        return (content.text or "").strip()
    parts = []
    for child in content:
        for element in child.iter():
            element.tag = _local(element.tag)
        parts.append(ET.tostring(child, encoding="unicode", method="html"))
    return "".join(parts).strip()


def _atom_link(entry: ET.Element) -> str | None:
    links = [e for e in entry if _local(e.tag) == "link" and e.get("href")]
    for link in links:
        if link.get("rel", "alternate") == "alternate":
            return link.get("href")
    return links[0].get("href") if links else None


def _plain(title: str | None) -> str | None:
    """Titles sometimes carry markup; a raw article's title is text."""
    if not title:
        return None
    return _TAG.sub("", title).strip() or None


def _rfc822(value: str) -> datetime | None:
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return aware_or_none(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


