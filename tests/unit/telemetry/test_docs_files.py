"""The Prometheus mapping, alert rules and Grafana dashboard shipped in docs/telemetry agree with the
metric names we emit: every name maps to exactly one rule, and alerts/panels only query mapped
metrics."""

from __future__ import annotations

import json
import pathlib
import re

import pytest
import yaml

from airflow_mlmonitor.telemetry.names import METRICS, render

DOCS = pathlib.Path(__file__).resolve().parents[3] / "docs" / "telemetry"
SAMPLE_IDS = {"dag_id": "train_churn", "task_id": "features_build", "model": "churn", "metric": "f1",
              "target_dag": "retrain_churn"}


def mappings() -> list[dict]:
    return yaml.safe_load((DOCS / "statsd_exporter_mapping.yml").read_text())["mappings"]


def glob_regex(pattern: str) -> re.Pattern[str]:
    """statsd_exporter glob semantics: ``*`` is exactly one dot-free segment."""
    return re.compile("^" + re.escape(pattern).replace(r"\*", "([^.]+)") + "$")


def statsd_name(line: str) -> str:
    return re.split(r"[:,|]", line, maxsplit=1)[0]


def mapped_prometheus_names() -> set[str]:
    return {rule["name"] for rule in mappings()}


@pytest.mark.parametrize("tags", ["none", "dogstatsd", "influxdb"])
@pytest.mark.parametrize("metric", sorted(METRICS))
def test_every_metric_maps_to_exactly_one_rule(metric, tags):
    spec = METRICS[metric]
    name = statsd_name(render(spec, SAMPLE_IDS, 1, prefix="mlmonitor", tags=tags)[0])
    hits = [rule for rule in mappings() if glob_regex(rule["match"]).match(name)]
    assert len(hits) == 1, (name, hits)
    rule = hits[0]
    prom = rule["name"]
    assert prom.startswith("mlmonitor_")
    assert prom.endswith("_seconds") == (spec.type == "ms")
    assert prom.endswith("_total") == (spec.type == "c")
    if tags == "none":  # ids become labels with their contract names
        captured = glob_regex(rule["match"]).match(name).groups()
        labels = {k: v for k, v in rule.get("labels", {}).items() if v.startswith("$")}
        assert {k: captured[int(v[1:]) - 1] for k, v in labels.items()} == {k: SAMPLE_IDS[k] for k in spec.ids}


def referenced_metrics(expr: str) -> set[str]:
    names = set(re.findall(r"\bmlmonitor_[a-z_]+", expr))
    return {re.sub(r"_(bucket|sum|count)$", "", n) if n.endswith(("_bucket", "_sum", "_count")) else n for n in names}


def test_alert_rules_cover_the_documented_alerts_and_query_mapped_metrics():
    groups = yaml.safe_load((DOCS / "alerts.yml").read_text())["groups"]
    rules = {rule["alert"]: rule for group in groups for rule in group["rules"]}
    assert set(rules) == {"MLTrainingTooLong", "MLDataQualityBelowThreshold", "MLDriftShareAboveThreshold",
                          "MLModelRolledBack"}
    for rule in rules.values():
        used = referenced_metrics(rule["expr"])
        assert used and used <= mapped_prometheus_names(), (rule["alert"], used)
        assert rule["annotations"]["summary"]


def test_grafana_dashboard_queries_only_mapped_metrics():
    dashboard = json.loads((DOCS / "grafana-dashboard.json").read_text())
    targets = [t for p in dashboard["panels"] for t in p.get("targets", [])]
    used = set().union(*(referenced_metrics(t["expr"]) for t in targets))
    assert used <= mapped_prometheus_names()
    # every ML signal has a panel
    assert {"mlmonitor_quality_success_percent", "mlmonitor_drift_share", "mlmonitor_model_events_total",
            "mlmonitor_retrain_triggered_total", "mlmonitor_task_duration_seconds"} <= used
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
