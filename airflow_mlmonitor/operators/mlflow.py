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
    from airflow_mlmonitor.registry.lease import LeaseConfig
    from airflow_mlmonitor.results import CheckResult


def lease_config() -> LeaseConfig:
    """The registry lease settings: ``[mlmonitor] registry_lease_ttl`` (seconds a lease is valid,
    default 120) and ``registry_lease_wait`` (seconds a move waits for a busy lease, default 60)."""
    from airflow.sdk.configuration import conf

    from airflow_mlmonitor.registry.lease import LeaseConfig

    ttl = conf.getfloat("mlmonitor", "registry_lease_ttl", fallback=120.0)
    return LeaseConfig(ttl=ttl, wait=conf.getfloat("mlmonitor", "registry_lease_wait", fallback=60.0),
                       margin=min(5.0, ttl / 4))


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
    expected_version: Any = None,
) -> Rollback:
    """Roll ``alias`` back, emit ``model.rollback`` and log the outcome: what
    :class:`MLflowRollbackOperator` and the ``rollback_model_on_failure`` callback both do.
    Raises :class:`~airflow_mlmonitor.registry.errors.LostRaceError` when another mover moved the
    alias after the rollback was decided (nothing changed)."""
    from airflow_mlmonitor.hooks.mlflow import MLflowHook
    from airflow_mlmonitor.registry.actions import READ, rollback

    done = rollback(
        MLflowHook(mlflow_conn_id).get_conn(),
        model_name,
        alias=alias,
        to_version=str(to_version) if to_version not in (None, "") else None,
        reason=reason,
        audit=audit,
        expected=str(expected_version) if expected_version not in (None, "") else READ,
        lease=lease_config(),
    )
    if done.already_done:
        log.info("This DAG run already rolled %s @%s back (%s -> %s): nothing to do",
                 model_name, alias, done.from_version, done.to_version)
    else:
        emit_model_event("rollback", model_name, statsd_conn_id)
        log.warning("MLMONITOR rolled %s @%s back from version %s to %s (%s)", model_name, alias,
                    done.from_version, done.to_version, reason)
    return done


class MLflowModelComparisonOperator(BaseCheckOperator):
    """Compare a candidate model with a baseline on their runs' metrics (``MetricThreshold`` rules).

    XCom ``return_value``: the check result with ``model_name``, ``decision`` (``promote`` |
    ``reject``), ``candidate``/``baseline`` (``{"version", "run_id"}``), ``rules`` (one
    ``{"metric", "candidate", "baseline", "delta", "relative_delta", "passed", "reason"}`` per rule),
    ``failed_metrics`` and ``promotion`` (set when ``promote_to_alias`` promoted the candidate).

    A baseline alias that is not set counts as "no baseline" only when the model has no aliases
    yet, or it is ``promote_to_alias``; any other missing alias fails naming the existing ones.

    :param model_name: registered model name.
    :param candidate: ``"7"``, ``"@challenger"``, ``"latest"`` or ``"run:<run_id>"``.
    :param baseline: reference of the model to beat (default ``"@champion"``).
    :param rules: ``[{"metric", "greater_is_better", "threshold", "min_absolute_change",
        "min_relative_change"}]``; a rule with none of the last three means "no worse".
    :param promote_if_no_baseline: when the baseline alias is unset, decide on thresholds alone
        (otherwise that is an error).
    :param promote_to_alias: promote the candidate to this alias in the same task when it passes
        (compare-and-set: if another mover changed the alias since the comparison read it, the
        task fails with ``LostRaceError`` and nothing moves; a retry compares again).
    :param previous_alias: alias given to the former holder on promotion.
    :param include_rolled_back: allow a version tagged ``mlmonitor.rolled_back_at`` as candidate or
        baseline (``"latest"`` skips them otherwise).
    :param mlflow_conn_id: the ``mlflow`` connection.
    :param on_failure: what a rejection does to the task: ``"skip"`` (default, so a downstream
        promotion is skipped too), ``"warn"`` or ``"fail"``.
    :param statsd_conn_id: StatsD connection for ``model.rejection`` and ``model.metric_delta``.
    :param retry_on_failure: with ``on_failure="fail"``, retry per ``retries`` instead of failing at
        once with ``AirflowFailException``.
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
        include_rolled_back: bool = False,
        mlflow_conn_id: str = "mlflow_default",
        on_failure: str = "skip",
        statsd_conn_id: str = "statsd_default",
        retry_on_failure: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            on_failure=on_failure, statsd_conn_id=statsd_conn_id, retry_on_failure=retry_on_failure, **kwargs
        )
        self.model_name = model_name
        self.candidate = candidate
        self.rules = rules
        self.baseline = baseline
        self.promote_if_no_baseline = promote_if_no_baseline
        self.promote_to_alias = promote_to_alias
        self.previous_alias = previous_alias
        self.include_rolled_back = include_rolled_back
        self.mlflow_conn_id = mlflow_conn_id

    def run_check(self, context: Context) -> tuple[CheckResult, Artifacts]:
        from airflow_mlmonitor.hooks.mlflow import MLflowHook
        from airflow_mlmonitor.registry.check import comparison_result, failed_rule_lines, render_report

        client = MLflowHook(self.mlflow_conn_id).get_conn()
        outcome, promotion = self._compare_and_promote(client, audit_from(context))
        for line in failed_rule_lines(outcome):
            self.log.warning("MLMONITOR %s: %s", self.model_name, line)
        result = comparison_result(outcome, promotion)
        return result, {"report.html": render_report(result)}

    def _compare_and_promote(self, client: Any, audit: Audit) -> tuple[Any, dict[str, Any] | None]:
        """Compare; when it passes and ``promote_to_alias`` is set, promote compare-and-set against
        the holder read before comparing. A retry of this DAG run after its promotion compares
        against the baseline it was decided on and reports the promotion already done."""
        from airflow_mlmonitor.registry.actions import promote, promoted_by
        from airflow_mlmonitor.registry.refs import alias_version, locate

        alias = self.promote_to_alias
        baseline = self.baseline
        done = None
        if alias:
            version, _ = locate(client, self.model_name, str(self.candidate), include_rolled_back=True)
            done = promoted_by(client, self.model_name, str(version), alias, audit) if version else None
            if done is not None and done.previous_version:
                baseline = done.previous_version
        expected = alias_version(client, self.model_name, alias) if alias and done is None else None
        outcome = self._run(client, baseline, include_rolled_back=self.include_rolled_back or done is not None)
        if not (outcome.comparison.passed and alias):
            return outcome, None
        if done is not None:
            self.log.info("This DAG run already promoted %s to @%s: nothing to do", outcome.candidate.label, alias)
            return outcome, done.to_dict()
        if outcome.candidate.version is None:
            from airflow_mlmonitor.exceptions import InvalidInputError

            raise InvalidInputError(f"{outcome.candidate.label} is not a registered version of {self.model_name!r}")
        moved = promote(client, self.model_name, outcome.candidate.version, alias=alias,
                        previous_alias=self.previous_alias, audit=audit, expected=expected, lease=lease_config())
        if moved.changed:
            emit_model_event("promotion", self.model_name, self.statsd_conn_id)
        return outcome, moved.to_dict()

    def _run(self, client: Any, baseline: str | None, *, include_rolled_back: bool) -> Any:
        from airflow_mlmonitor.registry.check import run_comparison

        return run_comparison(
            client, self.model_name, candidate=str(self.candidate), baseline=baseline, rules=self.rules,
            promote_if_no_baseline=self.promote_if_no_baseline, promote_to_alias=self.promote_to_alias,
            include_rolled_back=include_rolled_back,
        )

    def failure_message(self, result: CheckResult) -> str:
        lines = [f"{r['metric']}: candidate {r['candidate']}, baseline {r['baseline']}, delta {r['delta']} "
                 f"({r['reason']})" for r in result.details.get("rules", []) if not r["passed"]]
        return "; ".join([f"{self.task_id}: {result.summary}", *lines])


class MLflowPromoteModelOperator(BaseOperator):
    """Move ``alias`` to a version, ``previous_alias`` to the former holder, and tag the version
    (``mlmonitor.promoted_at|promoted_from|dag_id|run_id``).

    Compare-and-set under the model's registry lease: the former holder read when the task starts
    must still hold ``alias`` at the move, else the task fails (no retry) and nothing changes. A
    retry of a promotion this DAG run already did is a no-op (``already_done``).

    XCom ``return_value``: ``{"model_name", "alias", "version", "previous_version", "changed",
    "already_done"}``.

    :param model_name: registered model name.
    :param version: a version number or any model reference (``"@challenger"``, ``"latest"``...).
    :param alias: alias to move (default ``"champion"``).
    :param previous_alias: alias given to the former holder (must differ from ``alias``; None: none).
    :param include_rolled_back: let ``version`` name a version that was rolled back (``"latest"``
        skips them otherwise).
    :param mlflow_conn_id: the ``mlflow`` connection.
    :param statsd_conn_id: StatsD connection for ``model.promotion``.
    """

    template_fields: Sequence[str] = ("model_name", "version", "alias", "previous_alias")

    def __init__(
        self,
        *,
        model_name: str,
        version: str,
        alias: str = "champion",
        previous_alias: str | None = "previous_champion",
        include_rolled_back: bool = False,
        mlflow_conn_id: str = "mlflow_default",
        statsd_conn_id: str = "statsd_default",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.model_name = model_name
        self.version = version
        self.alias = alias
        self.previous_alias = previous_alias
        self.include_rolled_back = include_rolled_back
        self.mlflow_conn_id = mlflow_conn_id
        self.statsd_conn_id = statsd_conn_id

    def execute(self, context: Context) -> dict[str, Any]:
        from airflow.sdk.exceptions import AirflowFailException

        from airflow_mlmonitor.hooks.mlflow import MLflowHook
        from airflow_mlmonitor.registry.actions import promote
        from airflow_mlmonitor.registry.errors import LostRaceError
        from airflow_mlmonitor.registry.refs import locate

        client = MLflowHook(self.mlflow_conn_id).get_conn()
        version, _ = locate(client, self.model_name, str(self.version), include_rolled_back=self.include_rolled_back)
        try:
            done = promote(client, self.model_name, str(version), alias=self.alias,
                           previous_alias=self.previous_alias, audit=audit_from(context), lease=lease_config())
        except LostRaceError as err:
            raise AirflowFailException(str(err)) from err
        if done.already_done:
            self.log.info("This DAG run already promoted %s version %s to @%s (previous holder: %s): nothing to do",
                          self.model_name, version, self.alias, done.previous_version or "none")
        elif done.changed:
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

    Compare-and-set under the model's registry lease: the holder read when the task first runs (or
    ``expected_version``) must still hold ``alias``; if another mover moved it meanwhile the task
    is skipped with the reason and nothing changes. Idempotent within a DAG run (a retry does not
    roll back twice, nor roll back a newer holder). With nowhere to go it fails and changes
    nothing. XCom ``return_value``: ``{"model_name", "alias", "from_version", "to_version",
    "already_done", "concurrent_change"}``.

    :param model_name: registered model name.
    :param alias: alias to move back (default ``"champion"``).
    :param to_version: roll back to this version instead of walking the promotion history.
    :param reason: lands in the ``mlmonitor.rollback_reason`` tag of the bad version.
    :param expected_version: roll back only if ``alias`` is on this version (e.g. the version a
        monitoring task judged); default: the holder read when the task first runs.
    :param mlflow_conn_id: the ``mlflow`` connection.
    :param statsd_conn_id: StatsD connection for ``model.rollback``.
    """

    template_fields: Sequence[str] = ("model_name", "alias", "to_version", "reason", "expected_version")

    def __init__(
        self,
        *,
        model_name: str,
        alias: str = "champion",
        to_version: str | None = None,
        reason: str = "",
        expected_version: str | None = None,
        mlflow_conn_id: str = "mlflow_default",
        statsd_conn_id: str = "statsd_default",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.model_name = model_name
        self.alias = alias
        self.to_version = to_version
        self.reason = reason
        self.expected_version = expected_version
        self.mlflow_conn_id = mlflow_conn_id
        self.statsd_conn_id = statsd_conn_id

    def execute(self, context: Context) -> dict[str, Any]:
        from airflow.sdk.exceptions import AirflowSkipException

        from airflow_mlmonitor.registry.errors import LostRaceError

        try:
            done = roll_back(
                model_name=self.model_name,
                alias=self.alias,
                to_version=self.to_version,
                reason=self.reason or f"rolled back by {self.dag_id}.{self.task_id}",
                audit=audit_from(context),
                mlflow_conn_id=self.mlflow_conn_id,
                statsd_conn_id=self.statsd_conn_id,
                log=self.log,
                expected_version=self.expected_version,
            )
        except LostRaceError as err:
            self.log.warning("MLMONITOR rollback of %s @%s not done: %s", self.model_name, self.alias, err)
            raise AirflowSkipException(str(err)) from err
        return done.to_dict()
