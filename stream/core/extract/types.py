"""Types shared by the extractors."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from stream.core.models import EntityType, Ref


@dataclass(frozen=True, slots=True)
class EntityMention:
    """One resolved mention in the cleaned text: ``text[start:end]`` names ``ref``."""

    start: int
    end: int
    type: EntityType
    ref: Ref


#: Given a venue id, the club whose home ground it is (None when unknown).
HomeClubOf = Callable[[str], Ref | None]
