from __future__ import annotations

import pytest

from airflow_mlmonitor.exceptions import InvalidInputError
from airflow_mlmonitor.policy import apply_on_failure
from airflow_mlmonitor.results import CheckResult

FAILED = CheckResult(check="drift", passed=False, summary="drift")
PASSED = CheckResult(check="drift", passed=True, summary="no drift")


@pytest.mark.parametrize(
    ("on_failure", "status", "action"),
    [("fail", "failed", "fail"), ("warn", "warned", "warn"), ("skip", "failed", "skip")],
)
def test_failed_check_follows_policy(on_failure, status, action):
    result, got = apply_on_failure(FAILED, on_failure)
    assert (result.status, got) == (status, action)
    assert result.passed is False


@pytest.mark.parametrize("on_failure", ["fail", "warn", "skip"])
def test_passed_check_always_succeeds(on_failure):
    result, action = apply_on_failure(PASSED, on_failure)
    assert (result.status, action) == ("passed", "succeed")


def test_unknown_policy_is_a_clear_error():
    with pytest.raises(InvalidInputError, match="on_failure must be one of 'fail', 'warn', 'skip', got 'ignore'"):
        apply_on_failure(FAILED, "ignore")
