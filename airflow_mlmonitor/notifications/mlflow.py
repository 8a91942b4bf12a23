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

    Usage::

        PythonOperator(..., on_failure_callback=rollback_model_on_failure(model_name="churn"))


    The rollback is compare-and-set under the model's registry lease: if another mover moved the
    alias meanwhile, the rollback is logged as lost and changes nothing.

    :param model_name: registered model name.
    :param alias: alias to move back (default ``"champion"``).
    :param to_version: roll back to this version instead of walking the promotion history.
    :param reason: lands in the ``mlmonitor.rollback_reason`` tag of the bad version.
    :param mlflow_conn_id: the ``mlflow`` connection.
    :param statsd_conn_id: StatsD connection for ``model.rollback``.
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
