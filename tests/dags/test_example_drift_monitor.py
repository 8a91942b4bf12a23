"""The drift example DAG imports fast and runs end to end under dag.test()."""

from __future__ import annotations

import pathlib
import subprocess
import sys

from tests.fixtures.airflow import ti_states, xcom_value

EXAMPLE = pathlib.Path(__file__).resolve().parents[2] / "example_dags" / "example_drift_monitor.py"


def test_example_parses_without_heavy_libraries():
    code = (
        "import runpy, sys, json\n"
        f"runpy.run_path({str(EXAMPLE)!r})\n"
        "print(json.dumps([m for m in ('evidently', 'scipy', 'sklearn') if m in sys.modules]))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip().splitlines()[-1] == "[]"


def test_drift_in_features_and_predictions_branches_to_retraining(dag_runner):
    dag = dag_runner.load_file(EXAMPLE, "example_drift_monitor")
    run = dag_runner.run(dag)
    assert ti_states(run) == {
        "profile_training_features": "success",
        "feature_drift": "success",
        "prediction_drift": "success",
        "decide": "success",
        "retrain_model": "success",
        "keep_model": "skipped",
    }
    features = xcom_value(run, "feature_drift")
    assert features["status"] == "warned" and features["dataset_drift"] is True
    assert features["drifted_columns"] == ["income", "plan"]
    assert features["columns"]["income"]["method"] == "wasserstein"  # reference above 1,000 rows
    assert features["columns"]["plan"]["method"] == "jensenshannon"
    predictions = xcom_value(run, "prediction_drift")
    assert predictions["columns"]["prediction"]["method"] == "psi"
    assert predictions["columns"]["prediction"]["threshold"] == 0.15
    assert predictions["dataset_drift"] is True
    for result in (features, predictions):
        assert pathlib.Path(result["report_uri"].removeprefix("file://")).is_file()
    profile = xcom_value(run, "profile_training_features")
    assert profile["rows"] == 1500 and profile["columns"] == ["income", "age", "tenure_months", "plan", "region"]
    assert features["metrics"]["reference_rows"] == 1500 and pathlib.Path(profile["profile_uri"]).is_file()
