"""A :class:`~airflow_mlmonitor.sources.sql.SqlSource` as a Great Expectations 1.x batch: a GX SQL
datasource on the hook's SQLAlchemy URL (GX's Postgres or SQLite datasource for those dialects,
its generic SQL datasource otherwise), a table asset for ``table`` and a query asset for ``sql``.

GX gets the reflected table name and schema as SQLAlchemy ``quoted_name`` objects, so it quotes
them the way the dialect does (its own rule lowercases unquoted names). Temporary tables are off
and Postgres sessions read-only: validating writes nothing to the database.
"""

from __future__ import annotations

import warnings
from typing import Any

from airflow_mlmonitor.exceptions import DataLoadError
from airflow_mlmonitor.sources.sqldb import SUBQUERY, Relation, db_error

NAME = "mlmonitor"


def _quoted(relation: Relation, name: str) -> Any:
    from sqlalchemy.sql import quoted_name

    preparer = relation.engine.dialect.identifier_preparer
    return quoted_name(name, preparer.quote(name) != name)


def _datasource(context: Any, relation: Relation) -> Any:
    sources = context.data_sources
    url = relation.engine.url.render_as_string(hide_password=False)
    add = {"postgresql": sources.add_postgres, "sqlite": sources.add_sqlite}.get(relation.dialect, sources.add_sql)
    options: dict[str, Any] = {"create_temp_table": False}
    if relation.dialect == "postgresql":
        options["kwargs"] = {"execution_options": {"postgresql_readonly": True}}
    return add(name=NAME, connection_string=url, **options)


def gx_batch(context: Any, relation: Relation, is_table: bool, where: str) -> tuple[Any, dict[str, Any]]:
    """``(batch_definition, batch_parameters)`` of the whole relation on ``context``."""
    try:
        datasource = _datasource(context, relation)
        if is_table:
            table = relation.selectable
            with warnings.catch_warnings():
                # GX 1.14 deprecated schema_name in favour of a schema in the connection URL, which
                # not every dialect has; the argument still works throughout GX 1.x.
                warnings.simplefilter("ignore", DeprecationWarning)
                schema = {"schema_name": _quoted(relation, table.schema)} if table.schema else {}
                asset = datasource.add_table_asset(name="data", table_name=_quoted(relation, table.name), **schema)
        else:
            assert relation.sql is not None
            asset = datasource.add_query_asset(name="data", query=f"SELECT * FROM ({relation.sql}) AS {SUBQUERY}")
    except Exception as err:  # GX tests the connection and the asset when adding them
        cause = err.__cause__ or err
        raise DataLoadError(f"{where}: Great Expectations cannot read it: {db_error(cause)}") from None
    return asset.add_batch_definition_whole_table("data"), {}
