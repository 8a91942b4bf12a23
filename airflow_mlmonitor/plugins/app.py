"""The ``mlmonitor`` FastAPI app, mounted by the API server at ``/mlmonitor`` (GET only).

Plugin apps are not protected by Airflow, so every route depends on Airflow's own security
dependencies (any auth manager works): the report and tab routes require read access to the task
instances of the DAG in the path; the results API and nav page list only DAGs the user may read.
Built by :func:`create_app` when the API server first reads the plugin's ``fastapi_apps``.
"""

from __future__ import annotations

import functools
import logging
from typing import Annotated, Any

from airflow.api_fastapi.auth.managers.models.resource_details import DagAccessEntity, DagDetails
from airflow.api_fastapi.core_api.security import GetUserDep, requires_access_dag
from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from airflow_mlmonitor import conf
from airflow_mlmonitor.exceptions import ReportStoreError
from airflow_mlmonitor.plugins import pages
from airflow_mlmonitor.plugins.results import MAX_LIMIT, recent_results
from airflow_mlmonitor.reports.keys import ReportKey, parse_map_index
from airflow_mlmonitor.reports.store import REPORT_FILE, RESULT_FILE, ReportStore, ReportStoreUnavailableError
from airflow_mlmonitor.results import CHECK_KINDS

log = logging.getLogger(__name__)

#: Reports are third-party HTML (Evidently, GX): their scripts run in an opaque origin, so they
#: cannot read the user's cookies or call the API as the user, even if a column name holds markup.
REPORT_HEADERS = {
    "Content-Security-Policy": "sandbox allow-scripts; frame-ancestors 'self'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "SAMEORIGIN",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "private, no-cache",
}
#: Our own pages need no script at all.
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-src 'self'; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "SAMEORIGIN",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "private, no-cache",
}
_NO_REPORT = (
    "No ML Monitor report for this task instance. Only check operators (data quality, drift, "
    "model comparison) store one, once their try has run."
)

_STORE_DOWN = "The report store could not be read right now; the API server log has the details."

ReadTaskInstances = Depends(requires_access_dag("GET", DagAccessEntity.TASK_INSTANCE))
MapIndex = Annotated[str | None, Query(description="Map index; anything non-integer (e.g. '{MAP_INDEX}') is -1")]
TryNumber = Annotated[str | None, Query(description="Try number; default: the latest try with a report")]


def _html(body: str, status_code: int = 200, *, report: bool = False) -> HTMLResponse:
    return HTMLResponse(body, status_code, headers=REPORT_HEADERS if report else PAGE_HEADERS)


def _message(status_code: int, heading: str, message: str, *, report: bool = False) -> HTMLResponse:
    return _html(pages.message_page(heading, message), status_code, report=report)


def _resolve(dag_id: str, run_id: str, task_id: str, map_index: str | None, try_number: str | None) -> ReportKey:
    """The try to show: validated ids, ``try_number`` or the latest stored try. Raises HTTP errors."""
    try:
        # ReportKey validates the raw query string: digits only, so "1/../x" or "-3" never pass.
        probe = ReportKey(dag_id, run_id, task_id, parse_map_index(map_index), try_number or 1)  # type: ignore[arg-type]
        tries = ReportStore.from_conf().tries(dag_id, run_id, task_id, probe.map_index)
    except ReportStoreUnavailableError as err:  # unreachable, credentials, permissions
        raise _unavailable(err) from err
    except ReportStoreError as err:  # a bad id (the user's own input; never a store path)
        raise HTTPException(400, str(err)) from None
    except OSError as err:
        raise _unavailable(err) from err
    if not tries or (try_number is not None and probe.try_number not in tries):
        raise HTTPException(404, _NO_REPORT)
    return probe if try_number is not None else ReportKey(dag_id, run_id, task_id, probe.map_index, tries[-1])


def _unavailable(err: Exception) -> HTTPException:
    """A 502 that never shows where the store is: the details go to the API server log only."""
    log.warning("mlmonitor: the report store is unavailable: %s", err)
    return HTTPException(502, _STORE_DOWN)


def _readable_dag_ids(user: Any, candidates: set[str]) -> set[str]:
    """DAGs among ``candidates`` whose task instances ``user`` may read, per the auth manager."""
    from airflow.api_fastapi.app import get_auth_manager
    from airflow.models.dag import DagModel

    manager = get_auth_manager()
    ids = manager.get_authorized_dag_ids(user=user, method="GET") & candidates
    teams = DagModel.get_dag_id_to_team_name_mapping(sorted(ids)) if ids else {}
    return {
        dag_id
        for dag_id in ids
        if manager.is_authorized_dag(
            method="GET",
            access_entity=DagAccessEntity.TASK_INSTANCE,
            details=DagDetails(id=dag_id, team_name=teams.get(dag_id)),
            user=user,
        )
    }


def _results(
    user: Any, dag_id: str | None, task_id: str | None, check: str | None, limit: int
) -> tuple[list[dict[str, Any]], list[str]]:
    if check is not None and check not in CHECK_KINDS:
        raise HTTPException(400, f"Unknown check {check!r}: use one of {', '.join(CHECK_KINDS)}.")
    try:
        store = ReportStore.from_conf()
        readable = sorted(_readable_dag_ids(user, set(store.dag_ids())))
        items = recent_results(
            store, readable, dag_id=dag_id, task_id=task_id, check=check, limit=limit, base_url=conf.api_base_url()
        )
    except (ReportStoreUnavailableError, OSError) as err:
        raise _unavailable(err) from err
    return items, readable


def report(
    dag_id: str, run_id: str, task_id: str, map_index: MapIndex = None, try_number: TryNumber = None
) -> Response:
    """The stored HTML report of one try (latest by default), sandboxed."""
    try:
        key = _resolve(dag_id, run_id, task_id, map_index, try_number)
        content = ReportStore.from_conf().read(key, REPORT_FILE)
    except HTTPException as err:
        return _message(err.status_code, "No report", str(err.detail), report=True)
    except FileNotFoundError:
        return _message(404, "No report", "This try stored a result but no HTML report.", report=True)
    except (ReportStoreError, OSError) as err:
        return _message(502, "Report store unavailable", str(_unavailable(err).detail), report=True)
    return Response(content, media_type="text/html; charset=utf-8", headers=REPORT_HEADERS)


def task_tab(
    request: Request,
    dag_id: str,
    run_id: str,
    task_id: str,
    map_index: MapIndex = None,
    try_number: TryNumber = None,
) -> HTMLResponse:
    """The "ML Monitor" task-instance tab: a header (check, status, summary, tries) and the report."""
    store = ReportStore.from_conf()
    try:
        key = _resolve(dag_id, run_id, task_id, map_index, try_number)
        tries = store.tries(key.dag_id, key.run_id, key.task_id, key.map_index)
        result = store.read_result(key) if store.exists(key, RESULT_FILE) else {}
        has_report = store.exists(key, REPORT_FILE)
    except HTTPException as err:
        return _message(err.status_code, "ML Monitor", str(err.detail))
    except (ReportStoreError, OSError, ValueError) as err:
        return _message(502, "Report store unavailable", str(_unavailable(err).detail))
    return _html(pages.task_page(request.scope.get("root_path", ""), key, result, tries, has_report))


def api_results(
    user: GetUserDep,
    dag_id: str | None = None,
    task_id: str | None = None,
    check: str | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
) -> JSONResponse:
    """``{"results": [...]}``: latest-try check results, newest run first, readable DAGs only."""
    items, _ = _results(user, dag_id, task_id, check, limit)
    return JSONResponse({"results": items}, headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-cache"})


def results_page(
    request: Request,
    user: GetUserDep,
    dag_id: str | None = None,
    task_id: str | None = None,
    check: str | None = None,
) -> HTMLResponse:
    """The "ML Monitor" nav page: recent results and trend charts, filterable by DAG and check."""
    filters = {"dag_id": dag_id or None, "task_id": task_id or None, "check": check or None}
    try:
        items, readable = _results(user, filters["dag_id"], filters["task_id"], filters["check"], 200)
    except HTTPException as err:
        return _message(err.status_code, "ML Monitor", str(err.detail))
    return _html(pages.results_page(request.scope.get("root_path", ""), items, readable, filters))


def create_app() -> FastAPI:
    """A new ``mlmonitor`` app (the factory; the API server uses :func:`get_app`)."""
    app = FastAPI(title="ML Monitor", docs_url=None, redoc_url=None, openapi_url=None)
    read_ti = [ReadTaskInstances]
    app.get("/reports/{dag_id}/{run_id}/{task_id}", dependencies=read_ti, response_class=HTMLResponse)(report)
    app.get("/ui/task/{dag_id}/{run_id}/{task_id}", dependencies=read_ti, response_class=HTMLResponse)(task_tab)
    app.get("/api/results")(api_results)
    app.get("/ui/results", response_class=HTMLResponse)(results_page)
    return app


@functools.cache
def get_app() -> FastAPI:
    """The app the plugin mounts, built once per process."""
    return create_app()
