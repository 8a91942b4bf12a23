"""Trend charts of check results over runs, as small inline SVG (no JavaScript, no library).

One chart per task and metric, as each check kind registers its series in
:mod:`airflow_mlmonitor.telemetry.kinds` (drift share, data-quality success percent,
model-comparison metric deltas, performance ratio, anomaly count). Each point is coloured by the result's status and links to that run's report.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from airflow_mlmonitor.telemetry import kinds

WIDTH, HEIGHT = 360, 120
_PAD_LEFT, _PAD_RIGHT, _PAD_TOP, _PAD_BOTTOM = 34, 8, 8, 18
STATUS_COLOURS = {"passed": "#2e7d32", "warned": "#ed6c02", "failed": "#c62828"}


@dataclasses.dataclass(frozen=True)
class Point:
    value: float
    label: str
    status: str
    href: str


@dataclasses.dataclass(frozen=True)
class Series:
    """One metric of one task over runs, oldest first."""

    dag_id: str
    task_id: str
    metric: str
    points: tuple[Point, ...]
    y_range: tuple[float, float] | None = None  # fixed axis (shares, percents); None = from data


def trend_values(result: Mapping[str, Any]) -> dict[str, tuple[float, tuple[float, float] | None]]:
    """The values worth a trend for one result: ``{metric: (value, fixed y range or None)}``, as
    the result's check kind registers them (:mod:`airflow_mlmonitor.telemetry.kinds`)."""
    return kinds.trend_values(result)


def build_series(items: Iterable[Mapping[str, Any]], href: Any) -> list[Series]:
    """Group results (newest first, as the results API returns them) into per-task series."""
    grouped: dict[tuple[str, str, str], list[Point]] = {}
    ranges: dict[tuple[str, str, str], tuple[float, float] | None] = {}
    for item in reversed(list(items)):
        for metric, (value, y_range) in trend_values(item).items():
            key = (str(item["dag_id"]), str(item["task_id"]), metric)
            label = f"{item['run_id']}: {value:.4g} ({item.get('status')})"
            grouped.setdefault(key, []).append(Point(value, label, str(item.get("status")), href(item)))
            ranges[key] = y_range
    return [Series(d, t, m, tuple(points), ranges[(d, t, m)]) for (d, t, m), points in sorted(grouped.items())]


def _bounds(values: Sequence[float], y_range: tuple[float, float] | None) -> tuple[float, float]:
    if y_range is not None:
        return y_range
    low, high = min([*values, 0.0]), max([*values, 0.0])
    return (low, high) if high > low else (low - 1.0, high + 1.0)


def _runs(count: int) -> str:
    return "1 run" if count == 1 else f"{count} runs"


def render_svg(series: Series) -> str:
    """An accessible SVG line chart of ``series`` (title, axis bounds, one linked dot per run), from
    the Jinja2 template ``trend.svg`` (autoescaped): this function computes only the geometry."""
    from airflow_mlmonitor import html

    values = [p.value for p in series.points]
    low, high = _bounds(values, series.y_range)
    plot_w, plot_h = WIDTH - _PAD_LEFT - _PAD_RIGHT, HEIGHT - _PAD_TOP - _PAD_BOTTOM
    step = plot_w / max(len(values) - 1, 1)

    def xy(i: int, v: float) -> tuple[float, float]:
        y = _PAD_TOP + plot_h * (1 - (min(max(v, low), high) - low) / (high - low))
        return round(_PAD_LEFT + i * step, 1), round(y, 1)

    coords = [xy(i, v) for i, v in enumerate(values)]
    points = [
        {"x": x, "y": y, "href": p.href, "label": p.label, "colour": STATUS_COLOURS.get(p.status, "#555")}
        for (x, y), p in zip(coords, series.points, strict=True)
    ]
    return html.render(
        "airflow_mlmonitor.plugins", "trend.svg",
        title=f"{series.dag_id}.{series.task_id}: {series.metric}",
        width=WIDTH, height=HEIGHT, left=_PAD_LEFT, right=WIDTH - _PAD_RIGHT,
        top_label_y=_PAD_TOP + 8, bottom_y=HEIGHT - _PAD_BOTTOM, low=low, high=high,
        zero_y=xy(0, 0.0)[1] if low < 0 < high else None,
        polyline=" ".join(f"{x},{y}" for x, y in coords), points=points, runs=_runs(len(values)),
    ).strip()
