"""The ``mlmonitor`` plugin app, mounted by Airflow's real API app, with real JWTs and a real DB.

Finished runs come from ``dag.test()`` (``ui_runs``); requests go through Airflow's own app factory,
so the plugin is loaded from its entry point exactly as the API server loads it.
"""

from __future__ import annotations

import json
import pathlib
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest

from tests.fixtures.ui import HOSTILE_COLUMN, OTHER_DAG, READABLE_DAG, USERS, UiRuns

REPORT_CSP = "sandbox allow-scripts; frame-ancestors 'self'"


@pytest.fixture(scope="module")
def api(ui_runs: UiRuns, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A TestClient on Airflow's API app (core) with the per-DAG auth manager; ``api.token(user)``."""
    from airflow.api_fastapi.app import create_app, get_auth_manager, purge_cached_app
    from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser
    from fastapi.testclient import TestClient

    passwords = tmp_path_factory.mktemp("auth") / "passwords.json"
    passwords.write_text(json.dumps({"admin": "a", "scoped": "s", "outsider": "o"}))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AIRFLOW__CORE__AUTH_MANAGER", "tests.integration.ui.auth.DagScopedAuthManager")
        mp.setenv("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS", USERS)
        mp.setenv("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS", "False")
        mp.setenv("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE", str(passwords))
        purge_cached_app()
        client = TestClient(create_app(apps="core"), base_url="http://airflow.test")
        roles = {"admin": "admin", "scoped": "viewer", "outsider": "viewer"}

        def token(user: str) -> dict[str, str]:
            jwt = get_auth_manager().generate_jwt(SimpleAuthManagerUser(username=user, role=roles[user]))
            return {"Authorization": f"Bearer {jwt}"}

        client.token = token  # type: ignore[attr-defined]
        yield client
        purge_cached_app()


def report_path(run: Any, task_id: str = "drift", **query: Any) -> str:
    path = f"/mlmonitor/reports/{run.dag_id}/{quote(run.run_id, safe='')}/{task_id}"
    return path + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


# -- authentication and authorisation -------------------------------------------------------------
def test_every_route_needs_credentials(api, ui_runs: UiRuns):
    run = ui_runs.latest(READABLE_DAG)
    for path in (report_path(run), f"/mlmonitor/ui/task/{run.dag_id}/{run.run_id}/drift", "/mlmonitor/api/results",
                 "/mlmonitor/ui/results"):
        response = api.get(path)
        assert response.status_code == 401, path
        assert "Drift report" not in response.text
    assert api.get(report_path(run), headers={"Authorization": "Bearer not-a-jwt"}).status_code in (401, 403)


def test_report_needs_read_access_to_that_dag(api, ui_runs: UiRuns):
    readable, other = ui_runs.latest(READABLE_DAG), ui_runs.latest(OTHER_DAG)
    assert api.get(report_path(readable), headers=api.token("scoped")).status_code == 200
    for user in ("scoped", "outsider"):
        denied = api.get(report_path(other), headers=api.token(user))
        assert denied.status_code == 403, user
        assert "Drift report" not in denied.text
    assert api.get(f"/mlmonitor/ui/task/{other.dag_id}/{other.run_id}/drift", headers=api.token("scoped")).status_code == 403
    assert api.get(report_path(other), headers=api.token("admin")).status_code == 200


def test_only_get_is_served(api, ui_runs: UiRuns):
    run = ui_runs.latest(READABLE_DAG)
    for method in ("post", "put", "delete"):
        assert getattr(api, method)(report_path(run), headers=api.token("admin")).status_code == 405


# -- the report route -----------------------------------------------------------------------------
def test_report_is_the_latest_try_by_default_and_sandboxed(api, ui_runs: UiRuns):
    run = ui_runs.latest(READABLE_DAG)
    response = api.get(report_path(run, map_index="{MAP_INDEX}"), headers=api.token("admin"))
    assert response.status_code == 200
    assert "<h1 id=\"static\">Drift report for drift</h1>" in response.text
    assert response.headers["content-type"].startswith("text/html")
    csp = response.headers["content-security-policy"]
    assert csp == REPORT_CSP and "allow-same-origin" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    first = api.get(report_path(run, try_number=1), headers=api.token("admin"))
    assert first.status_code == 200 and first.headers["content-security-policy"] == REPORT_CSP


def test_unknown_run_task_or_try_is_a_404_page(api, ui_runs: UiRuns):
    run = ui_runs.latest(READABLE_DAG)
    for path in (
        f"/mlmonitor/reports/{READABLE_DAG}/no_such_run/drift",
        report_path(run, task_id="no_such_task"),
        report_path(run, try_number=7),
        report_path(run, map_index=3),
    ):
        response = api.get(path, headers=api.token("admin"))
        assert response.status_code == 404, path
        assert "No ML Monitor report" in response.text
        assert response.headers["content-security-policy"] == REPORT_CSP


def test_traversal_never_reads_outside_the_store(api, ui_runs: UiRuns, airflow_home: pathlib.Path):
    secret = airflow_home / "secret.html"
    secret.write_text("TOP SECRET")
    (airflow_home / "reports" / "report.html").write_text("TOP SECRET")
    run = ui_runs.latest(READABLE_DAG)
    run_id = quote(run.run_id, safe="")
    attempts = [
        f"/mlmonitor/reports/{READABLE_DAG}/../../drift",
        f"/mlmonitor/reports/{READABLE_DAG}/%2E%2E/drift",
        f"/mlmonitor/reports/{READABLE_DAG}/{run_id}/..%2F..%2F..%2Fsecret.html",
        f"/mlmonitor/reports/..%2F..%2F/{run_id}/drift",
        f"/mlmonitor/reports/{READABLE_DAG}/{run_id}/%2Fetc%2Fpasswd",
        f"/mlmonitor/reports/{READABLE_DAG}/{run_id}/drift?try_number=..%2F..%2F..",
        f"/mlmonitor/reports/{READABLE_DAG}/{run_id}/drift?try_number=1%2F..%2F2",
        f"/mlmonitor/reports/{READABLE_DAG}/{run_id}/%2E%2E?try_number=1",
        f"/mlmonitor/reports/%2E/{run_id}/drift",
    ]
    for path in attempts:
        response = api.get(path, headers=api.token("admin"))
        assert "TOP SECRET" not in response.text, path
        assert response.status_code in (400, 404), (path, response.status_code)
    # A non-integer map index is the UI's unreplaced {MAP_INDEX}: it means -1, never a path.
    odd = api.get(f"/mlmonitor/reports/{READABLE_DAG}/{run_id}/drift?map_index=..%2F..", headers=api.token("admin"))
    assert odd.status_code == 200 and "Drift report for drift" in odd.text


def test_reports_on_object_storage_are_served(api, ui_runs: UiRuns, monkeypatch: pytest.MonkeyPatch):
    """report_base_path may be any ObjectStoragePath URL: the API server reads it, not a local disk."""
    from airflow_mlmonitor import conf
    from airflow_mlmonitor.reports.store import ReportStore

    run = ui_runs.latest(READABLE_DAG)
    local = ReportStore.from_conf()
    remote = ReportStore("memory://mlmonitor-ui-test/reports")
    for key in local.run_keys(run.dag_id, run.run_id):
        remote.write(key, "report.html", local.read(key).replace(b"Drift report", b"Remote drift report"))
        remote.write(key, "result.json", local.read(key, "result.json"))
    monkeypatch.setenv("AIRFLOW__MLMONITOR__REPORT_BASE_PATH", remote.base_path)
    conf.clear_cache()
    response = api.get(report_path(run), headers=api.token("admin"))
    assert response.status_code == 200 and "Remote drift report for drift" in response.text
    results = api.get("/mlmonitor/api/results", headers=api.token("admin")).json()["results"]
    assert {(r["run_id"], r["task_id"]) for r in results} == {(run.run_id, "drift"), (run.run_id, "quality")}


def test_monitoring_report_extra_link_opens_that_tries_report(api, ui_runs: UiRuns):
    from tests.fixtures.airflow import xcom_value

    run = ui_runs.latest(READABLE_DAG)
    link = xcom_value(run, "drift", key="_link_MonitoringReportLink")
    assert link.startswith("http://airflow.test/mlmonitor/reports/")  # absolute, from [api] base_url
    assert link.endswith("try_number=2")  # the try that ran last
    response = api.get(link, headers=api.token("scoped"))
    assert response.status_code == 200 and "Drift report for drift" in response.text
    assert response.headers["content-security-policy"] == REPORT_CSP


# -- the task tab ---------------------------------------------------------------------------------
def test_task_tab_shows_header_tries_and_the_report(api, ui_runs: UiRuns):
    run = ui_runs.latest(READABLE_DAG)
    response = api.get(
        f"/mlmonitor/ui/task/{run.dag_id}/{quote(run.run_id, safe='')}/drift?map_index={{MAP_INDEX}}",
        headers=api.token("scoped"),
    )
    assert response.status_code == 200
    page = response.text
    assert 'data-status="passed"' in page and "40% of columns drifted" in page
    assert HOSTILE_COLUMN not in page and "&lt;img src=x" in page  # escaped, never markup
    assert re.search(r"<strong>2</strong>", page)  # the latest try is shown
    assert "try_number=1" in page  # with a link to the failed first try
    src = re.search(r'<iframe class="report"[^>]*sandbox="allow-scripts"[^>]*src="([^"]+)"', page)
    assert src and src.group(1).startswith("/mlmonitor/reports/") and "try_number=2" in src.group(1)
    assert "script-src" not in response.headers["content-security-policy"]  # default-src 'none'
    assert "default-src 'none'" in response.headers["content-security-policy"]


def test_task_tab_of_a_task_without_report(api, ui_runs: UiRuns):
    run = ui_runs.latest(READABLE_DAG)
    response = api.get(f"/mlmonitor/ui/task/{run.dag_id}/{run.run_id}/not_a_check", headers=api.token("admin"))
    assert response.status_code == 404
    assert "Only check operators" in response.text


# -- results API and nav page ---------------------------------------------------------------------
def test_results_api_lists_newest_first_with_ids_and_links(api, ui_runs: UiRuns):
    response = api.get("/mlmonitor/api/results?limit=500", headers=api.token("admin"))
    assert response.status_code == 200
    assert {READABLE_DAG, OTHER_DAG} <= {r["dag_id"] for r in response.json()["results"]}
    results = api.get(f"/mlmonitor/api/results?dag_id={READABLE_DAG}", headers=api.token("admin")).json()["results"]
    assert {r["dag_id"] for r in results} == {READABLE_DAG}
    drift_a = [r for r in results if r["task_id"] == "drift"]
    assert [r["metrics"]["drift_share"] for r in drift_a] == [0.4, 0.2, 0.1]  # newest run first
    newest = drift_a[0]
    assert newest["run_id"] == ui_runs.latest(READABLE_DAG).run_id
    assert (newest["check"], newest["status"], newest["try_number"], newest["map_index"]) == ("drift", "passed", 2, -1)
    assert newest["finished_at"] and newest["finished_at"][:4].isdigit()
    assert newest["report_url"].startswith(f"http://airflow.test/mlmonitor/reports/{READABLE_DAG}/")
    assert newest["report_url"].endswith("/drift?map_index=-1&try_number=2")


def test_results_api_filters_by_permission(api):
    scoped = api.get("/mlmonitor/api/results", headers=api.token("scoped")).json()["results"]
    assert scoped and {r["dag_id"] for r in scoped} == {READABLE_DAG}
    asked = api.get(f"/mlmonitor/api/results?dag_id={OTHER_DAG}", headers=api.token("scoped"))
    assert asked.status_code == 200 and asked.json() == {"results": []}
    assert api.get("/mlmonitor/api/results", headers=api.token("outsider")).json() == {"results": []}


def test_results_api_filters_and_limits(api):
    def get(query: str) -> list[dict[str, Any]]:
        response = api.get(f"/mlmonitor/api/results?{query}", headers=api.token("admin"))
        assert response.status_code == 200, response.text
        return response.json()["results"]

    assert {r["check"] for r in get("check=data_quality")} == {"data_quality"}
    assert {(r["dag_id"], r["task_id"]) for r in get(f"dag_id={READABLE_DAG}&task_id=drift")} == {(READABLE_DAG, "drift")}
    assert len(get("limit=2")) == 2
    assert api.get("/mlmonitor/api/results?check=nope", headers=api.token("admin")).status_code == 400
    assert api.get("/mlmonitor/api/results?limit=0", headers=api.token("admin")).status_code == 422


def test_nav_page_has_trend_charts_and_only_readable_dags(api):
    response = api.get("/mlmonitor/ui/results", headers=api.token("scoped"))
    assert response.status_code == 200
    page = response.text
    assert f"{READABLE_DAG} / drift: drift_share" in page
    assert f"{READABLE_DAG} / quality: success_percent" in page
    assert OTHER_DAG not in page
    chart = re.search(r'<svg class="trend"[^>]*aria-label="ui_checks_a.drift: drift_share".*?</svg>', page, re.S)
    assert chart and chart.group(0).count("<circle") == 3  # one dot per run
    assert HOSTILE_COLUMN not in page
    filtered = api.get("/mlmonitor/ui/results?check=data_quality", headers=api.token("admin")).text
    assert "drift_share" not in filtered and "success_percent" in filtered


def test_an_unreachable_report_store_is_a_502_that_never_shows_where_the_store_is(
    api, ui_runs: UiRuns, monkeypatch: pytest.MonkeyPatch
):
    """A real s3fs client against a closed loopback port: every route says 502, no path, no URL."""
    import socket

    from airflow_mlmonitor import conf

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    endpoint = f"http://127.0.0.1:{port}"
    monkeypatch.setenv("AIRFLOW_CONN_DEAD_S3", json.dumps({
        "conn_type": "aws", "login": "k", "password": "s",
        "extra": {"endpoint_url": endpoint, "region_name": "us-east-1",
                  "config_kwargs": {"connect_timeout": 1, "retries": {"max_attempts": 1}}},
    }))
    monkeypatch.setenv("AIRFLOW__MLMONITOR__REPORT_BASE_PATH", "s3://secret-bucket-name/hidden/prefix")
    monkeypatch.setenv("AIRFLOW__MLMONITOR__REPORT_CONN_ID", "dead_s3")
    conf.clear_cache()
    run = ui_runs.latest(READABLE_DAG)
    run_id = quote(run.run_id, safe="")
    for path in (report_path(run), f"/mlmonitor/ui/task/{READABLE_DAG}/{run_id}/drift", "/mlmonitor/api/results",
                 "/mlmonitor/ui/results"):
        response = api.get(path, headers=api.token("admin"))
        assert response.status_code == 502, (path, response.status_code, response.text[:300])
        for secret in ("secret-bucket-name", "hidden/prefix", str(port), "s3://"):
            assert secret not in response.text, (path, secret)
        assert "report store" in response.text.lower()
