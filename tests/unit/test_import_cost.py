"""DAG parse time is sacred: importing any DAG-facing module must not load the heavy libraries."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys

import airflow_mlmonitor

HEAVY = ("great_expectations", "evidently", "mlflow", "sklearn", "scipy")
DAG_FACING_PACKAGES = ("operators", "sensors", "hooks", "triggers", "notifications", "links", "plugins")


def dag_facing_modules() -> list[str]:
    """The package root and every module under the packages a DAG file (or a worker) imports."""
    modules = ["airflow_mlmonitor", "airflow_mlmonitor.get_provider_info"]
    for package in DAG_FACING_PACKAGES:
        path = [f"{airflow_mlmonitor.__path__[0]}/{package}"]
        modules.append(f"airflow_mlmonitor.{package}")
        modules += [f"airflow_mlmonitor.{package}.{m.name}" for m in pkgutil.iter_modules(path)]
    return modules


def test_dag_facing_modules_do_not_import_heavy_libraries():
    modules = dag_facing_modules()
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


def test_the_module_list_covers_the_operators():
    assert "airflow_mlmonitor.operators._check" in dag_facing_modules()
