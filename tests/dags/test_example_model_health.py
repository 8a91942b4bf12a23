"""The model-health example: the whole loop under dag.test(), then the retraining DAG it
triggers, then a failed post-deployment check that rolls the champion back."""

from __future__ import annotations

import json
import os
import pathlib

import pytest

from tests.fixtures.airflow import ti_states, xcom_value

EXAMPLE = pathlib.Path(__file__).resolve().parents[2] / "example_dags" / "example_model_health.py"
MODEL = "churn-health"


@pytest.fixture
def mlflow_default(mlflow_sqlite_uri, monkeypatch):
    conn = json.loads(os.environ["AIRFLOW_CONN_MLFLOW_SQLITE"])
    monkeypatch.setenv("AIRFLOW_CONN_MLFLOW_DEFAULT", json.dumps(conn))
    return conn


def _queued_retrain_runs() -> list:
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session

    with create_session() as session:
        runs = session.query(DagRun).filter_by(dag_id="mlmonitor_retrain_model").all()
        session.expunge_all()
        return runs


def test_nightly_loop_retrain_and_rollback(dag_runner, mlflow_default, sqlite_client):
    from airflow_mlmonitor.registry.actions import promote

    health = dag_runner.load_file(EXAMPLE, "mlmonitor_model_health")
    retrain = dag_runner.load_file(EXAMPLE, "mlmonitor_retrain_model")
    on_asset = dag_runner.load_file(EXAMPLE, "mlmonitor_retrain_on_asset")

    # 1. the nightly run: quality passes, drift warns, the first model becomes champion
    first = dag_runner.run(health)
    assert set(ti_states(first).values()) == {"success"}, ti_states(first)
    assert xcom_value(first, "validate_batch")["status"] == "passed"
    drift = xcom_value(first, "feature_drift")
    assert drift["status"] == "warned" and drift["dataset_drift"] is True
    assert {"income", "monthly_charges", "plan"} <= set(drift["drifted_columns"])
    comparison = xcom_value(first, "compare_with_champion")
    assert comparison["decision"] == "promote"
    champion = comparison["candidate"]["version"]
    assert str(sqlite_client.get_registered_model(MODEL).aliases["champion"]) == champion
    assert xcom_value(first, "post_deployment_check")["version"] == champion

    # one live evaluation of the 3 the performance check averages: it says so and only warns
    performance = xcom_value(first, "live_performance")
    assert performance["insufficient"] is True and performance["status"] == "warned"
    assert performance["model"] == MODEL and performance["version"] == champion and len(performance["values"]) == 1
    # the three latency spikes are found, and nothing else
    latency = xcom_value(first, "latency_anomalies")
    assert latency["status"] == "warned" and latency["metrics"]["anomalies"] == 3
    assert [a["timestamp"][11:16] for a in latency["anomalies"]] == ["03:20", "12:57", "21:40"]
    assert xcom_value(first, "drift_share_anomalies")["insufficient"] is True

    # drift triggered exactly one retraining run, with the reason in its conf
    outcome = xcom_value(first, "trigger_retraining")
    assert outcome["triggered"] is True and outcome["failing_checks"] == ["feature_drift"]
    runs = [r for r in _queued_retrain_runs() if r.run_id == outcome["run_id"]]
    assert len(runs) == 1
    assert runs[0].conf["source_run_id"] == first.run_id
    assert runs[0].conf["checks"]["feature_drift"]["status"] == "warned"
    assert runs[0].conf["batch"].endswith("batch.parquet")

    # the asset-scheduled DAG reads the drift result from the asset event
    asset_run = dag_runner.run(on_asset)
    assert xcom_value(asset_run, "read_check_result") == {"retrain": True, "summary": drift["summary"]}

    # 2. the retraining DAG trains and registers a new version
    retrained = dag_runner.run(retrain, run_conf=runs[0].conf)
    assert ti_states(retrained)["retrain"] == "success"
    new_version = xcom_value(retrained, "retrain")["version"]
    assert int(new_version) > int(champion)

    # 3. a failing post-deployment check rolls @champion back, once, and the task stays failed
    promote(sqlite_client, MODEL, new_version)  # make sure there is a champion to roll back from
    bad = dag_runner.run(health, run_conf={"min_champion_accuracy": 1.01})
    states = ti_states(bad)
    assert states["post_deployment_check"] == "failed"
    assert states["report"] == "success"
    comparison = xcom_value(bad, "compare_with_champion")
    deployed = comparison["candidate"]["version"] if comparison["decision"] == "promote" else new_version
    before = comparison["baseline"]["version"] if comparison["decision"] == "promote" else champion
    assert str(sqlite_client.get_registered_model(MODEL).aliases["champion"]) == before
    rolled = sqlite_client.get_model_version(MODEL, deployed).tags
    assert "mlmonitor.rolled_back_at" in rolled
    assert rolled["mlmonitor.rollback_reason"] == "post-deployment check failed"
    # the second run is within the 12 h cooldown: drift warns again but nothing is triggered
    assert xcom_value(bad, "trigger_retraining")["triggered"] is False
    assert "in cooldown" in xcom_value(bad, "trigger_retraining")["reason"]
