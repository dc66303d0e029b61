"""Plain-text cleaning: strip the leftovers crawlers keep from a site's page.

Crawled plain text still carries donation appeals, share prompts, feedback widgets,
image credits, bylines, timestamps, "Trending" markers and lists of related headlines.
They are removed line by line with rules that name what a leftover looks like (widget
vocabulary, the shape of a caption, a byline or a headline), never what a story says:

* a story paragraph reads as a sentence: it ends with terminal punctuation, or it is
  long prose. A short line without terminal punctuation is a headline, a caption or a
  button, so the first one becomes the title and the others go;
* an appeal (donations, subscriptions, newsletters, cookies) speaks to the reader
  ("we", "your") in its vocabulary; when a crawler glued one in front of the first story
  sentence, the line is cut at the boundary and the story sentence kept;
* a related-stories marker ("You might also like", "Most read") removes itself and the
  headlines after it, until story text resumes;
* metadata lines (``date 2025-01-29``, ISO datetimes, "Published ...", bylines) become
  fields of :class:`CleanedText`.

Repeated per-source furniture no rule names is learned later, in the dedup stage
(:mod:`stream.core.boilerplate`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from stream.core.clean.normalize import normalise_text


@dataclass(frozen=True, slots=True)
class CleanedText:
    title: str | None
    text: str
    published_at: datetime | None
    #: The byline's name(s), when the crawled text carried one.
    author: str | None = None


# --- leading metadata ---------------------------------------------------------------

_ISO = r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
#: ``date 2025-01-29`` (or an ISO datetime) opening the body, maybe glued to the story.
_DATE_PREFIX = re.compile(rf"^\s*(?:date\s*:?\s*)?({_ISO})(?=\s|$)\s*", re.IGNORECASE)

_MONTHS = {m[:3]: i for i, m in enumerate(
    ("january", "february", "march", "april", "may", "june", "july", "august",
     "september", "october", "november", "december"), start=1)}
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DAY_MONTH_YEAR = re.compile(
    rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+({_MONTH})\s*,?\s+(\d{{4}})"
    rf"|\b({_MONTH})\s+(\d{{1,2}})(?:st|nd|rd|th)?\s*,?\s+(\d{{4}})", re.IGNORECASE)
_CLOCK = re.compile(r"\b(\d{1,2})[:.](\d{2})\s*(am|pm|a\.m\.|p\.m\.)?(?![\d.:])", re.IGNORECASE)
#: Tokens a timestamp line is made of.
_DATE_WORD = re.compile(
    rf"^(?:{_MONTH}|(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)[a-z]*\.?|\d[\d:.,/\-T+Z]*(?:st|nd|rd|th|am|pm|h)?|"
    r"am|pm|a\.m\.|p\.m\.|gmt|bst|utc|cet|cest|et|est|edt|pt|pst|pdt|ist|aest|"
    r"at|on|ago|just|now|hours?|hrs?|minutes?|mins?|seconds?|secs?|days?|weeks?|months?|yesterday|today|"
    r"updated|published|posted|modified|last|first|[|•·,:\-–—])$",
    re.IGNORECASE,
)
_STAMP_PREFIX = re.compile(
    r"^(?:(?:last\s+|first\s+)?(?:updated|published|posted|modified)|date)\b", re.IGNORECASE)

_NAME = (r"[A-Z][\w'’.\-]+"
         r"(?:\s+(?:[A-Z][\w'’.\-]+|de|da|di|do|dos|del|der|van|von|le|la|el|bin|ibn))"
         r"{0,3}")
_ROLE = (r"(?i:(?:[\w'’&\-]+\s+){0,4}(?:writer|correspondent|reporter|editor|columnist|journalist|"
         r"analyst|contributor|presenter|commentator|staff|desk|team|expert|insider)s?)")
_BYLINE = re.compile(
    rf"^(?:(?:[Bb]y|BY|[Ww]ritten\s+by|[Ww]ords\s+by|(?:[Aa]dditional\s+)?[Rr]eporting\s+by|[Vv]on|[Pp]ar|[Pp]or)\s+"
    rf"(?P<by>{_NAME}(?:\s*(?:,|and|&)\s*{_NAME})?)(?:\s*[,;|•·–—\-]\s*(?P<tail>[^.!?]{{0,80}}))?"
    rf"|(?P<name>{_NAME})\s*(?:,|\||•|–|—|-)\s*{_ROLE}(?:\s*[,|•·–—\-]\s*[^.!?]{{0,60}})?)$"
)
_BYLINE_FIRST = frozenset("by written words reporting additional von par por".split())
_ROLE_KEYS = ("writer", "correspond", "reporter", "editor", "columnist", "journalist",
              "analyst", "contributor", "presenter", "commentator", "staff", "desk", "team",
              "expert", "insider")


def _byline_candidate(line: str) -> bool:
    if line.split(None, 1)[0].lower() in _BYLINE_FIRST:
        return True
    if line.count(" ") > 14:
        return False
    low = line.lower()
    return any(key in low for key in _ROLE_KEYS)


_HAS_DIGIT = re.compile(r"\d")
_HANDLE = re.compile(r"^@\w{2,30}$")


def _date_from(text: str) -> datetime | None:
    """A publication moment from a timestamp line: ISO, "3 March 2025", "March 3, 2025"."""
    iso = re.search(_ISO, text)
    if iso:
        try:
            moment = datetime.fromisoformat(iso.group(0).replace(" ", "T", 1))
        except ValueError:
            return None
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    found = _DAY_MONTH_YEAR.search(text)
    if not found:
        return None
    if found.group(1):
        day, month_word, year = found.group(1), found.group(2), found.group(3)
    else:
        month_word, day, year = found.group(4), found.group(5), found.group(6)
    month = _MONTHS.get(month_word[:3].lower())
    hour = minute = 0
    clock = _CLOCK.search(text)
    if clock:
        hour, minute = int(clock.group(1)), int(clock.group(2))
        suffix = (clock.group(3) or "").lower().replace(".", "")
        hour += 12 if suffix == "pm" and hour < 12 else 0
        hour -= 12 if suffix == "am" and hour == 12 else 0
    try:
        return datetime(int(year), month or 0, int(day), hour, minute, tzinfo=UTC)
    except ValueError:
        return None


def _is_timestamp(line: str) -> bool:
    """A line made only of date and time words ("Updated 12:30 GMT, 3 March 2025")."""
    if len(line) > 90 or not _HAS_DIGIT.search(line):
        return False
    words = line.replace(",", " , ").replace("|", " | ").split()
    dateish = sum(1 for w in words if _DATE_WORD.match(w))
    return dateish == len(words) or (
        _STAMP_PREFIX.match(line) is not None and dateish >= len(words) - 1 and len(words) >= 3)


# --- widget vocabulary --------------------------------------------------------------

#: Whole lines that are widget text, never story text.
_WIDGET_LINES = re.compile(
    r"""^(?:
        expand(?:\s+(?:tweet|post|image))?|view\s+(?:this\s+post\s+on\s+instagram|on\s+\w+|gallery|comments?)|
        watch\s+on\s+youtube|play\s+video|watch(?:\s+(?:video|now|the\s+video))?|video|embed|loading(?:\.\.\.|…)?|
        listen(?:\s+to\s+(?:this\s+)?article)?.{0,20}|\d+\s+min(?:ute)?s?\s+read|reading\s+time.{0,20}|
        advertisement|advert|ad|ads\s+by\s+\w+|sponsored(?:\s+(?:content|stories|links?))?|skip\s+ad(?:vert)?|
        (?:story|article)\s+continues\s+(?:below|after)(?:\s+(?:this\s+)?(?:ad|advert|advertisement))?|
        continue\s+reading(?:\s+below)?|close|×|menu|search|back\s+to\s+top|print|
        getty(?:\s+images)?|
        ×?\s*feedback\b.{0,200}|why\s+did\s+you\s+not\s+like\s+this\s+content\?.{0,160}|
        clickbait\s*/\s*misleading|factually\s+incorrect|hateful\s+or\s+abusive|baseless\s+opinion|
        too\s+many\s+ads|other|cancel|submit|other\s+cancel\s+submit.{0,120}|
        was\s+this\s+(?:article|story|content)?\s*(?:helpful|useful)\?.{0,80}|
        thank\s+you\s+for\s+(?:your\s+)?feedback.{0,40}|yes|no|rate\s+this\s+(?:article|story).{0,40}|
        did\s+you\s+(?:like|enjoy)\s+this\s+(?:article|story)\?.{0,40}|report\s+an?\s+(?:error|issue|typo).{0,40}|
        spotted\s+an?\s+(?:error|mistake|typo).{0,80}|
        support\s+(?:now|us)|donate(?:\s+now)?|subscribe(?:\s+(?:now|today|for\s+free))?|
        sign\s+(?:up|in)(?:\s+(?:now|for\s+free|here))?|log\s+(?:in|out)|register(?:\s+now)?|
        create\s+(?:a\s+)?(?:free\s+)?account|already\s+(?:a\s+(?:subscriber|member)|have\s+an\s+account)\?.{0,40}|
        enter\s+your\s+e-?mail(?:\s+address)?|e-?mail\s+address|i\s+(?:agree|accept).{0,120}|
        accept(?:\s+all)?(?:\s+cookies)?|reject\s+all|manage\s+(?:cookies|preferences|settings|consent)|
        cookie\s+(?:settings|policy|preferences)|privacy\s+policy|terms(?:\s+(?:and|&)\s+conditions|\s+of\s+(?:use|service))?|
        \d*\s*comments?|(?:view|show|hide|load)\s+(?:all\s+)?comments?|join\s+the\s+(?:conversation|discussion)|
        leave\s+a\s+comment|be\s+the\s+first\s+to\s+comment|
        click\s+here\b.{0,120}|(?:download|get)\s+(?:our|the)\s+(?:free\s+)?app\b.{0,80}|
        join\s+(?:us\s+on|our)\s+(?:whatsapp|telegram|discord|broadcast|community).{0,80}|
        follow\s+(?:us|@\w+|[A-Z][\w'’ ]{0,30}?)\s+on\s+
            (?:x|twitter|facebook|instagram|tiktok|youtube|threads|
            bluesky|whatsapp|google\s+news|snapchat|linkedin)\b.{0,80}|
        (?:image|photo|picture)\s+\d+\s+(?:of|/)\s+\d+|
        a\s+post\s+shared\s+by\b.{0,80}|.{0,80}\bpic\.twitter\.com/\S+.{0,80}|
        (?:tags?|topics?|filed\s+under|categories|more\s+on|related\s+topics)\s*:.{0,200}|
        (?:read\s+more|also\s+read|related|see\s+also|recommended|watch|video|listen|pictures|photos|gallery|more|
            read\s+next|must\s+read|trending|latest|don'?t\s+miss)\s*[:|>»›]\s*\S.{0,200}
    )$""",
    re.IGNORECASE | re.VERBOSE,
)

#: First words of the lines _WIDGET_LINES can match: a set lookup spares the regex
#: on story lines (keep in step with the alternatives above).
_WIDGET_FIRST = frozenset(
    "expand view watch play video embed loading listen reading advertisement advert ad ads "
    "sponsored skip story article continue close × menu search back print getty feedback "
    "×feedback why clickbait factually hateful baseless too other cancel submit was thank yes no "
    "rate did report spotted support donate subscribe sign log register create already enter "
    "e-mail email i accept reject manage cookie privacy terms comments comment show hide load "
    "join leave be click download get follow image photo picture a tags tag topics topic filed "
    "categories more related read also see recommended pictures photos gallery must trending "
    "latest don't dont don’t".split())

#: Lines made only of share buttons ("Share Facebook X WhatsApp Copy link").
_SHARE_WORDS = frozenset(
    "share shares sharing this article story page on facebook twitter x whatsapp email e-mail "
    "mail copy copied link url print reddit linkedin pinterest telegram messenger flipboard save "
    "saved bookmark "
    "tweet comments comment follow us like bluesky threads instagram tiktok youtube snapchat gift "
    "via sms more options opens in new window tab the".split())

#: Markers of a list of other stories; the headlines after them go too.
_RELATED_MARKER = re.compile(
    r"""^(?:
        you\s+(?:might|may|could)\s+(?:also\s+)?(?:like|enjoy|be\s+interested\s+in)|
        related(?:\s+(?:articles?|stories|news|content|posts?|coverage|reading|links?|videos?))?|
        more\s+(?:from|on|about|in)\s+.{1,50}|more\s+(?:stories|news|football|sport|articles|headlines)|
        most\s+(?:read|popular|viewed|shared|watched|commented)(?:\s+.{1,30})?|popular(?:\s+(?:now|today|stories))?|
        (?:what\s+to\s+)?read\s+(?:next|more)|see\s+also|also\s+read|must\s+reads?|don'?t\s+miss|
        recommended(?:\s+(?:for\s+you|stories|reading|articles|videos?))?|(?:editor'?s|our)\s+picks?|
        trending(?:\s+(?:now|today|stories|news|in\s+.{1,30}))?|latest(?:\s+(?:news|stories|headlines|updates))?|
        top\s+(?:stories|news|headlines)|in\s+other\s+news|(?:from\s+)?around\s+the\s+web|
        (?:promoted|sponsored|partner)\s+(?:stories|content|links)|from\s+our\s+partners|hot\s+topics|
        up\s+next|next\s+up|keep\s+reading|explore\s+more|more\s+like\s+this
    )$""",
    re.IGNORECASE | re.VERBOSE,
)

# --- image captions and credits ---------------------------------------------------

_AGENCY = (r"(?:getty(?:\s+images)?(?:\s+for\s+[\w .'\-]{1,30})?|afp|reuters|ap(?:\s+photo)?|"
           r"associated\s+press|"
           r"pa(?:\s+(?:wire|images|media|archive|photo))?|epa(?:[\s\-]efe)?|efe|shutterstock|rex(?:\s+features)?|"
           r"imago(?:\s+images)?|alamy|action\s+images|offside|camera\s?sport|nurphoto|sportsfile|bpi|dpa|ansa|"
           r"lapresse|icon\s+sportswire|usa\s+today\s+sports|visionhaus|pressfocus|mirrorpix|colorsport|"
           r"sipa|xinhua|anp|belga|(?:club\s+)?handout)")
_CREDIT_WORD = r"(?:photo(?:graph)?|image|picture|pic|credit|foto)s?(?:\s+by)?"
_VIA_GETTY = r"(?:\s+via\s+getty(?:\s+images)?)?"
#: The last parenthesis of a caption: "( Getty Images )", "(Photo by A. Name/AFP)", "(Image: PA)".
_CREDIT_PAREN = re.compile(
    rf"\(\s*(?:(?:{_CREDIT_WORD}\s*:?\s*)?(?:[^()]{{0,60}}?[\s/])?{_AGENCY}{_VIA_GETTY}(?:/[^()]{{0,40}})?"
    rf"|{_CREDIT_WORD}\s*:\s*[^()]{{1,60}})\s*\)\s*",
    re.IGNORECASE,
)
#: "... Credit: PA", "... Photograph: Mike Egerton/PA": the word before the last colon.
_CREDIT_LABEL = re.compile(rf"\b{_CREDIT_WORD}\s*$", re.IGNORECASE)
#: After the last "|" or "/": "Name celebrates | Getty Images"; or a line of its own.
_CREDIT_AGENCY = re.compile(rf"\(?\s*{_AGENCY}{_VIA_GETTY}\s*\)?", re.IGNORECASE)


_NOT_IN_CREDIT = frozenset(".!?()")


def _is_caption(line: str) -> bool:
    """A line ending in an image credit (captions rarely end with a full stop)."""
    size = len(line)
    if size >= 400:
        return False
    if line.endswith(")"):
        opening = line.rfind("(")
        if opening >= 0 and _CREDIT_PAREN.fullmatch(line, opening):
            return True
    colon = line.rfind(":")
    if (colon > 0 and size - colon <= 62 and _NOT_IN_CREDIT.isdisjoint(line[colon:])
            and _CREDIT_LABEL.search(line, max(0, colon - 30), colon)):
        return True
    bar = max(line.rfind("|"), line.rfind("/"))
    if bar >= 0 and size - bar <= 50 and _CREDIT_AGENCY.fullmatch(line.strip(), bar + 1):
        return True
    return size <= 60 and _CREDIT_AGENCY.fullmatch(line) is not None


# --- appeals ----------------------------------------------------------------------

#: Vocabulary of appeals for money, sign-ups and consent.
_APPEAL_TERMS = re.compile(
    r"\b(?:your\s+support|support\s+(?:now|us|our)|donat(?:e|es|ion|ions|ing)|paywalls?|"
    r"subscri(?:be|bes|bing|ption|ptions|ber|bers)|newsletters?|sign(?:ing)?\s+up|journalism|journalists|"
    r"cookies?|privacy\s+policy|read\s+more|make\s+a\s+contribution|contribut(?:e|ion)s?|"
    r"become\s+a\s+member|membership|inbox|ad-?free|unsubscribe|consent|advertis(?:ing|ers?))\b"
)
#: Words one of which opens every appeal: a set test spares the regexes on story lines.
_APPEAL_TRIGGERS = frozenset(
    f"{prefix}{word}{suffix}"
    for word in ("your", "you", "we", "our", "us", "support", "donate", "donation", "donations",
                 "subscribe", "subscription", "subscriber", "subscribers", "newsletter",
                 "newsletters", "sign", "journalism", "journalists", "cookie", "cookies", "paywall",
                 "paywalls", "contribution", "contribute", "member", "membership", "inbox", "read",
                 "advertising", "consent", "privacy", "ad-free", "independent", "unlike")
    for prefix in ("", "(")
    for suffix in ("", ",", ".", ":", ";", "!", "?", ")"))
#: The reader and the publisher talking ("we", "your"); case-sensitive "us" keeps "US" out.
_ADDRESS = re.compile(r"\b(?:[Ww]e|[Oo]ur|us|[Yy]ou|[Yy]our|[Yy]ourself)\b")
_QUOTES = frozenset('"“”«»„')
#: Where an appeal's sentences and buttons end.
_BUTTONS = (r"(?:Read more|Support [Nn]ow|Donate(?: [Nn]ow)?|Subscribe(?: [Nn]ow| [Tt]oday)?|"
            r"Sign up(?: [Nn]ow| [Ff]ree| for free)?|Join [Nn]ow|Learn more|Find out more|"
            r"Log in|Sign in)")
_SEGMENT_END = re.compile(
    r"(?:(?<=[.!?])|(?<=[.!?][\"”’)]))\s+(?=[A-Z\"“‘(])"
    rf"|\s+(?={_BUTTONS}(?:\s+[A-Z]|$))"
    rf"|(?<=\s)(?P<button>{_BUTTONS})\s+(?=[A-Z])"
    rf"|^(?P<first>{_BUTTONS})\s+(?=[A-Z])"
)
#: A "Read more" button left at the end of a story paragraph.
_TRAILING_BUTTON = re.compile(
    r"(?<=[.!?\"”’)])\s+(?:read\s+more|continue\s+reading|read\s+(?:the\s+)?full\s+(?:article|story))"
    r"\s*(?:[»›>…]|\.\.\.)?$", re.IGNORECASE)

# --- headlines --------------------------------------------------------------------

_SMALL_WORDS = frozenset(
    "a an the of in on at to for and or but as by with vs v from into after over is are was be "
    "amid ahead up out off than".split())
#: ``"There is no doubt" - Name makes claim ...``: a related-article link.
_QUOTE_DASH = re.compile(r"^[\"“‘'][^\"“”]{2,140}[\"”’']\s*[-–—:|]\s*\S")


def clean_plain_text(body: str, *, title: str | None = None) -> CleanedText:
    """Clean crawled plain text: leftovers out, the story's sentences kept.

    A leading ``date YYYY-MM-DD`` (or ISO datetime, or a timestamp line) becomes the
    publication date, a byline the author, the first headline-like line the title (unless
    ``title`` is given, in which case a first line repeating it is dropped)."""
    text = normalise_text(body)
    text, published_at = _take_date_prefix(text)
    published_updated: datetime | None = None
    author: str | None = None
    story_seen = False
    in_list = False
    kept: list[str] = []
    headline_at: list[bool] = []
    for raw_line in text.split("\n"):
        line = raw_line.strip()
        if not line:
            continue
        line = _strip_appeal_prefix(line)
        if not line:
            continue
        size = len(line)
        if size > 320 or (size >= 90 and _last_mark(line) == "." and not _widget_candidate(line)):
            # a sentence of prose: only a caption's credit can still make it a leftover
            if _is_caption(line):
                continue
            in_list = False
            kept.append(_strip_trailing_button(line))
            headline_at.append(False)
            story_seen = True
            continue
        if len(line) <= 80 and _last_mark(line) not in ".!?" and _RELATED_MARKER.match(
                line.rstrip(":…>»› ")):
            in_list = True
            continue
        if _is_leftover(line):
            continue
        byline = _BYLINE.match(line) if len(line) < 160 and _byline_candidate(line) else None
        if byline:
            author = author or _author(byline)
            if not story_seen and published_at is None and byline.group("tail"):
                published_at = _date_from(byline.group("tail"))
            continue
        if _is_timestamp(line):
            if not story_seen:
                moment = _date_from(line)
                if line[:1] in "Uu" and line.lower().startswith(("updated", "last updated")):
                    published_updated = published_updated or moment
                elif published_at is None:
                    published_at = moment
            continue
        headline = _headline_like(line)
        if in_list:
            if headline or _list_item(line):
                continue
            in_list = False
        kept.append(_strip_trailing_button(line))
        headline_at.append(headline)
        story_seen = story_seen or not headline
    title, kept = _take_title(kept, headline_at, title)
    return CleanedText(title=title, text="\n\n".join(kept),
                       published_at=published_at or published_updated, author=author)


def _strip_trailing_button(line: str) -> str:
    return _TRAILING_BUTTON.sub("", line) if "rea" in line[-30:].lower() else line


def _take_date_prefix(text: str) -> tuple[str, datetime | None]:
    match = _DATE_PREFIX.match(text)
    if not match:
        return text, None
    moment = _date_from(match.group(1))
    return (text[match.end():], moment) if moment else (text, None)


def _take_title(lines: list[str], headline_at: list[bool],
                given: str | None) -> tuple[str | None, list[str]]:
    """The first line is the title when it reads as a headline; other headline-like
    lines (related-article links, captions without credit, buttons) are not story."""
    title = _tidy_title(given) if given else None
    start = 0
    if lines:
        first = lines[0]
        if title is not None and _same_title(first, title):
            start = 1
        elif title is None and len(lines) > 1 and _title_like(first, headline_at[0]):
            title = _tidy_title(first) or None
            start = 1
    story = [line for line, headline in zip(lines[start:], headline_at[start:], strict=True)
             if not headline]
    return title, story


def _widget_candidate(line: str) -> bool:
    first = line.split(None, 1)[0].lower().rstrip(":|>»›.?!,")
    return first in _WIDGET_FIRST or first[:1].isdigit() or "pic.twitter.com" in line


def _is_leftover(line: str) -> bool:
    size = len(line)
    if size <= 320 and _widget_candidate(line) and _WIDGET_LINES.match(line):
        return True
    if _is_caption(line):
        return True
    if size >= 160:
        return False
    if line[:1] in "—–" and "(@" in line:  # "— Name (@handle) March 1, 2025"
        return True
    if _HANDLE.match(line):
        return True
    words = line.lower().replace("/", " ").split()
    return len(words) <= 14 and all(w.strip(":.!|•·-–—") in _SHARE_WORDS or not w.strip(":.!|•·-–—")
                                    for w in words)


def _segments(line: str) -> Iterator[tuple[int, int]]:
    """Sentences and buttons of a line, lazily: most lines stop at the first."""
    start = 0
    for boundary in _SEGMENT_END.finditer(line):
        button = boundary.group("button") or boundary.group("first")
        cut = boundary.start("button") if boundary.group("button") else boundary.start()
        if cut > start:
            yield start, cut
        if button:
            yield boundary.start(0) if boundary.group("first") else boundary.start("button"), \
                boundary.start(0) + len(boundary.group(0).rstrip())
        start = boundary.end()
    if start < len(line):
        yield start, len(line)


def _strip_appeal_prefix(line: str) -> str:
    """Drop a donation/subscription/cookie appeal: the whole line, or the run of appeal
    sentences a crawler glued in front of the first story sentence."""
    head = line[:200]
    ends = [i for i in (head.find(". "), head.find("? "), head.find("! ")) if i >= 0]
    first = head[:min(ends)] if ends else head
    if _APPEAL_TRIGGERS.isdisjoint(first.lower().split()) or not _QUOTES.isdisjoint(first):
        return line
    if not _APPEAL_TERMS.search(line.lower()):  # no appeal term, nothing to take out
        return line
    strong_total = 0
    addressed = False
    last = -1
    last_end = 0
    more = False
    for index, (start, end) in enumerate(_segments(line)):
        segment = line[start:end]
        quoted = not _QUOTES.isdisjoint(segment)
        strong = 0 if quoted else len(_APPEAL_TERMS.findall(segment.lower()))
        weak = not quoted and _ADDRESS.search(segment) is not None
        if strong or weak:
            last, last_end = index, end
            strong_total += strong
            addressed = addressed or weak
        elif index - last >= 2 or index == 0:
            more = True
            break
    if last < 0:
        return line
    rest = line[last_end:].strip()
    if rest:
        starts_story = rest[:1].isupper() or rest[:1] in "\"“‘"
        return rest if strong_total >= 2 and starts_story else line
    if more:
        return line
    if strong_total >= 2 or (strong_total >= 1 and addressed and len(line.split()) <= 30):
        return ""
    return line


_ROLE_WORD = re.compile(
    r"\b(?:writer|correspondent|reporter|editor|columnist|journalist|analyst|contributor)s?\b",
    re.IGNORECASE)


def _author(byline: re.Match[str]) -> str:
    """The name(s) of a byline, without the role ("Jane Doe, Chief Football Writer")."""
    name = byline.group("by") or byline.group("name")
    names = [part for part in name.split(",") if not _ROLE_WORD.search(part)]
    return " ".join(", ".join(names or [name]).split())


def _title_ratio(words: list[str]) -> float:
    content = [w for w in words if w[:1].isalpha() and w.lower() not in _SMALL_WORDS]
    if not content:
        return 0.0
    return sum(1 for w in content if w[0].isupper()) / len(content)


def _last_mark(line: str) -> str:
    """The last character that is a letter, a digit or sentence punctuation."""
    for char in reversed(line):
        if char.isalnum() or char in ".:;,…?!":
            return char
    return ""


def _headline_like(line: str) -> bool:
    """A short line that does not read as a sentence: a headline, a caption, a label."""
    if len(line) > 260:
        return False
    mark = _last_mark(line)
    if mark in ".:;,…":
        return False
    words = line.split()
    if len(words) > 32 or ";" in line or line.count(",") >= 3:
        return False
    if mark in "?!":
        return len(words) <= 25 and _title_ratio(words) >= 0.6
    if len(words) <= 18:
        return True
    return _title_ratio(words) >= 0.5 or _QUOTE_DASH.match(line) is not None


def _list_item(line: str) -> bool:
    """Inside a related-stories list: a teaser headline ending with "?" or "!"."""
    words = line.split()
    return _last_mark(line) in "?!" and len(words) <= 25 and _title_ratio(words) >= 0.5


def _title_like(line: str, headline: bool) -> bool:
    if headline:
        return len(line.split()) >= 2
    words = line.split()
    return 2 <= len(words) <= 40 and len(line) <= 300 and _last_mark(line) in "?!"


def _same_title(line: str, title: str) -> bool:
    return _tidy_title(line).casefold() == _tidy_title(title).casefold()


def _tidy_title(title: str) -> str:
    """Drop emoji and ornaments around a headline, keeping its quotation marks."""
    stripped = title.strip()
    while stripped and not (stripped[0].isalnum() or stripped[0] in "\"“‘'(["):
        stripped = stripped[1:].strip()
    while stripped and not (stripped[-1].isalnum() or stripped[-1] in "\"”’'?!.)]"):
        stripped = stripped[:-1].strip()
    return stripped
