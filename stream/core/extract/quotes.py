"""Direct quotes and who said them.

News quotes follow a few conventions, and each rule here names one:

* a quote is text between double quotation marks, straight or curly (and « »);
  crawled text mixes the two styles, so a straight mark closes whatever is open;
* a quote running over several paragraphs leaves its paragraphs unclosed and opens
  each following one again; the pieces are joined with one space;
* the speaker is named in an attribution tag after the quote ('," Alonso said.',
  '," said Alonso.', '," he told TNT Sports.') or before it ('Alonso said:',
  'Alonso admitted the side are "..."', a previous paragraph ending 'X said:');
* "he"/"she" is the person the text was last about: the most recent person mention
  in subject position (not after "to", "with", "about" ...), else the last speaker;
* a quote opening a paragraph (or following another quote) with no tag of its own
  continues the immediately preceding quote's speaker, when that quote is in the same
  or the previous paragraph;
* single-quoted fragments ("there is 'no doubt'") count only when an attribution verb
  in the same sentence ties them to a speaker;
* an epithet as the tag's subject ('," the Dane said', 'the Napoli coach said',
  'the former Chelsea manager said', 'the Spaniard insisted:') is the most recent person
  mentioned before who fits it: nationality from a demonym ("Dane", "Frenchman"), role from
  the noun (coach/manager/boss vs forward/midfielder/captain), club from a club named in the
  epithet (the KB's ``club_of``, or the text naming the club right before the person);
  "the Madrid coach" with no fitting person mentioned is the KB manager of that club when
  there is exactly one; an epithet with nothing to check ("the 73-year-old") is read like
  "he";
* a tag that names its speaker in a way none of these rules resolves ('," the club said')
  leaves the quote unattributed: it is never handed to the previous speaker;
* a lead ending in a colon needs no attribution verb ('he smiled: "..."');
* a quote opening a paragraph after a paragraph with no quote of its own whose last
  sentence has a speech verb ('Kane explained why he has no plans to slow down.') is that
  sentence's speaker's.

The speaker must be a person mention; a quote whose speaker cannot be resolved is
skipped, not guessed. ``Quote.span`` covers the quoted words without the marks (from
the first word of the first paragraph to the last word of the last one).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import attrgetter, lt
from typing import NamedTuple

from stream.core.extract.entities import DEMONYMS, fast_init
from stream.core.extract.types import EntityMention, MentionsByType, mentions_by_type
from stream.core.models import Quote, Ref


class PersonFacts(NamedTuple):
    """What the knowledge base says about a person (any field may be unknown)."""

    nationality: str | None
    role: str | None
    club: str | None


FactsOf = Callable[[str], PersonFacts | None]
ManagersOf = Callable[[str], Sequence[Ref]]

_OPENERS = frozenset("\"“„«")
_CLOSERS = frozenset("\"”»")
_MARK_CHARS = "\"“”„«»"
_MARK_SCANS = {mark: re.compile(re.escape(mark)) for mark in _MARK_CHARS}
#: A single-quoted fragment, matched at an opening mark (one after a space, or opening a
#: paragraph).
_SINGLE = re.compile(r"['‘](?=\S)((?:[^'‘’\"“”\n]|['’](?=\w)){1,150}?)(?<=\S)['’](?![\w'’])")
_MATCH_START = re.Match.start
#: Attribution verbs, looked up word by word (cheaper than a regex alternation).
_VERB_WORDS = frozenset(
    """said says say saying told tells telling added adds adding insisted insists insisting
    admitted admits admitting explained explains explaining claimed claims claiming stated
    states stating stressed stresses stressing warned warns warning revealed reveals declared
    declares continued continues noted notes remarked remarks joked jokes conceded concedes
    confirmed confirms replied replies responded responds asserted asserting argued argues
    acknowledged acknowledges commented comments wrote writes posted tweeted recalled recalls
    reflected reiterated vowed vows urged lamented described describes describing labelled
    labeled branded emphasised emphasized writing""".split()
)
_VERB_PAIRS = frozenset({("pointed", "out"), ("went", "on"), ("according", "to")})
_PAIR_FIRSTS = frozenset(first for first, _ in _VERB_PAIRS)
_PRONOUNS = frozenset({"he", "she"})
_CONJUNCTIONS = frozenset({"and", "but", "then", "as", "before", "after"})
_WORD_PUNCT = ",.:;!?\"'“”‘’()[]–—-"
_OPEN_AT = attrgetter("open_at")
#: A tag after a quote names its verb within this many words ("he told TNT Sports").
_TAG_WORDS = 6
_STOP = re.compile(r"[.!?;]")
_TERMINATOR = re.compile(r"[.!?][\"”’')]*\s+")
#: A person right after these is an object, not the one talking.
_NOT_SUBJECT_LEAD = re.compile(
    r"\b(?:to|with|about|of|for|by|on|at|from|against|than|like|and|praised|replace|"
    r"replacing|succeed|over|under|between)\s+$"
)
_PRONOUN_OPENING = re.compile(r"(?:He|She|His|Her)\b")
_SUBJECT_LOOKBACK_PARAGRAPHS = 3
_MANAGER_WORDS = frozenset(
    "coach manager boss tactician gaffer trainer head-coach mastermind".split())
_PLAYER_WORDS = frozenset(
    """forward striker midfielder defender winger goalkeeper keeper captain skipper player
    teenager youngster full-back centre-back center-back playmaker attacker frontman
    international""".split())
_EXECUTIVE_WORDS = frozenset("president chairman chairwoman chief executive owner".split())
_EPITHET_OPENING = re.compile(r"The\s+((?:[\w-]+\s+){0,3}?[\w-]+)\s+(?=[a-z])")
_NOT_A_PERSON = frozenset(
    """club clubs team side squad board federation league association statement report
    reports source sources spokesman spokeswoman spokesperson insiders organisers
    organizers newspaper outlet broadcaster website paper""".split())
#: Sentinel: a tag is there but names nobody the rules can resolve.
_UNRESOLVED = Ref(name="", id="")
#: The last resolved speaker and the paragraph index of their quote.
_Chain = tuple[Ref, int] | None
_new_quote: Callable[[Ref, str, tuple[int, int]], Quote] = fast_init(
    Quote, ("speaker", "text", "span"))


@dataclass(slots=True)
class _Raw:
    """One quote as found: its pieces, one per paragraph, where its marks are and the
    paragraphs (indexes) of its opening and closing: known when the marks are paired, and
    asked for by several rules, so never looked up again."""

    pieces: list[tuple[int, int]]
    open_at: int
    close_at: int
    open_para: int
    close_para: int = -1
    single: bool = False

    @property
    def span(self) -> tuple[int, int]:
        return self.pieces[0][0], self.pieces[-1][1]


@dataclass(slots=True)
class _Doc:
    """The article with what the attribution rules look up (not frozen: a frozen dataclass
    sets each field through ``object.__setattr__``)."""

    text: str
    paragraphs: Sequence[tuple[int, int]]
    para_starts: Sequence[int]
    people: Sequence[EntityMention]
    people_starts: Sequence[int]
    #: Opening and closing mark of every quote, in order of opening.
    quoted_opens: Sequence[int]
    quoted_closes: Sequence[int]
    #: Whether quote closes only grow (quotes never nest): the look-back of
    #: :func:`_lead_start` is then one bisection.
    closes_ascend: bool
    #: Offsets of every double quotation mark.
    marks: Sequence[int]
    clubs: Sequence[EntityMention] = ()
    club_starts: Sequence[int] = ()
    facts: FactsOf | None = None
    managers: ManagersOf | None = None

    def paragraph_of(self, pos: int) -> int:
        index = bisect_right(self.para_starts, pos) - 1
        return index if index > 0 else 0


def find_quotes(text: str, mentions: Sequence[EntityMention], *,
                facts: FactsOf | None = None, managers: ManagersOf | None = None,
                by_type: MentionsByType | None = None) -> list[Quote]:
    """Every attributable direct quote, in text order.

    ``facts`` (nationality, role, club of a person id) and ``managers`` (the KB managers of
    a club id) are optional knowledge-base look-ups for epithet speakers; ``by_type`` is
    ``mentions_by_type(mentions)`` for a caller that already has it.
    """
    marks = _mark_positions(text)  # first: no mark at all is the cheap way out
    if not marks and " '" not in text and " ‘" not in text:
        return []
    paragraphs = _paragraphs(text)
    para_starts = [p[0] for p in paragraphs]
    raws = _double_quotes(text, paragraphs, para_starts, marks)
    singles = _single_quotes(text, para_starts, raws)
    if singles:  # double quotes come out in text order already (one is open at a time)
        raws = sorted([*raws, *singles], key=_OPEN_AT)
    if not raws:
        return []
    if by_type is None:
        by_type = mentions_by_type(mentions)
    opens = [r.open_at for r in raws]
    closes = [r.close_at for r in raws]
    people, people_starts = _outside_quotes(by_type.get("person", ()), opens, closes)
    clubs = by_type.get("club", ())
    doc = _Doc(text, paragraphs, para_starts, people, people_starts, opens, closes,
               all(map(lt, closes, closes[1:])),  # closes only grow: no quote nests
               marks, clubs, [m.start for m in clubs], facts, managers)
    quotes: list[Quote] = []
    previous: tuple[_Raw, Ref | None] | None = None
    chain: _Chain = None
    for raw in raws:
        speaker = _attribute(doc, raw, previous, chain)
        if speaker is _UNRESOLVED:
            speaker = None
        if not raw.single:
            previous = (raw, speaker)
        if speaker is None:
            continue
        chain = (speaker, raw.close_para)
        pieces = _trimmed(text, raw.pieces)
        if pieces:
            words = (" ".join(text[s:e] for s, e in pieces) if len(pieces) > 1
                     else text[pieces[0][0]:pieces[0][1]])
            quotes.append(_new_quote(speaker, words, (pieces[0][0], pieces[-1][1])))
    return quotes


def _outside_quotes(people: Sequence[EntityMention], opens: Sequence[int],
                    closes: Sequence[int]) -> tuple[list[EntityMention], list[int]]:
    """People named outside every quote (a name inside a quote is never its speaker), and
    their starts; ``opens`` and ``closes`` are the quotes' marks, in order of opening."""
    kept: list[EntityMention] = []
    starts: list[int] = []
    for mention in people:
        start = mention.start
        i = bisect_left(opens, start) - 1
        if i < 0 or start > closes[i]:
            kept.append(mention)
            starts.append(start)
    return kept, starts


def _trimmed(text: str, pieces: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Pieces without surrounding spaces, and without the comma that hands over to the
    attribution tag ('great," he said' quotes 'great')."""
    out: list[tuple[int, int]] = []
    for start, end in pieces:
        while start < end and text[start].isspace():
            start += 1
        while end > start and (text[end - 1].isspace() or text[end - 1] in ",;:"):
            end -= 1
        if start < end:
            out.append((start, end))
    return out


def _paragraphs(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    start = 0
    for line in text.split("\n"):
        if line and not line.isspace():
            spans.append((start, start + len(line)))
        start += len(line) + 1
    return spans


def _double_quotes(text: str, paragraphs: Sequence[tuple[int, int]],
                   para_starts: Sequence[int], marks: Sequence[int]) -> list[_Raw]:
    """Pair quotation marks paragraph by paragraph, carrying an open quote over a
    paragraph break only when the next paragraph opens with a mark.

    Only paragraphs holding a mark, or reached by an open quote, are visited: every mark
    lies in a paragraph (it is not whitespace), so the next one to visit is found by
    bisection.
    """
    raws: list[_Raw] = []
    current: _Raw | None = None
    j = 0
    count = len(marks)
    index = 0
    while j < count or current is not None:
        if current is None:
            index = bisect_right(para_starts, marks[j]) - 1
        lo, hi = paragraphs[index]
        while j < count and marks[j] < hi:
            current = _on_mark(text, marks[j], lo, hi, index, current, raws)
            j += 1
        if current is not None:
            current = _carry_over(text, paragraphs, index, current, raws)
        index += 1
    return raws


def _mark_positions(text: str) -> list[int]:
    """Offsets of every double quotation mark: one literal scan per mark present is
    several times cheaper than one character-class scan."""
    positions: list[int] = []
    for mark in _MARK_CHARS:
        if mark in text:
            positions.extend(map(_MATCH_START, _MARK_SCANS[mark].finditer(text)))
    positions.sort()
    return positions


def _on_mark(text: str, pos: int, lo: int, hi: int, index: int, current: _Raw | None,
             raws: list[_Raw]) -> _Raw | None:
    """Advance the pairing state by one mark of paragraph ``index``; returns the quote now
    open, if any."""
    mark = text[pos]
    if current is None:
        if mark in _OPENERS or _looks_opening(text, pos, lo):
            return _Raw([(pos + 1, hi)], pos, hi, index)
        return None
    if current.pieces[-1][0] == pos + 1:
        return current  # the mark re-opening a continued paragraph
    current.pieces[-1] = (current.pieces[-1][0], pos)
    current.close_at = pos
    current.close_para = index
    raws.append(current)
    if mark not in _CLOSERS or _glued(text, pos, hi):
        # an opener while open (a dropped closing mark), or one straight mark doing
        # both jobs in 'form."In the past'
        return _Raw([(pos + 1, hi)], pos, hi, index)
    return None


def _glued(text: str, pos: int, hi: int) -> bool:
    """A straight mark between sentence punctuation and a capital: close and reopen."""
    return (text[pos] == '"' and pos + 1 < hi and text[pos - 1] in ".!?"
            and text[pos + 1].isupper())


def _looks_opening(text: str, pos: int, lo: int) -> bool:
    """A stray closing mark used as an opener: at a word start."""
    before = text[pos - 1] if pos > lo else " "
    after = text[pos + 1] if pos + 1 < len(text) else " "
    return before.isspace() and not after.isspace()


def _carry_over(text: str, paragraphs: Sequence[tuple[int, int]], index: int,
                current: _Raw, raws: list[_Raw]) -> _Raw | None:
    """Continue an unclosed quote into the next paragraph if that one opens with a mark;
    otherwise the quote ends with its paragraph."""
    if index + 1 < len(paragraphs):
        next_lo, next_hi = paragraphs[index + 1]
        if text[next_lo] in _OPENERS:
            current.pieces.append((next_lo + 1, next_hi))
            current.close_at = next_hi
            return current
    current.close_para = index
    raws.append(current)
    return None


def _single_quotes(text: str, para_starts: Sequence[int],
                   doubles: Sequence[_Raw]) -> list[_Raw]:
    """Single-quoted fragments outside double-quoted text."""
    starts = [*_opening(text, "'"), *_opening(text, "‘")]
    found: list[_Raw] = []
    for start in sorted(starts):
        match = _SINGLE.match(text, start)
        if match is None or any(d.open_at <= start <= d.close_at for d in doubles):
            continue
        index = bisect_right(para_starts, start) - 1
        para = index if index > 0 else 0
        found.append(_Raw([match.span(1)], start, match.end() - 1, para, para, single=True))
    return found


def _opening(text: str, mark: str) -> list[int]:
    """Offsets of ``mark`` where it may open a fragment: right after a space, or opening a
    paragraph (at a line start: a line starting with a mark is never blank).

    ``str.find`` of the mark is several times cheaper than a scan for " '" (which stops at
    every space), and one pass serves both cases."""
    found: list[int] = []
    at = text.find(mark)
    while at >= 0:
        if not at or text[at - 1] in " \n":
            found.append(at)
        at = text.find(mark, at + 1)
    return found


def _attribute(doc: _Doc, raw: _Raw, previous: tuple[_Raw, Ref | None] | None,
               chain: _Chain) -> Ref | None:
    """The speaker of one quote, by the rules in the module docstring, in that order.

    ``chain`` is the last resolved speaker and the paragraph of their quote: "he"
    prefers them where the text is still about them.
    """
    speaker = _tag_after(doc, raw, chain)
    if speaker is not None:
        return speaker
    lead_lo = _lead_start(doc, raw.open_at, raw.open_para)
    speaker = _tag_before(doc, lead_lo, raw.open_at, chain)
    if speaker is not None or raw.single:
        return speaker
    if doc.text[lead_lo:raw.open_at].strip():
        return None
    speaker = _colon_paragraph(doc, raw, chain)
    if speaker is not None:
        return speaker
    return _inherited(doc, raw, previous)


def _tag_after(doc: _Doc, raw: _Raw, chain: _Chain) -> Ref | None:
    """'," Alonso said.' / '," said Alonso.' / '," he told TNT Sports.'"""
    start = raw.close_at + 1
    if start >= len(doc.text):
        return None
    end = _window_end(doc, start, raw.close_para)
    if end <= start:
        return None  # nothing after the quote in its paragraph (a frequent case)
    words = _words(doc.text, start, end, _TAG_WORDS + 1)
    count = len(words)
    for i in range(min(count, _TAG_WORDS)):
        word = words[i][1]
        if word in _VERB_WORDS or (word in _PAIR_FIRSTS and i + 1 < count
                                   and (word, words[i + 1][1]) in _VERB_PAIRS):
            speaker = _speaker_around(doc, words, i, start, end, raw.open_at, chain)
            if speaker is None and i and all(w in _CONJUNCTIONS for _, w in words[:i]):
                return None  # '" and said ...': the subject is the lead's
            return speaker or _UNRESOLVED
    return None


def _speaker_around(doc: _Doc, words: Sequence[tuple[int, str]], i: int, lo: int, hi: int,
                    pronoun_at: int, chain: _Chain) -> Ref | None:
    """The speaker for the verb ``words[i]``: a person before it, else "he"/"she" before
    it, else a person after it ("said Alonso", "according to Alonso")."""
    verb_at = words[i][0]
    speaker = _last_person(doc, lo, verb_at)
    if speaker is not None:
        return speaker
    for j in range(i):
        if words[j][1] in _PRONOUNS:
            return _resolve_pronoun(doc, pronoun_at, chain)
    epithet = _epithet_words(words, i)
    if epithet is not None:
        return _resolve_epithet(doc, epithet, pronoun_at, chain)
    return _first_person(doc, verb_at + 1, hi)


def _epithet_words(words: Sequence[tuple[int, str]], i: int) -> list[tuple[int, str]] | None:
    """The words of "the X Y" right before the verb ``words[i]`` ('the Napoli coach
    said'), or right after it ('said the Frenchman'), without "the"."""
    for j in range(i - 1, max(i - 6, -1), -1):
        if words[j][1] == "the":
            return list(words[j + 1:i]) or None
        if words[j][1] in _PRONOUNS or words[j][1] in _VERB_WORDS:
            break
    if i + 2 < len(words) and words[i + 1][1] == "the":
        return list(words[i + 2:i + 5])
    return None


def _resolve_epithet(doc: _Doc, epithet: Sequence[tuple[int, str]], pos: int,
                     chain: _Chain) -> Ref | None:
    """The person an epithet names (see the module docstring)."""
    words = [w for _, w in epithet]
    country = None
    for word in words:
        if word in DEMONYMS:
            country = DEMONYMS[word]
            break
    role = ("manager" if not _MANAGER_WORDS.isdisjoint(words) else
            "player" if not _PLAYER_WORDS.isdisjoint(words) else
            "executive" if not _EXECUTIVE_WORDS.isdisjoint(words) else None)
    former = "former" in words or "ex" in words
    lo, hi = epithet[0][0], epithet[-1][0] + len(epithet[-1][1])
    club = None if former else _club_within(doc, lo, hi + 2)
    if country is None and role is None and club is None:
        if any(w in _NOT_A_PERSON for w in words):
            return None  # "the club said", "the statement added": nobody to name
        return _resolve_pronoun(doc, pos, chain)
    seen: set[str] = set()
    people = doc.people
    for i in range(bisect_left(doc.people_starts, pos) - 1, -1, -1):
        mention = people[i]
        ref = mention.ref
        if ref.id in seen:
            continue
        seen.add(ref.id)
        if _fits(doc, mention, country, role, club):
            return ref
    if club is not None and role == "manager" and doc.managers is not None:
        staff = doc.managers(club)
        if len(staff) == 1:
            return staff[0]
    return None


def _club_within(doc: _Doc, lo: int, hi: int) -> str | None:
    """Id of the first club mention inside ``[lo, hi)``: mentions never overlap, so their
    ends grow with their starts and only the first one starting at ``lo`` or later can."""
    i = bisect_left(doc.club_starts, lo)
    if i < len(doc.clubs) and doc.clubs[i].end <= hi:
        return doc.clubs[i].ref.id
    return None


def _fits(doc: _Doc, mention: EntityMention, country: str | None, role: str | None,
          club: str | None) -> bool:
    facts = doc.facts(mention.ref.id) if doc.facts is not None else None
    if country is not None and (facts is None or facts.nationality != country):
        return False
    if role is not None and facts is not None and facts.role is not None \
            and facts.role != role:
        return False
    if club is not None and (facts is None or facts.club != club):
        # The text may tie the person to the club itself: "Wrexham manager Phil Parkinson".
        return any(m.ref.id == club and 0 <= mention.start - m.end <= 25 for m in doc.clubs)
    return True


def _words(text: str, lo: int, hi: int, limit: int = -1) -> list[tuple[int, str]]:
    """Lower-cased words of ``text[lo:hi]`` with their offsets, punctuation stripped
    (at most about ``limit`` of them when given).

    Cleaned text has single spaces, so splitting on " " keeps offsets exact.
    """
    words: list[tuple[int, str]] = []
    pos = lo
    for token in text[lo:hi].lower().split(" ", limit):
        word = token.strip(_WORD_PUNCT)
        if word:
            words.append((pos, word))
        pos += len(token) + 1
    return words


def _window_end(doc: _Doc, start: int, para: int) -> int:
    """End of the text a trailing tag may use: the sentence, before any next quote.

    ``start`` is right after a closing mark of paragraph ``para`` (or right after that
    paragraph, for an unclosed quote: then it may open the next one)."""
    paragraphs = doc.paragraphs
    if para + 1 < len(paragraphs) and paragraphs[para + 1][0] <= start:
        para += 1
    end = min(paragraphs[para][1], start + 160)
    if end <= start:
        return end  # a quote closing its paragraph: no tag after it
    marks = doc.marks
    i = bisect_left(marks, start)
    if i < len(marks) and marks[i] < end:
        end = marks[i]
    stop = _STOP.search(doc.text, start + 1, end)
    return stop.start() if stop is not None else end


def _lead_start(doc: _Doc, open_at: int, para: int) -> int:
    """Start of the sentence that leads into the quote at ``open_at`` (in paragraph
    ``para``), after any previous quote."""
    lo = _after_quotes(doc, doc.paragraphs[para][0], open_at)
    return _after_last_terminator(doc.text, lo, open_at)


def _after_last_terminator(text: str, lo: int, hi: int) -> int:
    """End of the last ``_TERMINATOR`` match in ``text[lo:hi]`` (``lo`` when none): where
    its last sentence starts.

    Looked for backwards from the last ".", "!" or "?" (``str.rfind``): a match starts at
    one of them and holds no other, so every one is a start ``finditer`` would try, and the
    last that matches is its last match; the lead's last sentence is mostly short, where a
    forward scan would test every character of the lead against the pattern's class."""
    at = max(text.rfind(".", lo, hi), text.rfind("!", lo, hi), text.rfind("?", lo, hi))
    while at >= 0:
        match = _TERMINATOR.match(text, at, hi)
        if match is not None:
            return match.end()
        at = max(text.rfind(".", lo, at), text.rfind("!", lo, at), text.rfind("?", lo, at))
    return lo


def _after_quotes(doc: _Doc, lo: int, open_at: int) -> int:
    """``lo`` moved past every quote that opens before ``open_at`` and closes between
    ``lo`` and ``open_at``.

    When closes only grow (quotes never nest: the rule everywhere but in malformed text)
    that is the past the last quote closing by ``open_at``, found by bisection; otherwise
    the quotes are walked in order.
    """
    closes = doc.quoted_closes
    k = bisect_left(doc.quoted_opens, open_at)
    if not doc.closes_ascend:
        for q_close in closes[:k]:
            if lo <= q_close <= open_at:
                lo = q_close + 1
        return lo
    j = k - 1
    while j >= 0 and closes[j] > open_at:
        j -= 1
    return closes[j] + 1 if j >= 0 and closes[j] >= lo else lo


def _tag_before(doc: _Doc, lo: int, hi: int, chain: _Chain) -> Ref | None:
    """'Alonso said:' / 'Alonso admitted the side are "..."' / 'according to Alonso, "..."'"""
    if hi <= lo:
        return None  # no lead (a quote right after another's tag): no words to read
    words = _words(doc.text, lo, hi)
    count = len(words)
    for i in range(count - 1, -1, -1):
        word = words[i][1]  # a verb, or the first word of a verb pair
        if word in _VERB_WORDS or (word in _PAIR_FIRSTS and i + 1 < count
                                   and (word, words[i + 1][1]) in _VERB_PAIRS):
            return _speaker_around(doc, words, i, lo, hi, lo, chain)
    if words and doc.text[lo:hi].rstrip().endswith(":"):
        # 'he smiled: "..."': the colon hands over to the quote without a verb.
        return _speaker_around(doc, [*words, (hi, ":")], len(words), lo, hi, lo, chain)
    return None


def _colon_paragraph(doc: _Doc, raw: _Raw, chain: _Chain) -> Ref | None:
    """A quote opening a paragraph after one that ends 'X said (...):'."""
    index = raw.open_para
    if index == 0 or doc.paragraphs[index][0] != raw.open_at:
        return None
    prev_lo, prev_hi = doc.paragraphs[index - 1]
    if not doc.text[prev_lo:prev_hi].rstrip().endswith(":"):
        i = bisect_left(doc.marks, prev_lo)
        if i < len(doc.marks) and doc.marks[i] < prev_hi:
            return None
        # 'Kane explained why he has no plans to slow down.' then the quote.
        sentence_lo = _after_last_terminator(doc.text, prev_lo, prev_hi - 1)
        return _tag_before(doc, sentence_lo, prev_hi, chain)
    return _tag_before(doc, _lead_start(doc, prev_hi, index - 1), prev_hi, chain)


def _inherited(doc: _Doc, raw: _Raw, previous: tuple[_Raw, Ref | None] | None) -> Ref | None:
    """The previous quote's speaker, when that quote is in this or the previous paragraph."""
    if previous is None or previous[1] is None:
        return None
    return previous[1] if raw.open_para - previous[0].close_para in (0, 1) else None


def _resolve_pronoun(doc: _Doc, pos: int, chain: _Chain) -> Ref | None:
    """The person "he"/"she" before ``pos`` refers to.

    Paragraph by paragraph backwards: the last speaker if the paragraph names them or
    holds their quote; else, unless the paragraph opens with a pronoun (it is then
    still about someone earlier), its latest person in subject position.
    """
    index = doc.paragraph_of(pos)
    hi = pos
    for back in range(index, max(index - _SUBJECT_LOOKBACK_PARAGRAPHS, -1), -1):
        lo = doc.paragraphs[back][0]
        found = _subject_in(doc, back, lo, hi, chain)
        if found is not None:
            return found
        hi = lo
    return None


def _subject_in(doc: _Doc, index: int, lo: int, hi: int, chain: _Chain) -> Ref | None:
    first = bisect_left(doc.people_starts, lo)
    last = bisect_left(doc.people_starts, hi)
    candidates = doc.people[first:last]
    if chain is not None and (chain[1] == index or chain[0] in [m.ref for m in candidates]):
        return chain[0]
    if _PRONOUN_OPENING.match(doc.text, lo):
        return None
    opening = _EPITHET_OPENING.match(doc.text, lo, hi)
    if opening is not None:
        words = _words(doc.text, opening.start(1), opening.end(1))
        if any(w in DEMONYMS or w in _MANAGER_WORDS or w in _PLAYER_WORDS for _, w in words):
            found = _resolve_epithet(doc, words, lo, None)
            if found is not None:
                return found
    for mention in reversed(candidates):
        if _NOT_SUBJECT_LEAD.search(doc.text, max(mention.start - 20, 0), mention.start) is None:
            return mention.ref
    return None


def _last_person(doc: _Doc, lo: int, hi: int) -> Ref | None:
    i = bisect_left(doc.people_starts, hi) - 1
    if i >= 0 and doc.people[i].start >= lo and doc.people[i].end <= hi:
        return doc.people[i].ref
    return None


def _first_person(doc: _Doc, lo: int, hi: int) -> Ref | None:
    i = bisect_left(doc.people_starts, lo)
    if i < len(doc.people) and doc.people[i].end <= hi:
        return doc.people[i].ref
    return None
