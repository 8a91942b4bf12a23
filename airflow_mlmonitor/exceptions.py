"""Typed exceptions. Every message says what was wrong and what to do about it."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from airflow_mlmonitor.results import CheckResult


class MLMonitorError(Exception):
    """Base class of every error raised by airflow-mlmonitor."""


class InvalidInputError(MLMonitorError, ValueError):
    """A parameter or an input data set is not usable (wrong type, missing column, empty frame...)."""


class DataLoadError(InvalidInputError):
    """An input data set could not be loaded (missing file, unknown format, bad callable)."""


class ReportStoreError(MLMonitorError):
    """A report could not be written to or read from the report store, or an id would escape it."""


class MissingDependencyError(MLMonitorError, ImportError):
    """An optional library needed for this feature is not installed."""


class CheckFailedError(MLMonitorError):
    """A check did not pass and its ``on_failure`` policy is ``"fail"``.

    The check result has already been pushed to XCom when this is raised; it is available as
    ``error.result``.
    """

    def __init__(self, message: str, result: CheckResult | None = None) -> None:
        super().__init__(message)
        self.result = result
