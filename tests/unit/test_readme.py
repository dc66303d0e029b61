"""The README stays true: it documents every setting and starts with the two commands."""

from __future__ import annotations

from pathlib import Path

from stream.settings import Settings

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def test_every_setting_is_documented() -> None:
    missing = [f"STREAM_{name.upper()}" for name in Settings.model_fields
               if f"STREAM_{name.upper()}" not in README]
    assert not missing, f"README lacks {missing}"


def test_first_lines_give_the_two_commands() -> None:
    head = README.splitlines()[:6]
    assert any(line.startswith("make run") for line in head)
    assert any(line.startswith("make test") for line in head)
