"""Knowledge base: packaged data, alias look-up, relations and user-file merging."""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path

import pytest

from stream.core.extract.kb import (
    KbEntity,
    KbFormatError,
    KnowledgeBase,
    fold_text,
    load_default,
    normalise_alias,
    slugify,
)


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    load_default.cache_clear()
    started = time.perf_counter()
    loaded = load_default()
    print(f"\nknowledge base load: {(time.perf_counter() - started) * 1000:.1f} ms, "
          f"{len(loaded)} entities")
    return loaded


def ids(entities: list[KbEntity]) -> list[str]:
    return [e.id for e in entities]


# -- packaged data ---------------------------------------------------------------------------


def test_default_is_cached(kb: KnowledgeBase) -> None:
    assert load_default() is kb


def test_counts(kb: KnowledgeBase) -> None:
    counts = Counter(e.type for e in kb)
    assert counts["club"] >= 400
    assert counts["person"] >= 150
    assert counts["competition"] >= 40
    assert counts["venue"] >= 150
    assert counts["organisation"] >= 30


def test_headers_carry_cc0_attribution(kb: KnowledgeBase) -> None:
    licences = " ".join(h.get("license", "") for h in kb.headers)
    assert "CC0" in licences
    assert any("openfootball" in h.get("source", "") for h in kb.headers)


def test_every_reference_points_at_an_entity_of_the_right_type(kb: KnowledgeBase) -> None:
    expected = {"club": "club", "stadium": "venue", "league": "competition"}
    for entity in kb:
        for attr, etype in expected.items():
            for ref in filter(None, entity.attrs.get(attr, "").split(",")):
                target = kb.get(ref)
                assert target is not None, (entity.id, attr, ref)
                assert target.type == etype, (entity.id, attr, ref)


def test_names_are_aliases_and_ids_are_prefixed(kb: KnowledgeBase) -> None:
    prefixes = {"club": "club:", "person": "person:", "venue": "venue:",
                "competition": "competition:", "organisation": "org:"}
    for entity in kb:
        assert entity.aliases[0] == entity.name
        assert entity.id.startswith(prefixes[entity.type]), entity.id


# Team names exactly as the 2024-25 / 2025-26 league fixtures spell them (a hand-picked sample).
RESULT_NAMES = {
    "Real Sociedad de Fútbol": "club:real-sociedad",
    "Club Atlético de Madrid": "club:atletico-madrid",
    "Rayo Vallecano de Madrid": "club:rayo-vallecano",
    "RC Celta de Vigo": "club:celta-vigo",
    "Athletic Club": "club:athletic-club-bilbao",
    "FC Internazionale Milano": "club:internazionale",
    "Hellas Verona FC": "club:hellas-verona",
    "Bayer 04 Leverkusen": "club:bayer-leverkusen",
    "1. FC Heidenheim 1846": "club:heidenheim",
    "FC St. Pauli 1910": "club:st-pauli",
    "Borussia Mönchengladbach": "club:borussia-monchengladbach",
    "Brighton & Hove Albion FC": "club:brighton-hove-albion",
    "Wolverhampton Wanderers FC": "club:wolverhampton-wanderers",
    "Hull City AFC": "club:hull-city",
    "Paris Saint-Germain FC": "club:paris-saint-germain",
    "Stade Rennais FC 1901": "club:stade-rennais",
    "Sport Lisboa e Benfica": "club:benfica",
    "Sporting Clube de Portugal": "club:sporting-cp",
    "İstanbul Başakşehir": "club:istanbul-basaksehir",
    "Çaykur Rizespor": "club:caykur-rizespor",
    "Olympiakos Piraeus": "club:olympiacos",
    "Heart of Midlothian": "club:heart-of-midlothian",
    "FC Twente '65": "club:twente",
    "Union Saint-Gilloise": "club:union-saint-gilloise",
    "UANL Tigres": "club:tigres-uanl",
    "Al Ahly SC": "club:al-ahly",
    "MC Alger": "club:mc-alger",
}


@pytest.mark.parametrize(("name", "club_id"), sorted(RESULT_NAMES.items()))
def test_result_team_names_resolve(kb: KnowledgeBase, name: str, club_id: str) -> None:
    assert ids(kb.lookup(name, "club")) == [club_id]


# -- look-up ---------------------------------------------------------------------------------


def test_normalise_alias_folds_accents_case_and_punctuation() -> None:
    assert normalise_alias("Atlético  de-Madrid") == "atletico de madrid"
    assert normalise_alias("ATLETICO DE MADRID") == "atletico de madrid"
    assert normalise_alias("Ødegaard") == "odegaard"
    assert normalise_alias("Fußball") == "fussball"
    assert normalise_alias("  St. Pauli ") == "st pauli"
    assert normalise_alias("İstanbul") == "istanbul"
    assert slugify("Atlético Madrid") == "atletico-madrid"


@pytest.mark.parametrize(
    ("alias", "entity_id"),
    [
        ("Los Blancos", "club:real-madrid"),
        ("merengues", "club:real-madrid"),
        ("Barça", "club:barcelona"),
        ("barca", "club:barcelona"),
        ("Die Werkself", "club:bayer-leverkusen"),
        ("the Gunners", "club:arsenal"),
        ("Red Devils", "club:manchester-united"),
        ("Spurs", "club:tottenham-hotspur"),
        ("Man City", "club:manchester-city"),
        ("Man Utd", "club:manchester-united"),
        ("Atleti", "club:atletico-madrid"),
        ("Atletico Madrid", "club:atletico-madrid"),
        ("Celta Vigo", "club:celta-vigo"),
        ("Leverkusen", "club:bayer-leverkusen"),
        ("Bernabeu", "venue:santiago-bernabeu"),
        ("the Bernabéu", "venue:santiago-bernabeu"),
        ("Mendizorroza", "venue:mendizorroza"),
        ("Carabao Cup", "competition:efl-cup"),
        ("Copa del Rey", "competition:copa-del-rey"),
        ("LaLiga", "competition:laliga"),
        ("Mbappe", "person:kylian-mbappe"),
        ("Vinicius Jr", "person:vinicius-junior"),
        ("pep guardiola", "person:pep-guardiola"),
        ("L'Equipe", "org:lequipe"),
    ],
)
def test_aliases_and_nicknames_resolve(kb: KnowledgeBase, alias: str, entity_id: str) -> None:
    assert ids(kb.lookup(alias)) == [entity_id]


def test_cased_aliases_only_match_as_written(kb: KnowledgeBase) -> None:
    assert ids(kb.lookup("AS")) == ["org:as"]
    assert kb.lookup("as") == []
    assert ids(kb.lookup("PSG")) == ["club:paris-saint-germain"]
    assert kb.lookup("psg") == []


def test_ambiguous_or_generic_forms_are_not_aliases(kb: KnowledgeBase) -> None:
    for form in ("Real", "United", "City", "the Reds", "the Blues", "Sporting", "Madrid"):
        assert kb.lookup(form) == [], form


def test_type_filter(kb: KnowledgeBase) -> None:
    assert kb.lookup("Real Madrid", "person") == []
    assert ids(kb.lookup("Real Madrid", "club")) == ["club:real-madrid"]


# -- relations -------------------------------------------------------------------------------


def test_relations(kb: KnowledgeBase) -> None:
    club = kb.club_of("person:xabi-alonso")
    assert club is not None and club.id == "club:real-madrid"
    venue = kb.venue_of("club:real-madrid")
    assert venue is not None and venue.id == "venue:santiago-bernabeu"
    home = kb.home_club_of("venue:mendizorroza")
    assert home is not None and home.id == "club:deportivo-alaves"
    assert ids(list(kb.home_clubs_of("venue:san-siro"))) == ["club:ac-milan",
                                                              "club:internazionale"]
    assert kb.club_of("person:carlo-ancelotti") is None  # national-team coach
    assert kb.club_of("club:real-madrid") is None  # not a person
    assert kb.venue_of("club:does-not-exist") is None


# -- merging ---------------------------------------------------------------------------------

USER_DOC = {
    "header": {"title": "local additions"},
    "entities": [
        {"id": "club:real-madrid", "aliases": ["Real Madrid C.F."], "attrs": {"city": "Madrid"},
         "drop_aliases": ["Merengues"]},
        {"id": "club:villaverde-fc", "type": "club", "name": "Villaverde FC",
         "aliases": ["Villaverde"], "attrs": {"country": "Spain"}},
        {"id": "person:new-coach", "type": "person", "name": "Ximo Novato",
         "attrs": {"role": "manager", "club": "club:villaverde-fc"}},
    ],
}


def test_merge_adds_overrides_and_drops(kb: KnowledgeBase) -> None:
    merged = kb.merged_with(USER_DOC)
    assert merged is not kb and len(merged) == len(kb) + 2
    real = merged.get("club:real-madrid")
    assert real is not None
    assert "Real Madrid C.F." in real.aliases and "Los Blancos" in real.aliases
    assert "Merengues" not in real.aliases and kb.lookup("Merengues")  # original untouched
    assert real.attrs["stadium"] == "venue:santiago-bernabeu"  # attrs merged key by key
    assert ids(merged.lookup("villaverde")) == ["club:villaverde-fc"]
    club = merged.club_of("person:new-coach")
    assert club is not None and club.name == "Villaverde FC"
    assert merged.headers[-1]["title"] == "local additions"


def test_merge_from_file(kb: KnowledgeBase, tmp_path: Path) -> None:
    path = tmp_path / "user-kb.json"
    path.write_text(json.dumps(USER_DOC), encoding="utf-8")
    assert "club:villaverde-fc" in kb.merged_with(path)
    assert "club:villaverde-fc" in kb.merged_with(str(path))


def test_null_attr_removes_it() -> None:
    base = KnowledgeBase.from_documents([{"entities": [
        {"id": "club:a", "type": "club", "name": "Alpha", "attrs": {"city": "X", "stadium": "v"}},
    ]}])
    patched = base.merged_with({"entities": [{"id": "club:a", "attrs": {"stadium": None}}]})
    entity = patched.get("club:a")
    assert entity is not None and dict(entity.attrs) == {"city": "X"}


@pytest.mark.parametrize(
    "record",
    [
        {"id": "club:new", "name": "No Type"},
        {"id": "club:new", "type": "club"},
        {"id": "club:new", "type": "spaceship", "name": "Bad Type"},
        {"id": "no-prefix", "type": "club", "name": "Bad Id"},
        {"id": "club:new", "type": "club", "name": "Bad Aliases", "aliases": "Bad"},
        {"id": "club:new", "type": "club", "name": "Bad Attr", "attrs": {"tier": 1}},
    ],
)
def test_format_errors(kb: KnowledgeBase, record: dict[str, object]) -> None:
    with pytest.raises(KbFormatError):
        kb.merged_with({"entities": [record]})


def test_short_aliases_are_cased_by_default() -> None:
    kb = KnowledgeBase.from_documents([{"entities": [
        {"id": "org:x", "type": "organisation", "name": "Xylo Times", "aliases": ["XT", "XTMS"]},
    ]}])
    entity = kb.get("org:x")
    assert entity is not None and entity.cased_aliases == frozenset({"XT", "XTMS"})
    assert ids(kb.lookup("XT")) == ["org:x"] and kb.lookup("xt") == []


# -- folding ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["Plain ASCII, text.", "Atlético’s “win” — Çalhanoğlu, Šeško", "İstanbul Straße ß",
     "emoji ⚽ and 😀 here", "Greek ΠΑΟΚ and Cyrillic Зенит", "ﬁnal ２０２５"],
)
def test_fold_text_keeps_length(text: str) -> None:
    assert len(fold_text(text)) == len(text)


def test_fold_text_values() -> None:
    assert fold_text("Atlético’s Çalhanoğlu") == "atletico s calhanoglu"
    assert fold_text("ΠΑΟΚ") == "\x01\x01\x01\x01"
