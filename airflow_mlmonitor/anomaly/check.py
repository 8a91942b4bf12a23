"""The ``anomaly`` check result of a series, and its report page. Airflow-free."""

from __future__ import annotations

from typing import Any

from airflow_mlmonitor.anomaly.detect import Detection, get_method, validate_options
from airflow_mlmonitor.anomaly.series import Series, check_finite
from airflow_mlmonitor.results import CheckResult

#: Anomalies listed in the result (the count is always exact); the report lists them all.
MAX_ANOMALIES = 100
#: Points drawn in the report chart (every anomaly is always drawn).
MAX_CHART_POINTS = 2000


def detect_anomalies(
    series: Series,
    *,
    metric: str,
    method: str = "isolation_forest",
    threshold: float | None = None,
    contamination: float | None = None,
    seed: int = 0,
    max_anomalies: int = MAX_ANOMALIES,
    source: str = "",
) -> tuple[CheckResult, Detection | None]:
    """The raw result (passed = no anomaly) and the per-point detection (None when too few points).

    Result keys: ``metric``, ``method``, ``threshold``, ``contamination``, ``rule``, ``source``,
    ``points``, ``anomaly_count`` (exact), ``anomalies`` (``[{"timestamp", "value", "score"}]``
    sorted by time, at most ``max_anomalies``), ``anomalies_truncated``, ``insufficient``;
    ``metrics``: ``anomalies`` (count), ``points``, ``anomaly_share``, ``max_score``.
    """
    strategy = get_method(method)
    limit = validate_options(strategy, threshold, contamination)
    check_finite(series.values, param="metric", where=f"the values of {metric!r}")
    base = {"metric": metric, "method": method, "threshold": limit, "contamination": contamination, "source": source,
            "points": len(series)}
    if len(series) < strategy.min_points:
        summary = f"only {len(series)} value(s) of {metric}: method {method!r} needs at least {strategy.min_points}"
        details = {**base, "rule": "", "anomaly_count": 0, "anomalies": [], "anomalies_truncated": False,
                   "insufficient": True}
        return CheckResult("anomaly", False, summary, {"anomalies": 0, "points": len(series)}, details=details), None
    detection = strategy.detect(series.values, threshold=limit, contamination=contamination, seed=seed)
    found = detection.indices  # already in time order: the series is sorted by time
    anomalies = [
        {"timestamp": series.timestamps[i], "value": series.values[i], "score": round(detection.scores[i], 6)}
        for i in found[:max_anomalies]
    ]
    count = len(found)
    summary = (
        f"{count} anomal{'y' if count == 1 else 'ies'} in {len(series)} values of {metric} ({method}: {detection.rule})"
        if count else f"no anomaly in {len(series)} values of {metric} ({method}: {detection.rule})"
    )
    metrics = {"anomalies": count, "points": len(series), "anomaly_share": count / len(series),
               "max_score": max(detection.scores)}
    details = {**base, "rule": detection.rule, "anomaly_count": count, "anomalies": anomalies,
               "anomalies_truncated": count > len(anomalies), "insufficient": False}
    return CheckResult("anomaly", count == 0, summary, metrics, details=details), detection


def _chart_indices(n: int, marked: list[int]) -> list[int]:
    if n <= MAX_CHART_POINTS:
        return list(range(n))
    stride = -(-n // MAX_CHART_POINTS)
    return sorted(set(range(0, n, stride)) | set(marked))


def render_report(result: CheckResult, series: Series, detection: Detection | None, status: str) -> str:
    """Self-contained HTML: the series as inline SVG with the anomalies circled, and their table."""
    from airflow_mlmonitor.anomaly.chart import line_chart, render

    marked = detection.indices if detection else []
    keep = _chart_indices(len(series), marked)
    position = {index: i for i, index in enumerate(keep)}
    chart = line_chart(
        [series.values[i] for i in keep], [series.timestamps[i] for i in keep], marked=[position[i] for i in marked]
    )
    rows: list[dict[str, Any]] = [
        {"timestamp": series.timestamps[i], "value": series.values[i], "score": detection.scores[i]}
        for i in marked[:1000]
    ] if detection else []
    d = result.details
    detail = d.get("rule") or "not run"
    return render(
        "anomaly.html", chart=chart, status=status, summary=result.summary, metric=d.get("metric"),
        source=d.get("source"), method=d.get("method"), method_detail=detail, points=len(series),
        count=d.get("anomaly_count", 0), shown=len(rows), anomalies=rows,
    )
