"""MLflowHook end to end: credentials reach the wire per client (never via os.environ), and
test_connection() against the real server and a dead port."""

from __future__ import annotations

import base64
import http.server
import json
import os
import threading

import pytest

from tests.fixtures.mlflow import client_for, free_port


@pytest.fixture
def header_recorder():
    """A loopback HTTP server answering MLflow's get-registered-model call, recording headers."""
    seen: list[dict[str, str]] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(dict(self.headers))
            body = json.dumps({"registered_model": {"name": "m"}}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", seen
    server.shutdown()


def test_basic_and_token_auth_are_sent_per_client(header_recorder):
    url, seen = header_recorder
    env_before = dict(os.environ)
    client_for(url, username="ann", password="pw").get_registered_model("m")
    client_for(url, token="tok-123").get_registered_model("m")
    client_for(url).get_registered_model("m")
    assert seen[0]["Authorization"] == "Basic " + base64.b64encode(b"ann:pw").decode()
    assert seen[1]["Authorization"] == "Bearer tok-123"
    assert "Authorization" not in seen[2]  # credentials of one client never leak into another
    assert dict(os.environ) == env_before


def test_test_connection(mlflow_server, monkeypatch):
    from airflow_mlmonitor.hooks.mlflow import MLflowHook

    ok, message = MLflowHook("mlflow_server").test_connection()
    assert ok and mlflow_server in message
    monkeypatch.setenv("AIRFLOW_CONN_MLFLOW_DOWN", json.dumps(
        {"conn_type": "mlflow", "host": "127.0.0.1", "port": free_port(), "extra": {"timeout": 2, "max_retries": 0}}))
    ok, message = MLflowHook("mlflow_down").test_connection()
    assert not ok and "Could not reach MLflow" in message
