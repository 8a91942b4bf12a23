"""What every check operator shares: report storage, the result in XCom, metrics, asset events and
the ``on_failure`` policy. Subclasses implement :meth:`BaseCheckOperator.run_check` only."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from airflow.sdk import BaseOperator

from airflow_mlmonitor.exceptions import CheckFailedError, ReportStoreError
from airflow_mlmonitor.links.reports import MonitoringReportLink
from airflow_mlmonitor.operators._lineage import CheckLineageMixin
from airflow_mlmonitor.policy import apply_on_failure, validate_on_failure
from airflow_mlmonitor.results import CheckResult, fit_to_size
from airflow_mlmonitor.telemetry import tracing

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_mlmonitor.reports.keys import ReportKey

#: Files a check wants stored next to its result: name -> text or bytes (``report.html``...).
Artifacts = Mapping[str, "str | bytes"]


class BaseCheckOperator(CheckLineageMixin, BaseOperator):
    """Base of the check operators. ``execute`` returns the check result dict (XCom ``return_value``).

    The result is pushed to XCom *before* the task fails or skips, stored with its report in the
    report store (one folder per try), emitted to StatsD, and attached to the events of the task's
    ``outlets`` assets as ``extra["mlmonitor"]``.

    :param on_failure: ``"fail"``, ``"warn"`` or ``"skip"`` when the check does not pass.
    :param statsd_conn_id: StatsD connection for the check's metrics (no-op when none resolves).
    """

    default_on_failure: ClassVar[str] = "fail"
    operator_extra_links = (MonitoringReportLink(),)
    ui_color = "#e8f4ea"

    def __init__(
        self, *, on_failure: str | None = None, statsd_conn_id: str = "statsd_default", **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.on_failure = on_failure or self.default_on_failure
        self.statsd_conn_id = statsd_conn_id

    def _do_render_template_fields(
        self, parent: Any, template_fields: Iterable[str], context: Context, jinja_env: Any, seen_oids: set[int]
    ) -> None:
        """Render templates but leave callables alone: Airflow would call a callable template field
        with the context, while ``data``/``reference``/``current``/``expectations`` callables take no
        arguments and run in :meth:`run_check` (Airflow's override point; mapped tasks use it too)."""
        if parent is self:
            template_fields = [name for name in template_fields if not callable(getattr(self, name, None))]
        super()._do_render_template_fields(parent, template_fields, context, jinja_env, seen_oids)

    def run_check(self, context: Context) -> tuple[CheckResult, Artifacts]:
        """Run the check; return the raw result and the files to store with it."""
        raise NotImplementedError

    def failure_message(self, result: CheckResult) -> str:
        """The message of the exception that fails the task (override for more detail)."""
        return f"{self.task_id}: {result.summary}"

    def execute(self, context: Context) -> dict[str, Any]:
        validate_on_failure(self.on_failure)
        with tracing.check_span(dag_id=self.dag_id, task_id=self.task_id, operator=type(self).__name__):
            with tracing.stage("compute") as span:
                result, artifacts = self.run_check(context)
                tracing.set_attributes(span, **tracing.result_attributes(result))
            return self.finish(context, result, artifacts)

    def finish(self, context: Context, result: CheckResult, artifacts: Artifacts) -> dict[str, Any]:
        from airflow_mlmonitor.telemetry.checks import emit_check_metrics  # never raises

        ti = context["ti"]
        result, action = apply_on_failure(result, self.on_failure)
        with tracing.stage("report") as span:
            result = self._store(context, result, artifacts)
            tracing.set_attributes(span, report_uri=result.report_uri)
        with tracing.stage("emit", **tracing.result_attributes(result)):
            payload = self.mlmonitor_result = fit_to_size(result.to_dict())
            ti.xcom_push(key="return_value", value=payload)
            emit_check_metrics(payload, dag_id=ti.dag_id, task_id=ti.task_id, statsd_conn_id=self.statsd_conn_id)
        if action == "fail":
            raise CheckFailedError(self.failure_message(result), result)
        if action == "skip":
            from airflow.sdk.exceptions import AirflowSkipException

            self.log.warning("Check did not pass, skipping (on_failure='skip'): %s", result.summary)
            raise AirflowSkipException(f"{self.task_id}: {result.summary}")
        if action == "warn":
            self.log.warning("Check did not pass (on_failure='warn'): %s", result.summary)
        else:
            self.log.info("Check passed: %s", result.summary)
        self._attach_to_outlets(context, payload)
        return payload

    def _store(self, context: Context, result: CheckResult, artifacts: Artifacts) -> CheckResult:
        from airflow_mlmonitor.reports.keys import ReportKey, report_url
        from airflow_mlmonitor.reports.store import REPORT_FILE, ReportStore

        try:
            store = ReportStore.from_conf()
            key: ReportKey = ReportKey.from_ti(context["ti"])
            for name, content in artifacts.items():
                store.write(key, name, content)
            if REPORT_FILE in artifacts:
                result = result.replace(report_uri=store.uri(key, REPORT_FILE))
                self.log.info("Report stored at %s (view: %s)", result.report_uri, report_url(key))
            store.write_result(key, result.to_dict())
        except ReportStoreError as err:
            # The result reaches XCom, then the task fails (retryable: the store may come back).
            self.log.error("Could not store the report; the result is in XCom: %s", err)
            context["ti"].xcom_push(key="return_value", value=fit_to_size(result.to_dict()))
            raise ReportStoreError(f"{self.task_id}: report store: {err}") from err
        return result

    def _attach_to_outlets(self, context: Context, payload: dict[str, Any]) -> None:
        outlets: Sequence[Any] = self.outlets or []
        if not outlets:
            return
        events = context["outlet_events"]
        for outlet in outlets:
            try:
                events[outlet].extra["mlmonitor"] = payload
            except Exception as err:  # an alias or unsupported outlet never breaks the check
                self.log.warning("Could not attach the result to outlet %r: %s", outlet, err)
