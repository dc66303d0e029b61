"""Gazetteer: whole-word, accent/case-insensitive alias mentions with exact offsets."""

from __future__ import annotations

import time
import unicodedata

import pytest

from stream.core.extract.gazetteer import Gazetteer, Mention
from stream.core.extract.kb import KnowledgeBase, fold_text, load_default


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    started = time.perf_counter()
    kb = load_default()
    loaded = time.perf_counter()
    built = Gazetteer(kb)
    print(f"\nkb load {(loaded - started) * 1000:.1f} ms, gazetteer build "
          f"{(time.perf_counter() - loaded) * 1000:.1f} ms ({built.key_count} keys)")
    return built


def found(gazetteer: Gazetteer, text: str) -> list[tuple[str, tuple[str, ...]]]:
    mentions = gazetteer.find(text)
    for m in mentions:
        assert text[m.start:m.end] == m.surface  # offsets index the original text
    return [(m.surface, m.entity_ids) for m in mentions]


def test_offsets_and_ids(gazetteer: Gazetteer) -> None:
    text = "On a wet night in Vigo, Celta Vigo held Atlético Madrid to a draw."
    assert gazetteer.find(text) == [
        Mention(24, 34, "Celta Vigo", ("club:celta-vigo",)),
        Mention(40, 55, "Atlético Madrid", ("club:atletico-madrid",)),
    ]


def test_nicknames_people_venues_and_competitions(gazetteer: Gazetteer) -> None:
    text = ("Die Werkself travel to the Bernabeu, where Los Blancos and Vinicius Jr wait; "
            "the Copa del Rey tie at Mendizorroza is on Thursday.")
    assert found(gazetteer, text) == [
        ("Die Werkself", ("club:bayer-leverkusen",)),
        ("Bernabeu", ("venue:santiago-bernabeu",)),
        ("Los Blancos", ("club:real-madrid",)),
        ("Vinicius Jr", ("person:vinicius-junior",)),
        ("Copa del Rey", ("competition:copa-del-rey",)),
        ("Mendizorroza", ("venue:mendizorroza",)),
    ]


def test_accent_and_case_insensitive(gazetteer: Gazetteer) -> None:
    for text in ("ATLETICO DE MADRID", "atlético de madrid", "Atletico de Madrid"):
        assert found(gazetteer, f"Then {text} scored.") == [(text, ("club:atletico-madrid",))]
    assert found(gazetteer, "mbappe and MBAPPÉ") == [
        ("mbappe", ("person:kylian-mbappe",)), ("MBAPPÉ", ("person:kylian-mbappe",))]


@pytest.mark.parametrize("apostrophe", ["'", "’"])
def test_possessives(gazetteer: Gazetteer, apostrophe: str) -> None:
    text = f"Real Madrid{apostrophe}s coach praised Spurs{apostrophe} pressing."
    assert found(gazetteer, text) == [
        ("Real Madrid", ("club:real-madrid",)), ("Spurs", ("club:tottenham-hotspur",))]


def test_whole_words_only(gazetteer: Gazetteer) -> None:
    assert found(gazetteer, "Interest rates and Interlagos are not clubs.") == []
    assert found(gazetteer, "A Sevillana dance; the Arsenals of Europe.") == []
    assert found(gazetteer, "2Inter Inter2") == []


def test_longest_match_wins(gazetteer: Gazetteer) -> None:
    assert found(gazetteer, "Manchester United beat Newcastle United.") == [
        ("Manchester United", ("club:manchester-united",)),
        ("Newcastle United", ("club:newcastle-united",)),
    ]
    assert found(gazetteer, "the Juve Stabia striker") == [("Juve Stabia", ("club:juve-stabia",))]


def test_short_and_flagged_aliases_are_case_sensitive(gazetteer: Gazetteer) -> None:
    assert found(gazetteer, "As reported by AS, PSG want him as a backup.") == [
        ("AS", ("org:as",)), ("PSG", ("club:paris-saint-germain",))]
    assert found(gazetteer, "psg") == []
    assert found(gazetteer, "He was reading while Reading lost.") == [
        ("Reading", ("club:reading",))]
    assert found(gazetteer, "the forest behind Forest's ground") == [
        ("Forest", ("club:nottingham-forest",))]


def test_generic_and_ambiguous_forms_are_not_matched(gazetteer: Gazetteer) -> None:
    text = "Real fans in Madrid cheered, City and United drew, the Reds and the Blues lost."
    assert found(gazetteer, text) == []


def test_punctuation_variants(gazetteer: Gazetteer) -> None:
    assert found(gazetteer, "St. Pauli, St Pauli and ST PAULI") == [
        ("St. Pauli", ("club:st-pauli",)), ("St Pauli", ("club:st-pauli",)),
        ("ST PAULI", ("club:st-pauli",))]
    assert found(gazetteer, "Brighton and Hove Albion") == [
        ("Brighton and Hove Albion", ("club:brighton-hove-albion",))]


def test_decomposed_accents_map_back_to_original_offsets(gazetteer: Gazetteer) -> None:
    text = unicodedata.normalize("NFD", "Xabi Alonso at the Bernabéu with Mbappé.")
    assert found(gazetteer, text) == [
        ("Xabi Alonso", ("person:xabi-alonso",)),
        (unicodedata.normalize("NFD", "Bernabéu"), ("venue:santiago-bernabeu",)),
        (unicodedata.normalize("NFD", "Mbappé"), ("person:kylian-mbappe",)),
    ]


def test_non_latin_text_does_not_match_by_accident(gazetteer: Gazetteer) -> None:
    assert found(gazetteer, "Зенит и ΠΑΟΚ ⚽ 😀") == []
    assert found(gazetteer, "") == []


def test_ambiguous_alias_returns_every_id() -> None:
    kb = KnowledgeBase.from_documents([{"entities": [
        {"id": "club:river-a", "type": "club", "name": "River Alpha", "aliases": ["Rivers"]},
        {"id": "club:river-b", "type": "club", "name": "River Beta", "aliases": ["Rivers"]},
    ]}])
    assert Gazetteer(kb).find("Rivers won.") == [
        Mention(0, 6, "Rivers", ("club:river-a", "club:river-b"))]


def test_overlaps_resolved_longest_first() -> None:
    kb = KnowledgeBase.from_documents([{"entities": [
        {"id": "club:ab", "type": "club", "name": "Alpha Beta"},
        {"id": "club:bcd", "type": "club", "name": "Beta Gamma Delta"},
        {"id": "club:d", "type": "club", "name": "Delta"},
        {"id": "club:e", "type": "club", "name": "Epsilon"},
    ]}])
    text = "Alpha Beta Gamma Delta, then Epsilon and Delta."
    assert [(m.surface, m.entity_ids) for m in Gazetteer(kb).find(text)] == [
        ("Beta Gamma Delta", ("club:bcd",)), ("Epsilon", ("club:e",)), ("Delta", ("club:d",))]


def test_type_filter_and_user_merge() -> None:
    kb = load_default().merged_with({"entities": [
        {"id": "club:villaverde-fc", "type": "club", "name": "Villaverde FC",
         "aliases": ["Villaverde"]},
    ]})
    text = "Villaverde beat Getafe at the Bernabéu."
    assert [m.entity_ids for m in Gazetteer(kb).find(text)] == [
        ("club:villaverde-fc",), ("club:getafe",), ("venue:santiago-bernabeu",)]
    venues_only = Gazetteer(kb, types=["venue"])
    assert [m.surface for m in venues_only.find(text)] == ["Bernabéu"]


def test_speed_is_reported(gazetteer: Gazetteer) -> None:
    paragraph = (
        "Atlético Madrid’s win over Real Betis at the Metropolitano, with Julián Álvarez "
        "scoring twice, keeps the pressure on the leaders before the midweek trip to face "
        "Bayern Munich. “We were patient and we knew the chances would come,” the coach said "
        "afterwards, adding that the squad is tired after a long run of matches and that he "
        "would rotate for the cup tie on Thursday. The visitors had started brightly and hit "
        "the bar twice in the first twenty minutes, but faded badly after the break when the "
        "home side pressed higher and won the ball back in dangerous areas again and again. "
    )
    text = (paragraph * 20)[:4096]
    gazetteer.find(text)
    rounds = 200
    started = time.perf_counter()
    for _ in range(rounds):
        mentions = gazetteer.find(text)
    per = (time.perf_counter() - started) / rounds * 1e6
    print(f"\ngazetteer: {per:.1f} us per 4 KB ({len(mentions)} mentions)")
    assert mentions


def test_a_longer_alias_at_the_same_start_wins_unless_a_longer_overlap_says_otherwise() -> None:
    kb = KnowledgeBase.from_documents([{"entities": [
        {"id": "club:a", "type": "club", "name": "Alpha"},
        {"id": "club:ab", "type": "club", "name": "Alpha Beta"},
        {"id": "club:bcd", "type": "club", "name": "Beta Gamma Delta"},
    ]}])
    gazetteer = Gazetteer(kb)
    assert found(gazetteer, "Alpha Beta won.") == [("Alpha Beta", ("club:ab",))]
    # "Beta Gamma Delta" beats "Alpha Beta"; "Alpha", which only "Alpha Beta" overlapped,
    # comes back (the same result as resolving every candidate longest first).
    assert found(gazetteer, "Alpha Beta Gamma Delta.") == [
        ("Alpha", ("club:a",)), ("Beta Gamma Delta", ("club:bcd",))]


def test_extra_words_are_reported_from_the_same_scan() -> None:
    kb = KnowledgeBase.from_documents([{"entities": [
        {"id": "club:mu", "type": "club", "name": "Manchester United"},
    ]}])
    plain = Gazetteer(kb)
    with_words = Gazetteer(kb, words=["united", "manchester united", "ten hag"])
    text = "Manchester United fans, unitedly: United! Ten Hag left."
    folded = fold_text(text)
    spans, words = with_words.find_spans_and_words(text, folded)
    assert spans == plain.find_spans(text, folded)
    assert words is not None
    # Whole words only ("unitedly" is not "united"), inside aliases too, in text order.
    assert sorted((start, word) for word, start in words) == [
        (0, b"manchester united"), (11, b"united"), (34, b"united"), (42, b"ten hag")]
    assert [m.surface for m in with_words.find(text)] == [m.surface for m in plain.find(text)]
