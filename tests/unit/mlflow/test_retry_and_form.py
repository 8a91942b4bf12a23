"""Backoff policy, failed-rule log lines, and the mlflow connection's extras: hook, form and docs agree."""

from __future__ import annotations

import pathlib
import re

import pytest

from airflow_mlmonitor.registry.errors import ModelNotFoundError, RegistryUnavailableError
from airflow_mlmonitor.registry.retry import Backoff, call_with_backoff

REPO = pathlib.Path(__file__).resolve().parents[3]


def test_backoff_is_exponential_capped_and_within_budget():
    assert list(Backoff(base=0.5, cap=2, budget=100, max_retries=5).delays()) == [0.5, 1, 2, 2, 2]
    assert list(Backoff(base=1, cap=30, budget=10).delays()) == [1, 2, 4]  # 1+2+4 = 7; +8 > 10
    assert list(Backoff(max_retries=0).delays()) == []


def test_transient_faults_are_retried_and_permanent_ones_are_not():
    calls, slept = [], []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise RegistryUnavailableError("MLflow did not answer")
        return "ok"

    assert call_with_backoff(flaky, Backoff(base=1, cap=5, budget=60), what="t", sleep=slept.append) == "ok"
    assert slept == [1, 2]

    def missing():
        calls.append(1)
        raise ModelNotFoundError("registered model 'x' does not exist")

    calls.clear()
    with pytest.raises(ModelNotFoundError):
        call_with_backoff(missing, Backoff(), what="t", sleep=slept.append)
    assert len(calls) == 1  # a 404 fails at once
    with pytest.raises(RegistryUnavailableError):  # the budget is spent: the last fault is raised
        call_with_backoff(lambda: (_ for _ in ()).throw(RegistryUnavailableError("down")),
                          Backoff(base=1, budget=3), what="t", sleep=lambda s: None)


def test_a_rejected_comparison_logs_each_failed_rule_with_its_numbers():
    from airflow_mlmonitor.registry.check import ComparisonOutcome, failed_rule_lines
    from airflow_mlmonitor.registry.compare import compare, parse_rules
    from airflow_mlmonitor.registry.refs import ResolvedModel

    rules = parse_rules([{"metric": "accuracy", "min_absolute_change": 0.01},
                         {"metric": "log_loss", "greater_is_better": False, "threshold": 0.3}, {"metric": "f1"}])
    comp = compare(rules, {"accuracy": 0.805, "log_loss": 0.4, "f1": 0.9}, {"accuracy": 0.8, "log_loss": 0.5, "f1": 0.7})
    outcome = ComparisonOutcome("churn", ResolvedModel("churn", "2", "r2"), ResolvedModel("churn", "1", "r1"),
                                "@champion", comp, tuple(rules))
    lines = failed_rule_lines(outcome)
    assert len(lines) == 2
    assert lines[0].startswith("rule 'accuracy' failed: candidate 0.805, baseline 0.8, delta 0.005")
    assert "min_absolute_change=0.01" in lines[0] and "0.805 >= baseline 0.8 + 0.01" in lines[0]
    assert "rule 'log_loss' failed" in lines[1] and "threshold=0.3" in lines[1]


def hook_extras() -> set[str]:
    source = (REPO / "airflow_mlmonitor/hooks/mlflow.py").read_text()
    return set(re.findall(r"extra(?:\.get)?\(\s*\"(\w+)\"", source)) | set(re.findall(r"extra\[\"(\w+)\"\]", source))


def test_connection_extras_agree_between_hook_form_and_docs():
    """Issue 23.10: the documented extra tracking_uri was not among the form's widgets."""
    from airflow_mlmonitor.get_provider_info import CONNECTION_TYPES

    form = set(next(c for c in CONNECTION_TYPES if c["connection-type"] == "mlflow")["conn-fields"])
    docs = (REPO / "docs/mlflow.md").read_text()
    table = docs[docs.index("<!-- connection-extras -->"):docs.index("<!-- /connection-extras -->")]
    documented = set(re.findall(r"^\| `(\w+)` \|", table, flags=re.M))
    assert "tracking_uri" in form
    assert hook_extras() == form == documented
