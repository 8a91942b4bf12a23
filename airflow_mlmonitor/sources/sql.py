"""``SqlSource``: a table or query of any ``DbApiHook`` connection, the work pushed down to the database."""

from __future__ import annotations

from typing import Any

from airflow_mlmonitor.exceptions import InvalidInputError
from airflow_mlmonitor.sources.pushdown import PushdownSource, exactly_one


class SqlSource(PushdownSource):
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
        self,
        conn_id: str,
        *,
        table: str | None = None,
        sql: str | None = None,
        schema: str | None = None,
        name: str = "data",
    ) -> None:
        if not conn_id:
            raise InvalidInputError("SqlSource: conn_id is required (a DbApiHook connection id).")
        exactly_one("SqlSource", table=table, sql=sql)
        if schema and not table:
            raise InvalidInputError("SqlSource: schema= applies to table=, not to sql=.")
        self.conn_id = conn_id
        self.table = table
        self.sql = sql
        self.schema = schema
        self.name = name

    def _fields(self) -> dict[str, Any]:
        return {"conn_id": self.conn_id, "schema": self.schema, "table": self.table, "sql": self.sql}
