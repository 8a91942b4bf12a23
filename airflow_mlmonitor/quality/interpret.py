"""Read GX's validation result JSON into a verdict (the "interpret its output" half). Airflow-free.

Everything here works on the plain dict of ``ExpectationSuiteValidationResult.to_json_dict()``, so
it is tested in milliseconds on JSON fixtures.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from airflow_mlmonitor.exceptions import InvalidInputError
from airflow_mlmonitor.quality.types import ExpectationOutcome, QualityOutcome, column_of
from airflow_mlmonitor.results import CheckResult

#: How many failed expectations the one-line summary names before "and N more".
SUMMARY_NAMES = 3


def interpret_validation(data: Mapping[str, Any], *, row_count: int | None = None) -> QualityOutcome:
    """Turn GX's result dict into a :class:`QualityOutcome` (raises if an expectation could not run)."""
    raise_on_evaluation_errors(data)
    outcomes = tuple(_outcome(item) for item in data.get("results") or ())
    stats = data.get("statistics") or {}
    successful = sum(1 for o in outcomes if o.success)
    percent = stats.get("success_percent")
    return QualityOutcome(
        success=bool(data.get("success")),
        suite_name=str(data.get("suite_name") or data.get("expectation_suite_name") or ""),
        evaluated_expectations=int(stats.get("evaluated_expectations", len(outcomes))),
        successful_expectations=int(stats.get("successful_expectations", successful)),
        unsuccessful_expectations=int(stats.get("unsuccessful_expectations", len(outcomes) - successful)),
        success_percent=None if percent is None else float(percent),
        expectations=outcomes,
        row_count=row_count,
        gx_version=(data.get("meta") or {}).get("great_expectations_version"),
    )


def evaluation_errors(data: Mapping[str, Any]) -> list[str]:
    """One line per expectation GX could not evaluate (it raised instead of giving a verdict)."""
    errors = []
    for item in data.get("results") or ():
        message = _exception_message(item.get("exception_info") or {})
        if message is not None:
            config = _config(item)
            column = column_of(config.get("kwargs") or {})
            where = f" on {column!r}" if column else ""
            errors.append(f"{config.get('type')}{where}: {message}")
    return errors


def raise_on_evaluation_errors(data: Mapping[str, Any]) -> None:
    errors = evaluation_errors(data)
    if errors:
        raise InvalidInputError(
            f"Great Expectations could not evaluate {len(errors)} expectation(s); fix the expectation or "
            "the data: " + "; ".join(errors)
        )


def to_check_result(outcome: QualityOutcome) -> CheckResult:
    """The ``data_quality`` CheckResult: metrics, ``failed_expectations`` and a one-line summary."""
    metrics: dict[str, float | int | None] = {
        "success_percent": outcome.success_percent,
        "evaluated_expectations": outcome.evaluated_expectations,
        "successful_expectations": outcome.successful_expectations,
        "unsuccessful_expectations": outcome.unsuccessful_expectations,
    }
    if outcome.row_count is not None:
        metrics["row_count"] = outcome.row_count
        metrics["rows"] = outcome.row_count  # rows checked (the data-volume retraining trigger counts these)
    details = {
        "suite_name": outcome.suite_name,
        "failed_expectations": [item.to_failed_dict() for item in outcome.failed],
    }
    return CheckResult(
        check="data_quality", passed=outcome.success, summary=summarize(outcome), metrics=metrics, details=details
    )


def summarize(outcome: QualityOutcome) -> str:
    """One line for humans, e.g. ``2 of 5 expectations failed (60.0% passed) on 5,000 rows: ...``."""
    rows = f" on {outcome.row_count:,} rows" if outcome.row_count is not None else ""
    suite = f" (suite {outcome.suite_name!r})" if outcome.suite_name else ""
    if outcome.success:
        return f"All {outcome.evaluated_expectations} expectations passed{rows}{suite}."
    failed = outcome.failed
    named = ", ".join(_short(item) for item in failed[:SUMMARY_NAMES])
    more = f" and {len(failed) - SUMMARY_NAMES} more" if len(failed) > SUMMARY_NAMES else ""
    return (
        f"{outcome.unsuccessful_expectations} of {outcome.evaluated_expectations} expectations failed "
        f"({_pct(outcome.success_percent)} passed){rows}{suite}: {named}{more}."
    )


def failure_message(result: CheckResult, task_id: str) -> str:
    """The failing task's exception message: every failed expectation, its column, its success percent."""
    metrics = result.metrics
    lines = [
        f"{task_id}: data quality check failed: {metrics.get('unsuccessful_expectations')} of "
        f"{metrics.get('evaluated_expectations')} expectations failed "
        f"(success percent {_pct(metrics.get('success_percent'))})."
    ]
    for item in result.details.get("failed_expectations") or ():
        lines.append("  - " + describe_failure(item))
    if result.report_uri:
        lines.append(f"Report: {result.report_uri}")
    return "\n".join(lines)


def describe_failure(item: Mapping[str, Any]) -> str:
    """``expect_column_values_to_be_between on column 'age': 93.10% success (345 unexpected, 6.90%) ...``."""
    column = item.get("column")
    where = f"column {column!r}" if column else "the table"
    text = f"{item.get('expectation_type')} on {where}"
    text += f" ({item['expected']}): " if item.get("expected") else ": "
    if item.get("success_percent") is not None:
        text += f"{_pct(item['success_percent'])} success"
        if item.get("unexpected_count") is not None:
            text += f" ({item['unexpected_count']:,} unexpected, {_pct(item.get('unexpected_percent'))})"
        if item.get("mostly") is not None:
            text += f", needs mostly {item['mostly']} ({_pct(100 * float(item['mostly']))})"
    else:
        text += "success percent n/a (not a per-row expectation)"
    if item.get("observed_value") is not None:
        text += f", observed {item['observed_value']!r}"
    if item.get("sample_unexpected"):
        text += f", e.g. {item['sample_unexpected'][:3]!r}"
    return text


def _outcome(item: Mapping[str, Any]) -> ExpectationOutcome:
    config = _config(item)
    kwargs = {k: v for k, v in (config.get("kwargs") or {}).items() if k != "batch_id"}
    result = item.get("result") or {}
    sample = result.get("partial_unexpected_list") or ()
    if not sample and result.get("partial_unexpected_counts"):
        sample = [entry.get("value") for entry in result["partial_unexpected_counts"]]
    return ExpectationOutcome(
        expectation_type=str(config.get("type") or config.get("expectation_type")),
        column=column_of(kwargs),
        kwargs=kwargs,
        success=bool(item.get("success")),
        element_count=result.get("element_count"),
        unexpected_count=result.get("unexpected_count"),
        unexpected_percent=result.get("unexpected_percent"),
        observed_value=result.get("observed_value"),
        sample_unexpected=tuple(_distinct(sample)[:10]),
    )


def _config(item: Mapping[str, Any]) -> Mapping[str, Any]:
    config = item.get("expectation_config") or {}
    if "type" not in config and "expectation_type" in config:
        config = {**config, "type": config["expectation_type"]}
    return config


def _exception_message(info: Mapping[str, Any]) -> str | None:
    """GX reports errors flat (``raised_exception``) or per metric (``{metric_id: {...}}``)."""
    if "raised_exception" in info:
        return str(info.get("exception_message") or "error") if info.get("raised_exception") else None
    messages = {_exception_message(v) for v in info.values() if isinstance(v, Mapping)} - {None}
    return " | ".join(sorted(str(m) for m in messages)) if messages else None


def _distinct(values: Any) -> list[Any]:
    """Distinct values in first-seen order; every kind of missing value (NaN, NA, NaT) becomes None."""
    out: list[Any] = []
    seen: set[str] = set()
    for value in values:
        if _is_missing(value):
            value = None
        key = repr(value)
        if key not in seen:
            seen.add(key)
            out.append(value)
    return out


def _is_missing(value: Any) -> bool:
    if value is None or isinstance(value, (str, bool, int, list, dict)):
        return False
    try:
        return bool(value != value)  # NaN and NaT are not equal to themselves
    except (TypeError, ValueError):  # pandas.NA refuses bool()
        return True


def _short(item: ExpectationOutcome) -> str:
    column = f"({item.column})" if item.column else "(table)"
    if item.success_percent is not None:
        return f"{item.expectation_type}{column} {_pct(item.success_percent)}"
    if item.observed_value is not None:
        return f"{item.expectation_type}{column} observed {item.observed_value!r:.60}"
    return f"{item.expectation_type}{column}"


def _pct(value: Any) -> str:
    return "n/a" if value is None else f"{float(value):.2f}%"
