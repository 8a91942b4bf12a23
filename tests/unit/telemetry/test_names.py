"""Metric names, sanitising and the documented packets of each tag mode."""

from __future__ import annotations

import math

import pytest

from airflow_mlmonitor.telemetry.names import METRICS, format_value, render, sanitize, sanitize_prefix


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("train_model", "train_model"),
        ("features.build", "features_build"),  # task-group id: one segment
        ("données", "donn_es"),  # non-ASCII
        ("a b/c:d|e@f#g,h", "a_b_c_d_e_f_g_h"),
        ("mixed-Case_09", "mixed-Case_09"),
        ("", "_"),
        (3, "3"),
    ],
)
def test_sanitize_keeps_one_safe_segment(raw, expected):
    assert sanitize(raw) == expected


def test_prefix_keeps_its_dots_and_sanitises_parts():
    assert sanitize_prefix("team.ml monitor.") == "team.ml_monitor"
    assert sanitize_prefix("") == ""


TASK = METRICS["task.duration"]
IDS = {"dag_id": "train", "task_id": "features.build"}


@pytest.mark.parametrize(
    ("mode", "line"),
    [
        ("none", "mlmonitor.task.duration.train.features_build:1234.5|ms"),
        ("dogstatsd", "mlmonitor.task.duration:1234.5|ms|#dag_id:train,task_id:features_build"),
        ("influxdb", "mlmonitor.task.duration,dag_id=train,task_id=features_build:1234.5|ms"),
    ],
)
def test_tag_modes_produce_the_documented_packets(mode, line):
    assert render(TASK, IDS, 1234.5, prefix="mlmonitor", tags=mode) == [line]


def test_model_metric_delta_names_model_and_metric():
    spec = METRICS["model.metric_delta"]
    ids = {"model": "churn/v2", "metric": "f1"}
    assert render(spec, ids, 0.25, prefix="mlmonitor", tags="none") == ["mlmonitor.model.metric_delta.churn_v2.f1:0.25|g"]
    assert render(spec, ids, 0.25, prefix="p", tags="dogstatsd") == ["p.model.metric_delta:0.25|g|#model:churn_v2,metric:f1"]


def test_negative_gauge_is_set_not_decremented():
    spec = METRICS["model.metric_delta"]
    lines = render(spec, {"model": "m", "metric": "rmse"}, -0.5, prefix="mlmonitor", tags="none")
    assert lines == ["mlmonitor.model.metric_delta.m.rmse:0|g", "mlmonitor.model.metric_delta.m.rmse:-0.5|g"]


@pytest.mark.parametrize("value", [math.nan, math.inf, None, "1", True])
def test_non_numbers_emit_nothing(value):
    assert render(METRICS["drift.share"], IDS, value, prefix="mlmonitor", tags="none") == []


def test_negative_duration_is_clamped_and_counters_are_integers():
    assert render(TASK, IDS, -3, prefix="", tags="none") == ["task.duration.train.features_build:0|ms"]
    assert render(METRICS["task.success"], IDS, 1, prefix="x", tags="none") == ["x.task.success.train.features_build:1|c"]
    assert format_value(2.0) == "2" and format_value(0.1) == "0.1"


def test_missing_id_is_a_clear_error():
    with pytest.raises(KeyError, match="needs the ids"):
        render(TASK, {"dag_id": "d"}, 1, prefix="", tags="none")


def test_every_contract_name_is_registered():
    contract = {
        "task.duration", "task.success", "task.failure", "task.retry", "dagrun.duration", "dagrun.success",
        "dagrun.failure", "quality.success_percent", "quality.unsuccessful_expectations", "drift.share",
        "drift.drifted_columns", "drift.detected", "model.promotion", "model.rollback", "model.rejection",
        "model.metric_delta", "retrain.triggered", "model.performance_ratio", "anomaly.count",
    }
    assert set(METRICS) == contract
