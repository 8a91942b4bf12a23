from __future__ import annotations

import pytest

from airflow_mlmonitor.anomaly.history import result_history, run_time
from airflow_mlmonitor.exceptions import InvalidInputError
from airflow_mlmonitor.reports.keys import ReportKey
from airflow_mlmonitor.reports.store import ReportStore


def _result(share: float) -> dict:
    return {"check": "drift", "passed": True, "summary": "s", "metrics": {"drift_share": share}}


def test_history_reads_the_latest_try_of_each_run_in_time_order(tmp_path):
    store = ReportStore(str(tmp_path))
    for day, share in [(3, 0.3), (1, 0.1), (2, 0.2)]:
        store.write_result(ReportKey("d", f"scheduled__2025-01-0{day}T00:00:00+00:00", "drift"), _result(share))
    store.write_result(ReportKey("d", "scheduled__2025-01-02T00:00:00+00:00", "drift", try_number=2), _result(0.25))
    store.write_result(ReportKey("d", "scheduled__2025-01-02T00:00:00+00:00", "other"), _result(9.0))
    series = result_history(store, "d", "drift", "drift_share")
    assert series.values == (0.1, 0.25, 0.3)
    assert series.timestamps[0] == "2025-01-01T00:00:00+00:00"
    assert result_history(store, "d", "drift", "drift_share", limit=2).values == (0.25, 0.3)


def test_unknown_check_or_metric_names_the_parameter(tmp_path):
    store = ReportStore(str(tmp_path))
    store.write_result(ReportKey("d", "manual__2025-01-01T00:00:00+00:00", "drift"), _result(0.1))
    with pytest.raises(InvalidInputError, match=r"dag_id/task_id: no stored results of d\.drfit"):
        result_history(store, "d", "drfit", "drift_share")
    with pytest.raises(InvalidInputError, match=r"metric: .* no numeric metrics\['drift_shar'\].*Did you mean 'drift_share'"):
        result_history(store, "d", "drift", "drift_shar")


def test_run_time_parses_airflow_run_ids():
    assert run_time("manual__2025-01-01T10:00:00.123+00:00").isoformat() == "2025-01-01T10:00:00.123000+00:00"
    assert run_time("my-custom-run") is None
