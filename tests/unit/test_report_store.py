from __future__ import annotations

import errno
import os

import pytest

from airflow_mlmonitor.exceptions import ReportStoreError
from airflow_mlmonitor.reports.keys import ReportKey, parse_map_index, report_url
from airflow_mlmonitor.reports.store import ReportStore, ReportStoreUnavailableError

RUN = "manual__2024-01-01T00:00:00+00:00"


def test_each_try_gets_its_own_folder_and_nothing_is_overwritten(tmp_path):
    store = ReportStore(str(tmp_path / "reports"))
    first = ReportKey("dag", RUN, "group.task", -1, 1)
    second = ReportKey("dag", RUN, "group.task", -1, 2)
    store.write(first, "report.html", "<p>try 1</p>")
    store.write(second, "report.html", "<p>try 2</p>")
    assert store.tries("dag", RUN, "group.task") == []  # no result JSON yet: not visible
    store.write_result(first, {"check": "drift"})
    store.write_result(second, {"check": "drift"})
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
    base = {"dag_id": "d", "run_id": RUN, "task_id": "t", "map_index": -1, "try_number": 1}
    with pytest.raises(ReportStoreError):
        ReportKey(**{**base, **kwargs})
    assert not os.listdir(tmp_path)


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
    with pytest.raises(ReportStoreError, match="symlink"):
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


def _complete_try(store: ReportStore, key: ReportKey, html: bytes) -> None:
    store.write(key, "report.html", html)
    store.write_result(key, {"check": "drift", "summary": key.dag_id})


@pytest.mark.parametrize("depth", [1, 2, 3, 4, 5])
def test_a_symlink_anywhere_below_the_root_is_never_followed(tmp_path, depth):
    """A link planted in DAG b's part of the store must not serve DAG a's report (inside the store)."""
    store = ReportStore(str(tmp_path / "r"))
    victim = ReportKey("a", RUN, "t", -1, 1)
    _complete_try(store, victim, b"<p>secret of a</p>")
    planted = ReportKey("b", RUN, "t", -1, 1)
    link = tmp_path / "r" / os.path.join(*planted.parts[:depth])
    target = tmp_path / "r" / os.path.join(*victim.parts[:depth])
    link.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(target, link)
    assert store.tries("b", RUN, "t") == []
    assert [k.dag_id for k in store.iter_keys()] == ["a"]
    assert store.run_keys("b", RUN) == []
    with pytest.raises(ReportStoreError, match="symlink"):
        store.read(planted)
    with pytest.raises(ReportStoreError, match="symlink"):
        store.write(planted, "report.html", b"x")
    assert store.read(victim) == b"<p>secret of a</p>"


def test_a_symlinked_file_is_never_read(tmp_path):
    store = ReportStore(str(tmp_path / "r"))
    key = ReportKey("b", RUN, "t", -1, 1)
    _complete_try(store, ReportKey("a", RUN, "t", -1, 1), b"<p>secret of a</p>")
    folder = tmp_path / "r" / os.path.join(*key.parts)
    folder.mkdir(parents=True)
    os.symlink(tmp_path / "r" / "a" / RUN / "t" / "-1" / "1" / "report.html", folder / "report.html")
    os.symlink(tmp_path / "r" / "a" / RUN / "t" / "-1" / "1" / "result.json", folder / "result.json")
    assert store.tries("b", RUN, "t") == []
    with pytest.raises(ReportStoreError, match="symlink"):
        store.read(key)


def test_a_failed_write_leaves_no_partial_and_says_the_store_is_full(tmp_path, monkeypatch):
    """Disk full in the middle of a write: a clear 'report store' error, no temporary left."""
    store = ReportStore(str(tmp_path / "r"))
    real_fdopen = os.fdopen

    class FullDisk:
        def __init__(self, handle):
            self.handle = handle

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.handle.close()

        def write(self, data):
            self.handle.write(data[:3])
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fdopen", lambda fd, mode: FullDisk(real_fdopen(fd, mode)))
    key = ReportKey("d", RUN, "t")
    with pytest.raises(ReportStoreUnavailableError, match="report store is full"):
        store.write(key, "report.html", b"<html>" * 1000)
    monkeypatch.undo()
    left = [p.name for p in (tmp_path / "r").rglob("*") if p.is_file()]
    assert left == []
    assert store.tries("d", RUN, "t") == []


@pytest.mark.parametrize(
    ("error", "words"),
    [
        (OSError(errno.ENOSPC, "No space left on device"), "report store is full"),
        (OSError(errno.EDQUOT, "Disk quota exceeded"), "report store is full"),
        (PermissionError(errno.EACCES, "Permission denied"), "permission denied"),
        (OSError(errno.EROFS, "Read-only file system"), "permission denied"),
        (ConnectionRefusedError(111, "Connection refused"), "cannot reach report store"),
        (type("EndpointConnectionError", (Exception,), {})("Could not connect to the endpoint URL"), "cannot reach report store"),
        (TimeoutError("timed out"), "cannot reach report store"),
    ],
)
def test_storage_failures_name_the_report_store_and_the_cause(tmp_path, monkeypatch, error, words):
    store = ReportStore(str(tmp_path / "r"))

    def fail(*args, **kwargs):
        raise error

    monkeypatch.setattr(store, "_write_local", fail)
    with pytest.raises(ReportStoreUnavailableError, match=words) as info:
        store.write(ReportKey("d", RUN, "t"), "result.json", b"{}")
    assert "Could not write" in str(info.value) and type(error).__name__ in str(info.value)



def test_object_storage_round_trip_and_uri_is_the_configured_url():
    """On object storage the URI is the configured URL (no connection id inside); a try without its
    result JSON is not listed."""
    import uuid

    base = f"memory://mlmonitor-{uuid.uuid4().hex}/reports/"
    store = ReportStore(base)
    key = ReportKey("d", RUN, "t", -1, 1)
    assert store.write(key, "report.html", b"<p>r</p>") == f"{base}d/{RUN}/t/-1/1/report.html"
    assert store.tries("d", RUN, "t") == []
    store.write_result(key, {"check": "drift"})
    assert store.tries("d", RUN, "t") == [1] and store.read(key) == b"<p>r</p>"
    with pytest.raises(ReportStoreError, match="never overwritten"):
        store.write(key, "report.html", b"again")
