"""The HTML validation report. Airflow-free.

``report.html`` is our own self-contained page (inline CSS, no scripts, no network: it renders in
the sandboxed UI tab and on air-gapped machines). GX's own Data Docs page can be rendered offline
too (:func:`render_data_docs`), but it loads Bootstrap, jQuery, Vega and fonts from public CDNs,
links to a Data Docs site that does not exist here, and costs 0.1-0.3 s whatever the data size, so
it is opt-in (``data_docs=True``) and stored next to the report as ``data_docs.html``. The page
is the Jinja template ``quality/templates/report.html`` (autoescaped: every value is escaped).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Mapping
from typing import Any

from airflow_mlmonitor.html import as_given, render
from airflow_mlmonitor.quality.types import ExpectationOutcome, QualityOutcome

log = logging.getLogger(__name__)

#: what the header shows, in order: (label, key of the header dict)
HEADER_FIELDS = (("DAG", "dag_id"), ("Task", "task_id"), ("Run", "run_id"), ("Map index", "map_index"),
                 ("Try", "try_number"), ("on_failure", "on_failure"))


@dataclasses.dataclass(frozen=True)
class Verdict:
    """The outcome after the ``on_failure`` policy, and the sentence that explains it."""

    status: str  # passed | warned | failed
    label: str
    css: str
    sentence: str


def verdict(success: bool, on_failure: str | None) -> Verdict:
    """What the task does with this outcome (``on_failure`` None: the raw verdict only)."""
    if success:
        return Verdict("passed", "Passed", "ok", "All expectations passed.")
    raw = "Raw verdict: failed (at least one expectation did not pass)."
    if on_failure == "warn":
        return Verdict("warned", "Warned", "warn", f"{raw} on_failure='warn': the task succeeded with a warning.")
    if on_failure == "skip":
        return Verdict("failed", "Failed (skipped)", "bad", f"{raw} on_failure='skip': the task was skipped.")
    if on_failure == "fail":
        return Verdict("failed", "Failed", "bad", f"{raw} on_failure='fail': the task failed.")
    return Verdict("failed", "Failed", "bad", raw)


def render_report(
    outcome: QualityOutcome, *, data_name: str = "data", generated_at: dt.datetime | None = None,
    data_docs: bool = False, header: Mapping[str, Any] | None = None,
) -> str:
    """A readable, self-contained HTML page of the validation (failed expectations first).

    :param header: the run it belongs to (``dag_id``, ``task_id``, ``run_id``, ``map_index``,
        ``try_number``, ``on_failure``); the badge then shows the outcome after ``on_failure``.
    """
    header = dict(header or {})
    when = (generated_at or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%d %H:%M:%S UTC")
    rows = "n/a" if outcome.row_count is None else f"{outcome.row_count:,}"
    tiles = [
        ("Success percent", _pct(outcome.success_percent)),
        ("Expectations", str(outcome.evaluated_expectations)),
        ("Passed", str(outcome.successful_expectations)),
        ("Failed", str(outcome.unsuccessful_expectations)),
        ("Rows", rows),
    ]
    shown_header = [(label, header[key]) for label, key in HEADER_FIELDS if header.get(key) not in (None, "")]
    return render(
        "airflow_mlmonitor.quality", "report.html",
        suite_name=outcome.suite_name, data_name=data_name, generated_at=when,
        gx_version=str(outcome.gx_version or "n/a"), verdict=verdict(outcome.success, header.get("on_failure")),
        header=shown_header, tiles=tiles, data_docs=data_docs,
        rows=[_row(item) for item in sorted(outcome.expectations, key=lambda item: item.success)],
    )


def _row(item: ExpectationOutcome) -> dict[str, Any]:
    unexpected = "" if item.unexpected_count is None else f"{item.unexpected_count:,} ({_pct(item.unexpected_percent)})"
    arguments = {k: v for k, v in item.kwargs.items() if k not in {"column", "mostly"}}
    return {
        "status": "passed" if item.success else "failed",
        "type": item.expectation_type,
        "column": item.column or "(table)",
        "success": _pct(item.success_percent),
        "unexpected": unexpected,
        "mostly": "" if item.mostly is None else as_given(item.mostly),
        "observed": None if item.observed_value is None else as_given(item.observed_value),
        "sample": ", ".join(as_given(v) for v in item.sample_unexpected),
        "arguments": as_given(arguments) if arguments else "",
    }


def render_data_docs(result_json: Mapping[str, Any]) -> str | None:
    """GX's own Data Docs page for one validation result JSON (needs CDN assets to look right).

    Rendered from the JSON-native result (GX's renderer chokes on numpy scalars). Never fails the
    check: on any rendering error it logs and returns None.
    """
    try:
        from great_expectations.core.expectation_validation_result import (
            ExpectationSuiteValidationResultSchema,
        )
        from great_expectations.render.renderer import ValidationResultsPageRenderer
        from great_expectations.render.view import DefaultJinjaPageView

        validation_result = ExpectationSuiteValidationResultSchema().load(dict(result_json))
        document = ValidationResultsPageRenderer().render(validation_result)
        return str(DefaultJinjaPageView().render(document))
    except Exception as err:
        log.warning("Could not render GX Data Docs for the validation (the report is unaffected): %s", err)
        return None


def _pct(value: Any) -> str:
    return "n/a" if value is None else f"{float(value):.2f}%"
