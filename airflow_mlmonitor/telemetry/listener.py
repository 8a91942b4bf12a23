"""The global listener of the ``mlmonitor`` plugin: task and DAG-run metrics for every DAG.

Active only with ``[mlmonitor] emit_task_metrics = True``; it emits the same series as
:class:`~airflow_mlmonitor.notifications.statsd.StatsdNotifier` to the ``statsd_default`` target.

Where it runs (Airflow 3.3): task hooks run in the worker's task process right after the try ends
(``ti.state`` is ``success``, ``up_for_retry`` or ``failed`` and ``end_date`` is set), so durations
and retries are those of the try; the scheduler also reports tries it fails itself (a task whose
worker died) the same way. DAG-run hooks run in the scheduler (in-process under ``dag.test()``).
State changes made by hand in the UI/API (``previous_state`` is None) are not measured.

The hook marker is pluggy's ``HookimplMarker("airflow")``, the very marker behind
``airflow.listeners.hookimpl``, so this module needs no Airflow import and stays cheap to load.
"""

from __future__ import annotations

import logging
from typing import Any

import pluggy

hookimpl = pluggy.HookimplMarker("airflow")
log = logging.getLogger("airflow_mlmonitor.telemetry")

STATSD_CONN_ID = "statsd_default"


def _enabled() -> bool:
    from airflow_mlmonitor.conf import emit_task_metrics

    return emit_task_metrics()


def _emit(kind: str, obj: Any) -> None:
    """Never raises: a listener must not disturb the task runner or the scheduler."""
    try:
        if not _enabled():
            return
        from airflow_mlmonitor.hooks.statsd import get_telemetry
        from airflow_mlmonitor.telemetry.tasks import emit_dagrun, emit_task

        telemetry = get_telemetry(STATSD_CONN_ID)
        if telemetry.enabled:
            (emit_task if kind == "task" else emit_dagrun)(telemetry, obj)
    except Exception as err:
        log.warning("mlmonitor listener could not emit %s metrics: %s", kind, err)


@hookimpl
def on_task_instance_success(previous_state: Any, task_instance: Any) -> None:
    if previous_state is not None:
        _emit("task", task_instance)


@hookimpl
def on_task_instance_failed(previous_state: Any, task_instance: Any, error: Any) -> None:
    """Called for a failed try: ``ti.state`` tells a retry (``up_for_retry``) from a failure."""
    if previous_state is not None:
        _emit("task", task_instance)


@hookimpl
def on_dag_run_success(dag_run: Any, msg: str) -> None:
    _emit("dag_run", dag_run)


@hookimpl
def on_dag_run_failed(dag_run: Any, msg: str) -> None:
    _emit("dag_run", dag_run)
