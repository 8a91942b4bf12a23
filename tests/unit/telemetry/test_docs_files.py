"""The Prometheus mapping, alert rules, alert tests and Grafana dashboard in docs/telemetry agree with
the metric names we emit.

statsd_exporter itself is not obtainable from PyPI, Debian or npm, so the mapping is applied here by a
faithful implementation of its glob mapper (``match_type: glob``): the name is split on dots, a
``*`` matches one non-empty dot-free run of characters and is captured as ``$1``, ``$2``...; the first
matching rule wins; DogStatsD (``|#k:v``) and InfluxDB (``name,k=v``) tags are parsed into labels
before matching, the tags' labels joined by the rule's labels; timers become histograms
(``_bucket``/``_sum``/``_count``).
"""

from __future__ import annotations

import functools
import json
import pathlib
import re
from typing import Any

import pytest
import yaml

from airflow_mlmonitor.telemetry.names import METRICS, render

DOCS = pathlib.Path(__file__).resolve().parents[3] / "docs" / "telemetry"
SAMPLE_IDS = {"dag_id": "train_churn", "task_id": "features_build", "model": "churn", "metric": "f1",
              "target_dag": "retrain_churn"}
#: Labels a Prometheus scrape adds to every series.
SCRAPE_LABELS = {"job", "instance"}
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")


@functools.cache
def mappings() -> list[dict[str, Any]]:
    return yaml.safe_load((DOCS / "statsd_exporter_mapping.yml").read_text())["mappings"]


@functools.cache
def glob_regex(pattern: str) -> re.Pattern[str]:
    return re.compile("^" + re.escape(pattern).replace(r"\*", "([^.]+)") + "$")


def parse_line(line: str) -> tuple[str, dict[str, str]]:
    """A StatsD line -> (metric name, tag labels), as statsd_exporter's line parser reads it."""
    head, _, rest = line.partition(":")
    tags: dict[str, str] = {}
    if "," in head:  # InfluxDB tags
        head, *pairs = head.split(",")
        tags.update(pair.split("=", 1) for pair in pairs)
    if "|#" in rest:  # DogStatsD tags
        tags.update(tag.split(":", 1) for tag in rest.split("|#", 1)[1].split(","))
    return head, tags


def apply_mapping(name: str, tags: dict[str, str]) -> tuple[str, dict[str, str]] | None:
    """(Prometheus name, labels) of a StatsD metric, or None when no rule matches."""
    for rule in mappings():
        found = glob_regex(rule["match"]).match(name)
        if found:
            labels = dict(tags)
            for key, value in (rule.get("labels") or {}).items():
                labels[key] = re.sub(r"\$(\d+)", lambda m, f=found: f.group(int(m.group(1))), str(value))
            return rule["name"], labels
    return None


def matching_rules(name: str) -> list[dict[str, Any]]:
    return [rule for rule in mappings() if glob_regex(rule["match"]).match(name)]


def mapped_prometheus_names() -> set[str]:
    return {rule["name"] for rule in mappings()}


def expected_labels(metric: str) -> set[str]:
    """The documented labels of a metric's series: its ids, plus ``outcome``/``event`` where one
    Prometheus counter carries several StatsD names."""
    spec = METRICS[metric]
    extra = {"task.": {"outcome"}, "dagrun.": {"outcome"}}
    labels = set(spec.ids)
    for head, more in extra.items():
        if metric.startswith(head) and spec.type == "c":
            labels |= more
    if metric in ("model.promotion", "model.rollback", "model.rejection"):
        labels.add("event")
    return labels


@pytest.mark.parametrize("tags", ["none", "dogstatsd", "influxdb"])
@pytest.mark.parametrize("metric", sorted(METRICS))
def test_every_metric_maps_to_one_series_with_the_documented_labels(metric, tags):
    spec = METRICS[metric]
    line = render(spec, SAMPLE_IDS, 1, prefix="mlmonitor", tags=tags)[0]
    name, tag_labels = parse_line(line)
    assert len(matching_rules(name)) == 1, (name, matching_rules(name))
    mapped = apply_mapping(name, tag_labels)
    assert mapped is not None
    prom, labels = mapped
    assert prom.startswith("mlmonitor_")
    assert prom.endswith("_seconds") == (spec.type == "ms")
    assert prom.endswith("_total") == (spec.type == "c")
    assert set(labels) == expected_labels(metric), (line, labels)
    for key in spec.ids:  # the ids themselves, whichever mode carried them
        assert labels[key] == SAMPLE_IDS[key]


def test_the_three_modes_give_the_same_series():
    for metric, spec in METRICS.items():
        series = set()
        for tags in ("none", "dogstatsd", "influxdb"):
            mapped = apply_mapping(*parse_line(render(spec, SAMPLE_IDS, 1, prefix="mlmonitor", tags=tags)[0]))
            assert mapped is not None
            series.add((mapped[0], tuple(sorted(mapped[1].items()))))
        assert len(series) == 1, (metric, series)


def test_the_glob_matcher_is_segment_exact():
    assert apply_mapping("mlmonitor.drift.share.d.t", {}) == ("mlmonitor_drift_share", {"dag_id": "d", "task_id": "t"})
    assert apply_mapping("mlmonitor.drift.share.d.t.extra", {}) is None
    assert apply_mapping("mlmonitor.drift.share.d", {}) is None


# --- series used by the alert rules, their tests and the dashboard -------------------------------


def series_name(name: str) -> str:
    """A histogram's ``_bucket/_sum/_count`` series -> the mapped (timer) name."""
    for suffix in HISTOGRAM_SUFFIXES:
        if name.endswith(suffix) and name.removesuffix(suffix) in mapped_prometheus_names():
            return name.removesuffix(suffix)
    return name


def referenced_metrics(expr: str) -> set[str]:
    return {series_name(n) for n in re.findall(r"\bmlmonitor_[a-z_]+", expr)}


def label_matchers(expr: str) -> dict[str, set[str]]:
    """``{metric: {label names used in its selectors}}`` of a PromQL expression."""
    out: dict[str, set[str]] = {}
    for name, body in re.findall(r"\b(mlmonitor_[a-z_]+)\s*\{([^}]*)\}", expr):
        out.setdefault(series_name(name), set()).update(re.findall(r"([a-z_]+)\s*(?:=~|!~|!=|=)", body))
    return out


def labels_of(prom: str) -> set[str]:
    """Every label a mapped series can carry (the union over the metrics that map to it)."""
    out: set[str] = set()
    for _metric, spec in METRICS.items():
        line = render(spec, SAMPLE_IDS, 1, prefix="mlmonitor", tags="none")[0]
        mapped = apply_mapping(*parse_line(line))
        if mapped and mapped[0] == prom:
            out |= set(mapped[1])
    return out


def alert_rules() -> dict[str, dict[str, Any]]:
    groups = yaml.safe_load((DOCS / "alerts.yml").read_text())["groups"]
    return {rule["alert"]: rule for group in groups for rule in group["rules"]}


def test_alert_rules_cover_the_documented_alerts_and_query_mapped_series():
    rules = alert_rules()
    assert set(rules) == {"TrainingDurationExceeded", "ModelAccuracyDrop", "DataDriftDetected",
                          "DataQualityBelowThreshold", "TaskFailureRateHigh", "RetrainingStorm", "ModelRolledBack"}
    for alert, rule in rules.items():
        used = referenced_metrics(rule["expr"])
        assert used and used <= mapped_prometheus_names(), (alert, used)
        for metric, labels in label_matchers(rule["expr"]).items():
            assert labels <= labels_of(metric), (alert, metric, labels)
        assert rule["annotations"]["summary"] and rule["labels"]["severity"] in ("warning", "critical")


def parse_series(text: str) -> tuple[str, dict[str, str]]:
    name, _, body = text.partition("{")
    return name.strip(), dict(re.findall(r'([a-zA-Z_]+)\s*=\s*"([^"]*)"', body))


def statsd_name_for(prom: str, labels: dict[str, str]) -> tuple[str, dict[str, str]] | None:
    """Invert the mapping: the plain StatsD name whose mapped series is ``prom{labels}``."""
    for rule in mappings():
        if rule["name"] != prom or "*" not in rule["match"]:
            continue
        rule_labels = rule.get("labels") or {}
        if set(rule_labels) != set(labels):
            continue
        if any(not v.startswith("$") and labels[k] != v for k, v in rule_labels.items()):
            continue
        captures = {int(v[1:]): labels[k] for k, v in rule_labels.items() if v.startswith("$")}
        segments = [captures[i] for i in sorted(captures)]
        pieces = rule["match"].split("*")
        return "".join(p + (segments[i] if i < len(segments) else "") for i, p in enumerate(pieces)), labels
    return None


def test_alert_test_inputs_are_series_our_statsd_names_produce():
    tests = yaml.safe_load((DOCS / "alerts_test.yml").read_text())
    assert tests["rule_files"] == ["alerts.yml"]
    names = set()
    for group in tests["tests"]:
        for item in group["input_series"]:
            raw, labels = parse_series(item["series"])
            prom = series_name(raw)
            labels = {k: v for k, v in labels.items() if k not in SCRAPE_LABELS}
            inverted = statsd_name_for(prom, labels)
            assert inverted is not None, item["series"]
            statsd_name, _ = inverted
            assert apply_mapping(statsd_name, {}) == (prom, labels), statsd_name
            prefix, metric = statsd_name.split(".", 1)[0], ".".join(statsd_name.split(".")[1:3])
            assert prefix == "mlmonitor" and metric in METRICS, statsd_name
            names.add(prom)
    tested = {t["alertname"] for group in tests["tests"] for t in group["alert_rule_test"]}
    assert tested == set(alert_rules())
    # each alert is shown both firing and quiet
    for alert in tested:
        outcomes = {bool(t["exp_alerts"]) for group in tests["tests"] for t in group["alert_rule_test"]
                    if t["alertname"] == alert}
        assert outcomes == {True, False}, alert


def test_grafana_dashboard_queries_only_mapped_series_and_has_the_panels():
    dashboard = json.loads((DOCS / "grafana-dashboard.json").read_text())
    panels = [p for p in dashboard["panels"] if p["type"] != "row"]
    targets = [t for p in panels for t in p.get("targets", [])]
    assert targets and all(t["expr"] for t in targets)
    used = set().union(*(referenced_metrics(t["expr"]) for t in targets))
    assert used <= mapped_prometheus_names(), used - mapped_prometheus_names()
    for target in targets:
        for metric, labels in label_matchers(target["expr"]).items():
            assert labels <= labels_of(metric), (target["expr"], labels)
    for variable in dashboard["templating"]["list"]:
        assert referenced_metrics(variable["query"]) <= mapped_prometheus_names()
    # every ML signal the issue names has a panel
    assert {"mlmonitor_drift_share", "mlmonitor_quality_success_percent", "mlmonitor_model_metric_delta",
            "mlmonitor_model_performance_ratio", "mlmonitor_anomaly_count", "mlmonitor_task_duration_seconds",
            "mlmonitor_task_outcomes_total", "mlmonitor_model_events_total",
            "mlmonitor_retrain_triggered_total"} <= used
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    assert all(p["datasource"]["uid"] == "${DS_PROMETHEUS}" for p in panels)
