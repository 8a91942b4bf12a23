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

    :param model_name: registered model name (it may not exist yet: the sensor keeps waiting).
    :param newer_than: a model reference (default ``"@champion"``); when it resolves to nothing
        (no champion yet) or is None, any version counts.
    :param mlflow_conn_id: the ``mlflow`` connection (see ``MLflowHook``).
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
        mlflow_conn_id: str = "mlflow_default",
        deferrable: bool | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.model_name = model_name
        self.newer_than = newer_than
        self.mlflow_conn_id = mlflow_conn_id
        self.deferrable = deferrable

    def poke(self, context: Context) -> bool | PokeReturnValue:
        from airflow_mlmonitor.hooks.mlflow import MLflowHook
        from airflow_mlmonitor.triggers.mlflow import find_new_version

        found = find_new_version(MLflowHook(self.mlflow_conn_id), self.model_name, self.newer_than)
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
            poke_interval=self.poke_interval,
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
