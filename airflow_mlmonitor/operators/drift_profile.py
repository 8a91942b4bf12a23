"""``DriftProfileOperator``: a reference profile built once for many drift checks.

Also importable from :mod:`airflow_mlmonitor.operators.drift` (the documented path).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator

from airflow_mlmonitor.operators._check import template_source

__all__ = ["DriftProfileOperator"]

if TYPE_CHECKING:
    from airflow.sdk import Context


def _open_input(value: Any, conn_id: str | None, name: str) -> Any:
    """The rendered input as a source of this run (closed by the caller when the task ends)."""
    from airflow_mlmonitor.sources import as_source

    return as_source(value, conn_id=conn_id, name=name).fresh()


def _storage_path(uri: Any, conn_id: str | None) -> Any:
    """``uri`` as an ``ObjectStoragePath`` (local paths and any fsspec URL)."""
    from airflow.sdk import ObjectStoragePath

    return uri if isinstance(uri, ObjectStoragePath) else ObjectStoragePath(str(uri), conn_id=conn_id)


class DriftProfileOperator(BaseOperator):
    """Build a reference profile once: everything a drift check needs about ``reference``.

    Reads ``reference`` (column by column for parquet files; numeric columns of very large files as
    sorted streams spilled to the temporary directory, so memory does not grow with rows), stores per
    column its sorted values
    or exact value counts and the facts behind type checks, at ``profile_path`` (any
    ``ObjectStoragePath`` URL). XCom ``return_value``: ``{"profile_uri", "columns", "rows"}``; give
    ``profile_uri`` to ``DriftReportOperator(reference_profile=...)``.

    :param reference: the reference data, same forms as ``DriftReportOperator.reference`` (templated).
    :param profile_path: where to write the profile, e.g. ``"s3://bucket/profiles/train.zip"`` (templated).
    :param columns: columns to profile; default all.
    :param data_conn_id: connection for a remote ``reference``.
    :param profile_conn_id: connection for a remote ``profile_path`` (default ``data_conn_id``).
    """

    template_fields: Sequence[str] = ("reference", "profile_path", "columns", "data_conn_id", "profile_conn_id")
    ui_color = "#e8eef8"

    def __init__(
        self,
        *,
        reference: Any,
        profile_path: Any,
        columns: Sequence[str] | None = None,
        data_conn_id: str | None = None,
        profile_conn_id: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.reference = template_source(reference, "reference")
        self.profile_path = profile_path
        self.columns = columns
        self.data_conn_id = data_conn_id
        self.profile_conn_id = profile_conn_id

    def execute(self, context: Context) -> dict[str, Any]:
        from airflow_mlmonitor.drift.engine import FrameColumns

        opened = _open_input(self.reference, self.data_conn_id, "reference")
        try:  # a Spark session started by the input stops with the task, whatever happened
            data = opened.columnar()
            opened.check_not_empty()
            source = data if hasattr(data, "column") else _FrameSource(FrameColumns(data, side="reference"), data)
            return self._write(source)
        finally:
            opened.close()

    def _write(self, source: Any) -> dict[str, Any]:
        import os

        from airflow_mlmonitor.drift.profile import write_profile
        from airflow_mlmonitor.sources.paths import is_local_path

        conn_id = self.profile_conn_id or self.data_conn_id
        target = self.profile_path
        if conn_id is None and is_local_path(target):
            local = os.path.expanduser(os.fspath(target))
            os.makedirs(os.path.dirname(os.path.abspath(local)), exist_ok=True)
            uri = os.path.abspath(local)
            with open(local, "wb") as handle:
                index = write_profile(source, handle, columns=self.columns, progress=self.log.info)
        else:
            path = _storage_path(target, conn_id)
            path.parent.mkdir(parents=True, exist_ok=True)
            uri = str(path)
            with path.open("wb") as handle:
                index = write_profile(source, handle, columns=self.columns, progress=self.log.info)
        self.log.info("Drift profile of %d columns x %s rows written to %s", len(index["columns"]),
                      f"{index['rows']:,}", uri)
        return {"profile_uri": uri, "columns": index["columns"], "rows": index["rows"]}


class _FrameSource:
    """A DataFrame with ``columns``, ``len`` and ``column(name)`` (what a profile is built from)."""

    def __init__(self, columns: Any, frame: Any) -> None:
        self.column = columns.column
        self.columns = list(frame.columns)
        self.num_rows = len(frame)

    def __len__(self) -> int:
        return self.num_rows
