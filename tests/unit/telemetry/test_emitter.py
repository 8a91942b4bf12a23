"""What each check result, task outcome and registry event emits (recording client at the boundary)."""

from __future__ import annotations

import datetime as dt
import types

from airflow_mlmonitor.results import CheckResult
from airflow_mlmonitor.telemetry.checks import emit_check_metrics, emit_model_event, emit_retrain_triggered
from airflow_mlmonitor.telemetry.emitter import Telemetry
from airflow_mlmonitor.telemetry.names import lines_of
from airflow_mlmonitor.telemetry.tasks import duration_ms, emit_dagrun, emit_task


class Recorder:
    def __init__(self) -> None:
        self.batches: list[list[str]] = []

    def send(self, stats):
        self.batches.append([line for stat in stats for line in lines_of(stat)])

    @property
    def lines(self) -> list[str]:
        return [line for batch in self.batches for line in batch]


def telemetry(tags="none") -> tuple[Telemetry, Recorder]:
    rec = Recorder()
    return Telemetry(client=rec, prefix="mlmonitor", tags=tags), rec


def test_quality_result_emits_success_percent_and_unsuccessful_gauges():
    tel, rec = telemetry()
    result = CheckResult(
        check="data_quality", passed=False, summary="2 of 4 failed",
        metrics={"success_percent": 50.0, "unsuccessful_expectations": 2, "evaluated_expectations": 4},
    ).to_dict()
    emit_check_metrics(result, dag_id="train", task_id="validate.raw", telemetry=tel)
    assert rec.batches == [[
        "mlmonitor.quality.success_percent.train.validate_raw:50|g",
        "mlmonitor.quality.unsuccessful_expectations.train.validate_raw:2|g",
    ]]


def test_drift_result_emits_share_columns_and_detected():
    tel, rec = telemetry()
    result = {"check": "drift", "metrics": {"drift_share": 0.6, "drifted_columns": 3}, "dataset_drift": True}
    emit_check_metrics(result, dag_id="d", task_id="t", telemetry=tel)
    assert rec.lines == ["mlmonitor.drift.share.d.t:0.6|g", "mlmonitor.drift.drifted_columns.d.t:3|g",
                         "mlmonitor.drift.detected.d.t:1|c"]


def test_no_drift_emits_no_detected_counter():
    tel, rec = telemetry()
    emit_check_metrics({"check": "drift", "metrics": {"drift_share": 0.0, "drifted_columns": 0},
                        "dataset_drift": False}, dag_id="d", task_id="t", telemetry=tel)
    assert rec.lines == ["mlmonitor.drift.share.d.t:0|g", "mlmonitor.drift.drifted_columns.d.t:0|g"]


def test_model_comparison_emits_deltas_and_rejection_with_tags():
    tel, rec = telemetry("dogstatsd")
    result = {
        "check": "model_comparison", "model_name": "churn", "decision": "reject", "metrics": {},
        "rules": [{"metric": "f1", "delta": -0.02}, {"metric": "auc", "delta": 0.01}, {"metric": "x", "delta": None}],
    }
    emit_check_metrics(result, dag_id="d", task_id="t", telemetry=tel)
    assert rec.lines == [
        "mlmonitor.model.metric_delta:0|g|#model:churn,metric:f1",
        "mlmonitor.model.metric_delta:-0.02|g|#model:churn,metric:f1",
        "mlmonitor.model.metric_delta:0.01|g|#model:churn,metric:auc",
        "mlmonitor.model.rejection:1|c|#model:churn",
    ]


def test_promoting_comparison_emits_no_rejection():
    tel, rec = telemetry()
    emit_check_metrics({"check": "model_comparison", "model_name": "m", "decision": "promote",
                        "rules": [{"metric": "f1", "delta": 0.1}]}, dag_id="d", task_id="t", telemetry=tel)
    assert rec.lines == ["mlmonitor.model.metric_delta.m.f1:0.1|g"]


def test_registry_and_retrain_events_in_influxdb_mode():
    tel, rec = telemetry("influxdb")
    emit_model_event("rollback", model_name="churn", telemetry=tel)
    emit_model_event("promotion", model_name="churn", telemetry=tel)
    emit_retrain_triggered(target_dag_id="retrain_churn", telemetry=tel)
    assert rec.lines == [
        "mlmonitor.model.rollback,model=churn:1|c",
        "mlmonitor.model.promotion,model=churn:1|c",
        "mlmonitor.retrain.triggered,target_dag=retrain_churn:1|c",
    ]


def test_a_broken_client_never_raises(caplog):
    class Broken:
        def send(self, lines):
            raise RuntimeError("socket exploded")

    emit_model_event("rollback", model_name="m", telemetry=Telemetry(client=Broken()))
    assert "socket exploded" in caplog.text


UTC = dt.UTC


def test_task_outcomes_and_duration_from_the_try():
    tel, rec = telemetry()
    start = dt.datetime(2024, 1, 1, 0, 0, tzinfo=UTC)
    for state, end in (("success", start + dt.timedelta(seconds=1.5)), ("up_for_retry", start), ("failed", start)):
        ti = types.SimpleNamespace(dag_id="d", task_id="grp.t", state=state, start_date=start, end_date=end)
        assert emit_task(tel, ti)
    assert rec.batches == [
        ["mlmonitor.task.success.d.grp_t:1|c", "mlmonitor.task.duration.d.grp_t:1500|ms"],
        ["mlmonitor.task.retry.d.grp_t:1|c", "mlmonitor.task.duration.d.grp_t:0|ms"],
        ["mlmonitor.task.failure.d.grp_t:1|c", "mlmonitor.task.duration.d.grp_t:0|ms"],
    ]


def test_running_task_emits_nothing_and_missing_start_emits_no_duration():
    tel, rec = telemetry()
    assert not emit_task(tel, types.SimpleNamespace(dag_id="d", task_id="t", state="running"))
    run = types.SimpleNamespace(dag_id="d", state="failed", start_date=None, end_date=None)
    assert emit_dagrun(tel, run)
    assert rec.lines == ["mlmonitor.dagrun.failure.d:1|c"]


def test_duration_tolerates_a_missing_end_date():
    start = dt.datetime.now(UTC) - dt.timedelta(seconds=2)
    assert 2000 <= duration_ms(start, None) < 60_000
    assert duration_ms(dt.datetime(2024, 1, 1), dt.datetime(2024, 1, 1, 0, 0, 1)) == 1000  # naive = UTC
    assert duration_ms(None, None) is None
