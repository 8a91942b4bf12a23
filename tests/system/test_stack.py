"""The deployed topology (`make stack`): Celery workers sharing no report disk with the API server,
Postgres, Redis, reports on S3. Driven only through the REST API, the plugin routes and S3.

The tests run in file order on one stack: the worker-kill test restarts the worker it killed, and
the S3 outage test (which loses moto's in-memory objects) comes last.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from typing import Any
from urllib.parse import quote

import pytest

from tests.system.conftest import OUTSIDER, S3, Airflow

EXAMPLES = ("example_drift_monitor", "example_quality_gate", "example_model_promotion", "mlmonitor_model_health")
#: Started by the examples (retraining): unpaused so their runs do not wait forever.
FOLLOWERS = ("mlmonitor_retrain_model", "mlmonitor_retrain_on_asset")
CONCURRENT_RUNS = 20
#: (dag_id, task_id) -> hostnames of the workers that ran it, filled as the tests go.
RAN_ON: dict[tuple[str, str], set[str]] = defaultdict(set)


def _record(airflow: Airflow, dag_id: str, run_id: str) -> dict[str, dict[str, Any]]:
    tasks = airflow.tasks(dag_id, run_id)
    for task_id, ti in tasks.items():
        if ti["hostname"]:
            RAN_ON[(dag_id, task_id)].add(ti["hostname"])
    return tasks


def _report_route(dag_id: str, run_id: str, task_id: str) -> str:
    return f"/mlmonitor/reports/{quote(dag_id, safe='')}/{quote(run_id, safe='')}/{quote(task_id, safe='')}"


def _wait_ti(airflow: Airflow, dag_id: str, run_id: str, task_id: str, states: set[str], timeout: float = 300) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    ti: dict[str, Any] = {}
    while time.monotonic() < deadline:
        ti = airflow.tasks(dag_id, run_id).get(task_id, {})
        if ti.get("state") in states:
            return ti
        time.sleep(1)
    raise AssertionError(f"{dag_id}.{task_id} not in {states} after {timeout}s: {ti}")


def test_example_dags_run_on_celery_and_their_reports_are_served_from_s3(airflow: Airflow, s3: S3):
    for dag_id in (*EXAMPLES, *FOLLOWERS):
        airflow.wait_for_dag(dag_id)
    runs = {dag_id: airflow.trigger(dag_id) for dag_id in EXAMPLES}
    outsider = airflow.token_headers(OUTSIDER)
    checked = 0
    stored_tasks: set[tuple[str, str, str]] = set()
    for dag_id, run_id in runs.items():
        assert airflow.wait_run(dag_id, run_id, timeout=900) == "success", airflow.tasks(dag_id, run_id)
        for task_id, ti in _record(airflow, dag_id, run_id).items():
            if ti["state"] != "success" or ti["operator"] not in {"DataQualityOperator", "DriftReportOperator",
                                                                   "MLflowModelComparisonOperator"}:
                continue
            result = airflow.xcom(dag_id, run_id, task_id)
            prefix = f"reports/{dag_id}/{run_id}/{task_id}/-1/{ti['try_number']}/"
            stored = s3.keys(prefix)
            assert f"{prefix}result.json" in stored, (task_id, stored)
            assert json.loads(s3.read(f"{prefix}result.json"))["summary"] == result["summary"]
            if result.get("report_uri"):
                assert result["report_uri"] == f"s3://{s3.bucket}/{prefix}report.html"
                page = airflow.get(_report_route(dag_id, run_id, task_id))
                assert page.status_code == 200, page.text[:500]
                assert page.content == s3.read(f"{prefix}report.html")
                assert "sandbox allow-scripts" in page.headers["content-security-policy"]
                assert airflow.http.get(_report_route(dag_id, run_id, task_id)).status_code == 401
                if outsider is not None:  # a user who may not read this DAG: 403, and no report
                    denied = airflow.http.get(_report_route(dag_id, run_id, task_id), headers=outsider)
                    assert denied.status_code == 403, denied.text[:500]
                    assert denied.content != page.content
                checked += 1
            stored_tasks.add((dag_id, run_id, task_id))
        listed = airflow.ok("GET", "/mlmonitor/api/results", params={"dag_id": dag_id, "limit": 100})["results"]
        expected = {(d, r, t) for d, r, t in stored_tasks if d == dag_id}
        assert {(r["dag_id"], r["run_id"], r["task_id"]) for r in listed} >= expected, listed
        if outsider is not None:  # results of DAGs a user may not read are not listed to them
            hidden = airflow.http.get("/mlmonitor/api/results", params={"dag_id": dag_id}, headers=outsider)
            assert hidden.status_code == 200 and hidden.json()["results"] == [], hidden.text[:500]
    assert checked >= 4
    hosts = set().union(*RAN_ON.values())
    assert hosts == {"mlmonitor-w1", "mlmonitor-w2"}, dict(RAN_ON)


def test_concurrent_runs_each_store_one_complete_report(airflow: Airflow, s3: S3):
    dag_id = "system_drift"
    airflow.wait_for_dag(dag_id)
    run_ids = [airflow.trigger(dag_id, {"n": n}) for n in range(CONCURRENT_RUNS)]
    states = {run_id: airflow.wait_run(dag_id, run_id, timeout=1200) for run_id in run_ids}
    assert set(states.values()) == {"success"}, states
    for run_id in run_ids:
        _record(airflow, dag_id, run_id)
    keys = s3.keys(f"reports/{dag_id}/")
    folders = {key.rsplit("/", 1)[0] for key in keys}
    ours = {f for f in folders if f.split("/")[2] in run_ids}
    assert len(ours) == CONCURRENT_RUNS, sorted(ours)
    for folder in folders:  # nothing visible without its result JSON, ever
        assert f"{folder}/result.json" in keys, folder
    listed = airflow.ok("GET", "/mlmonitor/api/results", params={"dag_id": dag_id, "limit": 200})["results"]
    assert {r["run_id"] for r in listed} >= set(run_ids)
    assert len({r["run_id"] for r in listed if r["run_id"] in run_ids}) == CONCURRENT_RUNS
    assert RAN_ON[(dag_id, "drift")] == {"mlmonitor-w1", "mlmonitor-w2"}


def test_a_worker_killed_mid_drift_is_retried_on_the_other_worker(airflow: Airflow, s3: S3, stack):
    stack_, _ = stack
    dag_id = "system_slow_drift"
    airflow.wait_for_dag(dag_id)
    run_id = airflow.trigger(dag_id)
    ti = _wait_ti(airflow, dag_id, run_id, "drift", {"running"})
    victim = ti["hostname"].removeprefix("mlmonitor-")
    assert ti["try_number"] == 1
    stack_.kill(f"worker-{victim}")  # SIGKILL to the worker and its task processes, mid-sleep
    try:
        assert airflow.wait_run(dag_id, run_id, timeout=600) == "success", airflow.tasks(dag_id, run_id)
        tries = {t["try_number"]: t for t in airflow.tries(dag_id, run_id, "drift")}
    finally:
        stack_.start_worker(victim)
    assert tries[1]["hostname"] == f"mlmonitor-{victim}" and tries[1]["state"] != "success", tries[1]
    assert tries[2]["state"] == "success" and tries[2]["hostname"] not in {"", f"mlmonitor-{victim}"}, tries[2]
    # The killed try left nothing visible: the latest report is the retry's.
    assert not [k for k in s3.keys(f"reports/{dag_id}/{run_id}/drift/-1/1/") if k.endswith("result.json")]
    result = airflow.xcom(dag_id, run_id, "drift")
    listed = airflow.ok("GET", "/mlmonitor/api/results", params={"dag_id": dag_id})["results"]
    mine = [r for r in listed if r["run_id"] == run_id]
    assert [r["try_number"] for r in mine] == [2] and mine[0]["summary"] == result["summary"]
    deadline = time.monotonic() + 180
    while not stack_.worker_ready(victim):
        assert time.monotonic() < deadline, stack_.tail(f"worker-{victim}")
        time.sleep(1)


def test_task_metrics_from_both_workers_reach_statsd(stack):
    """Every one of the concurrent runs' drift tasks (which ran on both workers) was counted."""
    import socket

    from tests.fixtures.statsd import parse_inspect

    host, port = stack[1]["STATSD_ADMIN"].split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(b"counters\n")
        data = b""
        while not data.endswith(b"END\n\n"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    counters = parse_inspect(data.decode().removesuffix("END\n\n"))
    assert RAN_ON[("system_drift", "drift")] == {"mlmonitor-w1", "mlmonitor-w2"}
    assert counters.get("mlmonitor.task.success.system_drift.drift") == CONCURRENT_RUNS, sorted(counters)
    assert counters.get("mlmonitor.drift.detected.system_drift.drift", 0) <= CONCURRENT_RUNS


def test_s3_outage_fails_the_check_clearly_and_the_retry_succeeds(airflow: Airflow, s3: S3, stack):
    stack_, env = stack
    dag_id = "system_store_outage"
    airflow.wait_for_dag(dag_id)
    run_id = airflow.trigger(dag_id)
    _wait_ti(airflow, dag_id, run_id, "drift", {"running"})
    stack_.stop("moto")  # the S3 endpoint goes away while the check loads its data
    try:
        ti = _wait_ti(airflow, dag_id, run_id, "drift", {"up_for_retry", "failed"}, timeout=300)
        assert ti["state"] == "up_for_retry", ti
        result = airflow.xcom(dag_id, run_id, "drift")  # pushed before the task failed
        assert result["check"] == "drift" and "drift_share" in result["metrics"]
        log = airflow.get(f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances/drift/logs/1").text
        assert "cannot reach report store" in log, log[-3000:]
    finally:
        stack_.restart_moto(env)
    assert airflow.wait_run(dag_id, run_id, timeout=600) == "success"
    tries = {t["try_number"]: t["state"] for t in airflow.tries(dag_id, run_id, "drift")}
    assert tries == {1: "failed", 2: "success"}, tries
    assert f"reports/{dag_id}/{run_id}/drift/-1/2/result.json" in s3.keys(f"reports/{dag_id}/{run_id}/")
    page = airflow.get(_report_route(dag_id, run_id, "drift"))
    assert page.status_code == 200


@pytest.fixture(autouse=True)
def _report_timing(request):
    started = time.monotonic()
    yield
    print(f"\n{request.node.name}: {time.monotonic() - started:.0f} s")
