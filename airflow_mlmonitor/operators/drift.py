"""``DriftReportOperator``: Evidently's data drift report as an Airflow check."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from airflow_mlmonitor.operators._check import Artifacts, BaseCheckOperator, template_source
from airflow_mlmonitor.options import ColumnMap, Number
from airflow_mlmonitor.sources import CallableSource

__all__ = ["CallableSource", "DriftReportOperator"]
_THRESHOLD = "a p-value or distance threshold"

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_mlmonitor.results import CheckResult


#: opt-in options beyond Evidently (validated and applied by ``airflow_mlmonitor.drift.beyond``)
_BEYOND = ("min_effect", "correction", "chunk_by", "time_column", "multivariate_method", "multivariate_threshold")


class DriftReportOperator(BaseCheckOperator):
    """Compare ``current`` with ``reference`` using Evidently's ``DataDriftPreset``.

    XCom ``return_value`` is the drift check result: ``dataset_drift``, ``drifted_columns`` (sorted),
    ``columns`` (``{name: {"method", "score", "threshold", "drifted"}}``), ``metrics.drift_share``,
    ``metrics.drifted_columns``, ``metrics.n_columns``... The Evidently HTML report and JSON snapshot
    go to the report store (extra link "Monitoring report"), never to XCom. The check passes when
    there is no dataset drift (share of drifted columns below ``drift_share``).

    Also takes the check operators' ``on_failure`` (here ``"warn"`` by default: ``"fail"`` or
    ``"skip"`` when drift is detected) and ``statsd_conn_id``.

    :param reference: the training/reference data: path, URL, ``ObjectStoragePath`` or a callable
        returning a DataFrame (templated).
    :param current: the data to check, same forms (templated; ``.expand(current=[...])`` works).
    :param columns: columns to compare; default all columns (they must exist on both sides).
    :param numerical_columns: columns to treat as numerical (overrides Evidently's inference).
    :param categorical_columns: columns to treat as categorical.
    :param drift_share: dataset drift when the share of drifted columns is >= this (Evidently's name).
    :param method: Evidently method id for every column (``"ks"``, ``"psi"``, ``"wasserstein"``...).
        None = Evidently's default for the column type and reference size. Precedence, as in
        ``DataDriftPreset``: ``per_column_method`` > ``num_method``/``cat_method`` > ``method``.
    :param num_method: method id for every numerical column (wins over ``method``).
    :param cat_method: method id for every categorical column (wins over ``method``).
    :param per_column_method: ``{column: method id}``, e.g. ``{"age": "wasserstein", "plan": "psi"}``
        (wins over every other method option for those columns).
    :param threshold: drift threshold for every column. None = the method's default (e.g. 0.05 for
        ``ks``, 0.1 for ``psi``). Precedence: ``per_column_threshold`` >
        ``num_threshold``/``cat_threshold`` > ``threshold``.
    :param num_threshold: threshold for every numerical column (wins over ``threshold``).
    :param cat_threshold: threshold for every categorical column (wins over ``threshold``).
    :param per_column_threshold: ``{column: threshold}``, e.g. ``{"income": 0.01}``.
    :param data_conn_id: connection for remote ``reference``/``current`` URLs.
    :param report_sample_size: the HTML report is rendered by Evidently from a seeded sample of at
        most this many rows per input (the page says so); verdicts and XCom scores always come from
        the full data. None renders from the full data. Parquet inputs are read column by column.
    :param min_effect: opt-in beyond Evidently (``airflow_mlmonitor.drift.beyond``): a column is
        drifted only when its effect size (``columns[c]["effect"]``) also reaches this.
    :param correction: ``"bh"`` or ``"bonferroni"``: adjust p-values across the columns.
    :param chunk_by: a row count, or a duration (``"7d"``) with ``time_column``: result ``chunks``.
    :param time_column: the timestamp column for ``chunk_by``.
    :param multivariate_method: ``"domain_classifier"`` or ``"pca_reconstruction"``: result
        ``multivariate``.
    :param multivariate_threshold: overrides the default threshold of ``multivariate_method``.
    """

    default_on_failure = "warn"
    option_spec = (
        Number("drift_share", 0.0, 1.0, required=True, meaning="a share of columns"),
        *(Number(name, 0.0, exclusive_minimum=True, meaning=_THRESHOLD)
          for name in ("threshold", "num_threshold", "cat_threshold")),
        ColumnMap("per_column_threshold", Number("threshold", 0.0, exclusive_minimum=True, meaning=_THRESHOLD)),
        ColumnMap("per_column_method"),
        Number("report_sample_size", 1, integer=True),
    )
    template_fields: Sequence[str] = (
        "reference",
        "current",
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
        "min_effect",
        "correction",
        "chunk_by",
        "time_column",
        "multivariate_method",
        "multivariate_threshold",
    )
    ui_color = "#e8eef8"

    def __init__(
        self,
        *,
        reference: Any,
        current: Any,
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
        report_sample_size: int | None = 100_000,
        min_effect: float | None = None,
        correction: str | None = None,
        chunk_by: int | str | None = None,
        time_column: str | None = None,
        multivariate_method: str | None = None,
        multivariate_threshold: float | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.reference = template_source(reference, "reference")
        self.current = template_source(current, "current")
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
        self.report_sample_size = report_sample_size
        self.min_effect = min_effect
        self.correction = correction
        self.chunk_by = chunk_by
        self.time_column = time_column
        self.multivariate_method = multivariate_method
        self.multivariate_threshold = multivariate_threshold

    def run_check(self, context: Context) -> tuple[CheckResult, Artifacts]:
        from airflow_mlmonitor.drift.beyond import apply_beyond, beyond_options
        from airflow_mlmonitor.drift.columns import plan_columns
        from airflow_mlmonitor.drift.engine import compute_column_drift
        from airflow_mlmonitor.drift.evidently import render_report
        from airflow_mlmonitor.drift.result import build_drift_result
        from airflow_mlmonitor.drift.sampling import add_note, report_frame, sample_note

        options = self._options()
        beyond = beyond_options(**{name: getattr(self, name) for name in _BEYOND})
        reference, current = (self._open(name) for name in ("reference", "current"))
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
        verdicts = compute_column_drift(reference, current, options, plan.column_types)  # full data
        sampled = [report_frame(d, list(plan.column_types), self.report_sample_size) for d in (reference, current)]
        artifacts = render_report(sampled[0], sampled[1], options, plan.column_types)
        sample_message = sample_note(len(reference), len(current), (len(sampled[0]), len(sampled[1])))
        if sample_message:
            self.log.info("%s", sample_message)
            artifacts["report.html"] = add_note(artifacts["report.html"], sample_message)
        result = build_drift_result(
            verdicts, options, reference_rows=len(reference), current_rows=len(current), ignored_columns=plan.ignored
        )
        return apply_beyond(result, artifacts, reference, current, options, plan.column_types, beyond)

    def _open(self, name: str) -> Any:
        """The input as the engines take it: a parquet column reader or a DataFrame."""
        source = self.source(name, self.data_conn_id)
        source.check_not_empty()
        return source.columnar()

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
