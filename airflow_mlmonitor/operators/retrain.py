"""Trigger a retraining DAG when upstream checks did not pass, with a cooldown."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_mlmonitor.retrain.decision import CooldownState, RetrainDecision
    from airflow_mlmonitor.retrain.volume import VolumeState

COOLDOWN_VARIABLE_PREFIX = "mlmonitor.retrain.cooldown."
VOLUME_VARIABLE_PREFIX = "mlmonitor.retrain.volume."


class RetrainTriggerOperator(BaseOperator):
    """Trigger one run of ``trigger_dag_id`` when any of ``check_task_ids`` did not pass.

    Runs with ``trigger_rule="all_done"`` by default, so it also runs after a failed or skipped
    check. Within ``cooldown`` of the last trigger for ``cooldown_key`` (state in the Airflow
    Variable ``mlmonitor.retrain.cooldown.<key>``, so it outlives workers) it does not trigger.
    The triggered run's id is derived from this run, so a retried task never triggers twice.

    With ``min_new_rows`` it also triggers when the rows the listed checks saw (their
    ``metrics.rows``) since the last trigger for ``cooldown_key`` reach that number, counted across
    runs and across every DAG that shares the key (state in the Variable
    ``mlmonitor.retrain.volume.<key>``). Each check task instance counts once however often it or
    this task is retried; any trigger for the key resets the count. The cooldown still applies
    (rows keep adding up during it). A check result marked ``insufficient`` (too little data to
    decide) is not a failed check.

    XCom ``return_value``: ``{"triggered", "reason", "trigger_dag_id", "run_id", "failing_checks",
    "missing_checks", "new_rows"}`` (``new_rows``: rows counted since the last trigger, None
    without ``min_new_rows``). The triggered run's conf: ``reason`` (the failed checks, or
    ``"data_volume"``), ``source_dag_id``, ``source_run_id``, ``checks`` (summary per check), with
    ``rows`` and ``min_new_rows`` for a data-volume trigger, plus ``conf``.

    :param trigger_dag_id: the retraining DAG to trigger (templated).
    :param check_task_ids: task ids of the upstream checks whose XCom results decide (templated);
        a check that pushed no result is listed in ``missing_checks`` and does not count as failed.
    :param cooldown: no new trigger within this long after the last one for ``cooldown_key``
        (None: no cooldown).
    :param cooldown_key: the cooldown's key (templated; default ``trigger_dag_id``), so several
        monitoring DAGs can share one cooldown.
    :param conf: extra keys for the triggered run's conf (templated); ours (``reason``,
        ``source_dag_id``, ``source_run_id``, ``checks``) win on a clash.
    :param min_new_rows: also trigger when this many rows were checked since the last trigger
        (a positive integer, or None to count nothing).
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
        min_new_rows: int | None = None,
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
        if min_new_rows is not None and (
            isinstance(min_new_rows, bool) or not isinstance(min_new_rows, int) or min_new_rows < 1
        ):
            raise ValueError(f"min_new_rows must be a positive integer or None, got {min_new_rows!r}")
        self.min_new_rows = min_new_rows
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
            "new_rows": None,
        }
        if decision.missing:
            self.log.warning("No result from %s: they do not count as failed checks.", decision.missing)
        name = self.cooldown_key or self.trigger_dag_id
        volume = self._count_rows(ti, name, decision) if self.min_new_rows is not None else None
        by_volume = volume is not None and self.min_new_rows is not None and volume.rows >= self.min_new_rows
        if volume is not None:
            outcome["new_rows"] = volume.rows
            if by_volume and not decision.trigger:
                outcome["reason"] = f"data_volume: {volume.rows} new rows >= min_new_rows={self.min_new_rows}"
        if not decision.trigger and not by_volume:
            self.log.info("Not triggering %s: %s", self.trigger_dag_id, outcome["reason"])
            return outcome
        key = COOLDOWN_VARIABLE_PREFIX + name
        now = dt.datetime.now(dt.UTC)
        left = self._cooldown_left(ti, key, now)
        if left is not None:
            outcome["reason"] = f"in cooldown for {left} more ({key}); {outcome['reason']}"
            self.log.info("Not triggering %s: %s", self.trigger_dag_id, outcome["reason"])
            return outcome
        extra = {} if decision.trigger or volume is None else {
            "reason": "data_volume", "rows": volume.rows, "min_new_rows": self.min_new_rows
        }
        run_id = triggered_run_id(ti.dag_id, ti.run_id)
        raise self._hand_over_trigger(context, name, now, run_id, decision, outcome, extra)

    def _count_rows(self, ti: Any, name: str, decision: RetrainDecision) -> VolumeState:
        """Record this run's check rows in the volume state of ``name``; return the new state."""
        from airflow.sdk import Variable

        from airflow_mlmonitor.retrain.volume import VolumeState, check_rows

        key = VOLUME_VARIABLE_PREFIX + name
        state = VolumeState.from_json_dict(Variable.get(key, default=None, deserialize_json=True))
        rows = check_rows(ti.dag_id, ti.run_id, decision.rows)
        if not rows:
            self.log.warning("No listed check reported metrics.rows: nothing to count for min_new_rows.")
        new = state.record(rows)
        if new != state:
            Variable.set(key, json.dumps(new.to_json_dict()))
        self.log.info("%s rows counted since the last trigger for %r (min_new_rows=%s)", new.rows, name, self.min_new_rows)
        return new

    def _reset_rows(self, name: str) -> None:
        """Any trigger for ``name`` resets its row count (whichever DAG counted them)."""
        from airflow.sdk import Variable

        from airflow_mlmonitor.retrain.volume import VolumeState

        key = VOLUME_VARIABLE_PREFIX + name
        stored = Variable.get(key, default=None, deserialize_json=True)
        if stored is None:
            return
        state = VolumeState.from_json_dict(stored)
        Variable.set(key, json.dumps(state.reset().to_json_dict()))

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
        self, context: Context, name: str, now: dt.datetime, run_id: str, decision: Any, outcome: dict,
        extra: dict[str, Any],
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
            **extra,
        }
        if self.cooldown is not None:
            key = COOLDOWN_VARIABLE_PREFIX + name
            Variable.set(key, json.dumps(CooldownState(now, self.trigger_dag_id, run_id).to_json_dict()))
        self._reset_rows(name)
        outcome.update(triggered=True, run_id=run_id)
        ti.xcom_push(key="return_value", value=outcome)
        self.log.info("Triggering %s (run %s): %s", self.trigger_dag_id, run_id, outcome["reason"])
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
