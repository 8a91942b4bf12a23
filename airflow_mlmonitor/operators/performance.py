"""``ModelPerformanceOperator``: windowed degradation of a deployed model's live metric."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from airflow_mlmonitor.operators._check import Artifacts, BaseCheckOperator

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_mlmonitor.results import CheckResult


class ModelPerformanceOperator(BaseCheckOperator):
    """Fail (or warn/skip) when the average of the last ``window`` live evaluations of ``metric``
    falls below ``min_ratio`` of a baseline (e.g. below 90% of the training accuracy).

    Live evaluations are MLflow runs tagged ``mlmonitor.monitors=<model>/<version>`` for the version
    ``alias`` points to (log them with :func:`log_live_evaluation`), ordered by the metric's
    timestamp; or, with ``data``, a table with a ``metric`` column and a ``time_column``.
    ``greater_is_better=True``: ``ratio = average / baseline``; ``False`` (a loss): the mirrored
    ``ratio = baseline / average``. It passes when ``ratio >= min_ratio`` (exactly at the boundary
    passes). Fewer than ``window`` values: the result says ``insufficient: true`` and
    ``on_insufficient`` decides (the retraining trigger does not count it as a failed check).

    XCom ``return_value``: the ``performance`` check result with ``model`` (and ``model_name``),
    ``version``, ``alias``, ``metric``, ``values``, ``timestamps``, ``runs``, ``average``,
    ``baseline``, ``baseline_source``, ``ratio``, ``min_ratio``, ``window``, ``greater_is_better``,
    ``insufficient``; ``metrics``: ``ratio``, ``average``, ``baseline``, ``n_values``, ``window``,
    ``min_ratio``. The report shows the values against the baseline.

    :param model_name: registered model name (templated).
    :param alias: alias of the monitored version, ``"champion"`` by default (``"@champion"`` and a
        version number work too; templated).
    :param metric: the live metric (templated).
    :param window: how many of the latest live values to average (>= 1).
    :param baseline: a number, or ``"training"``: the metric of the version's source run (templated).
    :param min_ratio: the lowest healthy ratio (> 0), 0.9 by default.
    :param greater_is_better: False for losses and errors (mirrored ratio).
    :param on_failure: ``"fail"`` (default), ``"warn"`` or ``"skip"`` when the ratio is too low.
    :param on_insufficient: ``"warn"`` (default), ``"skip"`` or ``"fail"`` with fewer than ``window`` values.
    :param data: instead of MLflow runs: a source with the ``metric`` and ``time_column`` columns (templated).
    :param time_column: the column of ``data`` that orders the values (templated).
    :param data_conn_id: connection for a remote ``data`` URL.
    :param mlflow_conn_id: the ``mlflow`` connection.
    :param statsd_conn_id: StatsD connection for ``model.performance_ratio``.
    """

    default_on_failure = "fail"
    template_fields: Sequence[str] = (
        "model_name", "alias", "metric", "baseline", "data", "time_column", "data_conn_id", "mlflow_conn_id"
    )
    ui_color = "#eef0fb"

    def __init__(
        self,
        *,
        model_name: str,
        metric: str,
        alias: str = "champion",
        window: int = 5,
        baseline: float | str = "training",
        min_ratio: float = 0.9,
        greater_is_better: bool = True,
        on_failure: str | None = None,
        on_insufficient: str = "warn",
        data: Any = None,
        time_column: str = "timestamp",
        data_conn_id: str | None = None,
        mlflow_conn_id: str = "mlflow_default",
        statsd_conn_id: str = "statsd_default",
        **kwargs: Any,
    ) -> None:
        from airflow_mlmonitor.performance.evaluate import PerformanceRule, validate_on_insufficient

        super().__init__(on_failure=on_failure, statsd_conn_id=statsd_conn_id, **kwargs)
        self.rule = PerformanceRule(window=window, min_ratio=min_ratio, greater_is_better=greater_is_better)
        self.on_insufficient = validate_on_insufficient(on_insufficient)
        self.model_name = model_name
        self.alias = alias
        self.metric = metric
        self.window = window
        self.baseline = baseline
        self.min_ratio = min_ratio
        self.greater_is_better = greater_is_better
        self.data = data
        self.time_column = time_column
        self.data_conn_id = data_conn_id
        self.mlflow_conn_id = mlflow_conn_id

    def run_check(self, context: Context) -> tuple[CheckResult, Artifacts]:
        from airflow_mlmonitor.performance.check import render_report, run_performance_check
        from airflow_mlmonitor.policy import apply_on_failure

        client = None
        if self.data is None or str(self.baseline).strip().lower() == "training":
            from airflow_mlmonitor.hooks.mlflow import MLflowHook

            client = MLflowHook(self.mlflow_conn_id).get_conn()
        frame = self._frame() if self.data is not None else None
        result = run_performance_check(
            client, model_name=self.model_name, alias=self.alias, metric=self.metric, baseline=self.baseline,
            rule=self.rule, frame=frame, time_column=self.time_column, data_name=self._data_name(),
        )
        if result.details.get("insufficient"):
            # Too little history is not a degradation: its own policy replaces on_failure.
            self.on_failure = self.on_insufficient
        status = apply_on_failure(result, self.on_failure)[0].status or "failed"
        return result, {"report.html": render_report(result, status)}

    def _frame(self) -> Any:
        from airflow_mlmonitor.data import load_frame

        return load_frame(self.data, conn_id=self.data_conn_id, name="data")

    def _data_name(self) -> str | None:
        from airflow_mlmonitor.data import describe

        return None if self.data is None else describe(self.data)


def log_live_evaluation(
    model_name: str,
    metrics: Mapping[str, float],
    *,
    alias: str = "champion",
    experiment: str = "mlmonitor-live-evaluations",
    timestamp_ms: int | None = None,
    run_name: str | None = None,
    mlflow_conn_id: str = "mlflow_default",
) -> dict[str, str]:
    """Log one live evaluation of the version ``alias`` points to, from a DAG task.

    Creates a finished MLflow run in ``experiment`` tagged ``mlmonitor.monitors=<model>/<version>``
    with ``metrics`` (all logged at ``timestamp_ms``, now by default); returns
    ``{"run_id", "version"}``. :class:`ModelPerformanceOperator` reads these runs.
    """
    from airflow_mlmonitor.hooks.mlflow import MLflowHook
    from airflow_mlmonitor.performance.live import log_evaluation, resolve_version

    hook = MLflowHook(mlflow_conn_id)
    client = hook.get_conn()
    version = resolve_version(client, model_name, alias)
    run_id = log_evaluation(
        client, hook.get_or_create_experiment(experiment), version, metrics, timestamp_ms=timestamp_ms, run_name=run_name
    )
    return {"run_id": run_id, "version": version.version}
