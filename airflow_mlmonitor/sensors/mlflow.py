"""``MLflowModelVersionSensor``: wait for a new version of a registered model (poke or deferred)."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseSensorOperator, PokeReturnValue

if TYPE_CHECKING:
    from airflow.sdk import Context


class MLflowModelVersionSensor(BaseSensorOperator):
    """Wait until ``model_name`` has a version newer than ``newer_than``.

    XCom ``return_value``: ``{"version", "run_id"}`` of the newest such version.

    Versions tagged ``mlmonitor.rolled_back_at`` never count (unless ``include_rolled_back``).
    Transient MLflow faults (a server restart, 429/5xx) are retried with capped exponential
    backoff, each retry logged, within ``transient_budget`` seconds per poke; permanent ones (an
    unknown model, 401/403, a bad request) fail at once.

    :param model_name: registered model name; an unknown model fails at once (naming the close
        existing names) unless ``wait_for_model``.
    :param newer_than: a model reference (default ``"@champion"``); when it resolves to nothing
        (no champion yet) or is None, any version counts.
    :param include_rolled_back: let rolled-back versions count as new.
    :param wait_for_model: keep waiting while the model does not exist yet.
    :param transient_budget: seconds of backoff spent on transient faults before failing.
    :param mlflow_conn_id: the ``mlflow`` connection.
    :param deferrable: wait in the triggerer instead of a worker slot (default:
        ``[operators] default_deferrable``).
    """

    template_fields: Sequence[str] = ("model_name", "newer_than")
    ui_color = "#e8f4ea"

    def __init__(
        self,
        *,
        model_name: str,
        newer_than: str | None = "@champion",
        include_rolled_back: bool = False,
        wait_for_model: bool = False,
        transient_budget: float = 300.0,
        mlflow_conn_id: str = "mlflow_default",
        deferrable: bool | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.model_name = model_name
        self.newer_than = newer_than
        self.include_rolled_back = include_rolled_back
        self.wait_for_model = wait_for_model
        self.transient_budget = transient_budget
        self.mlflow_conn_id = mlflow_conn_id
        self.deferrable = deferrable

    def poke(self, context: Context) -> bool | PokeReturnValue:
        from airflow_mlmonitor.hooks.mlflow import MLflowHook
        from airflow_mlmonitor.registry.retry import call_with_backoff
        from airflow_mlmonitor.triggers.mlflow import find_new_version, transient_backoff

        hook = MLflowHook(self.mlflow_conn_id)
        found = call_with_backoff(
            lambda: find_new_version(hook, self.model_name, self.newer_than, wait_for_model=self.wait_for_model,
                                     include_rolled_back=self.include_rolled_back),
            transient_backoff(self.transient_budget), what=f"waiting for a new version of {self.model_name!r}",
            logger=self.log,
        )
        return PokeReturnValue(is_done=found is not None, xcom_value=found)

    def _is_deferrable(self) -> bool:
        if self.deferrable is not None:
            return bool(self.deferrable)
        from airflow.sdk.configuration import conf

        return conf.getboolean("operators", "default_deferrable", fallback=False)

    def execute(self, context: Context) -> Any:
        if not self._is_deferrable():
            return super().execute(context)
        from airflow_mlmonitor.triggers.mlflow import MLflowModelVersionTrigger

        trigger = MLflowModelVersionTrigger(
            model_name=self.model_name, newer_than=self.newer_than, mlflow_conn_id=self.mlflow_conn_id,
            poke_interval=self.poke_interval, include_rolled_back=self.include_rolled_back,
            wait_for_model=self.wait_for_model, transient_budget=self.transient_budget,
        )
        self.defer(trigger=trigger, method_name="execute_complete",
                   timeout=datetime.timedelta(seconds=self.timeout))

    def execute_complete(self, context: Context, event: dict[str, Any] | None = None) -> dict[str, Any]:
        from airflow_mlmonitor.registry.errors import RegistryError

        if not event or event.get("status") != "success":
            message = (event or {}).get("message", "no event")
            raise RegistryError(f"waiting for a new version of {self.model_name!r} failed: {message}")
        self.log.info("MLMONITOR new version %s of %s (run %s)", event["version"], self.model_name, event["run_id"])
        return {"version": event["version"], "run_id": event["run_id"]}
