"""The drift check result: what lands in XCom."""

from __future__ import annotations

import json

import numpy as np

from airflow_mlmonitor.drift.result import build_drift_result
from airflow_mlmonitor.drift.types import ColumnDrift, DriftOptions
from airflow_mlmonitor.results import fit_to_size


def test_result_keys_are_json_native_and_drifted_columns_sorted():
    verdicts = [
        ColumnDrift("zeta", "numerical", "ks", np.float64(0.001), 0.05, bool(np.bool_(True))),
        ColumnDrift("alpha", "categorical", "chisquare", np.float64(0.01), 0.05, True),
        ColumnDrift("mid", "numerical", "ks", np.float64(0.9), 0.05, False),
    ]
    result = build_drift_result(verdicts, DriftOptions(), reference_rows=500, current_rows=100)
    data = result.to_dict()

    assert json.loads(json.dumps(data)) == data
    assert data["check"] == "drift" and data["passed"] is False and data["dataset_drift"] is True
    assert data["drifted_columns"] == ["alpha", "zeta"]
    assert data["metrics"] == {
        "drift_share": 2 / 3,
        "drifted_columns": 2,
        "n_columns": 3,
        "reference_rows": 500,
        "current_rows": 100,
        "rows": 100,
    }
    assert data["columns"]["mid"] == {"method": "ks", "score": 0.9, "threshold": 0.05, "drifted": False}
    assert type(data["columns"]["zeta"]["score"]) is float
    assert data["summary"] == "Drift detected: 2/3 columns drifted (67%, threshold 50%): alpha, zeta"


def test_no_drift_passes():
    verdicts = [ColumnDrift("a", "numerical", "wasserstein", 0.02, 0.1, False)]
    result = build_drift_result(verdicts, DriftOptions(drift_share=0.5), reference_rows=2000, current_rows=10)
    assert result.passed and result.status == "passed"
    assert result.summary.startswith("No dataset drift: 0/1 columns drifted")


def test_nan_scores_become_null():
    verdicts = [ColumnDrift("a", "numerical", "ks", float("nan"), 0.05, False)]
    data = build_drift_result(verdicts, DriftOptions(), reference_rows=3, current_rows=3).to_dict()
    assert data["columns"]["a"]["score"] is None


def test_a_200_column_result_fits_xcom_without_truncation():
    verdicts = [
        ColumnDrift(f"feature_with_a_long_name_{i:03d}", "numerical", "wasserstein", 0.123456789012345 * i, 0.1, i % 3 == 0)
        for i in range(200)
    ]
    data = build_drift_result(verdicts, DriftOptions(), reference_rows=10_000, current_rows=10_000).to_dict()
    assert len(json.dumps(data)) < 64 * 1024
    assert fit_to_size(data) is data  # nothing cut
    assert len(data["columns"]) == 200
    assert data["summary"].startswith("No dataset drift: 67/200") and data["summary"].endswith("and 62 more")
