"""Match results stated in an article: "Real Madrid's 2-1 win at Alavés" -> one record.

A score is only a result when two teams can be named for it; every number pair that
is not a score (seasons, ages, formations, times, odds, half-time or aggregate
scores, shoot-outs) is rejected first, by the words around it.

Teams come from the club mentions the entity stage resolved (epithets such as "Los
Blancos" count when the entity stage mapped them to a club). The subject is the club
the sentence is about, the object the club a preposition or verb attaches to the
score ("to X", "by X", "beat X", "at the hands of X"). When the sentence names only
the object, the subject is the club the paragraph was last about (a sentence opening
"They ..." may reach back one paragraph); anything less certain is skipped.

Orientation: the winner gets the higher number, decided by the cue nearest the score
(win/beat/victory vs loss/defeat/beaten); a passive "by X" / "at the hands of X"
makes X the winner. The bare line "Home 1-2 Away" is taken as written.

Home/away: "at X", "away to X", "trip to X" (X home); "hosted X", "visit of X", "at
home", "home defeat" (the subject home); "away win", "on the road" (the subject away);
a venue mention whose home club is one of the two; "in <city>" naming the home city of
exactly one of the two ("in Turin", "in north London"; English exonyms of the KB's local
city names are mapped). When the text does not tell, home
and away are the two clubs in the order the text names them: ``MatchResult`` has no
"orientation known" flag, so consumers must treat that order as unknown unless the
sentence says otherwise.

Venue and date belong to the stretch of the sentence between the neighbouring results
("Chelsea lost 2-1 to Sunderland at Stamford Bridge, and Newcastle were beaten 3-1 by
Brentford": the ground is Chelsea's match's only); the competition to the whole sentence.
A sentence opening with an epithet of the subject ("The Italian champions were thrashed
6-2 by PSV") takes the subject from the paragraphs before, filtered by the epithet's
country when it has one.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, NamedTuple

from stream.core.extract.dates import find_date_in_sentence, sentence_in
from stream.core.extract.entities import DEMONYMS
from stream.core.extract.types import (
    EntityMention,
    HomeClubOf,
    MentionsByType,
    mentions_by_type,
)
from stream.core.models import MatchResult

#: "2-1", "2–1", "2 - 1", "won 2 to 1"; never part of "4-3-3", "2023-24", "7-9pm", "2.5-1".
#: Matched only where a separator scan found a candidate (see ``_score_candidates``).
_SCORE = re.compile(
    r"(\d{1,2})(\s?[-–—]\s?|\s+to\s+)(\d{1,2})(?![\w/:%°–—-]|[.,]\d|\s[-–—]\s?\d)"
)
#: Literal-prefixed separator scans: far cheaper than a full-text regex with lookbehind.
_SEPARATORS = tuple((sep, re.compile(sep + r"(?= ?\d)")) for sep in ("-", "–", "—", " to"))
_NOT_BEFORE_NUMBER = frozenset(".,/:–—-_")
#: The "2 to 1" form only counts right after a result verb ("won 2 to 1").
_TO_FORM_CUE = re.compile(
    r"\b(?:won|win|wins|beat|beating|lost|lose|losing|drew|draw|defeated|edged|thrashed)"
    r"(?:\s+[A-Z][\w'’.-]*){0,4}\s*$"
)
#: The word right before a number pair that makes it a state, a range, a date or odds.
_NOT_SCORE_LAST_WORD = frozenset(
    "age aged ages at on dated date between from led leading trailing level odds of".split()
)
#: Two-word leads of an in-game score: "made it 2-1", "pulled it back to 2-1".
_NOT_SCORE_LAST_TWO = frozenset({"made it", "make it", "makes it", "making it", "back to"})
#: Words shortly before a number pair that make it an aggregate, shoot-out or price.
_NOT_SCORE_NEAR = ("aggregate", "shootout", "shoot-out", "on penalties", "on pens", "odds",
                   "priced", "spot-kicks", "spot kicks")


def _literal_trie(words: Iterable[str]) -> str:
    """A pattern finding any of ``words``, its branches grouped by shared prefixes.

    Why: sre tries a flat alternation branch by branch at every candidate position; grouped
    ("on pen(?:alties|s)") it tests each distinct first letter once. Only for patterns asked
    *whether* they match: a word that is a prefix of another becomes an optional tail."""
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def emit(node: dict[str, Any]) -> str:
        branches = [re.escape(char) + emit(child) for char, child in node.items() if char]
        if not branches:
            return ""
        group = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{group})?" if "" in node else group

    return emit(trie)


#: Any of ``_NOT_SCORE_NEAR`` as a substring, in one scan.
_NOT_SCORE_NEAR_ANY = re.compile(_literal_trie(_NOT_SCORE_NEAR))
#: "... on penalties after a 1-1 draw": the score after these words is the match's own.
_REGULATION = re.compile(r"\b(?:after|following)\s+(?:a|an|the)?\s*$")
#: A unit, state or phrase right after a number pair that makes it no result ("7-9 pm", "2-1
#: up", "3-2 on aggregate", "1-0 at half-time"). Only asked whether it matches, so the
#: branches are grouped by first letter (sre tests one literal per group, not per word).
_NOT_SCORE_AFTER = re.compile(
    r"""\s*(?:
        a(?:m\b|\.m\.\b|dvantage\b|gg(?:regate)?\b|fter\s+(?:\w+\s+)?(?:half|minutes?)\b
           |t\s+(?:half[\s-]?time|the\s+(?:break|interval)|HT)\b)
      | by\s+(?:half[\s-]?time|the\s+(?:break|interval)|HT)\b
      | d(?:ays?|own|eficit)\b
      | f(?:avou?rites?|ormation)\b
      | g(?:oals?|ames?)\b
      | hours?\b
      | (?:on|in)\s+(?:aggregate|penalties|pens|spot[\s-]?kicks
                      |the\s+(?:penalty\s+)?shoot[\s-]?out)\b
      | lead\b
      | m(?:onths?|inutes?|ins?|atches|ajority)\b
      | o(?:['’]clock|utsiders?)\b
      | p(?:m\b|\.m\.\b|er\s*cent\b|ercent\b|oints?\b|ts\b)
      | record\b
      | s(?:econds?|coreline\s+at|hot|plit|ystem)\b
      | up\b
      | vote\b
      | weeks?\b
      | y(?:ears?|rs)\b
      | %
    )""",
    re.IGNORECASE | re.VERBOSE,
)

#: Words that may sit between a preposition and the club it governs ("to Italian side X");
#: capitalised words are skipped too.
_DESCRIPTORS = frozenset(
    "the a an their his her its local fierce bitter struggling side outfit club team rivals "
    "champions leaders holders hosts visitors giants".split()
)
#: A club right after one of these words is the object of a phrase, not its subject.
_OBJECT_WORDS = frozenset(
    "to by over against at with beat beats beating defeated defeating edged edging thrashed "
    "thrashing hammered hammering routed stunned hosted hosts hosting visit visited visiting "
    "welcomed welcoming face faced facing v v. vs vs. versus".split()
)
#: "... of X" where X is the loser: "5-2 demolition of X", "defeat of X".
_ACTIVE_WINNER_PAIRS = frozenset(
    f"{noun} of" for noun in
    "defeat demolition thrashing hammering rout dismantling destruction humiliation".split()
)
_OBJECT_PAIRS = _ACTIVE_WINNER_PAIRS | {"hands of", "visit of"}
_OBJECT_HOME_WORDS = frozenset({"at", "visit", "visited", "visiting"})
_OBJECT_HOME_PAIRS = frozenset(
    {"away to", "away at", "trip to", "travelled to", "traveled to", "travel to", "journey to"}
)
_OBJECT_AWAY_WORDS = frozenset({"hosted", "hosts", "hosting", "welcomed", "welcoming"})
_OBJECT_AWAY_PAIRS = frozenset({"visit of", "against visiting", "home to", "home against"})
#: Applied to lower-cased windows: literal first words keep sre's fast prefix scan.
_SUBJECT_HOME = re.compile(
    r"(?:home\s+(?:win|wins|victory|defeat|loss|draw|success|triumph|reverse)|at\s+home|"
    r"on\s+home\s+soil|in\s+front\s+of\s+their\s+own)\b"
)
_SUBJECT_AWAY = re.compile(
    r"(?:away\s+(?:win|wins|victory|defeat|loss|draw|success|triumph|from\s+home)|"
    r"on\s+the\s+road|on\s+their\s+travels)\b"
)

#: Result words, looked up word by word around the score.
_BE = frozenset({"was", "were", "been", "being", "be", "get", "got", "is", "are"})
_PARTICIPLES = frozenset(
    "beaten defeated thrashed hammered routed crushed stunned edged demolished swept humbled "
    "dismantled outclassed".split()
)
_LOSS_WORDS = frozenset(
    "lost lose loses losing loss losses defeat defeats fell succumbed slumped crashed humbled "
    "collapse collapsed collapses suffered beaten losers".split()
)
_WIN_WORDS = frozenset(
    "won win wins winning winners beat beats beating victory victories demolition rout routed "
    "edge edged edging defeated defeating swept overcame".split()
)
_WIN_PREFIXES = ("triumph", "thrash", "demolish", "hammer", "crush", "stun", "dispatch")
_DRAW_WORDS = frozenset({"draw", "draws", "drew", "drawn", "stalemate", "held"})
_PUNCT = ".,;:!?\"'“”‘’()"
#: Every word :func:`_cue_kind` may give a kind to (besides the ``_WIN_PREFIXES`` words).
_CUE_WORDS = _PARTICIPLES | _LOSS_WORDS | _WIN_WORDS | _DRAW_WORDS | {"down", "off"}
#: A word ending in one of these closes the phrase before a mention.
_BOUNDARY = frozenset(".,;:!?")

#: Where the object search after a score stops: another clause begins.
_CLAUSE_STOP = re.compile(r"[;:.!?()]|,|\s[–—-]\s|\b(?:and|but|while|whereas|although|when)\b")
#: ``_CLAUSE_STOP``'s kinds of stop as patterns sre scans fast (a leading ``\b`` or ``\s``
#: makes it try every position): punctuation or a dash, and words; see :func:`_clause_stop`.
_STOP_MARK = re.compile(r"[;:.!?(),–—-]")
_DASHES = "–—-"
#: Grouped by first letters, in the same order: sre skips a branch on its first literal.
_STOP_WORD = re.compile(r"(?:a(?:nd|lthough)|but|wh(?:ile|ereas|en))\b")
_PRONOUN_SUBJECT = re.compile(
    r"(?:They|Their|His\s+side|Her\s+side|The\s+(?:side|team|club))\b"
)
#: "The Italian champions", "The hosts", "The Spanish giants": an epithet of the subject.
_EPITHET_SUBJECT = re.compile(
    r"The\s+(?:(?P<adj>[A-Z][a-z]+)\s+)?(?:champions|holders|leaders|hosts|visitors|giants|"
    r"side|team|club|outfit|champions-elect|title\s+holders)\b"
)
#: English names of cities the KB spells locally (normalised forms).
_EXONYMS = {
    "turin": "torino", "rome": "roma", "milan": "milano", "naples": "napoli",
    "munich": "munchen", "lisbon": "lisboa", "seville": "sevilla", "cologne": "koln",
    "florence": "firenze", "genoa": "genova", "prague": "praha", "copenhagen": "kobenhavn",
    "vienna": "wien", "athens": "athina", "moscow": "moskva", "belgrade": "beograd",
    "warsaw": "warszawa", "brussels": "bruxelles", "the hague": "den haag", "bruges": "brugge",
    "venice": "venezia", "mantua": "mantova", "nuremberg": "nurnberg", "hanover": "hannover",
}
#: "in Turin", "in north London"; the word boundary before "in" is checked by
#: :func:`_in_cities` (a leading ``\b`` would make sre try every position).
_IN_CITY = re.compile(
    r"in\s+(?:(?:north|south|east|west|central|northern|southern|eastern|western)\s+)?"
    r"((?:[A-Z][\w'’.-]+)(?:\s+[A-Z][\w'’.-]+)?)"
)
_MAX_OBJECT_GAP = 80
#: How far into its sentence a score may sit for the sentence to "open with" it.
_OPENING_SCORE_MAX = 30
#: Same two clubs, same winner ("" for a draw), same goals: the same match.
#: The two clubs as a sorted pair (the same whichever is home).
_Key = tuple[tuple[str, str], str, tuple[int, int]]


class ClubFacts(NamedTuple):
    """What the home/away and epithet rules need to know about a club."""

    country: str | None
    #: Normalised (``kb.normalise_alias``) home city, "" when unknown.
    city: str


def _normalise(word: str) -> str:
    return " ".join(re.sub(r"[\W_]+", " ", word.lower()).split())


@dataclass(slots=True)
class _Context:
    """Everything one article's extraction needs, computed once (not frozen: a frozen
    dataclass sets each of its fields through ``object.__setattr__``)."""

    text: str
    clubs: Sequence[EntityMention]
    club_starts: Sequence[int]
    competitions: Sequence[EntityMention]
    competition_starts: Sequence[int]
    venues: Sequence[EntityMention]
    venue_starts: Sequence[int]
    published_at: datetime | None
    home_club_of: HomeClubOf
    home_clubs_of: Callable[[str], tuple[str, ...]] | None = None
    club_facts: Callable[[str], ClubFacts | None] | None = None
    #: Memos for this text: ``_lead`` by mention start, sentence ends by paragraph start,
    #: ``_clause_stop`` by its bounds (the cue and home/away rules often ask the same one).
    leads: dict[int, tuple[str, str]] = field(default_factory=dict)
    sentences: dict[int, tuple[int, list[int]]] = field(default_factory=dict)
    stops: dict[tuple[int, int], tuple[int, int] | None] = field(default_factory=dict)


#: ``tuple.__new__(NamedTupleClass, values)`` skips the named tuple's Python-level
#: ``__new__``: a third of the cost, for what is made once per score.
_new_tuple = tuple.__new__


class _Teams(NamedTuple):
    """Named tuples, not frozen dataclasses: made once per score, and several times cheaper."""

    subject: EntityMention
    object: EntityMention
    bare: bool
    window: tuple[int, int]


class _Found(NamedTuple):
    result: MatchResult
    oriented: bool


def find_match_results(text: str, mentions: Sequence[EntityMention],
                       published_at: datetime | None,
                       home_club_of: HomeClubOf, *,
                       home_clubs_of: Callable[[str], tuple[str, ...]] | None = None,
                       club_facts: Callable[[str], ClubFacts | None] | None = None,
                       by_type: MentionsByType | None = None,
                       ) -> list[MatchResult]:
    """Every result the text states, once each, in order of first statement.

    Home/away follow the text's order when it does not say (see the module docstring).
    ``home_clubs_of`` (every club of a shared ground) and ``club_facts`` (country and city)
    are optional knowledge-base look-ups that sharpen home/away and epithet subjects.
    ``by_type`` is ``mentions_by_type(mentions)`` for a caller that already has it.
    """
    if by_type is None:
        by_type = mentions_by_type(mentions)
    clubs = by_type.get("club", ())
    if len(clubs) < 2:
        return []
    competitions = by_type.get("competition", ())
    venues = by_type.get("venue", ())
    ctx = _Context(
        text=text, clubs=clubs, club_starts=[m.start for m in clubs],
        competitions=competitions, competition_starts=[m.start for m in competitions],
        venues=venues, venue_starts=[m.start for m in venues],
        published_at=published_at, home_club_of=home_club_of,
        home_clubs_of=home_clubs_of, club_facts=club_facts,
    )
    staged: list[tuple[re.Match[str], tuple[int, int], _Teams, tuple[int, int]]] = []
    for score in _score_candidates(text):
        picked = _teams_for(ctx, score)
        if picked is not None:
            staged.append((score, *picked))
    found: dict[_Key, _Found] = {}
    # Segment boundaries: what follows a result up to the next clause break is its own
    # ("3-1 at San Mamés on Thursday, overturning a 2-1 first-leg defeat").
    starts = [sentence[0] if i == 0 or staged[i - 1][1] != sentence
              else _after_clause(text, staged[i - 1][0].end(), score.start())
              for i, (score, sentence, _teams, _goals) in enumerate(staged)]
    for i, (score, sentence, teams, goals) in enumerate(staged):
        hi = (starts[i + 1] if i + 1 < len(staged) and staged[i + 1][1] == sentence
              else sentence[1])
        candidate = _result_for(ctx, score, goals, sentence, teams, (starts[i], hi), found)
        if candidate is not None:
            _merge(found, candidate)
    return [f.result for f in found.values()]


def _after_clause(text: str, lo: int, hi: int) -> int:
    """End of the first clause break in ``text[lo:hi]`` (``lo`` itself when none)."""
    stop = _clause_stop(text, lo, hi)
    return stop[1] if stop is not None else lo


def _clause_stop_of(ctx: _Context, lo: int, hi: int) -> tuple[int, int] | None:
    """:func:`_clause_stop` of the article's text, once per bounds."""
    key = (lo, hi)
    stops = ctx.stops
    if key in stops:
        return stops[key]
    stop = stops[key] = _clause_stop(ctx.text, lo, hi)
    return stop


def _clause_stop(text: str, lo: int, hi: int) -> tuple[int, int] | None:
    """Span of ``_CLAUSE_STOP.search(text, lo, hi)``, several times faster.

    The stops are punctuation, a dash between spaces and a few words; the first two are
    found in one character-class scan (the first punctuation mark, or an earlier spaced
    dash), then a word is looked for only before that stop: none can reach over another.
    """
    found = None
    # ``search`` in a loop, not ``finditer``: the first mark settles it nearly always, and
    # an iterator is dearer to set up than the one search.
    mark = _STOP_MARK.search(text, lo, hi)
    while mark is not None:
        at = mark.start()
        if text[at] not in _DASHES:
            found = (at, at + 1)
            hi = at
            break
        if lo < at and at + 1 < hi and text[at - 1].isspace() and text[at + 1].isspace():
            found = (at - 1, at + 2)
            hi = at - 1
            break
        mark = _STOP_MARK.search(text, at + 1, hi)
    match = _STOP_WORD.search(text, lo, hi)
    while match is not None:
        at = match.start()
        if at == 0 or not (text[at - 1].isalnum() or text[at - 1] == "_"):
            return at, match.end()
        match = _STOP_WORD.search(text, at + 1, hi)
    return found


def _score_candidates(text: str) -> list[re.Match[str]]:
    """Every "N-M" in text order: scan for separators, then match the full form."""
    found: dict[int, re.Match[str]] = {}
    for literal, separator in _SEPARATORS:
        if literal not in text:
            continue  # most texts have no dash of some kind: a substring test is cheaper
        for sep in separator.finditer(text):
            at = sep.start()
            start = _number_start(text, at)
            if start is None:
                continue
            match = _SCORE.match(text, start)
            if match is not None and match.start(2) <= at < match.end(2):
                found[start] = match
    return [found[k] for k in sorted(found)]


def _number_start(text: str, sep: int) -> int | None:
    """Start of the one- or two-digit number before a separator, if it stands alone."""
    end = sep - 1 if sep > 0 and text[sep - 1] == " " else sep
    if not end or not text[end - 1].isdigit():
        return None
    start = end - 1
    if start and text[start - 1].isdigit():
        start -= 1
        if start and text[start - 1].isdigit():
            return None  # three digits or more
    if start and (text[start - 1].isalnum() or text[start - 1] in _NOT_BEFORE_NUMBER):
        return None
    return start


def _teams_for(ctx: _Context, score: re.Match[str]
               ) -> tuple[tuple[int, int], _Teams, tuple[int, int]] | None:
    """The sentence, the two teams and the goals of a score, or None when it is not a score
    or lacks two teams."""
    start = score.start()
    text = ctx.text
    # Any club in the paragraph: the cheap gate before sentence-level work.
    starts = ctx.club_starts
    para_lo = text.rfind("\n", 0, start) + 1
    i = bisect_left(starts, para_lo)
    if i == len(starts):
        return None
    para_hi = text.find("\n", start)
    if para_hi < 0:
        para_hi = len(text)
    elif starts[i] >= para_hi:
        return None
    goals = (int(score.group(1)), int(score.group(3)))
    if not _plausible_score(text, score, goals):
        return None
    sentence = sentence_in(text, start, para_lo, para_hi, ctx.sentences)
    teams = _pick_teams(ctx, sentence, start, score.end())
    return None if teams is None else (sentence, teams, goals)


def _result_for(ctx: _Context, score: re.Match[str], goals: tuple[int, int],
                sentence: tuple[int, int], teams: _Teams, segment: tuple[int, int],
                found: dict[_Key, _Found] | None = None) -> _Found | None:
    """The result one score states; venue and date come from its ``segment`` only.

    ``found`` (the results so far): a restatement of a result already known can only fill
    the competition, date or venue that one lacks unless it tells home/away and the first
    did not (see :func:`_merge`); then only those fields are looked for and the earlier
    result is updated in place, and None is returned.
    """
    s = score.start()
    subject_won = _subject_won(ctx, teams, s, goals, sentence)
    if subject_won is None:
        return None
    old = None if found is None else found.get(_key_of(teams, goals, subject_won))
    if found is not None and old is not None and old.oriented:
        _fill(ctx, found, old, score, sentence, segment)
        return None
    venue = _nearest(ctx.venues, ctx.venue_starts, segment, s)
    subject_home = _subject_home(ctx, teams, sentence, venue)
    if found is not None and old is not None and subject_home is None:
        _fill(ctx, found, old, score, sentence, segment)
        return None
    home, away, home_goals, away_goals = _orient(teams, goals, subject_won, subject_home)
    competition = _nearest(ctx.competitions, ctx.competition_starts, sentence, s)
    result = MatchResult(
        home=home.ref, away=away.ref, home_goals=home_goals, away_goals=away_goals,
        competition=competition.ref if competition else None,
        date=find_date_in_sentence(ctx.text, segment, s, score.end(), ctx.published_at),
        venue=venue.ref if venue else None, span=sentence,
    )
    return _Found(result, oriented=subject_home is not None)


def _key_of(teams: _Teams, goals: tuple[int, int], subject_won: bool) -> _Key:
    """:func:`_merge`'s key of the result ``_orient`` makes of these teams and goals."""
    high, low = max(goals), min(goals)
    subject_goals, object_goals = goals if teams.bare else (
        (high, low) if subject_won else (low, high))
    subject_id, object_id = teams.subject.ref.id, teams.object.ref.id
    winner = (subject_id if subject_goals > object_goals
              else object_id if object_goals > subject_goals else "")
    pair = (subject_id, object_id) if subject_id < object_id else (object_id, subject_id)
    return pair, winner, (high, low)


def _fill(ctx: _Context, found: dict[_Key, _Found], old: _Found, score: re.Match[str],
          sentence: tuple[int, int], segment: tuple[int, int]) -> None:
    """:func:`_merge` of a restatement that does not replace the earlier statement (that one
    is oriented, or neither is): only the fields the earlier one lacks are taken."""
    r = old.result
    s = score.start()
    competition = r.competition
    if competition is None:
        mention = _nearest(ctx.competitions, ctx.competition_starts, sentence, s)
        competition = mention.ref if mention else None
    venue = r.venue
    if venue is None:
        mention = _nearest(ctx.venues, ctx.venue_starts, segment, s)
        venue = mention.ref if mention else None
    day = r.date
    if day is None:
        day = find_date_in_sentence(ctx.text, segment, s, score.end(), ctx.published_at)
    if competition is r.competition and venue is r.venue and day is r.date:
        return
    merged = replace(r, competition=competition, date=day, venue=venue, span=r.span)
    found[_key_of_result(merged)] = _Found(merged, old.oriented)


def _orient(teams: _Teams, goals: tuple[int, int], subject_won: bool,
            subject_home: bool | None) -> tuple[EntityMention, EntityMention, int, int]:
    """(home, away, home goals, away goals): the winner takes the higher number (the bare
    line keeps its own order); unknown home/away falls back to the textual order."""
    high, low = max(goals), min(goals)
    subject_goals, object_goals = goals if teams.bare else (
        (high, low) if subject_won else (low, high))
    if subject_home is None:
        subject_home = teams.subject.start < teams.object.start
    if subject_home:
        return teams.subject, teams.object, subject_goals, object_goals
    return teams.object, teams.subject, object_goals, subject_goals


def _plausible_score(text: str, score: re.Match[str], goals: tuple[int, int]) -> bool:
    """Reject number pairs the surrounding words show are not a full-time score.

    Looks at 40 characters each side, cut at a line or sentence break; cheap enough to
    run before the sentence is even located.
    """
    first, second = goals
    if first > 20 or second > 20 or (first >= 10 and second >= 10):
        return False
    start, end = score.span()
    lo = start - 40 if start > 40 else 0
    cut = max(text.rfind("\n", lo, start), text.rfind(". ", lo, start))
    before = text[cut + 1 if cut >= 0 else lo:start]
    if "to" in score.group(2) and not _TO_FORM_CUE.search(before):
        return False
    before = before.lower()
    words = before.rsplit(None, 2)  # the last two words are all that is asked
    if words and words[-1].strip("(,") in _NOT_SCORE_LAST_WORD:
        return False
    if len(words) > 1 and f"{words[-2]} {words[-1]}" in _NOT_SCORE_LAST_TWO:
        return False
    if _NOT_SCORE_NEAR_ANY.search(before) and not _REGULATION.search(before):
        return False
    after_hi = text.find("\n", end, end + 40)
    return _NOT_SCORE_AFTER.match(text, end, after_hi if after_hi >= 0 else end + 40) is None


def _pick_teams(ctx: _Context, sentence: tuple[int, int], s: int, e: int) -> _Teams | None:
    """Subject and object clubs for the score at ``[s, e)`` (see module docstring)."""
    lo, hi = sentence
    starts, clubs = ctx.club_starts, ctx.clubs
    i_lo = bisect_left(starts, lo)
    i_score = bisect_left(starts, s, i_lo)
    before = clubs[i_lo:i_score]
    if before and before[-1].end > s:
        before = before[:-1]  # mentions never overlap: only the last can reach past the score
    obj = (_object_after(ctx.text, clubs[i_score], e)
           if i_score < len(starts) and starts[i_score] < hi else None)
    if obj is not None:
        if before and _only_space(ctx.text, before[-1].end, s) and _only_space(ctx.text, e,
                                                                              obj.start):
            return _new_tuple(_Teams, (before[-1], obj, True, (before[-1].start, obj.end)))
        subject = _subject_before(ctx, before, obj)
    elif before:
        obj = before[-1]
        subject = _subject_before(ctx, before[:-1], obj)
    else:
        return None
    if subject is None and _in_object_position(ctx, obj):
        subject = (_subject_from_context(ctx, sentence, obj)
                   or _subject_later(ctx, sentence, obj, s))
        window_start = lo
    else:
        window_start = subject.end if subject is not None else lo
    if subject is None or subject.ref.id == obj.ref.id:
        return None
    return _new_tuple(_Teams, (subject, obj, False, (window_start, max(obj.start, e))))


def _object_after(text: str, first: EntityMention, e: int) -> EntityMention | None:
    """``first``, the first club after the score in its sentence, if in the same clause and
    close enough."""
    if first.start - e > _MAX_OBJECT_GAP or _clause_stop(text, e, first.start):
        return None
    return first


def _subject_before(ctx: _Context, before: Sequence[EntityMention],
                    obj: EntityMention) -> EntityMention | None:
    """The nearest earlier club that is not itself the object of another phrase."""
    obj_id = obj.ref.id
    for mention in reversed(before):
        if mention.ref.id != obj_id and not _in_object_position(ctx, mention):
            return mention
    return None


def _subject_from_context(ctx: _Context, sentence: tuple[int, int],
                          obj: EntityMention) -> EntityMention | None:
    """The club the paragraph was about before this sentence ("They lost 2-1 to X").

    Looks back through the paragraph; a sentence opening with "They"/"His side" may
    reach back one more paragraph.
    """
    text = ctx.text
    para_lo = text.rfind("\n", 0, sentence[0]) + 1
    epithet = _EPITHET_SUBJECT.match(text, sentence[0])
    country = DEMONYMS.get(epithet.group("adj").lower()) if epithet and epithet.group("adj") \
        else None
    if country is not None and ctx.club_facts is not None:
        return _club_of_country(ctx, _paragraph_start(text, para_lo) if para_lo else 0,
                                sentence[0], obj, country)
    subject = _last_subject(ctx, para_lo, sentence[0], obj)
    if subject is None and para_lo > 0 and (_PRONOUN_SUBJECT.match(text, sentence[0])
                                            or epithet is not None):
        subject = _last_subject(ctx, _paragraph_start(text, para_lo), para_lo, obj)
    return subject


def _club_of_country(ctx: _Context, lo: int, hi: int, obj: EntityMention,
                     country: str) -> EntityMention | None:
    """The latest club before ``hi`` (from ``lo``) of one country, other than ``obj``."""
    assert ctx.club_facts is not None
    i_lo = bisect_left(ctx.club_starts, lo)
    i_hi = bisect_left(ctx.club_starts, hi)
    for mention in reversed(ctx.clubs[i_lo:i_hi]):
        facts = ctx.club_facts(mention.ref.id)
        if mention.ref.id != obj.ref.id and facts is not None and facts.country == country:
            return mention
    return None


def _subject_later(ctx: _Context, sentence: tuple[int, int], obj: EntityMention,
                   s: int) -> EntityMention | None:
    """A sentence opening with the result ("The 3-0 defeat by X ended Y's run"): the
    first later club that is not itself an object."""
    if s - sentence[0] > _OPENING_SCORE_MAX:
        return None
    i_lo = bisect_left(ctx.club_starts, obj.end)
    i_hi = bisect_left(ctx.club_starts, sentence[1])
    for mention in ctx.clubs[i_lo:i_hi]:
        if mention.ref.id != obj.ref.id and not _in_object_position(ctx, mention):
            return mention
    return None


def _paragraph_start(text: str, para_lo: int) -> int:
    """Start of the paragraph before the one starting at ``para_lo``."""
    end = para_lo
    while end > 0 and text[end - 1] == "\n":
        end -= 1
    return text.rfind("\n", 0, end) + 1


def _last_subject(ctx: _Context, lo: int, hi: int, obj: EntityMention) -> EntityMention | None:
    i_lo = bisect_left(ctx.club_starts, lo)
    i_hi = bisect_left(ctx.club_starts, hi)
    return _subject_before(ctx, ctx.clubs[i_lo:i_hi], obj)


def _lead(text: str, start: int) -> tuple[str, str]:
    """The word and the two words governing a mention, descriptors skipped, lower-cased:
    "losing it 3-0 to Italian side Atalanta" -> ("to", "3-0 to")."""
    lo = start - 60 if start > 60 else 0
    # Three words may be skipped and two are read: the last five are all that is asked
    # (a longer lead keeps the rest as one more, never read, item).
    cut = text.rfind("\n", lo, start)  # the lead stops at a line break
    words = text[cut + 1 if cut >= 0 else lo:start].rsplit(None, 5)
    for _ in range(3):
        if words and words[-1][-1] not in _BOUNDARY and (words[-1][0].isupper()
                                                         or words[-1] in _DESCRIPTORS):
            words.pop()
    if not words or words[-1][-1] in _BOUNDARY:
        return "", ""
    last = words[-1].lower()
    return last, (words[-2].lower() + " " + last) if len(words) > 1 else last


def _lead_of(ctx: _Context, start: int) -> tuple[str, str]:
    """:func:`_lead`, once per mention start and article."""
    lead = ctx.leads.get(start)
    if lead is None:
        lead = ctx.leads[start] = _lead(ctx.text, start)
    return lead


def _in_object_position(ctx: _Context, mention: EntityMention) -> bool:
    last, pair = _lead_of(ctx, mention.start)
    return last in _OBJECT_WORDS or pair in _OBJECT_PAIRS


def _only_space(text: str, start: int, end: int) -> bool:
    return start <= end and not text[start:end].strip()


def _subject_won(ctx: _Context, teams: _Teams, s: int, goals: tuple[int, int],
                 sentence: tuple[int, int]) -> bool | None:
    """True if the subject won, False if the object won, None if the text does not say.

    A draw (or the bare line) needs no cue and reports True: the goals are equal or
    taken as written.
    """
    if goals[0] == goals[1] or teams.bare:
        return True
    text = ctx.text
    if teams.object.start > s:
        last, pair = _lead_of(ctx, teams.object.start)
        if last == "by" or pair == "hands of":
            return False
        if pair in _ACTIVE_WINNER_PAIRS:
            return True
    window = teams.window
    if window[1] <= s + 8:
        # The object came before the score: the result word may follow it in the same
        # clause ("overturning a 2-1 first-leg defeat").
        stop = _clause_stop_of(ctx, s + len(text[s:s + 8].split()[0]), sentence[1])
        window = (window[0], stop[0] if stop is not None else sentence[1])
    cue = _nearest_cue(text, window, s)
    if cue is None or cue == "draw":
        return None
    return cue == "win"


def _nearest_cue(text: str, window: tuple[int, int], s: int) -> str | None:
    """Kind of the result word closest to the score within the window (in words); a tie
    goes to the word before the score. ``s`` is where the score starts (with a digit)."""
    before = text[window[0]:s].lower().split()
    cues, prefixes = _CUE_WORDS, _WIN_PREFIXES
    best_distance = -1
    best: str | None = None
    for i in range(len(before) - 1, -1, -1):
        word = before[i].strip(_PUNCT)
        if word in cues or word.startswith(prefixes):
            best = _cue_kind(before, i)
            if best is not None:
                best_distance = len(before) - 1 - i
                break
    if 0 <= best_distance <= 1:
        return best  # the first word after is the score itself (a digit first): never a cue
    # Only words nearer than the best cue before the score can win (and the rest of the
    # window, unsplit, is one more item that is never read).
    after = text[s:max(window[1], s)].lower().split(None, -1 if best is None else best_distance)
    limit = len(after) if best is None else min(len(after), best_distance)
    for i in range(limit):
        word = after[i].strip(_PUNCT)
        if word in cues or word.startswith(prefixes):
            kind = _cue_kind(after, i)
            if kind is not None:
                return kind
    return best


def _cue_kind(words: Sequence[str], i: int) -> str | None:
    """"win", "loss", "draw" or None for ``words[i]``; passives ("were beaten") lose."""
    word = words[i].strip(_PUNCT)
    previous = words[i - 1] if i > 0 else ""
    if word in _PARTICIPLES and (previous in _BE or (i > 1 and words[i - 2] in _BE)):
        return "loss"
    if word in _LOSS_WORDS or (word == "down" and previous == "went"):
        return "loss"
    if word in _WIN_WORDS or word.startswith(_WIN_PREFIXES) or (word == "off"
                                                                 and previous == "saw"):
        return "win"
    return "draw" if word in _DRAW_WORDS else None


def _subject_home(ctx: _Context, teams: _Teams, sentence: tuple[int, int],
                  venue: EntityMention | None) -> bool | None:
    """Whether the subject played at home, when the sentence says; else None."""
    if teams.bare:
        return True
    subject_id, object_id = teams.subject.ref.id, teams.object.ref.id
    if venue is not None:
        if ctx.home_clubs_of is not None:
            homes = set(ctx.home_clubs_of(venue.ref.id))
        else:
            club = ctx.home_club_of(venue.ref.id)
            homes = {club.id} if club is not None else set()
        if (subject_id in homes) != (object_id in homes):
            return subject_id in homes
    text = ctx.text
    last, pair = _lead_of(ctx, teams.object.start)
    if last in _OBJECT_AWAY_WORDS or pair in _OBJECT_AWAY_PAIRS:
        return True
    if last in _OBJECT_HOME_WORDS or pair in _OBJECT_HOME_PAIRS:
        return False
    lo, hi = teams.window[0], _clause_end(ctx, teams, sentence)
    lowered = text[lo:hi].lower()
    # Each pattern holds one of these words: most clauses are passed over on a substring test.
    if ("home" in lowered or "front" in lowered) and _SUBJECT_HOME.search(lowered):
        return True
    if ("away" in lowered or "road" in lowered or "travels" in lowered) \
            and _SUBJECT_AWAY.search(lowered):
        return False
    if ctx.club_facts is not None:
        return _home_by_city(ctx, teams, text[min(lo, teams.subject.start):hi])
    return None


def _home_by_city(ctx: _Context, teams: _Teams, clause: str) -> bool | None:
    """"in Turin" / "in north London": the one team whose home city it is."""
    assert ctx.club_facts is not None
    subject = ctx.club_facts(teams.subject.ref.id)
    obj = ctx.club_facts(teams.object.ref.id)
    if subject is None or obj is None or subject.city == obj.city:
        return None
    for match in _in_cities(clause):
        words = _normalise(match.group(1)).split()
        for name in (" ".join(words), words[0] if words else ""):
            city = _EXONYMS.get(name, name)
            if city and city == subject.city:
                return True
            if city and city == obj.city:
                return False
    return None


def _in_cities(clause: str) -> Iterator[re.Match[str]]:
    """``_IN_CITY`` matches with a word boundary before them, as ``finditer`` of the pattern
    with a leading ``\b`` finds them: a match inside a word ("twin Sam") is dropped and the
    search goes on from its next character."""
    pos = 0
    while (match := _IN_CITY.search(clause, pos)) is not None:
        at = match.start()
        if at and (clause[at - 1].isalnum() or clause[at - 1] == "_"):
            pos = at + 1
            continue
        yield match
        pos = match.end()


def _clause_end(ctx: _Context, teams: _Teams, sentence: tuple[int, int]) -> int:
    """Where the result's clause ends: "home"/"away" words further on are another story."""
    start = max(teams.window[1], teams.object.end)
    stop = _clause_stop_of(ctx, start, sentence[1])
    return stop[0] if stop is not None else sentence[1]


def _nearest(mentions: Sequence[EntityMention], starts: Sequence[int],
             sentence: tuple[int, int], s: int) -> EntityMention | None:
    """The mention in the sentence closest to the score (ties go to the earlier one).

    ``starts`` are the mentions' starts (in text order): only the mentions starting in the
    sentence are visited, found by bisection (asked for every score, of every mention)."""
    lo, hi = sentence
    best: EntityMention | None = None
    best_distance = 0
    for mention in mentions[bisect_left(starts, lo):bisect_right(starts, hi)]:
        if mention.end > hi:
            continue
        distance = s - mention.end if mention.end <= s else mention.start - s
        if best is None or distance < best_distance:
            best, best_distance = mention, distance
    return best


def _merge(found: dict[_Key, _Found], new: _Found) -> None:
    """Keep one result per match: same two clubs and same goals.

    A later statement that tells home/away replaces an earlier unoriented one; missing
    competition, date or venue are filled from later statements.
    """
    key = _key_of_result(new.result)
    old = found.get(key)
    if old is None:
        found[key] = new
        return
    base, extra = (new, old) if new.oriented and not old.oriented else (old, new)
    if base is old and not _adds_detail(old.result, new.result):
        return
    merged = replace(
        base.result,
        competition=base.result.competition or extra.result.competition,
        date=base.result.date or extra.result.date,
        venue=base.result.venue or extra.result.venue,
        span=old.result.span,
    )
    found[key] = _Found(merged, base.oriented)


def _key_of_result(r: MatchResult) -> _Key:
    winner = (r.home.id if r.home_goals > r.away_goals
              else r.away.id if r.away_goals > r.home_goals else "")
    pair = (r.home.id, r.away.id) if r.home.id < r.away.id else (r.away.id, r.home.id)
    return (pair, winner,
            (max(r.home_goals, r.away_goals), min(r.home_goals, r.away_goals)))


def _adds_detail(old: MatchResult, new: MatchResult) -> bool:
    """Whether a repeated statement fills a field the first one left empty."""
    return ((old.competition is None and new.competition is not None)
            or (old.date is None and new.date is not None)
            or (old.venue is None and new.venue is not None))
