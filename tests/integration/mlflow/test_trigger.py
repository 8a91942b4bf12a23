"""The trigger polls a real sqlite:/// registry from a worker thread: the event loop keeps running."""

from __future__ import annotations

import asyncio

import pytest

from airflow_mlmonitor.triggers.mlflow import MLflowModelVersionTrigger
from tests.fixtures.mlflow import SQLITE_CONN_ID, register_versions, unique_name


@pytest.mark.asyncio
async def test_trigger_fires_on_a_new_version_without_blocking_the_loop(sqlite_client):
    name = unique_name("trigger")
    (v1,) = register_versions(sqlite_client, name, [{"accuracy": 0.8}])
    sqlite_client.set_registered_model_alias(name, "champion", v1)
    trigger = MLflowModelVersionTrigger(
        model_name=name, newer_than="@champion", mlflow_conn_id=SQLITE_CONN_ID, poke_interval=0.1
    )
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.005)

    ticking = asyncio.create_task(ticker())
    event = asyncio.ensure_future(trigger.run().__anext__())
    while ticks < 100:  # the trigger is polling (no new version yet) while the loop keeps ticking
        assert not event.done(), event.result()
        await asyncio.sleep(0.01)
    (v2,) = await asyncio.to_thread(register_versions, sqlite_client, name, [{"accuracy": 0.9}])
    before = ticks
    result = await asyncio.wait_for(event, timeout=120)
    ticking.cancel()
    assert result.payload["status"] == "success"
    assert result.payload["version"] == v2 and result.payload["run_id"]
    assert ticks > before  # the loop ran while the poll that found v2 was in flight


@pytest.mark.asyncio
async def test_trigger_reports_errors_as_an_event():
    trigger = MLflowModelVersionTrigger(model_name="m", newer_than=None, mlflow_conn_id="undefined_conn_for_test")
    result = await asyncio.wait_for(trigger.run().__anext__(), timeout=60)
    assert result.payload["status"] == "error" and "undefined_conn_for_test" in result.payload["message"]
