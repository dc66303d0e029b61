"""schemas/ are valid JSON Schema 2020-12, and the fast runtime validator agrees with the
reference implementation on valid and invalid records."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner
from jsonschema import Draft202012Validator

from stream.cli import main
from stream.codec import registry_for

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"
SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "articles.jsonl"
REGISTRY = registry_for(SCHEMAS)
SCHEMA_OF_TOPIC = {"articles.enriched": "enriched_article", "articles.duplicates": "duplicate",
                   "events.match_results": "match_result", "events.quotes": "quote",
                   "articles.dlq": "dead_letter"}


@pytest.mark.parametrize("path", sorted(SCHEMAS.glob("*.json")), ids=lambda p: p.name)
def test_schema_files_are_valid_2020_12(path: Path) -> None:
    schema = orjson.loads(path.read_bytes())
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def _records() -> list[tuple[str, dict[str, Any]]]:
    result = CliRunner().invoke(main, ["process", str(SAMPLES)])
    assert result.exit_code == 0, result.output
    lines = [orjson.loads(line) for line in result.output.splitlines()]
    return [(SCHEMA_OF_TOPIC[x["topic"]], x["value"]) for x in lines if x["value"]]


def _mutations(value: dict[str, Any]) -> list[dict[str, Any]]:
    broken = []
    for key in list(value)[:6]:
        missing = copy.deepcopy(value)
        del missing[key]
        broken.append(missing)
        wrong = copy.deepcopy(value)
        wrong[key] = {"unexpected": True}
        broken.append(wrong)
    extra = copy.deepcopy(value)
    extra["not_in_schema"] = 1
    broken.append(extra)
    return broken


def test_fast_validator_agrees_with_the_reference() -> None:
    checked = 0
    for name, value in _records():
        reference = Draft202012Validator(REGISTRY.schema(name))
        for candidate in [value, *_mutations(value)]:
            expected_ok = reference.is_valid(candidate)
            assert (REGISTRY.first_error(name, candidate) is None) == expected_ok, (name, candidate)
            checked += 1
    assert checked > 50
