"""The report-store listing the results API walks: latest try per task instance, junk ignored."""

from __future__ import annotations

import pytest

from airflow_mlmonitor.exceptions import ReportStoreError
from airflow_mlmonitor.reports.keys import ReportKey
from airflow_mlmonitor.reports.store import ReportStore

RUN = "scheduled__2024-01-01T00:00:00+00:00"


def test_run_keys_gives_the_latest_try_of_each_task_instance(tmp_path):
    store = ReportStore(str(tmp_path))
    for key in (
        ReportKey("dag", RUN, "drift", -1, 1),
        ReportKey("dag", RUN, "drift", -1, 2),
        ReportKey("dag", RUN, "mapped", 0, 1),
        ReportKey("dag", RUN, "mapped", 1, 3),
        ReportKey("other", RUN, "drift", -1, 1),
    ):
        store.write_result(key, {"check": "drift"})
    (tmp_path / "dag" / RUN / "drift" / "-1" / "not-a-try").mkdir()
    (tmp_path / "dag" / RUN / ".hidden").mkdir()
    keys = sorted(store.run_keys("dag", RUN), key=lambda k: (k.task_id, k.map_index))
    assert [(k.task_id, k.map_index, k.try_number) for k in keys] == [("drift", -1, 2), ("mapped", 0, 1), ("mapped", 1, 3)]
    assert store.dag_ids() == ["dag", "other"]
    assert store.run_keys("dag", "no_such_run") == []


def test_run_keys_refuses_ids_that_would_escape(tmp_path):
    store = ReportStore(str(tmp_path / "store"))
    with pytest.raises(ReportStoreError):
        store.run_keys("..", RUN)
    with pytest.raises(ReportStoreError):
        store.run_keys("dag", "../..")
