"""One `make stack` deployment per test session, driven only through the REST API, the plugin's
routes and S3 (boto3). ``MLMONITOR_STACK_DIR`` reuses a stack already running there instead
(e.g. ``make stack`` then ``MLMONITOR_STACK_DIR=.stack pytest tests/system``)."""

from __future__ import annotations

import json
import os
import pathlib
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.system.stack import REPO, Stack, read_env

TERMINAL = {"success", "failed"}
#: tests/integration/ui/auth.py: SimpleAuthManager whose GRANTS users read only the DAGs listed there
SCOPED_AUTH_MANAGER = "tests.integration.ui.auth.DagScopedAuthManager"
OUTSIDER = "outsider"


class Airflow:
    """A thin REST client of the stack's API server (a JWT from ``POST /auth/token``)."""

    def __init__(self, env: dict[str, str]) -> None:
        import httpx

        self.env = env
        self.http = httpx.Client(base_url=env["AIRFLOW_API"], timeout=30)
        response = self.http.post("/auth/token", json={"username": env["AIRFLOW_USER"], "password": env["AIRFLOW_PASSWORD"]})
        response.raise_for_status()
        self.headers = {"Authorization": f"Bearer {response.json()['access_token']}"}

    def token_headers(self, user: str) -> dict[str, str] | None:
        """A bearer header for another user of the stack, or None when the stack has no such user."""
        passwords = json.loads((pathlib.Path(self.env["STACK_DIR"]) / "passwords.json").read_text())
        if user not in passwords:
            return None
        response = self.http.post("/auth/token", json={"username": user, "password": passwords[user]})
        response.raise_for_status()
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    def get(self, path: str, headers: dict[str, str] | None = None, **kwargs: Any) -> Any:
        return self.http.get(path, headers={**self.headers, **(headers or {})}, **kwargs)

    def ok(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.http.request(method, path, headers=self.headers, **kwargs)
        assert response.status_code < 300, (method, path, response.status_code, response.text[:2000])
        return response.json()

    def wait_for_dag(self, dag_id: str, timeout: float = 180) -> None:
        """Wait until the dag-processor has parsed ``dag_id``, then unpause it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.get(f"/api/v2/dags/{dag_id}").status_code == 200:
                self.ok("PATCH", f"/api/v2/dags/{dag_id}", json={"is_paused": False})
                return
            time.sleep(2)
        raise AssertionError(f"DAG {dag_id} was not parsed within {timeout}s")

    def trigger(self, dag_id: str, conf: dict[str, Any] | None = None) -> str:
        body = self.ok("POST", f"/api/v2/dags/{dag_id}/dagRuns", json={"logical_date": None, "conf": conf or {}})
        return str(body["dag_run_id"])

    def run_state(self, dag_id: str, run_id: str) -> str:
        return str(self.ok("GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}")["state"])

    def wait_run(self, dag_id: str, run_id: str, timeout: float = 600) -> str:
        deadline = time.monotonic() + timeout
        state = "?"
        while time.monotonic() < deadline:
            state = self.run_state(dag_id, run_id)
            if state in TERMINAL:
                return state
            time.sleep(3)
        raise AssertionError(f"{dag_id} {run_id} still {state} after {timeout}s; tasks: {self.tasks(dag_id, run_id)}")

    def tasks(self, dag_id: str, run_id: str) -> dict[str, dict[str, Any]]:
        body = self.ok("GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances", params={"limit": 100})
        return {ti["task_id"]: ti for ti in body["task_instances"]}

    def tries(self, dag_id: str, run_id: str, task_id: str) -> list[dict[str, Any]]:
        body = self.ok("GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/tries")
        return list(body["task_instances"])

    def xcom(self, dag_id: str, run_id: str, task_id: str, key: str = "return_value") -> Any:
        body = self.ok("GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/xcomEntries/{key}",
                       params={"deserialize": True})
        value = body["value"]
        return json.loads(value) if isinstance(value, str) and value[:1] in "{[" else value


class S3:
    """The stack's bucket, read with boto3 like any S3 client."""

    def __init__(self, env: dict[str, str]) -> None:
        import boto3

        self.bucket = env["S3_BUCKET"]
        self.client = boto3.client(
            "s3", endpoint_url=env["S3_ENDPOINT"], region_name=env["STACK_AWS_DEFAULT_REGION"],
            aws_access_key_id=env["STACK_AWS_ACCESS_KEY_ID"], aws_secret_access_key=env["STACK_AWS_SECRET_ACCESS_KEY"],
        )

    def keys(self, prefix: str) -> list[str]:
        paginator = self.client.get_paginator("list_objects_v2")
        return [o["Key"] for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix) for o in page.get("Contents", [])]

    def read(self, key: str) -> bytes:
        return bytes(self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read())


@pytest.fixture(scope="session")
def stack() -> Iterator[tuple[Stack, dict[str, str]]]:
    reuse = os.environ.get("MLMONITOR_STACK_DIR")
    if reuse:
        root = pathlib.Path(reuse)
        yield Stack(root), read_env(root / "env")
        return
    # per-DAG permissions as a real deployment has them (FAB, Keycloak): "outsider" may read no DAG
    stack = Stack(REPO / ".stack" / "system-tests", auth_manager=SCOPED_AUTH_MANAGER, viewers=(OUTSIDER,))
    started = time.monotonic()
    try:
        values = stack.up()
        print(f"\nstack ready in {time.monotonic() - started:.0f} s ({stack.root})")
        yield stack, values
    finally:
        stack.down()


@pytest.fixture(scope="session")
def airflow(stack: tuple[Stack, dict[str, str]]) -> Airflow:
    return Airflow(stack[1])


@pytest.fixture(scope="session")
def s3(stack: tuple[Stack, dict[str, str]]) -> S3:
    return S3(stack[1])
