"""``DriftReportOperator``: data drift with Evidently's verdicts as an Airflow check.

``DriftProfileOperator`` (a reference profile built once for many checks) lives in
:mod:`airflow_mlmonitor.operators.drift_profile` and is importable from here too."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from airflow_mlmonitor.operators._check import Artifacts, BaseCheckOperator, template_source
from airflow_mlmonitor.operators.drift_profile import DriftProfileOperator, _storage_path
from airflow_mlmonitor.options import ColumnMap, Number
from airflow_mlmonitor.sources import CallableSource

__all__ = ["CallableSource", "DriftProfileOperator", "DriftReportOperator"]
_THRESHOLD = "a p-value or distance threshold"

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_mlmonitor.drift.profile import ReferenceProfile
    from airflow_mlmonitor.drift.types import ColumnDrift, DriftOptions
    from airflow_mlmonitor.results import CheckResult

REPORTS = ("native", "evidently", None)


def _open_profile(uri: Any, conn_id: str | None) -> ReferenceProfile:
    import os

    from airflow_mlmonitor.drift.profile import ReferenceProfile
    from airflow_mlmonitor.sources.paths import is_local_path

    if conn_id is None and is_local_path(uri):
        local = os.path.expanduser(os.fspath(uri))
        return ReferenceProfile(lambda: open(local, "rb"), str(uri))
    path = _storage_path(uri, conn_id)
    return ReferenceProfile(lambda: path.open("rb"), str(path))


#: opt-in options beyond Evidently (validated and applied by ``airflow_mlmonitor.drift.beyond``)
_BEYOND = ("min_effect", "correction", "chunk_by", "time_column", "multivariate_method", "multivariate_threshold")


class DriftReportOperator(BaseCheckOperator):
    """Compare ``current`` with ``reference`` (or a reference profile) with Evidently's verdicts.

    XCom ``return_value`` is the drift check result: ``dataset_drift``, ``drifted_columns`` (sorted),
    ``columns`` (``{name: {"method", "score", "threshold", "drifted"}}``), ``metrics.drift_share``,
    ``metrics.drifted_columns``, ``metrics.n_columns``, ``metrics.rows``... Verdicts are
    Evidently's ``DataDriftPreset`` verdicts computed on the full data by our engine; the report
    (extra link "Monitoring report") goes to the report store, never to XCom. The check passes when
    there is no dataset drift (share of drifted columns below ``drift_share``).

    :param reference: the training/reference data: path, URL, ``ObjectStoragePath`` or a callable
        returning a DataFrame (templated). Leave it out when ``reference_profile`` is given.
    :param current: the data to check, same forms (templated; ``.expand(current=[...])`` works).
    :param reference_profile: URI of a profile written by :class:`DriftProfileOperator` (templated,
        e.g. ``"{{ ti.xcom_pull(task_ids='profile')['profile_uri'] }}"``): only ``current`` is read,
        the verdicts are identical to a check against the raw reference.
    :param columns: columns to compare; default all columns (they must exist on both sides).
    :param numerical_columns: columns to treat as numerical (overrides Evidently's inference).
    :param categorical_columns: columns to treat as categorical (also the way to compare a column
        that is numbers on one side and text on the other).
    :param drift_share: dataset drift when the share of drifted columns is >= this (Evidently's name).
    :param method: Evidently method id for every column (``"ks"``, ``"psi"``, ``"wasserstein"``...).
        None = Evidently's default for the column type and reference size.
    :param num_method: method for numerical columns (wins over ``method``).
    :param cat_method: method for categorical columns (wins over ``method``).
    :param per_column_method: ``{column: method}`` (wins over the others).
    :param threshold: drift threshold for every column; None = the method's default.
    :param num_threshold: threshold for numerical columns (wins over ``threshold``).
    :param cat_threshold: threshold for categorical columns (wins over ``threshold``).
    :param per_column_threshold: ``{column: threshold}`` (wins over the others).
    :param data_conn_id: connection for remote ``reference``/``current`` URLs.
    :param profile_conn_id: connection for a remote ``reference_profile`` (default ``data_conn_id``).
    :param report: ``"native"`` (default: our own page from the full data; Evidently is not
        imported), ``"evidently"`` (Evidently's own HTML, rendered from a seeded sample), or None
        (the result JSON only). Verdicts never depend on it.
    :param report_sample_size: for ``report="evidently"``: rows per input Evidently renders from
        (a seeded sample; the page says so). None renders from the full data.
    :param on_failure: ``"warn"`` (default), ``"fail"`` or ``"skip"`` when drift is detected.
    :param min_effect: opt-in beyond Evidently (:mod:`airflow_mlmonitor.drift.beyond`): a column is
        drifted only when its effect size (``columns[c]["effect"]``) also reaches this.
    :param correction: ``"bh"`` or ``"bonferroni"``: adjust p-values across the columns.
    :param chunk_by: a row count, or a duration (``"7d"``) with ``time_column``: result ``chunks``.
    :param time_column: the timestamp column for ``chunk_by``.
    :param multivariate_method: ``"domain_classifier"`` or ``"pca_reconstruction"``: result
        ``multivariate``.
    :param multivariate_threshold: overrides the multivariate method's default threshold (ROC AUC
        0.55 for the domain classifier).
    :param statsd_conn_id: StatsD connection for ``drift.share``, ``drift.drifted_columns`` and
        ``drift.detected``.
    :param retry_on_failure: with ``on_failure="fail"``, retry per ``retries`` instead of failing at
        once with ``AirflowFailException``.
    """

    default_on_failure = "warn"
    template_fields: Sequence[str] = (
        "reference",
        "current",
        "reference_profile",
        "columns",
        "numerical_columns",
        "categorical_columns",
        "drift_share",
        "method",
        "num_method",
        "cat_method",
        "per_column_method",
        "threshold",
        "num_threshold",
        "cat_threshold",
        "per_column_threshold",
        "data_conn_id",
        "profile_conn_id",
        "min_effect",
        "correction",
        "chunk_by",
        "time_column",
        "multivariate_method",
        "multivariate_threshold",
    )
    option_spec = (
        Number("drift_share", 0.0, 1.0, required=True, meaning="a share of columns"),
        *(Number(name, 0.0, exclusive_minimum=True, meaning=_THRESHOLD)
          for name in ("threshold", "num_threshold", "cat_threshold")),
        ColumnMap("per_column_threshold", Number("threshold", 0.0, exclusive_minimum=True, meaning=_THRESHOLD)),
        ColumnMap("per_column_method"),
        Number("report_sample_size", 1, integer=True),
    )
    ui_color = "#e8eef8"

    def __init__(
        self,
        *,
        current: Any,
        reference: Any = None,
        reference_profile: Any = None,
        columns: Sequence[str] | None = None,
        numerical_columns: Sequence[str] | None = None,
        categorical_columns: Sequence[str] | None = None,
        drift_share: float = 0.5,
        method: str | None = None,
        num_method: str | None = None,
        cat_method: str | None = None,
        per_column_method: Mapping[str, str] | None = None,
        threshold: float | None = None,
        num_threshold: float | None = None,
        cat_threshold: float | None = None,
        per_column_threshold: Mapping[str, float] | None = None,
        data_conn_id: str | None = None,
        profile_conn_id: str | None = None,
        report: str | None = "native",
        report_sample_size: int | None = 100_000,
        min_effect: float | None = None,
        correction: str | None = None,
        chunk_by: int | str | None = None,
        time_column: str | None = None,
        multivariate_method: str | None = None,
        multivariate_threshold: float | None = None,
        on_failure: str = "warn",
        statsd_conn_id: str = "statsd_default",
        retry_on_failure: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            on_failure=on_failure, statsd_conn_id=statsd_conn_id, retry_on_failure=retry_on_failure, **kwargs
        )
        if report not in REPORTS:
            from airflow_mlmonitor.exceptions import InvalidInputError

            raise InvalidInputError(f"report must be 'native', 'evidently' or None, got {report!r}")
        self.reference = template_source(reference, "reference")
        self.current = template_source(current, "current")
        self.reference_profile = reference_profile
        self.columns = columns
        self.numerical_columns = numerical_columns
        self.categorical_columns = categorical_columns
        self.drift_share = drift_share
        self.method = method
        self.num_method = num_method
        self.cat_method = cat_method
        self.per_column_method = per_column_method
        self.threshold = threshold
        self.num_threshold = num_threshold
        self.cat_threshold = cat_threshold
        self.per_column_threshold = per_column_threshold
        self.data_conn_id = data_conn_id
        self.profile_conn_id = profile_conn_id
        self.report = report
        self.report_sample_size = report_sample_size
        self.min_effect = min_effect
        self.correction = correction
        self.chunk_by = chunk_by
        self.time_column = time_column
        self.multivariate_method = multivariate_method
        self.multivariate_threshold = multivariate_threshold

    def _reference(self) -> Any:
        from airflow_mlmonitor.exceptions import InvalidInputError

        if (self.reference is None) == (self.reference_profile in (None, "")):
            raise InvalidInputError(
                "Give exactly one of `reference` (the data) and `reference_profile` (a profile URI from "
                f"DriftProfileOperator); got reference={self.reference!r}, reference_profile={self.reference_profile!r}."
            )
        if self.reference is not None:
            return self._open("reference")
        return _open_profile(self.reference_profile, self.profile_conn_id or self.data_conn_id)

    def run_check(self, context: Context) -> tuple[CheckResult, Artifacts]:
        import time

        from airflow_mlmonitor.drift.beyond import apply_beyond, beyond_options, check_inputs
        from airflow_mlmonitor.drift.columns import plan_columns
        from airflow_mlmonitor.drift.engine import compute_column_drift
        from airflow_mlmonitor.drift.result import build_drift_result

        options = self._options()
        beyond = beyond_options(**{name: getattr(self, name) for name in _BEYOND})
        started = time.monotonic()
        reference = self._reference()
        current = self._open("current")
        check_inputs(beyond, reference, current)
        plan = plan_columns(
            reference,
            current,
            columns=self.columns,
            numerical_columns=self.numerical_columns,
            categorical_columns=self.categorical_columns,
        )
        self.check_option_columns([*plan.column_types, *plan.ignored])
        for note in plan.notes:
            self.log.warning("%s", note)
        if plan.ignored:
            self.log.info("Columns not drift-tested (as in Evidently): %s", plan.ignored)
        self.log.info("drift: %d columns to compare, %s reference rows, %s current rows",
                      len(plan.column_types), f"{len(reference):,}", f"{len(current):,}")
        verdicts = compute_column_drift(reference, current, options, plan.column_types, progress=self.log.info)
        result = build_drift_result(
            verdicts, options, reference_rows=len(reference), current_rows=len(current), ignored_columns=plan.ignored
        )
        artifacts = self._report(context, result, verdicts, options, (reference, current, plan), plan.notes)
        result, artifacts = apply_beyond(result, artifacts, reference, current, options, plan.column_types, beyond)
        self.log.info("drift: done in %.1f s (report=%s)", time.monotonic() - started, self.report)
        return result, artifacts

    def _report(
        self, context: Context, result: CheckResult, verdicts: list[ColumnDrift], options: DriftOptions,
        inputs: tuple[Any, Any, Any], notes: Sequence[str],
    ) -> dict[str, str]:
        if self.report is None:
            return {}
        if self.report == "evidently":
            return self._evidently_report(options, *inputs)
        from airflow_mlmonitor.data import describe
        from airflow_mlmonitor.drift.report import render_native_report
        from airflow_mlmonitor.policy import apply_on_failure

        shown, _action = apply_on_failure(result, self.on_failure)
        page = render_native_report(
            {**shown.to_dict(), "on_failure": self.on_failure},
            verdicts,
            options,
            header=_header(self.report_header(context)),
            extra_options={
                "reference": None if self.reference is None else describe(self.reference),
                "reference_profile": self.reference_profile,
                "current": describe(self.current),
                "columns": self.columns,
                "numerical_columns": self.numerical_columns,
                "categorical_columns": self.categorical_columns,
                "on_failure": self.on_failure,
            },
            notes=notes,
        )
        return {"report.html": page}

    def _evidently_report(self, options: DriftOptions, reference: Any, current: Any, plan: Any) -> dict[str, str]:
        from airflow_mlmonitor.drift.evidently import render_report
        from airflow_mlmonitor.drift.sampling import add_note, report_frame, sample_note

        sampled = [report_frame(d, list(plan.column_types), self.report_sample_size) for d in (reference, current)]
        artifacts = render_report(sampled[0], sampled[1], options, plan.column_types)
        sample_message = sample_note(len(reference), len(current), (len(sampled[0]), len(sampled[1])))
        if sample_message:
            self.log.info("%s", sample_message)
            artifacts["report.html"] = add_note(artifacts["report.html"], sample_message)
        return artifacts

    def _open(self, name: str) -> Any:
        """The input as the engines take it: a parquet column reader or a DataFrame."""
        return self.load(name, self.data_conn_id, columnar=True)[1]

    def _options(self) -> Any:
        from airflow_mlmonitor.drift.options import drift_options

        return drift_options(
            drift_share=self.drift_share,
            method=self.method,
            num_method=self.num_method,
            cat_method=self.cat_method,
            per_column_method=self.per_column_method,
            threshold=self.threshold,
            num_threshold=self.num_threshold,
            cat_threshold=self.cat_threshold,
            per_column_threshold=self.per_column_threshold,
        )

    def failure_message(self, result: CheckResult) -> str:
        return f"{self.task_id}: {result.summary} (on_failure='fail')"


def _header(ids: Mapping[str, Any]) -> dict[str, Any]:
    """The native report's header labels from :meth:`BaseCheckOperator.report_header` (no map
    index on a non-mapped task; nothing unknown)."""
    fields = (("DAG", "dag_id"), ("task", "task_id"), ("run", "run_id"), ("map index", "map_index"), ("try", "try_number"))
    header = {label: ids.get(name) for label, name in fields}
    if header.get("map index") in (None, -1):
        header.pop("map index", None)
    return {k: v for k, v in header.items() if v is not None}
