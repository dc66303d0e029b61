"""Types shared by the extractors."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import NamedTuple

from stream.core.models import EntityType, Ref


class EntityMention(NamedTuple):
    """One resolved mention in the cleaned text: ``text[start:end]`` names ``ref``.

    A named tuple rather than a frozen dataclass: about a hundred are made per article, and
    ``tuple.__new__(EntityMention, (start, end, type, ref))`` costs a third of a dataclass
    constructor (fields are read the same way: ``mention.start``).
    """

    start: int
    end: int
    type: EntityType
    ref: Ref


#: Given a venue id, the club whose home ground it is (None when unknown).
HomeClubOf = Callable[[str], Ref | None]
#: Mentions of each type, in text order (what :func:`mentions_by_type` returns).
MentionsByType = Mapping[str, Sequence[EntityMention]]


def mentions_by_type(mentions: Iterable[EntityMention]) -> dict[str, list[EntityMention]]:
    """The mentions of each type, in the given order: one pass, where each stage would
    otherwise filter the whole list again for each type it needs."""
    groups: dict[str, list[EntityMention]] = {}
    for mention in mentions:
        group = groups.get(mention.type)
        if group is None:
            groups[mention.type] = [mention]
        else:
            group.append(mention)
    return groups
