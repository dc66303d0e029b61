"""CLI behaviour: help everywhere, one-line errors, batch output."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from stream.cli import main

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("command", [[], ["worker"], ["produce"], ["tail"], ["topics"],
                                     ["topics", "create"], ["topics", "list"], ["process"]])
def test_every_command_has_help(command: list[str]) -> None:
    result = CliRunner().invoke(main, [*command, "--help"])
    assert result.exit_code == 0 and "Usage:" in result.output


def test_missing_file_is_one_clear_line() -> None:
    proc = subprocess.run([sys.executable, "-m", "stream.cli", "process", "/no/such/file.jsonl"],
                          capture_output=True, text=True, cwd=REPO)
    assert proc.returncode == 1
    assert proc.stderr.strip() == "Error: /no/such/file.jsonl: no such file or directory"


def test_unreachable_broker_is_one_clear_line() -> None:
    proc = subprocess.run([sys.executable, "-m", "stream.cli", "topics", "list"],
                          capture_output=True, text=True, cwd=REPO,
                          env={"STREAM_BROKERS": "127.0.0.1:1", "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().startswith("Error: cannot reach Kafka at 127.0.0.1:1")


def test_bad_setting_is_one_clear_line() -> None:
    proc = subprocess.run([sys.executable, "-m", "stream.cli", "process", "-"], input="",
                          capture_output=True, text=True, cwd=REPO,
                          env={"STREAM_PARTITIONS": "zero", "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 1 and "STREAM_PARTITIONS" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_process_reads_text_files_with_a_date_line(tmp_path: Path) -> None:
    story = tmp_path / "story.txt"
    story.write_text("date 2025-04-05 Celtic beat Rangers 3-0 at Celtic Park on Saturday.\n\n"
                     "Trending\n\nThe champions were never troubled.\n")
    result = CliRunner().invoke(main, ["process", str(story)])
    assert result.exit_code == 0, result.output
    [line] = [orjson.loads(x) for x in result.output.splitlines()
              if orjson.loads(x)["topic"] == "articles.enriched"]
    assert line["value"]["published_at"] == "2025-04-05T00:00:00+00:00"
    assert "Trending" not in line["value"]["text"]
