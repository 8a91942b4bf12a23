"""Trigger a retraining DAG when upstream checks did not pass, with a cooldown."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_mlmonitor.retrain.decision import CooldownState

COOLDOWN_VARIABLE_PREFIX = "mlmonitor.retrain.cooldown."


class RetrainTriggerOperator(BaseOperator):
    """Trigger one run of ``trigger_dag_id`` when any of ``check_task_ids`` did not pass.

    Runs with ``trigger_rule="all_done"`` by default, so it also runs after a failed or skipped
    check. Within ``cooldown`` of the last trigger for ``cooldown_key`` (state in the Airflow
    Variable ``mlmonitor.retrain.cooldown.<key>``, so it outlives workers) it does not trigger.
    The triggered run's id is derived from this run, so a retried task never triggers twice.

    XCom ``return_value``: ``{"triggered", "reason", "trigger_dag_id", "run_id", "failing_checks",
    "missing_checks"}``. The triggered run's conf: ``reason``, ``source_dag_id``,
    ``source_run_id``, ``checks`` (summary per check) plus ``conf``.

    :param trigger_dag_id: the retraining DAG to trigger (templated).
    :param check_task_ids: task ids of the upstream checks whose XCom results decide (templated);
        a check that pushed no result is listed in ``missing_checks`` and does not count as failed.
    :param cooldown: no new trigger within this long after the last one for ``cooldown_key``
        (None: no cooldown).
    :param cooldown_key: the cooldown's key (templated; default ``trigger_dag_id``), so several
        monitoring DAGs can share one cooldown.
    :param conf: extra keys for the triggered run's conf (templated); ours (``reason``,
        ``source_dag_id``, ``source_run_id``, ``checks``) win on a clash.
    :param statsd_conn_id: StatsD connection for the ``retrain.triggered`` counter (no-op when none
        resolves).
    :param trigger_rule: Airflow's trigger rule, ``"all_done"`` by default so that the operator
        also runs after a failed or skipped check.
    """

    template_fields: Sequence[str] = ("trigger_dag_id", "check_task_ids", "cooldown_key", "conf")
    template_fields_renderers = {"conf": "json"}
    ui_color = "#ffefeb"

    def __init__(
        self,
        *,
        trigger_dag_id: str,
        check_task_ids: Sequence[str],
        cooldown: dt.timedelta | None = None,
        cooldown_key: str | None = None,
        conf: dict[str, Any] | None = None,
        statsd_conn_id: str = "statsd_default",
        trigger_rule: str = "all_done",
        **kwargs: Any,
    ) -> None:
        super().__init__(trigger_rule=trigger_rule, **kwargs)
        self.trigger_dag_id = trigger_dag_id
        self.check_task_ids = check_task_ids
        self.cooldown = cooldown
        self.cooldown_key = cooldown_key
        self.conf = conf
        self.statsd_conn_id = statsd_conn_id

    def execute(self, context: Context) -> dict[str, Any]:
        from airflow_mlmonitor.retrain.decision import decide, triggered_run_id

        ti = context["ti"]
        task_ids = [self.check_task_ids] if isinstance(self.check_task_ids, str) else list(self.check_task_ids)
        decision = decide({t: ti.xcom_pull(task_ids=[t]) or [] for t in task_ids})
        outcome = {
            "triggered": False,
            "reason": decision.reason,
            "trigger_dag_id": self.trigger_dag_id,
            "run_id": None,
            "failing_checks": list(decision.failing),
            "missing_checks": list(decision.missing),
        }
        if decision.missing:
            self.log.warning("No result from %s: they do not count as failed checks.", decision.missing)
        if not decision.trigger:
            self.log.info("Not triggering %s: %s", self.trigger_dag_id, decision.reason)
            return outcome
        key = COOLDOWN_VARIABLE_PREFIX + (self.cooldown_key or self.trigger_dag_id)
        now = dt.datetime.now(dt.timezone.utc)
        left = self._cooldown_left(ti, key, now)
        if left is not None:
            outcome["reason"] = f"in cooldown for {left} more ({key}); {decision.reason}"
            self.log.info("Not triggering %s: %s", self.trigger_dag_id, outcome["reason"])
            return outcome
        raise self._hand_over_trigger(context, key, now, triggered_run_id(ti.dag_id, ti.run_id), decision, outcome)

    def _cooldown_left(self, ti: Any, key: str, now: dt.datetime) -> dt.timedelta | None:
        if self.cooldown is None:
            return None
        from airflow.sdk import Variable

        from airflow_mlmonitor.retrain.decision import CooldownState

        state: CooldownState | None = CooldownState.from_json_dict(
            Variable.get(key, default=None, deserialize_json=True)
        )
        if state is None or (left := state.remaining(self.cooldown, now)) is None:
            return None
        # The variable is written just before the trigger is handed over; count it only if that
        # run really exists (a trigger that failed must not start a cooldown).
        if ti.get_dr_count(dag_id=state.dag_id, run_ids=[state.run_id]) == 0:
            self.log.warning("Cooldown record %s names run %s, which does not exist; ignoring it.", key, state.run_id)
            return None
        return left

    def _hand_over_trigger(
        self, context: Context, key: str, now: dt.datetime, run_id: str, decision: Any, outcome: dict
    ) -> Exception:
        """Record the cooldown, push the outcome, and build the exception with which the task
        runner triggers the run (as Airflow's own TriggerDagRunOperator does)."""
        from airflow.sdk import Variable
        from airflow.sdk.exceptions import DagRunTriggerException

        from airflow_mlmonitor.retrain.decision import CooldownState
        from airflow_mlmonitor.telemetry.checks import emit_retrain_triggered

        ti = context["ti"]
        conf = {
            **(self.conf or {}),
            "reason": decision.reason,
            "source_dag_id": ti.dag_id,
            "source_run_id": ti.run_id,
            "checks": {k: dict(v) for k, v in decision.checks.items()},
        }
        if self.cooldown is not None:
            Variable.set(key, json.dumps(CooldownState(now, self.trigger_dag_id, run_id).to_json_dict()))
        outcome.update(triggered=True, run_id=run_id)
        ti.xcom_push(key="return_value", value=outcome)
        self.log.info("Triggering %s (run %s): %s", self.trigger_dag_id, run_id, decision.reason)
        emit_retrain_triggered(target_dag_id=self.trigger_dag_id, statsd_conn_id=self.statsd_conn_id)  # never raises
        return DagRunTriggerException(
            trigger_dag_id=self.trigger_dag_id,
            dag_run_id=run_id,
            conf=conf,
            logical_date=None,
            reset_dag_run=False,
            skip_when_already_exists=True,
            wait_for_completion=False,
            allowed_states=[],
            failed_states=[],
            poke_interval=60,
            deferrable=False,
        )
