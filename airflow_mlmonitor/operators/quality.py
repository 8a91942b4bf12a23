"""``DataQualityOperator``: a Great Expectations 1.x validation as an Airflow check."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from airflow_mlmonitor.operators._check import Artifacts, BaseCheckOperator, template_source
from airflow_mlmonitor.options import Finite
from airflow_mlmonitor.quality.suite import as_expectations

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_mlmonitor.results import CheckResult


class DataQualityOperator(BaseCheckOperator):
    """Validate ``data`` against Great Expectations expectations; gate the pipeline on the outcome.

    XCom ``return_value`` is the ``data_quality`` check result: ``metrics.success_percent``,
    ``metrics.evaluated_expectations``, ``metrics.successful_expectations``,
    ``metrics.unsuccessful_expectations``, ``metrics.row_count``, ``suite_name`` and
    ``failed_expectations`` (``[{"expectation_type", "column", "unexpected_count",
    "unexpected_percent", "success_percent", "mostly", "expected", "observed_value",
    "sample_unexpected"}]``).
    It is pushed before the task fails or skips. The HTML report (extra link "Monitoring report")
    and GX's full result (``validation_result.json``) go to the report store, one folder per try.

    :param data: the data to validate: path, URL, ``ObjectStoragePath``, a callable returning a
        DataFrame (called at execute time only) or a source (``SqlSource``...) (templated).
    :param expectations: a list of GX 1.x expectation configs
        (``{"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "income", "mostly": 0.99}}``),
        a path/URL of a GX suite ``.json``/``.yaml`` file, or a callable returning a
        ``gx.ExpectationSuite`` (templated; the callable runs at execute time only).
    :param result_format: GX ``result_format``: ``"SUMMARY"`` (default), ``"BASIC"``,
        ``"COMPLETE"``, ``"BOOLEAN_ONLY"`` or a dict (templated).
    :param suite_name: name of a suite given as a list of configs (files and suites keep theirs).
    :param data_docs: also store GX's own Data Docs page as ``data_docs.html`` (it loads its styles
        from public CDNs; rendering costs 0.1-0.3 s whatever the data size).
    :param data_conn_id: connection for a remote ``data`` URL.
    :param statsd_conn_id: StatsD connection for ``quality.success_percent`` and
        ``quality.unsuccessful_expectations``.
    :param retry_on_failure: retry a failed validation per ``retries`` (default: fail at once with
        ``AirflowFailException``; the verdict on the same data cannot change).
    """

    default_on_failure = "fail"
    option_spec = (Finite("expectations"),)
    template_fields: Sequence[str] = ("data", "expectations", "result_format", "suite_name", "data_conn_id")
    template_fields_renderers = {"expectations": "json"}
    ui_color = "#e8f4ea"

    def __init__(
        self,
        *,
        data: Any,
        expectations: Any,
        result_format: str | Mapping[str, Any] = "SUMMARY",
        suite_name: str = "mlmonitor",
        data_docs: bool = False,
        data_conn_id: str | None = None,
        on_failure: str = "fail",
        statsd_conn_id: str = "statsd_default",
        retry_on_failure: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            on_failure=on_failure, statsd_conn_id=statsd_conn_id, retry_on_failure=retry_on_failure, **kwargs
        )
        self.data = template_source(data, "data")
        self.expectations = as_expectations(expectations)
        self.result_format = result_format
        self.suite_name = suite_name
        self.data_docs = data_docs
        self.data_conn_id = data_conn_id

    def run_check(self, context: Context) -> tuple[CheckResult, Artifacts]:
        from airflow_mlmonitor.quality.check import prepare_suite, run_quality_check
        from airflow_mlmonitor.quality.validate import is_gx_source, normalize_result_format

        result_format = normalize_result_format(self.result_format)
        suite = prepare_suite(self.expectations, name=self.suite_name)  # bad config fails before loading data
        # a source that validates where its data lives (SQL, Spark: its columnar() is itself) is
        # never loaded into the worker
        in_place = is_gx_source(self.source("data", self.data_conn_id))
        data, frame = self.load("data", self.data_conn_id, columnar=in_place)
        return run_quality_check(
            frame, suite, result_format=result_format, data_name=data.describe(), data_docs=self.data_docs,
            header=self.report_header(context),
        )

    def failure_message(self, result: CheckResult) -> str:
        from airflow_mlmonitor.quality.interpret import failure_message

        return failure_message(result, self.task_id)
