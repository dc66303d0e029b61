"""Quality floors of the extraction stage on the hand-labelled gold set (bench/extract_gate.py).

The floors are the project's targets; the held-out part (never inspected while tuning) must
meet them on its own too, so a rule tuned to the tuning articles alone shows up here.
"""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.extract_gate import (  # noqa: E402
    ENTITY_TYPES,
    Report,
    evaluate,
    load_gold,
)
from stream.core.extract.kb import load_default  # noqa: E402

ENTITY_F1 = 0.92
MATCH_F1 = 0.95
SPEAKER_ACCURACY = 0.90
QUOTE_RECALL = 0.85


@cache
def report(split: str | None) -> Report:
    return evaluate(load_gold(split))


def test_gold_set_is_large_enough_with_a_held_out_part() -> None:
    items = load_gold()
    assert len(items) >= 30
    assert len(load_gold("heldout")) >= 8
    assert {i["split"] for i in items} == {"tune", "heldout"}


def test_gold_labels_are_consistent_with_the_knowledge_base_and_text() -> None:
    kb = load_default()
    for item in load_gold():
        gold = item["gold"]
        assert set(gold["entities"]) <= set(ENTITY_TYPES), item["id"]
        for kind, entity_ids in gold["entities"].items():
            for entity_id in entity_ids:
                entity = kb.get(entity_id)
                if entity is None:
                    assert kind == "person" and entity_id.startswith("person:"), entity_id
                else:
                    assert entity.type == kind, entity_id
        for match in gold["match_results"]:
            assert {match["home"], match["away"]} <= set(gold["entities"]["club"]), item["id"]
        for quote in gold["quotes"]:
            assert quote["text"] in item["raw"]["body"], (item["id"], quote["text"])
            assert quote["speaker"] in gold["entities"]["person"], (item["id"], quote)


@pytest.mark.parametrize("split", [None, "heldout"])
def test_floors(split: str | None) -> None:
    result = report(split)
    assert result.entity_total.f1 >= ENTITY_F1
    assert result.matches.f1 >= MATCH_F1
    assert result.speaker_accuracy >= SPEAKER_ACCURACY
    assert result.quote_recall >= QUOTE_RECALL
