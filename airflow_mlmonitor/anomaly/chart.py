"""Geometry of an inline SVG line chart and the Jinja2 environment of the report pages. Airflow-free.

Numbers are computed here; the templates (autoescaped) only place them, so no HTML is built by
string concatenation.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import os
from collections.abc import Sequence
from typing import Any

WIDTH, HEIGHT, PAD = 760, 240, 36


@dataclasses.dataclass(frozen=True)
class Mark:
    x: float
    y: float
    label: str


@dataclasses.dataclass(frozen=True)
class Chart:
    width: int
    height: int
    polyline: str
    marks: tuple[Mark, ...]
    y_ticks: tuple[tuple[float, str], ...]
    x_labels: tuple[tuple[float, str], ...]
    baseline_y: float | None = None
    baseline_label: str = ""


def _fmt(value: float) -> str:
    return f"{value:.4g}"


def line_chart(
    values: Sequence[float],
    labels: Sequence[Any],
    *,
    marked: Sequence[int] = (),
    baseline: float | None = None,
    baseline_label: str = "baseline",
) -> Chart:
    """A chart of ``values`` (x = position, labelled by ``labels``) with points ``marked`` circled."""
    finite = [v for v in values if math.isfinite(v)] + ([baseline] if baseline is not None else [])
    low, high = (min(finite), max(finite)) if finite else (0.0, 1.0)
    if high == low:
        low, high = low - 1, high + 1
    n = len(values)

    def x(i: int) -> float:
        return PAD + (WIDTH - 2 * PAD) * (i / (n - 1) if n > 1 else 0.5)

    def y(v: float) -> float:
        return HEIGHT - PAD - (HEIGHT - 2 * PAD) * (v - low) / (high - low)

    points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values) if math.isfinite(v))
    marks = tuple(Mark(round(x(i), 1), round(y(values[i]), 1), f"{labels[i]}: {_fmt(values[i])}") for i in marked)
    ticks = tuple((round(y(v), 1), _fmt(v)) for v in (low, (low + high) / 2, high))
    step = max(n // 4, 1)
    x_labels = tuple((round(x(i), 1), str(labels[i])[:19]) for i in range(0, n, step)) if n else ()
    return Chart(
        WIDTH, HEIGHT, points, marks, ticks, x_labels,
        round(y(baseline), 1) if baseline is not None else None, f"{baseline_label} {_fmt(baseline)}" if baseline is not None else "",
    )


@functools.lru_cache(maxsize=1)
def environment() -> Any:
    import jinja2

    folder = os.path.join(os.path.dirname(__file__), "templates")
    return jinja2.Environment(loader=jinja2.FileSystemLoader(folder), autoescape=True, undefined=jinja2.StrictUndefined)


def render(template: str, **context: Any) -> str:
    return str(environment().get_template(template).render(**context))
