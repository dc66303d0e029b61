"""Inputs of ``stream produce`` / ``stream process``: JSON Lines, text, HTML, gzip, WARC,
feeds and directories of them, all bounded, all failing with one clear error."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from stream import inputs
from stream.cli import main
from stream.core.ids import article_id
from stream.errors import InputError
from stream.inputs import Payload, decode_html, iter_payloads, kind_of

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "inputs"
PAGE = ("<html><head><title>Derby report</title></head><body><article><h1>Celtic beat Rangers"
        "</h1><p>Celtic beat Rangers 3-0 at Celtic Park on Saturday in a one-sided derby. "
        "The home side scored twice before the break and never looked back.</p><p>Brendan "
        "Rodgers said the performance was the best of the season. Caf\u00e9 owners near the "
        "ground reported a busy night.</p></article></body></html>")


def _values(payloads: list[Payload]) -> list[dict[str, object]]:
    return [orjson.loads(p.value) for p in payloads]


def _warc(path: Path, records: list[tuple[str, str, str, bytes]], *, compress: bool) -> None:
    """A small WARC written with warcio: (url, HTTP status line, content type, body)."""
    with path.open("wb") as out:
        writer = WARCWriter(out, gzip=compress)
        writer.write_record(writer.create_warc_record(
            "https://ignored.example/request", "request", payload=io.BytesIO(b"GET / HTTP/1.1\r\n\r\n")))
        for url, status, content_type, body in records:
            http = StatusAndHeaders(status, [("Content-Type", content_type)], protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(
                url, "response", payload=io.BytesIO(body), http_headers=http,
                warc_headers_dict={"WARC-Date": "2025-11-09T20:15:00Z"}))


def test_jsonl_passes_through_byte_for_byte_and_is_keyed_by_article_id(tmp_path: Path) -> None:
    line = b'{"source": "s", "url": "https://s.example/1", "body": "Arsenal won."}'
    path = tmp_path / "a.jsonl"
    path.write_bytes(line + b"\n\n{broken\n")
    good, bad = iter_payloads([str(path)])
    assert good.value == line and good.key == article_id("s", "https://s.example/1", "Arsenal won.").encode()
    assert bad.value == b"{broken" and bad.key is None
    assert bad.origin.endswith("a.jsonl:3")


def test_gzip_files_give_the_same_payloads_as_plain_ones(tmp_path: Path) -> None:
    plain_jsonl = tmp_path / "a.jsonl"
    plain_jsonl.write_bytes(b'{"source": "s", "body": "One."}\n{"source": "s", "body": "Two."}\n')
    plain_html = tmp_path / "story.html"
    plain_html.write_text(PAGE, encoding="utf-8")
    for plain in (plain_jsonl, plain_html):
        packed = plain.with_name(plain.name + ".gz")
        packed.write_bytes(gzip.compress(plain.read_bytes()))
        assert [(p.key, p.value) for p in iter_payloads([str(packed)])] == \
            [(p.key, p.value) for p in iter_payloads([str(plain)])]


def test_a_corrupt_gzip_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.jsonl.gz"
    path.write_bytes(b"\x1f\x8b\x08\x00not really gzip")
    with pytest.raises(InputError, match=r"broken\.jsonl\.gz: cannot read"):
        list(iter_payloads([str(path)]))


def test_decompression_is_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(inputs, "MAX_DOCUMENT_BYTES", 10_000)
    path = tmp_path / "bomb.html.gz"
    path.write_bytes(gzip.compress(b"<p>" + b"a" * 1_000_000))  # ~1 KiB on disk
    with pytest.raises(InputError, match="larger than 10000 bytes"):
        list(iter_payloads([str(path)]))


def test_text_and_html_files_become_raw_articles(tmp_path: Path) -> None:
    (tmp_path / "note.txt").write_text("Celtic won.\n", encoding="utf-8")
    (tmp_path / "page.html").write_bytes(PAGE.encode("cp1252").replace(
        b"<head>", b'<head><meta charset="windows-1252">'))
    note, page = _values(list(iter_payloads([str(tmp_path)], source="desk")))
    assert note == {"source": "desk", "body": "Celtic won.\n", "content_type": "text/plain"}
    assert page["content_type"] == "text/html" and "Caf\u00e9" in str(page["body"])


def test_directories_are_walked_for_every_supported_kind_in_order(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.jsonl").write_bytes(b'{"source": "s", "body": "From JSON Lines."}\n')
    (tmp_path / "sub" / "b.txt").write_text("From a text file.", encoding="utf-8")
    (tmp_path / "c.rss").write_bytes((FIXTURES / "feed.rss").read_bytes())
    _warc(tmp_path / "d.warc.gz", [("https://d.example/x", "200 OK", "text/html", PAGE.encode())],
          compress=True)
    (tmp_path / "e.png").write_bytes(b"\x89PNG not an article")
    origins = [p.origin for p in iter_payloads([str(tmp_path)])]
    assert [o.rsplit("/", 1)[-1] for o in origins] == [
        "a.jsonl:1", "c.rss#1", "c.rss#2", "d.warc.gz#2", "b.txt"]


def test_unsupported_and_missing_paths_are_one_clear_error(tmp_path: Path) -> None:
    image = tmp_path / "photo.png"
    image.write_bytes(b"\x89PNG")
    with pytest.raises(InputError, match="unsupported file type"):
        list(iter_payloads([str(image)]))
    with pytest.raises(InputError, match="no such file or directory"):
        list(iter_payloads([str(tmp_path / "missing.jsonl")]))


@pytest.mark.parametrize("name,kind", [
    ("a.jsonl", "jsonl"), ("a.ndjson.gz", "jsonl"), ("a.TXT", "text/plain"),
    ("a.htm.gz", "text/html"), ("crawl.warc", "warc"), ("crawl.warc.gz", "warc"),
    ("feed.xml", "feed"), ("feed.atom.gz", "feed"), ("a.rss", "feed"), ("a.pdf", None),
    ("archive.gz", None)])
def test_kind_of(name: str, kind: str | None) -> None:
    assert kind_of(Path(name)) == kind


@pytest.mark.parametrize("compress", [False, True])
def test_warc_html_responses_become_raw_articles(tmp_path: Path, compress: bool) -> None:
    path = tmp_path / ("crawl.warc.gz" if compress else "crawl.warc")
    latin = PAGE.encode("iso-8859-1")
    _warc(path, [
        ("https://www.derby-news.example/celtic-rangers", "200 OK",
         "text/html; charset=ISO-8859-1", latin),
        ("https://derby-news.example/missing", "404 Not Found", "text/html", b"<p>gone</p>"),
        ("https://derby-news.example/logo.png", "200 OK", "image/png", b"\x89PNG"),
        ("https://derby-news.example/utf8", "200 OK", "text/html", PAGE.encode("utf-8")),
    ], compress=compress)
    payloads = list(iter_payloads([str(path)]))
    first, second = _values(payloads)
    assert first["url"] == "https://www.derby-news.example/celtic-rangers"
    assert first["source"] == "derby-news.example"  # the host, as --source was not given
    assert first["fetched_at"] == "2025-11-09T20:15:00+00:00"
    assert first["content_type"] == "text/html"
    assert "Caf\u00e9" in str(first["body"]) and "\ufffd" not in str(first["body"])
    assert "Caf\u00e9" in str(second["body"])
    assert payloads[0].key == article_id(
        "derby-news.example", str(first["url"]), str(first["body"])).encode()
    assert _values(list(iter_payloads([str(path)], source="crawler-7")))[0]["source"] == "crawler-7"


def test_a_file_that_is_not_a_warc_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "fake.warc"
    path.write_bytes(b"this is not a WARC archive\n" * 10)
    with pytest.raises(InputError, match=r"fake\.warc: not a readable WARC archive"):
        list(iter_payloads([str(path)]))


def test_stream_process_accepts_a_warc(tmp_path: Path) -> None:
    path = tmp_path / "crawl.warc.gz"
    _warc(path, [("https://derby-news.example/celtic-rangers", "200 OK", "text/html",
                  PAGE.encode())], compress=True)
    result = CliRunner().invoke(main, ["process", str(path)])
    assert result.exit_code == 0, result.output
    enriched = [line["value"] for line in map(orjson.loads, result.output.splitlines())
                if line["topic"] == "articles.enriched"]
    assert [e["url"] for e in enriched] == ["https://derby-news.example/celtic-rangers"]
    assert "Celtic beat Rangers 3-0" in enriched[0]["text"]


@pytest.mark.parametrize("data,declared,expected", [
    ("Café".encode(), "iso-8859-1", "Café"),          # valid UTF-8 wins over a wrong label
    ("Café".encode("iso-8859-1"), "iso-8859-1", "Café"),
    ("Café".encode("cp1252"), "no-such-charset", "Café"),  # unknown label: sniffed
    (b'<meta charset="iso-8859-15">\xa4', None, '<meta charset="iso-8859-15">\u20ac'),
])
def test_decode_html(data: bytes, declared: str | None, expected: str) -> None:
    assert decode_html(data, declared) == expected


def test_an_xml_file_that_is_not_a_feed_is_skipped_in_a_directory_but_refused_alone(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "sitemap.xml").write_bytes((FIXTURES / "not-a-feed.xml").read_bytes())
    (tmp_path / "news.xml").write_bytes((FIXTURES / "feed.atom").read_bytes())
    with caplog.at_level("WARNING", logger="stream.inputs"):
        assert len(list(iter_payloads([str(tmp_path)]))) == 3
    assert "sitemap.xml: not an RSS or Atom feed, skipped" in caplog.text
    with pytest.raises(InputError, match="not an RSS or Atom feed"):
        list(iter_payloads([str(tmp_path / "sitemap.xml")]))


def test_hostile_feeds_are_refused_even_inside_a_directory(tmp_path: Path) -> None:
    (tmp_path / "bomb.xml").write_bytes((FIXTURES / "billion-laughs.xml").read_bytes())
    with pytest.raises(InputError, match="unsafe XML refused"):
        list(iter_payloads([str(tmp_path)]))
