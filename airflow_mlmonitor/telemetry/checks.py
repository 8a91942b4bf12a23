"""Emit ML metrics to StatsD: check results, model registry events, retraining triggers.

The seam the operators call. Each function resolves the StatsD target of ``statsd_conn_id`` through
:class:`~airflow_mlmonitor.hooks.statsd.StatsdHook` (imported lazily: this package stays free of
Airflow at import time) unless a :class:`~airflow_mlmonitor.telemetry.emitter.Telemetry` is passed
as ``telemetry``. They never raise and never block: a broken target is logged once and skipped.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from airflow_mlmonitor.telemetry.emitter import ModelEvent, Telemetry

__all__ = ["ModelEvent", "emit_check_metrics", "emit_model_event", "emit_retrain_triggered"]

log = logging.getLogger("airflow_mlmonitor.telemetry")


def _resolve(statsd_conn_id: str, telemetry: Telemetry | None) -> Telemetry | None:
    if telemetry is not None:
        return telemetry
    try:
        from airflow_mlmonitor.hooks.statsd import get_telemetry

        return get_telemetry(statsd_conn_id)
    except Exception as err:  # pragma: no cover - get_telemetry already never raises
        log.warning("StatsD metrics disabled: %s", err)
        return None


def emit_check_metrics(
    result: Mapping[str, Any],
    *,
    dag_id: str,
    task_id: str,
    statsd_conn_id: str = "statsd_default",
    telemetry: Telemetry | None = None,
) -> None:
    """Emit the metrics of one check result (``quality.*``, ``drift.*``; for ``model_comparison``
    results ``model.metric_delta.{model}.{metric}`` from ``result["rules"]`` and
    ``model.rejection.{model}`` when ``result["decision"] == "reject"``, with the model name taken
    from ``result["model_name"]``)."""
    target = _resolve(statsd_conn_id, telemetry)
    if target is not None:
        target.check_result(result, dag_id, task_id)


def emit_model_event(
    event: ModelEvent, *, model_name: str, statsd_conn_id: str = "statsd_default", telemetry: Telemetry | None = None
) -> None:
    """``{prefix}.model.{event}.{model}`` counter."""
    target = _resolve(statsd_conn_id, telemetry)
    if target is not None:
        target.model_event(event, model_name)


def emit_retrain_triggered(
    *, target_dag_id: str, statsd_conn_id: str = "statsd_default", telemetry: Telemetry | None = None
) -> None:
    """``{prefix}.retrain.triggered.{target_dag}`` counter."""
    target = _resolve(statsd_conn_id, telemetry)
    if target is not None:
        target.retrain_triggered(target_dag_id)
