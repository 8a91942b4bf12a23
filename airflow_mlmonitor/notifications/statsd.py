"""StatsD notifier for task and DAG ``on_success/on_failure/on_retry_callback``.

Task callbacks emit ``{prefix}.task.success|failure|retry.{dag}.{task}`` and the try's duration
``{prefix}.task.duration.{dag}.{task}``; DAG callbacks emit ``{prefix}.dagrun.success|failure.{dag}``
and ``{prefix}.dagrun.duration.{dag}``. The notifier never raises: a broken StatsD target is logged
once, and the task or DAG run keeps its state.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from airflow_mlmonitor.notifications._base import SafeNotifier

if TYPE_CHECKING:
    from airflow.sdk import Context

Scope = Literal["auto", "task", "dag_run"]
SCOPES = ("auto", "task", "dag_run")


class StatsdNotifier(SafeNotifier):
    """Emit task or DAG-run metrics to StatsD from a callback.

    Usage:

        DAG(..., on_success_callback=send_statsd_metrics(), on_failure_callback=send_statsd_metrics(),
            default_args={"on_success_callback": send_statsd_metrics(),
                           "on_failure_callback": send_statsd_metrics(),
                           "on_retry_callback": send_statsd_metrics()})

    :param statsd_conn_id: StatsD connection (templated); when it is not defined, Airflow's
        ``[metrics]`` StatsD settings are used if on, else nothing is sent.
    :param scope: ``"auto"`` (a DAG callback is recognised by the ``reason`` its context carries),
        ``"task"`` or ``"dag_run"``. The outcome (success/failure/retry) comes from the state of the
        task instance or DAG run, so one notifier instance can sit in every callback.
    """

    template_fields = ("statsd_conn_id",)

    def __init__(self, *, statsd_conn_id: str = "statsd_default", scope: Scope = "auto") -> None:
        super().__init__()
        self.statsd_conn_id = statsd_conn_id
        self.scope = scope

    def on_notify_error(self, err: Exception) -> None:
        self.log.warning("StatsD notifier failed, metrics not sent: %s", err)

    def notify(self, context: Context) -> None:
        from airflow_mlmonitor.hooks.statsd import get_telemetry
        from airflow_mlmonitor.telemetry.tasks import emit_dagrun, emit_task

        if self.scope not in SCOPES:
            self.log.warning("StatsdNotifier: scope must be one of %s, got %r", SCOPES, self.scope)
            return
        telemetry = get_telemetry(self.statsd_conn_id)
        if not telemetry.enabled:
            return
        if self._is_dag_callback(context):
            dag_run: Any = context.get("dag_run")
            if dag_run is None:  # minimal DAG-callback context: outcome without a duration
                dag_run = _RunInfo(getattr(context.get("dag"), "dag_id", None) or "unknown")
            emit_dagrun(telemetry, dag_run, self._run_outcome(context))
        else:
            ti = context.get("ti") or context.get("task_instance")
            if ti is None or not emit_task(telemetry, ti):
                self.log.warning("StatsdNotifier: no finished task try in the callback context")

    def _is_dag_callback(self, context: Context) -> bool:
        if self.scope != "auto":
            return self.scope == "dag_run"
        return "reason" in context or "ti" not in context

    @staticmethod
    def _run_outcome(context: Context) -> Literal["success", "failure"]:
        from airflow_mlmonitor.telemetry.tasks import run_outcome

        dag_run: Any = context.get("dag_run")
        from_state = run_outcome(getattr(dag_run, "state", None))
        if from_state is not None:
            return from_state
        return "success" if str(context.get("reason", "")) == "success" else "failure"


class _RunInfo:
    def __init__(self, dag_id: str) -> None:
        self.dag_id = dag_id
        self.state = self.start_date = self.end_date = None


send_statsd_metrics = StatsdNotifier
