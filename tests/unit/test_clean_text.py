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
