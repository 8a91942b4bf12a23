"""The ``mlmonitor`` Airflow plugin (``airflow.plugins`` entry point).

Kept import-light: workers load plugins too, so the FastAPI app (``plugins/app.py``) is only built
when the API server reads ``fastapi_apps``; importing this module never imports FastAPI.
"""

from __future__ import annotations

from typing import Any

from airflow.plugins_manager import AirflowPlugin

from airflow_mlmonitor.telemetry import listener as _statsd_listener

#: Where the plugin's FastAPI app is mounted on the API server (a public contract: URL routes).
URL_PREFIX = "/mlmonitor"


class _LazyFastAPIApps:
    """``fastapi_apps``, resolved on first read (API server only) rather than at import.

    A descriptor, so it works whether Airflow reads it on the plugin class (provider info) or on an
    instance (entry point).
    """

    def __get__(self, instance: object, owner: type | None = None) -> list[dict[str, Any]]:
        from airflow_mlmonitor.plugins.app import get_app

        return [{"app": get_app(), "url_prefix": URL_PREFIX, "name": "ML Monitor"}]


class MLMonitorPlugin(AirflowPlugin):
    """Report pages and the results API inside the Airflow UI (see the "Reports in the UI" docs page).

    - ``GET /mlmonitor/reports/{dag_id}/{run_id}/{task_id}``: a stored report, sandboxed.
    - ``GET /mlmonitor/api/results``: recent check results of the DAGs the user may read.
    - A task-instance tab and a nav page, both named "ML Monitor".
    """

    name = "mlmonitor"
    #: Task and DAG-run StatsD metrics for every DAG; emits only with [mlmonitor] emit_task_metrics.
    listeners = [_statsd_listener]
    fastapi_apps = _LazyFastAPIApps()  # type: ignore[assignment]
    external_views = [
        {
            "name": "ML Monitor",
            "href": URL_PREFIX + "/ui/task/{DAG_ID}/{RUN_ID}/{TASK_ID}?map_index={MAP_INDEX}",
            "destination": "task_instance",
            "url_route": "mlmonitor-task",
        },
        {
            "name": "ML Monitor",
            "href": URL_PREFIX + "/ui/results",
            "destination": "nav",
            "category": "browse",
            "url_route": "mlmonitor",
        },
    ]
