"""Write and read reports in per-try folders. Nothing is ever overwritten; nothing escapes the base.

Layout: ``{base}/{dag_id}/{run_id}/{task_id}/{map_index}/{try_number}/{name}``. The base is any
ObjectStoragePath URL (local paths are used directly, with atomic no-overwrite writes).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import uuid
from collections.abc import Iterator
from typing import Any

from airflow_mlmonitor.exceptions import ReportStoreError
from airflow_mlmonitor.reports.keys import ReportKey, check_file_name
from airflow_mlmonitor.sources.paths import is_url

REPORT_FILE = "report.html"
RESULT_FILE = "result.json"
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


class ReportStoreUnavailableError(ReportStoreError):
    """The report store could not be reached, is full, or refused access (not a bad id)."""


def _reason(err: BaseException) -> str:
    """What went wrong, in the words an operator acts on."""
    number = getattr(err, "errno", None)
    if number in {errno.ENOSPC, getattr(errno, "EDQUOT", -1)}:
        return "the report store is full (no space left on device): free space or move report_base_path"
    if isinstance(err, PermissionError) or number in {errno.EACCES, errno.EPERM, errno.EROFS}:
        return "permission denied by the report store: check the owner/credentials of report_base_path"
    names = " ".join(cls.__name__ for cls in type(err).__mro__)
    if isinstance(err, (ConnectionError, TimeoutError)) or any(w in names for w in ("Connect", "Timeout", "Endpoint")):
        return "cannot reach report store: check that it is up and report_conn_id's endpoint"
    return "report store error"


def unavailable(action: str, path: Any, err: BaseException) -> ReportStoreUnavailableError:
    """The error raised when ``action`` (write/read/list) on ``path`` failed with ``err``."""
    return ReportStoreUnavailableError(f"Could not {action} {path}: {_reason(err)} ({type(err).__name__}: {err})")


class ReportStore:
    """A report store rooted at ``base_path`` (local path or object-storage URL)."""

    def __init__(self, base_path: str, conn_id: str | None = None) -> None:
        if not base_path:
            raise ReportStoreError("report_base_path is empty; set [mlmonitor] report_base_path.")
        self.base_path = str(base_path)
        self.conn_id = conn_id
        self._local = not is_url(self.base_path) or self.base_path.startswith("file://")
        if self._local:
            local = self.base_path.removeprefix("file://")
            self._root: Any = os.path.realpath(os.path.expanduser(local))
        else:
            from airflow.sdk import ObjectStoragePath

            self._root = ObjectStoragePath(self.base_path, conn_id=conn_id)
            # fsspec filesystems are cached per process and keep directory listings: a long-lived
            # API server would never see folders written by workers after its first listing.
            with contextlib.suppress(Exception):  # a bad connection fails on first use, clearly
                self._root.fs.invalidate_cache()

    @classmethod
    def from_conf(cls) -> ReportStore:
        from airflow_mlmonitor import conf

        return cls(conf.report_base_path(), conf.report_conn_id())

    # -- paths -------------------------------------------------------------------------------
    def _join(self, *parts: str) -> Any:
        """The path of ``parts`` below the root. Locally, no component below the root may be a
        symlink: a link planted in the store could otherwise serve one DAG's report as another's."""
        if not self._local:
            return self._root.joinpath(*parts)
        path = self._root
        for part in parts:
            if not part or part in {".", ".."} or os.sep in part or (os.altsep and os.altsep in part):
                raise ReportStoreError(f"Refusing path outside the report store: {parts!r}")
            path = os.path.join(path, part)
            if os.path.islink(path):
                raise ReportStoreError(f"Refusing to follow a symlink in the report store: {parts!r}")
        return path

    def uri(self, key: ReportKey, name: str = REPORT_FILE) -> str:
        path = self._join(*key.parts, check_file_name(name))
        if self._local:
            return f"file://{path}"
        # The configured URL, not str(ObjectStoragePath) (which embeds the connection id).
        return "/".join([self.base_path.rstrip("/"), *key.parts, name])

    # -- writing -----------------------------------------------------------------------------
    def write(self, key: ReportKey, name: str, content: str | bytes) -> str:
        """Write one file of a try's folder and return its URI. Refuses to overwrite.

        The file appears whole or not at all: locally a temporary file is written and linked into
        place in one step (the temporary is removed whatever happens); on object storage the file
        is one object put. Any storage failure is a :class:`ReportStoreUnavailableError`.
        """
        data = content.encode("utf-8") if isinstance(content, str) else content
        path = self._join(*key.parts, check_file_name(name))
        try:
            if self._local:
                self._write_local(path, data)
            else:
                self._write_remote(path, data)
        except ReportStoreError:
            raise
        except Exception as err:  # OSError locally; botocore/aiohttp errors from s3fs & co.
            raise unavailable("write", path, err) from err
        return self.uri(key, name)

    def _write_local(self, path: str, data: bytes) -> None:
        folder = os.path.dirname(path)
        os.makedirs(folder, exist_ok=True)
        self._join(*os.path.relpath(folder, self._root).split(os.sep))  # no symlink was raced in
        tmp = os.path.join(folder, f".{os.path.basename(path)}.{uuid.uuid4().hex}.partial")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o644)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
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
        path.write_bytes(data)  # one object put: the object exists whole or not at all

    def write_result(self, key: ReportKey, result: dict[str, Any]) -> str:
        return self.write(key, RESULT_FILE, json.dumps(result, indent=1, sort_keys=False))

    # -- reading -----------------------------------------------------------------------------
    def exists(self, key: ReportKey, name: str = REPORT_FILE) -> bool:
        path = self._join(*key.parts, check_file_name(name))
        try:
            return os.path.isfile(path) and not os.path.islink(path) if self._local else path.is_file()
        except Exception as err:
            raise unavailable("read", path, err) from err

    def read(self, key: ReportKey, name: str = REPORT_FILE) -> bytes:
        """The bytes of one stored file; ``FileNotFoundError`` when it does not exist."""
        path = self._join(*key.parts, check_file_name(name))
        try:
            if self._local:
                fd = os.open(path, os.O_RDONLY | _NOFOLLOW)
                with os.fdopen(fd, "rb") as handle:
                    return handle.read()
            return path.read_bytes()
        except FileNotFoundError:
            raise
        except OSError as err:
            if self._local and err.errno == errno.ELOOP:
                raise ReportStoreError(f"Refusing to follow a symlink in the report store: {key.parts!r}") from err
            raise unavailable("read", path, err) from err
        except Exception as err:
            raise unavailable("read", path, err) from err

    def read_result(self, key: ReportKey) -> dict[str, Any]:
        return json.loads(self.read(key, RESULT_FILE))

    def _list_dir(self, *parts: str) -> list[str]:
        """Entries of a folder (symlinks left out); empty when it does not exist or is a symlink."""
        try:
            path = self._join(*parts)
        except ReportStoreError:
            return []
        try:
            if self._local:
                if not os.path.isdir(path):
                    return []
                return sorted(n for n in os.listdir(path) if not n.startswith(".") and not os.path.islink(os.path.join(path, n)))
            return sorted(p.name for p in path.iterdir()) if path.is_dir() else []
        except Exception as err:
            raise unavailable("list", path, err) from err

    def _complete(self, parts: tuple[str, ...]) -> bool:
        """A try is visible once its result JSON exists (written last, in one step)."""
        try:
            path = self._join(*parts, RESULT_FILE)
        except ReportStoreError:
            return False
        try:
            return os.path.isfile(path) and not os.path.islink(path) if self._local else bool(path.is_file())
        except Exception as err:
            raise unavailable("read", path, err) from err

    def tries(self, dag_id: str, run_id: str, task_id: str, map_index: int = -1) -> list[int]:
        """Try numbers of this task instance whose result JSON is stored, ascending.

        A try still running, killed or whose storage failed has no result JSON: it is not listed,
        so it never shows as the latest report."""
        probe = ReportKey(dag_id, run_id, task_id, map_index)
        names = self._list_dir(*probe.parts[:4])
        return sorted(int(n) for n in names if n.isdigit() and self._complete((*probe.parts[:4], n)))

    def latest(self, dag_id: str, run_id: str, task_id: str, map_index: int = -1) -> ReportKey | None:
        tries = self.tries(dag_id, run_id, task_id, map_index)
        return ReportKey(dag_id, run_id, task_id, map_index, tries[-1]) if tries else None

    def run_keys(self, dag_id: str, run_id: str) -> list[ReportKey]:
        """The latest complete try of every task instance of one DAG run in the store.

        Costs one listing per run and per task instance: the results API reads runs newest first
        and stops as soon as it has enough, instead of walking the whole store.
        """
        ReportKey(dag_id, run_id, "probe")  # validates both ids before anything is listed
        keys: list[ReportKey] = []
        for task_id in self._list_dir(dag_id, run_id):
            for map_index in self._list_dir(dag_id, run_id, task_id):
                try:
                    latest = self.latest(dag_id, run_id, task_id, int(map_index))
                except ReportStoreUnavailableError:
                    raise
                except (ReportStoreError, ValueError):  # a folder name no id can have
                    continue
                if latest is not None:
                    keys.append(latest)
        return keys

    def dag_ids(self) -> list[str]:
        """DAG ids that have at least one folder in the store."""
        return self._list_dir()

    def iter_keys(self, dag_ids: set[str] | None = None) -> Iterator[ReportKey]:
        """Every complete try in the store (optionally only for ``dag_ids``)."""
        for dag_id in self._list_dir():
            if dag_ids is not None and dag_id not in dag_ids:
                continue
            for run_id in self._list_dir(dag_id):
                for task_id in self._list_dir(dag_id, run_id):
                    for map_index in self._list_dir(dag_id, run_id, task_id):
                        for try_number in self._list_dir(dag_id, run_id, task_id, map_index):
                            if not self._complete((dag_id, run_id, task_id, map_index, try_number)):
                                continue
                            with contextlib.suppress(ReportStoreError, ValueError):
                                yield ReportKey(dag_id, run_id, task_id, int(map_index), int(try_number))
