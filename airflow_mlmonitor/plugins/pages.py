"""HTML of the "ML Monitor" task tab and nav page (Jinja templates, autoescaped, no JavaScript)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote, urlencode

from airflow_mlmonitor import html
from airflow_mlmonitor.plugins.charts import build_series, render_svg
from airflow_mlmonitor.reports.keys import ReportKey
from airflow_mlmonitor.results import CHECK_KINDS

_STATUSES = {"passed", "warned", "failed"}


def render(template: str, **values: Any) -> str:
    return html.render("airflow_mlmonitor.plugins", template, **values)


def status_class(status: Any) -> str:
    return status if status in _STATUSES else "unknown"


def task_page_path(root: str, dag_id: str, run_id: str, task_id: str, map_index: int, try_number: int | None) -> str:
    """The tab page of one task instance (and try), below the plugin mount ``root``."""
    query: dict[str, int] = {"map_index": map_index}
    if try_number is not None:
        query["try_number"] = try_number
    ids = "/".join(quote(s, safe="") for s in (dag_id, run_id, task_id))
    return f"{root}/ui/task/{ids}?{urlencode(query)}"


def report_src(root: str, key: ReportKey) -> str:
    ids = "/".join(quote(s, safe="") for s in (key.dag_id, key.run_id, key.task_id))
    return f"{root}/reports/{ids}?" + urlencode({"map_index": key.map_index, "try_number": key.try_number})


def task_page(root: str, key: ReportKey, result: Mapping[str, Any], tries: Sequence[int], has_report: bool) -> str:
    links = [
        (n, task_page_path(root, key.dag_id, key.run_id, key.task_id, key.map_index, n)) for n in tries
    ]
    return render(
        "task.html",
        key=key,
        result=result,
        status_class=status_class(result.get("status")),
        tries=links,
        report_src=report_src(root, key) if has_report else None,
    )


def results_page(
    root: str, items: Sequence[Mapping[str, Any]], dag_ids: Sequence[str], filters: Mapping[str, Any]
) -> str:
    from markupsafe import Markup

    def page(item: Mapping[str, Any]) -> str:
        return task_page_path(
            root, item["dag_id"], item["run_id"], item["task_id"], item["map_index"], item["try_number"]
        )

    charts = [
        (f"{s.dag_id} / {s.task_id}: {s.metric}", Markup(render_svg(s)))  # render_svg escapes every text
        for s in build_series(items, page)
    ]
    blank = {"check": "", "status": "", "summary": "", "finished_at": None}
    rows = [
        {**blank, **item, "page": page(item), "status_class": status_class(item.get("status")),
         "finished": _short_time(item.get("finished_at"))}
        for item in items
    ]
    return render(
        "results.html", items=rows, charts=charts, dag_ids=dag_ids, checks=CHECK_KINDS, filters=filters
    )


def _short_time(iso: Any) -> str:
    """``2024-01-01T10:00:00.123456+00:00`` -> ``2024-01-01 10:00:00`` (the API keeps the full value)."""
    return str(iso)[:19].replace("T", " ") if iso else ""


def message_page(heading: str, message: str) -> str:
    return render("message.html", heading=heading, message=message)
