"""Direct quotes and their speakers, with hand-built person mentions."""

from __future__ import annotations

import re

from stream.core.extract.quotes import PersonFacts, find_quotes
from stream.core.extract.types import EntityMention
from stream.core.models import EntityType, Quote, Ref

_KNOWN: dict[str, tuple[EntityType, str]] = {
    "Sam Hart": ("person", "Sam Hart"), "Hart": ("person", "Sam Hart"),
    "Jane Doe": ("person", "Jane Doe"), "Doe": ("person", "Jane Doe"),
    "Tom Brown": ("person", "Tom Brown"), "Brown": ("person", "Tom Brown"),
    "Mark Lee": ("person", "Mark Lee"), "Lee": ("person", "Mark Lee"),
    "Rovers": ("club", "Rovers"), "BBC Sport": ("organisation", "BBC Sport"),
}


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


def quotes(text: str) -> list[Quote]:
    found = find_quotes(text, mentions(text))
    for quote in found:
        if "\n" not in text[quote.span[0]:quote.span[1]]:
            assert text[quote.span[0]:quote.span[1]] == quote.text
    return found


def pairs(text: str) -> list[tuple[str, str]]:
    return [(q.speaker.name, q.text) for q in quotes(text)]


def test_straight_quote_speaker_after() -> None:
    text = 'Rovers held on.\n\n"We deserved the points tonight," Sam Hart said.'
    assert pairs(text) == [("Sam Hart", "We deserved the points tonight")]


def test_curly_quote_said_speaker() -> None:
    text = "“We deserved the points,” said Jane Doe after the game."
    assert pairs(text) == [("Jane Doe", "We deserved the points")]


def test_speaker_before_with_colon() -> None:
    text = 'Tom Brown said: "It was a special night for everyone at the club."'
    assert pairs(text) == [("Tom Brown", "It was a special night for everyone at the club.")]


def test_colon_paragraph_introduces_the_next_one() -> None:
    text = ('Asked about his future on Monday, Hart said (via a local radio station):\n\n'
            '"I am happy here. Nothing has changed."')
    assert pairs(text) == [("Sam Hart", "I am happy here. Nothing has changed.")]


def test_guillemets() -> None:
    assert pairs("«We were unlucky», Mark Lee said.") == [("Mark Lee", "We were unlucky")]


def test_pronoun_resolves_to_subject_of_previous_paragraph() -> None:
    text = ("Jane Doe scored twice as Rovers won again.\n\n"
            "\"I felt sharp from the first minute,\" she told BBC Sport.")
    assert pairs(text) == [("Jane Doe", "I felt sharp from the first minute")]


def test_pronoun_skips_people_in_object_position() -> None:
    text = 'Mark Lee spoke about Tom Brown after the game. "He was brilliant," he said.'
    assert pairs(text) == [("Mark Lee", "He was brilliant")]


def test_pronoun_prefers_the_speaker_of_the_chain() -> None:
    text = ("“We were solid,” Hart said.\n\n"
            "He singled out midfielder Tom Brown, who made his debut. "
            "“We are building something,” he added.")
    assert pairs(text) == [("Sam Hart", "We were solid"), ("Sam Hart", "We are building something")]


def test_new_subject_paragraph_beats_the_chain() -> None:
    text = ('"We were solid," Hart said.\n\n'
            'Tom Brown, who scored twice, was delighted. "It was great," he said.')
    assert pairs(text) == [("Sam Hart", "We were solid"), ("Tom Brown", "It was great")]


def test_names_inside_a_quote_are_not_speakers() -> None:
    text = 'Hart watched from the stands. "Tom Brown was superb," he said.'
    assert pairs(text) == [("Sam Hart", "Tom Brown was superb")]


def test_multi_paragraph_quote_is_joined() -> None:
    text = ('Jane Doe said:\n\n"The first half was poor and we knew it.\n\n'
            '"In the second half we found our rhythm."')
    found = quotes(text)
    assert [(q.speaker.name, q.text) for q in found] == [
        ("Jane Doe", "The first half was poor and we knew it. "
                     "In the second half we found our rhythm.")]
    start, end = found[0].span
    assert text[start:end].startswith("The first half") and text[start:end].endswith("rhythm.")


def test_unattributed_paragraph_continues_the_previous_speaker() -> None:
    text = ('"We go again on Saturday," Tom Brown said.\n\n'
            '“The dressing room is together.”')
    assert pairs(text) == [("Tom Brown", "We go again on Saturday"),
                           ("Tom Brown", "The dressing room is together.")]


def test_second_quote_in_paragraph_continues_the_speaker() -> None:
    text = '"It hurts," Lee said. "But we will be back."'
    assert pairs(text) == [("Mark Lee", "It hurts"), ("Mark Lee", "But we will be back.")]


def test_split_quote_around_the_tag() -> None:
    text = '"It hurts," Lee said, "but we will be back."'
    assert pairs(text) == [("Mark Lee", "It hurts"), ("Mark Lee", "but we will be back.")]


def test_one_straight_mark_closing_and_reopening() -> None:
    text = ('"We lost our way," Doe said.\n\n'
            '"We talked about it."Then we trained hard.')
    assert pairs(text) == [("Jane Doe", "We lost our way"), ("Jane Doe", "We talked about it."),
                           ("Jane Doe", "Then we trained hard.")]


def test_no_inheritance_across_a_narrative_paragraph() -> None:
    text = ('"We go again," Tom Brown said.\n\nRovers are fifth in the table.\n\n'
            '"Nobody is talking about the title."')
    assert pairs(text) == [("Tom Brown", "We go again")]


def test_fragment_inside_sentence_with_attribution_verb() -> None:
    text = "Sam Hart admitted the squad are “tired and short of confidence.”"
    assert pairs(text) == [("Sam Hart", "tired and short of confidence.")]
    text = "Hart insists the squad is united, saying “talks are happening” this week."
    assert pairs(text) == [("Sam Hart", "talks are happening")]


def test_single_quoted_fragment_needs_an_attribution_verb() -> None:
    text = "Rovers boss Sam Hart has stated that there is 'no doubt' about his future."
    assert pairs(text) == [("Sam Hart", "no doubt")]
    assert pairs("Fans call the new system Hart's 'project' these days.") == []
    assert pairs("Rovers' fans sang 'we love you' all night long.") == []


def test_scare_quotes_without_attribution_are_skipped() -> None:
    text = "“Tough Night” – Sam Hart Reflects On Defeat\n\nThis “easy” fixture was anything but."
    assert pairs(text) == []


def test_unresolvable_speaker_is_skipped() -> None:
    assert pairs('"We go again," the coach said.') == []
    assert pairs('"We go again," he said.') == []


def test_according_to() -> None:
    text = '"The deal is done," according to Mark Lee.'
    assert pairs(text) == [("Mark Lee", "The deal is done")]


def test_mixed_straight_open_curly_close() -> None:
    text = ('Hart was asked about the run.\n\n'
            '"We have everything we need to turn it around,” he added.')
    assert pairs(text) == [("Sam Hart", "We have everything we need to turn it around")]


_FACTS = {"sam-hart": PersonFacts("Denmark", "manager", "rovers"),
          "jane-doe": PersonFacts("Spain", "manager", None),
          "tom-brown": PersonFacts("England", "player", "rovers")}


def with_facts(text: str) -> list[Quote]:
    return find_quotes(text, mentions(text), facts=_FACTS.get,
                       managers=lambda club: [ref("Sam Hart")] if club == "rovers" else [])


def speakers(found: list[Quote]) -> list[str]:
    return [q.speaker.name for q in found]


def test_demonym_epithet_is_the_latest_person_of_that_nationality() -> None:
    text = ('Jane Doe was pleased. "We were good," Doe said.\n'
            'Sam Hart was not. "We were not brave enough," the Dane said.')
    assert speakers(with_facts(text)) == ["Jane Doe", "Sam Hart"]


def test_club_role_epithet_and_kb_manager_fallback() -> None:
    text = 'Tom Brown scored twice. "It was a team effort," the Rovers coach said.'
    assert speakers(with_facts(text)) == ["Sam Hart"]


def test_unresolvable_tag_is_not_handed_to_the_previous_speaker() -> None:
    text = ('"We were good," Jane Doe said.\n'
            '"We thank the fans," the club said in a statement.')
    assert speakers(with_facts(text)) == ["Jane Doe"]


def test_paragraph_with_a_speech_verb_introduces_the_next_quote() -> None:
    text = ("Speaking to BBC Sport, Tom Brown explained why he stays.\n"
            '"I am happy here."')
    assert speakers(with_facts(text)) == ["Tom Brown"]


def test_colon_lead_needs_no_verb() -> None:
    text = 'Asked about the teenager, Jane Doe smiled: "He is a fantastic player."'
    assert speakers(with_facts(text)) == ["Jane Doe"]


def test_nested_quote_marks_fall_back_to_walking_the_quotes() -> None:
    from itertools import pairwise

    from stream.core.extract.quotes import _after_quotes, _Doc

    def doc(quoted: list[tuple[int, int]]) -> _Doc:
        ascending = all(a[1] < b[1] for a, b in pairwise(quoted))
        return _Doc("", [], [], [], [], [q[0] for q in quoted], [q[1] for q in quoted],
                    ascending, [])

    flat = [(0, 5), (10, 20), (30, 40)]
    # A quote "closing" past a later one: the look-back walks every earlier quote.
    nested = [(0, 25), (10, 20), (30, 40)]
    for quoted in (flat, nested):
        for lo in (0, 6, 21):
            for open_at in (22, 30, 45):
                expected = lo
                for q_open, q_close in quoted:
                    if q_open < open_at and expected <= q_close <= open_at:
                        expected = q_close + 1
                assert _after_quotes(doc(quoted), lo, open_at) == expected
