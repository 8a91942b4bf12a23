"""The native drift report: every column and verdict, the options, escaping, size at 25 and 500 columns."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from airflow_mlmonitor.drift.engine import compute_column_drift
from airflow_mlmonitor.drift.report import OPEN_LIMIT, render_native_report
from airflow_mlmonitor.drift.result import build_drift_result
from airflow_mlmonitor.drift.types import DriftOptions


def frames(n_num: int, n_cat: int, rows: int = 3000) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, str]]:
    rng = np.random.default_rng(5)

    def frame(shift: float) -> pd.DataFrame:
        data = {f"num{i}": rng.normal(shift * (i % 2), 1, rows) for i in range(n_num)}
        data.update({f"cat{j}": rng.choice([f"v{k}" for k in range(3 + j % 20)], rows) for j in range(n_cat)})
        return pd.DataFrame(data)

    types = {**{f"num{i}": "numerical" for i in range(n_num)}, **{f"cat{j}": "categorical" for j in range(n_cat)}}
    return frame(0.0), frame(0.5), types


def page(n_num: int, n_cat: int, **options) -> tuple[str, list]:
    reference, current, types = frames(n_num, n_cat)
    drift_options = DriftOptions(**options)
    verdicts = compute_column_drift(reference, current, drift_options, types)
    result = build_drift_result(verdicts, drift_options, reference_rows=len(reference), current_rows=len(current))
    html = render_native_report(
        {**result.replace(status="warned").to_dict(), "on_failure": "warn"}, verdicts, drift_options,
        header={"DAG": "d", "task": "t", "run": "r1", "try": 1}, extra_options={"columns": None, "on_failure": "warn"},
    )
    return html, verdicts


def rows_of(html: str) -> dict[str, tuple[str, str, str]]:
    found = re.findall(r'<tr class="(drifted|stable)"><td><a href="#col-\d+">([^<]+)</a></td><td>\w+</td>'
                       r"<td>(\w+)</td><td class=\"num\">([^<]+)</td>", html)
    return {name: (kind, method, score) for kind, name, method, score in found}


def test_every_column_its_method_score_and_verdict_are_in_the_page():
    html, verdicts = page(20, 5)
    rows = rows_of(html)
    assert set(rows) == {v.name for v in verdicts}
    for v in verdicts:
        assert rows[v.name] == ("drifted" if v.drifted else "stable", v.method, f"{v.score:.4g}")
    assert html.count("<svg") == 25 and "warned" in html and "dataset drift" in html
    assert any(v.drifted for v in verdicts) and any(not v.drifted for v in verdicts)
    first_stable = html.index('<tr class="stable">')
    assert html.rindex('<tr class="drifted">') < first_stable  # drifted first
    assert "DAG <b>d</b>" in html and "try <b>1</b>" in html and "on_failure" in html


def test_the_page_is_self_contained_and_small_at_25_columns():
    html, _ = page(20, 5)
    assert len(html.encode()) < 1_000_000
    assert not re.search(r"(src|href)=\"(https?:)?//", html)  # no CDN, fonts or remote images
    assert "<script" not in html and "@import" not in html and "url(" not in html


def test_500_columns_stay_readable_folded_charts():
    html, verdicts = page(400, 100)
    assert len(rows_of(html)) == 500
    assert html.count("<details id=") == 500
    opened = html.count(" open>")
    assert 0 < opened <= OPEN_LIMIT  # only drifted columns open
    assert opened == min(OPEN_LIMIT, sum(v.drifted for v in verdicts)) and "folded" in html
    assert len(html.encode()) < 5_000_000


def test_values_are_escaped():
    reference = pd.DataFrame({"<b>x</b>": np.arange(100.0), "c": ["<script>"] * 50 + ["b"] * 50})
    types = {"<b>x</b>": "numerical", "c": "categorical"}
    verdicts = compute_column_drift(reference, reference, DriftOptions(), types)
    result = build_drift_result(verdicts, DriftOptions(), reference_rows=100, current_rows=100)
    html = render_native_report(result.to_dict(), verdicts, DriftOptions(), header={"task": "<i>"})
    assert "<script>" not in html and "<b>x</b>" not in html and "&lt;b&gt;x&lt;/b&gt;" in html


@pytest.mark.parametrize("value,shown", [(18.0, "18"), (0.05, "0.05"), ({"a": 0.1}, "a: 0.1")])
def test_options_are_shown_as_given(value, shown):
    from airflow_mlmonitor.drift.report import options_used

    assert ("x", shown) in options_used(DriftOptions(), {"x": value})
