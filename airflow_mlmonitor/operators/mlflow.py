"""MLflow registry operators: champion/challenger comparison, promotion and rollback on aliases.

Every operator takes ``mlflow_conn_id`` (an ``mlflow`` connection, see
:mod:`airflow_mlmonitor.hooks.mlflow`); MLflow is imported at execute time only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator

from airflow_mlmonitor.operators._check import Artifacts, BaseCheckOperator

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_mlmonitor.registry.actions import Audit, Rollback
    from airflow_mlmonitor.results import CheckResult


def audit_from(context: Context) -> Audit:
    from airflow_mlmonitor.registry.actions import Audit

    ti = context["ti"]
    return Audit(dag_id=str(ti.dag_id), run_id=str(ti.run_id))


def emit_model_event(event: Any, model_name: str, statsd_conn_id: str) -> None:
    """``model.{event}.{model}`` counter; never raises (the telemetry seam guarantees it)."""
    from airflow_mlmonitor.telemetry.checks import emit_model_event as emit

    emit(event, model_name=model_name, statsd_conn_id=statsd_conn_id)


def roll_back(
    *,
    model_name: str,
    alias: str,
    to_version: Any,
    reason: str,
    audit: Audit,
    mlflow_conn_id: str,
    statsd_conn_id: str,
    log: Any,
) -> Rollback:
    """Roll ``alias`` back, emit ``model.rollback`` and log the outcome: what
    :class:`MLflowRollbackOperator` and the ``rollback_model_on_failure`` callback both do."""
    from airflow_mlmonitor.hooks.mlflow import MLflowHook
    from airflow_mlmonitor.registry.actions import rollback

    done = rollback(
        MLflowHook(mlflow_conn_id).get_conn(),
        model_name,
        alias=alias,
        to_version=str(to_version) if to_version not in (None, "") else None,
        reason=reason,
        audit=audit,
    )
    if done.already_done:
        log.info("This DAG run already rolled %s @%s back (%s -> %s): nothing to do",
                 model_name, alias, done.from_version, done.to_version)
    else:
        emit_model_event("rollback", model_name, statsd_conn_id)
        log.warning("MLMONITOR rolled %s @%s back from version %s to %s (%s)", model_name, alias,
                    done.from_version, done.to_version, reason)
    if done.concurrent_change:
        log.warning("Another writer moved @%s to version %s meanwhile", alias, done.concurrent_change)
    return done


class MLflowModelComparisonOperator(BaseCheckOperator):
    """Compare a candidate model with a baseline on their runs' metrics (``MetricThreshold`` rules).

    XCom ``return_value``: the check result with ``model_name``, ``decision`` (``promote`` |
    ``reject``), ``candidate``/``baseline`` (``{"version", "run_id"}``), ``rules`` (one
    ``{"metric", "candidate", "baseline", "delta", "relative_delta", "passed", "reason"}`` per rule),
    ``failed_metrics`` and ``promotion`` (set when ``promote_to_alias`` promoted the candidate).

    Also takes the check operators' ``on_failure`` (what a rejection does to the task; here
    ``"skip"`` by default, so a downstream promotion is skipped too) and ``statsd_conn_id``.

    :param model_name: registered model name.
    :param candidate: ``"7"``, ``"@challenger"``, ``"latest"`` or ``"run:<run_id>"``.
    :param baseline: reference of the model to beat (default ``"@champion"``).
    :param rules: ``[{"metric", "greater_is_better", "threshold", "min_absolute_change",
        "min_relative_change"}]``; a rule with none of the last three means "no worse".
    :param promote_if_no_baseline: when the baseline alias is unset, decide on thresholds alone
        (otherwise that is an error).
    :param promote_to_alias: promote the candidate to this alias in the same task when it passes.
    :param previous_alias: alias given to the former holder on promotion.
    :param mlflow_conn_id: the ``mlflow`` connection (see ``MLflowHook``).
    """

    default_on_failure = "skip"
    template_fields: Sequence[str] = ("model_name", "candidate", "baseline", "rules", "promote_to_alias")

    def __init__(
        self,
        *,
        model_name: str,
        candidate: str,
        rules: list[dict[str, Any]],
        baseline: str | None = "@champion",
        promote_if_no_baseline: bool = False,
        promote_to_alias: str | None = None,
        previous_alias: str | None = "previous_champion",
        mlflow_conn_id: str = "mlflow_default",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.model_name = model_name
        self.candidate = candidate
        self.rules = rules
        self.baseline = baseline
        self.promote_if_no_baseline = promote_if_no_baseline
        self.promote_to_alias = promote_to_alias
        self.previous_alias = previous_alias
        self.mlflow_conn_id = mlflow_conn_id

    def run_check(self, context: Context) -> tuple[CheckResult, Artifacts]:
        from airflow_mlmonitor.hooks.mlflow import MLflowHook
        from airflow_mlmonitor.registry.actions import promote
        from airflow_mlmonitor.registry.check import comparison_result, render_report, run_comparison

        client = MLflowHook(self.mlflow_conn_id).get_conn()
        outcome = run_comparison(
            client, self.model_name, candidate=str(self.candidate), baseline=self.baseline,
            rules=self.rules, promote_if_no_baseline=self.promote_if_no_baseline,
        )
        promotion = None
        if outcome.comparison.passed and self.promote_to_alias:
            version = outcome.candidate.version
            if version is None:
                from airflow_mlmonitor.exceptions import InvalidInputError

                raise InvalidInputError(f"{outcome.candidate.label} is not a registered version of {self.model_name!r}")
            done = promote(client, self.model_name, version, alias=self.promote_to_alias,
                           previous_alias=self.previous_alias, audit=audit_from(context))
            promotion = done.to_dict()
            if done.changed:
                emit_model_event("promotion", self.model_name, self.statsd_conn_id)
        result = comparison_result(outcome, promotion)
        return result, {"report.html": render_report(result)}


class MLflowPromoteModelOperator(BaseOperator):
    """Move ``alias`` to a version, ``previous_alias`` to the former holder, and tag the version
    (``mlmonitor.promoted_at|promoted_from|dag_id|run_id``).

    Promoting the current holder again is a no-op (``changed`` is False).
    XCom ``return_value``: ``{"model_name", "alias", "version", "previous_version", "changed"}``.

    :param model_name: registered model name (templated).
    :param version: a version number or any model reference (``"@challenger"``, ``"latest"``,
        ``"run:<run_id>"``...) (templated).
    :param alias: the alias to move to ``version`` (default ``"champion"``; templated).
    :param previous_alias: alias given to the former holder of ``alias`` (default
        ``"previous_champion"``; None gives none; templated).
    :param mlflow_conn_id: the ``mlflow`` connection (see ``MLflowHook``).
    :param statsd_conn_id: StatsD connection for the ``model.promotion`` counter (no-op when none resolves).
    """

    template_fields: Sequence[str] = ("model_name", "version", "alias", "previous_alias")

    def __init__(
        self,
        *,
        model_name: str,
        version: str,
        alias: str = "champion",
        previous_alias: str | None = "previous_champion",
        mlflow_conn_id: str = "mlflow_default",
        statsd_conn_id: str = "statsd_default",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.model_name = model_name
        self.version = version
        self.alias = alias
        self.previous_alias = previous_alias
        self.mlflow_conn_id = mlflow_conn_id
        self.statsd_conn_id = statsd_conn_id

    def execute(self, context: Context) -> dict[str, Any]:
        from airflow_mlmonitor.hooks.mlflow import MLflowHook
        from airflow_mlmonitor.registry.actions import promote
        from airflow_mlmonitor.registry.refs import locate

        client = MLflowHook(self.mlflow_conn_id).get_conn()
        version, _ = locate(client, self.model_name, str(self.version))
        done = promote(client, self.model_name, str(version), alias=self.alias,
                       previous_alias=self.previous_alias, audit=audit_from(context))
        if done.changed:
            emit_model_event("promotion", self.model_name, self.statsd_conn_id)
            self.log.info("MLMONITOR promoted %s version %s to @%s (previous holder: %s)", self.model_name,
                          version, self.alias, done.previous_version or "none")
        else:
            self.log.info("%s version %s already holds @%s: nothing to do", self.model_name, version, self.alias)
        return done.to_dict()


class MLflowRollbackOperator(BaseOperator):
    """Move ``alias`` back to the previous good holder (through the promotion history, skipping
    versions already rolled back) or to ``to_version``; tag the bad version
    ``mlmonitor.rolled_back_at`` / ``mlmonitor.rollback_reason``.

    Idempotent within a DAG run (a retry does not roll back twice). With nowhere to go it fails and
    changes nothing. XCom ``return_value``: ``{"model_name", "alias", "from_version",
    "to_version", "already_done", "concurrent_change"}``.

    :param model_name: registered model name (templated).
    :param alias: the alias to roll back (default ``"champion"``; templated).
    :param to_version: move the alias to this version instead of walking back the promotion
        history (templated; None or ``""`` walks back).
    :param reason: stored in the bad version's ``mlmonitor.rollback_reason`` tag (templated;
        default ``"rolled back by <dag_id>.<task_id>"``).
    :param mlflow_conn_id: the ``mlflow`` connection (see ``MLflowHook``).
    :param statsd_conn_id: StatsD connection for the ``model.rollback`` counter (no-op when none resolves).
    """

    template_fields: Sequence[str] = ("model_name", "alias", "to_version", "reason")

    def __init__(
        self,
        *,
        model_name: str,
        alias: str = "champion",
        to_version: str | None = None,
        reason: str = "",
        mlflow_conn_id: str = "mlflow_default",
        statsd_conn_id: str = "statsd_default",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.model_name = model_name
        self.alias = alias
        self.to_version = to_version
        self.reason = reason
        self.mlflow_conn_id = mlflow_conn_id
        self.statsd_conn_id = statsd_conn_id

    def execute(self, context: Context) -> dict[str, Any]:
        done = roll_back(
            model_name=self.model_name,
            alias=self.alias,
            to_version=self.to_version,
            reason=self.reason or f"rolled back by {self.dag_id}.{self.task_id}",
            audit=audit_from(context),
            mlflow_conn_id=self.mlflow_conn_id,
            statsd_conn_id=self.statsd_conn_id,
            log=self.log,
        )
        return done.to_dict()
