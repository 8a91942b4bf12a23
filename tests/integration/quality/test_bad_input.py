"""Bad input reaches the user as one clear error from the operator's check, with the real GX library."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from airflow_mlmonitor.exceptions import InvalidInputError
from airflow_mlmonitor.operators.quality import DataQualityOperator

NOT_NULL = [{"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "income"}}]


def frame() -> pd.DataFrame:
    return pd.DataFrame({"income": [1.0, 2.0, None] * 400, "country": ["FR", "US", "DE"] * 400})


def check(**kwargs):
    return DataQualityOperator(task_id="validate", **kwargs).run_check({})  # type: ignore[arg-type]


def test_empty_frame():
    with pytest.raises(InvalidInputError, match=r"data: callable .*empty.* is empty \(0 rows x 2 columns\)"):
        check(data=lambda: frame().iloc[0:0], expectations=NOT_NULL)


def test_expectation_gx_cannot_evaluate_on_this_data():
    dates = [{"type": "expect_column_values_to_be_dateutil_parseable", "kwargs": {"column": "income"}}]
    with pytest.raises(InvalidInputError, match=r"could not evaluate 1 expectation\(s\).*"
                                                r"expect_column_values_to_be_dateutil_parseable on 'income': Values"):
        check(data=frame, expectations=dates)


@pytest.mark.parametrize("expectation", [
    {"type": "expect_column_values_to_be_between", "kwargs": {"column": "income", "min_value": 0, "max_value": 100}},
    {"type": "expect_column_mean_to_be_between", "kwargs": {"column": "income", "min_value": 0}},
])
def test_text_column_where_numbers_are_expected_names_column_dtype_values_and_fix(tmp_path, expectation):
    path = tmp_path / "batch.csv"
    path.write_text("income,age\n10,1\n20,2\noops,3\nabc,4\n")
    with pytest.raises(InvalidInputError) as caught:
        check(data=str(path), expectations=[expectation])
    message = str(caught.value)
    assert message.startswith(f"data ('{path}'): expectations[0] ({expectation['type']} on 'income') expects numbers")
    assert "column 'income' was read as " in message and "'oops', 'abc'" in message  # dtype as read, offenders
    assert "Fix: cast the column to numbers" in message


def test_bad_config_fails_before_the_data_is_loaded():
    def never():
        raise AssertionError("data loaded although the expectations are invalid")

    with pytest.raises(InvalidInputError, match=r"has no expectation type 'expect_nothing'"):
        check(data=never, expectations=[{"type": "expect_nothing", "kwargs": {}}])
    with pytest.raises(InvalidInputError, match=r"result_format must be one of"):
        check(data=never, expectations=NOT_NULL, result_format="EVERYTHING")


def test_complete_result_format_keeps_the_xcom_result_small():
    result, artifacts = check(data=frame, expectations=NOT_NULL, result_format="COMPLETE")
    assert result.details["failed_expectations"][0]["unexpected_count"] == 400
    assert len(result.to_json()) < 2000
    full = json.loads(artifacts["validation_result.json"])  # GX's complete result goes to the report store
    assert len(full["results"][0]["result"]["unexpected_index_list"]) == 400


def test_one_prepared_suite_validates_again_in_the_same_process():
    from airflow_mlmonitor.quality.check import prepare_suite, run_quality_check

    suite = prepare_suite(NOT_NULL, name="twice")
    first, _ = run_quality_check(frame(), suite)
    second, _ = run_quality_check(frame().dropna(), suite)  # GX binds expectations to a suite when saved
    assert (first.passed, second.passed) == (False, True)
