"""Bad Spark inputs: each is one clear error naming the input and the source, and the task fails;
a check that ran pushes its result before failing. Sessions: a task stops the session it started."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from typing import Any

import pandas as pd
import pytest

from airflow_mlmonitor.exceptions import DataLoadError, InvalidInputError
from airflow_mlmonitor.sources import SparkSource
from tests.fixtures.airflow import DagRunner, ti_states, xcom_value


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("spark-bad")
    paths = {"csv": str(folder / "batch.csv"), "ref": str(folder / "ref.parquet"), "cur": str(folder / "cur.parquet")}
    pd.DataFrame({"a": [1.0, 2.0]}).to_csv(paths["csv"], index=False)
    pd.DataFrame({"a": [0.1 * i for i in range(200)], "extra": range(200)}).to_parquet(paths["ref"])
    pd.DataFrame({"a": [0.1 * i + 5 for i in range(200)]}).to_parquet(paths["cur"])
    return paths


def _read(source: SparkSource) -> None:
    source.check_not_empty()
    source.facts(source.columns[0])


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"path": "{folder}/missing.parquet"}, r"current: cannot read SparkSource\(path='.*missing.parquet'.*PATH_NOT_FOUND"),
    ({"path": "{csv}"}, r"current: cannot read SparkSource\(path='.*batch.csv', format='parquet'.*not a Parquet file|footer"),
    ({"path": "{csv}", "format": "parqet"}, r"format='parqet'.*DATA_SOURCE_NOT_FOUND.*parqet"),
    ({"table": "no_such_table"}, r"current: cannot read SparkSource\(table='no_such_table'.*TABLE_OR_VIEW_NOT_FOUND"),
    ({"sql": "SELEC 1"}, r"current: sql= failed in SparkSource\(sql='SELEC 1'.*PARSE_SYNTAX_ERROR"),
    ({"sql": "SELECT nope FROM parquet.`{ref}`"}, r"sql= failed in .*UNRESOLVED_COLUMN.*`nope`"),
    ({"sql": "SELECT assert_true(false) AS a"}, r"sql= failed in .*USER_RAISED_EXCEPTION"),  # fails in a job
])
def test_each_bad_input_is_one_clear_error(spark: Any, files: dict[str, str], kwargs: dict[str, str], message: str) -> None:
    rendered = {k: v.format(folder=os.path.dirname(files["csv"]), **files) for k, v in kwargs.items()}
    with pytest.raises(DataLoadError, match=message) as caught:
        _read(SparkSource(name="current", **rendered))
    assert "\tat org.apache" not in str(caught.value) and len(str(caught.value)) < 900


def test_a_column_on_one_side_only_names_both_sources(spark: Any, files: dict[str, str]) -> None:
    from airflow_mlmonitor.drift.columns import plan_columns

    reference = SparkSource(path=files["ref"], name="reference")
    current = SparkSource(path=files["cur"], name="current")
    with pytest.raises(InvalidInputError, match=r"SparkSource\(path='.*ref.parquet'.*\) and SparkSource\(path='.*cur.parquet'"
                       r".*only in SparkSource\(path='.*ref.parquet'.*\['extra'\]"):
        plan_columns(reference, current)
    with pytest.raises(InvalidInputError, match=r"column 'nope' is not in SparkSource"):
        reference.facts("nope")


BAD_DAG = '''
import pendulum
from airflow.sdk import DAG
from airflow_mlmonitor.operators.drift import DriftReportOperator
from airflow_mlmonitor.operators.quality import DataQualityOperator
from airflow_mlmonitor.sources import SparkSource

REF, CUR = {ref!r}, {cur!r}
NOT_NULL = [{{"type": "expect_column_values_to_not_be_null", "kwargs": {{"column": "a"}}}}]

with DAG("spark_bad_inputs", schedule=None, start_date=pendulum.datetime(2024, 1, 1)) as dag:
    DriftReportOperator(task_id="missing_path", reference=SparkSource(path=REF + ".gone"), current=SparkSource(path=CUR))
    DriftReportOperator(task_id="one_side_only", reference=SparkSource(path=REF), current=SparkSource(path=CUR))
    DataQualityOperator(task_id="failing_sql", data=SparkSource(sql="SELECT nope FROM parquet.`" + CUR + "`"),
                        expectations=NOT_NULL)
    DriftReportOperator(task_id="drifted", reference=SparkSource(path=REF), current=SparkSource(path=CUR),
                        columns=["a"], on_failure="fail", report=None)
'''


def test_bad_inputs_fail_their_task_and_a_failed_check_still_pushes_its_result(
    spark: Any, files: dict[str, str], airflow_db: str
) -> None:
    runner = DagRunner()
    run = runner.run(runner.load_source(textwrap.dedent(BAD_DAG.format(**files)), "spark_bad_inputs"))
    assert ti_states(run) == dict.fromkeys(("missing_path", "one_side_only", "failing_sql", "drifted"), "failed")
    for task_id in ("missing_path", "one_side_only", "failing_sql"):
        assert xcom_value(run, task_id) is None  # no check ran: nothing to push
    drifted = xcom_value(run, "drifted")
    assert drifted["status"] == "failed" and drifted["drifted_columns"] == ["a"]
    assert spark.range(3).count() == 3  # the tasks used the shared session and left it running


SESSION_SCRIPT = '''
import json, logging, sys
from pyspark.sql import SparkSession
from airflow_mlmonitor.sources import SparkSource
source = SparkSource(sql="SELECT id, id * 2 AS twice FROM range(10)", name="data")
rows = source.num_rows
session = source.session
conf = {k: session.conf.get(k) for k in ("spark.ui.enabled", "spark.log.level", "spark.master")}
source.close()
print(json.dumps({"rows": rows, "conf": conf, "active_after_close": SparkSession.getActiveSession() is not None,
                  "context_after_close": session.sparkContext._jsc is not None}))
'''


def test_a_source_starts_its_session_from_the_connection_and_stops_it(tmp_path: Any) -> None:
    env = {**os.environ, "AIRFLOW_CONN_SPARK_DEFAULT": json.dumps({"conn_type": "spark", "host": "local[1]"})}
    proc = subprocess.run([sys.executable, "-c", SESSION_SCRIPT], capture_output=True, text=True, timeout=180, env=env,
                          cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["rows"] == 10
    assert out["conf"] == {"spark.ui.enabled": "false", "spark.log.level": "WARN", "spark.master": "local[1]"}
    assert out == {**out, "active_after_close": False, "context_after_close": False}
