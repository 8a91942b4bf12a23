"""DataQualityOperator on a SparkSource: GX validates through its Spark datasource on the task's
session (the rows never reach the worker) and the result equals the same rows read from a file."""

from __future__ import annotations

import textwrap
from typing import Any

import pytest

from tests.fixtures.airflow import DagRunner, ti_states, xcom_value
from tests.integration.quality.test_quality_operator import BAD, GOOD, ROWS, customers

DAG_ID = "spark_quality_parity"
DAG_SOURCE = '''
import pendulum
from airflow.sdk import DAG
from airflow_mlmonitor.operators.quality import DataQualityOperator
from airflow_mlmonitor.sources import SparkSource

PATH, GOOD, BAD = {path!r}, {good!r}, {bad!r}

with DAG("{dag_id}", schedule=None, start_date=pendulum.datetime(2024, 1, 1)) as dag:
    DataQualityOperator(task_id="file_good", data=PATH, expectations=GOOD)
    DataQualityOperator(task_id="spark_good", data=SparkSource(path=PATH), expectations=GOOD)
    DataQualityOperator(task_id="file_bad", data=PATH, expectations=BAD, on_failure="warn")
    DataQualityOperator(task_id="spark_bad", data=SparkSource(sql="SELECT * FROM parquet.`" + PATH + "`"),
                        expectations=BAD)
'''


@pytest.fixture(scope="module")
def quality_run(spark: Any, tmp_path_factory: pytest.TempPathFactory, airflow_db: str) -> Any:
    path = str(tmp_path_factory.mktemp("spark-quality") / "customers.parquet")
    customers().to_parquet(path)
    runner = DagRunner()
    source = DAG_SOURCE.format(path=path, good=GOOD, bad=BAD, dag_id=DAG_ID)
    return runner.run(runner.load_source(textwrap.dedent(source), DAG_ID))


def _comparable(result: dict[str, Any]) -> dict[str, Any]:
    failed = [{k: v for k, v in f.items() if k != "sample_unexpected"} for f in result["failed_expectations"]]
    samples = [sorted(map(str, f.get("sample_unexpected") or [])) for f in result["failed_expectations"]]
    return {"passed": result["passed"], "metrics": result["metrics"], "failed": failed, "samples": samples}


def test_spark_validation_equals_the_file_validation(quality_run: Any) -> None:
    states = ti_states(quality_run)
    assert states == {"file_good": "success", "spark_good": "success", "file_bad": "success", "spark_bad": "failed"}
    for kind in ("good", "bad"):
        spark, file = xcom_value(quality_run, f"spark_{kind}"), xcom_value(quality_run, f"file_{kind}")
        assert _comparable(spark) == _comparable(file), kind
        assert spark["metrics"]["rows"] == ROWS
    bad = xcom_value(quality_run, "spark_bad")  # pushed before the task failed
    assert bad["status"] == "failed" and bad["metrics"]["unsuccessful_expectations"] == 4
