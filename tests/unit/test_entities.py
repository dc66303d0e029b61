"""Entity passes of the extractor on the shipped knowledge base: people, short forms."""

from __future__ import annotations

from datetime import UTC, datetime

from stream.core.extract import default_extractor
from stream.core.extract.entities import find_person_names
from stream.core.models import CleanArticle, Extraction

PUB = datetime(2025, 11, 30, 12, 0, tzinfo=UTC)


def extract(text: str) -> Extraction:
    article = CleanArticle(article_id="a", source="s", url=None, title=None, text=text,
                           published_at=PUB, language="en", content_hash="h")
    return default_extractor().extract(article)


def surfaces(extraction: Extraction, text: str, entity_id: str) -> list[str]:
    for entity in extraction.entities:
        if entity.id == entity_id:
            return [text[s:e] for s, e in entity.mentions]
    return []


def ids(extraction: Extraction, kind: str) -> set[str]:
    return {e.id for e in extraction.entities if e.type == kind}


def test_unknown_full_name_then_surname() -> None:
    text = "Carlos Baleba impressed again. Baleba, 21, is wanted by several clubs."
    found = extract(text)
    assert surfaces(found, text, "person:carlos-baleba") == ["Carlos Baleba", "Baleba"]


def test_shared_surname_goes_to_the_most_recent_full_name() -> None:
    text = ("Giuliano Simeone won the penalty. Coach Diego Simeone was pleased.\n"
            '"We suffered less," Simeone said.')
    found = extract(text)
    assert surfaces(found, text, "person:diego-simeone")[-1] == "Simeone"
    assert surfaces(found, text, "person:giuliano-simeone") == ["Giuliano Simeone"]


def test_kb_surname_resolved_through_the_club_the_article_names() -> None:
    text = "Real Madrid lost again. Alonso was disappointed with the finishing."
    assert surfaces(extract(text), text, "person:xabi-alonso") == ["Alonso"]
    # Without the club, the shared surname stays unresolved.
    assert "person:xabi-alonso" not in ids(extract("Alonso was disappointed."), "person")


def test_bare_club_words_need_the_full_name_in_the_article() -> None:
    text = "Manchester United were beaten again. United have lost five of nine."
    assert surfaces(extract(text), text, "club:manchester-united") == [
        "Manchester United", "United"]
    assert ids(extract("United have lost five of nine."), "club") == set()


def test_bare_madrid_is_the_club_but_not_the_city() -> None:
    text = "Real Madrid arrived in Madrid late. Madrid face Elche on Sunday."
    assert surfaces(extract(text), text, "club:real-madrid") == ["Real Madrid", "Madrid"]


def test_bare_word_before_a_capitalised_word_is_left_alone() -> None:
    text = "Manchester City trained at the City Football Academy."
    assert surfaces(extract(text), text, "club:manchester-city") == ["Manchester City"]


def test_titles_countries_and_grounds_are_not_people() -> None:
    text = ("Chairman Daniel Levy spoke. Fernandes has been linked with Saudi Arabia. "
            "They drew at the Racecourse Ground.")
    people = ids(extract(text), "person")
    assert "person:daniel-levy" in people
    assert not {"person:saudi-arabia", "person:racecourse-ground",
                "person:chairman-daniel-levy"} & people


def test_short_club_alias_opening_a_name_is_the_name() -> None:
    text = "His shot was tipped over by Pau López in the Betis goal."
    found = extract(text)
    assert "person:pau-lopez" in ids(found, "person")
    assert "club:pau-fc" not in ids(found, "club")


def test_ambiguous_alias_takes_the_entity_whose_own_name_it_is() -> None:
    text = "Paris Saint-Germain went back to the top of Ligue 1."
    assert "competition:ligue-1" in ids(extract(text), "competition")


def test_person_names_skip_masked_text_and_all_capitals() -> None:
    text = "LONDON CALLING as Jorge Jesus spoke."
    assert [n for _, _, n in find_person_names(text, [])] == ["Jorge Jesus"]
    assert find_person_names(text, [(text.index("Jorge"), len(text) - 6)]) == []


def test_name_runs_read_only_character_classes() -> None:
    from stream.core.extract.entities import _NAME_RUN, _SHAPE_RUN, _shape

    texts = [
        "Kevin De Bruyne’s pass found Erling Haaland, “great” said Pep.",
        "Rodrigo de Paul and Luka Modrić met Çağlar Söyüncü in İstanbul.",
        "ŁUKASZ Fabiański\tand J. Smith – O’Neill – Ståle Solbakken…",
        "Nuno Espírito Santo, São Paulo_FC, Jean-Philippe Mateta ª Xª ²Yb Zz",
    ]
    for text in texts:
        assert [m.span() for m in _SHAPE_RUN.finditer(_shape(text))] == [
            m.span() for m in _NAME_RUN.finditer(text)]


def test_surnames_resolve_the_same_with_or_without_the_scans_word_positions() -> None:
    from stream.core.extract.entities import live_text
    from stream.core.extract.kb import fold_text

    extractor = default_extractor()
    text = ("Real Madrid beat Sevilla. Xabi Alonso praised Vinícius Júnior; Alonso said "
            "Vinícius was superb. Carlos Baleba watched. Baleba and Madrid fans cheered.")
    folded = fold_text(text)
    spans, words = extractor.gazetteer.find_spans_and_words(text, folded)
    assert words  # the scan saw some of the known short forms
    with_words = extractor._mentions(text)
    # Without the positions every key is searched for in the text instead.
    searched = extractor._resolve(text, folded, live_text(folded), spans, None)
    assert with_words == searched
    assert {"Alonso", "Baleba", "Madrid"} <= {text[m.start:m.end] for m in with_words}
