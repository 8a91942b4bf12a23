"""Test-suite wide setup: an isolated AIRFLOW_HOME (SQLite metadata DB, dags folder, report store).

The environment is set at import time, before anything imports Airflow. Tiers: ``tests/unit`` (no
DB, no network), ``tests/integration`` (real libraries and local servers), ``tests/dags`` (example
DAGs under ``dag.test()``). Markers are applied from the folder automatically.
"""

from __future__ import annotations

import os
import pathlib
import tempfile

REPO = pathlib.Path(__file__).resolve().parent.parent
_HOME = pathlib.Path(tempfile.mkdtemp(prefix="mlmonitor-tests-"))
os.environ["AIRFLOW_HOME"] = str(_HOME)
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(_HOME / "dags")
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__MLMONITOR__REPORT_BASE_PATH"] = str(_HOME / "reports")
os.environ["AIRFLOW__API__BASE_URL"] = "http://airflow.test"
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
os.environ.setdefault("MLFLOW_ENABLE_TELEMETRY", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
(_HOME / "dags").mkdir()

import pytest  # noqa: E402

pytest_plugins = [
    "tests.fixtures.airflow",
    "tests.fixtures.statsd",
    "tests.fixtures.ui",
    "tests.fixtures.mlflow",
    "tests.fixtures.s3",
    "tests.fixtures.postgres",
    "tests.fixtures.spark",
]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        tier = pathlib.Path(str(item.fspath)).relative_to(REPO / "tests").parts[0]
        if tier in {"unit", "integration", "dags", "system"}:
            item.add_marker(getattr(pytest.mark, tier))


@pytest.fixture
def airflow_home() -> pathlib.Path:
    return _HOME


@pytest.fixture(autouse=True)
def _fresh_conf_cache():
    from airflow_mlmonitor import conf

    conf.clear_cache()
    yield
    conf.clear_cache()
