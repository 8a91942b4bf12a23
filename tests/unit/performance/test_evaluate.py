from __future__ import annotations

import math

import pytest

from airflow_mlmonitor.anomaly.series import Series
from airflow_mlmonitor.exceptions import InvalidInputError
from airflow_mlmonitor.performance.evaluate import (
    PerformanceRule,
    evaluate,
    parse_baseline,
    validate_on_insufficient,
)

SUBJECT = {"model": "churn", "version": "3", "alias": "champion", "metric": "accuracy", "baseline_source": "given"}


def _series(values: list[float]) -> Series:
    return Series(tuple(range(len(values))), tuple(values))


def test_the_last_window_values_are_averaged_against_the_baseline():
    result = evaluate(_series([0.1, 0.9, 0.8, 0.7]), baseline=1.0, rule=PerformanceRule(window=3, min_ratio=0.75), subject=SUBJECT)
    assert result.details["values"] == [0.9, 0.8, 0.7]
    assert math.isclose(result.metrics["ratio"], 0.8) and result.passed
    assert result.details["model"] == "churn" and result.details["metric"] == "accuracy"


@pytest.mark.parametrize(("average", "passed"), [(0.72, True), (0.7199999, False), (0.81, True)])
def test_boundary_average_exactly_at_the_ratio_passes(average, passed):
    result = evaluate(_series([average] * 5), baseline=0.8, rule=PerformanceRule(), subject=SUBJECT)
    assert result.passed is passed


def test_lower_is_better_mirrors_the_ratio():
    rule = PerformanceRule(window=2, greater_is_better=False)
    assert evaluate(_series([0.3 / 0.9] * 2), baseline=0.3, rule=rule, subject=SUBJECT).passed
    worse = evaluate(_series([0.4, 0.4]), baseline=0.3, rule=rule, subject=SUBJECT)
    assert not worse.passed and math.isclose(worse.details["ratio"], 0.75)


def test_fewer_values_than_the_window_is_insufficient_not_a_pass():
    result = evaluate(_series([0.99]), baseline=0.8, rule=PerformanceRule(window=5), subject=SUBJECT)
    assert result.passed is False and result.details["insufficient"] is True
    assert result.summary.startswith("only 1 of 5 live values of accuracy of churn v3")
    empty = evaluate(_series([]), baseline=0.8, rule=PerformanceRule(), subject=SUBJECT)
    assert empty.details["insufficient"] and empty.metrics["ratio"] is None


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"window": 0}, "window must be an integer >= 1"), ({"window": 2.5}, "window"),
     ({"min_ratio": 0}, "min_ratio must be a number > 0"), ({"min_ratio": -1}, "min_ratio"),
     ({"greater_is_better": "yes"}, "greater_is_better")],
)
def test_bad_rule_options_name_the_parameter(kwargs, match):
    with pytest.raises(InvalidInputError, match=match):
        PerformanceRule(**kwargs)


def test_baseline_and_policy_parsing():
    assert parse_baseline("training") is None and parse_baseline("0.8") == 0.8 and parse_baseline(2) == 2.0
    for bad in (0, -1, "nan", True, None, "best"):
        with pytest.raises(InvalidInputError, match="baseline"):
            parse_baseline(bad)
    with pytest.raises(InvalidInputError, match="on_insufficient must be one of"):
        validate_on_insufficient("ignore")


def test_nan_in_the_window_is_an_error():
    with pytest.raises(InvalidInputError, match="metric: 1 missing, NaN"):
        evaluate(_series([0.8, float("nan")]), baseline=0.8, rule=PerformanceRule(window=2), subject=SUBJECT)


def test_operator_validates_literal_options_when_the_dag_is_parsed():
    from airflow_mlmonitor.operators.performance import ModelPerformanceOperator

    with pytest.raises(InvalidInputError, match="window"):
        ModelPerformanceOperator(task_id="p", model_name="m", metric="accuracy", window=0)
    with pytest.raises(InvalidInputError, match="on_insufficient"):
        ModelPerformanceOperator(task_id="p", model_name="m", metric="accuracy", on_insufficient="pass")
    op = ModelPerformanceOperator(task_id="p", model_name="m", metric="accuracy")
    assert op.on_failure == "fail" and op.on_insufficient == "warn" and "baseline" in op.template_fields
