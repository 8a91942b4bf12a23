"""The model-promotion example DAG imports fast and runs end to end under dag.test()."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

import pytest

from tests.fixtures.airflow import ti_states, xcom_value

EXAMPLE = pathlib.Path(__file__).resolve().parents[2] / "example_dags" / "example_model_promotion.py"


def test_example_parses_without_heavy_libraries():
    code = (
        "import runpy, sys, json\n"
        f"runpy.run_path({str(EXAMPLE)!r})\n"
        "print(json.dumps([m for m in ('mlflow', 'sklearn', 'scipy') if m in sys.modules]))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip().splitlines()[-1] == "[]"


@pytest.fixture
def mlflow_default(mlflow_sqlite_uri, monkeypatch):
    conn = json.loads(os.environ["AIRFLOW_CONN_MLFLOW_SQLITE"])
    monkeypatch.setenv("AIRFLOW_CONN_MLFLOW_DEFAULT", json.dumps(conn))
    return conn


def test_first_run_promotes_then_an_equal_challenger_is_rejected(dag_runner, mlflow_default, sqlite_client):
    dag = dag_runner.load_file(EXAMPLE, "example_model_promotion")
    first = dag_runner.run(dag)
    assert ti_states(first) == {"train": "success", "wait_for_version": "success", "compare": "success",
                                "promote": "success", "summarize": "success"}
    result = xcom_value(first, "compare")
    assert (result["decision"], result["baseline"]) == ("promote", None)
    version = result["candidate"]["version"]
    model = sqlite_client.get_registered_model("churn-classifier")
    assert str(model.aliases["champion"]) == version
    assert sqlite_client.get_model_version("churn-classifier", version).tags["mlmonitor.dag_id"] == "example_model_promotion"

    second = dag_runner.run(dag, logical_date=None)  # same data, same model: no 0.01 accuracy gain
    assert ti_states(second)["compare"] == "skipped" and ti_states(second)["promote"] == "skipped"
    assert ti_states(second)["summarize"] == "success"
    rejected = xcom_value(second, "compare")
    assert rejected["decision"] == "reject" and rejected["baseline"]["version"] == version
    assert "accuracy" in rejected["failed_metrics"]
    assert str(sqlite_client.get_registered_model("churn-classifier").aliases["champion"]) == version
