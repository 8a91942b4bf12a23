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
        from airflow_mlmonitor.hooks.mlflow import MLflowHook
        from airflow_mlmonitor.operators.mlflow import emit_model_event
        from airflow_mlmonitor.registry.actions import Audit, rollback

        ti = context.get("ti")
        dag_run = context.get("dag_run")
        dag_id = getattr(ti, "dag_id", None) or getattr(dag_run, "dag_id", "")
        run_id = context.get("run_id") or getattr(ti, "run_id", None) or getattr(dag_run, "run_id", "")
        task = getattr(ti, "task_id", None)
        reason = self.reason or f"{dag_id}.{task or 'dag run'} failed"
        to_version = str(self.to_version) if self.to_version not in (None, "") else None
        done = rollback(MLflowHook(self.mlflow_conn_id).get_conn(), self.model_name, alias=self.alias,
                        to_version=to_version, reason=reason, audit=Audit(str(dag_id), str(run_id)))
        if done.already_done:
            self.log.info("This DAG run already rolled %s @%s back: nothing to do", self.model_name, self.alias)
            return
        emit_model_event("rollback", self.model_name, self.statsd_conn_id, self.log)
        self.log.warning("MLMONITOR rolled %s @%s back from version %s to %s (%s)", self.model_name, self.alias,
                         done.from_version, done.to_version, reason)


rollback_model_on_failure = MLflowRollbackNotifier
