"""docker-compose.yml and deploy/ agree with the settings (checked as far as no Docker allows)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from stream.metrics import create_metrics
from stream.settings import Settings

REPO = Path(__file__).resolve().parents[2]


def _compose() -> dict:  # type: ignore[type-arg]
    return yaml.safe_load((REPO / "docker-compose.yml").read_text())


def test_compose_parses_and_has_every_service() -> None:
    services = _compose()["services"]
    assert {"kafka", "worker", "prometheus", "grafana"} <= set(services)
    assert services["kafka"]["image"].startswith("apache/kafka:")
    assert services["worker"]["build"] == "."


def test_worker_environment_names_real_settings_and_ports_match() -> None:
    worker = _compose()["services"]["worker"]
    fields = set(Settings.model_fields)
    for name in worker["environment"]:
        assert name.startswith("STREAM_") and name.removeprefix("STREAM_").lower() in fields, name
    env = worker["environment"]
    settings = Settings(web_port=int(env["STREAM_WEB_PORT"]), brokers=env["STREAM_BROKERS"])
    assert f"{settings.web_port}:{settings.web_port}" in " ".join(worker["ports"])
    kafka_env = _compose()["services"]["kafka"]["environment"]
    internal = re.search(r"INTERNAL://([^,]+)", kafka_env["KAFKA_ADVERTISED_LISTENERS"])
    assert internal and internal.group(1) == settings.brokers
    targets = yaml.safe_load((REPO / "deploy/prometheus/prometheus.yml").read_text())
    scraped = targets["scrape_configs"][0]["static_configs"][0]["targets"]
    assert f"worker:{settings.web_port}" in scraped


def _exported_names() -> set[str]:
    names: set[str] = set()
    suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"),
                "gauge": ("",), "info": ("_info",), "summary": ("_sum", "_count")}
    for family in create_metrics().registry.collect():
        names.update(family.name + suffix for suffix in suffixes[family.type])
    return names


def test_dashboards_and_alerts_use_only_exported_metrics() -> None:
    exported = _exported_names() | {"up"}
    texts = [(REPO / "deploy/prometheus/alerts.yml").read_text()]
    dashboard = json.loads((REPO / "deploy/grafana/dashboards/stream-news.json").read_text())
    texts += [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    used = {m for text in texts for m in re.findall(r"\b(stream_[a-z_]+)", text)}
    assert used, "no metric found in deploy files"
    missing = {m for m in used if m not in exported}
    assert not missing, f"used but never exported: {missing}"
