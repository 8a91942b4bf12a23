"""The SQL example DAG parses without heavy libraries and runs end to end on its SQLite warehouse."""

from __future__ import annotations

import pathlib
import sqlite3
import subprocess
import sys

from tests.fixtures.airflow import ti_states, xcom_value

EXAMPLE = pathlib.Path(__file__).resolve().parents[2] / "example_dags" / "example_sql_monitor.py"


def test_example_parses_without_heavy_libraries():
    code = (
        "import runpy, sys, json\n"
        f"runpy.run_path({str(EXAMPLE)!r})\n"
        "print(json.dumps([m for m in ('great_expectations', 'evidently', 'scipy', 'sklearn', 'pandas')"
        " if m in sys.modules]))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip().splitlines()[-1] == "[]"


def test_quality_and_drift_run_on_the_warehouse_tables(dag_runner):
    dag = dag_runner.load_file(EXAMPLE, "example_sql_monitor")
    run = dag_runner.run(dag)
    assert ti_states(run) == {
        "load_warehouse": "success", "validate_features": "success", "feature_drift": "success",
        "premium_income_drift": "success", "summarize": "success",
    }
    table = xcom_value(run, "load_warehouse")
    quality = xcom_value(run, "validate_features")
    assert quality["passed"] is True and quality["metrics"]["rows"] == 1200
    assert quality["metrics"]["evaluated_expectations"] == 4
    features = xcom_value(run, "feature_drift")
    assert features["metrics"]["reference_rows"] == 3000 and features["metrics"]["current_rows"] == 1200
    assert features["drifted_columns"] == ["income", "plan"] and features["status"] == "warned"
    assert features["columns"]["income"]["method"] == "wasserstein" and features["columns"]["plan"]["method"] == "jensenshannon"
    premium = xcom_value(run, "premium_income_drift")
    assert list(premium["columns"]) == ["income"] and premium["dataset_drift"] is True
    for result in (quality, features, premium):
        assert pathlib.Path(result["report_uri"].removeprefix("file://")).is_file()
    database = pathlib.Path(dag_runner.dags_folder).parent / "mlmonitor" / "warehouse.db"
    with sqlite3.connect(database) as conn:  # the checks wrote nothing: only the two loaded tables
        tables = sorted(row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'"))
    assert tables == sorted(["features_training", table])
