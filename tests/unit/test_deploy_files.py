"""docker-compose.yml and deploy/ agree with the settings (checked as far as no Docker allows)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from stream.metrics import LATENCY_OBJECTIVE_SECONDS, create_metrics
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


def _families() -> dict[str, str]:
    return {family.name: family.type for family in create_metrics().registry.collect()}


def _exported_names() -> set[str]:
    names: set[str] = set()
    suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"),
                "gauge": ("",), "info": ("_info",), "summary": ("_sum", "_count")}
    for name, kind in _families().items():
        names.update(name + suffix for suffix in suffixes[kind])
    return names


def _alerts() -> dict:  # type: ignore[type-arg]
    return yaml.safe_load((REPO / "deploy/prometheus/alerts.yml").read_text())


def _dashboard_exprs() -> list[str]:
    dashboard = json.loads((REPO / "deploy/grafana/dashboards/stream-news.json").read_text())
    assert all(p["targets"] for p in dashboard["panels"]), "a panel without a query"
    return [t["expr"] for p in dashboard["panels"] for t in p["targets"]]


def _rule_exprs() -> list[str]:
    return [str(rule["expr"]) for group in _alerts()["groups"] for rule in group["rules"]]


def test_dashboards_and_alerts_use_only_exported_metrics() -> None:
    exported = _exported_names() | {"up"}
    texts = _rule_exprs() + _dashboard_exprs()
    used = {m for text in texts for m in re.findall(r"\b(stream_[a-z_]+)", text)}
    assert used, "no metric found in deploy files"
    missing = {m for m in used if m not in exported}
    assert not missing, f"used but never exported: {missing}"
    # Recording rules (stream:...) used anywhere must be defined in alerts.yml.
    recorded = {r["record"] for g in _alerts()["groups"] for r in g["rules"] if "record" in r}
    referenced = {m for text in texts for m in re.findall(r"\b(stream:[a-z0-9_:]+)", text)}
    assert referenced - recorded == set(), f"recording rules never defined: {referenced - recorded}"


def test_the_dashboard_shows_every_exported_metric() -> None:
    shown = " ".join(_dashboard_exprs())
    unshown = {name for name in _families() if not re.search(rf"\b{name}(_[a-z]+)?\b", shown)}
    assert not unshown, f"exported but on no dashboard panel: {unshown}"


def test_every_alert_is_unit_tested_and_latency_rules_read_the_objective_bucket() -> None:
    alerts = {r["alert"] for g in _alerts()["groups"] for r in g["rules"] if "alert" in r}
    tests = yaml.safe_load((REPO / "deploy/prometheus/tests.yml").read_text())
    assert tests["rule_files"] == ["alerts.yml"]
    tested = {t["alertname"] for case in tests["tests"] for t in case.get("alert_rule_test", [])}
    assert alerts - tested == set(), f"alerts without a rule test: {alerts - tested}"
    buckets = {le for text in _rule_exprs()
               for le in re.findall(r'stream_end_to_end_latency_seconds_bucket\{le="([^"]+)"', text)}
    assert buckets == {str(LATENCY_OBJECTIVE_SECONDS)}


def test_prometheus_and_grafana_files_point_at_each_other() -> None:
    config = yaml.safe_load((REPO / "deploy/prometheus/prometheus.yml").read_text())
    assert [Path(f).name for f in config["rule_files"]] == ["alerts.yml"]
    assert config["scrape_configs"][0]["job_name"] == "stream-worker"
    assert all('job="stream-worker"' in e for e in _rule_exprs() if "up{" in e)
    datasource = yaml.safe_load(
        (REPO / "deploy/grafana/provisioning/datasources/prometheus.yml").read_text())
    uid = datasource["datasources"][0]["uid"]
    dashboard = json.loads((REPO / "deploy/grafana/dashboards/stream-news.json").read_text())
    assert {p["datasource"]["uid"] for p in dashboard["panels"]} == {uid}
    provider = yaml.safe_load(
        (REPO / "deploy/grafana/provisioning/dashboards/stream.yml").read_text())
    mounts = _compose()["services"]["grafana"]["volumes"]
    assert f"./deploy/grafana/dashboards:{provider['providers'][0]['options']['path']}:ro" in mounts
