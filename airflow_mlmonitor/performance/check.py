"""Run the performance check from MLflow live runs or a frame; render its report. Airflow-free."""

from __future__ import annotations

from typing import Any

from airflow_mlmonitor.anomaly.series import Series, series_from_frame
from airflow_mlmonitor.exceptions import InvalidInputError
from airflow_mlmonitor.performance.evaluate import PerformanceRule, evaluate, parse_baseline
from airflow_mlmonitor.results import CheckResult


def _num(value: Any) -> str:
    return "n/a" if value is None else f"{value:.4g}"


def render_report(result: CheckResult, status: str) -> str:
    from airflow_mlmonitor.anomaly.chart import line_chart, render

    d = result.details
    values = list(d.get("values") or [])
    chart = line_chart(values, list(d.get("timestamps") or []), baseline=d.get("baseline"), baseline_label="baseline")
    return render(
        "performance.html", chart=chart if values else None, status=status, summary=result.summary,
        metric=d.get("metric"), model=d.get("model"), version=d.get("version"), window=d.get("window"),
        average=_num(d.get("average")), baseline=_num(d.get("baseline")), baseline_source=d.get("baseline_source"),
        ratio=_num(d.get("ratio")), min_ratio=d.get("min_ratio"), greater_is_better=d.get("greater_is_better"),
        source=d.get("source"),
    )


def run_performance_check(
    client: Any,
    *,
    model_name: str,
    alias: str,
    metric: str,
    baseline: Any,
    rule: PerformanceRule,
    frame: Any = None,
    time_column: str = "timestamp",
    data_name: str | None = None,
) -> CheckResult:
    """The result, raw (before the ``on_failure`` policy).

    With ``frame`` the values come from its ``metric`` column ordered by ``time_column``; otherwise
    from the MLflow live runs of the version ``alias`` points to (``client`` is an ``MlflowClient``,
    needed also for ``baseline="training"``).
    """
    from airflow_mlmonitor.performance.live import live_series, resolve_version, training_baseline

    if not metric or not isinstance(metric, str):
        raise InvalidInputError(f"metric: give the name of the live metric, got {metric!r}")
    number = parse_baseline(baseline)
    version = resolve_version(client, model_name, alias) if client is not None else None
    if frame is not None:
        series: Series = series_from_frame(frame, metric, time_column, where=f"data ({data_name})").tail(rule.window)
        source = f"data {data_name}"
    else:
        assert version is not None
        series = live_series(client, version, metric, rule.window)
        source = f"MLflow runs tagged mlmonitor.monitors={version.tag_value}"
    if number is None:
        assert version is not None
        number = training_baseline(client, version, metric)
    subject = {
        "model": model_name,
        "version": version.version if version else None,
        "alias": alias,
        "metric": metric,
        "baseline_source": "training" if parse_baseline(baseline) is None else "given",
        "source": source,
    }
    return evaluate(series, baseline=number, rule=rule, subject=subject)
