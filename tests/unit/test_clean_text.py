"""Plain-text cleaning on fixtures written for the project, in the shape of crawled text."""

from __future__ import annotations

from datetime import UTC, datetime

from stream.core.clean.normalize import fold_for_matching, normalise_text
from stream.core.clean.text import clean_plain_text

CRAWLED = """\u26a1\u201cMidfield Maestro Signs On\u201d: Rovers Keep Their Captain Until 2029\u26a1

Your support helps us to tell the story. Read more Support Now. Independent journalism needs your donation: unlike others we have no paywalls, and every subscription keeps reporters at the ground. Read more

Harbour Rovers have tied captain Tomas Lindqvist to a new contract, ending weeks of speculation about his future.

Trending

The 29-year-old had attracted interest from two clubs abroad, but said he never wanted to leave. \u201cThis is my home,\u201d Lindqvist said.

Tomas Lindqvist signs his new deal at the training ground ( Getty Images )

Expand Tweet

Manager Ana Duarte called it the best news of the season.

\u00d7 Feedback Why did you not like this content? Clickbait / Misleading

Factually Incorrect

Other Cancel Submit Was this article helpful? Thank You for feedback

You might also like
"""


def test_leftovers_go_and_every_story_sentence_stays() -> None:
    cleaned = clean_plain_text(CRAWLED)
    for keep in ("Harbour Rovers have tied captain", "never wanted to leave",
                 "\u201cThis is my home,\u201d Lindqvist said.", "best news of the season"):
        assert keep in cleaned.text
    for gone in ("Support Now", "Trending", "Expand Tweet", "Getty Images", "Feedback",
                 "Factually Incorrect", "Cancel Submit", "You might also like", "paywalls"):
        assert gone not in cleaned.text
    assert cleaned.title == "\u201cMidfield Maestro Signs On\u201d: Rovers Keep Their Captain Until 2029"


def test_leading_date_line_becomes_the_publication_date() -> None:
    cleaned = clean_plain_text(" date 2025-03-14 The club confirmed the sale on Friday.\n\nMore.")
    assert cleaned.published_at == datetime(2025, 3, 14, tzinfo=UTC)
    assert cleaned.text.startswith("The club confirmed the sale on Friday.")


def test_normalisation_fixes_mojibake_and_keeps_typography() -> None:
    assert normalise_text("Mbapp\u00c3\u00a9 scored\u200b twice") == "Mbapp\u00e9 scored twice"
    assert normalise_text("\u201cYes,\u201d he said") == "\u201cYes,\u201d he said"
    assert fold_for_matching("\u201cAlav\u00e9s\u2019 win\u201d") == "\"alaves' win\""


def test_appeal_glued_in_front_of_the_first_sentence_is_cut_at_the_boundary() -> None:
    body = ("date 2025-02-01 Your support funds our reporters. We never put stories behind a "
            "paywall, so every donation matters. Read more Sign up Leeds United beat Hull City "
            "2-0 at Elland Road on Saturday.\n\nJoel Piroe scored both goals.")
    cleaned = clean_plain_text(body)
    assert cleaned.text.startswith("Leeds United beat Hull City 2-0 at Elland Road on Saturday.")
    assert "donation" not in cleaned.text and "Sign up" not in cleaned.text
    assert cleaned.published_at == datetime(2025, 2, 1, tzinfo=UTC)


def test_a_story_sentence_that_only_mentions_donations_stays() -> None:
    body = ("Wrexham Win Again\n\nThe club asked supporters to donate to its foundation.\n\n"
            "You could hear the crowd from the town centre, and we will remember it.")
    assert clean_plain_text(body).text == (
        "The club asked supporters to donate to its foundation.\n\n"
        "You could hear the crowd from the town centre, and we will remember it.")


def test_related_headline_link_between_paragraphs_goes_but_one_line_sentences_stay() -> None:
    body = ("Everton Edge Fulham\n\nEverton beat Fulham 1-0 on Saturday.\n\n"
            "\"We deserved it\" - David Moyes makes claim about Everton form after Fulham win\n\n"
            "It was their third win in a row.\n\nThe manager was asked about the winner:\n\n"
            "Is this the turning point?\n\nRelated\n\nEverton Confirm New Stadium Opening Date\n\n"
            "Fulham Injury Blow Ahead of Cup Tie\n\nEverton host Leeds next.")
    cleaned = clean_plain_text(body)
    assert cleaned.title == "Everton Edge Fulham"
    assert cleaned.text.split("\n\n") == [
        "Everton beat Fulham 1-0 on Saturday.", "It was their third win in a row.",
        "The manager was asked about the winner:", "Is this the turning point?",
        "Everton host Leeds next."]


def test_captions_with_credits_go() -> None:
    for caption in ("Saka celebrates his goal ( Getty Images )", "Kane at the Allianz (Photo: Reuters)",
                    "Salah scores the winner. Credit: PA", "Rice in training | Getty Images",
                    "Martinez celebrates (AP Photo/Luca Bruno)", "AFP via Getty Images",
                    "Palmer scores (Photo by John Walton/PA Images via Getty Images)"):
        body = f"Arsenal won again on Saturday evening.\n\n{caption}\n\nThey are top."
        assert clean_plain_text(body).text == "Arsenal won again on Saturday evening.\n\nThey are top."


def test_byline_and_timestamps_become_fields() -> None:
    body = ("Villa Reach the Final\n\nBy Jane Doe, Chief Football Writer\n\n"
            "Published 18:40 GMT, 14 March 2025 | Updated 19:05 GMT, 14 March 2025\n\n"
            "Aston Villa reached the final with a 2-0 win.\n\nSocial: Follow @janedoe on X")
    cleaned = clean_plain_text(body)
    assert (cleaned.title, cleaned.author) == ("Villa Reach the Final", "Jane Doe")
    assert cleaned.published_at == datetime(2025, 3, 14, 18, 40, tzinfo=UTC)
    assert cleaned.text == "Aston Villa reached the final with a 2-0 win."


def test_iso_datetime_line_and_given_title() -> None:
    body = "2025-05-04T17:30:00+02:00\nBetis Beat Sevilla\nBetis won the derby 2-1.\nShare"
    cleaned = clean_plain_text(body, title="Betis beat Sevilla")
    assert cleaned.published_at == datetime.fromisoformat("2025-05-04T17:30:00+02:00")
    assert (cleaned.title, cleaned.text) == ("Betis beat Sevilla", "Betis won the derby 2-1.")


def test_normalisation_runs_ftfy_only_on_mojibake_and_cleans_invisible_characters() -> None:
    from stream.core.clean import normalize

    assert not normalize._needs_ftfy("\u201cMbapp\u00e9\u201d \u2014 Alav\u00e9s\u2019 win")
    assert normalize._needs_ftfy("It\u00e2\u20ac\u2122s Mbapp\u00c3\u00a9")
    assert normalise_text("It\u00e2\u20ac\u2122s") == "It\u2019s"
    assert normalise_text("Cafe\u0301 \u200bbar\x07\tbaz \n\n\n\nnext\u2028line") == \
        "Caf\u00e9 bar baz\n\nnext\nline"


def test_fold_and_tokens_are_the_matching_form() -> None:
    from stream.core.clean.normalize import word_tokens

    assert fold_for_matching("  \u00c9L  Cl\u00e1sico\u2014\u201cLive\u201d ") == 'el clasico-"live"'
    assert word_tokens("Vin\u00edcius J\u00fanior\u2019s 2-1 win") == ["vinicius", "junior", "s", "2",
                                                                       "1", "win"]


def test_word_tokens_equal_the_tokens_of_the_folded_text() -> None:
    import random
    import re

    from stream.core.clean.normalize import word_tokens

    rng = random.Random(5)
    samples = ["Mbappé’s “late” winner – Vinícius Júnior, ÆRØ ﬁnal Ⅻ ²",
               "".join(chr(rng.randint(32, 0x2FFF)) for _ in range(20000))]
    for text in samples:
        assert word_tokens(text) == re.findall(r"\w+", fold_for_matching(text))
