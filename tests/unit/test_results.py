from __future__ import annotations

import json
import math

import numpy as np
import pytest

from airflow_mlmonitor.results import MAX_RESULT_BYTES, CheckResult, fit_to_size, to_native


def test_round_trip_keeps_base_and_check_keys():
    result = CheckResult(
        check="drift",
        passed=False,
        summary="3 of 10 columns drifted",
        metrics={"drift_share": np.float64(0.3), "drifted_columns": np.int64(3)},
        details={"dataset_drift": np.bool_(False), "drifted_columns": ["a", "b", "c"]},
    )
    data = result.to_dict()
    assert list(data)[:6] == ["check", "passed", "status", "summary", "metrics", "report_uri"]
    assert data["status"] == "failed"
    assert type(data["metrics"]["drift_share"]) is float
    assert type(data["metrics"]["drifted_columns"]) is int
    assert data["dataset_drift"] is False
    again = CheckResult.from_json(json.dumps(data))
    assert again.to_dict() == data


def test_non_finite_numbers_become_null_and_json_is_strict():
    data = CheckResult(check="data_quality", passed=True, summary="ok", metrics={"x": float("nan"), "y": np.inf}).to_dict()
    assert data["metrics"] == {"x": None, "y": None}
    json.dumps(data, allow_nan=False)


def test_unknown_check_and_key_clash_are_rejected():
    with pytest.raises(ValueError, match="check must be one of"):
        CheckResult(check="nope", passed=True, summary="")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="base result keys"):
        CheckResult(check="drift", passed=True, summary="", details={"status": "x"})


def test_big_results_are_cut_to_fit_and_say_so():
    columns = {f"col_{i:04d}": {"method": "ks", "score": 0.5, "threshold": 0.05, "drifted": False} for i in range(5000)}
    result = CheckResult(check="drift", passed=True, summary="ok", details={"columns": columns, "drifted_columns": []})
    payload = fit_to_size(result.to_dict())
    assert len(json.dumps(payload)) <= MAX_RESULT_BYTES
    assert payload["truncated"] == ["columns"]
    assert 0 < len(payload["columns"]) < 5000
    assert payload["status"] == "passed"


def test_small_results_are_untouched():
    data = CheckResult(check="drift", passed=True, summary="ok").to_dict()
    assert fit_to_size(data) is data


def test_to_native_handles_sets_and_timestamps():
    import pandas as pd

    assert to_native({"s": {"b", "a"}, "t": pd.Timestamp("2024-01-01")}) == {"s": ["a", "b"], "t": "2024-01-01T00:00:00"}
    assert to_native(np.float32(1.5)) == 1.5 and not math.isnan(to_native(np.float32(1.5)))
