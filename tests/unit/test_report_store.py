from __future__ import annotations

import os

import pytest

from airflow_mlmonitor.exceptions import ReportStoreError
from airflow_mlmonitor.reports.keys import ReportKey, parse_map_index, report_url
from airflow_mlmonitor.reports.store import ReportStore

RUN = "manual__2024-01-01T00:00:00+00:00"


def test_each_try_gets_its_own_folder_and_nothing_is_overwritten(tmp_path):
    store = ReportStore(str(tmp_path / "reports"))
    first = ReportKey("dag", RUN, "group.task", -1, 1)
    second = ReportKey("dag", RUN, "group.task", -1, 2)
    store.write(first, "report.html", "<p>try 1</p>")
    store.write(second, "report.html", "<p>try 2</p>")
    with pytest.raises(ReportStoreError, match="never overwritten"):
        store.write(first, "report.html", "<p>again</p>")
    assert store.read(first) == b"<p>try 1</p>"
    assert store.read(second) == b"<p>try 2</p>"
    assert store.tries("dag", RUN, "group.task") == [1, 2]
    assert store.latest("dag", RUN, "group.task") == second
    assert sorted(k.try_number for k in store.iter_keys()) == [1, 2]
    assert not [p for p in (tmp_path / "reports").rglob("*.partial")]


def test_uri_and_layout(tmp_path):
    store = ReportStore(f"file://{tmp_path}")
    key = ReportKey("d", RUN, "t", 3, 1)
    uri = store.write(key, "report.html", b"x")
    assert uri == f"file://{tmp_path}/d/{RUN}/t/3/1/report.html"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"dag_id": ".."},
        {"dag_id": "../etc"},
        {"run_id": "/abs/path"},
        {"task_id": "a/b"},
        {"task_id": "a\x00b"},
        {"task_id": ".hidden"},
        {"run_id": "a\\b"},
        {"dag_id": ""},
        {"map_index": -2},
        {"try_number": "1; rm"},
    ],
)
def test_ids_that_would_escape_the_store_are_refused(tmp_path, kwargs):
    store = ReportStore(str(tmp_path / "store" / "reports"))  # room above the base for '..' to land
    base = {"dag_id": "d", "run_id": RUN, "task_id": "t", "map_index": -1, "try_number": 1}
    with pytest.raises(ReportStoreError):
        store.write(ReportKey(**{**base, **kwargs}), "report.html", b"x")
    assert not [path for path in tmp_path.rglob("*") if path.is_file()]  # nothing written anywhere


@pytest.mark.parametrize("name", ["../x.html", "/etc/passwd", ".env", "a/b.html", ""])
def test_file_names_that_would_escape_are_refused(tmp_path, name):
    store = ReportStore(str(tmp_path / "r"))
    with pytest.raises(ReportStoreError):
        store.write(ReportKey("d", RUN, "t"), name, b"x")
    assert not (tmp_path / "r").exists()


def test_symlink_escape_is_refused(tmp_path):
    (tmp_path / "r").mkdir()
    (tmp_path / "outside").mkdir()
    os.symlink(tmp_path / "outside", tmp_path / "r" / "d")
    store = ReportStore(str(tmp_path / "r"))
    with pytest.raises(ReportStoreError, match="outside the report store"):
        store.write(ReportKey("d", RUN, "t"), "report.html", b"x")
    assert not os.listdir(tmp_path / "outside")


def test_map_index_parsing_and_urls():
    assert parse_map_index("{MAP_INDEX}") == -1
    assert parse_map_index("4") == 4
    assert parse_map_index(None) == -1
    url = report_url(ReportKey("d", RUN, "g.t", 2, 3), "http://host/")
    assert url == "http://host/mlmonitor/reports/d/manual__2024-01-01T00%3A00%3A00%2B00%3A00/g.t?map_index=2&try_number=3"


def test_default_base_is_under_airflow_home(monkeypatch, tmp_path):
    from airflow_mlmonitor import conf

    monkeypatch.delenv("AIRFLOW__MLMONITOR__REPORT_BASE_PATH", raising=False)
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path))
    conf.clear_cache()
    assert conf.report_base_path() == str(tmp_path / "mlmonitor" / "reports")
