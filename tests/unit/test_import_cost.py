"""DAG parse time is sacred: importing any DAG-facing module must not load the heavy libraries."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys

import airflow_mlmonitor

HEAVY = ("great_expectations", "evidently", "mlflow", "sklearn", "scipy", "pyspark")
DAG_FACING_PACKAGES = ("operators", "sensors", "hooks", "triggers", "notifications", "links", "sources")
#: Also loaded by workers and the DAG processor (plugins and their listeners); the plugin's web app
#: modules (``plugins.app``...) load in the API server only and are checked by the heavy-import test.
WORKER_MODULES = ("airflow_mlmonitor.plugins.mlmonitor", "airflow_mlmonitor.telemetry.listener")


def api_server_modules() -> list[str]:
    path = [f"{airflow_mlmonitor.__path__[0]}/plugins"]
    return [f"airflow_mlmonitor.plugins.{m.name}" for m in pkgutil.iter_modules(path)]


def dag_facing_modules() -> list[str]:
    """The package root and every module a DAG file, a worker or the DAG processor imports."""
    modules = ["airflow_mlmonitor", "airflow_mlmonitor.get_provider_info", *WORKER_MODULES]
    for package in DAG_FACING_PACKAGES:
        path = [f"{airflow_mlmonitor.__path__[0]}/{package}"]
        modules.append(f"airflow_mlmonitor.{package}")
        modules += [f"airflow_mlmonitor.{package}.{m.name}" for m in pkgutil.iter_modules(path)]
    return modules


def test_dag_facing_modules_do_not_import_heavy_libraries():
    modules = dag_facing_modules() + api_server_modules()
    code = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    loaded = json.loads(proc.stdout.strip().splitlines()[-1])
    assert loaded == [], f"importing {modules} loaded heavy libraries: {loaded}"


def test_the_module_list_covers_the_operators_and_the_plugin():
    assert "airflow_mlmonitor.operators._check" in dag_facing_modules()
    assert "airflow_mlmonitor.plugins.mlmonitor" in dag_facing_modules()
    assert "airflow_mlmonitor.plugins.app" in api_server_modules()
