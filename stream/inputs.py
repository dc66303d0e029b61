"""Readers that turn files into raw-article payloads, exactly as ``stream produce`` sends them.

JSON Lines pass through byte for byte (so malformed lines reach the dead-letter path as
they would from any producer); ``.txt`` and ``.html`` files become one raw article each.
"""

from __future__ import annotations

import gzip
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson

from stream.codec import encode_raw
from stream.core.ids import article_id
from stream.core.models import RawArticle
from stream.errors import InputError

TEXT_SUFFIXES = {".txt": "text/plain", ".html": "text/html", ".htm": "text/html"}
JSONL_SUFFIXES = {".jsonl", ".ndjson", ".json"}


@dataclass(frozen=True, slots=True)
class Payload:
    """One message for ``articles.raw``: its key (article id when known) and value bytes."""

    key: bytes | None
    value: bytes
    origin: str


def iter_payloads(paths: Iterable[str], *, source: str = "files") -> Iterator[Payload]:
    for name in paths:
        if name == "-":
            yield from _jsonl_lines(sys.stdin.buffer, "<stdin>")
            continue
        path = Path(name)
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                if _kind(child) is not None:
                    yield from _file_payloads(child, source)
        elif path.is_file():
            if _kind(path) is None:
                raise InputError(f"{path}: unsupported file type (use .jsonl, .txt or .html)")
            yield from _file_payloads(path, source)
        else:
            raise InputError(f"{path}: no such file or directory")


def _kind(path: Path) -> str | None:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    last = suffixes[-1] if suffixes else ""
    if last in JSONL_SUFFIXES:
        return "jsonl"
    return TEXT_SUFFIXES.get(last)


def _open(path: Path) -> bytes:
    try:
        data = path.read_bytes()
        return gzip.decompress(data) if path.suffix.lower() == ".gz" else data
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise InputError(f"{path}: cannot read: {exc}") from exc


def _file_payloads(path: Path, source: str) -> Iterator[Payload]:
    kind = _kind(path)
    if kind == "jsonl":
        yield from _jsonl_bytes(_open(path), str(path))
        return
    assert kind is not None
    body = _open(path).decode("utf-8", errors="replace")
    raw = RawArticle(source=source, body=body, content_type=kind, url=None)
    yield Payload(article_id(source, None, body).encode(), encode_raw(raw), str(path))


def _jsonl_lines(stream: Iterable[bytes], origin: str) -> Iterator[Payload]:
    for number, line in enumerate(stream, start=1):
        if line.strip():
            yield Payload(_key_of(line), line.rstrip(b"\r\n"), f"{origin}:{number}")


def _jsonl_bytes(data: bytes, origin: str) -> Iterator[Payload]:
    yield from _jsonl_lines(data.splitlines(), origin)


def _key_of(line: bytes) -> bytes | None:
    """Key a well-formed line by its article id; leave malformed ones unkeyed."""
    try:
        doc = orjson.loads(line)
        return article_id(doc["source"], doc.get("url"), doc["body"]).encode()
    except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError):
        return None
