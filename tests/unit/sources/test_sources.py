"""The sources seam: every kind describes itself, lists columns and types, counts rows, gives frames."""

from __future__ import annotations

import datetime
import decimal

import pandas as pd
import pytest

from airflow_mlmonitor.exceptions import DataLoadError, InvalidInputError
from airflow_mlmonitor.sources import (
    CallableSource,
    FileSource,
    Source,
    SparkSource,
    SqlSource,
    as_source,
    is_local_path,
    is_url,
)

FRAME = pd.DataFrame({"age": [20, 30, 40], "country": ["FR", "DE", "US"]})


def no_chained_traceback(err: BaseException) -> bool:
    return err.__cause__ is None and (err.__context__ is None or err.__suppress_context__)


def write(tmp_path, suffix: str) -> str:
    path = tmp_path / f"batch{suffix}"
    if suffix == ".parquet":
        FRAME.to_parquet(path)
    elif suffix == ".csv":
        FRAME.to_csv(path, index=False)
    else:
        FRAME.to_json(path, orient="records", lines=suffix == ".jsonl")
    return str(path)


@pytest.mark.parametrize("suffix", [".parquet", ".csv", ".json", ".jsonl"])
def test_file_source_describe_columns_rows_frame_column(tmp_path, suffix):
    path = write(tmp_path, suffix)
    for value in (path, f"file://{path}"):
        source = as_source(value, name="current")
        assert isinstance(source, FileSource)
        assert source.describe() == repr(value) and repr(source) == repr(value)
        assert source.columns == ["age", "country"]
        assert (source.num_rows, len(source)) == (3, 3)
        assert source.dtypes()["age"] == "int64"
        pd.testing.assert_frame_equal(source.to_frame().reset_index(drop=True), FRAME, check_dtype=False)
        assert list(source.to_frame(["country"]).columns) == ["country"]
        assert source.column("age").tolist() == [20, 30, 40]


def test_parquet_file_is_read_column_wise(tmp_path):
    source = as_source(write(tmp_path, ".parquet"))
    assert source.column("country").tolist() == ["FR", "DE", "US"]
    assert source._frame is None  # one column read, the whole file never loaded
    assert type(source.columnar()).__name__ == "ParquetColumns"


def test_object_storage_path(tmp_path):
    from airflow.sdk import ObjectStoragePath

    source = as_source(ObjectStoragePath(f"file://{write(tmp_path, '.parquet')}"))
    assert isinstance(source, FileSource) and not source.is_local
    assert (source.columns, source.num_rows) == (["age", "country"], 3)
    assert source.column("age").tolist() == [20, 30, 40]


def test_callable_source_is_called_once_on_first_access():
    calls = []

    def load_batch() -> pd.DataFrame:
        calls.append(1)
        return FRAME

    source = as_source(load_batch, name="reference")
    assert isinstance(source, CallableSource) and source.func is load_batch
    assert source.describe().startswith("callable ") and source.describe().endswith("load_batch")
    assert bool(source) and calls == []  # truthiness never loads (Airflow's templater tests it)
    assert (source.columns, source.num_rows, source.dtypes()["country"]) == (["age", "country"], 3, str(FRAME.dtypes["country"]))
    assert source.to_frame() is FRAME and source.column("age").tolist() == [20, 30, 40]
    assert calls == [1]
    assert source.fresh().to_frame() is FRAME and calls == [1, 1]  # a fresh copy per run loads again


def test_missing_column_names_the_parameter_source_and_columns(tmp_path):
    source = as_source(write(tmp_path, ".csv"), name="current")
    with pytest.raises(InvalidInputError, match=r"current: column 'agee' is not in .*batch\.csv'; it has 'age', 'country'"):
        source.column("agee")


@pytest.mark.parametrize("kind", ["local", "url"])
def test_missing_file_names_the_parameter_once_without_a_library_traceback(tmp_path, kind):
    path = tmp_path / "missing.parquet"
    value = str(path) if kind == "local" else f"file://{path}"
    with pytest.raises(DataLoadError) as caught:
        _ = as_source(value, name="reference").num_rows
    message = str(caught.value)
    assert message.startswith("reference: input ") and "does not exist" in message
    assert message.count("missing.parquet") == 1
    assert no_chained_traceback(caught.value)


def test_corrupt_parquet_is_one_clean_message(tmp_path):
    (tmp_path / "bad.parquet").write_text("not parquet")
    with pytest.raises(DataLoadError, match=r"^current: cannot read '.*bad\.parquet' as parquet: Arrow") as caught:
        _ = as_source(str(tmp_path / "bad.parquet"), name="current").columns
    assert no_chained_traceback(caught.value)


def test_bad_values_are_refused_with_advice():
    with pytest.raises(InvalidInputError, match=r"data: pass a path, URL or a callable .* not a DataFrame object"):
        as_source(FRAME)
    with pytest.raises(InvalidInputError, match="current: no input given"):
        as_source(" ", name="current")
    with pytest.raises(InvalidInputError, match=r"data: cannot read a int \(42\); pass a path"):
        as_source(42)


def test_as_source_adopts_a_source_with_the_parameter_name_and_connection():
    source = FileSource("s3://bucket/x.parquet")
    adopted = as_source(source, conn_id="aws", name="current")
    assert (adopted.name, adopted.conn_id) == ("current", "aws")
    assert (source.name, source.conn_id) == ("data", None)  # the given source is left untouched
    assert as_source(FileSource("s3://b/x.csv", conn_id="mine"), conn_id="other").conn_id == "mine"


def test_sql_source_is_typed_and_templated_and_checks_its_arguments():
    source = SqlSource("warehouse", table="t_{{ ds_nodash }}", schema="sales", name="current")
    assert set(SqlSource.template_fields) >= {"table", "sql", "schema"}
    assert source.describe() == "SqlSource(conn_id='warehouse', schema='sales', table='t_{{ ds_nodash }}')"
    assert source.columnar() is source
    with pytest.raises(InvalidInputError, match=r"SqlSource: give exactly one of table= or sql= \(got table, sql\)"):
        SqlSource("warehouse", table="t", sql="select 1")
    with pytest.raises(InvalidInputError, match=r"exactly one of table= or sql= \(got none\)"):
        SqlSource("warehouse")
    with pytest.raises(InvalidInputError, match=r"schema= applies to table="):
        SqlSource("warehouse", sql="select 1", schema="sales")


def test_sql_source_names_the_connection_it_cannot_use(monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_MLMONITOR_HTTP", '{"conn_type": "http", "host": "example.invalid"}')
    undefined = SqlSource("mlmonitor_undefined", table="t", name="current")
    with pytest.raises(DataLoadError, match=r"current: SqlSource\(conn_id='mlmonitor_undefined', table='t'\): "
                       r"connection 'mlmonitor_undefined' is not defined; create it .*AIRFLOW_CONN_MLMONITOR_UNDEFINED"):
        _ = undefined.columns
    not_a_database = SqlSource("mlmonitor_http", sql="select 1", name="reference")
    with pytest.raises(InvalidInputError, match=r"reference: SqlSource\(conn_id='mlmonitor_http', sql='select 1'\): "
                       r"connection 'mlmonitor_http' \(conn_type 'http'\) gives a HttpHook, which is not a DbApiHook"):
        _ = not_a_database.num_rows
    rendered_empty = SqlSource("mlmonitor_http", table="{{ params.table }}")
    rendered_empty.table = ""  # what an empty template renders to
    with pytest.raises(InvalidInputError, match=r"give exactly one of table= or sql= \(got none\)\. Check the templates"):
        _ = rendered_empty.columns


@pytest.mark.parametrize(
    ("values", "family"),
    [
        ([1, None, 2], "int"),
        ([1, 2.5], "float"),
        ([decimal.Decimal("1.5"), 2], "float"),
        ([True, False, None], "bool"),
        ([True, 1], "other"),
        (["a", None], "text"),
        ([datetime.datetime(2024, 1, 1)], "datetime"),
        ([datetime.date(2024, 1, 1)], "other"),
        ([None, None], None),
    ],
)
def test_sql_value_families_follow_what_pandas_reads(values, family):
    from airflow_mlmonitor.sources.sqldb import family_of_values

    assert family_of_values(values) == family


def test_spark_source_is_typed_templated_and_starts_nothing_when_built():
    source = SparkSource(path="s3://lake/{{ ds }}/", format="delta")
    assert set(SparkSource.template_fields) >= {"table", "path", "sql"}
    assert source.describe() == "SparkSource(path='s3://lake/{{ ds }}/', format='delta', conn_id='spark_default')"
    assert source._session is None and "frame" not in source.__dict__
    source.close()  # nothing started: nothing to stop
    with pytest.raises(InvalidInputError, match=r"give exactly one of table= or path= or sql= \(got table, sql\)"):
        SparkSource(table="t", sql="select 1")


def test_a_source_is_safe_in_a_template_field():
    """Airflow's templater calls callables, calls ``resolve()`` and tests ``bool()``: a source offers none."""
    for source in (CallableSource(lambda: FRAME), FileSource("x.csv"), SqlSource("db", table="t")):
        assert isinstance(source, Source) and not callable(source) and not hasattr(source, "resolve")
        assert not hasattr(source, "serialize")  # the DAG serializer then stores str(source) = describe()
        assert str(source) == source.describe()


@pytest.mark.parametrize(("value", "url", "local"), [
    ("data/x.csv", False, True), ("/abs/x.csv", False, True), ("~/x.csv", False, True),
    ("s3://b/x.csv", True, False), ("file:///x.csv", True, False), ("gs+v2://b/x", True, False),
    ("c:/windows/x.csv", False, True), (42, False, False),
])
def test_one_url_test_and_one_local_path_test(value, url, local):
    assert (is_url(value), is_local_path(value)) == (url, local)


def test_importing_the_package_is_cheap():
    import json
    import subprocess
    import sys

    code = ("import json, sys, airflow_mlmonitor.sources\n"
            "print(json.dumps([m for m in ('pandas', 'pyarrow', 'airflow') if m in sys.modules]))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == [], proc.stderr[-2000:]
