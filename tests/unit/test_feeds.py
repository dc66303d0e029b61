"""RSS and Atom feeds: items to raw articles, hostile XML refused, fetches bounded."""

from __future__ import annotations

import gzip
import logging
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import orjson
import pytest

from stream.errors import InputError
from stream.feeds import fetch, looks_like_feed, parse_feed
from stream.inputs import iter_payloads

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "inputs"
REPO = Path(__file__).resolve().parents[2]
RSS = (FIXTURES / "feed.rss").read_bytes()


def test_rss_items_prefer_full_content_and_keep_title_link_and_date() -> None:
    first, second, empty = parse_feed(RSS, "feed.rss")
    assert first.title == "Celtic Sweep Aside Rangers & Go Clear"
    assert first.url == "https://northern-football.example/celtic-rangers"
    assert first.published_at == datetime(2025, 4, 5, 18, 45, tzinfo=timezone(timedelta(hours=1)))
    assert first.body.startswith("<p>Celtic beat Rangers 3-0")  # content:encoded, not the teaser
    assert first.content_type == "text/html"
    # No <link>: a permalink guid is the URL; dc:date stands in for pubDate; the escaped
    # HTML description is the body.
    assert second.url == "https://northern-football.example/aberdeen-hearts"
    assert second.published_at == datetime(2025, 4, 6, 16, 0, tzinfo=UTC)
    assert second.body.startswith("<p>Aberdeen drew 1-1")
    assert empty.body == ""


def test_atom_entries_handle_html_xhtml_and_text_content() -> None:
    html, xhtml, text = parse_feed((FIXTURES / "feed.atom").read_bytes(), "feed.atom")
    assert html.title == "Inter edge Napoli"  # markup stripped from an html title
    assert html.url == "https://calcio-notes.example/inter-napoli"  # rel=alternate, not replies
    assert html.published_at == datetime(2025, 3, 1, 20, 45, tzinfo=timezone(timedelta(hours=1)))
    assert html.content_type == "text/html" and html.body.startswith("<p>Inter beat Napoli")
    assert xhtml.body.startswith("<div><p>Roma drew 1-1")  # serialised back, no namespace
    assert xhtml.published_at == datetime(2025, 3, 2, 21, 0, tzinfo=UTC)  # <updated> fallback
    assert text.content_type == "text/plain"  # a '<' in plain text must stay text
    assert text.body == "Juventus beat Torino 2-0 < a plain text summary, not markup."


def test_feed_items_become_keyed_raw_articles_and_empty_ones_are_skipped(
        caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="stream.inputs"):
        payloads = list(iter_payloads([str(FIXTURES / "feed.rss")]))
    values = [orjson.loads(p.value) for p in payloads]
    assert [v["source"] for v in values] == ["northern-football.example"] * 2
    assert values[0]["published_at"] == "2025-04-05T18:45:00+01:00"
    assert values[0]["title"] == "Celtic Sweep Aside Rangers & Go Clear"
    assert all(p.key for p in payloads)
    assert "item 3" in caplog.text and "skipped" in caplog.text


@pytest.mark.parametrize("name", ["billion-laughs.xml", "external-entity.xml"])
def test_hostile_xml_is_refused_not_expanded(name: str) -> None:
    started = time.monotonic()
    with pytest.raises(InputError, match="unsafe XML refused"):
        parse_feed((FIXTURES / name).read_bytes(), name)
    assert time.monotonic() - started < 1.0


@pytest.mark.parametrize("name", ["billion-laughs.xml", "external-entity.xml"])
def test_hostile_feed_on_the_command_line_is_one_error_line(name: str) -> None:
    proc = subprocess.run([sys.executable, "-m", "stream.cli", "process", str(FIXTURES / name)],
                          capture_output=True, text=True, cwd=REPO, timeout=60)
    assert proc.returncode == 1 and proc.stdout == ""
    [line] = proc.stderr.strip().splitlines()
    assert line.startswith("Error: ") and "unsafe XML refused" in line
    assert "root:" not in proc.stderr  # nothing of /etc/passwd leaked anywhere


@pytest.mark.parametrize("data,message", [
    ((FIXTURES / "not-a-feed.xml").read_bytes(), "not an RSS or Atom feed"),
    (b"<rss><channel><item></channel>", "not well-formed XML"),
])
def test_documents_that_are_not_feeds_are_refused(data: bytes, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_feed(data, "doc.xml")


def test_compressed_feed_files_are_read(tmp_path: Path) -> None:
    packed = tmp_path / "feed.rss.gz"
    packed.write_bytes(gzip.compress(RSS))
    assert len(list(iter_payloads([str(packed)]))) == 2


def test_looks_like_feed() -> None:
    assert looks_like_feed(RSS) and looks_like_feed((FIXTURES / "feed.atom").read_bytes())
    assert not looks_like_feed(b'{"source": "s"}')


# ------------------------------------------------------------------------ fetching


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        routes = {"/feed": (200, RSS), "/big": (200, b"<rss>" + b" " * 200_000 + b"</rss>")}
        if self.path == "/slow":
            time.sleep(2)
        if self.path in ("/to-file", "/to-ftp"):
            self.send_response(302)
            self.send_header("Location", "file:///etc/passwd" if self.path == "/to-file"
                             else "ftp://127.0.0.1/feed.xml")
            self.end_headers()
            return
        status, body = routes.get(self.path, (404, b"not found"))
        self.send_response(status)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # the timed-out client of /slow has gone: nothing to report


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = _QuietServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_a_feed_url_is_fetched_and_its_items_produced(server: str) -> None:
    payloads = list(iter_payloads([f"{server}/feed"]))
    assert [orjson.loads(p.value)["url"] for p in payloads] == [
        "https://northern-football.example/celtic-rangers",
        "https://northern-football.example/aberdeen-hearts"]


def test_fetch_is_bounded_in_size(server: str) -> None:
    with pytest.raises(InputError, match="larger than 1000 bytes"):
        fetch(f"{server}/big", limit=1000)


def test_fetch_is_bounded_in_time(server: str) -> None:
    started = time.monotonic()
    with pytest.raises(InputError, match="cannot fetch"):
        fetch(f"{server}/slow", timeout=0.3)
    assert time.monotonic() - started < 1.5


def test_fetch_refuses_redirects_off_http_and_reports_http_errors(server: str) -> None:
    with pytest.raises(InputError, match=r"redirect to ftp://127\.0\.0\.1/feed\.xml refused"):
        fetch(f"{server}/to-ftp")
    with pytest.raises(InputError, match="file:///etc/passwd"):
        fetch(f"{server}/to-file")
    with pytest.raises(InputError, match="cannot fetch"):
        fetch(f"{server}/missing")
