"""Transient MLflow faults are survived, permanent ones fail at once (issue 22, defect 5).

A real ``mlflow server`` is stopped and started again on the same port and backend while the
sensor pokes and while the trigger polls; a loopback HTTP server answers 503 then 200 (retried,
each retry logged) or 404/401 (not retried).
"""

from __future__ import annotations

import asyncio
import http.server
import json
import logging
import threading
import time

import pytest

from airflow_mlmonitor.registry.errors import ModelNotFoundError, RegistryError
from airflow_mlmonitor.sensors.mlflow import MLflowModelVersionSensor
from airflow_mlmonitor.triggers.mlflow import MLflowModelVersionTrigger
from tests.fixtures.mlflow import SERVER_CONN_ID, client_for, register_versions, unique_name

pytestmark = pytest.mark.timeout(1800)  # two server restarts: slow on a loaded machine


def model_with_a_new_version(client):
    name = unique_name("restart")
    v1, v2 = register_versions(client, name, [{"accuracy": 0.8}, {"accuracy": 0.9}])
    client.set_registered_model_alias(name, "champion", v1)
    return name, v2


def restart_soon(server, down_for: float = 2.0) -> threading.Thread:
    server.stop()

    def later() -> None:
        time.sleep(down_for)
        server.start()

    thread = threading.Thread(target=later, daemon=True)
    thread.start()
    return thread


def test_sensor_survives_a_server_restart(mlflow_server_process, server_client, caplog, capsys):
    name, v2 = model_with_a_new_version(server_client)
    sensor = MLflowModelVersionSensor(task_id="wait", model_name=name, mlflow_conn_id=SERVER_CONN_ID,
                                     transient_budget=1200)  # a restart is slow on a loaded machine
    thread = restart_soon(mlflow_server_process)
    with caplog.at_level(logging.WARNING):
        found = sensor.poke({})  # the server is down now: this poke waits for it
    thread.join()
    assert found.is_done and found.xcom_value["version"] == v2
    logged = caplog.text + capsys.readouterr().out  # the task logger writes through structlog
    assert "transient MLflow fault (try 1)" in logged  # each retry is logged


@pytest.mark.asyncio
async def test_trigger_survives_a_server_restart(mlflow_server_process, server_client):
    name, v2 = model_with_a_new_version(server_client)
    trigger = MLflowModelVersionTrigger(model_name=name, newer_than="@champion", mlflow_conn_id=SERVER_CONN_ID,
                                        poke_interval=0.2, transient_budget=1200)
    thread = restart_soon(mlflow_server_process)
    event = await asyncio.wait_for(trigger.run().__anext__(), timeout=1500)
    await asyncio.to_thread(thread.join)
    assert event.payload["status"] == "success" and event.payload["version"] == v2, event.payload


@pytest.mark.asyncio
async def test_an_unknown_model_fails_at_once(mlflow_server, server_client):
    name, _ = model_with_a_new_version(server_client)
    sensor = MLflowModelVersionSensor(task_id="wait", model_name=name + "x", mlflow_conn_id=SERVER_CONN_ID)
    began = time.monotonic()
    with pytest.raises(ModelNotFoundError, match=f"did you mean {name!r}"):
        sensor.poke({})
    trigger = MLflowModelVersionTrigger(model_name=name + "x", newer_than="@champion", mlflow_conn_id=SERVER_CONN_ID)
    event = await asyncio.wait_for(trigger.run().__anext__(), timeout=60)
    assert event.payload["status"] == "error" and "does not exist" in event.payload["message"]
    assert time.monotonic() - began < 30  # no backoff spent on a permanent error
    waiting = MLflowModelVersionSensor(task_id="w", model_name=name + "x", mlflow_conn_id=SERVER_CONN_ID,
                                       wait_for_model=True)
    assert waiting.poke({}).is_done is False


@pytest.fixture
def scripted_server():
    """Loopback HTTP server answering each request with the next (status, body) of a script."""
    script: list[tuple[int, dict]] = []
    seen: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.path)
            status, body = script.pop(0) if script else (500, {})
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", script, seen
    server.shutdown()


def test_503_is_retried_with_backoff_and_404_401_are_not(scripted_server, caplog):
    from airflow_mlmonitor.registry.refs import get_registered_model

    url, script, seen = scripted_server
    client = client_for(url, timeout=5, max_retries=3)
    ok = {"registered_model": {"name": "m"}}
    script[:] = [(503, {}), (503, {"error_code": "TEMPORARILY_UNAVAILABLE", "message": "busy"}), (200, ok)]
    with caplog.at_level(logging.WARNING):
        assert get_registered_model(client, "m").name == "m"
    assert len(seen) == 3 and caplog.text.count("HTTP 503") == 2
    seen.clear()
    script[:] = [(404, {"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "no model 'm'"}),
                 (200, {"registered_models": [{"name": "m1"}]})]
    with pytest.raises(ModelNotFoundError, match="did you mean 'm1'"):
        get_registered_model(client, "m")
    script[:] = [(401, {"error_code": "UNAUTHENTICATED", "message": "bad credentials"}), (200, ok)]
    with pytest.raises(RegistryError, match=r"refused.*bad credentials"):
        get_registered_model(client, "m")
    assert len(seen) == 3  # 404: the lookup plus the did-you-mean listing; 401: one request
