"""``MLflowModelVersionTrigger``: waits for a new model version without blocking the event loop.

Every MLflow call is synchronous, so each poll runs in a worker thread (``asyncio.to_thread``);
the connection is fetched with the async ``BaseHook.aget_connection``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent


def find_new_version(hook: Any, model_name: str, newer_than: str | None) -> dict[str, Any] | None:
    """``{"version", "run_id"}`` of the newest version newer than ``newer_than``, or None yet."""
    from airflow_mlmonitor.registry.refs import newest_version_after

    found = newest_version_after(hook.get_conn(), model_name, newer_than)
    return None if found is None else found.to_dict()


class MLflowModelVersionTrigger(BaseTrigger):
    """Fires once ``model_name`` has a version newer than ``newer_than`` (see the sensor).

    Event payload: ``{"status": "success", "version", "run_id"}`` or ``{"status": "error", "message"}``.
    """

    def __init__(
        self, *, model_name: str, newer_than: str | None, mlflow_conn_id: str = "mlflow_default",
        poke_interval: float = 60.0,
    ) -> None:
        super().__init__()
        self.model_name = model_name
        self.newer_than = newer_than
        self.mlflow_conn_id = mlflow_conn_id
        self.poke_interval = float(poke_interval)

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "model_name": self.model_name,
                "newer_than": self.newer_than,
                "mlflow_conn_id": self.mlflow_conn_id,
                "poke_interval": self.poke_interval,
            },
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        from airflow.sdk import BaseHook

        from airflow_mlmonitor.hooks.mlflow import MLflowHook

        try:
            conn = await BaseHook.aget_connection(self.mlflow_conn_id)
            hook = MLflowHook(self.mlflow_conn_id, connection=conn)
            while True:
                found = await asyncio.to_thread(find_new_version, hook, self.model_name, self.newer_than)
                if found is not None:
                    yield TriggerEvent({"status": "success", **found})
                    return
                self.log.info("No version of %s newer than %s yet; next check in %ss",
                              self.model_name, self.newer_than, self.poke_interval)
                await asyncio.sleep(self.poke_interval)
        except Exception as err:
            yield TriggerEvent({"status": "error", "message": f"{type(err).__name__}: {err}"})
