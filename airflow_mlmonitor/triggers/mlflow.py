"""``MLflowModelVersionTrigger``: waits for a new model version without blocking the event loop.

Every MLflow call is synchronous, so each poll runs in a worker thread (``asyncio.to_thread``);
the connection is fetched with the async ``BaseHook.aget_connection``. Transient MLflow faults
(server restarting, 429/5xx) are retried with capped exponential backoff within
``transient_budget`` seconds; permanent ones (unknown model, 401/403, bad request) end at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

#: Defaults of the options serialized only when they differ (older payloads stay valid).
_OPTIONAL = {"include_rolled_back": False, "wait_for_model": False, "transient_budget": 300.0}


def find_new_version(hook: Any, model_name: str, newer_than: str | None, *, wait_for_model: bool = False,
                     include_rolled_back: bool = False) -> dict[str, Any] | None:
    """``{"version", "run_id"}`` of the newest version newer than ``newer_than``, or None yet.
    Rolled-back versions never count unless ``include_rolled_back``; an unknown model raises
    ``ModelNotFoundError`` unless ``wait_for_model``."""
    from airflow_mlmonitor.registry.refs import newest_version_after

    found = newest_version_after(hook.get_conn(), model_name, newer_than, missing_ok=wait_for_model,
                                 include_rolled_back=include_rolled_back)
    return None if found is None else found.to_dict()


def transient_backoff(budget: float) -> Any:
    from airflow_mlmonitor.registry.retry import Backoff

    return Backoff(base=1.0, cap=30.0, budget=budget)


class MLflowModelVersionTrigger(BaseTrigger):
    """Fires once ``model_name`` has a version newer than ``newer_than`` (see the sensor).

    Event payload: ``{"status": "success", "version", "run_id"}`` or ``{"status": "error", "message"}``.
    """

    def __init__(
        self, *, model_name: str, newer_than: str | None, mlflow_conn_id: str = "mlflow_default",
        poke_interval: float = 60.0, include_rolled_back: bool = False, wait_for_model: bool = False,
        transient_budget: float = 300.0,
    ) -> None:
        super().__init__()
        self.model_name = model_name
        self.newer_than = newer_than
        self.mlflow_conn_id = mlflow_conn_id
        self.poke_interval = float(poke_interval)
        self.include_rolled_back = bool(include_rolled_back)
        self.wait_for_model = bool(wait_for_model)
        self.transient_budget = float(transient_budget)

    def serialize(self) -> tuple[str, dict[str, Any]]:
        kwargs: dict[str, Any] = {
            "model_name": self.model_name,
            "newer_than": self.newer_than,
            "mlflow_conn_id": self.mlflow_conn_id,
            "poke_interval": self.poke_interval,
        }
        kwargs.update({k: getattr(self, k) for k, default in _OPTIONAL.items() if getattr(self, k) != default})
        return f"{type(self).__module__}.{type(self).__qualname__}", kwargs

    async def _poll(self, hook: Any) -> dict[str, Any] | None:
        """One poll, retrying transient faults with capped exponential backoff (each retry logged)."""
        from airflow_mlmonitor.registry.retry import is_transient

        delays = transient_backoff(self.transient_budget).delays()
        while True:
            try:
                return await asyncio.to_thread(
                    find_new_version, hook, self.model_name, self.newer_than, wait_for_model=self.wait_for_model,
                    include_rolled_back=self.include_rolled_back)
            except Exception as err:
                delay = next(delays, None) if is_transient(err) else None
                if delay is None:
                    raise
                self.log.warning("Transient MLflow fault while waiting for %s: %s; retrying in %.1fs",
                                 self.model_name, err, delay)
                await asyncio.sleep(delay)

    async def run(self) -> AsyncIterator[TriggerEvent]:
        from airflow.sdk import BaseHook

        from airflow_mlmonitor.hooks.mlflow import MLflowHook

        try:
            conn = await BaseHook.aget_connection(self.mlflow_conn_id)
            hook = MLflowHook(self.mlflow_conn_id, connection=conn)
            while True:
                found = await self._poll(hook)
                if found is not None:
                    yield TriggerEvent({"status": "success", **found})
                    return
                self.log.info("No version of %s newer than %s yet; next check in %ss",
                              self.model_name, self.newer_than, self.poke_interval)
                await asyncio.sleep(self.poke_interval)
        except Exception as err:
            yield TriggerEvent({"status": "error", "message": f"{type(err).__name__}: {err}"})
