"""OpenLineage dataset naming of every input kind and the data-quality facets of check results."""

from __future__ import annotations

import os
import types

from airflow_mlmonitor.lineage.facets import Assertion, input_quality
from airflow_mlmonitor.lineage.naming import ConnectionInfo, DatasetName, dataset_name


def lookup(conns):
    return lambda conn_id: conns.get(conn_id)


def test_files_and_object_storage_follow_the_naming_spec(tmp_path):
    assert dataset_name(str(tmp_path / "a.csv")) == DatasetName("file", str(tmp_path / "a.csv"))
    assert dataset_name("relative/x.parquet") == DatasetName("file", os.path.abspath("relative/x.parquet"))
    assert dataset_name("file:///data/x.csv") == DatasetName("file", "/data/x.csv")
    assert dataset_name("s3://bucket/path/to/x.parquet") == DatasetName("s3://bucket", "path/to/x.parquet")
    assert dataset_name("gs://b/k.csv") == DatasetName("gs://b", "k.csv")
    assert dataset_name(tmp_path / "p.json") == DatasetName("file", str(tmp_path / "p.json"))


def test_object_storage_path_is_named_by_its_url():
    from airflow.sdk import ObjectStoragePath

    assert dataset_name(ObjectStoragePath("s3://bucket/key/x.csv")) == DatasetName("s3://bucket", "key/x.csv")


def test_postgres_table_is_host_port_and_database_schema_table():
    conns = {"pg": ConnectionInfo("postgres", "db.internal", 5433, "analytics")}
    source = types.SimpleNamespace(conn_id="pg", table="customers", schema="sales", sql=None)
    assert dataset_name(source, conn_lookup=lookup(conns)) == DatasetName("postgres://db.internal:5433",
                                                                         "analytics.sales.customers")
    default_schema = types.SimpleNamespace(conn_id="pg", table="t", schema=None)
    assert dataset_name(default_schema, conn_lookup=lookup(conns)).name == "analytics.public.t"
    qualified = types.SimpleNamespace(conn_id="pg", table="s.t", schema=None)
    assert dataset_name(qualified, conn_lookup=lookup(conns)).name == "analytics.s.t"
    no_port = {"pg": ConnectionInfo("postgres", "h", None, "db")}
    assert dataset_name(default_schema, conn_lookup=lookup(no_port)).namespace == "postgres://h:5432"


def test_sql_query_without_table_or_unknown_connection_has_no_dataset():
    conns = {"pg": ConnectionInfo("postgres", "h", 5432, "db")}
    assert dataset_name(types.SimpleNamespace(conn_id="pg", table=None, sql="select 1"),
                        conn_lookup=lookup(conns)) is None
    assert dataset_name(types.SimpleNamespace(conn_id="nope", table="t"), conn_lookup=lookup(conns)) is None


class SparkSource:  # duck-typed like airflow_mlmonitor.sources.SparkSource
    def __init__(self, table=None, path=None, conn_id="spark_default"):
        self.table, self.path, self.conn_id = table, path, conn_id


def test_spark_paths_are_storage_and_tables_are_catalog_names():
    assert dataset_name(SparkSource(path="s3://lake/events/")) == DatasetName("s3://lake", "events/")
    assert dataset_name(SparkSource(table="events")) == DatasetName("spark_catalog", "default.events")
    hive = {"spark_default": ConnectionInfo("hive_metastore", "meta", 9083)}
    assert dataset_name(SparkSource(table="db.events"), conn_lookup=lookup(hive)) == DatasetName(
        "hive://meta:9083", "db.events")


def test_callables_have_no_dataset():
    assert dataset_name(lambda: None) is None
    assert dataset_name(None) is None
    assert dataset_name("  ") is None


QUALITY = {
    "check": "data_quality", "passed": False, "metrics": {"rows": 1000},
    "failed_expectations": [{"expectation_type": "expect_column_values_to_not_be_null", "column": "income",
                             "unexpected_count": 12, "unexpected_percent": 1.2}],
}
EXPECTATIONS = [
    {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "income"}},
    {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "age"}},
    {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "score", "mostly": 0.9}},
    {"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 1}},
]


def test_quality_facets_have_one_assertion_per_expectation_and_null_counts():
    (data,) = input_quality(QUALITY, expectations=EXPECTATIONS).values()
    assert data.row_count == 1000
    assert data.assertions == (
        Assertion("expect_column_values_to_not_be_null", False, "income"),
        Assertion("expect_column_values_to_not_be_null", True, "age"),
        Assertion("expect_column_values_to_not_be_null", True, "score"),
        Assertion("expect_table_row_count_to_be_between", True, None),
    )
    # failed: its unexpected count; passed without mostly: 0; passed with mostly: unknown
    assert data.column_metrics == {"income": {"nullCount": 12}, "age": {"nullCount": 0}}


def test_quality_from_a_suite_file_reports_failures_and_the_suite_verdict():
    (data,) = input_quality(QUALITY, expectations="suite.json").values()
    assert data.assertions == (Assertion("expect_column_values_to_not_be_null", False, "income"),
                               Assertion("expectation_suite", False))


def test_drift_facets_are_on_current_one_assertion_per_column():
    result = {"check": "drift", "passed": False, "metrics": {"rows": 500, "reference_rows": 800},
              "columns": {"b": {"method": "psi", "drifted": False}, "a": {"method": "ks", "drifted": True}}}
    facets = input_quality(result)
    assert facets["current"].assertions == (Assertion("drift:ks", False, "a"), Assertion("drift:psi", True, "b"))
    assert facets["current"].row_count == 500
    assert facets["reference"].row_count == 800 and facets["reference"].assertions == ()


def test_other_kinds_give_one_dataset_assertion_and_computed_column_metrics():
    result = {"check": "anomaly", "passed": True, "metrics": {"rows": 30},
              "column_metrics": {"value": {"null_count": 1, "distinct_count": 29}}}
    (data,) = input_quality(result).values()
    assert data.assertions == (Assertion("anomaly", True),)
    assert data.column_metrics == {"value": {"nullCount": 1, "distinctCount": 29}}
