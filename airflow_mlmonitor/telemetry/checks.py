"""Emit ML metrics to StatsD: check results, model registry events, retraining triggers.

Seam for the telemetry issue: operators call these functions; until the StatsD emitter lands they
do nothing. They never raise and never block.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

ModelEvent = Literal["promotion", "rollback", "rejection"]


def emit_check_metrics(
    result: Mapping[str, Any], *, dag_id: str, task_id: str, statsd_conn_id: str = "statsd_default"
) -> None:
    """Emit the metrics of one check result (``quality.*``, ``drift.*``; for ``model_comparison``
    results ``model.metric_delta.{model}.{metric}`` from ``result["rules"]`` and
    ``model.rejection.{model}`` when ``result["decision"] == "reject"``, with the model name taken
    from ``result["model_name"]``)."""
    return None


def emit_model_event(event: ModelEvent, *, model_name: str, statsd_conn_id: str = "statsd_default") -> None:
    """``{prefix}.model.{event}.{model}`` counter."""
    return None


def emit_retrain_triggered(*, target_dag_id: str, statsd_conn_id: str = "statsd_default") -> None:
    """``{prefix}.retrain.triggered.{target_dag}`` counter."""
    return None
