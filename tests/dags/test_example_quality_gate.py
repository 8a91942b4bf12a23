"""The data-quality example DAG imports fast and runs end to end under dag.test()."""

from __future__ import annotations

import pathlib
import subprocess
import sys

from tests.fixtures.airflow import ti_states, xcom_value

EXAMPLE = pathlib.Path(__file__).resolve().parents[2] / "example_dags" / "example_quality_gate.py"


def test_example_parses_without_heavy_libraries():
    code = (
        "import runpy, sys, json\n"
        f"runpy.run_path({str(EXAMPLE)!r})\n"
        "print(json.dumps([m for m in ('great_expectations', 'sklearn') if m in sys.modules]))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip().splitlines()[-1] == "[]"


def test_gate_trains_and_bad_scoring_batch_is_quarantined(dag_runner, airflow_home):
    dag = dag_runner.load_file(EXAMPLE, "example_quality_gate")
    run = dag_runner.run(dag)
    assert ti_states(run) == {
        "validate_training_data": "success",
        "train_model": "success",
        "check_scoring_batch": "success",
        "route_batch": "success",
        "score_batch": "skipped",
        "quarantine_batch": "success",
    }
    gate = xcom_value(run, "validate_training_data")
    assert gate["status"] == "passed" and gate["metrics"]["success_percent"] == 100.0
    batch = xcom_value(run, "check_scoring_batch")
    assert batch["status"] == "warned"
    assert {(f["expectation_type"], f["column"], f["unexpected_count"]) for f in batch["failed_expectations"]} == {
        ("expect_column_values_to_be_between", "age", 30),
        ("expect_column_values_to_be_in_set", "country", 30),
    }
    quarantined = pathlib.Path(xcom_value(run, "quarantine_batch"))
    assert quarantined.is_file() and str(quarantined).startswith(str(airflow_home))
