"""Starting a Spark session: what a missing pyspark, Java runtime or connection says (no JVM started)."""

from __future__ import annotations

import json
import sys

import pytest

from airflow_mlmonitor.exceptions import InvalidInputError, MissingDependencyError
from airflow_mlmonitor.sources import SparkSource
from airflow_mlmonitor.sources.spark import pandas_dtype
from airflow_mlmonitor.sources.spark_session import connection_target, open_session, short_error


@pytest.fixture
def no_active_session(monkeypatch: pytest.MonkeyPatch) -> None:
    from pyspark.sql import SparkSession

    monkeypatch.setattr(SparkSession, "getActiveSession", staticmethod(lambda: None))
    monkeypatch.setenv("AIRFLOW_CONN_SPARK_DEFAULT", json.dumps({"conn_type": "spark", "host": "local[2]"}))


def test_a_missing_pyspark_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyspark", None)
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)
    with pytest.raises(MissingDependencyError, match=r"pip install 'airflow-mlmonitor\[spark\]'"):
        _ = SparkSource(table="t").num_rows


def test_a_missing_java_runtime_says_what_to_install(no_active_session: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(MissingDependencyError, match=r"current: Spark needs a Java runtime.*install openjdk-17-jre-headless"):
        open_session("spark_default", name="current")
    monkeypatch.setenv("JAVA_HOME", "/nonexistent/jdk")
    with pytest.raises(MissingDependencyError, match="openjdk-17-jre-headless"):
        _ = SparkSource(path="/x.parquet", name="current").columns


def test_a_missing_or_empty_connection_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AIRFLOW_CONN_SPARK_NOPE", raising=False)
    with pytest.raises(InvalidInputError, match=r"reference: Spark connection 'spark_nope' is not defined.*type 'spark'"):
        connection_target("spark_nope", name="reference")
    monkeypatch.setenv("AIRFLOW_CONN_SPARK_EMPTY", json.dumps({"conn_type": "spark"}))
    with pytest.raises(InvalidInputError, match="has no host"):
        connection_target("spark_empty", name="reference")


def test_the_connection_gives_the_master_connect_url_and_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    extra = {"queue": "ml", "spark_conf": {"spark.executor.memory": "2g"}}
    monkeypatch.setenv("AIRFLOW_CONN_SPARK_YARN", json.dumps({"conn_type": "spark", "host": "yarn", "extra": extra}))
    assert connection_target("spark_yarn", name="data") == ("yarn", {"spark.executor.memory": "2g", "spark.yarn.queue": "ml"})
    monkeypatch.setenv("AIRFLOW_CONN_SPARK_SA", json.dumps({"conn_type": "spark", "host": "spark://m", "port": 7077}))
    assert connection_target("spark_sa", name="data") == ("spark://m:7077", {})
    monkeypatch.setenv("AIRFLOW_CONN_SPARK_SC", json.dumps({"conn_type": "spark_connect", "host": "cluster", "port": 15002}))
    assert connection_target("spark_sc", name="data")[0].startswith("sc://cluster:15002")


def test_spark_types_map_to_the_dtypes_pandas_reads() -> None:
    assert pandas_dtype("double", 3) == ("float64", "numeric")
    assert pandas_dtype("bigint", 0) == ("int64", "numeric")
    assert pandas_dtype("int", 2) == ("float64", "numeric")  # NULLs in an integer column: pandas reads floats
    assert pandas_dtype("boolean", 0) == ("bool", "other") and pandas_dtype("boolean", 1) == ("object", "other")
    assert pandas_dtype("string", 0) == ("str", "text")
    assert pandas_dtype("timestamp", 0)[0].startswith("datetime64")
    assert pandas_dtype("decimal(10,2)", 0) == ("object", "other")


def test_a_spark_error_is_shortened_to_its_first_line() -> None:
    class FakeSparkError(Exception):
        pass

    err = FakeSparkError("[PATH_NOT_FOUND] Path does not exist: file:/x.\n\tat org.apache.spark.Foo(Foo.scala:1)\n")
    assert short_error(err) == "[PATH_NOT_FOUND] Path does not exist: file:/x."
