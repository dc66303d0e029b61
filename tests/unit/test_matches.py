"""Match results from article text, with hand-built entity mentions."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest

from stream.core.extract.matches import ClubFacts, find_match_results
from stream.core.extract.types import EntityMention
from stream.core.models import EntityType, MatchResult, Ref

#: A Monday.
PUB = datetime(2025, 12, 8, 7, 0, tzinfo=UTC)

_KNOWN: dict[str, tuple[EntityType, str]] = {
    "Arsenal": ("club", "Arsenal"), "Chelsea": ("club", "Chelsea"),
    "Brighton": ("club", "Brighton"), "Everton": ("club", "Everton"),
    "Newcastle": ("club", "Newcastle"), "Aston Villa": ("club", "Aston Villa"),
    "Fulham": ("club", "Fulham"), "Wolves": ("club", "Wolves"), "Porto": ("club", "Porto"),
    "Ajax": ("club", "Ajax"), "Liverpool": ("club", "Liverpool"),
    "Tottenham": ("club", "Tottenham"), "Celtic": ("club", "Celtic"),
    "Rangers": ("club", "Rangers"), "Leeds": ("club", "Leeds"), "Burnley": ("club", "Burnley"),
    "Sevilla": ("club", "Sevilla"), "Valencia": ("club", "Valencia"), "Lyon": ("club", "Lyon"),
    "Nice": ("club", "Nice"), "Monaco": ("club", "Monaco"), "Lens": ("club", "Lens"),
    "Lille": ("club", "Lille"), "Getafe": ("club", "Getafe"), "Napoli": ("club", "Napoli"),
    "Lazio": ("club", "Lazio"), "Inter": ("club", "Inter"), "Juventus": ("club", "Juventus"),
    "Torino": ("club", "Torino"), "Genoa": ("club", "Genoa"), "Parma": ("club", "Parma"),
    "Atalanta": ("club", "Atalanta"), "Bologna": ("club", "Bologna"),
    "Benfica": ("club", "Benfica"), "Sporting": ("club", "Sporting"), "Milan": ("club", "Milan"),
    "Roma": ("club", "Roma"), "Como": ("club", "Como"), "Bayern Munich": ("club", "Bayern"),
    "Bochum": ("club", "Bochum"), "PSG": ("club", "PSG"), "Brest": ("club", "Brest"),
    "Barcelona": ("club", "Barcelona"), "Girona": ("club", "Girona"),
    "Real Madrid": ("club", "Real Madrid"), "Los Blancos": ("club", "Real Madrid"),
    "the Catalans": ("club", "Barcelona"), "Nantes": ("club", "Nantes"),
    "Leicester": ("club", "Leicester"), "Derby": ("club", "Derby"),
    "Celta Vigo": ("club", "Celta Vigo"),
    "Premier League": ("competition", "Premier League"),
    "UEFA Europa League": ("competition", "UEFA Europa League"),
    "Champions League": ("competition", "UEFA Champions League"),
    "FA Cup": ("competition", "FA Cup"),
    "Emirates Stadium": ("venue", "Emirates Stadium"), "Turf Moor": ("venue", "Turf Moor"),
    "Wembley": ("venue", "Wembley"),
    "Pep Guardiola": ("person", "Pep Guardiola"), "Sam Hart": ("person", "Sam Hart"),
}
_HOMES = {"emirates-stadium": "Arsenal", "turf-moor": "Burnley"}


def ref(name: str) -> Ref:
    return Ref(name=name, id=re.sub(r"\W+", "-", name.lower()))


def mentions(text: str) -> list[EntityMention]:
    """Every known surface in the text, longest first where they overlap."""
    found: list[EntityMention] = []
    for surface in sorted(_KNOWN, key=len, reverse=True):
        kind, name = _KNOWN[surface]
        for match in re.finditer(rf"(?<!\w){re.escape(surface)}(?!\w)", text):
            if not any(m.start < match.end() and match.start() < m.end for m in found):
                found.append(EntityMention(match.start(), match.end(), kind, ref(name)))
    return sorted(found, key=lambda m: m.start)


def home_club_of(venue_id: str) -> Ref | None:
    club = _HOMES.get(venue_id)
    return ref(club) if club else None


def results(text: str, published_at: datetime | None = PUB) -> list[MatchResult]:
    return find_match_results(text, mentions(text), published_at, home_club_of)


def line(result: MatchResult) -> str:
    return f"{result.home.name} {result.home_goals}-{result.away_goals} {result.away.name}"


def only(text: str, published_at: datetime | None = PUB) -> MatchResult:
    found = results(text, published_at)
    assert len(found) == 1, [line(r) for r in found]
    return found[0]


def test_beat_at_venue_sets_home_venue_and_date() -> None:
    text = "Arsenal beat Chelsea 3-1 at the Emirates Stadium on Saturday."
    result = only(text)
    assert line(result) == "Arsenal 3-1 Chelsea"
    assert result.venue == ref("Emirates Stadium")
    assert result.date == date(2025, 12, 6)
    assert result.span == (0, len(text))


def test_venue_makes_the_second_named_club_home() -> None:
    result = only("Leeds and Burnley drew 1-1 at Turf Moor last night.")
    assert line(result) == "Burnley 1-1 Leeds"
    assert result.date == date(2025, 12, 7)


def test_win_at_opponent_is_an_away_win_with_competition() -> None:
    result = only("Coach Sam Hart praised Brighton’s 2–1 Premier League win at Everton.")
    assert line(result) == "Everton 1-2 Brighton"
    assert result.competition == ref("Premier League")


def test_demolition_at_the_hands_of_means_the_other_side_won() -> None:
    result = only("Newcastle's 5-2 demolition at the hands of Aston Villa still hurts.")
    assert line(result) == "Newcastle 2-5 Aston Villa"  # home unknown: textual order
    assert result.competition is None


def test_beaten_by_in_a_home_defeat() -> None:
    result = only("Fulham were dealt a home defeat, having been beaten 2-0 by Wolves on Sunday.")
    assert line(result) == "Fulham 0-2 Wolves"
    assert result.date == date(2025, 12, 7)


def test_subject_from_previous_sentence_and_losing_to() -> None:
    text = ("In 2019 he took charge of Porto for a second spell. He also led his side to the "
            "final of the UEFA Europa League, losing it 3-0 to Dutch side Ajax.")
    result = only(text)
    assert line(result) == "Porto 0-3 Ajax"
    assert result.competition == ref("UEFA Europa League")
    assert text[result.span[0]:result.span[1]].startswith("He also led")


def test_pronoun_sentence_reaches_back_one_paragraph() -> None:
    text = "Valencia have struggled for weeks.\n\nThey lost 2-0 to Getafe on Friday."
    assert line(only(text)) == "Valencia 0-2 Getafe"


def test_epithet_mentions_count_as_clubs() -> None:
    result = only("Los Blancos were beaten 2-0 by Celta Vigo at home on Sunday.")
    assert line(result) == "Real Madrid 0-2 Celta Vigo"


def test_sentence_opening_with_the_result_finds_a_later_subject() -> None:
    text = "The 3-0 defeat by Atalanta in the final ended Napoli's unbeaten run."
    assert line(only(text)) == "Atalanta 3-0 Napoli"  # home unknown: textual order


def test_winners_and_ran_out() -> None:
    assert line(only("Leicester were 2-1 winners at Derby.")) == "Derby 1-2 Leicester"
    assert line(only("Leicester ran out 3-1 winners against Derby.")) == "Leicester 3-1 Derby"


def test_bare_score_line_is_home_first() -> None:
    assert line(only("Liverpool 1-2 Tottenham")) == "Liverpool 1-2 Tottenham"


def test_won_two_to_one() -> None:
    assert line(only("Celtic won 2 to 1 against Rangers in the cup.")) == "Celtic 2-1 Rangers"


def test_hosted_makes_subject_home() -> None:
    assert line(only("Sevilla hosted Valencia and won 3-2.")) == "Sevilla 3-2 Valencia"


def test_visit_of_makes_subject_home() -> None:
    assert line(only("Leicester won 3-1 during the visit of Derby.")) == "Leicester 3-1 Derby"


def test_held_to_a_draw_away_to() -> None:
    assert line(only("Lyon were held to a 0-0 draw away to Nice.")) == "Nice 0-0 Lyon"


def test_away_to_and_at_home() -> None:
    assert line(only("Lyon won 1-0 away to Nantes.")) == "Nantes 0-1 Lyon"
    assert line(only("Lille lost 3-2 at home to Nantes.")) == "Lille 2-3 Nantes"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Bayern Munich thrashed Bochum 5-0.", "Bayern 5-0 Bochum"),
        ("PSG's 6-1 rout of Brest was their best display.", "PSG 6-1 Brest"),
        ("Milan's 3-1 defeat of Como lifted the mood.", "Milan 3-1 Como"),
        ("Como's 3-1 defeat against Milan hurt.", "Como 1-3 Milan"),
        ("Roma recorded a 2-0 victory against Lazio.", "Roma 2-0 Lazio"),
        ("Lazio suffered a 2-0 loss to Roma.", "Lazio 0-2 Roma"),
        ("Napoli lost to Inter 3-1.", "Napoli 1-3 Inter"),
        ("Genoa and Parma drew 2-2.", "Genoa 2-2 Parma"),
    ],
)
def test_cue_words_orient_the_score(text: str, expected: str) -> None:
    assert line(only(text)) == expected


def test_object_of_another_phrase_is_not_the_subject() -> None:
    text = ("Reports said Barcelona's directors met after the loss to Girona, a setback "
            "followed days later by a 2-1 Champions League defeat to Bayern Munich.")
    result = only(text)
    assert line(result) == "Barcelona 1-2 Bayern"
    assert result.competition == ref("UEFA Champions League")


def test_two_results_in_one_sentence_and_clause_limited_home_cue() -> None:
    found = results("Monaco's 2-1 win over Lens came a week after their 3-0 home loss to Lille.")
    assert [line(r) for r in found] == ["Monaco 2-1 Lens", "Monaco 0-3 Lille"]


def test_home_words_of_another_clause_do_not_orient() -> None:
    found = results("Monaco lost 2-1 to Lens, a week after their 3-0 away defeat at Lille.")
    assert [line(r) for r in found] == ["Monaco 1-2 Lens", "Lille 3-0 Monaco"]


def test_same_match_twice_gives_one_result_oriented_by_the_later_statement() -> None:
    text = ("Chelsea were beaten 3-1 by Arsenal on Saturday.\n\n"
            "Arsenal's 3-1 win over Chelsea at the Emirates Stadium was their fifth in a row.")
    result = only(text)
    assert line(result) == "Arsenal 3-1 Chelsea"
    assert result.venue == ref("Emirates Stadium")
    assert result.date == date(2025, 12, 6)
    assert result.span == (0, text.index("\n"))


@pytest.mark.parametrize(
    "text",
    [
        "In the 2023-24 season Napoli finished tenth, behind Lazio.",
        "Napoli and Lazio both improved in 2024/25.",
        "The 65-year-old left Juventus for Torino.",
        "Atalanta ended with 28 wins, six draws and four defeats, ahead of Bologna.",
        "Inter have two wins in the past eight games against Milan.",
        "Lazio switched to a 4-3-3 formation against Inter.",
        "Juventus are 5-2 favourites to beat Torino.",
        "Fans can watch Genoa against Parma on the big screen from 7-9pm.",
        "Fans can watch Genoa against Parma on the big screen from 7-9 pm.",
        "Roma played Lazio on 12-11 last year.",
        "Atalanta led Bologna 1-0 at half-time before fading.",
        "Benfica beat Sporting 4-3 on aggregate.",
        "Inter beat Milan 4-2 on penalties.",
        "Call Arsenal on 0207-704 or Chelsea on 555-12-34.",
        "Napoli won 2-1 on Saturday.",
        "Pep Guardiola's side won 2-1 on Saturday.",
        "The 2-1 scoreline between Everton and Fulham was fair.",
        "Genoa were 2-0 up against Parma after ten minutes.",
        "The loss to Girona came on December 7 for Barcelona.",
    ],
)
def test_non_scores_and_unidentified_teams_give_nothing(text: str) -> None:
    assert results(text) == []


def test_no_publication_date_leaves_relative_dates_unknown() -> None:
    assert only("Arsenal beat Chelsea 3-1 on Saturday.", None).date is None


def _facts(club_id: str) -> ClubFacts | None:
    return {"juventus": ClubFacts("Italy", "torino"), "ac-milan": ClubFacts("Italy", "milano"),
            "napoli": ClubFacts("Italy", "napoli"), "psv": ClubFacts("Netherlands", "eindhoven"),
            "eintracht-frankfurt": ClubFacts("Germany", "frankfurt")}.get(club_id)


_KNOWN.update({"Juventus": ("club", "Juventus"), "AC Milan": ("club", "AC Milan"),
               "Napoli": ("club", "Napoli"), "PSV": ("club", "PSV"),
               "Eintracht Frankfurt": ("club", "Eintracht Frankfurt")})


def with_facts(text: str) -> list[MatchResult]:
    return find_match_results(text, mentions(text), PUB, home_club_of, club_facts=_facts)


def test_in_city_names_the_home_side_with_english_exonyms() -> None:
    found = with_facts("AC Milan were held to a 1-1 draw by Juventus in Turin.")
    assert [line(r) for r in found] == ["Juventus 1-1 AC Milan"]


def test_epithet_subject_is_found_by_country_in_earlier_paragraphs() -> None:
    text = ("Napoli face Eintracht Frankfurt on Wednesday.\n\n"
            "The Italian champions were thrashed 6-2 by PSV in Eindhoven last time out.")
    assert [line(r) for r in with_facts(text)] == ["PSV 6-2 Napoli"]


def test_venue_belongs_to_the_result_of_its_own_clause() -> None:
    found = results("Arsenal lost 2-1 to Chelsea at Emirates Stadium, and Burnley were "
                    "beaten 3-1 by Liverpool.")
    assert [r.venue.name if r.venue else None for r in found] == ["Emirates Stadium", None]


def test_regulation_score_after_a_shootout_counts() -> None:
    result = only("Burnley beat Arsenal 5-4 on penalties after a 2-2 draw at Turf Moor.")
    assert (line(result), result.venue and result.venue.name) == ("Burnley 2-2 Arsenal",
                                                                  "Turf Moor")


def test_clause_stops_are_those_of_the_clause_pattern() -> None:
    from stream.core.extract.matches import _CLAUSE_STOP, _clause_stop

    texts = [
        "beat them 2-1 at home - and then lost, while the top-four race went on.",
        "won 3-1 when it mattered; a well-earned win (their first) – finally!",
        "Sandwich band Whenever: x-y — z and",
        "-a - b -",
    ]
    for text in texts:
        for lo in range(len(text)):
            for hi in range(lo, len(text) + 1):
                match = _CLAUSE_STOP.search(text, lo, hi)
                assert _clause_stop(text, lo, hi) == (match.span() if match else None)


def test_in_city_needs_a_word_boundary_before_in() -> None:
    from stream.core.extract.matches import _in_cities

    clause = "twin Sam beat them in Turin, then in north London; Berlin Wall_in Rome"
    assert [m.group(1) for m in _in_cities(clause)] == ["Turin", "London"]
