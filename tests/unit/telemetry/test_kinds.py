"""Check kinds are data: one registration gives a kind its StatsD metrics and its UI trend series."""

from __future__ import annotations

from airflow_mlmonitor.plugins.charts import trend_values
from airflow_mlmonitor.telemetry.emitter import Telemetry
from airflow_mlmonitor.telemetry.kinds import CHECK_KINDS, CheckKind, Gauge, check_points, register_check_kind
from airflow_mlmonitor.telemetry.names import METRICS, lines_of


class Recorder:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def send(self, stats):
        self.lines += [line for stat in stats for line in lines_of(stat)]


def emitted(result, tags="none") -> list[str]:
    rec = Recorder()
    Telemetry(client=rec, tags=tags).check_result(result, "d", "t")
    return rec.lines


def test_every_registered_metric_has_a_spec():
    for kind in CHECK_KINDS.values():
        for gauge in (*kind.gauges, *kind.model_gauges):
            assert gauge.metric in METRICS, (kind.check, gauge.metric)
    assert {"data_quality", "drift", "model_comparison", "performance", "anomaly"} <= set(CHECK_KINDS)


def test_performance_ratio_is_a_model_metric_gauge_and_a_chart():
    result = {"check": "performance", "model_name": "churn", "metric": "accuracy", "ratio": 0.8,
              "metrics": {"ratio": 0.82, "rows": 100}}
    assert emitted(result) == ["mlmonitor.model.performance_ratio.churn.accuracy:0.82|g"]
    assert emitted(result, "dogstatsd") == ["mlmonitor.model.performance_ratio:0.82|g|#model:churn,metric:accuracy"]
    assert trend_values(result) == {"performance_ratio": (0.82, None)}
    top_level_only = {"check": "performance", "model_name": "m", "metric": "f1", "ratio": 1.1, "metrics": {}}
    assert emitted(top_level_only) == ["mlmonitor.model.performance_ratio.m.f1:1.1|g"]


def test_performance_without_model_name_emits_nothing(caplog):
    assert emitted({"check": "performance", "metric": "f1", "metrics": {"ratio": 0.5}}) == []
    assert "model_name" in caplog.text


def test_anomaly_count_from_metrics_or_the_anomaly_list():
    assert emitted({"check": "anomaly", "metrics": {"anomalies": 2}}) == ["mlmonitor.anomaly.count.d.t:2|g"]
    assert emitted({"check": "anomaly", "metrics": {"count": 3}}) == ["mlmonitor.anomaly.count.d.t:3|g"]
    listed = {"check": "anomaly", "metrics": {}, "anomalies": [{"value": 1}, {"value": 9}]}
    assert emitted(listed) == ["mlmonitor.anomaly.count.d.t:2|g"]
    assert trend_values(listed) == {"anomalies": (2.0, None)}
    assert emitted({"check": "anomaly", "metrics": {}, "anomalies": []}) == ["mlmonitor.anomaly.count.d.t:0|g"]


def test_a_new_kind_registers_in_one_place(monkeypatch):
    monkeypatch.setitem(CHECK_KINDS, "freshness", CHECK_KINDS.get("freshness"))  # restored after the test
    register_check_kind(CheckKind("freshness", gauges=(Gauge("drift.share", ("lag",), "lag", (0.0, 1.0)),)))
    result = {"check": "freshness", "metrics": {"lag": 0.4}}
    assert check_points(result, "d", "t") == [("drift.share", {"dag_id": "d", "task_id": "t"}, 0.4)]
    assert trend_values(result) == {"lag": (0.4, (0.0, 1.0))}


def test_unknown_kind_and_non_numbers_emit_nothing():
    assert emitted({"check": "nope", "metrics": {"x": 1}}) == []
    assert emitted({"check": "drift", "metrics": {"drift_share": True, "drifted_columns": "3"}}) == []
    assert trend_values({"check": "nope"}) == {}
