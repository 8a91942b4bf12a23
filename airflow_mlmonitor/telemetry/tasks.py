"""Task and DAG-run metrics from task-instance and DAG-run objects (read by attribute, Airflow-free).

Shared by the notifier and the listener so both emit exactly the same series.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from airflow_mlmonitor.telemetry.emitter import RunOutcome, TaskOutcome, Telemetry

_TASK_OUTCOMES: dict[str, TaskOutcome] = {"success": "success", "failed": "failure", "up_for_retry": "retry"}
_RUN_OUTCOMES: dict[str, RunOutcome] = {"success": "success", "failed": "failure"}


def state_name(state: Any) -> str | None:
    """``TaskInstanceState.SUCCESS`` / ``"success"`` -> ``"success"``."""
    if state is None:
        return None
    return str(getattr(state, "value", state))


def task_outcome(state: Any) -> TaskOutcome | None:
    """``success`` / ``failure`` / ``retry`` for a finished try, None for any other state."""
    return _TASK_OUTCOMES.get(state_name(state) or "")


def run_outcome(state: Any) -> RunOutcome | None:
    return _RUN_OUTCOMES.get(state_name(state) or "")


def duration_ms(start: Any, end: Any = None) -> float | None:
    """Milliseconds from ``start`` to ``end`` (now when the end date is not set yet), or None
    without a start date. Naive datetimes are taken as UTC."""
    if not isinstance(start, dt.datetime):
        return None
    if not isinstance(end, dt.datetime):
        end = dt.datetime.now(dt.UTC)
    if start.tzinfo is None:
        start = start.replace(tzinfo=dt.UTC)
    if end.tzinfo is None:
        end = end.replace(tzinfo=dt.UTC)
    return max(0.0, (end - start).total_seconds() * 1000)


def emit_task(telemetry: Telemetry, ti: Any, outcome: TaskOutcome | None = None) -> bool:
    """Emit the outcome counter and duration of the try ``ti`` just finished. Returns whether
    anything was emitted (nothing for a state that is not a finished try)."""
    outcome = outcome or task_outcome(getattr(ti, "state", None))
    if outcome is None:
        return False
    duration = duration_ms(getattr(ti, "start_date", None), getattr(ti, "end_date", None))
    telemetry.task_finished(ti.dag_id, ti.task_id, outcome, duration)
    return True


def emit_dagrun(telemetry: Telemetry, dag_run: Any, outcome: RunOutcome | None = None) -> bool:
    """Emit the outcome counter and duration of a finished DAG run."""
    outcome = outcome or run_outcome(getattr(dag_run, "state", None))
    if outcome is None:
        return False
    duration = duration_ms(getattr(dag_run, "start_date", None), getattr(dag_run, "end_date", None))
    telemetry.dagrun_finished(dag_run.dag_id, outcome, duration)
    return True
