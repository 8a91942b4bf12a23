"""The native drift report: one self-contained HTML page from the full data. Airflow-free.

Rendered with Jinja2 (autoescaped) from ``templates/drift_report.html.j2``; no CDN, no fonts, no
JavaScript (the page is served under a sandbox CSP). It shows the dataset verdict and the drifted
share against ``drift_share``, a table of every column (drifted first), per column an inline SVG
of reference vs current computed from the full data (the engine's
:class:`~airflow_mlmonitor.drift.distribution.Distribution`), and the options used. Evidently is
not imported. Above :data:`OPEN_LIMIT` columns the per-column charts are collapsed (drifted ones
open), so the page stays readable at 500 columns.
"""

from __future__ import annotations

import dataclasses
import functools
import os
from collections.abc import Mapping, Sequence
from typing import Any

from airflow_mlmonitor.drift.distribution import Distribution
from airflow_mlmonitor.drift.types import ColumnDrift, DriftOptions

_TEMPLATES = os.path.join(os.path.dirname(__file__), "templates")
#: at most this many columns: every chart open; above: only drifted ones (up to this many)
OPEN_LIMIT = 30
WIDTH, HEIGHT = 320, 90


@functools.cache
def _env() -> Any:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(_TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@dataclasses.dataclass(frozen=True)
class Bar:
    x: float
    width: float
    reference: float  # heights in px
    current: float
    label: str
    title: str


@dataclasses.dataclass(frozen=True)
class Chart:
    """SVG geometry of one column's distribution (numbers only; the template draws it)."""

    kind: str
    bars: tuple[Bar, ...]
    reference_path: str  # histogram: step outline of each side
    current_path: str
    low: str
    high: str
    scale: str  # the largest share, as a percentage


def _step_path(shares: Sequence[float], top: float, width: float) -> str:
    step = width / len(shares)
    points = [f"M0,{HEIGHT}"]
    for i, share in enumerate(shares):
        y = HEIGHT - share / top * (HEIGHT - 4)
        points.append(f"L{i * step:.1f},{y:.1f}L{(i + 1) * step:.1f},{y:.1f}")
    points.append(f"L{width:.1f},{HEIGHT}Z")
    return "".join(points)


def chart(shape: Distribution) -> Chart:
    top = max([*shape.reference, *shape.current, 1e-12])
    if shape.kind == "histogram":
        return Chart("histogram", (), _step_path(shape.reference, top, WIDTH), _step_path(shape.current, top, WIDTH),
                     f"{shape.low:.4g}", f"{shape.high:.4g}", f"{top:.1%}")
    slot = WIDTH / max(1, len(shape.labels))
    bars = tuple(
        Bar(
            x=i * slot,
            width=max(1.0, slot / 2 - 1),
            reference=ref / top * (HEIGHT - 4),
            current=cur / top * (HEIGHT - 4),
            label=label if len(label) <= 10 else label[:9] + "…",
            title=f"{label}: reference {ref:.1%}, current {cur:.1%}",
        )
        for i, (label, ref, cur) in enumerate(zip(shape.labels, shape.reference, shape.current, strict=True))
    )
    return Chart("bars", bars, "", "", "", "", f"{top:.1%}")


def _row(verdict: ColumnDrift, open_chart: bool) -> dict[str, Any]:
    return {
        "name": verdict.name,
        "type": verdict.column_type,
        "method": verdict.method,
        "score": "n/a" if verdict.score is None else f"{verdict.score:.4g}",
        "threshold": f"{verdict.threshold:g}",
        "drifted": verdict.drifted,
        "chart": None if verdict.distribution is None else chart(verdict.distribution),
        "open": open_chart,
        "show_labels": verdict.distribution is not None and len(verdict.distribution.labels) <= 8,
    }


def options_used(options: DriftOptions, extra: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The options of the run as given (unset ones left out), then ``extra`` (columns, inputs...)."""
    rows = [
        (field.name, _show(getattr(options, field.name)))
        for field in dataclasses.fields(options)
        if getattr(options, field.name) is not None
    ]
    return rows + [(name, _show(value)) for name, value in extra.items() if value is not None]


def _show(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value)) if abs(value) >= 1 else f"{value:g}"
    if isinstance(value, Mapping):
        return ", ".join(f"{k}: {_show(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return ", ".join(map(str, value))
    return str(value)


def render_native_report(
    result: Mapping[str, Any],
    verdicts: Sequence[ColumnDrift],
    options: DriftOptions,
    *,
    header: Mapping[str, Any] | None = None,
    extra_options: Mapping[str, Any] | None = None,
    notes: Sequence[str] = (),
) -> str:
    """The report page for one drift check.

    :param result: the check result dict (``status``, ``passed``, ``summary``, ``metrics``...).
    :param verdicts: the engine's verdicts, with their distributions.
    :param header: DAG, task, run and try of the check (shown in the header when given).
    :param extra_options: more "options used" rows (columns, reference, current...).
    """
    ordered = sorted(verdicts, key=lambda v: not v.drifted)  # drifted first, stable otherwise
    many = len(ordered) > OPEN_LIMIT
    rows = [_row(v, open_chart=(not many) or (v.drifted and i < OPEN_LIMIT)) for i, v in enumerate(ordered)]
    metrics = result.get("metrics", {})
    return str(
        _env().get_template("drift_report.html.j2").render(
            result=result,
            metrics=metrics,
            rows=rows,
            many=many,
            header=dict(header or {}),
            options=options_used(options, extra_options or {}),
            ignored=result.get("ignored_columns", []),
            notes=list(notes),
            width=WIDTH,
            height=HEIGHT,
        )
    )
