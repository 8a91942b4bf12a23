"""ML metrics in the real statsd daemon: check results through a check operator under ``dag.test()``,
the seam functions, the tag modes, and the faults (bad host, closed port, daemon killed mid-run)."""

from __future__ import annotations

import json
import logging
import socket

import pytest

from airflow_mlmonitor.hooks.statsd import get_telemetry, reset_statsd_clients
from airflow_mlmonitor.telemetry.checks import emit_check_metrics, emit_model_event, emit_retrain_triggered
from tests.fixtures.airflow import ti_states, xcom_value
from tests.fixtures.statsd import StatsdDaemon

DAG_SOURCE = '''
import pendulum
from airflow.sdk import DAG
from airflow_mlmonitor.operators._check import BaseCheckOperator
from airflow_mlmonitor.results import CheckResult

class ToyDrift(BaseCheckOperator):
    default_on_failure = "warn"
    template_fields = ("share",)
    def __init__(self, *, share, **kwargs):
        super().__init__(**kwargs)
        self.share = share
    def run_check(self, context):
        share = float(self.share)
        result = CheckResult(check="drift", passed=share < 0.5, summary=f"drift share {share}",
                             metrics={"drift_share": share, "drifted_columns": int(share * 10), "n_columns": 10},
                             details={"dataset_drift": share >= 0.5})
        return result, {}

with DAG("telemetry_checks", schedule=None, start_date=pendulum.datetime(2024, 1, 1)) as dag:
    ToyDrift(task_id="drift_ok", share="0.1")
    ToyDrift(task_id="drift_bad", share="0.7")
'''


def test_check_operator_emits_its_result_metrics(dag_runner, statsd_conn: StatsdDaemon):
    run = dag_runner.run(dag_runner.load_source(DAG_SOURCE, "telemetry_checks"))
    assert ti_states(run) == {"drift_ok": "success", "drift_bad": "success"}  # on_failure="warn"
    assert xcom_value(run, "drift_bad")["status"] == "warned"
    assert statsd_conn.gauges("mlmonitor.drift.") == {
        "mlmonitor.drift.share.telemetry_checks.drift_ok": 0.1,
        "mlmonitor.drift.drifted_columns.telemetry_checks.drift_ok": 1,
        "mlmonitor.drift.share.telemetry_checks.drift_bad": 0.7,
        "mlmonitor.drift.drifted_columns.telemetry_checks.drift_bad": 7,
    }
    assert statsd_conn.counters("mlmonitor.drift.") == {"mlmonitor.drift.detected.telemetry_checks.drift_bad": 1}


def test_quality_model_and_retrain_metrics_reach_the_daemon(statsd_conn: StatsdDaemon):
    quality = {"check": "data_quality", "metrics": {"success_percent": 87.5, "unsuccessful_expectations": 1}}
    emit_check_metrics(quality, dag_id="seam", task_id="validate")
    comparison = {"check": "model_comparison", "model_name": "churn", "decision": "reject",
                  "rules": [{"metric": "rmse", "delta": -0.25}, {"metric": "f1", "delta": 0.125}]}
    emit_check_metrics(comparison, dag_id="seam", task_id="compare")
    emit_check_metrics(comparison, dag_id="seam", task_id="compare")  # a second run: gauge set, not summed
    emit_model_event("promotion", model_name="churn")
    emit_model_event("rollback", model_name="churn")
    emit_retrain_triggered(target_dag_id="retrain_churn")

    assert statsd_conn.gauges("mlmonitor.quality.") == {
        "mlmonitor.quality.success_percent.seam.validate": 87.5,
        "mlmonitor.quality.unsuccessful_expectations.seam.validate": 1,
    }
    assert statsd_conn.gauges("mlmonitor.model.") == {
        "mlmonitor.model.metric_delta.churn.rmse": -0.25,  # negative gauges are set, not decremented
        "mlmonitor.model.metric_delta.churn.f1": 0.125,
    }
    counters = statsd_conn.counters("mlmonitor.")
    assert {k: v for k, v in counters.items() if ".model." in k or ".retrain." in k} == {
        "mlmonitor.model.rejection.churn": 2,
        "mlmonitor.model.promotion.churn": 1,
        "mlmonitor.model.rollback.churn": 1,
        "mlmonitor.retrain.triggered.retrain_churn": 1,
    }


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ("dogstatsd", {"ml.model.rollback;model=fraud_v2": 1, "ml.retrain.triggered;target_dag=retrain_fraud": 1}),
        ("influxdb", {"ml.model.rollback,model=fraud_v2": 1, "ml.retrain.triggered,target_dag=retrain_fraud": 1}),
    ],
)
def test_tag_modes_reach_the_daemon(statsd_daemon: StatsdDaemon, monkeypatch, tags, expected):
    monkeypatch.setenv("AIRFLOW_CONN_TAGGED_STATSD", statsd_daemon.conn_uri(prefix="ml", tags=tags))
    reset_statsd_clients()
    emit_model_event("rollback", model_name="fraud/v2", statsd_conn_id="tagged_statsd")
    emit_retrain_triggered(target_dag_id="retrain_fraud", statsd_conn_id="tagged_statsd")
    assert {k: v for k, v in statsd_daemon.counters("ml.").items() if "fraud" in k} == expected
    statsd_daemon.admin("delcounters ml.*")


def test_odd_characters_make_valid_single_segment_names(statsd_conn: StatsdDaemon):
    emit_check_metrics({"check": "drift", "metrics": {"drift_share": 0.5}}, dag_id="daily: prix €/kg",
                       task_id="groupe.dérive|v2")
    assert statsd_conn.gauges("mlmonitor.drift.share.daily") == {
        "mlmonitor.drift.share.daily__prix___kg.groupe_d_rive_v2": 0.5
    }
    assert statsd_conn.counters("statsd.bad_lines_seen") == {"statsd.bad_lines_seen": 0}


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and "StatsD" in r.getMessage()]


def test_unresolvable_host_logs_one_warning_and_never_raises(monkeypatch, caplog):
    caplog.set_level(logging.WARNING, logger="airflow_mlmonitor.telemetry")
    conn = {"conn_type": "statsd", "host": "statsd.does-not-resolve.invalid", "port": 8125}
    monkeypatch.setenv("AIRFLOW_CONN_BAD_HOST", json.dumps(conn))
    reset_statsd_clients()
    monkeypatch.setattr("airflow_mlmonitor.telemetry.client._warned", set())
    assert not get_telemetry("bad_host").enabled  # resolved once, at client creation
    for _ in range(20):
        emit_model_event("rollback", model_name="m", statsd_conn_id="bad_host")
    reset_statsd_clients()  # even a fresh lookup of the target (next cache period) does not warn again
    emit_model_event("rollback", model_name="m", statsd_conn_id="bad_host")
    assert len(_warnings(caplog)) == 1
    assert "does-not-resolve" in _warnings(caplog)[0]


def test_closed_port_never_raises_and_logs_at_most_once(monkeypatch, caplog):
    """statsd's client sends unconnected datagrams and drops socket errors itself: nothing to log
    per metric, and never an exception."""
    caplog.set_level(logging.WARNING, logger="airflow_mlmonitor.telemetry")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("AIRFLOW_CONN_CLOSED_PORT", json.dumps({"conn_type": "statsd", "host": "127.0.0.1", "port": port}))
    reset_statsd_clients()
    for _ in range(20):
        emit_retrain_triggered(target_dag_id="t", statsd_conn_id="closed_port")
    assert len(_warnings(caplog)) <= 1


def test_daemon_killed_mid_run(tmp_path, monkeypatch, caplog):
    caplog.set_level(logging.WARNING, logger="airflow_mlmonitor.telemetry")
    daemon = StatsdDaemon(tmp_path).start()
    monkeypatch.setenv("AIRFLOW_CONN_STATSD_DEFAULT", daemon.conn_uri())
    reset_statsd_clients()
    try:
        emit_retrain_triggered(target_dag_id="before_kill")
        assert daemon.counters("mlmonitor.") == {"mlmonitor.retrain.triggered.before_kill": 1}
    finally:
        daemon.stop()
    for _ in range(20):
        emit_retrain_triggered(target_dag_id="after_kill")  # no exception
    assert len(_warnings(caplog)) <= 1
