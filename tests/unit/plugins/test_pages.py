"""Trend charts and pages: what a user sees, and that stored text never becomes markup."""

from __future__ import annotations

import re

from airflow_mlmonitor.plugins import pages
from airflow_mlmonitor.plugins.charts import build_series, render_svg, trend_values
from airflow_mlmonitor.reports.keys import ReportKey

HOSTILE = '<script>alert("x")</script>'


def item(run: int, check: str = "drift", status: str = "passed", **extra):
    metrics = {"drift": {"drift_share": run / 10}, "data_quality": {"success_percent": 100 - run}}.get(check, {})
    return {
        "check": check, "status": status, "summary": f"run {run} {HOSTILE}", "metrics": metrics,
        "dag_id": "dag", "run_id": f"run_{run}", "task_id": "task", "map_index": -1, "try_number": 1, **extra,
    }


def test_trend_values_per_check():
    assert trend_values(item(3)) == {"drift_share": (0.3, (0.0, 1.0))}
    assert trend_values(item(3, "data_quality")) == {"success_percent": (97.0, (0.0, 100.0))}
    comparison = item(1, "model_comparison", rules=[{"metric": "auc", "delta": -0.02}, {"metric": "f1", "delta": None}])
    assert trend_values(comparison) == {"auc delta": (-0.02, None)}
    assert trend_values({"check": "drift", "metrics": {"drift_share": None}}) == {}


def test_series_are_oldest_first_per_task_and_metric():
    newest_first = [item(3, status="warned"), item(2), item(1), item(2, "data_quality")]
    series = build_series(newest_first, lambda i: f"/page/{i['run_id']}")
    by_metric = {s.metric: s for s in series}
    drift = by_metric["drift_share"]
    assert [p.value for p in drift.points] == [0.1, 0.2, 0.3]
    assert [p.status for p in drift.points] == ["passed", "passed", "warned"]
    assert drift.points[-1].href == "/page/run_3"
    assert [p.value for p in by_metric["success_percent"].points] == [98.0]


def test_svg_chart_has_one_linked_dot_per_run_and_escapes_ids():
    points = [item(r, dag_id=HOSTILE) for r in (3, 2, 1)]
    (series,) = build_series(points, lambda i: f'/p?run={i["run_id"]}&x="y"')
    svg = render_svg(series)
    assert svg.count("<circle") == 3 and svg.count("<a href=") == 3
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert 'href="/p?run=run_1&amp;x=&#34;y&#34;"' in svg  # quotes escaped (Jinja writes &#34;)
    # drift share is drawn on a fixed 0..1 axis: a higher share is a higher dot (smaller y)
    ys = [float(y) for y in re.findall(r'<circle cx="[\d.]+" cy="([\d.]+)"', svg)]
    assert ys[0] > ys[1] > ys[2]


def test_negative_deltas_get_a_zero_line():
    rules = lambda d: [{"metric": "auc", "delta": d}]  # noqa: E731
    items = [item(2, "model_comparison", rules=rules(-0.05)), item(1, "model_comparison", rules=rules(0.01))]
    (series,) = build_series(items, lambda i: "#")
    assert render_svg(series).count('class="grid"') == 2


def test_task_page_escapes_the_summary_and_links_every_try():
    key = ReportKey("dag", "manual__2024-01-01T00:00:00+00:00", "task", -1, 2)
    html = pages.task_page("/mlmonitor", key, item(1, status="failed"), [1, 2], has_report=True)
    assert HOSTILE not in html and "&lt;script&gt;" in html
    assert 'class="badge failed"' in html
    assert "/mlmonitor/ui/task/dag/manual__2024-01-01T00%3A00%3A00%2B00%3A00/task?map_index=-1&amp;try_number=1" in html
    assert re.search(r'<iframe class="report"[^>]*sandbox="allow-scripts"', html)
    assert "allow-same-origin" not in html
    assert "try_number=2" in re.search(r'src="([^"]+)"', html).group(1)
    without = pages.task_page("/mlmonitor", key, {}, [2], has_report=False)
    assert "<iframe" not in without and "no HTML report" in without


def test_results_page_lists_rows_and_charts():
    html = pages.results_page("/root/mlmonitor", [item(2), item(1)], ["dag"], {"dag_id": "dag", "check": None, "task_id": None})
    assert html.count("<tr>") == 3  # header and two rows
    assert html.count('<svg class="trend"') == 1
    assert '<option value="dag" selected>' in html
    assert "/root/mlmonitor/ui/task/dag/run_2/task?map_index=-1&amp;try_number=1" in html
    assert HOSTILE not in html
    empty = pages.results_page("/mlmonitor", [], [], {"dag_id": None, "check": "drift", "task_id": None})
    assert "No check results" in empty and "for these filters" in empty
