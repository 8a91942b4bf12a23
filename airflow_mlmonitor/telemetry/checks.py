"""Emit the metrics of a check result (quality, drift, model comparison) to StatsD.

Seam for the telemetry issue: check operators call :func:`emit_check_metrics` after every check.
Until the StatsD emitter lands, it does nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def emit_check_metrics(
    result: Mapping[str, Any], *, dag_id: str, task_id: str, statsd_conn_id: str = "statsd_default"
) -> None:
    """Emit the StatsD metrics of one check result. Never raises."""
    return None
