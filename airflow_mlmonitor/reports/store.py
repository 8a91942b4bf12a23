"""Write and read reports in per-try folders. Nothing is ever overwritten; nothing escapes the base.

Layout: ``{base}/{dag_id}/{run_id}/{task_id}/{map_index}/{try_number}/{name}``. The base is any
ObjectStoragePath URL (local paths are used directly, with atomic no-overwrite writes).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import uuid
from collections.abc import Iterator
from typing import Any

from airflow_mlmonitor.exceptions import ReportStoreError
from airflow_mlmonitor.reports.keys import ReportKey, check_file_name

REPORT_FILE = "report.html"
RESULT_FILE = "result.json"
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


class ReportStore:
    """A report store rooted at ``base_path`` (local path or object-storage URL)."""

    def __init__(self, base_path: str, conn_id: str | None = None) -> None:
        if not base_path:
            raise ReportStoreError("report_base_path is empty; set [mlmonitor] report_base_path.")
        self.base_path = str(base_path)
        self.conn_id = conn_id
        self._local = not _URL.match(self.base_path) or self.base_path.startswith("file://")
        if self._local:
            local = self.base_path.removeprefix("file://")
            self._root: Any = os.path.realpath(os.path.expanduser(local))
        else:
            from airflow.sdk import ObjectStoragePath

            self._root = ObjectStoragePath(self.base_path, conn_id=conn_id)

    @classmethod
    def from_conf(cls) -> ReportStore:
        from airflow_mlmonitor import conf

        return cls(conf.report_base_path(), conf.report_conn_id())

    # -- paths -------------------------------------------------------------------------------
    def _join(self, *parts: str) -> Any:
        if self._local:
            path = os.path.realpath(os.path.join(self._root, *parts))
            if os.path.commonpath([path, self._root]) != self._root:
                raise ReportStoreError(f"Refusing path outside the report store: {parts!r}")
            return path
        return self._root.joinpath(*parts)

    def uri(self, key: ReportKey, name: str = REPORT_FILE) -> str:
        path = self._join(*key.parts, check_file_name(name))
        return f"file://{path}" if self._local else str(path)

    # -- writing -----------------------------------------------------------------------------
    def write(self, key: ReportKey, name: str, content: str | bytes) -> str:
        """Write one file of a try's folder and return its URI. Refuses to overwrite."""
        data = content.encode("utf-8") if isinstance(content, str) else content
        path = self._join(*key.parts, check_file_name(name))
        try:
            if self._local:
                self._write_local(path, data)
            else:
                self._write_remote(path, data)
        except ReportStoreError:
            raise
        except OSError as err:
            raise ReportStoreError(f"Could not write report {path}: {err}") from err
        return self.uri(key, name)

    @staticmethod
    def _write_local(path: str, data: bytes) -> None:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = f"{path}.{uuid.uuid4().hex}.partial"
        with open(tmp, "xb") as handle:
            handle.write(data)
        try:
            os.link(tmp, path)  # atomic, and fails if the file exists
        except FileExistsError:
            raise ReportStoreError(f"Report {path} already exists; reports are never overwritten.") from None
        finally:
            with contextlib.suppress(OSError):
                os.unlink(tmp)

    @staticmethod
    def _write_remote(path: Any, data: bytes) -> None:
        if path.exists():
            raise ReportStoreError(f"Report {path} already exists; reports are never overwritten.")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    def write_result(self, key: ReportKey, result: dict[str, Any]) -> str:
        return self.write(key, RESULT_FILE, json.dumps(result, indent=1, sort_keys=False))

    # -- reading -----------------------------------------------------------------------------
    def exists(self, key: ReportKey, name: str = REPORT_FILE) -> bool:
        path = self._join(*key.parts, check_file_name(name))
        return os.path.isfile(path) if self._local else path.is_file()

    def read(self, key: ReportKey, name: str = REPORT_FILE) -> bytes:
        path = self._join(*key.parts, check_file_name(name))
        try:
            if self._local:
                with open(path, "rb") as handle:
                    return handle.read()
            return path.read_bytes()
        except FileNotFoundError:
            raise
        except OSError as err:
            raise ReportStoreError(f"Could not read report {path}: {err}") from err

    def read_result(self, key: ReportKey) -> dict[str, Any]:
        return json.loads(self.read(key, RESULT_FILE))

    def _list_dir(self, *parts: str) -> list[str]:
        path = self._join(*parts)
        if self._local:
            return sorted(os.listdir(path)) if os.path.isdir(path) else []
        return sorted(p.name for p in path.iterdir()) if path.is_dir() else []

    def tries(self, dag_id: str, run_id: str, task_id: str, map_index: int = -1) -> list[int]:
        """Try numbers that have a folder for this task instance, ascending."""
        probe = ReportKey(dag_id, run_id, task_id, map_index)
        names = self._list_dir(*probe.parts[:4])
        return sorted(int(n) for n in names if n.isdigit())

    def latest(self, dag_id: str, run_id: str, task_id: str, map_index: int = -1) -> ReportKey | None:
        tries = self.tries(dag_id, run_id, task_id, map_index)
        return ReportKey(dag_id, run_id, task_id, map_index, tries[-1]) if tries else None

    def run_keys(self, dag_id: str, run_id: str) -> list[ReportKey]:
        """The latest try of every task instance of one DAG run that has a folder in the store.

        Costs one listing per run and per task instance: the results API reads runs newest first
        and stops as soon as it has enough, instead of walking the whole store.
        """
        ReportKey(dag_id, run_id, "probe")  # validates both ids before anything is listed
        keys: list[ReportKey] = []
        for task_id in self._list_dir(dag_id, run_id):
            for map_index in self._list_dir(dag_id, run_id, task_id):
                with contextlib.suppress(ReportStoreError, ValueError):
                    latest = self.latest(dag_id, run_id, task_id, int(map_index))
                    if latest is not None:
                        keys.append(latest)
        return keys

    def dag_ids(self) -> list[str]:
        """DAG ids that have at least one folder in the store."""
        return self._list_dir()

    def iter_keys(self, dag_ids: set[str] | None = None) -> Iterator[ReportKey]:
        """Every try folder in the store (optionally only for ``dag_ids``)."""
        for dag_id in self._list_dir():
            if dag_ids is not None and dag_id not in dag_ids:
                continue
            for run_id in self._list_dir(dag_id):
                for task_id in self._list_dir(dag_id, run_id):
                    for map_index in self._list_dir(dag_id, run_id, task_id):
                        for try_number in self._list_dir(dag_id, run_id, task_id, map_index):
                            with contextlib.suppress(ReportStoreError, ValueError):
                                yield ReportKey(dag_id, run_id, task_id, int(map_index), int(try_number))
