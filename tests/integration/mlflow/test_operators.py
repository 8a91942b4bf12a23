"""The MLflow operators, sensor and trigger in one ``dag.test()`` run against a real MLflow server."""

from __future__ import annotations

import json

import pytest

from airflow_mlmonitor.registry.actions import Audit, promote
from tests.fixtures.airflow import ti_states, xcom_value
from tests.fixtures.mlflow import SERVER_CONN_ID, register_versions, unique_name

BASE = {"accuracy": 0.80, "log_loss": 0.50, "f1": 0.70}
RULES = [
    {"metric": "accuracy", "min_absolute_change": 0.01},
    {"metric": "log_loss", "greater_is_better": False, "min_relative_change": 0.05},
    {"metric": "f1"},
]
BOUNDARY = {"accuracy": 0.81, "log_loss": 0.475, "f1": 0.70}  # exactly on every bound

DAG_SOURCE = '''
import pendulum
from airflow.sdk import DAG
from airflow_mlmonitor.operators.mlflow import (
    MLflowModelComparisonOperator, MLflowPromoteModelOperator, MLflowRollbackOperator)
from airflow_mlmonitor.sensors.mlflow import MLflowModelVersionSensor
from airflow_mlmonitor.notifications.mlflow import rollback_model_on_failure
from airflow.providers.standard.operators.python import PythonOperator

def canary():
    raise RuntimeError("canary error rate too high")

M = {models!r}
RULES = {rules!r}
kw = dict(mlflow_conn_id={conn!r})

class CrashAfterRollback(MLflowRollbackOperator):
    def execute(self, context):
        out = super().execute(context)
        if context["ti"].try_number == 1:
            raise RuntimeError("worker lost right after the rollback")
        return out

with DAG("mlflow_ops", schedule=None, start_date=pendulum.datetime(2024, 1, 1)) as dag:
    MLflowModelComparisonOperator(task_id="compare_promote", model_name=M["promote"], candidate="2",
                                  rules=RULES, promote_to_alias="champion", **kw)
    MLflowModelComparisonOperator(task_id="compare_reject", model_name=M["reject"], candidate="latest",
                                  rules=RULES, promote_to_alias="champion", **kw)
    MLflowModelComparisonOperator(task_id="compare_boundary", model_name=M["boundary"], candidate="2",
                                  rules=RULES, on_failure="warn", **kw)
    MLflowModelComparisonOperator(task_id="no_baseline", model_name=M["no_baseline"], candidate="1",
                                  rules=RULES, promote_to_alias="champion", **kw)
    MLflowModelComparisonOperator(task_id="first_model", model_name=M["first_model"], candidate="1",
                                  rules=[{{"metric": "accuracy", "threshold": 0.75}}],
                                  promote_if_no_baseline=True, promote_to_alias="champion", **kw)
    MLflowModelComparisonOperator(task_id="missing_metric", model_name=M["missing"], candidate="2",
                                  rules=RULES, promote_to_alias="champion", **kw)
    first = MLflowRollbackOperator(task_id="rollback", model_name=M["rollback"], reason="bad canary", **kw)
    first >> MLflowRollbackOperator(task_id="rollback_again", model_name=M["rollback"], **kw)
    CrashAfterRollback(task_id="rollback_retried", model_name=M["retried"], retries=1, retry_delay=0, **kw)
    MLflowRollbackOperator(task_id="rollback_nowhere", model_name=M["nowhere"], **kw)
    MLflowPromoteModelOperator(task_id="promote", model_name=M["promote_op"], version="latest", **kw)
    MLflowModelVersionSensor(task_id="wait_poke", model_name=M["sensor"], poke_interval=1, timeout=60, **kw)
    PythonOperator(task_id="canary", python_callable=canary, on_failure_callback=[
        rollback_model_on_failure(model_name=M["notified"], reason="canary failed", **kw),
        rollback_model_on_failure(model_name="no-such-model", **kw),  # logged, never raises
    ])
    MLflowModelVersionSensor(task_id="wait_deferred", model_name=M["sensor"], deferrable=True,
                             poke_interval=1, timeout=60, **kw)
'''


@pytest.fixture(scope="module")
def setup(mlflow_server, server_client):
    client = server_client
    models = {key: unique_name(key) for key in (
        "promote", "reject", "boundary", "no_baseline", "first_model", "missing", "rollback", "retried",
        "nowhere", "promote_op", "sensor", "notified")}

    def with_champion(key, candidate):
        v1, _ = register_versions(client, models[key], [BASE, candidate])
        promote(client, models[key], v1, audit=Audit("setup", "r0"))

    with_champion("promote", {"accuracy": 0.82, "log_loss": 0.45, "f1": 0.70})
    with_champion("reject", {"accuracy": 0.805, "log_loss": 0.40, "f1": 0.75})
    with_champion("boundary", BOUNDARY)
    with_champion("missing", {"accuracy": 0.9, "log_loss": 0.1})
    with_champion("promote_op", BASE)
    with_champion("sensor", BASE)
    register_versions(client, models["no_baseline"], [BASE])
    register_versions(client, models["first_model"], [BASE])
    for key in ("rollback", "retried", "notified"):
        for i, version in enumerate(register_versions(client, models[key], [BASE, BASE, BASE])):
            promote(client, models[key], version, audit=Audit("setup", f"r{i}"))
    register_versions(client, models["nowhere"], [BASE])
    client.set_registered_model_alias(models["nowhere"], "champion", "1")
    return client, models


@pytest.fixture(scope="module")
def run(setup, airflow_db, statsd_daemon):
    from airflow_mlmonitor.hooks.statsd import reset_statsd_clients
    from tests.fixtures.airflow import DagRunner

    _, models = setup
    runner = DagRunner()
    dag = runner.load_source(DAG_SOURCE.format(models=models, rules=RULES, conn=SERVER_CONN_ID), "mlflow_ops")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AIRFLOW_CONN_STATSD_DEFAULT", statsd_daemon.conn_uri())
        reset_statsd_clients()
        try:
            return runner.run(dag)
        finally:
            reset_statsd_clients()


def aliases(client, name):
    return {k: str(v) for k, v in client.get_registered_model(name).aliases.items()}


def test_task_states(run):
    assert ti_states(run) == {
        "compare_promote": "success", "compare_reject": "skipped", "compare_boundary": "success",
        "no_baseline": "failed", "first_model": "success", "missing_metric": "failed",
        "rollback": "success", "rollback_again": "success", "rollback_retried": "success",
        "rollback_nowhere": "failed", "promote": "success", "canary": "failed", "wait_poke": "success", "wait_deferred": "success",
    }


def test_promote_on_pass_with_audit_tags(run, setup):
    client, models = setup
    name = models["promote"]
    result = xcom_value(run, "compare_promote")
    assert (result["check"], result["decision"], result["status"], result["model_name"]) == (
        "model_comparison", "promote", "passed", name)
    assert result["candidate"]["version"] == "2" and result["baseline"]["version"] == "1"
    assert [r["metric"] for r in result["rules"] if r["passed"]] == ["accuracy", "log_loss", "f1"]
    assert result["rules"][0]["delta"] == pytest.approx(0.02)
    assert aliases(client, name) == {"champion": "2", "previous_champion": "1"}
    tags = client.get_model_version(name, "2").tags
    assert (tags["mlmonitor.dag_id"], tags["mlmonitor.run_id"], tags["mlmonitor.promoted_from"]) == (
        "mlflow_ops", run.run_id, "1")
    assert "mlmonitor.promoted_at" in tags
    assert result["report_uri"].endswith("report.html")


def test_reject_below_threshold_leaves_aliases(run, setup):
    client, models = setup
    result = xcom_value(run, "compare_reject")
    assert (result["decision"], result["failed_metrics"], result["status"]) == ("reject", ["accuracy"], "failed")
    assert aliases(client, models["reject"]) == {"champion": "1"}


def test_exact_boundary_matches_mlflow_metric_threshold(run, setup):
    from mlflow.models import MetricThreshold
    from mlflow.models.evaluation.validation import ModelValidationFailedException, _validate

    thresholds = {
        r["metric"]: MetricThreshold(
            min_absolute_change=r.get("min_absolute_change"), min_relative_change=r.get("min_relative_change"),
            greater_is_better=r.get("greater_is_better", True), threshold=r.get("threshold"),
        )
        for r in RULES if len(r) > 1
    }
    def mlflow_passes(metric):
        try:
            _validate({metric: thresholds[metric]}, BOUNDARY, BASE)
        except ModelValidationFailedException:
            return False
        return True

    result = xcom_value(run, "compare_boundary")
    ours = {r["metric"]: r["passed"] for r in result["rules"]}
    assert {m: ours[m] for m in thresholds} == {m: mlflow_passes(m) for m in thresholds}
    assert result["decision"] == ("promote" if all(ours.values()) else "reject")


def test_no_baseline_fails_unless_allowed(run, setup):
    client, models = setup
    assert xcom_value(run, "no_baseline") is None
    assert aliases(client, models["no_baseline"]) == {}
    first = xcom_value(run, "first_model")
    assert (first["decision"], first["baseline"]) == ("promote", None)
    assert aliases(client, models["first_model"]) == {"champion": "1"}


def test_missing_metric_fails_and_changes_nothing(run, setup):
    client, models = setup
    assert xcom_value(run, "missing_metric") is None
    assert aliases(client, models["missing"]) == {"champion": "1"}


def test_rollback_once_per_dag_run(run, setup):
    client, models = setup
    name = models["rollback"]
    assert xcom_value(run, "rollback") == {
        "model_name": name, "alias": "champion", "from_version": "3", "to_version": "2",
        "already_done": False, "concurrent_change": None}
    assert xcom_value(run, "rollback_again")["already_done"] is True
    assert aliases(client, name)["champion"] == "2"
    tags = client.get_model_version(name, "3").tags
    assert tags["mlmonitor.rollback_reason"] == "bad canary" and "mlmonitor.rolled_back_at" in tags


def test_retried_rollback_does_not_roll_back_twice(run, setup):
    client, models = setup
    assert xcom_value(run, "rollback_retried")["already_done"] is True
    assert aliases(client, models["retried"])["champion"] == "2"


def test_rollback_with_no_history_fails_and_changes_nothing(run, setup):
    client, models = setup
    assert aliases(client, models["nowhere"]) == {"champion": "1"}
    assert "mlmonitor.rolled_back_at" not in client.get_model_version(models["nowhere"], "1").tags


def test_promote_operator(run, setup):
    client, models = setup
    assert xcom_value(run, "promote")["previous_version"] == "1"
    assert aliases(client, models["promote_op"]) == {"champion": "2", "previous_champion": "1"}


def test_sensor_poke_and_deferred_return_the_new_version(run, setup):
    for task_id in ("wait_poke", "wait_deferred"):
        value = xcom_value(run, task_id)
        assert value["version"] == "2" and len(value["run_id"]) == 32, task_id
    json.dumps(value)


def test_failure_callback_rolls_back(run, setup):
    client, models = setup
    assert aliases(client, models["notified"])["champion"] == "2"
    tags = client.get_model_version(models["notified"], "3").tags
    assert tags["mlmonitor.rollback_reason"] == "canary failed"
    assert tags["mlmonitor.rolled_back_by"] == f"mlflow_ops/{run.run_id}"


def test_registry_events_reach_statsd(run, setup, statsd_daemon):
    _, models = setup
    statsd_daemon.sync()
    counters = statsd_daemon.counters("mlmonitor.model.")
    assert counters[f"mlmonitor.model.promotion.{models['promote']}"] == 1
    assert counters[f"mlmonitor.model.promotion.{models['promote_op']}"] == 1
    assert counters[f"mlmonitor.model.rejection.{models['reject']}"] == 1
    assert counters[f"mlmonitor.model.rollback.{models['rollback']}"] == 1  # the no-op second rollback emits nothing
    assert f"mlmonitor.model.promotion.{models['reject']}" not in counters
    gauges = statsd_daemon.gauges("mlmonitor.model.metric_delta.")
    assert gauges[f"mlmonitor.model.metric_delta.{models['promote']}.accuracy"] == pytest.approx(0.02)
    assert gauges[f"mlmonitor.model.metric_delta.{models['promote']}.log_loss"] == pytest.approx(-0.05)
