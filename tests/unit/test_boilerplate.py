"""A source's repeated footer that matches no rule is learned from the stream and removed."""

from __future__ import annotations

from datetime import UTC, datetime

from stream.core import boilerplate, pipeline
from stream.core.clean.text import clean_plain_text
from stream.core.models import AnalysedArticle, CleanArticle, Extraction, RawArticle

FOOTER = "Harbourside Gazette is read by fans from Dunmore to Kilrush every single week."
STORIES = [
    "The under-21 side won their third game in a row on a windy evening at the docks.",
    "Ticket prices for the spring fixtures will stay the same, the club confirmed today.",
    "A new physio joins the backroom staff after ten years with a rival across the bay.",
    "The ladies team drew their opener after a late equaliser from the penalty spot.",
    "Floodlight repairs mean the midweek cup tie moves to a Saturday lunchtime slot.",
    "The groundsman says the pitch will be relaid during the short winter break.",
    "Supporters raised enough money to restore the old clock above the main stand.",
]


class Names:
    """Finds one name, so that offsets after the footer can be checked."""

    def extract(self, article: CleanArticle) -> Extraction:
        from stream.core.extract.entities import group_entities
        from stream.core.extract.types import EntityMention
        from stream.core.models import Ref

        mentions = []
        start = article.text.find("Dunmore")
        if start >= 0:
            mentions.append(EntityMention(start, start + 7, "place", Ref("Dunmore", "place:dunmore")))
        start = article.text.find("pitch")
        if start >= 0:
            mentions.append(EntityMention(start, start + 5, "place", Ref("pitch", "place:pitch")))
        return Extraction(group_entities(mentions), (), ())


def _analyse(body: str, day: int) -> AnalysedArticle:
    raw = RawArticle(source="harbourside", body=body, url=f"https://h.example/{day}",
                     published_at=datetime(2025, 3, day, tzinfo=UTC))
    return pipeline.analyse(raw, Names())


def test_a_repeated_footer_is_learned_and_stripped_with_offsets_moved() -> None:
    state = pipeline.PublishState({})
    published = []
    for day, story in enumerate(STORIES, start=1):
        body = f"{story}\n\n{story.upper()[:20].title()} and more.\n\n{FOOTER}"
        assert FOOTER in clean_plain_text(body).text  # no rule knows this line
        records = pipeline.publish(_analyse(body, day), state)
        published.append(records[0].value)
    assert all(FOOTER in value["text"] for value in published[:5])
    last = published[-1]
    assert FOOTER not in last["text"] and STORIES[-1] in last["text"]
    assert [e["id"] for e in last["entities"]] == []  # "Dunmore" was only in the footer
    sixth = published[5]
    [pitch] = [e for e in sixth["entities"] if e["id"] == "place:pitch"]
    start, end = pitch["mentions"][0]
    assert sixth["text"][start:end] == "pitch"


def _footered(day: int, month: int = 3) -> AnalysedArticle:
    story = STORIES[day % len(STORIES)]
    raw = RawArticle(source="harbourside", body=f"{story} Day {day}.\n\n{FOOTER}",
                     url=f"https://h.example/{month}/{day}",
                     published_at=datetime(2025, month, day, tzinfo=UTC))
    return pipeline.analyse(raw, Names())


def test_one_memory_entry_per_article_and_a_rebuild_counts_the_same() -> None:
    memory: dict[str, dict[str, str]] = {}
    state = pipeline.PublishState(memory)
    for day in range(1, 5):
        pipeline.publish(_footered(day), state)
    assert len(memory) == 4 and all(sorted(entry) == ["a", "b"] for entry in memory.values())
    rebuilt = pipeline.PublishState(memory)
    assert rebuilt.learning.index.counts == state.learning.index.counts
    fifth = _footered(5)
    pipeline.publish(fifth, rebuilt)
    assert FOOTER not in pipeline.publish(_footered(6), rebuilt)[0].value["text"]  # type: ignore[index]


def test_a_redelivered_article_is_counted_once() -> None:
    state = pipeline.PublishState({})
    article = _footered(1)
    for _ in range(3):
        state.learning.count_short(article.article.article_id, article.article.source,
                                   article.article.published_at,
                                   boilerplate.short_paragraphs(article.article.text))
    assert max(state.learning.index.counts.values()) == 1


def test_articles_leaving_the_window_are_forgotten_with_their_counts() -> None:
    memory: dict[str, dict[str, str]] = {}
    state = pipeline.PublishState(memory)
    for day in range(1, 6):
        pipeline.publish(_footered(day, month=1), state)
    assert max(state.learning.index.counts.values()) == 5
    pipeline.publish(_footered(20, month=3), state)  # more than 30 days later
    assert [k for k, entry in memory.items() if "b" in entry] == [_footered(20, 3).article.article_id]
    assert max(state.learning.index.counts.values()) == 1
