"""DriftReportOperator on SqlSource inputs in a real Postgres 15: the verdicts and scores equal the
file engine's on the same rows from parquet, on mixed data (continuous, skewed, low cardinality,
categorical text, NULLs, Postgres NaN and Infinity, ties, a column named "Mixed Case", booleans,
timestamps), for tables and a ``sql=`` query, small and large references, chosen methods, and
Evidently's own report. One dag.test() run (module-scoped)."""

from __future__ import annotations

import pathlib

import numpy as np
import pandas as pd
import pytest

from tests.fixtures.airflow import DagRunner, ti_states, xcom_value

TYPES = {
    "row_id": "integer", "continuous": "double precision", "skewed": "double precision", "low": "integer",
    "segment": "text", "with_nulls": "double precision", "ties": "numeric(6, 1)", "Mixed Case": "bigint",
    "flag": "boolean", "specials": "double precision", "seen_at": "timestamp",
}
NAN_ROWS = range(0, 60, 3)  # rows whose `specials` is NaN in Postgres (NULL elsewhere; both missing)


def batch(n: int, shift: float, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "row_id": np.arange(n),
        "continuous": rng.normal(shift, 1, n),
        "skewed": rng.lognormal(0, 1 + shift, n),
        "low": rng.integers(0, 4 + int(shift > 0), n),
        "segment": rng.choice(["retail", "b2b", "gov", "edu"], n, p=[0.4 + shift / 4, 0.3, 0.2, 0.1 - shift / 4]),
        "with_nulls": np.where(rng.random(n) < 0.15, np.nan, rng.normal(0, 1, n)),
        "ties": rng.normal(2, 1, n).round(1),
        "Mixed Case": rng.integers(0, 200, n) + int(shift * 10),
        "flag": rng.random(n) < 0.3 + shift / 3,
        "specials": rng.normal(0, 1, n),
        "seen_at": pd.Timestamp("2024-05-01") + pd.to_timedelta(rng.integers(0, 86400, n), unit="s"),
    }).astype({"segment": object})
    frame.loc[frame.index % 9 == 0, "segment"] = None
    frame.loc[:59, "specials"] = np.nan  # NULL (and, for NAN_ROWS, NaN) in Postgres
    frame.loc[60:64, "specials"] = np.inf  # 'Infinity' in Postgres
    return frame


DAG_ID = "sql_drift_parity"
DAG_SOURCE = '''
import pendulum
from airflow.sdk import DAG
from airflow_mlmonitor.operators.drift import DriftReportOperator
from airflow_mlmonitor.sources import SqlSource

PG, FILES = {conn_id!r}, {files!r}

def sql(table, schema="public"):
    return SqlSource(PG, table=table, schema=schema)

with DAG("{dag_id}", schedule=None, start_date=pendulum.datetime(2024, 1, 1)) as dag:
    for size in ("large", "small"):
        DriftReportOperator(task_id=f"file_{{size}}", reference=f"{{FILES}}/reference_{{size}}.parquet",
                            current=f"{{FILES}}/current_{{size}}.parquet")
        DriftReportOperator(task_id=f"table_{{size}}", reference=sql(f"reference_{{size}}"),
                            current=sql(f"Current {{size}}", "Batches"))
    DriftReportOperator(task_id="query", reference=sql("reference_large"),
                        current=SqlSource(PG, sql='SELECT * FROM "Batches"."Current large" WHERE row_id >= 0'))
    DriftReportOperator(task_id="file_methods", reference=FILES + "/reference_large.parquet",
                        current=FILES + "/current_large.parquet", num_method="ks", cat_method="psi",
                        per_column_method={{"Mixed Case": "psi"}}, columns=["continuous", "ties", "segment", "Mixed Case"])
    DriftReportOperator(task_id="table_methods", reference=sql("reference_large"), current=sql("Current large", "Batches"),
                        num_method="ks", cat_method="psi", per_column_method={{"Mixed Case": "psi"}},
                        columns=["continuous", "ties", "segment", "Mixed Case"])
    DriftReportOperator(task_id="table_and_file", reference=sql("reference_large"),
                        current=FILES + "/current_large.parquet", report="evidently", report_sample_size=500)
'''


@pytest.fixture(scope="module")
def sql_drift_run(airflow_db, postgres, tmp_path_factory):
    files = tmp_path_factory.mktemp("sql-drift")
    for size, (n_ref, n_cur) in {"large": (4000, 3000), "small": (600, 500)}.items():
        for side, n, shift, seed in (("reference", n_ref, 0.0, 1), ("current", n_cur, 0.25, 2)):
            frame = batch(n, shift, seed + n)
            frame.to_parquet(files / f"{side}_{size}.parquet")
            table, schema = (f"reference_{size}", "public") if side == "reference" else (f"Current {size}", "Batches")
            postgres.load_frame(table, frame, TYPES, schema=schema)
            postgres.execute(f'UPDATE "{schema}"."{table}" SET specials = %s WHERE row_id = ANY(%s)',
                             (float("nan"), list(NAN_ROWS)))
    runner = DagRunner()
    source = DAG_SOURCE.format(dag_id=DAG_ID, conn_id=postgres.conn_id, files=str(files))
    return runner.run(runner.load_source(source, DAG_ID))


def _assert_same_result(sql_result: dict, file_result: dict) -> None:
    assert sql_result["columns"].keys() == file_result["columns"].keys()
    for name, expected in file_result["columns"].items():  # scores equal up to float summation order
        assert sql_result["columns"][name] == {**expected, "score": pytest.approx(expected["score"], rel=1e-9)}, name
    for key in ("dataset_drift", "drifted_columns", "ignored_columns", "passed", "status"):
        assert sql_result[key] == file_result[key], key
    assert sql_result["metrics"] == pytest.approx(file_result["metrics"])


def test_every_task_ran(sql_drift_run):
    assert set(ti_states(sql_drift_run).values()) == {"success"}, ti_states(sql_drift_run)


@pytest.mark.parametrize("size", ["large", "small"])
def test_tables_give_the_file_verdicts(sql_drift_run, size):
    from_file = xcom_value(sql_drift_run, f"file_{size}")
    _assert_same_result(xcom_value(sql_drift_run, f"table_{size}"), from_file)
    columns = from_file["columns"]
    assert from_file["ignored_columns"] == ["seen_at"]  # timestamps are not drift-tested, as in Evidently
    assert columns["low"]["method"] == ("jensenshannon" if size == "large" else "chisquare")  # <= 10 integers
    assert columns["continuous"]["method"] == ("wasserstein" if size == "large" else "ks")
    assert columns["flag"]["method"] == ("jensenshannon" if size == "large" else "z")
    assert "continuous" in from_file["drifted_columns"] and "with_nulls" not in from_file["drifted_columns"]
    assert from_file["metrics"]["n_columns"] == 10


def test_a_query_gives_the_same_verdicts_as_its_table(sql_drift_run):
    _assert_same_result(xcom_value(sql_drift_run, "query"), xcom_value(sql_drift_run, "table_large"))


def test_chosen_methods_give_the_file_verdicts(sql_drift_run):
    from_file = xcom_value(sql_drift_run, "file_methods")
    assert {c: v["method"] for c, v in from_file["columns"].items()} == {
        "continuous": "ks", "ties": "ks", "segment": "psi", "Mixed Case": "psi"}
    _assert_same_result(xcom_value(sql_drift_run, "table_methods"), from_file)


def test_nan_and_infinity_in_postgres_count_as_pandas_counts_them(sql_drift_run):
    from_file = xcom_value(sql_drift_run, "file_large")
    assert "specials" in from_file["columns"]  # 60 missing and 5 infinite values on both sides
    assert xcom_value(sql_drift_run, "table_large")["columns"]["specials"]["score"] == pytest.approx(
        from_file["columns"]["specials"]["score"], rel=1e-9)


def test_a_table_against_a_file_and_the_evidently_report_from_a_database_sample(sql_drift_run):
    result = xcom_value(sql_drift_run, "table_and_file")
    _assert_same_result({**result, "report_uri": None}, xcom_value(sql_drift_run, "file_large"))
    html = pathlib.Path(result["report_uri"].removeprefix("file://")).read_text()
    assert "seeded random sample of 500 of 4,000 reference rows and 500 of 3,000 current rows" in html


def test_native_report_of_sql_inputs_names_them(sql_drift_run):
    result = xcom_value(sql_drift_run, "table_large")
    html = pathlib.Path(result["report_uri"].removeprefix("file://")).read_text()
    assert "SqlSource(conn_id=&#39;mlmonitor_pg&#39;, schema=&#39;Batches&#39;, table=&#39;Current large&#39;)" in html
    assert "Mixed Case" in html and "<svg" in html
