"""Page metadata: headline, publication date, language, author, JSON-LD.

Why separate from body extraction: metadata comes from ``<head>`` and
structured data, which publishers fill in for search engines and social
cards; those sources are far more reliable than anything inferred from the
visible layout, so they are read first and independently.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

from selectolax.lexbor import LexborHTMLParser

_ARTICLE_TYPES = frozenset(
    {
        "article",
        "newsarticle",
        "reportagenewsarticle",
        "analysisnewsarticle",
        "opinionnewsarticle",
        "reviewnewsarticle",
        "backgroundnewsarticle",
        "blogposting",
        "socialmediaposting",
        "liveblogposting",
        "techarticle",
        "scholarlyarticle",
        "report",
        "review",
        "medicalwebpage",
        "webpage",
        "creativework",
        "posting",
    }
)

_DATE_META_KEYS = (
    "article:published_time",
    "og:published_time",
    "og:article:published_time",
    "datepublished",
    "publish-date",
    "publish_date",
    "pubdate",
    "publishdate",
    "parsely-pub-date",
    "sailthru.date",
    "dc.date.issued",
    "dc.date",
    "dcterms.created",
    "date",
    "article.published",
    "article_date_original",
    "cxenseparse:recs:publishtime",
)
_AUTHOR_META_KEYS = (
    "author",
    "article:author",
    "parsely-author",
    "sailthru.author",
    "dc.creator",
    "byl",
    "twitter:creator",
)
_LANG_META_KEYS = ("content-language", "language", "dc.language", "og:locale")
_TITLE_SEPARATORS = re.compile(r"\s+(?:\||-|–|—|::|•|·|»|/)\s+")
_ISO_DATE_RE = re.compile(
    r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?"
    r"(?:Z|[+-]\d{2}:?\d{2})?)?"
)
_LANG_RE = re.compile(r"^([a-zA-Z]{2})(?:$|[-_])")
_BYLINE_PREFIX_RE = re.compile(r"^\s*by\s+", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class PageMeta:
    """Metadata gathered before the DOM is pruned."""

    title: str | None
    published_at: str | None
    language: str | None
    author: str | None
    article_body: str | None


def read_meta(tree: LexborHTMLParser) -> PageMeta:
    """Collect metadata from ``<meta>``, JSON-LD, ``<html lang>`` and ``<time>``.

    Must run before scripts are stripped because JSON-LD lives in scripts.
    """
    metas = _meta_map(tree)
    ld = _json_ld_article(tree)
    title = _pick_title(tree, metas, ld)
    return PageMeta(
        title=title,
        published_at=_pick_date(tree, metas, ld),
        language=_pick_language(tree, metas, ld),
        author=_pick_author(metas, ld),
        article_body=_ld_text(ld.get("articleBody")) if ld else None,
    )


def _meta_map(tree: LexborHTMLParser) -> dict[str, str]:
    """``name``/``property``/``itemprop``/``http-equiv`` -> content (first wins)."""
    out: dict[str, str] = {}
    for node in tree.css("meta"):
        attrs = node.attributes
        content = attrs.get("content")
        if not content:
            continue
        for key_attr in ("property", "name", "itemprop", "http-equiv"):
            key = attrs.get(key_attr)
            if key:
                out.setdefault(key.strip().lower(), content.strip())
    return out


def _json_ld_objects(tree: LexborHTMLParser) -> list[dict[str, Any]]:
    """All JSON objects in ``application/ld+json`` scripts, ``@graph`` flattened."""
    found: list[dict[str, Any]] = []
    for node in tree.css('script[type="application/ld+json"]'):
        raw = node.text(deep=True)
        if not raw or len(raw) > 2_000_000:
            continue
        try:
            data = json.loads(raw)
        except ValueError:
            continue
        _flatten_ld(data, found, 0)
    return found


def _flatten_ld(data: Any, out: list[dict[str, Any]], depth: int) -> None:
    """Depth-limited walk collecting dicts that carry an ``@type``."""
    if depth > 6 or len(out) > 200:
        return
    if isinstance(data, list):
        for item in data:
            _flatten_ld(item, out, depth + 1)
    elif isinstance(data, dict):
        if "@type" in data:
            out.append(data)
        graph = data.get("@graph")
        if graph is not None:
            _flatten_ld(graph, out, depth + 1)
        main = data.get("mainEntity")
        if isinstance(main, dict | list):
            _flatten_ld(main, out, depth + 1)


def _types(obj: dict[str, Any]) -> set[str]:
    """Lower-cased ``@type`` values of a JSON-LD object."""
    raw = obj.get("@type")
    values = raw if isinstance(raw, list) else [raw]
    return {v.lower() for v in values if isinstance(v, str)}


def _json_ld_article(tree: LexborHTMLParser) -> dict[str, Any]:
    """The most article-like JSON-LD object (one with a body or headline)."""
    best: dict[str, Any] = {}
    best_rank = -1
    for obj in _json_ld_objects(tree):
        types = _types(obj)
        if not types & _ARTICLE_TYPES:
            continue
        rank = (2 if obj.get("articleBody") else 0) + (1 if obj.get("headline") else 0)
        rank += 0 if types <= {"webpage", "creativework"} else 4
        if rank > best_rank:
            best, best_rank = obj, rank
    return best


def _ld_text(value: Any) -> str | None:
    """A JSON-LD scalar as stripped text (first item of lists)."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, str):
        value = " ".join(value.split())
        return value or None
    return None


def _node_text(tree: LexborHTMLParser, selector: str) -> str | None:
    """Whitespace-normalised text of the first node matching ``selector``."""
    node = tree.css_first(selector)
    if node is None:
        return None
    text = " ".join(node.text(deep=True).split())
    return text or None


def _pick_title(tree: LexborHTMLParser, metas: dict[str, str], ld: dict[str, Any]) -> str | None:
    """Headline: og:title / JSON-LD headline / h1, else ``<title>`` minus site."""
    for candidate in (
        metas.get("og:title"),
        _ld_text(ld.get("headline")),
        metas.get("twitter:title"),
        _node_text(tree, "h1"),
    ):
        if candidate:
            cleaned = _strip_site_name(" ".join(candidate.split()), metas)
            if cleaned:
                return cleaned
    title = _node_text(tree, "title")
    return _strip_site_name(title, metas) if title else None


def _strip_site_name(title: str, metas: dict[str, str]) -> str:
    """Remove a trailing (or leading) ``| Site Name`` segment from a title.

    Why: ``<title>`` and often og:title carry the publisher name, which is
    not part of the headline.
    """
    parts = _TITLE_SEPARATORS.split(title)
    if len(parts) < 2:
        return title
    site = (metas.get("og:site_name") or "").lower()
    if site:
        kept = [p for p in parts if p.lower() != site]
        if kept and len(kept) < len(parts):
            return " - ".join(kept)
    # Without a known site name, drop a short last segment only.
    if len(parts[-1]) < 0.5 * len(parts[0]) and len(parts[-1].split()) <= 4:
        return " - ".join(parts[:-1])
    return title


def normalise_date(value: str | None) -> str | None:
    """ISO-8601 date/datetime from common metadata formats, else ``None``.

    Placeholder dates (``0001-01-01``, CMS defaults) are rejected: a wrong
    date is worse than none for downstream recency logic.
    """
    iso = _parse_date(value)
    if iso is None or not 1900 <= int(iso[:4]) <= 2200:
        return None
    return iso


def _parse_date(value: str | None) -> str | None:
    """Best-effort ISO rendering of one date string (no plausibility check)."""
    if not value:
        return None
    value = value.strip()
    match = _ISO_DATE_RE.match(value)
    if match:
        iso = match.group(0).replace(" ", "T", 1)
        return iso
    compact = re.match(r"^(\d{4})(\d{2})(\d{2})(?:$|T)", value)
    if compact:
        return f"{compact.group(1)}-{compact.group(2)}-{compact.group(3)}"
    try:
        return parsedate_to_datetime(value).isoformat()
    except (TypeError, ValueError, IndexError):
        pass
    for fmt in ("%Y/%m/%d", "%Y.%m.%d", "%B %d, %Y", "%b %d, %Y", "%d %B %Y"):
        try:
            return datetime.strptime(value, fmt).date().isoformat()
        except ValueError:
            continue
    return None


def _pick_date(tree: LexborHTMLParser, metas: dict[str, str], ld: dict[str, Any]) -> str | None:
    """Publication date from meta tags, JSON-LD, then the first ``<time>``."""
    for key in _DATE_META_KEYS[:3]:
        found = normalise_date(metas.get(key))
        if found:
            return found
    found = normalise_date(_ld_text(ld.get("datePublished")))
    if found:
        return found
    for key in _DATE_META_KEYS[3:]:
        found = normalise_date(metas.get(key))
        if found:
            return found
    for node in tree.css("time[datetime]")[:3]:
        found = normalise_date(node.attributes.get("datetime"))
        if found:
            return found
    return None


def normalise_language(value: str | None) -> str | None:
    """Two-letter lower-case language code from ``en-US``, ``en_GB``, ``fr``."""
    if not value:
        return None
    match = _LANG_RE.match(value.strip().split(",")[0].strip())
    return match.group(1).lower() if match else None


def _pick_language(tree: LexborHTMLParser, metas: dict[str, str], ld: dict[str, Any]) -> str | None:
    """``<html lang>``, then language metas, then JSON-LD ``inLanguage``."""
    html = tree.css_first("html")
    if html is not None:
        found = normalise_language(html.attributes.get("lang"))
        if found:
            return found
        found = normalise_language(html.attributes.get("xml:lang"))
        if found:
            return found
    for key in _LANG_META_KEYS:
        found = normalise_language(metas.get(key))
        if found:
            return found
    return normalise_language(_ld_text(ld.get("inLanguage")))


def _ld_author(value: Any) -> str | None:
    """Names from a JSON-LD ``author`` (object, string or list of either)."""
    items = value if isinstance(value, list) else [value]
    names: list[str] = []
    for item in items[:5]:
        name = item.get("name") if isinstance(item, dict) else item
        text = _ld_text(name)
        if text and text not in names:
            names.append(text)
    return ", ".join(names) or None


def _clean_author(value: str | None) -> str | None:
    """Reject URLs and handles; strip a leading ``By``."""
    if not value:
        return None
    value = _BYLINE_PREFIX_RE.sub("", " ".join(value.split()))
    if not value or "://" in value or value.startswith(("@", "www.")):
        return None
    if len(value) > 120:
        return None
    return value


def _pick_author(metas: dict[str, str], ld: dict[str, Any]) -> str | None:
    """Byline from JSON-LD ``author`` or author-ish meta tags."""
    found = _clean_author(_ld_author(ld.get("author")))
    if found:
        return found
    for key in _AUTHOR_META_KEYS:
        found = _clean_author(metas.get(key))
        if found:
            return found
    return None
