"""DataQualityOperator on SqlSource inputs: GX validates in a real Postgres 15 (read-only role) and
reaches exactly the verdicts, counts and failures it reaches on the same rows from a parquet file.
One dag.test() run (module-scoped) for every task."""

from __future__ import annotations

import json
import pathlib

import numpy as np
import pandas as pd
import pytest

from tests.fixtures.airflow import DagRunner, ti_states, xcom_value
from tests.fixtures.postgres import READER_PASSWORD

ROWS = 3000
TYPES = {"customer_id": "bigint", "income": "double precision", "age": "integer", "country": "text",
         "Mixed Case": "numeric(10, 2)", "signed_up": "timestamp"}


def customers() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    income = rng.lognormal(10.5, 0.4, ROWS)
    income[rng.choice(ROWS, 45, replace=False)] = np.nan
    age = rng.integers(18, 91, ROWS)
    age[rng.choice(ROWS, 60, replace=False)] = rng.choice([12, 97, 130], 60)
    country = rng.choice(["FR", "US", "DE", "ES"], ROWS).astype(object)
    country[rng.choice(ROWS, 20, replace=False)] = "XX"
    country[rng.choice(ROWS, 30, replace=False)] = None
    return pd.DataFrame({
        "customer_id": np.arange(ROWS), "income": income, "age": age, "country": country,
        "Mixed Case": rng.normal(50, 20, ROWS).round(2),
        "signed_up": pd.date_range("2024-01-01", periods=ROWS, freq="h"),
    })


def _in_set(column: str, values: list, **kwargs) -> dict:
    return {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": column, "value_set": values, **kwargs}}


SUITE = [
    {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "customer_id"}},
    {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "income", "mostly": 0.99}},
    {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "country"}},
    {"type": "expect_column_values_to_be_between", "kwargs": {"column": "age", "min_value": 18, "max_value": 90}},
    _in_set("country", ["FR", "US", "DE", "ES"]),
    {"type": "expect_column_values_to_be_between", "kwargs": {"column": "Mixed Case", "min_value": 0, "max_value": 100}},
    {"type": "expect_column_mean_to_be_between", "kwargs": {"column": "income", "min_value": 1000, "max_value": 1e6}},
    {"type": "expect_column_max_to_be_between", "kwargs": {"column": "age", "max_value": 120}},
    {"type": "expect_table_row_count_to_equal", "kwargs": {"value": ROWS}},
    {"type": "expect_table_columns_to_match_set", "kwargs": {"column_set": list(TYPES)}},
]
PASSING = [SUITE[0], SUITE[6], SUITE[8]]

DAG_ID = "sql_quality_parity"
DAG_SOURCE = '''
import pendulum
from airflow.sdk import DAG
from airflow_mlmonitor.operators.quality import DataQualityOperator
from airflow_mlmonitor.sources import SqlSource

PG = {conn_id!r}
with DAG("{dag_id}", schedule=None, start_date=pendulum.datetime(2024, 1, 1), params={{"table": "Customers 2024"}}) as dag:
    DataQualityOperator(task_id="file", data={path!r}, expectations={suite!r}, on_failure="warn")
    DataQualityOperator(task_id="table", data=SqlSource(PG, table="{{{{ params.table }}}}", schema="Sales"),
                        expectations={suite!r}, on_failure="warn")
    DataQualityOperator(task_id="query", expectations={suite!r}, on_failure="warn",
                        data=SqlSource(PG, sql='SELECT * FROM "Sales"."Customers 2024" WHERE customer_id >= 0;'))
    DataQualityOperator(task_id="complete", data=SqlSource(PG, table="Customers 2024", schema="Sales"),
                        expectations={suite!r}, on_failure="warn", result_format="COMPLETE")
    DataQualityOperator(task_id="passes", data=SqlSource(PG, table="customers 2024", schema="sales"),
                        expectations={passing!r})
    DataQualityOperator(task_id="fails", data=SqlSource(PG, table="Customers 2024", schema="Sales"),
                        expectations={suite!r})
'''


@pytest.fixture(scope="module")
def sql_quality_run(airflow_db, postgres, tmp_path_factory):
    frame = customers()
    path = tmp_path_factory.mktemp("sql-quality") / "customers.parquet"
    frame.to_parquet(path)
    postgres.load_frame("Customers 2024", frame, TYPES, schema="Sales")
    runner = DagRunner()
    source = DAG_SOURCE.format(dag_id=DAG_ID, conn_id=postgres.conn_id, path=str(path), suite=SUITE, passing=PASSING)
    return runner.run(runner.load_source(source, DAG_ID))


def _comparable(result: dict) -> dict:
    return {key: value for key, value in result.items() if key not in ("report_uri", "summary")}


def test_sql_tasks_run_in_the_database_and_follow_on_failure(sql_quality_run):
    assert ti_states(sql_quality_run) == {
        "file": "success", "table": "success", "query": "success", "complete": "success",
        "passes": "success", "fails": "failed",
    }


def test_table_and_query_results_equal_the_file_result(sql_quality_run):
    from_file = xcom_value(sql_quality_run, "file")
    assert from_file["passed"] is False and from_file["metrics"]["rows"] == ROWS
    failed = {(f["expectation_type"], f["column"]): f["unexpected_count"] for f in from_file["failed_expectations"]}
    assert failed == {
        ("expect_column_values_to_not_be_null", "income"): 45,
        ("expect_column_values_to_not_be_null", "country"): 30,
        ("expect_column_values_to_be_between", "age"): 60,
        ("expect_column_values_to_be_in_set", "country"): 20,
        ("expect_column_values_to_be_between", "Mixed Case"): failed[("expect_column_values_to_be_between", "Mixed Case")],
        ("expect_column_max_to_be_between", "age"): None,
    }
    assert failed[("expect_column_values_to_be_between", "Mixed Case")] > 0
    for task_id in ("table", "query", "complete"):
        result = xcom_value(sql_quality_run, task_id)
        assert _comparable(result) == _comparable(from_file), task_id
        assert result["metrics"]["rows"] == ROWS and result["metrics"]["row_count"] == ROWS


def test_pass_and_fail_on_a_case_folded_table_name(sql_quality_run):
    passed = xcom_value(sql_quality_run, "passes")
    assert passed["passed"] is True and passed["metrics"]["success_percent"] == 100.0
    assert xcom_value(sql_quality_run, "fails")["status"] == "failed"  # pushed before the task failed


def test_reports_name_the_source_and_never_the_password(sql_quality_run):
    result = xcom_value(sql_quality_run, "table")
    folder = pathlib.Path(result["report_uri"].removeprefix("file://")).parent
    html = (folder / "report.html").read_text()
    assert "SqlSource(conn_id=&#39;mlmonitor_pg&#39;, schema=&#39;Sales&#39;, table=&#39;Customers 2024&#39;)" in html
    for name in ("report.html", "validation_result.json", "result.json"):
        assert READER_PASSWORD not in (folder / name).read_text(), name
    gx_result = json.loads((folder / "validation_result.json").read_text())
    assert gx_result["meta"]["batch_spec"]["table_name"] == "Customers 2024"
