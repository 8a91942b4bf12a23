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


def test_report_shows_the_outcome_after_policy_the_raw_verdict_and_the_run():
    outcome = interpret_validation(json.loads((FIXTURES / "validation_failed.json").read_text()), row_count=1000)
    header = {"dag_id": "churn", "task_id": "validate", "run_id": "manual__1", "map_index": -1, "try_number": 2}
    warned = render_report(outcome, header={**header, "on_failure": "warn"})
    assert "<title>Data quality: customers (Warned)</title>" in warned
    assert "data-status='warned'" in warned and ">Failed</span></h1>" not in warned
    assert "Raw verdict: failed" in warned and "on_failure=&#39;warn&#39;: the task succeeded with a warning" in warned
    for label, value in (("DAG", "churn"), ("Task", "validate"), ("Run", "manual__1"), ("Try", "2")):
        assert f"<dt>{label}</dt><dd>{value}</dd>" in warned
    skipped = render_report(outcome, header={**header, "on_failure": "skip"})
    assert "Failed (skipped)" in skipped and "the task was skipped" in skipped
    failed = render_report(outcome, header={**header, "on_failure": "fail"})
    assert "data-status='failed'" in failed and "the task failed" in failed


def test_arguments_are_shown_as_given():
    from airflow_mlmonitor.html import as_given

    assert as_given({"min_value": 18.0, "max_value": 90.5, "n": [1.0, 2]}) == '{"min_value": 18, "max_value": 90.5, "n": [1, 2]}'
    outcome = QualityOutcome(
        success=False, suite_name="s", evaluated_expectations=1, successful_expectations=0,
        unsuccessful_expectations=1, success_percent=0.0,
        expectations=(ExpectationOutcome(
            expectation_type="expect_column_values_to_be_between", column="age",
            kwargs={"column": "age", "min_value": 18.0, "max_value": 90.0}, success=False),),
    )
    html = render_report(outcome)
    assert "{&#34;min_value&#34;: 18, &#34;max_value&#34;: 90}" in html
