"""``SparkSource``: a Spark table, path or query; the work runs on Spark."""

from __future__ import annotations

from typing import Any

from airflow_mlmonitor.sources.pushdown import PushdownSource, exactly_one


class SparkSource(PushdownSource):
    """A Spark table, path or query; the work runs on Spark and the worker collects summaries only.

    :param table: a catalog table (templated); give exactly one of ``table``, ``path``, ``sql``.
    :param path: files Spark reads with ``format`` (templated).
    :param sql: a Spark SQL query (templated).
    :param format: the format of ``path`` (``"parquet"``, ``"delta"``, ``"csv"``...).
    :param conn_id: the Spark connection.
    """

    template_fields = ("table", "path", "sql", "format", "conn_id")
    issue = "issue 18"
    what = "Spark execution"

    def __init__(
        self,
        *,
        table: str | None = None,
        path: str | None = None,
        sql: str | None = None,
        format: str = "parquet",
        conn_id: str = "spark_default",
        name: str = "data",
    ) -> None:
        exactly_one("SparkSource", table=table, path=path, sql=sql)
        self.table = table
        self.path = path
        self.sql = sql
        self.format = format
        self.conn_id = conn_id
        self.name = name

    def _fields(self) -> dict[str, Any]:
        fields = {"table": self.table, "path": self.path, "sql": self.sql}
        if self.path:
            fields["format"] = self.format
        return {**fields, "conn_id": self.conn_id}
