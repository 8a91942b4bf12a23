"""The plugin in a real browser: a real ``airflow api-server`` (SimpleAuthManager, loopback port) on
the session's metadata DB, driven by headless Chromium (Debian's ``chromium``, never downloaded)
through login, the task page's "ML Monitor" tab and the "ML Monitor" nav page.

Screenshots land in ``tests/artifacts/`` (gitignored; CI keeps them as artifacts).
"""

from __future__ import annotations

import os
import pathlib
import shutil
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from tests.fixtures.servers import ApiServer
from tests.fixtures.ui import DRIFT_EXAMPLE_DAG, READABLE_DAG, UiRuns

# usefixtures puts the server first, so it boots while `ui_runs` runs the DAGs.
pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("api_server")]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = pathlib.Path(__file__).resolve().parents[2] / "artifacts"
PASSWORD = "mlmonitor-browser-test"

if not os.path.exists(CHROMIUM) and not os.environ.get("CI"):
    pytest.skip(
        "chromium is not installed (apt-get install chromium); the browser test always runs in CI",
        allow_module_level=True,
    )


@pytest.fixture(scope="session")
def api_server(airflow_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    """Started before ``ui_runs`` runs the DAGs, so both slow starts overlap; wait with
    ``wait_healthy()``."""
    server = ApiServer(tmp_path_factory.mktemp("api-server"), user="admin", password=PASSWORD)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def base_url(api_server: ApiServer, ui_runs: UiRuns, drift_example_run: Any) -> str:
    return api_server.wait_healthy()


@pytest.fixture(scope="module")
def page(base_url: str) -> Iterator[Any]:
    """A logged-in Chromium page (through the auth manager's login form, like a user)."""
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        context.set_default_timeout(60_000)
        page = context.new_page()
        page.goto(f"{base_url}/")
        page.get_by_label("Username").fill("admin")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(lambda url: "/auth/login" not in url)
        yield page
        context.close()
        browser.close()


def open_tab(page: Any, base_url: str, dag_id: str, run_id: str, task_id: str) -> Any:
    """Open a task instance's page, click its "ML Monitor" tab; return the tab's frame."""
    page.goto(f"{base_url}/dags/{dag_id}/runs/{quote(run_id, safe='')}/tasks/{task_id}")
    page.get_by_role("tab", name="ML Monitor").or_(page.get_by_role("link", name="ML Monitor")).first.click()
    return page.frame_locator('iframe[title="ML Monitor"]')


def test_task_tab_renders_the_native_drift_report(page, base_url: str, drift_example_run: Any):
    tab = open_tab(page, base_url, DRIFT_EXAMPLE_DAG, drift_example_run.run_id, "feature_drift")
    expect(tab.locator("header.result .badge")).to_have_text("warned")
    assert "2/5 columns drifted" in tab.locator("header.result .summary").inner_text()
    report = tab.frame_locator("iframe.report")
    # The example's default report is our own page from the full data (no script, inline SVG).
    report.get_by_role("heading", name="Data drift report").wait_for()
    assert "2 of 5 columns drifted (40%)" in report.locator("body").inner_text()
    assert report.get_by_role("cell", name="income", exact=True).count() >= 1
    assert report.locator("svg").count() >= 5
    page.screenshot(path=str(ARTIFACTS / "ui-task-tab-drift.png"), full_page=True)


def test_report_scripts_run_in_a_sandbox_and_every_try_is_linked(page, base_url: str, ui_runs: UiRuns):
    run = ui_runs.latest(READABLE_DAG)
    tab = open_tab(page, base_url, READABLE_DAG, run.run_id, "drift")
    expect(tab.locator("header.result .badge")).to_have_text("passed")
    assert tab.locator("header.result .tries a").inner_text() == "1"  # the failed first try
    report = tab.frame_locator("iframe.report")
    report.locator("#static").wait_for()
    # The report's own script ran (Plotly needs that) but in an opaque origin: no parent, no cookies.
    assert report.locator("#plot").inner_text() == "rendered by script"
    assert report.locator("body").get_attribute("data-parent-access") == "blocked"
    tab.locator("header.result .tries a").click()
    expect(tab.locator("header.result .tries strong")).to_have_text("1")  # waits for the navigation
    expect(tab.locator("header.result .badge")).to_have_text("failed")
    page.screenshot(path=str(ARTIFACTS / "ui-task-tab-first-try.png"), full_page=True)


def test_nav_page_shows_trend_charts(page, base_url: str):
    page.goto(f"{base_url}/")
    page.get_by_role("button", name="Browse").click()
    page.get_by_role("menuitem", name="ML Monitor").click()
    page.wait_for_url("**/plugin/mlmonitor")
    nav = page.frame_locator('iframe[title="ML Monitor"]')
    chart = nav.locator('svg.trend[aria-label="ui_checks_a.drift: drift_share"]')
    chart.wait_for()
    assert chart.locator("circle").count() == 3
    assert nav.locator('svg.trend[aria-label="example_drift_monitor.feature_drift: drift_share"]').count() == 1
    assert nav.locator("table.results tbody tr").count() >= 8
    page.screenshot(path=str(ARTIFACTS / "ui-nav-page.png"), full_page=True)
