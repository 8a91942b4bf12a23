"""Live-performance degradation: a monitoring run's metrics (``run:<id>``) compared with the
champion's feed both the rollback callback and the retraining trigger (real MLflow store, dag.test)."""

from __future__ import annotations

import json
import os

from tests.fixtures.airflow import ti_states, xcom_value
from tests.fixtures.mlflow import register_versions, unique_name

DAG_SOURCE = '''
import pendulum
from airflow.sdk import DAG, task
from airflow_mlmonitor.notifications.mlflow import rollback_model_on_failure
from airflow_mlmonitor.operators.mlflow import MLflowModelComparisonOperator
from airflow_mlmonitor.operators.retrain import RetrainTriggerOperator

with DAG("live_target", schedule=None, start_date=pendulum.datetime(2024, 1, 1)) as target:
    task(lambda: None, task_id="noop")()

with DAG("live_monitor", schedule=None, start_date=pendulum.datetime(2024, 1, 1),
         params={"model": "", "live_accuracy": 0.9}) as monitor:

    @task
    def log_live_metrics(params=None):
        from airflow_mlmonitor.hooks.mlflow import MLflowHook
        hook = MLflowHook()
        client = hook.get_conn()
        run = client.create_run(hook.get_or_create_experiment("live-monitoring"))
        client.log_metric(run.info.run_id, "accuracy", float(params["live_accuracy"]))
        client.set_terminated(run.info.run_id)
        return run.info.run_id

    live = MLflowModelComparisonOperator(
        task_id="live_vs_champion",
        model_name="{{ params.model }}",
        candidate="run:{{ ti.xcom_pull(task_ids='log_live_metrics') }}",
        baseline="@champion",
        rules=[{"metric": "accuracy", "threshold": 0.8}],
        on_failure="fail",
        on_failure_callback=rollback_model_on_failure(model_name="{{ params.model }}", reason="live accuracy degraded"),
    )
    log_live_metrics() >> live >> RetrainTriggerOperator(
        task_id="retrain", trigger_dag_id="live_target", check_task_ids=["live_vs_champion"],
    )
'''


def test_degraded_live_metrics_roll_back_and_trigger_retraining(dag_runner, mlflow_sqlite_uri, sqlite_client, monkeypatch):
    from airflow_mlmonitor.registry.actions import promote

    monkeypatch.setenv("AIRFLOW_CONN_MLFLOW_DEFAULT", os.environ["AIRFLOW_CONN_MLFLOW_SQLITE"])
    model = unique_name("live")
    v1, v2 = register_versions(sqlite_client, model, [{"accuracy": 0.91}, {"accuracy": 0.93}])
    promote(sqlite_client, model, v1)
    promote(sqlite_client, model, v2)
    dag_runner.run(dag_runner.load_source(DAG_SOURCE, "live_target"))
    monitor = dag_runner.load_source(DAG_SOURCE, "live_monitor")

    healthy = dag_runner.run(monitor, run_conf={"model": model, "live_accuracy": 0.9})
    assert ti_states(healthy) == {"log_live_metrics": "success", "live_vs_champion": "success", "retrain": "success"}
    assert xcom_value(healthy, "live_vs_champion")["baseline"]["version"] == v2
    assert xcom_value(healthy, "retrain")["triggered"] is False
    assert str(sqlite_client.get_registered_model(model).aliases["champion"]) == v2

    degraded = dag_runner.run(monitor, run_conf={"model": model, "live_accuracy": 0.6})
    assert ti_states(degraded)["live_vs_champion"] == "failed"
    result = xcom_value(degraded, "live_vs_champion")
    assert result["decision"] == "reject" and result["failed_metrics"] == ["accuracy"]
    assert result["candidate"]["run_id"] == xcom_value(degraded, "log_live_metrics")
    assert str(sqlite_client.get_registered_model(model).aliases["champion"]) == v1  # rolled back once
    assert sqlite_client.get_model_version(model, v2).tags["mlmonitor.rollback_reason"] == "live accuracy degraded"
    outcome = xcom_value(degraded, "retrain")
    assert outcome["triggered"] is True and outcome["failing_checks"] == ["live_vs_champion"]
    json.dumps(outcome)
