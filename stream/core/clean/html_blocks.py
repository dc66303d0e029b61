"""Flatten a parsed page into text blocks with the structure needed to score them.

Why a flat block list: every later decision (which container holds the
article, which paragraphs are boilerplate) needs the text of each paragraph,
how much of it is link text, and which ancestors it has.  Computing that in
one iterative walk keeps the cost linear in the size of the DOM and immune to
deep nesting (no recursion).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from selectolax.lexbor import LexborNode

# Elements that start a new paragraph in the rendered page.
BLOCK_TAGS = frozenset(
    "p div section article main h1 h2 h3 h4 h5 h6 li ul ol dl dt dd blockquote "
    "pre table tbody thead tfoot tr td th caption figure header footer nav aside "
    "form fieldset hr address center details summary body html menu dialog "
    "legend hgroup search".split()
)
HEADING_TAGS = frozenset("h1 h2 h3 h4 h5 h6".split())

_CELL_TAGS = frozenset({"td", "th"})

# Tags whose role is page chrome whatever their class says.
_CHROME_TAGS = frozenset("nav footer aside menu dialog".split())
_CHROME_ROLES = frozenset(
    "navigation banner contentinfo complementary menu menubar search dialog "
    "alertdialog toolbar tablist".split()
)

# Class/id words that mark boilerplate.  Long words are matched as
# substrings (they survive camelCase and BEM joins); short ones must be a
# whole token, otherwise "ad" would match "header" and "shadow".
_NEG_SUBSTR_RE = re.compile(
    "comment|related|share|sharing|social|sociable|newsletter|subscri|signup|"
    "sign-up|cookie|consent|gdpr|banner|sidebar|widget|footer|navigation|navbar|"
    "breadcrumb|pagination|pager|popup|modal|overlay|promo|sponsor|advert|"
    "adsbygoogle|adslot|ad-slot|adunit|ad-unit|ad-container|ad-wrapper|dfp-|"
    "outbrain|taboola|disqus|recommend|trending|most-popular|mostpopular|"
    "most-read|mostread|caption|credit|byline|author-info|author-bio|authorbio|"
    "about-author|author-box|tagline|taglist|tag-list|tags-|-tags|keywords|"
    "toolbar|masthead|skip-link|skiplink|sr-only|screen-reader|visually-hidden|"
    "visuallyhidden|offscreen|print-only|paywall|registration|"
    "read-more|readmore|more-stories|morestories|more-articles|also-like|"
    "next-article|prev-article|previous-article|post-navigation|inline-link|"
    "timestamp|dateline|publish-date|pubdate|post-meta|entry-meta|article-meta|"
    "meta-data|metadata|jump-link|lightbox|carousel|slideshow|gallery|"
    "video-player|player-wrap|"
    "feedback|survey|donate|membership",
)
_NEG_TOKENS = frozenset(
    "ad ads adv nav menu tags tag meta date time share author hidden hide print "
    "extra aside foot footnote community contact shop shopping label icon rss "
    "teaser teasers bio sponsored rail rating login".split()
)
# Strongly content-like containers; they veto a negative match of their own.
_POS_RE = re.compile(
    "article-?body|articlebody|article__body|article-?content|article-?text|"
    "articletext|story-?body|storybody|story-?content|storytext|story-?text|"
    "entry-?content|entrycontent|post-?content|postcontent|post-?body|postbody|"
    "post-?entry|post-?text|body-?text|bodytext|content-?body|rich-?text|"
    "richtext|article-?main|field-?body"
)
# Generic page-level content wrappers: often hold the sidebar and comments
# too, so they only cancel a negative match instead of earning a bonus.
_WEAK_POS_RE = re.compile(
    "main-?content|maincontent|page-?content|text-?content|node-?content|"
    "blog-?post|single-?post|hentry|h-entry"
)
# Embedded posts (tweets, Instagram) are quoted material the author put in
# the article, even when the wrapper's class also says "social".
_EMBED_RE = re.compile(
    "tweet|instagram-media|social-?media-?embed|embed-?(?:social|twitter|instagram)"
)
# Inline elements with these classes are dropped outright (photo credits,
# share labels, screen-reader helpers interleaved with paragraph text).
_INLINE_DROP_RE = re.compile(
    "caption|credit|share|social|sr-only|screen-reader|visually-?hidden|"
    "print-only|advert|adsbygoogle|byline|timestamp|tooltip|popover|rollover|"
    "hovercard"
)
# Whole-token inline classes: "hidden" but not Bootstrap's "hidden-xs",
# "icon" but not "silicon".
_INLINE_DROP_TOKENS = frozenset("hidden hide invisible icon icons".split())
_HIDDEN_STYLE_RE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden")
# Words of a class/id string across kebab, snake, BEM and camelCase styles:
# "RightRailContainer" -> right, rail, container.
_TOKEN_RE = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")

# Walk budget: beyond this many nodes the rest of the page is ignored, which
# bounds the time spent on pathological documents.
MAX_NODES = 250_000

NORMAL, NEGATIVE, POSITIVE, SKIP = 0, 1, 2, 3


@dataclass(slots=True)
class Block:
    """One rendered paragraph: its text and how it relates to the DOM."""

    text: str
    link_chars: int
    owner: int  # index into ``Page.tags`` of the innermost block element
    tag: str  # tag of the owner element

    @property
    def link_density(self) -> float:
        """Share of the text that sits inside links."""
        return min(1.0, self.link_chars / len(self.text)) if self.text else 0.0


@dataclass(slots=True)
class Page:
    """Block elements (as parallel lists) and the blocks they own."""

    tags: list[str] = field(default_factory=list)
    parents: list[int] = field(default_factory=list)
    marks: list[int] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)


# Memo of class/id strings -> mark.  Pages (and sites) repeat the same class
# strings hundreds of times and the regexes above are the single most
# expensive part of the walk, so each distinct string is classified once.
# Bounded so a stream of adversarial pages cannot grow it without limit.
_NAME_MARKS: dict[str, int] = {}
_INLINE_MARKS: dict[str, int] = {}
_MEMO_MAX = 50_000


def _names_mark(names: str) -> int:
    """POSITIVE/NEGATIVE/NORMAL for a "class id" string (memoised)."""
    mark = _NAME_MARKS.get(names)
    if mark is None:
        lowered = names.lower()
        if _POS_RE.search(lowered):
            mark = POSITIVE
        elif _EMBED_RE.search(lowered) or _WEAK_POS_RE.search(lowered):
            mark = NORMAL
        elif _NEG_SUBSTR_RE.search(lowered) or not _NEG_TOKENS.isdisjoint(
            t.lower() for t in _TOKEN_RE.findall(names)
        ):
            mark = NEGATIVE
        else:
            mark = NORMAL
        if len(_NAME_MARKS) >= _MEMO_MAX:
            _NAME_MARKS.clear()
        _NAME_MARKS[names] = mark
    return mark


def _is_hidden(attrs: dict[str, str | None]) -> bool:
    """``hidden`` attribute, ``aria-hidden`` or an inline display:none style."""
    if "hidden" in attrs or attrs.get("aria-hidden") == "true":
        return True
    style = attrs.get("style")
    return bool(style and _HIDDEN_STYLE_RE.search(style.lower()))


def classify(tag: str, attrs: dict[str, str | None]) -> int:
    """NORMAL, NEGATIVE (boilerplate), POSITIVE (article body) or SKIP (hidden)."""
    if not attrs:
        return NEGATIVE if tag in _CHROME_TAGS else NORMAL
    if _is_hidden(attrs):
        return SKIP
    if attrs.get("itemprop") == "articleBody":
        return POSITIVE
    names = f"{attrs.get('class') or ''} {attrs.get('id') or ''}"
    mark = _names_mark(names) if names != " " else NORMAL
    if mark == POSITIVE:
        return mark
    role = attrs.get("role")
    if tag in _CHROME_TAGS or (role and role.lower() in _CHROME_ROLES):
        return NEGATIVE
    return mark


def _inline_mark(attrs: dict[str, str | None]) -> int:
    """SKIP for hidden inline elements or ones whose class names chrome."""
    if _is_hidden(attrs):
        return SKIP
    names = attrs.get("class")
    if not names:
        return NORMAL
    mark = _INLINE_MARKS.get(names)
    if mark is None:
        drop = _INLINE_DROP_RE.search(names.lower()) or not _INLINE_DROP_TOKENS.isdisjoint(
            t.lower() for t in _TOKEN_RE.findall(names)
        )
        mark = SKIP if drop else NORMAL
        if len(_INLINE_MARKS) >= _MEMO_MAX:
            _INLINE_MARKS.clear()
        _INLINE_MARKS[names] = mark
    return mark


class _Builder:
    """Accumulates inline text into blocks owned by the innermost block element."""

    __slots__ = ("buf", "link_chars", "open_blocks", "page")

    def __init__(self) -> None:
        self.page = Page()
        self.buf: list[str] = []
        self.link_chars = 0
        self.open_blocks: list[int] = []

    def flush(self) -> None:
        """Close the current paragraph (a no-op when only whitespace)."""
        if not self.buf:
            return
        text = " ".join("".join(self.buf).split())
        links = self.link_chars
        self.buf = []
        self.link_chars = 0
        if text and self.open_blocks:
            owner = self.open_blocks[-1]
            self.page.blocks.append(Block(text, links, owner, self.page.tags[owner]))

    def enter_block(self, tag: str, mark: int) -> None:
        """Start a block element: previous inline text becomes a paragraph."""
        self.flush()
        page = self.page
        page.parents.append(self.open_blocks[-1] if self.open_blocks else -1)
        page.tags.append(tag)
        page.marks.append(mark)
        self.open_blocks.append(len(page.tags) - 1)

    def exit_block(self) -> None:
        """End a block element, flushing its trailing inline text."""
        self.flush()
        self.open_blocks.pop()


# What to undo when leaving an element.
_EXIT_NONE, _EXIT_BLOCK, _EXIT_LINK = 0, 1, 2


def _open_element(node: LexborNode, tag: str, out: _Builder) -> int:
    """Register an element; returns its exit action, or -1 to skip its subtree."""
    attrs = node.attributes
    if tag in BLOCK_TAGS:
        mark = classify(tag, attrs)
        if mark == SKIP:
            return -1
        out.enter_block(tag, mark)
        return _EXIT_BLOCK
    if attrs and _inline_mark(attrs) == SKIP:
        return -1
    return _EXIT_LINK if tag == "a" else _EXIT_NONE


def walk(root: LexborNode) -> Page:
    """Flatten ``root`` (normally ``<body>``) into a :class:`Page`.

    Iterative pre-order walk over ``child``/``next`` links with an explicit
    stack, so nesting depth costs memory, not recursion.  This loop is the
    hot path of the extractor, hence the inlined bookkeeping.
    """
    out = _Builder()
    out.enter_block(root.tag or "body", NORMAL)
    stack: list[tuple[LexborNode, int]] = []
    link_depth = 0
    node = root.child
    budget = MAX_NODES
    while node is not None and budget:
        budget -= 1
        tag = node.tag or ""
        if tag == "-text":
            value = node.text_content
            if value:
                out.buf.append(value)
                if link_depth:
                    out.link_chars += len(value.strip())
        elif tag == "br":
            out.flush()
        elif tag[:1] != "-":
            action = _open_element(node, tag, out)
            if action >= 0:
                child = node.child
                if child is not None:
                    stack.append((node, action))
                    if action == _EXIT_LINK:
                        link_depth += 1
                    node = child
                    continue
                if action == _EXIT_BLOCK:
                    out.exit_block()
        nxt = node.next
        while nxt is None and stack:
            node, action = stack.pop()
            if action == _EXIT_BLOCK:
                out.exit_block()
            elif action == _EXIT_LINK:
                link_depth -= 1
            nxt = node.next
        node = nxt
    while stack:
        if stack.pop()[1] == _EXIT_BLOCK:
            out.exit_block()
    out.exit_block()
    _merge_table_rows(out.page)
    return out.page


def _merge_table_rows(page: Page) -> None:
    """Join the cells of data-table rows into one block per row.

    Why: a reader perceives a data table row ("1 Kyle Busch 5040 5") as one
    line, and single cells are too short to score as prose.  Rows where a
    cell holds several blocks are layout tables and are left alone, so a
    navigation column never gets glued to the article next to it.
    """
    blocks = page.blocks
    tags, parents = page.tags, page.parents
    per_cell: dict[int, int] = {}
    for block in blocks:
        if block.tag in _CELL_TAGS:
            per_cell[block.owner] = per_cell.get(block.owner, 0) + 1
    if not per_cell:
        return
    layout_rows = {parents[cell] for cell, count in per_cell.items() if count > 1}
    merged: list[Block] = []
    for block in blocks:
        row = parents[block.owner] if block.tag in _CELL_TAGS else -1
        if row < 0 or row in layout_rows:
            merged.append(block)
            continue
        last = merged[-1] if merged else None
        if last is not None and last.owner == row:
            last.text = f"{last.text} {block.text}"
            last.link_chars += block.link_chars
        else:
            merged.append(Block(block.text, block.link_chars, row, tags[row]))
    page.blocks = merged
