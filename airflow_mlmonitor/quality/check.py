"""The data quality check end to end, on an already loaded DataFrame. Airflow-free.

The operator calls :func:`prepare_suite` first (configuration errors surface before any data is
loaded), then :func:`run_quality_check`.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from airflow_mlmonitor.quality.dtypes import check_column_types
from airflow_mlmonitor.quality.interpret import interpret_validation, to_check_result
from airflow_mlmonitor.quality.report import render_data_docs, render_report
from airflow_mlmonitor.quality.suite import build_gx_suite, check_columns, load_suite
from airflow_mlmonitor.quality.types import SuiteSpec
from airflow_mlmonitor.quality.validate import (
    is_gx_source,
    normalize_result_format,
    quiet_gx_logs,
    run_validation,
)
from airflow_mlmonitor.results import CheckResult, to_native

if TYPE_CHECKING:
    import pandas as pd


@dataclasses.dataclass(frozen=True)
class PreparedSuite:
    """The user's expectations, checked for shape and accepted by GX."""

    spec: SuiteSpec
    gx_suite: Any


def prepare_suite(expectations: Any, *, name: str = "mlmonitor") -> PreparedSuite:
    """Read ``expectations`` (configs, suite file or callable) and build the GX suite."""
    quiet_gx_logs()
    spec = load_suite(expectations, name=name)
    return PreparedSuite(spec=spec, gx_suite=build_gx_suite(spec))


def run_quality_check(
    frame: pd.DataFrame | Any,
    suite: PreparedSuite,
    *,
    result_format: str | Mapping[str, Any] = "SUMMARY",
    data_name: str = "data",
    data_docs: bool = False,
    header: Mapping[str, Any] | None = None,
) -> tuple[CheckResult, dict[str, str]]:
    """Validate ``frame``; return the ``data_quality`` CheckResult and the files to store.

    ``frame`` is a DataFrame, or a source that validates where its data lives (``gx_batch``, see
    :func:`~airflow_mlmonitor.quality.validate.run_validation`) and has ``columns``, ``dtypes()``
    and ``len()``; its rows are never loaded into the worker.

    Files: ``report.html`` (our page), ``validation_result.json`` (GX's full result) and, when
    ``data_docs``, ``data_docs.html`` (GX's rendering). A column named by an expectation but
    missing from the data, a text column compared with numbers, or an expectation GX cannot
    evaluate raises InvalidInputError. ``header`` (run ids, ``on_failure``) goes to the report.
    """
    result_format = normalize_result_format(result_format)
    check_columns(suite.spec, frame.columns, data_name=data_name)
    if not is_gx_source(frame):  # a pushdown source's types are the database's; GX reports mismatches
        check_column_types(suite.spec, frame, data_name=data_name)
    validation = run_validation(frame, suite.gx_suite, result_format)
    raw = to_native(validation.to_json_dict())
    outcome = interpret_validation(raw, row_count=len(frame))
    artifacts = {
        "report.html": render_report(outcome, data_name=data_name, data_docs=data_docs, header=header),
        "validation_result.json": json.dumps(raw),
    }
    docs = render_data_docs(raw) if data_docs else None
    if docs is not None:
        artifacts["data_docs.html"] = docs
    return to_check_result(outcome), artifacts
