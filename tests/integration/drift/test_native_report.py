"""The default drift task in a fresh interpreter under dag.test(): Evidently is never imported, the
native report holds every column and its verdict, and progress lines reach the task log."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest

SCRIPT = '''
import json, pathlib, sys
sys.path.insert(0, {root!r})
from tests.fixtures.airflow import DagRunner, xcom_value
runner = DagRunner()
dag = runner.load_source({source!r}, "drift_native_default")
run = runner.run(dag)
result = xcom_value(run, "drift")
html = pathlib.Path(result["report_uri"].removeprefix("file://")).read_text()
print(json.dumps({{"evidently": sorted(m for m in sys.modules if m.split(".")[0] == "evidently"),
                  "scipy": sorted(m for m in sys.modules if m.split(".")[0] == "scipy"),
                  "result": result, "html": html}}))
'''

DAG = '''
import pendulum
from airflow.sdk import DAG
from airflow_mlmonitor.operators.drift import DriftReportOperator

with DAG("drift_native_default", schedule=None, start_date=pendulum.datetime(2024, 1, 1)) as dag:
    DriftReportOperator(task_id="drift", reference={reference!r}, current={current!r}, drift_share=0.4)
'''


@pytest.fixture(scope="module")
def native_run(tmp_path_factory, airflow_db) -> dict:
    from tests.conftest import REPO

    data = tmp_path_factory.mktemp("drift-native")
    rng = np.random.default_rng(21)
    for name, n, shift in (("reference", 4000, 0.0), ("current", 3000, 0.4)):
        frame = pd.DataFrame({f"num{i}": rng.normal(shift * (i % 2), 1, n) for i in range(8)})
        frame["plan"] = rng.choice(["free", "pro", "team"], n, p=[0.5 - shift / 2, 0.3, 0.2 + shift / 2])
        frame["region"] = rng.choice(["n", "s", "e", "w"], n)
        frame.to_parquet(data / f"{name}.parquet")
    source = textwrap.dedent(DAG.format(reference=str(data / "reference.parquet"), current=str(data / "current.parquet")))
    script = SCRIPT.format(root=str(REPO), source=source)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=dict(os.environ),
                          timeout=600, cwd=REPO)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return {**json.loads(proc.stdout.strip().splitlines()[-1]), "log": proc.stdout + proc.stderr}


def test_the_default_path_never_imports_evidently(native_run):
    assert native_run["evidently"] == []
    assert native_run["result"]["status"] in ("passed", "warned")


def test_the_default_methods_above_1000_rows_do_not_import_scipy(native_run):
    """Wasserstein and Jensen-Shannon (Evidently's defaults for references above 1,000 rows) are
    numpy kernels: scipy's import (about half a second) is not part of the default task."""
    assert {c["method"] for c in native_run["result"]["columns"].values()} == {"wasserstein", "jensenshannon"}
    assert native_run["scipy"] == []


def test_the_native_report_shows_every_column_and_its_verdict(native_run):
    html, result = native_run["html"], native_run["result"]
    assert html.lstrip().startswith("<!DOCTYPE html>") and len(html.encode()) < 1_000_000
    assert len(result["columns"]) == 10
    for name, column in result["columns"].items():
        verdict = "drifted" if column["drifted"] else "not drifted"
        row = '<td><a href="#col-'
        assert row in html
        assert f">{name}</a></td><td>" in html, name
        assert f"<b>{name}</b> · {column['method']} {column['score']:.4g} (threshold {column['threshold']:g})" in html
        assert f'<span class="{"yes" if column["drifted"] else "no"}">{verdict}</span>' in html
    assert html.count("<svg") == 10 and "drift_share" in html and "DAG <b>drift_native_default</b>" in html
    assert result["drifted_columns"] and "num1" in result["drifted_columns"] and "num0" not in result["drifted_columns"]


def test_progress_lines_reach_the_task_log(native_run):
    import re

    assert re.search(r"drift: 10 columns to compare, 4,000 reference rows, 3,000 current rows", native_run["log"])
    assert re.search(r"drift: 10/10 columns, \d+\.\d s elapsed", native_run["log"])
    assert re.search(r"drift: done in \d+\.\d s \(report=native\)", native_run["log"])
