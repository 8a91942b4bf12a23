"""The wheel users install (``uv build``, as ``docs/getting-started.md`` says) carries the type
marker, the license and the UI templates; and mypy on a user's DAG file sees the operators' types."""

from __future__ import annotations

import email
import os
import pathlib
import shutil
import subprocess
import sys
import textwrap
import zipfile

import pytest

from tests.conftest import REPO

USER_DAG = '''\
from __future__ import annotations

import pendulum
from airflow.sdk import DAG

from airflow_mlmonitor.notifications.statsd import send_statsd_metrics
from airflow_mlmonitor.operators.drift import DriftReportOperator
from airflow_mlmonitor.operators.quality import DataQualityOperator

with DAG("user_dag", schedule=None, start_date=pendulum.datetime(2025, 1, 1),
         on_failure_callback=send_statsd_metrics()):
    gate = DataQualityOperator(task_id="gate", data="batch.csv", expectations=[], data_docs={data_docs})
    drift = DriftReportOperator(task_id="drift", reference="reference.csv", current="batch.csv")
    gate >> drift
'''


def uv() -> str:
    """uv as the Makefile finds it (``make install`` bootstraps ``.uv/bin/uv`` when none is on PATH)."""
    found = shutil.which("uv") or (str(REPO / ".uv/bin/uv") if (REPO / ".uv/bin/uv").exists() else None)
    if found is None:
        pytest.fail("uv not found on PATH nor in .uv/bin: run `make install` first")
    return found


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([uv(), "build", "--wheel", "--out-dir", str(out), str(REPO)], check=True, capture_output=True,
                   timeout=600)
    (built,) = out.glob("airflow_mlmonitor-*-py3-none-any.whl")
    return zipfile.ZipFile(built)


def test_the_wheel_ships_the_type_marker_license_and_templates(wheel):
    names = set(wheel.namelist())
    assert "airflow_mlmonitor/py.typed" in names
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert any(n.startswith("airflow_mlmonitor/plugins/templates/") and n.endswith(".html") for n in names)
    assert not any(n.startswith(("tests/", "example_dags/", "docs/")) for n in names)
    (metadata_name,) = [n for n in names if n.endswith(".dist-info/METADATA")]
    metadata = email.message_from_bytes(wheel.read(metadata_name))
    assert metadata["Requires-Python"] == ">=3.11"
    assert metadata["License-Expression"] == "Apache-2.0"
    assert "Typing :: Typed" in metadata.get_all("Classifier")
    (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
    assert "apache_airflow_provider" in wheel.read(entry_points).decode()


def run_mypy(folder: pathlib.Path, source: str, cache: pathlib.Path) -> str:
    """mypy as a user runs it on their DAG folder: default settings, outside this repository."""
    (folder / "user_dag.py").write_text(source)
    (folder / "mypy.ini").write_text("[mypy]\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MYPY")}
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", "mypy.ini", "--cache-dir", str(cache), "user_dag.py"],
        cwd=folder, capture_output=True, text=True, env=env, timeout=900,
    )
    return result.stdout + result.stderr


def test_mypy_on_a_user_dag_sees_the_operators_types(tmp_path_factory):
    cache = tmp_path_factory.mktemp("mypy-cache")
    good = run_mypy(tmp_path_factory.mktemp("good"), USER_DAG.format(data_docs="True"), cache)
    assert "missing library stubs or py.typed marker" not in good, good
    assert "Success: no issues found" in good, good
    # A mistake a user makes is caught: mypy knows data_docs is a bool (it would be Any untyped).
    bad = run_mypy(tmp_path_factory.mktemp("bad"), USER_DAG.format(data_docs='"yes"'), cache)
    assert 'Argument "data_docs" to "DataQualityOperator" has incompatible type "str"; expected "bool"' in bad, (
        textwrap.indent(bad, "  ")
    )
