"""Turn untrusted page bytes into a bounded, parser-safe HTML string.

Why a separate step: crawled pages arrive as bytes with unreliable charset
declarations, and some are hostile (binary junk, gigantic, pathologically
nested).  Everything here is cheap for ordinary pages and bounds the work the
HTML parser has to do for hostile ones, so extraction time stays predictable.
"""

from __future__ import annotations

import codecs
import re

# Pages larger than this (in characters, after dropping script/style bodies)
# are truncated: no real article needs megabytes of markup, and the walk over
# the DOM is linear in its size.
MAX_HTML_CHARS = 3_000_000

# lexbor's tree builder is quadratic in nesting depth (every start tag scans
# the stack of open elements), so markup nested deeper than this is flattened
# before parsing.  Real pages rarely exceed ~60 levels.
MAX_DEPTH = 256

# Below this many "<" characters the document cannot be nested deeply enough
# to be slow, so the depth scan is skipped (it is the common case).
_DEPTH_SCAN_MIN_TAGS = 6000

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

_META_CHARSET_RE = re.compile(
    rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([a-zA-Z0-9_:.\-]{2,40})""",
    re.IGNORECASE,
)

# WHATWG encoding aliases: browsers decode these labels with a superset codec,
# so we do the same to avoid spurious replacement characters.
_CODEC_SUPERSETS = {
    "ascii": "cp1252",
    "latin-1": "cp1252",
    "iso8859-1": "cp1252",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "shift_jis": "cp932",
    "euc_kr": "cp949",
    "big5": "big5hkscs",
    "iso8859-9": "cp1254",
    "tis-620": "cp874",
}

_RAW_TEXT_RE = re.compile(r"<(script|style)\b[^>]*>.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_TAG_RE = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)[^>]*>")
_VOID_TAGS = frozenset(
    [
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "source",
        "track",
        "wbr",
        "param",
        "keygen",
        "basefont",
        "bgsound",
        "frame",
    ]
)
_CONTROL_RE = re.compile(r"[\x00-\x08\x0e-\x1f]")


def decode_bytes(data: bytes) -> str:
    """Decode page bytes: BOM, then strict UTF-8, then the declared charset.

    Strict UTF-8 goes before the declared charset because a page that is
    valid UTF-8 is almost never really in another encoding, while charset
    declarations are frequently wrong (e.g. ``iso-8859-1`` on UTF-8 pages),
    which would otherwise produce mojibake.
    """
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return data.decode(codec, errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    declared = _declared_codec(data)
    if declared is not None:
        try:
            return data.decode(declared)
        except UnicodeDecodeError:
            return data.decode(declared, errors="replace")
    # Undeclared and not UTF-8: windows-1252 is the web's historical default.
    return data.decode("cp1252", errors="replace")


def _declared_codec(data: bytes) -> str | None:
    """Python codec name for the ``<meta charset>`` in the first 4 KiB."""
    match = _META_CHARSET_RE.search(data[:4096])
    if match is None:
        return None
    label = match.group(1).decode("ascii", errors="ignore").strip().lower()
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    if name in {"utf-8", "utf-16", "utf-16-le", "utf-16-be"}:
        # A UTF-16 declaration inside an ASCII-compatible document is
        # impossible; a failed UTF-8 decode means the label lies.
        return None
    return _CODEC_SUPERSETS.get(name, name)


def looks_binary(text: str) -> bool:
    """True if the start of the input is more than a few percent control characters or
    undecodable bytes.

    Why: binary blobs served as text/html would otherwise be parsed into a soup of junk
    "paragraphs". Random bytes decoded as windows-1252 give ~11% C0 controls and ~2%
    replacement characters; real pages, whatever their encoding, give next to none, so
    5% separates them with a wide margin on both sides.
    """
    head = text[:4096]
    if not head:
        return False
    suspicious = len(_CONTROL_RE.findall(head)) + head.count("\ufffd")
    return suspicious > 0.05 * len(head) or ("\x00" in head[:512] and "<" not in head)


def bound_html(html: str) -> str:
    """Make the markup cheap to parse: size cap and nesting-depth cap."""
    if "\x00" in html:
        html = html.replace("\x00", "")
    if len(html) > MAX_HTML_CHARS:
        html = _RAW_TEXT_RE.sub(" ", html)
        if len(html) > MAX_HTML_CHARS:
            html = html[:MAX_HTML_CHARS]
    if html.count("<") >= _DEPTH_SCAN_MIN_TAGS and _max_depth(html) > MAX_DEPTH:
        html = _flatten_deep_tags(html)
    return html


def _max_depth(html: str) -> int:
    """Approximate maximum element nesting depth (tag balance scan)."""
    depth = deepest = 0
    void = _VOID_TAGS
    for match in _TAG_RE.finditer(html):
        if match.group(1):
            if depth:
                depth -= 1
        elif match.group(2).lower() not in void and not match.group(0).endswith("/>"):
            depth += 1
            if depth > deepest:
                deepest = depth
    return deepest


def _flatten_deep_tags(html: str) -> str:
    """Drop start/end tags nested deeper than ``MAX_DEPTH`` (text is kept)."""
    depth = 0
    excess = 0

    def replace(match: re.Match[str]) -> str:
        nonlocal depth, excess
        if match.group(1):
            if excess:
                excess -= 1
                return " "
            if depth:
                depth -= 1
            return match.group(0)
        if match.group(2).lower() in _VOID_TAGS or match.group(0).endswith("/>"):
            return match.group(0)
        if depth >= MAX_DEPTH:
            excess += 1
            return " "
        depth += 1
        return match.group(0)

    return _TAG_RE.sub(replace, html)
