"""Sources whose work runs where the data is: a SQL database or Spark. Airflow-free.

They are typed and templated now (``table``/``sql``/``schema``/``path`` render like any template
field); reading them arrives with issue 17 (SQL pushdown) and issue 18 (Spark). Until then every
data method raises :class:`SourceNotImplementedError` with that news, so a DAG using them parses,
renders and fails clearly at execute time.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NoReturn

from airflow_mlmonitor.exceptions import InvalidInputError, MLMonitorError
from airflow_mlmonitor.sources.base import Source

if TYPE_CHECKING:
    import pandas as pd


class SourceNotImplementedError(MLMonitorError, NotImplementedError):
    """A source kind that is declared but cannot read data yet."""


def _exactly_one(kind: str, **given: Any) -> None:
    names = [name for name, value in given.items() if value not in (None, "")]
    if len(names) != 1:
        options = " or ".join(f"{name}=" for name in given)
        got = ", ".join(names) if names else "none"
        raise InvalidInputError(f"{kind}: give exactly one of {options} (got {got}).")


class _PushdownSource(Source):
    issue: str = ""
    what: str = ""

    def _fields(self) -> dict[str, Any]:
        raise NotImplementedError

    def describe(self) -> str:
        shown = ", ".join(f"{k}={v!r}" for k, v in self._fields().items() if v not in (None, ""))
        return f"{type(self).__name__}({shown})"

    def _not_yet(self) -> NoReturn:
        raise SourceNotImplementedError(
            f"{self.name}: {self.describe()} cannot be read yet: {self.what} arrives with {self.issue}. "
            "For now pass a file path/URL or a callable returning a pandas DataFrame."
        )

    @property
    def columns(self) -> list[str]:
        self._not_yet()

    def dtypes(self) -> dict[str, str]:
        self._not_yet()

    @property
    def num_rows(self) -> int:
        self._not_yet()

    def to_frame(self, columns: Sequence[str] | None = None) -> pd.DataFrame:
        self._not_yet()

    def column(self, name: str) -> pd.Series:
        self._not_yet()


class SqlSource(_PushdownSource):
    """A table or query of any ``DbApiHook`` connection (``apache-airflow-providers-common-sql``);
    the work is pushed down to the database.

    :param conn_id: the database connection id (templated).
    :param table: a table name (templated); give ``table`` or ``sql``, not both.
    :param sql: a ``SELECT`` query (templated).
    :param schema: the schema of ``table`` (templated).
    """

    template_fields = ("conn_id", "table", "sql", "schema")
    issue = "issue 17"
    what = "SQL pushdown"

    def __init__(
        self, conn_id: str, *, table: str | None = None, sql: str | None = None, schema: str | None = None,
        name: str = "data",
    ) -> None:
        if not conn_id:
            raise InvalidInputError("SqlSource: conn_id is required (a DbApiHook connection id).")
        _exactly_one("SqlSource", table=table, sql=sql)
        if schema and not table:
            raise InvalidInputError("SqlSource: schema= applies to table=, not to sql=.")
        self.conn_id = conn_id
        self.table = table
        self.sql = sql
        self.schema = schema
        self.name = name

    def _fields(self) -> dict[str, Any]:
        return {"conn_id": self.conn_id, "schema": self.schema, "table": self.table, "sql": self.sql}


class SparkSource(_PushdownSource):
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
        self, *, table: str | None = None, path: str | None = None, sql: str | None = None,
        format: str = "parquet", conn_id: str = "spark_default", name: str = "data",
    ) -> None:
        _exactly_one("SparkSource", table=table, path=path, sql=sql)
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
