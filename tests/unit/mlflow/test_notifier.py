"""The rollback notifier never raises: an unreachable registry is logged, the task state stays."""

from __future__ import annotations

import json
import socket

from airflow_mlmonitor.notifications.mlflow import MLflowRollbackNotifier, rollback_model_on_failure


def test_alias_and_template_fields():
    assert rollback_model_on_failure is MLflowRollbackNotifier
    notifier = rollback_model_on_failure(model_name="churn", reason="canary failed")
    assert (notifier.model_name, notifier.alias, notifier.to_version) == ("churn", "champion", None)
    assert set(notifier.template_fields) == {"model_name", "alias", "to_version", "reason"}


def test_unreachable_registry_is_logged_not_raised(monkeypatch, capsys):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed once the block ends: connections are refused
    monkeypatch.setenv("AIRFLOW_CONN_MLFLOW_DEAD", json.dumps(
        {"conn_type": "mlflow", "host": f"http://127.0.0.1:{port}", "extra": {"timeout": 1, "max_retries": 0}}))
    notifier = MLflowRollbackNotifier(model_name="churn", mlflow_conn_id="mlflow_dead")
    notifier({"run_id": "manual__1", "dag_run": None, "ti": None})  # returns, does not raise
    logged = capsys.readouterr().out
    assert "MLflow did not answer while reading registered model 'churn'" in logged
