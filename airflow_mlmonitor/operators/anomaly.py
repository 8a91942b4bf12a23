"""``MetricAnomalyOperator``: anomalies in a metric series (isolation forest or MAD)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow_mlmonitor.operators._check import Artifacts, BaseCheckOperator

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_mlmonitor.anomaly.series import Series
    from airflow_mlmonitor.results import CheckResult


class MetricAnomalyOperator(BaseCheckOperator):
    """Look for anomalies in the series of ``metric``: from ``data`` (ordered by ``time_column``),
    or from the stored results of another check (``dag_id`` + ``task_id``; ``metric`` is then a
    result metric such as ``drift_share``). It passes when no point is an anomaly.

    XCom ``return_value``: the ``anomaly`` check result with ``anomalies`` (``[{"timestamp",
    "value", "score"}]`` sorted by time, at most ``max_anomalies``), ``anomaly_count`` (exact),
    ``anomalies_truncated``, ``metric``, ``method``, ``threshold``, ``contamination``, ``rule``,
    ``source``, ``points``, ``insufficient``; ``metrics``: ``anomalies`` (count), ``points``,
    ``anomaly_share``, ``max_score``. The report draws the series with the anomalies circled.

    :param metric: the metric column of ``data``, or the result metric of the check history (templated).
    :param data: any data source with ``metric`` and ``time_column`` (templated).
    :param time_column: the column of ``data`` that orders it (templated).
    :param dag_id: with ``history_task_id``: read that check's stored results instead of ``data``
        (templated).
    :param history_task_id: the check task whose stored results to read (templated; ``task_id``
        names this task itself).
    :param method: ``"isolation_forest"`` (default; needs scikit-learn, the ``anomaly`` extra) or ``"mad"``.
    :param threshold: ``mad``: robust z-score limit (default 3.5); ``isolation_forest``: isolation
        score limit (default 0.78) when ``contamination`` is None.
    :param contamination: ``isolation_forest`` only: flag exactly this share of points instead.
    :param seed: random seed of the isolation forest (results are reproducible).
    :param max_anomalies: anomalies listed in the result (the count is exact; the report lists more).
    :param history_limit: newest stored results read from the check history.
    :param on_failure: ``"warn"`` (default), ``"fail"`` or ``"skip"`` when anomalies are found.
    :param data_conn_id: connection for a remote ``data`` URL.
    :param statsd_conn_id: StatsD connection for ``anomaly.count``.
    """

    default_on_failure = "warn"
    template_fields: Sequence[str] = ("metric", "data", "time_column", "history_dag_id", "history_task_id", "data_conn_id")
    ui_color = "#fbeeee"

    def __init__(
        self,
        *,
        metric: str,
        data: Any = None,
        time_column: str = "timestamp",
        dag_id: str | None = None,
        history_task_id: str | None = None,
        method: str = "isolation_forest",
        threshold: float | None = None,
        contamination: float | None = None,
        seed: int = 0,
        max_anomalies: int = 100,
        history_limit: int = 500,
        on_failure: str | None = None,
        data_conn_id: str | None = None,
        statsd_conn_id: str = "statsd_default",
        **kwargs: Any,
    ) -> None:
        from airflow_mlmonitor.anomaly.detect import get_method, validate_options
        from airflow_mlmonitor.exceptions import InvalidInputError

        super().__init__(on_failure=on_failure, statsd_conn_id=statsd_conn_id, **kwargs)
        validate_options(get_method(method), threshold, contamination)
        if (data is None) == (dag_id is None and history_task_id is None):
            raise InvalidInputError(
                "give either data (a source with the metric column) or dag_id and history_task_id "
                "(the check whose stored results to read), not both and not neither."
            )
        if data is None and not (dag_id and history_task_id):
            raise InvalidInputError("dag_id and history_task_id go together: name the DAG and the check task.")
        for name, value in (("max_anomalies", max_anomalies), ("history_limit", history_limit)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InvalidInputError(f"{name} must be a positive integer, got {value!r}")
        self.metric = metric
        self.data = data
        self.time_column = time_column
        self.history_dag_id = dag_id
        self.history_task_id = history_task_id
        self.method = method
        self.threshold = threshold
        self.contamination = contamination
        self.seed = seed
        self.max_anomalies = max_anomalies
        self.history_limit = history_limit
        self.data_conn_id = data_conn_id

    def run_check(self, context: Context) -> tuple[CheckResult, Artifacts]:
        from airflow_mlmonitor.anomaly.check import detect_anomalies, render_report
        from airflow_mlmonitor.policy import apply_on_failure

        series, source = self._series()
        result, detection = detect_anomalies(
            series, metric=self.metric, method=self.method, threshold=self.threshold,
            contamination=self.contamination, seed=self.seed, max_anomalies=self.max_anomalies, source=source,
        )
        status = apply_on_failure(result, self.on_failure)[0].status or "failed"
        return result, {"report.html": render_report(result, series, detection, status)}

    def _series(self) -> tuple[Series, str]:
        if self.data is not None:
            from airflow_mlmonitor.anomaly.series import series_from_frame
            from airflow_mlmonitor.data import describe, load_frame

            frame = load_frame(self.data, conn_id=self.data_conn_id, name="data")
            where = f"data ({describe(self.data)})"
            return series_from_frame(frame, self.metric, self.time_column, where=where), where
        from airflow_mlmonitor.anomaly.history import result_history
        from airflow_mlmonitor.reports.store import ReportStore

        assert self.history_dag_id and self.history_task_id
        series = result_history(
            ReportStore.from_conf(), self.history_dag_id, self.history_task_id, self.metric, limit=self.history_limit
        )
        return series, f"stored results of {self.history_dag_id}.{self.history_task_id}"
