"""The provider and plugin register with a real Airflow CLI."""

from __future__ import annotations

import pathlib
import subprocess
import sys

import pytest

AIRFLOW = str(pathlib.Path(sys.executable).with_name("airflow"))


def _cli(*args: str) -> str:
    proc = subprocess.run([AIRFLOW, *args], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("providers", "list"), "airflow-mlmonitor"),
        (("plugins",), "mlmonitor"),
        (("config", "list", "--defaults", "--section", "mlmonitor"), "report_base_path"),
    ],
)
def test_cli_sees_provider_plugin_and_config(airflow_db, args, expected):
    assert expected in _cli(*args)
