"""The plugin class: light to import on workers, and what Airflow reads from it."""

from __future__ import annotations

import json
import subprocess
import sys

from airflow_mlmonitor.plugins.mlmonitor import MLMonitorPlugin


def test_importing_the_plugin_does_not_import_fastapi():
    code = (
        "import json, sys\n"
        "from airflow_mlmonitor.plugins.mlmonitor import MLMonitorPlugin\n"
        "plugin = MLMonitorPlugin()\n"
        "views = plugin.external_views\n"
        "print(json.dumps(sorted(m for m in ('fastapi', 'starlette', 'airflow_mlmonitor.plugins.app') if m in sys.modules)))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == []


def test_fastapi_app_is_built_on_first_read_and_mounted_at_mlmonitor():
    from fastapi import FastAPI

    for plugin in (MLMonitorPlugin(), MLMonitorPlugin):  # entry point gives an instance, provider info the class
        (spec,) = plugin.fastapi_apps
        assert spec["url_prefix"] == "/mlmonitor"
        assert isinstance(spec["app"], FastAPI)
    assert MLMonitorPlugin().fastapi_apps[0]["app"] is MLMonitorPlugin.fastapi_apps[0]["app"]  # built once
    routes = {route.path: route.methods for route in spec["app"].routes}
    assert routes["/reports/{dag_id}/{run_id}/{task_id}"] == {"GET"}
    assert routes["/api/results"] == {"GET"}
    assert all(methods <= {"GET", "HEAD"} for methods in routes.values() if methods)


def test_task_tab_and_nav_page_views():
    views = {view["destination"]: view for view in MLMonitorPlugin.external_views}
    tab = views["task_instance"]
    assert tab["name"] == "ML Monitor"
    assert tab["href"] == "/mlmonitor/ui/task/{DAG_ID}/{RUN_ID}/{TASK_ID}?map_index={MAP_INDEX}"
    assert views["nav"]["name"] == "ML Monitor" and views["nav"]["href"] == "/mlmonitor/ui/results"
    assert len({view["url_route"] for view in MLMonitorPlugin.external_views}) == 2
