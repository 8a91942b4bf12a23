"""What every check operator shares: report storage, the result in XCom, metrics, asset events,
the ``on_failure`` policy, strict options and data inputs as sources. Subclasses implement
:meth:`BaseCheckOperator.run_check` only."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from airflow.sdk import BaseOperator
from airflow.sdk.exceptions import AirflowFailException

from airflow_mlmonitor import exceptions
from airflow_mlmonitor.exceptions import ReportStoreError
from airflow_mlmonitor.links.reports import MonitoringReportLink
from airflow_mlmonitor.operators._lineage import CheckLineageMixin
from airflow_mlmonitor.options import Option, check_columns, check_options
from airflow_mlmonitor.policy import apply_on_failure, validate_on_failure
from airflow_mlmonitor.results import CheckResult, fit_to_size
from airflow_mlmonitor.telemetry import tracing

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_mlmonitor.reports.keys import ReportKey
    from airflow_mlmonitor.sources import Source

#: Files a check wants stored next to its result: name -> text or bytes (``report.html``...).
Artifacts = Mapping[str, "str | bytes"]


class CheckFailedError(exceptions.CheckFailedError, AirflowFailException):
    """A deterministic check failure (``on_failure="fail"``): Airflow fails the task without burning
    retries, since the verdict on the same data cannot change. ``error.result`` is the pushed result.
    With ``retry_on_failure=True`` the operator raises the plain, retryable
    :class:`airflow_mlmonitor.exceptions.CheckFailedError` instead (this class subclasses it)."""


def template_source(value: Any, name: str) -> Any:
    """For ``__init__``: a data input as a :class:`~airflow_mlmonitor.sources.Source`, so Airflow
    renders the source's own ``template_fields`` and never calls a callable input. ``XComArg`` and
    other run-time references, and a missing value, are left for :meth:`BaseCheckOperator.source`."""
    from airflow_mlmonitor.sources import as_source
    from airflow_mlmonitor.sources.convert import is_unresolved

    if value is None or (isinstance(value, str) and not value.strip()) or is_unresolved(value):
        return value
    return as_source(value, name=name)


class BaseCheckOperator(CheckLineageMixin, BaseOperator):
    """Base of the check operators. ``execute`` returns the check result dict (XCom ``return_value``).

    The result is pushed to XCom *before* the task fails or skips, stored with its report in the
    report store (one folder per try), emitted to StatsD, and attached to the events of the task's
    ``outlets`` assets as ``extra["mlmonitor"]``.

    :param on_failure: ``"fail"``, ``"warn"`` or ``"skip"`` when the check does not pass (checked when
        the DAG is parsed).
    :param statsd_conn_id: StatsD connection for the check's metrics (no-op when none resolves).
    :param retry_on_failure: when True, a failed check (``on_failure="fail"``) raises an ordinary
        exception and Airflow retries the task per its ``retries``; by default it raises
        ``AirflowFailException`` and the task fails at once (the verdict cannot change on retry).
        Errors reaching the data or the stores are retryable either way.
    """

    default_on_failure: ClassVar[str] = "fail"
    #: the operator's options, checked after rendering (see :mod:`airflow_mlmonitor.options`)
    option_spec: ClassVar[Sequence[Option]] = ()
    operator_extra_links = (MonitoringReportLink(),)
    ui_color = "#e8f4ea"

    def __init__(
        self,
        *,
        on_failure: str | None = None,
        statsd_conn_id: str = "statsd_default",
        retry_on_failure: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.on_failure = validate_on_failure(on_failure or self.default_on_failure, owner=type(self).__name__)
        self.statsd_conn_id = statsd_conn_id
        if not isinstance(retry_on_failure, bool):
            raise exceptions.InvalidInputError(
                f"{type(self).__name__}: retry_on_failure must be True or False, got {retry_on_failure!r}."
            )
        self.retry_on_failure = retry_on_failure

    def source(self, field: str, conn_id: str | None = None) -> Source:
        """The rendered data input ``field`` as a fresh :class:`~airflow_mlmonitor.sources.Source`
        (a value rendered from Jinja or an ``XComArg`` is a plain string or path by now)."""
        from airflow_mlmonitor.sources import as_source

        source = as_source(getattr(self, field), conn_id=conn_id, name=field).fresh()
        self.__dict__.setdefault("_opened_sources", []).append(source)  # closed when execute ends
        return source

    def load(self, field: str, conn_id: str | None = None, *, columnar: bool = False) -> tuple[Source, Any]:
        """Read the rendered data input ``field`` (inside a ``load`` trace span): the source and its
        data, a DataFrame or (``columnar=True``) what the column-wise engines take. Empty is an error."""
        source = self.source(field, conn_id)
        with tracing.stage("load", input=field, source=source.describe()) as span:
            data = source.columnar() if columnar else source.to_frame()
            source.check_not_empty()
            tracing.set_attributes(span, rows=len(data), columns=len(data.columns))
        return source, data

    def check_options(self) -> None:
        """Validate and convert the rendered options of :attr:`option_spec` (in place)."""
        where = f"{type(self).__name__} {self.task_id!r}"
        values = {option.name: getattr(self, option.name) for option in self.option_spec}
        for name, value in check_options(self.option_spec, values, where=where).items():
            setattr(self, name, value)

    def check_option_columns(self, columns: Iterable[str]) -> None:
        """Every per-column option names existing columns (call once the data's columns are known)."""
        values = {option.name: getattr(self, option.name) for option in self.option_spec}
        check_columns(self.option_spec, values, columns, where=f"{type(self).__name__} {self.task_id!r}")

    def report_header(self, context: Context | Mapping[str, Any]) -> dict[str, Any]:
        """What a report shows in its header: DAG, task, run, map index, try and the policy."""
        ti = context.get("ti") if context else None
        return {
            "dag_id": getattr(ti, "dag_id", None) or (self.dag.dag_id if self.has_dag() else None),
            "task_id": self.task_id,
            "run_id": getattr(ti, "run_id", None),
            "map_index": getattr(ti, "map_index", -1),
            "try_number": getattr(ti, "try_number", None),
            "on_failure": self.on_failure,
        }

    def run_check(self, context: Context) -> tuple[CheckResult, Artifacts]:
        """Run the check; return the raw result and the files to store with it."""
        raise NotImplementedError

    def failure_message(self, result: CheckResult) -> str:
        """The message of the exception that fails the task (override for more detail)."""
        return f"{self.task_id}: {result.summary}"

    def execute(self, context: Context) -> dict[str, Any]:
        validate_on_failure(self.on_failure, owner=type(self).__name__)
        self.check_options()
        try:
            with tracing.check_span(dag_id=self.dag_id, task_id=self.task_id, operator=type(self).__name__):
                with tracing.stage("compute") as span:
                    result, artifacts = self.run_check(context)
                    tracing.set_attributes(span, **tracing.result_attributes(result))
                return self.finish(context, result, artifacts)
        finally:  # a Spark session started by an input stops with the task, whatever happened
            for source in reversed(self.__dict__.pop("_opened_sources", [])):
                source.close()

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
            if self.retry_on_failure:
                raise exceptions.CheckFailedError(self.failure_message(result), result)
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
