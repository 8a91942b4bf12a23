"""A metric series from the stored results of one check (the report store). Airflow-free.

Reads only through :class:`~airflow_mlmonitor.reports.store.ReportStore`'s public methods
(``iter_keys``, ``read_result``, ``uri``): the latest try of every run of ``dag_id.task_id``, its
``metrics[metric]``. A result's time is the timestamp in its run id (``manual__2025-01-01T...``,
``scheduled__...``), else the result file's modification time on a local store.
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
import re
from typing import Any

from airflow_mlmonitor.anomaly.series import Series
from airflow_mlmonitor.exceptions import InvalidInputError, ReportStoreError

_STAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[+-]\d{2}:?\d{2}|Z)?")


def run_time(run_id: str) -> dt.datetime | None:
    match = _STAMP.search(run_id)
    if not match:
        return None
    try:
        stamp = dt.datetime.fromisoformat(match.group(0).replace("Z", "+00:00"))
    except ValueError:
        return None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)


def _file_time(store: Any, key: Any) -> dt.datetime | None:
    from airflow_mlmonitor.reports.store import RESULT_FILE

    uri = store.uri(key, RESULT_FILE)
    if not uri.startswith("file://"):
        return None
    try:
        return dt.datetime.fromtimestamp(os.path.getmtime(uri.removeprefix("file://")), tz=dt.UTC)
    except OSError:
        return None


def latest_keys(store: Any, dag_id: str, task_id: str) -> list[Any]:
    """The latest-try key of every (run, map index) of ``dag_id.task_id`` in the store."""
    latest: dict[tuple[str, int], Any] = {}
    for key in store.iter_keys({dag_id}):
        if key.task_id != task_id:
            continue
        seen = latest.get((key.run_id, key.map_index))
        if seen is None or key.try_number > seen.try_number:
            latest[(key.run_id, key.map_index)] = key
    return list(latest.values())


def result_history(store: Any, dag_id: str, task_id: str, metric: str, *, limit: int = 500) -> Series:
    """The newest ``limit`` values of ``metrics[metric]`` in the stored results of the check, oldest first."""
    keys = latest_keys(store, dag_id, task_id)
    if not keys:
        raise InvalidInputError(
            f"dag_id/task_id: no stored results of {dag_id}.{task_id} in the report store "
            f"({getattr(store, 'base_path', store)}); run that check first, or check both ids."
        )
    points: list[tuple[Any, float, str]] = []
    names: set[str] = set()
    for key in keys:
        try:
            result = store.read_result(key)
        except (FileNotFoundError, ReportStoreError, ValueError):
            continue
        metrics = result.get("metrics") or {}
        names |= set(metrics)
        value = metrics.get(metric)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        when = run_time(key.run_id) or _file_time(store, key)
        points.append((when.isoformat() if when else None, float(value), f"{key.run_id}/{key.map_index}"))
    if not points:
        close = difflib.get_close_matches(metric, sorted(names), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise InvalidInputError(
            f"metric: the {len(keys)} stored result(s) of {dag_id}.{task_id} have no numeric metrics[{metric!r}] "
            f"(their metrics: {sorted(names)}).{hint}"
        )
    series = Series.from_points(points, sort_key=lambda p: (p[0] is not None, p[0] or "", p[2]))
    return series.tail(limit)
