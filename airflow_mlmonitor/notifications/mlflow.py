"""``MLflowRollbackNotifier`` (alias ``rollback_model_on_failure``): roll a model back from a callback."""

from __future__ import annotations

from typing import TYPE_CHECKING

from airflow_mlmonitor.notifications._base import SafeNotifier

if TYPE_CHECKING:
    from airflow.sdk import Context


class MLflowRollbackNotifier(SafeNotifier):
    """Roll ``alias`` of ``model_name`` back, exactly like ``MLflowRollbackOperator``, from an
    ``on_failure_callback`` (task or DAG). Never raises: a registry error is logged and the task
    or run state stays. Idempotent per DAG run, so it can sit on several tasks of one DAG.

    Usage:

        PythonOperator(..., on_failure_callback=rollback_model_on_failure(model_name="churn"))

    :param model_name: registered model name (templated).
    :param alias: the alias to roll back (default ``"champion"``; templated).
    :param to_version: move the alias to this version instead of walking back the promotion
        history (templated; None or ``""`` walks back).
    :param reason: stored in the bad version's ``mlmonitor.rollback_reason`` tag (templated;
        default ``"<dag_id>.<task_id> failed"``, or ``"<dag_id>.dag run failed"`` from a DAG callback).
    :param mlflow_conn_id: the ``mlflow`` connection (see ``MLflowHook``).
    :param statsd_conn_id: StatsD connection for the ``model.rollback`` counter (no-op when none resolves).
    """

    template_fields = ("model_name", "alias", "to_version", "reason")

    def __init__(
        self,
        *,
        model_name: str,
        alias: str = "champion",
        to_version: str | None = None,
        reason: str = "",
        mlflow_conn_id: str = "mlflow_default",
        statsd_conn_id: str = "statsd_default",
    ) -> None:
        super().__init__()
        self.model_name = model_name
        self.alias = alias
        self.to_version = to_version
        self.reason = reason
        self.mlflow_conn_id = mlflow_conn_id
        self.statsd_conn_id = statsd_conn_id

    def on_notify_error(self, err: Exception) -> None:
        self.log.error("Rollback of %s @%s from a callback failed: %s", self.model_name, self.alias, err)

    def notify(self, context: Context) -> None:
        from airflow_mlmonitor.operators.mlflow import roll_back
        from airflow_mlmonitor.registry.actions import Audit

        ti = context.get("ti")
        dag_run = context.get("dag_run")
        dag_id = getattr(ti, "dag_id", None) or getattr(dag_run, "dag_id", "")
        run_id = context.get("run_id") or getattr(ti, "run_id", None) or getattr(dag_run, "run_id", "")
        task = getattr(ti, "task_id", None)
        roll_back(
            model_name=self.model_name,
            alias=self.alias,
            to_version=self.to_version,
            reason=self.reason or f"{dag_id}.{task or 'dag run'} failed",
            audit=Audit(str(dag_id), str(run_id)),
            mlflow_conn_id=self.mlflow_conn_id,
            statsd_conn_id=self.statsd_conn_id,
            log=self.log,
        )

rollback_model_on_failure = MLflowRollbackNotifier
