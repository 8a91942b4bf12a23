"""Comparison verdicts equal MLflow's own MetricThreshold validator, boundaries included."""

from __future__ import annotations

import itertools
import math

import pytest

from airflow_mlmonitor.exceptions import InvalidInputError
from airflow_mlmonitor.registry.compare import Rule, compare, evaluate_rule, parse_rules
from airflow_mlmonitor.registry.errors import MetricMissingError


def mlflow_verdict(rule: Rule, candidate: float, baseline: float | None) -> bool:
    from mlflow.models import MetricThreshold
    from mlflow.models.evaluation.validation import ModelValidationFailedException, _validate

    threshold = MetricThreshold(
        threshold=rule.threshold, min_absolute_change=rule.min_absolute_change,
        min_relative_change=rule.min_relative_change, greater_is_better=rule.greater_is_better,
    )
    try:
        _validate({"m": threshold}, {"m": candidate}, {} if baseline is None else {"m": baseline})
    except ModelValidationFailedException:
        return False
    return True


VALUES = [0.0, 0.1, 0.2, 0.3, 0.5, 0.8, 0.81, 0.79, 0.84, 0.76, 1.0, -0.5, -0.525, -0.475, 1e-11, 0.30000000000000004]
RULES = [
    Rule("m", gib, threshold=t, min_absolute_change=a, min_relative_change=r)
    for gib in (True, False)
    for t, a, r in [(0.8, None, None), (None, 0.01, None), (None, 0.1, None), (None, None, 0.05),
                    (None, None, 0.0), (0.5, 0.01, 0.05), (None, 0.2, 0.5)]
]


@pytest.mark.parametrize("rule", RULES, ids=repr)
def test_verdicts_match_mlflow_metric_threshold(rule):
    for candidate, baseline in itertools.product(VALUES, VALUES):
        ours = evaluate_rule(rule, candidate, baseline).passed
        assert ours == mlflow_verdict(rule, candidate, baseline), (candidate, baseline, rule)


def test_exact_boundaries():
    assert evaluate_rule(Rule("acc", threshold=0.8), 0.8, None).passed  # >= is inclusive
    assert evaluate_rule(Rule("loss", False, threshold=0.5), 0.5, None).passed
    assert evaluate_rule(Rule("acc", min_absolute_change=0.01), 0.81, 0.8).passed == mlflow_verdict(
        Rule("acc", min_absolute_change=0.01), 0.81, 0.8)
    rel = Rule("loss", False, min_relative_change=0.05)
    assert evaluate_rule(rel, 0.475, 0.5).passed is mlflow_verdict(rel, 0.475, 0.5)
    assert not evaluate_rule(Rule("x", min_relative_change=0.05), 0.0, 0.0).passed  # zero baseline: strictly better


def test_rule_without_threshold_means_no_worse():
    assert evaluate_rule(Rule("f1"), 0.7, 0.7).passed
    assert not evaluate_rule(Rule("f1"), 0.69, 0.7).passed
    assert evaluate_rule(Rule("loss", greater_is_better=False), 0.3, 0.4).passed
    outcome = evaluate_rule(Rule("f1"), 0.75, 0.7)
    assert outcome.delta == pytest.approx(0.05) and outcome.relative_delta == pytest.approx(0.05 / 0.7)


def test_the_issue_example():
    rules = parse_rules([
        {"metric": "accuracy", "min_absolute_change": 0.01},
        {"metric": "log_loss", "greater_is_better": False, "min_relative_change": 0.05},
        {"metric": "f1"},
    ])
    champion = {"accuracy": 0.80, "log_loss": 0.50, "f1": 0.70}
    good = compare(rules, {"accuracy": 0.82, "log_loss": 0.47, "f1": 0.70}, champion)
    assert good.passed and good.failed_metrics == []
    bad = compare(rules, {"accuracy": 0.82, "log_loss": 0.48, "f1": 0.69}, champion)
    assert bad.failed_metrics == ["log_loss", "f1"]
    assert "FAILED" in bad.outcomes[1].reason


def test_no_baseline_checks_thresholds_only():
    rules = parse_rules([{"metric": "accuracy", "threshold": 0.7, "min_absolute_change": 0.01}, {"metric": "f1"}])
    result = compare(rules, {"accuracy": 0.75, "f1": 0.1}, None)
    assert result.passed and not result.has_baseline
    assert "no baseline" in result.outcomes[1].reason


@pytest.mark.parametrize(
    ("candidate", "baseline", "message"),
    [
        ({"accuracy": 0.9}, {"accuracy": 0.8, "f1": 0.7}, "candidate .* no metric 'f1'.*accuracy"),
        ({"accuracy": 0.9, "f1": 0.7}, {"accuracy": 0.8}, "baseline .* no metric 'f1'"),
        ({"accuracy": 0.9, "f1": math.nan}, {"accuracy": 0.8, "f1": 0.7}, "'f1' = nan"),
    ],
)
def test_missing_or_nan_metrics_are_errors(candidate, baseline, message):
    with pytest.raises(MetricMissingError, match=message):
        compare(parse_rules([{"metric": "accuracy"}, {"metric": "f1"}]), candidate, baseline)


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ([], "non-empty list"),
        ("accuracy", "non-empty list"),
        ([{"metric": "acc", "min_absolute_change": -1}], "positive number"),
        ([{"metric": "acc", "min_absolute_change": 0}], "positive number"),
        ([{"metric": "acc", "min_relative_change": 5}], "between 0 and 1"),
        ([{"metric": "acc", "greater_is_better": "yes"}], "True or False"),
        ([{"metric": "acc", "threshold": "high"}], "must be a number"),
        ([{"metric": "acc", "treshold": 0.5}], "unknown keys"),
        ([{"min_absolute_change": 0.1}], "'metric'"),
    ],
)
def test_bad_rules_are_clear_errors(rules, message):
    with pytest.raises(InvalidInputError, match=message):
        parse_rules(rules)
