"""Interpreting GX's validation result JSON: verdict, metrics, failed expectations, messages.

The fixtures are real GX 1.24 results (1,000 customers: 2% null income, 4% ages out of range,
1% unknown countries), so these tests need neither GX nor Airflow.
"""

from __future__ import annotations

import json
import pathlib

import pytest

from airflow_mlmonitor.exceptions import InvalidInputError
from airflow_mlmonitor.quality.interpret import (
    evaluation_errors,
    failure_message,
    interpret_validation,
    summarize,
    to_check_result,
)

FIXTURES = pathlib.Path(__file__).parent / "fixtures"


@pytest.fixture
def failed_json() -> dict:
    return json.loads((FIXTURES / "validation_failed.json").read_text())


def test_metrics_follow_gx_statistics(failed_json):
    result = to_check_result(interpret_validation(failed_json, row_count=1000))
    assert result.check == "data_quality"
    assert result.passed is False
    assert result.metrics == {
        "success_percent": 20.0,
        "evaluated_expectations": 5,
        "successful_expectations": 1,
        "unsuccessful_expectations": 4,
        "row_count": 1000,
        "rows": 1000,
    }
    assert result.details["suite_name"] == "customers"


def test_failed_expectations_name_type_column_counts_and_percent(failed_json):
    failed = to_check_result(interpret_validation(failed_json)).to_dict()["failed_expectations"]
    by_type = {item["expectation_type"]: item for item in failed}
    assert set(by_type) == {
        "expect_column_values_to_not_be_null",
        "expect_column_values_to_be_between",
        "expect_column_values_to_be_in_set",
        "expect_column_mean_to_be_between",
    }
    nulls = by_type["expect_column_values_to_not_be_null"]
    assert (nulls["column"], nulls["unexpected_count"], nulls["unexpected_percent"]) == ("income", 20, 2.0)
    assert nulls["success_percent"] == 98.0 and nulls["mostly"] == 0.99
    assert nulls["sample_unexpected"] == [None]  # 20 NaNs collapse to one missing marker
    ages = by_type["expect_column_values_to_be_between"]
    assert (ages["column"], ages["unexpected_count"], ages["unexpected_percent"]) == ("age", 40, 4.0)
    assert ages["sample_unexpected"] == [95]
    assert ages["expected"] == "min_value=18.0, max_value=90.0"
    assert by_type["expect_column_values_to_be_in_set"]["sample_unexpected"] == ["ZZ"]
    mean = by_type["expect_column_mean_to_be_between"]  # aggregate: no per-row counts, an observed value
    assert mean["unexpected_count"] is None and mean["success_percent"] is None
    assert mean["observed_value"] == pytest.approx(53.78)  # GX's observed mean, unchanged
    assert all(item["column"] for item in failed)
    assert len(json.dumps(failed)) < 4000  # small enough for XCom whatever the data size


def test_summary_is_one_line_naming_the_failures(failed_json):
    summary = summarize(interpret_validation(failed_json, row_count=1000))
    assert "\n" not in summary
    assert summary.startswith("4 of 5 expectations failed (20.00% passed) on 1,000 rows (suite 'customers')")
    assert "expect_column_values_to_not_be_null(income) 98.00%" in summary
    assert summary.endswith("and 1 more.")


def test_failure_message_lists_every_failed_expectation_column_and_success_percent(failed_json):
    result = to_check_result(interpret_validation(failed_json)).replace(report_uri="file:///reports/x/report.html")
    message = failure_message(result, "validate_customers")
    lines = message.splitlines()
    assert lines[0] == (
        "validate_customers: data quality check failed: 4 of 5 expectations failed (success percent 20.00%)."
    )
    assert "expect_column_values_to_not_be_null on column 'income'" in message
    assert "98.00% success (20 unexpected, 2.00%), needs mostly 0.99 (99.00%)" in message
    assert "expect_column_values_to_be_between on column 'age' (min_value=18.0, max_value=90.0): 96.00% success" in message
    assert "expect_column_values_to_be_in_set on column 'country'" in message and "99.00% success" in message
    assert "expect_column_mean_to_be_between on column 'age'" in message and "observed" in message
    assert lines[-1] == "Report: file:///reports/x/report.html"
    assert len(lines) == 6


def test_passing_result(failed_json):
    failed_json["success"] = True
    failed_json["results"] = [r for r in failed_json["results"] if r["success"]]
    failed_json["statistics"] = {"evaluated_expectations": 1, "successful_expectations": 1,
                                 "unsuccessful_expectations": 0, "success_percent": 100.0}
    result = to_check_result(interpret_validation(failed_json, row_count=1000))
    assert result.passed and result.details["failed_expectations"] == []
    assert result.summary == "All 1 expectations passed on 1,000 rows (suite 'customers')."


def test_an_expectation_gx_could_not_evaluate_is_a_clear_error():
    data = json.loads((FIXTURES / "validation_error.json").read_text())
    assert evaluation_errors(data) == [
        "expect_column_values_to_be_between on 'country': Column values, min_value, and max_value must "
        "either be None or of the same type."
    ]
    with pytest.raises(InvalidInputError, match=r"could not evaluate 1 expectation\(s\).*'country'"):
        interpret_validation(data)


def test_gx_0x_style_results_are_read_too():
    data = {
        "success": False,
        "results": [{"success": False, "expectation_config": {"expectation_type": "expect_column_values_to_be_unique",
                                                              "kwargs": {"column": "id"}},
                     "result": {"unexpected_count": 3, "unexpected_percent": 0.3}, "exception_info": {}}],
        "statistics": {"evaluated_expectations": 1, "successful_expectations": 0,
                       "unsuccessful_expectations": 1, "success_percent": 0.0},
    }
    failed = to_check_result(interpret_validation(data)).details["failed_expectations"]
    assert failed[0]["expectation_type"] == "expect_column_values_to_be_unique"
    assert failed[0]["success_percent"] == pytest.approx(99.7)
