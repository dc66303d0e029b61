"""Readers that turn files into raw-article payloads, exactly as ``stream produce`` sends them.

JSON Lines pass through byte for byte (so malformed lines reach the dead-letter path as
they would from any producer); ``.txt`` and ``.html`` files become one raw article each;
WARC archives give one article per HTML response record; RSS and Atom feeds (files or
http(s) URLs) one per item. Any of the files may be gzip-compressed (``.gz``), and
directories are walked for all of them. Everything read is bounded in size: these are
the service's untrusted edge, like the broker itself.
"""

from __future__ import annotations

import gzip
import logging
import sys
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, cast
from urllib.parse import urlsplit

import orjson

from stream.codec import encode_raw
from stream.core.clean.html_decode import decode_bytes
from stream.core.ids import article_id
from stream.core.models import RawArticle
from stream.core.moments import aware_or_none
from stream.errors import InputError
from stream.feeds import MAX_FEED_BYTES, fetch, is_url, looks_like_feed, parse_feed

log = logging.getLogger("stream.inputs")

TEXT_SUFFIXES = {".txt": "text/plain", ".html": "text/html", ".htm": "text/html"}
JSONL_SUFFIXES = {".jsonl", ".ndjson", ".json"}
FEED_SUFFIXES = {".xml", ".rss", ".atom"}
WARC_SUFFIXES = {".warc"}
HTML_TYPES = {"text/html", "application/xhtml+xml"}
#: The CLI's default ``--source``: for records that carry a URL, the URL's host says more.
DEFAULT_SOURCE = "files"
#: A single document (text, HTML page, WARC record) larger than this is not an article.
MAX_DOCUMENT_BYTES = 32 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Payload:
    """One message for ``articles.raw``: its key (article id when known) and value bytes."""

    key: bytes | None
    value: bytes
    origin: str


def iter_payloads(paths: Iterable[str], *, source: str = DEFAULT_SOURCE) -> Iterator[Payload]:
    """Payloads of every path in order: ``-`` is stdin (JSON Lines), a URL is a feed."""
    for name in paths:
        if name == "-":
            yield from _jsonl_lines(sys.stdin.buffer, "<stdin>")
        elif is_url(name):
            yield from _feed_payloads(fetch(name), name, source, feed_url=name)
        else:
            yield from _path_payloads(Path(name), source)


def _path_payloads(path: Path, source: str) -> Iterator[Payload]:
    if path.is_dir():
        for child in sorted(p for p in path.rglob("*") if p.is_file()):
            if kind_of(child) is not None:
                yield from _file_payloads(child, source, walking=True)
    elif path.is_file():
        if kind_of(path) is None:
            raise InputError(f"{path}: unsupported file type (use .jsonl, .txt, .html, "
                             ".warc, .xml/.rss/.atom, optionally .gz)")
        yield from _file_payloads(path, source)
    else:
        raise InputError(f"{path}: no such file or directory")


def kind_of(path: Path) -> str | None:
    """``jsonl``, ``warc``, ``feed``, a text content type, or None when unsupported."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    last = suffixes[-1] if suffixes else ""
    if last in JSONL_SUFFIXES:
        return "jsonl"
    if last in WARC_SUFFIXES:
        return "warc"
    if last in FEED_SUFFIXES:
        return "feed"
    return TEXT_SUFFIXES.get(last)


def _file_payloads(path: Path, source: str, *, walking: bool = False) -> Iterator[Payload]:
    """Payloads of one file. ``walking``: found in a directory, where an ``.xml`` that is
    not a feed at all (a sitemap, a config) is skipped with a warning, not an error."""
    kind = kind_of(path)
    if kind == "jsonl":
        with _open(path) as stream:
            yield from _jsonl_lines(_guarded(stream, path), str(path))
    elif kind == "warc":
        yield from _warc_payloads(path, source)
    elif kind == "feed":
        data = _read(path, MAX_FEED_BYTES)
        if walking and not looks_like_feed(data):
            log.warning("%s: not an RSS or Atom feed, skipped", path)
            return
        yield from _feed_payloads(data, str(path), source)
    else:
        assert kind is not None
        yield _text_payload(path, kind, source)


def _open(path: Path) -> IO[bytes]:
    """The file, decompressed on the fly when it is gzip (by suffix)."""
    try:
        if path.suffix.lower() == ".gz":
            return cast(IO[bytes], gzip.open(path, "rb"))
        return path.open("rb")
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc}") from exc


def _guarded(stream: IO[bytes], path: Path) -> Iterator[bytes]:
    """Lines of a stream, a corrupt gzip or unreadable file turned into one clear error."""
    try:
        yield from stream
    except (OSError, EOFError, zlib.error) as exc:
        raise InputError(f"{path}: cannot read: {exc}") from exc


def _read(path: Path, limit: int) -> bytes:
    """The whole (decompressed) file, refused past ``limit``: bounds gzip bombs too."""
    try:
        with _open(path) as stream:
            data = stream.read(limit + 1)
    except (OSError, EOFError, zlib.error) as exc:
        raise InputError(f"{path}: cannot read: {exc}") from exc
    if len(data) > limit:
        raise InputError(f"{path}: larger than {limit} bytes")
    return data


def _text_payload(path: Path, content_type: str, source: str) -> Payload:
    data = _read(path, MAX_DOCUMENT_BYTES)
    body = decode_bytes(data) if content_type in HTML_TYPES else data.decode("utf-8", "replace")
    raw = RawArticle(source=source, body=body, content_type=content_type, url=None)
    return _payload(raw, str(path))


def _payload(raw: RawArticle, origin: str) -> Payload:
    return Payload(article_id(raw.source, raw.url, raw.body).encode(), encode_raw(raw), origin)


def source_for(url: str | None, given: str, fallback_url: str | None = None) -> str:
    """The ``source`` of a record with a URL: the one given, else the URL's host."""
    if given != DEFAULT_SOURCE:
        return given
    for candidate in (url, fallback_url):
        host = urlsplit(candidate).hostname if candidate else None
        if host:
            return host.removeprefix("www.")
    return given


# ----------------------------------------------------------------------------- JSON Lines


def _jsonl_lines(stream: Iterable[bytes], origin: str) -> Iterator[Payload]:
    for number, line in enumerate(stream, start=1):
        if line.strip():
            yield Payload(_key_of(line), line.rstrip(b"\r\n"), f"{origin}:{number}")


def _key_of(line: bytes) -> bytes | None:
    """Key a well-formed line by its article id; leave malformed ones unkeyed."""
    try:
        doc = orjson.loads(line)
        return article_id(doc["source"], doc.get("url"), doc["body"]).encode()
    except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError):
        return None


# ----------------------------------------------------------------------------- feeds


def _feed_payloads(data: bytes, origin: str, source: str,
                   feed_url: str | None = None) -> Iterator[Payload]:
    for number, item in enumerate(parse_feed(data, origin), start=1):
        if not item.body.strip():
            log.warning("%s: item %d (%s) has no content, skipped", origin, number,
                        item.url or item.title or "untitled")
            continue
        raw = RawArticle(source=source_for(item.url, source, feed_url), body=item.body,
                         content_type=item.content_type, url=item.url, title=item.title,
                         published_at=item.published_at)
        yield _payload(raw, f"{origin}#{number}")


# ----------------------------------------------------------------------------- WARC


def _warc_payloads(path: Path, source: str) -> Iterator[Payload]:
    """HTML response records (2xx) of a WARC (or .warc.gz) archive, one article each."""
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    if not _starts_with(path, b"WARC/"):
        raise InputError(f"{path}: not a readable WARC archive (no WARC/ header)")
    try:
        with path.open("rb") as stream:
            for number, record in enumerate(ArchiveIterator(stream), start=1):
                raw = _warc_article(record, f"{path}#{number}", source)
                if raw is not None:
                    yield _payload(raw, f"{path}#{number}")
    except (ArchiveLoadFailed, OSError, EOFError, zlib.error) as exc:
        raise InputError(f"{path}: not a readable WARC archive: {exc}") from exc


def _starts_with(path: Path, magic: bytes) -> bool:
    """Check the (decompressed) head: warcio would otherwise guess at any file's format."""
    try:
        with path.open("rb") as raw:
            head = raw.read(2)
            raw.seek(0)
            stream = gzip.GzipFile(fileobj=raw) if head == b"\x1f\x8b" else raw
            return stream.read(len(magic)) == magic
    except (OSError, EOFError, zlib.error) as exc:
        raise InputError(f"{path}: cannot read: {exc}") from exc


def _warc_article(record: Any, origin: str, source: str) -> RawArticle | None:
    if record.rec_type != "response" or record.http_headers is None:
        return None
    status = record.http_headers.get_statuscode() or ""
    content_type = record.http_headers.get_header("Content-Type") or ""
    mime, _, params = content_type.partition(";")
    if not status.startswith("2") or mime.strip().lower() not in HTML_TYPES:
        return None
    data = record.content_stream().read(MAX_DOCUMENT_BYTES + 1)
    if len(data) > MAX_DOCUMENT_BYTES:
        log.warning("%s: response larger than %d bytes, skipped", origin, MAX_DOCUMENT_BYTES)
        return None
    url = record.rec_headers.get_header("WARC-Target-URI")
    return RawArticle(source=source_for(url, source), body=decode_html(data, _charset(params)),
                      content_type="text/html", url=url,
                      fetched_at=aware_or_none(record.rec_headers.get_header("WARC-Date")))


def _charset(params: str) -> str | None:
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip():
            return value.strip().strip("\"'")
    return None


def decode_html(data: bytes, declared: str | None) -> str:
    """Page bytes to text: valid UTF-8 (or a BOM) wins, then the HTTP charset, then what
    the page itself declares (``decode_bytes``), as browsers roughly do."""
    if declared is None or data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        return decode_bytes(data)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode(declared, errors="replace")
    except LookupError:
        return decode_bytes(data)


