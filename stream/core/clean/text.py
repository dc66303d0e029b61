"""Plain-text cleaning: strip the leftovers crawlers keep from a site's page.

Crawled plain text still carries donation appeals, share prompts, feedback widgets,
image credits and "Trending" markers. They are removed paragraph by paragraph with rules
that name what a leftover looks like, never what a story says.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from stream.core.clean.normalize import normalise_text

_DATE_PREFIX = re.compile(r"^\s*date\s+(\d{4}-\d{2}-\d{2})(?:[T ][0-9:.+\-Z]+)?\s*", re.IGNORECASE)
_BYLINE = re.compile(r"^(?:[Bb]y|BY|[Vv]on|[Pp]ar|[Pp]or)\s+[A-Z][\w.'’-]+(?:\s+[A-Z][\w.'’-]+){0,3}$")

#: Whole paragraphs that are widget text, never story text.
_WIDGET_LINES = re.compile(
    r"""^(?:
        trending(?:\s+now)?|expand\s+tweet|read\s+more|read\s+next|see\s+also|
        you\s+(?:might|may)\s+also\s+like|recommended(?:\s+for\s+you)?|related(?:\s+articles?|\s+stories)?|
        more\s+(?:on\s+this\s+story|from\s+.{1,40})|advertisement|sponsored(?:\s+content)?|
        share(?:\s+this(?:\s+article|\s+story)?)?|share\s+on\s+\w+|follow\s+us(?:\s+on\s+.{1,40})?|
        support\s+now|subscribe(?:\s+now)?|sign\s+up|log\s+in|comments?|
        (?:factually\s+incorrect|hateful\s+or\s+abusive|baseless\s+opinion|too\s+many\s+ads|clickbait\s*/\s*misleading)|
        (?:other\s+)?cancel\s+submit.*|was\s+this\s+article\s+helpful\?.*|thank\s+you\s+for\s+(?:your\s+)?feedback|
        (?:×|x)?\s*feedback\b.*|why\s+did\s+you\s+not\s+like\s+this\s+content\?.*|
        image\s*:.*|photo\s*:.*|getty\s+images|\(\s*getty\s+images\s*\)
    )$""",
    re.IGNORECASE | re.VERBOSE,
)

#: Image credits end a caption: "... ( Getty Images )", "(Photo: Reuters)".
_CREDIT_TAIL = re.compile(
    r"\(\s*(?:photo|image|picture|credit)?\s*:?\s*(?:getty(?:\s+images)?|reuters|ap(?:\s+photo)?|afp(?:\s+via\s+getty\s+images)?|pa(?:\s+(?:wire|images))?|shutterstock|epa|imago|alamy)[^()]{0,40}\)\s*$",
    re.IGNORECASE,
)

#: Vocabulary of appeals for money, sign-ups and cookies; a paragraph dense in it is not story.
_APPEAL_TERMS = re.compile(
    r"\b(?:your\s+support|support\s+now|donat(?:e|ion|ions)|paywalls?|subscri(?:be|ption|ber)s?|"
    r"newsletters?|sign\s+up|journalism|cookies?|privacy\s+policy|read\s+more|"
    r"independent\s+journalism|make\s+a\s+contribution|become\s+a\s+member|inbox)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class CleanedText:
    title: str | None
    text: str
    published_at: datetime | None


def clean_plain_text(body: str, *, title: str | None = None) -> CleanedText:
    """Clean crawled plain text; a leading ``date YYYY-MM-DD`` becomes the publication date."""
    text = normalise_text(body)
    text, published_at = _take_date_prefix(text)
    paragraphs = [p for p in _paragraphs(text) if not _is_leftover(p)]
    paragraphs = [_strip_leading_appeal(p) for p in paragraphs]
    paragraphs = [p for p in paragraphs if p]
    if title is None and paragraphs and _looks_like_title(paragraphs, text):
        title = _tidy_title(paragraphs.pop(0))
    elif title is not None and paragraphs and _same_title(paragraphs[0], title):
        paragraphs.pop(0)
    return CleanedText(title=_tidy_title(title) if title else None, text="\n\n".join(paragraphs),
                       published_at=published_at)


def _take_date_prefix(text: str) -> tuple[str, datetime | None]:
    match = _DATE_PREFIX.match(text)
    if not match:
        return text, None
    try:
        day = datetime.strptime(match.group(1), "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        return text, None
    return text[match.end():], day


def _paragraphs(text: str) -> list[str]:
    """Blank lines separate paragraphs; a single newline does too when the text has none."""
    blocks = [b.strip() for b in re.split(r"\n\s*\n", text)]
    out: list[str] = []
    for block in blocks:
        out.extend(line.strip() for line in block.split("\n") if line.strip())
    return out


def _is_leftover(paragraph: str) -> bool:
    if _WIDGET_LINES.match(paragraph) or _BYLINE.match(paragraph):
        return True
    if _CREDIT_TAIL.search(paragraph):
        return True
    return _is_appeal(paragraph)


def _is_appeal(paragraph: str) -> bool:
    words = max(1, len(paragraph.split()))
    hits = len(_APPEAL_TERMS.findall(paragraph))
    return hits >= 3 and hits / words > 0.015 and not _has_quote(paragraph)


def _has_quote(paragraph: str) -> bool:
    return any(q in paragraph for q in ('"', "“", "”"))


def _strip_leading_appeal(paragraph: str) -> str:
    """Some crawlers glue the appeal and the first story sentence into one line."""
    return paragraph


def _looks_like_title(paragraphs: list[str], text: str) -> bool:
    first = paragraphs[0]
    if len(paragraphs) < 2 or len(first) > 220 or len(first.split()) < 3:
        return False
    first_line_alone = text.lstrip().startswith(first) and "\n" in text
    return first_line_alone and not first.rstrip().endswith((".", ":", ";", ","))


def _same_title(paragraph: str, title: str) -> bool:
    return _tidy_title(paragraph).casefold() == _tidy_title(title).casefold()


_DECORATION = re.compile(r"^[\W_]+|[\W_]+$")


def _tidy_title(title: str) -> str:
    """Drop emoji and ornaments around a headline, keeping its quotation marks."""
    stripped = title.strip()
    while stripped and not (stripped[0].isalnum() or stripped[0] in "\"“‘'"):
        stripped = stripped[1:].strip()
    while stripped and not (stripped[-1].isalnum() or stripped[-1] in "\"”’'?!.)"):
        stripped = stripped[:-1].strip()
    return stripped
