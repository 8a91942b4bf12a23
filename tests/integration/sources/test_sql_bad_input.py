"""Bad SqlSource input against a real Postgres 15: each case is one clear error naming the
connection, the table or query and the fix, raised before any heavy work; nothing is written."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from airflow_mlmonitor.exceptions import DataLoadError, InvalidInputError
from airflow_mlmonitor.operators.drift import DriftReportOperator
from airflow_mlmonitor.operators.quality import DataQualityOperator
from airflow_mlmonitor.sources import SqlSource
from tests.fixtures.servers import free_port

TYPES = {"id": "integer", "amount": "double precision", "segment": "text"}
NOT_NULL = [{"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "amount"}}]


@pytest.fixture(scope="module")
def pg(postgres):
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"id": np.arange(200), "amount": rng.normal(0, 1, 200), "segment": rng.choice(["a", "b"], 200)})
    postgres.load_frame("orders", frame, TYPES)
    postgres.load_frame("orders_wide", frame.assign(extra=1.0), {**TYPES, "extra": "double precision"})
    postgres.load_frame("nothing", frame.iloc[0:0], TYPES)
    return postgres


def drift(**kwargs):
    return DriftReportOperator(task_id="drift", report=None, **kwargs).run_check({})  # type: ignore[arg-type]


def quality(data):
    return DataQualityOperator(task_id="quality", data=data, expectations=NOT_NULL).run_check({})  # type: ignore[arg-type]


def test_unknown_table_lists_the_tables_and_names_the_fix(pg):
    with pytest.raises(DataLoadError) as caught:
        quality(SqlSource(pg.conn_id, table="orderz"))
    assert str(caught.value) == (
        "data: SqlSource(conn_id='mlmonitor_pg', table='orderz'): table 'orderz' does not exist in the default "
        "schema; there are: 'nothing', 'orders', 'orders_wide'. Fix table= (and schema=)."
    )


def test_unknown_schema_lists_the_schemas(pg):
    with pytest.raises(DataLoadError, match=r"^current: SqlSource\(conn_id='mlmonitor_pg', schema='sales', table='orders'\): "
                       r"schema 'sales' does not exist in the database; there are: .*'public'.*\. Fix schema=\.$"):
        drift(reference=SqlSource(pg.conn_id, table="orders"), current=SqlSource(pg.conn_id, table="orders", schema="sales"))


@pytest.mark.parametrize(("sql", "cause"), [
    ("SELECT amount FROM missing_table", r'UndefinedTable: relation "missing_table" does not exist'),
    ("SELECT amount FROM orders WHERE", r"SyntaxError: syntax error at or near \"\)\" LINE 2: FROM \(SELECT amount FROM orders WHERE\) AS mlmonitor_query"),
])
def test_a_failing_query_gives_the_database_message(pg, sql, cause):
    with pytest.raises(DataLoadError, match=rf"^data: SqlSource\(conn_id='mlmonitor_pg', sql={re.escape(repr(sql))}\): "
                                            rf"the query failed: {cause}") as caught:
        quality(SqlSource(pg.conn_id, sql=sql))
    assert caught.value.__cause__ is None and caught.value.__suppress_context__  # no SQLAlchemy traceback


def test_a_query_cannot_write(pg):
    writes = ("DELETE FROM orders RETURNING *",
              "WITH gone AS (DELETE FROM orders RETURNING *) SELECT * FROM gone")
    for sql in writes:
        with pytest.raises(DataLoadError, match="the query failed"):
            quality(SqlSource(pg.conn_id, sql=sql))
    assert pg.execute("SELECT count(*) FROM orders") == [(200,)]


def test_table_and_sql_together_or_neither(pg):
    with pytest.raises(InvalidInputError, match=r"SqlSource: give exactly one of table= or sql= \(got table, sql\)"):
        SqlSource(pg.conn_id, table="orders", sql="SELECT 1")
    rendered_empty = SqlSource(pg.conn_id, table="{{ params.table }}")
    rendered_empty.table = ""
    with pytest.raises(InvalidInputError, match=r"data: SqlSource\(conn_id='mlmonitor_pg'\): .*\(got none\)\. "
                                                r"Check the templates of table= and sql="):
        quality(rendered_empty)


def test_a_connection_that_is_not_a_database(pg, monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_MLMONITOR_WEB", json.dumps({"conn_type": "http", "host": "127.0.0.1"}))
    with pytest.raises(InvalidInputError, match=r"reference: SqlSource\(conn_id='mlmonitor_web', table='orders'\): "
                                                r"connection 'mlmonitor_web' \(conn_type 'http'\) gives a HttpHook, which "
                                                r"is not a DbApiHook.*Use a database connection"):
        drift(reference=SqlSource("mlmonitor_web", table="orders"), current=SqlSource(pg.conn_id, table="orders"))


def test_an_unreachable_database_is_a_load_error(pg, monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_MLMONITOR_DOWN", json.dumps(
        {"conn_type": "postgres", "host": "127.0.0.1", "port": free_port(), "login": "postgres", "schema": "x"}))
    with pytest.raises(DataLoadError, match=r"data: SqlSource\(conn_id='mlmonitor_down', table='orders'\): cannot read "
                                            r"the table's definition: OperationalError: connection failed: .* Connection refused"):
        quality(SqlSource("mlmonitor_down", table="orders"))


def test_a_column_on_one_side_only_names_both_sources(pg):
    with pytest.raises(InvalidInputError) as caught:
        drift(reference=SqlSource(pg.conn_id, table="orders_wide"), current=SqlSource(pg.conn_id, table="orders"))
    assert str(caught.value) == (
        "SqlSource(conn_id='mlmonitor_pg', table='orders_wide') and SqlSource(conn_id='mlmonitor_pg', table='orders') "
        "have different columns: only in SqlSource(conn_id='mlmonitor_pg', table='orders_wide') ['extra'], only in "
        "SqlSource(conn_id='mlmonitor_pg', table='orders') []. Pass `columns=[...]` to compare the shared ones."
    )
    with pytest.raises(InvalidInputError, match=r"current: column 'extra' is not in SqlSource\(conn_id='mlmonitor_pg', "
                                                r"table='orders'\); it has 'id', 'amount', 'segment'"):
        SqlSource(pg.conn_id, table="orders", name="current").facts("extra")


def test_an_empty_table(pg):
    with pytest.raises(InvalidInputError, match=r"data: SqlSource\(conn_id='mlmonitor_pg', table='nothing'\) is empty "
                                                r"\(0 rows x 3 columns\)"):
        quality(SqlSource(pg.conn_id, table="nothing"))


@pytest.mark.parametrize(("options", "refused"), [
    ({"chunk_by": 50}, "chunk_by is"), ({"min_effect": 0.1}, "min_effect is"),
    ({"chunk_by": 50, "min_effect": 0.1}, "chunk_by, min_effect are"),
])
def test_options_that_need_every_row_are_refused_before_the_work(pg, options, refused):
    with pytest.raises(InvalidInputError, match=rf"^{refused} not supported for SqlSource inputs yet "
                                                r"\(SqlSource\(conn_id='mlmonitor_pg', table='orders'\)\)"):
        drift(reference=SqlSource(pg.conn_id, table="orders"), current=SqlSource(pg.conn_id, table="orders"), **options)


def test_other_checks_read_the_rows_as_pandas_read_sql_does(pg):
    source = SqlSource(pg.conn_id, sql="SELECT id, amount, segment FROM orders ORDER BY id")
    frame = source.to_frame()
    assert list(frame.columns) == ["id", "amount", "segment"] and len(frame) == 200
    assert source.dtypes() == {"id": "int64", "amount": "float64", "segment": "object"}
    assert {c: str(t) for c, t in frame.dtypes.items()} == {"id": "int64", "amount": "float64", "segment": "str"}
    assert source.column("amount").tolist() == frame["amount"].tolist()
    sample = source.sample_columns(["id", "segment"], 20, seed=7)
    assert len(sample) == 20 and sample["id"].is_unique and sample.equals(source.sample_columns(["id", "segment"], 20, 7))


def test_both_postgres_drivers_stream_the_same_values(pg, monkeypatch):
    v2 = {**pg.connection, "extra": {"sqlalchemy_scheme": "postgresql+psycopg2"}}
    v3 = {**pg.connection, "extra": {"sqlalchemy_scheme": "postgresql+psycopg"}}
    monkeypatch.setenv("AIRFLOW_CONN_MLMONITOR_PG2", json.dumps(v2))
    monkeypatch.setenv("AIRFLOW_CONN_MLMONITOR_PG3", json.dumps(v3))
    summaries = []
    for conn_id, driver in (("mlmonitor_pg2", "psycopg2"), ("mlmonitor_pg3", "psycopg")):
        source = SqlSource(conn_id, table="orders", name="current")
        assert source._db.engine.dialect.driver == driver
        summaries.append(source.summary("amount", side="current").as_stream().to_array())
    assert len(summaries[0]) == 200 and np.array_equal(summaries[0], summaries[1])
    assert np.array_equal(summaries[0], np.sort(SqlSource(pg.conn_id, table="orders").column("amount").to_numpy()))
