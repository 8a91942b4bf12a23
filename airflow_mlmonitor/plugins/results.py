"""Recent check results for the results API and the nav page (API server side).

The metadata DB gives the order (DAG runs newest first) and ``finished_at`` (task instance end
date); the report store gives the results. Only DAGs that have reports are looked at, and runs are
read newest first until ``limit`` results are found, so the cost follows ``limit``, not the size of
the store. Reports of runs deleted from the metadata DB are not listed.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterator
from typing import Any

from airflow_mlmonitor.exceptions import ReportStoreError
from airflow_mlmonitor.reports.keys import ReportKey, report_url
from airflow_mlmonitor.reports.store import ReportStore, ReportStoreUnavailableError
from airflow_mlmonitor.results import fit_to_size

log = logging.getLogger(__name__)

MAX_LIMIT = 500
_RUN_BATCH = 100
#: Upper bound of DAG runs inspected per request, whatever ``limit`` is.
MAX_RUNS_SCANNED = 5000


def _recent_runs(dag_ids: Collection[str]) -> Iterator[tuple[str, str]]:
    """``(dag_id, run_id)`` of the DAG runs of ``dag_ids``, newest first."""
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from sqlalchemy import select

    stmt = (
        select(DagRun.dag_id, DagRun.run_id)
        .where(DagRun.dag_id.in_(sorted(dag_ids)))
        .order_by(DagRun.run_after.desc(), DagRun.id.desc())
    )
    for offset in range(0, MAX_RUNS_SCANNED, _RUN_BATCH):
        with create_session() as session:
            rows = session.execute(stmt.offset(offset).limit(_RUN_BATCH)).all()
        yield from ((str(d), str(r)) for d, r in rows)
        if len(rows) < _RUN_BATCH:
            return


def _finished_at(keys: list[ReportKey]) -> dict[tuple[str, str, str, int], str | None]:
    """End dates (ISO 8601) of the task instances of ``keys``, from the metadata DB."""
    if not keys:
        return {}
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session
    from sqlalchemy import select

    stmt = select(
        TaskInstance.dag_id, TaskInstance.run_id, TaskInstance.task_id, TaskInstance.map_index, TaskInstance.end_date
    ).where(
        TaskInstance.dag_id.in_({k.dag_id for k in keys}),
        TaskInstance.run_id.in_({k.run_id for k in keys}),
        TaskInstance.task_id.in_({k.task_id for k in keys}),
    )
    try:
        with create_session() as session:
            rows = session.execute(stmt).all()
    except Exception as err:  # end dates are decoration: a metadata-DB error must not hide the results
        log.warning("Could not read task end dates from the metadata DB (finished_at left empty): %s", err)
        return {}
    return {(d, r, t, int(m)): (e.isoformat() if e else None) for d, r, t, m, e in rows}


def recent_results(
    store: ReportStore,
    readable_dag_ids: Collection[str],
    *,
    dag_id: str | None = None,
    task_id: str | None = None,
    check: str | None = None,
    limit: int = 50,
    base_url: str = "",
) -> list[dict[str, Any]]:
    """Latest-try check results of ``readable_dag_ids``, newest run first (``/api/results`` items).

    Each item is the stored check result (cut to the XCom size budget) plus ``dag_id``, ``run_id``,
    ``task_id``, ``map_index``, ``try_number``, ``finished_at`` and ``report_url``.
    """
    wanted = set(readable_dag_ids)
    if dag_id is not None:
        wanted &= {dag_id}
    found: list[tuple[ReportKey, dict[str, Any]]] = []
    if wanted and limit > 0:
        for run_dag_id, run_id in _recent_runs(wanted):
            found.extend(_run_results(store, run_dag_id, run_id, task_id, check))
            if len(found) >= limit:
                break
    found = found[:limit]
    ended = _finished_at([key for key, _ in found])
    items = []
    for key, result in found:
        finished = ended.get((key.dag_id, key.run_id, key.task_id, key.map_index))
        items.append(
            {
                **fit_to_size(result),
                "dag_id": key.dag_id,
                "run_id": key.run_id,
                "task_id": key.task_id,
                "map_index": key.map_index,
                "try_number": key.try_number,
                "finished_at": finished,
                "report_url": report_url(key, base_url),
            }
        )
    return items


def _run_results(
    store: ReportStore, dag_id: str, run_id: str, task_id: str | None, check: str | None
) -> list[tuple[ReportKey, dict[str, Any]]]:
    out = []
    try:
        keys = store.run_keys(dag_id, run_id)
    except ReportStoreUnavailableError:
        raise  # the API answers 502: an outage is not "no results"
    except ReportStoreError:  # a run id the store cannot hold has no reports
        return []
    for key in keys:
        if task_id is not None and key.task_id != task_id:
            continue
        try:
            result = store.read_result(key)
        except ReportStoreUnavailableError:
            raise
        except (OSError, ReportStoreError, ValueError):
            continue  # a try without a readable result (still running, or storage failed)
        if not isinstance(result, dict) or (check is not None and result.get("check") != check):
            continue
        out.append((key, result))
    return out
