"""Configuration accessors for the ``[mlmonitor]`` section, read lazily and cached.

Never read configuration at import time: these functions are called at execute time. Tests call
``clear_cache()`` after changing the environment.
"""

from __future__ import annotations

import functools
import os
from typing import Any

SECTION = "mlmonitor"


def _conf() -> Any:
    try:
        from airflow.sdk.configuration import conf
    except ImportError:  # pragma: no cover - core-only installations
        from airflow.configuration import conf  # type: ignore[no-redef]
    return conf


def airflow_home() -> str:
    return os.path.expanduser(os.environ.get("AIRFLOW_HOME") or "~/airflow")


@functools.cache
def report_base_path() -> str:
    """``[mlmonitor] report_base_path``, default ``{AIRFLOW_HOME}/mlmonitor/reports``."""
    value = _conf().get(SECTION, "report_base_path", fallback="") or ""
    return value.strip() or os.path.join(airflow_home(), "mlmonitor", "reports")


@functools.cache
def report_conn_id() -> str | None:
    value = _conf().get(SECTION, "report_conn_id", fallback="") or ""
    return value.strip() or None


@functools.cache
def emit_task_metrics() -> bool:
    return _conf().getboolean(SECTION, "emit_task_metrics", fallback=False)


@functools.cache
def api_base_url() -> str:
    """Absolute base URL of the Airflow API server (``[api] base_url``), used in report links."""
    value = _conf().get("api", "base_url", fallback="") or ""
    return (value.strip() or "http://localhost:8080").rstrip("/")


def clear_cache() -> None:
    for accessor in (report_base_path, report_conn_id, emit_task_metrics, api_base_url):
        accessor.cache_clear()
