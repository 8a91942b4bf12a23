"""Strict options: one layer for every check operator, after rendering, before any work."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest

from airflow_mlmonitor.exceptions import InvalidInputError
from airflow_mlmonitor.operators.drift import DriftReportOperator
from airflow_mlmonitor.operators.quality import DataQualityOperator
from airflow_mlmonitor.options import Choice, ColumnMap, Finite, Number, check_columns, check_options

FRAME = pd.DataFrame({"age": [float(i % 50) for i in range(200)], "plan": ["a", "b"] * 100})


def test_numbers_are_converted_from_templates_and_must_be_finite_and_in_range():
    share = Number("drift_share", 0.0, 1.0, required=True, meaning="a share of columns")
    assert share.check("0.25", "op") == 0.25
    for bad in (float("nan"), "nan", float("inf"), "-inf"):
        with pytest.raises(InvalidInputError, match=r"op: drift_share must be a finite number \(a share of columns\)"):
            share.check(bad, "op")
    with pytest.raises(InvalidInputError, match=r"drift_share must be >= 0 and <= 1 \(a share of columns\), got 1.5"):
        share.check(1.5, "op")
    with pytest.raises(InvalidInputError, match="drift_share is required"):
        share.check(None, "op")
    with pytest.raises(InvalidInputError, match="must be a number"):
        share.check(True, "op")
    assert Number("n", 1, integer=True).check("3", "op") == 3
    with pytest.raises(InvalidInputError, match="n must be a whole number"):
        Number("n", 1, integer=True).check(2.5, "op")
    assert Number("t", 0.0, exclusive_minimum=True).check("", "op") is None  # optional, unset
    with pytest.raises(InvalidInputError, match="t must be > 0"):
        Number("t", 0.0, exclusive_minimum=True).check(0, "op")


def test_choices_suggest_the_closest():
    with pytest.raises(InvalidInputError, match=r"on_failure must be one of 'fail', 'warn', 'skip', got 'wran'. Did you mean 'warn'\?"):
        Choice("on_failure", ("fail", "warn", "skip")).check("wran", "op")


def test_column_maps_check_values_and_keys():
    spec = (ColumnMap("per_column_threshold", Number("threshold", 0.0, exclusive_minimum=True)),)
    values = check_options(spec, {"per_column_threshold": {"age": "0.1"}}, where="op")
    assert values == {"per_column_threshold": {"age": 0.1}}
    with pytest.raises(InvalidInputError, match=r"per_column_threshold\['age'\] must be a finite number"):
        check_options(spec, {"per_column_threshold": {"age": math.nan}}, where="op")
    with pytest.raises(InvalidInputError, match=r"op: per_column_threshold names column\(s\) 'agee', 'zip' .*Did you mean 'age'\?"):
        check_columns(spec, {"per_column_threshold": {"agee": 0.1, "zip": 0.2, "age": 0.1}}, ["age", "plan"], where="op")


def test_finite_walks_nested_options():
    with pytest.raises(InvalidInputError, match=r"expectations\[0\]\['kwargs'\]\['max_value'\] is nan"):
        Finite("expectations").check([{"kwargs": {"min_value": 0, "max_value": math.nan}}], "op")


def drift(**options):
    op = DriftReportOperator(task_id="drift", reference=lambda: FRAME, current=lambda: FRAME, **options)
    op.check_options()
    return op


@pytest.mark.parametrize("threshold", [float("nan"), "nan", -0.1, 0, float("inf")])
def test_drift_threshold_nan_or_not_positive_is_an_error(threshold):
    """Issue 22 defect 6: NaN silently disabled detection, a negative threshold flagged every column."""
    for name in ("threshold", "num_threshold", "cat_threshold"):
        with pytest.raises(InvalidInputError, match=rf"DriftReportOperator 'drift': {name} must be"):
            drift(**{name: threshold})
    with pytest.raises(InvalidInputError, match=r"per_column_threshold\['age'\] must be"):
        drift(per_column_threshold={"age": threshold})


def test_drift_templated_numbers_arrive_converted_and_the_result_is_json():
    op = drift(threshold="0.05", drift_share="0.5")
    assert (op.threshold, op.drift_share) == (0.05, 0.5)
    result, _ = op.run_check({})
    json.dumps(result.to_dict(), allow_nan=False)  # NaN never reaches JSON


@pytest.mark.parametrize("option", ["per_column_method", "per_column_threshold"])
def test_drift_per_column_maps_naming_unknown_columns_are_an_error(option):
    value = {"agee": "psi"} if option == "per_column_method" else {"agee": 0.1}
    op = drift(**{option: value})
    with pytest.raises(InvalidInputError, match=rf"{option} names column\(s\) 'agee' .*Did you mean 'age'\?"):
        op.run_check({})


def test_quality_nan_in_an_expectation_is_an_error_before_data_loads():
    op = DataQualityOperator(task_id="gate", data=lambda: FRAME, expectations=[
        {"type": "expect_column_values_to_be_between", "kwargs": {"column": "age", "min_value": math.nan}}])
    with pytest.raises(InvalidInputError, match=r"DataQualityOperator 'gate': expectations\[0\]\['kwargs'\]\['min_value'\] is nan"):
        op.check_options()


def test_literal_options_fail_at_parse_time_naming_the_option():
    with pytest.raises(InvalidInputError, match=r"DataQualityOperator: on_failure must be one of .*got 'fial'. Did you mean 'fail'\?"):
        DataQualityOperator(task_id="gate", data="x.csv", expectations=[], on_failure="fial")
    with pytest.raises(InvalidInputError, match="DriftReportOperator: on_failure must be one of"):
        DriftReportOperator(task_id="drift", reference="a.csv", current="b.csv", on_failure="ignore")
    with pytest.raises(InvalidInputError, match="retry_on_failure must be True or False"):
        DataQualityOperator(task_id="gate", data="x.csv", expectations=[], retry_on_failure="yes")


def test_check_operator_signatures_name_the_shared_options():
    import inspect

    params = inspect.signature(DataQualityOperator.__init__).parameters
    assert {"on_failure", "statsd_conn_id", "retry_on_failure", "data_conn_id", "data_docs"} <= set(params)
