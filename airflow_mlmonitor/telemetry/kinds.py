"""Check kinds as data: the StatsD metrics and UI trend series of each ``check`` kind, in one place.

A new check kind registers one :class:`CheckKind` here (or calls :func:`register_check_kind` from
its own module) and both sinks pick it up: :func:`check_points` (the StatsD emitter) and
:func:`trend_values` (the UI trend charts). Airflow-free, no I/O.

- ``gauges``: task-scoped values read from ``result["metrics"]`` (``{dag}.{task}`` ids), each
  optionally a chart series;
- ``model_gauges``: values of a model and one of its metrics (``{model}.{metric}`` ids), the model
  from ``result["model_name"]``;
- ``extra``: anything a rule of thumb cannot say (counters on a verdict, one value per rule).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Mapping
from typing import Any

log = logging.getLogger("airflow_mlmonitor.telemetry")

#: One value to emit: (metric name in ``names.METRICS``, ids, value).
Point = tuple[str, Mapping[str, object], float]
#: Trend series of one result: ``{series label: (value, fixed y range or None)}``.
Trends = dict[str, tuple[float, tuple[float, float] | None]]
Result = Mapping[str, Any]


def number(value: Any) -> float | None:
    """``value`` when it is a real number (not a bool), else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value


@dataclasses.dataclass(frozen=True)
class Gauge:
    """A number of the result as a gauge ``metric``; ``keys`` are tried in order (first number wins):
    a plain name looks in ``result["metrics"]``, ``"@name"`` at the top level of the result, and
    ``"#name"`` is the length of the list ``result[name]``. ``chart`` names its UI trend series."""

    metric: str
    keys: tuple[str, ...]
    chart: str | None = None
    y_range: tuple[float, float] | None = None

    def value(self, result: Result) -> float | None:
        metrics = result.get("metrics") or {}
        for key in self.keys:
            if key.startswith("@"):
                found = number(result.get(key[1:]))
            elif key.startswith("#"):
                items = result.get(key[1:])
                found = len(items) if isinstance(items, list) else None
            else:
                found = number(metrics.get(key))
            if found is not None:
                return found
        return None


@dataclasses.dataclass(frozen=True)
class CheckKind:
    """What one ``check`` kind emits and charts."""

    check: str
    gauges: tuple[Gauge, ...] = ()
    model_gauges: tuple[Gauge, ...] = ()
    #: ``(result, task ids) -> points`` beyond the gauges.
    extra: Callable[[Result, Mapping[str, object]], list[Point]] | None = None
    #: ``result -> trends`` beyond the gauges' charts.
    extra_trends: Callable[[Result], Trends] | None = None

    def points(self, result: Result, dag_id: str, task_id: str) -> list[Point]:
        ids = {"dag_id": dag_id, "task_id": task_id}
        points: list[Point] = [
            (g.metric, ids, v) for g in self.gauges if (v := g.value(result)) is not None
        ]
        if self.model_gauges:
            model, metric = result.get("model_name"), result.get("metric")
            model_values = [(g, v) for g in self.model_gauges if (v := g.value(result)) is not None]
            if model_values and (not model or not metric):
                log.warning("%s result without model_name/metric: no model metrics emitted", self.check)
            elif model_values:
                points += [(g.metric, {"model": model, "metric": metric}, v) for g, v in model_values]
        if self.extra is not None:
            points += self.extra(result, ids)
        return points

    def trends(self, result: Result) -> Trends:
        out: Trends = {}
        for gauge in (*self.gauges, *self.model_gauges):
            if gauge.chart and (value := gauge.value(result)) is not None:
                out[gauge.chart] = (float(value), gauge.y_range)
        if self.extra_trends is not None:
            out.update(self.extra_trends(result))
        return out


CHECK_KINDS: dict[str, CheckKind] = {}


def register_check_kind(kind: CheckKind) -> CheckKind:
    """Add (or replace) the metrics and charts of a check kind."""
    CHECK_KINDS[kind.check] = kind
    return kind


def check_points(result: Result, dag_id: str, task_id: str) -> list[Point]:
    """The StatsD points of a check result, by its ``check`` kind (unknown kinds emit nothing)."""
    kind = CHECK_KINDS.get(str(result.get("check")))
    return kind.points(result, dag_id, task_id) if kind else []


def trend_values(result: Result) -> Trends:
    """The UI trend values of one result, by its ``check`` kind (unknown kinds chart nothing)."""
    kind = CHECK_KINDS.get(str(result.get("check")))
    return kind.trends(result) if kind else {}


# --- the built-in kinds ---------------------------------------------------------------------


def _drift_detected(result: Result, ids: Mapping[str, object]) -> list[Point]:
    return [("drift.detected", ids, 1)] if result.get("dataset_drift") is True else []


def _rule_deltas(result: Result) -> list[tuple[str, float]]:
    out = []
    for rule in result.get("rules") or []:
        if isinstance(rule, Mapping) and rule.get("metric") and (delta := number(rule.get("delta"))) is not None:
            out.append((str(rule["metric"]), delta))
    return out


def _comparison_points(result: Result, ids: Mapping[str, object]) -> list[Point]:
    model = result.get("model_name")
    if not model:
        log.warning("Model comparison result without model_name: no model metrics emitted")
        return []
    points: list[Point] = [
        ("model.metric_delta", {"model": model, "metric": metric}, delta) for metric, delta in _rule_deltas(result)
    ]
    if result.get("decision") == "reject":
        points.append(("model.rejection", {"model": model}, 1))
    return points


def _comparison_trends(result: Result) -> Trends:
    return {f"{metric} delta": (float(delta), None) for metric, delta in _rule_deltas(result)}


for _kind in (
    CheckKind(
        "data_quality",
        gauges=(
            Gauge("quality.success_percent", ("success_percent",), "success_percent", (0.0, 100.0)),
            Gauge("quality.unsuccessful_expectations", ("unsuccessful_expectations",)),
        ),
    ),
    CheckKind(
        "drift",
        gauges=(
            Gauge("drift.share", ("drift_share",), "drift_share", (0.0, 1.0)),
            Gauge("drift.drifted_columns", ("drifted_columns",)),
        ),
        extra=_drift_detected,
    ),
    CheckKind("model_comparison", extra=_comparison_points, extra_trends=_comparison_trends),
    CheckKind(
        "performance",
        model_gauges=(Gauge("model.performance_ratio", ("ratio", "@ratio"), "performance_ratio"),),
    ),
    CheckKind(
        "anomaly",
        gauges=(Gauge("anomaly.count", ("anomalies", "count", "anomaly_count", "#anomalies"), "anomalies"),),
    ),
):
    register_check_kind(_kind)
