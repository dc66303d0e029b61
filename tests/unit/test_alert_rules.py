"""The alert rules, checked and unit-tested by Prometheus's own promtool.

``promtool check rules`` validates syntax and templates; ``promtool test rules`` replays
the synthetic histories of deploy/prometheus/tests.yml through every rule and compares
the alerts that fire (labels and annotations) with what each case expects. promtool
comes from Debian's ``prometheus`` package (scripts/install_ops_tools.sh installs it); CI
has it, elsewhere these tests skip and say why.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "prometheus"
PROMTOOL = shutil.which("promtool")

pytestmark = pytest.mark.skipif(
    PROMTOOL is None,
    reason="promtool not installed: run `bash scripts/install_ops_tools.sh` "
           "(Debian package `prometheus`)")


def promtool(*args: str, cwd: Path = DEPLOY) -> str:
    assert PROMTOOL is not None
    done = subprocess.run([PROMTOOL, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120, check=False)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    return output


def test_rules_are_valid() -> None:
    assert "SUCCESS" in promtool("check", "rules", "alerts.yml")


def test_rules_fire_exactly_as_the_rule_tests_expect() -> None:
    assert "SUCCESS" in promtool("test", "rules", "tests.yml")


def test_scrape_config_is_valid(tmp_path: Path) -> None:
    """prometheus.yml names the rule file by its path inside the container; check it
    with that path pointed at the repository's copy."""
    config = yaml.safe_load((DEPLOY / "prometheus.yml").read_text())
    config["rule_files"] = [str(DEPLOY / Path(f).name) for f in config["rule_files"]]
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    assert "SUCCESS" in promtool("check", "config", "prometheus.yml", cwd=tmp_path)
