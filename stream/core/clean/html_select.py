"""Choose the article container and keep its body paragraphs.

Why this approach: the article body is the DOM subtree that holds the most
"prose" (long, comma-rich, link-poor paragraphs) and the least chrome.
Scoring every block and summing the scores up the ancestor chain finds that
subtree in one linear pass; boilerplate inside it (share bars, related
lists, captions) is then removed with class/tag semantics, link density and
a few phrase patterns.  JSON-LD ``articleBody``, when the publisher provides
it and it matches the page, is used as an extra vote for which blocks are
article text -- it is the publisher's own statement of the body.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from stream.core.clean.html_blocks import (
    HEADING_TAGS,
    NEGATIVE,
    POSITIVE,
    Block,
    Page,
)

_WORD_RE = re.compile(r"\w+")

# A JSON-LD articleBody of at least this many shingles (~150 words) is taken
# to be the full body even when the first pass found more text: teasers put
# in articleBody are one or two short paragraphs.
_FULL_REFERENCE_SHINGLES = 150

# Short lines that are page furniture even inside the article container.
# Single-word labels must make up the whole line ("Share", "Comments (12)")
# so that prose starting with the same word ("Share prices fell") survives;
# multi-word phrases are specific enough to match as a prefix.
_LABEL_RE = re.compile(
    r"^(?:advertisements?|advert|ad|ads|sponsored(?: content)?|related|more|share|"
    r"tweet|email|print|comments?|recommended|trending(?: now| news| stories)?|"
    r"subscribe|register|sign in|log in|login|menu|search|close|next|previous|"
    r"prev|top|home|video|photos?|gallery|listen|watch|don'?t miss|"
    # the "advertisement" label in a few other languages
    r"anzeige|werbung|publicidad|publicité|pubblicità|reklama|iklan|advertentie|"
    r"реклама)[\s:.!…»>|()\d]*$",
    re.IGNORECASE,
)
_BOILERPLATE_RE = re.compile(
    r"^(?:read more|read next|see also|also read|continue reading|"
    r"story continues below|(?:more|related|also|watch|listen|read)\s*:|"
    r"related (?:articles?|stories|content|coverage|posts?|links?)|"
    r"you (?:may|might) (?:also )?(?:like|enjoy|be interested)|"
    r"recommended for you|most (?:read|popular|viewed)|share (?:this|on)|"
    r"leave a (?:comment|reply)|sign up|follow us|click here|"
    r"(?:photo|image|picture|video|credit|source)s? ?:|"
    r"\(?(?:photo|image|picture)s?(?: credit)? by|getty images|"
    r"copyright\s*(?:©|\(c\)|\d{4})|all rights reserved|\(c\) \d{4}|"
    r"(?:previous|next) (?:article|post|story)|back to top|skip to|"
    r"filed under|posted in|categories?\s*:|tags?\s*:|"
    r"(?:additional )?(?:reporting|editing|writing) by|compiled by|"
    r"this (?:article|story) (?:was|is|has been) (?:originally )?"
    r"(?:published|updated)|last (?:updated|modified))(?!\w)|^©",
    re.IGNORECASE,
)
# "Posted on March 3, 2019 by admin", "Updated at 1:23 p.m.": short lines
# that open with a publication verb and carry a date.
_STAMP_RE = re.compile(
    r"^(?:posted|published|updated|last updated|publié|veröffentlicht|"
    r"aktualisiert|publicado|pubblicato|diposting|dipublikasikan)\b.*\d",
    re.IGNORECASE,
)
# A line that is only a date/time stamp ("Updated Nov. 18, 2019 12:02 PM").
_DATE_WORDS_RE = re.compile(
    r"\b(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|"
    r"aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\b\.?|"
    r"\b(?:mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|sat(?:ur)?|sun)(?:day)?\b\.?|"
    r"\b(?:am|pm|a\.m\.|p\.m\.)|"
    r"\b(?:updated|published|posted|last|modified|on|at|et|est|edt|pst|pdt|"
    r"gmt|utc|bst|cet|ist)\b|\d+|[\s,.:/|\-–—()]+",
    re.IGNORECASE,
)
# Photo captions and credits that survive as short paragraphs.
_CAPTION_RE = re.compile(
    r"©|\((?:photo|image|picture|credit|foto)s?\b|"
    r"\b(?:photo|image|picture|foto)s?(?: credit)?\s*(?::|courtesy\b)|"
    r"^(?:photo|image|picture|foto)s? by\b|"
    r"\bcourtesy of\b|\bgetty images\b|\b(?:ap|reuters|afp|epa) photo\b",
    re.IGNORECASE,
)
# End matter: promotion and contact lines that close many articles.
_END_MATTER_RE = re.compile(
    r"\b(?:subscribe|newsletters?|sign up|signup|"
    r"follow (?:us|him|her|them|me)\b|(?:can|may) be reached at|"
    r"contact (?:us|him|her|the author)|all rights reserved|"
    r"have a (?:news )?tip|click here|download (?:our|the) app)",
    re.IGNORECASE,
)
# "By Jane Doe and John Roe": capitalised names, not a sentence.
_BYLINE_RE = re.compile(
    r"^(?:[Bb]y|BY|[Vv]on|[Pp]ar|[Pp]or|[Dd]i|[Dd]oor|[Aa]v|[Pp]rzez)\s+"
    r"[A-ZÀ-Þ][\w.'’\-]*(?:(?:\s*[,|&]\s*|\s+)(?:[A-ZÀ-Þ][\w.'’\-]*|and|und|et|"
    r"y|e|de|van|von|der|da|del|la|le)){0,8}[\s,]*$",
)


def is_link_list(block: Block) -> bool:
    """Mostly link text, with too little plain text around it to be prose.

    Why the second condition: a list item that is a linked headline followed
    by a sentence of its own ("10 things you need to know") is content,
    while a related-stories item is nothing but its link.
    """
    n = len(block.text)
    links = block.link_chars
    return links * 5 > 4 * n or (links * 2 > n and n - links < 50)


def prose_weight(block: Block) -> float:
    """How much a block looks like article prose (negative for chrome)."""
    n = len(block.text)
    links = block.link_chars
    if block.tag in HEADING_TAGS:
        return 0.0
    if is_link_list(block):
        return -0.5 * n
    if n < 25:
        return 0.0
    return float(n - links)


def _ancestors(page: Page, index: int) -> list[int]:
    """``index`` and all its ancestors, innermost first."""
    out: list[int] = []
    parents = page.parents
    while index >= 0 and len(out) < 512:
        out.append(index)
        index = parents[index]
    return out


def _sum_up(page: Page, weights: Sequence[float], chains: list[list[int]]) -> list[float]:
    """Sum block weights into every ancestor element."""
    totals = [0.0] * len(page.tags)
    for weight, chain in zip(weights, chains, strict=True):
        if weight:
            for element in chain:
                totals[element] += weight
    return totals


def _effective_marks(
    page: Page, positive: list[float], chains: list[list[int]], weights: list[float]
) -> list[int]:
    """Negative marks, minus those on elements that must be the article.

    Why: class-name heuristics misfire (``class="post has-comments"``).  If
    an element holds most of the page's prose while hardly any prose exists
    outside negatively marked elements, it is the article whatever its class
    says.
    """
    marks = list(page.marks)
    total = positive[0] if positive else 0.0
    clean = sum(
        w
        for w, c in zip(weights, chains, strict=True)
        if w > 0 and not _under_negative(c, marks, len(marks))
    )
    for i, mark in enumerate(marks):
        if mark == NEGATIVE and positive[i] > 0.5 * total and clean < 0.25 * positive[i]:
            marks[i] = 0
    return marks


def _under_negative(chain: list[int], marks: list[int], stop: int) -> bool:
    """True if an element between the block and ``stop`` is boilerplate."""
    for element in chain:
        if element == stop:
            return False
        if marks[element] == NEGATIVE:
            return True
    return False


def select_blocks(page: Page, reference: set[tuple[str, ...]] | None) -> list[Block]:
    """Blocks of the best container, filtered, in document order.

    With a JSON-LD reference body, a first pass without it measures how much
    text the page shows; only a reference that is long in absolute terms or
    about as long as that text is trusted to vote blocks *out* (short
    ``articleBody`` values are teasers).
    """
    blocks = page.blocks
    if not blocks:
        return []
    chains = [_ancestors(page, b.owner) for b in blocks]
    weights = [prose_weight(b) for b in blocks]
    selected = _select(page, chains, weights)
    if reference:
        shown = shingle_set(" ".join(b.text for b in selected))
        complete = len(reference) >= min(0.5 * len(shown), _FULL_REFERENCE_SHINGLES)
        voted = [_vote(b, w, reference, complete) for b, w in zip(blocks, weights, strict=True)]
        selected = _select(page, chains, voted)
    return _trim(_filter(selected))


def _select(page: Page, chains: list[list[int]], weights: list[float]) -> list[Block]:
    """Blocks inside the highest-scoring container and outside chrome."""
    positive = _sum_up(page, [max(w, 0.0) for w in weights], chains)
    marks = _effective_marks(page, positive, chains, weights)
    root = len(page.tags)  # sentinel: no element, so marks apply everywhere
    scoring = [
        min(w, 0.0) if _under_negative(c, marks, root) else w
        for w, c in zip(weights, chains, strict=True)
    ]
    totals = _sum_up(page, scoring, chains)
    container = _best_container(totals, marks)
    return [
        b
        for b, c in zip(page.blocks, chains, strict=True)
        if container in c and not _under_negative(c, marks, container)
    ]


def _best_container(totals: list[float], marks: list[int]) -> int:
    """Element with the highest summed score (positive marks get a bonus)."""
    best, best_score = 0, float("-inf")
    for i, score in enumerate(totals):
        if marks[i] == POSITIVE and score > 0:
            score *= 1.15
        if score > best_score:
            best, best_score = i, score
    return best


def shingle_set(text: str) -> set[tuple[str, ...]]:
    """Set of lower-case 3-word shingles, for matching text against text."""
    words = _WORD_RE.findall(text.lower())
    if len(words) < 3:
        return {tuple(words)} if words else set()
    return {tuple(words[i : i + 3]) for i in range(len(words) - 2)}


def _coverage(block: Block, reference: set[tuple[str, ...]]) -> float:
    """Share of the block's shingles that occur in the reference body."""
    own = shingle_set(block.text)
    if not own:
        return 0.0
    return len(own & reference) / len(own)


def _vote(block: Block, weight: float, reference: set[tuple[str, ...]], complete: bool) -> float:
    """Adjust a block's weight by whether JSON-LD ``articleBody`` contains it."""
    if len(block.text) < 25:
        return weight
    covered = _coverage(block, reference)
    if covered >= 0.6:
        return max(weight, float(len(block.text)))
    if complete and covered <= 0.1:
        return min(weight, 0.0) - 0.25 * len(block.text)
    return weight


def _filter(blocks: list[Block]) -> list[Block]:
    """Drop link lists, titles, captions and stock boilerplate lines."""
    out: list[Block] = []
    prose_seen = False  # timestamps are only chrome above the first paragraph
    for block in blocks:
        n = len(block.text)
        if block.tag == "h1" and not prose_seen:
            continue  # the headline, returned separately as the title
        if is_link_list(block):
            continue
        if n < 120 and (_LABEL_RE.match(block.text) or _BOILERPLATE_RE.match(block.text)):
            continue
        if n < 80 and _BYLINE_RE.match(block.text):
            continue
        if n < 60 and _STAMP_RE.match(block.text):
            continue
        if n < 150 and _CAPTION_RE.search(block.text):
            continue
        if n < 60 and not prose_seen and _is_dateline(block.text):
            continue
        prose_seen = prose_seen or n >= 80
        out.append(block)
    return out


def _is_dateline(text: str) -> bool:
    """True for a short line made only of date/time words and digits."""
    return any(c.isdigit() for c in text) and not _DATE_WORDS_RE.sub("", text)


def _is_quote(text: str) -> bool:
    """Paragraph opening with a quotation mark (reported speech is content)."""
    return text[:1] in "\"“„«‘'"


def _trim(blocks: list[Block]) -> list[Block]:
    """Remove headings, fragments and promo/contact lines ending the article."""
    end = len(blocks)
    while end:
        last = blocks[end - 1]
        n = len(last.text)
        if (
            last.tag in HEADING_TAGS
            or n < 20
            or (n < 300 and not _is_quote(last.text) and _END_MATTER_RE.search(last.text))
        ):
            end -= 1
        else:
            break
    return blocks[:end]
