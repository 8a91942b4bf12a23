"""The human-approval example: a passed comparison waits in ``awaiting_input`` until a person answers
through the HITL REST API of a real ``airflow api-server`` sharing the metadata DB; "Approve" moves
``@champion``, "Reject" skips the promotion and leaves the champion where it was.

``dag.test()`` runs in its own process (it keeps the run alive while the task waits for input, as
Airflow documents); the test answers like a reviewer would, with a token from the API server.
"""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.fixtures.servers import ApiServer

REPO = pathlib.Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "example_dags" / "example_approval.py"
PASSWORD = "mlmonitor-hitl-test"
MODEL = "churn-approved"

RUNNER = """
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("example_approval", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
run = module.dag.test()
print("RESULT " + json.dumps({"run_id": run.run_id, "states": {ti.task_id: str(getattr(ti.state, "value", ti.state))
                               for ti in run.get_task_instances()}}))
"""


def test_example_parses_without_heavy_libraries():
    code = (f"import runpy, sys\nrunpy.run_path({str(EXAMPLE)!r})\n"
            "print([m for m in ('mlflow', 'sklearn', 'scipy') if m in sys.modules])\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip().splitlines()[-1] == "[]"


def test_example_is_not_in_the_unattended_demo():
    assert "DEMO_DAG_ID" not in EXAMPLE.read_text().replace("no\n``DEMO_DAG_ID``", "")


@pytest.fixture(scope="module")
def api(airflow_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    server = ApiServer(tmp_path_factory.mktemp("hitl-api"), user="reviewer", password=PASSWORD)
    try:
        server.wait_healthy()
        headers = {"Authorization": f"Bearer {server.token()}"}
        with httpx.Client(base_url=f"{server.base}/api/v2", timeout=30, headers=headers) as client:
            yield client
    finally:
        server.stop()


@pytest.fixture
def mlflow_default(mlflow_sqlite_uri, monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_MLFLOW_DEFAULT", os.environ["AIRFLOW_CONN_MLFLOW_SQLITE"])


def waiting_approval(api: httpx.Client, proc: subprocess.Popen[str], log: pathlib.Path,
                     timeout: float = 900) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:  # the run ended before asking: show why
            raise AssertionError(f"dag.test() ended before the approval:\n{log.read_text()[-6000:]}")
        response = api.get("/dags/example_approval/dagRuns/~/hitlDetails", params={"response_received": False})
        response.raise_for_status()
        pending = response.json()["hitl_details"]
        if pending and pending[0]["task_instance"]["state"] == "awaiting_input":
            return pending[0]
        time.sleep(1)
    raise AssertionError(f"the approval task never started waiting for input:\n{log.read_text()[-6000:]}")


def run_and_answer(dag_runner, api: httpx.Client, option: str, log: pathlib.Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """Run the example, answer its approval with ``option`` through the REST API; return the
    approval as the reviewer saw it and the finished run's states."""
    dag_runner.load_file(EXAMPLE, "example_approval")  # into the dags folder, where dag.test() needs it
    dag_file = dag_runner.dags_folder / EXAMPLE.name
    with log.open("w") as out_file:  # a file, not a pipe: dag.test() logs more than a pipe buffer holds
        proc = subprocess.Popen([sys.executable, "-c", RUNNER, str(dag_file)], cwd=REPO, text=True,
                                stdout=out_file, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONPATH": str(REPO)})
    try:
        detail = waiting_approval(api, proc, log)
        ti = detail["task_instance"]
        path = f"/dags/example_approval/dagRuns/{ti['dag_run_id']}/taskInstances/approve/-1/hitlDetails"
        answer = api.patch(path, json={"chosen_options": [option]})
        assert answer.status_code == 200, answer.text
        assert answer.json()["chosen_options"] == [option]
        again = api.patch(path, json={"chosen_options": ["Approve"]})
        assert again.status_code == 409  # one answer per request
        proc.wait(timeout=900)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    out = log.read_text()
    assert proc.returncode == 0, out[-4000:]
    result = json.loads(out.rsplit("RESULT ", 1)[1].splitlines()[0])
    return detail, result


def test_approve_promotes_and_reject_keeps_the_champion(dag_runner, api, mlflow_default, sqlite_client, tmp_path):
    detail, first = run_and_answer(dag_runner, api, "Approve", tmp_path / "approve.log")
    assert first["states"] == {"train": "success", "compare": "success", "approve": "success", "promote": "success"}
    assert detail["options"] == ["Approve", "Reject"]
    assert detail["subject"] == f"Promote 1 of {MODEL} to @champion?"
    body = detail["body"]
    assert "Candidate: version 1" in body and "baseline: none (first model)" in body
    assert "| accuracy |" in body and "| f1 |" in body  # the comparison's rules, as a table
    assert str(sqlite_client.get_registered_model(MODEL).aliases["champion"]) == "1"

    detail, second = run_and_answer(dag_runner, api, "Reject", tmp_path / "reject.log")
    assert second["states"] == {"train": "success", "compare": "success", "approve": "success", "promote": "skipped"}
    assert "Candidate: version 2" in detail["body"] and "baseline: version 1" in detail["body"]
    assert str(sqlite_client.get_registered_model(MODEL).aliases["champion"]) == "1"  # unchanged
