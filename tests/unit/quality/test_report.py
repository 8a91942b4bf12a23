"""The HTML report: readable, self-contained, every value escaped."""

from __future__ import annotations

import json
import pathlib
import re

from airflow_mlmonitor.quality.interpret import interpret_validation
from airflow_mlmonitor.quality.report import render_data_docs, render_report
from airflow_mlmonitor.quality.types import ExpectationOutcome, QualityOutcome

FIXTURES = pathlib.Path(__file__).parent / "fixtures"


def test_report_shows_the_verdict_numbers_and_failed_expectations_first():
    outcome = interpret_validation(json.loads((FIXTURES / "validation_failed.json").read_text()), row_count=1000)
    html = render_report(outcome, data_name="'customers.parquet'")
    assert "<title>Data quality: customers (Failed)</title>" in html
    assert "Suite <b>customers</b> on <b>&#39;customers.parquet&#39;</b>" in html
    assert "<b>20.00%</b>" in html and "<b>1,000</b>" in html
    rows = re.findall(r"<tr class='(passed|failed)'>", html)
    assert rows == ["failed"] * 4 + ["passed"]
    assert "40 (4.00%)" in html  # unexpected ages


def test_report_is_self_contained():
    outcome = interpret_validation(json.loads((FIXTURES / "validation_failed.json").read_text()))
    html = render_report(outcome)
    assert "<script" not in html
    assert not re.search(r"""(src|href)\s*=|@import|url\(""", html)


def test_every_value_is_escaped():
    evil = "<img src=x onerror=alert(1)>"
    outcome = QualityOutcome(
        success=False, suite_name=evil, evaluated_expectations=1, successful_expectations=0,
        unsuccessful_expectations=1, success_percent=0.0,
        expectations=(ExpectationOutcome(
            expectation_type="expect_column_values_to_be_in_set", column=evil,
            kwargs={"column": evil, "value_set": [evil]}, success=False, unexpected_count=1,
            unexpected_percent=100.0, observed_value=evil, sample_unexpected=(evil, "</td></tr></table>"),
        ),),
    )
    html = render_report(outcome, data_name=evil)
    assert "<img" not in html and "</td></tr></table>\"" not in html
    assert html.count("&lt;img src=x onerror=alert(1)&gt;") >= 4


def test_gx_data_docs_render_offline_from_the_result_json():
    data = json.loads((FIXTURES / "validation_failed.json").read_text())
    html = render_data_docs(data)
    assert html is not None and "expect_column_values_to_be_between" not in html  # GX renders prose
    assert "customers" in html and "Validation" in html


def test_data_docs_rendering_problems_never_fail_the_check():
    assert render_data_docs({"results": "not a list"}) is None
