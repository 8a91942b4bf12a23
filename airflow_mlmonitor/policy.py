"""The ``on_failure`` policy shared by every check: fail, warn or skip. Airflow-free."""

from __future__ import annotations

from typing import Literal

from airflow_mlmonitor.results import ON_FAILURE_OPTIONS, CheckResult

Action = Literal["succeed", "warn", "fail", "skip"]


def validate_on_failure(on_failure: str, *, owner: str = "") -> str:
    """``on_failure`` itself, or a clear error naming the option (and the operator, when given)."""
    from airflow_mlmonitor.options import Choice

    Choice("on_failure", ON_FAILURE_OPTIONS).check(on_failure, owner or "check")
    return on_failure


def apply_on_failure(result: CheckResult, on_failure: str) -> tuple[CheckResult, Action]:
    """Set ``result.status`` from the raw outcome and the policy; return it with what the task does.

    ``passed`` -> status ``passed``, task succeeds. Otherwise: ``fail`` -> ``failed`` (task fails),
    ``warn`` -> ``warned`` (task succeeds, a warning is logged), ``skip`` -> ``failed`` and the task
    is skipped (downstream follows Airflow's trigger rules).
    """
    validate_on_failure(on_failure)
    if result.passed:
        return result.replace(status="passed"), "succeed"
    if on_failure == "warn":
        return result.replace(status="warned"), "warn"
    if on_failure == "skip":
        return result.replace(status="failed"), "skip"
    return result.replace(status="failed"), "fail"
