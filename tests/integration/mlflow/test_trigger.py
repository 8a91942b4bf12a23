"""The trigger polls a real sqlite:/// registry from a worker thread: the event loop keeps running,
even while a poll is slow."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from airflow_mlmonitor.triggers.mlflow import MLflowModelVersionTrigger
from tests.fixtures.mlflow import SQLITE_CONN_ID, register_versions, unique_name


@pytest.mark.asyncio
async def test_trigger_fires_on_a_new_version_without_blocking_the_loop(sqlite_client, monkeypatch):
    from airflow_mlmonitor.triggers import mlflow as trigger_module

    name = unique_name("trigger")
    (v1,) = register_versions(sqlite_client, name, [{"accuracy": 0.8}])
    sqlite_client.set_registered_model_alias(name, "champion", v1)
    trigger = MLflowModelVersionTrigger(
        model_name=name, newer_than="@champion", mlflow_conn_id=SQLITE_CONN_ID, poke_interval=0.1
    )
    ticks = 0
    polls: list[tuple[int, int, int, object]] = []  # (thread, ticks before, ticks after, found)
    real_poll = trigger_module.find_new_version

    def slow_poll(*args, **kwargs):  # a slow registry: every poll blocks its thread for 0.3 s, then really polls
        before = ticks
        time.sleep(0.3)
        found = real_poll(*args, **kwargs)
        polls.append((threading.get_ident(), before, ticks, found))
        return found

    monkeypatch.setattr(trigger_module, "find_new_version", slow_poll)

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.005)

    loop_thread = threading.get_ident()
    ticking = asyncio.create_task(ticker())
    event = asyncio.ensure_future(trigger.run().__anext__())
    while len(polls) < 2:  # the trigger is polling (no new version yet)
        assert not event.done(), event.result()
        await asyncio.sleep(0.01)
    (v2,) = await asyncio.to_thread(register_versions, sqlite_client, name, [{"accuracy": 0.9}])
    result = await asyncio.wait_for(event, timeout=120)
    ticking.cancel()
    assert result.payload["status"] == "success"
    assert result.payload["version"] == v2 and result.payload["run_id"]
    assert polls[0][3] is None and polls[-1][3] == {"version": v2, "run_id": result.payload["run_id"]}
    assert all(thread != loop_thread for thread, *_ in polls), "a poll ran on the event loop's thread"
    stalled = [(before, after) for _, before, after, _ in polls if after == before]
    assert not stalled, f"the event loop did not tick during a slow poll: {stalled}"


@pytest.mark.asyncio
async def test_trigger_reports_errors_as_an_event():
    trigger = MLflowModelVersionTrigger(model_name="m", newer_than=None, mlflow_conn_id="undefined_conn_for_test")
    result = await asyncio.wait_for(trigger.run().__anext__(), timeout=60)
    assert result.payload["status"] == "error" and "undefined_conn_for_test" in result.payload["message"]
