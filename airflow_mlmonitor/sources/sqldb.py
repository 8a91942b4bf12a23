"""The database side of :class:`~airflow_mlmonitor.sources.sql.SqlSource`: the connection, the
relation (a reflected table or a query wrapped as a subquery) and its columns' value families;
the queries it runs are in :mod:`~airflow_mlmonitor.sources.sqlread`.

Every statement is built with SQLAlchemy Core, so identifiers are quoted by the dialect (mixed
case, spaces, reserved words) and values (NaN, infinities) travel as bind parameters; the user's
``sql`` is the only SQL text taken as is, wrapped as ``(sql) AS mlmonitor_query``. Only ``SELECT``
statements are sent, nothing is committed, and Postgres connections are opened read-only.

SQLAlchemy, numpy and pandas are imported inside the functions (DAG parse time).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import decimal
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, Literal

from airflow_mlmonitor.exceptions import DataLoadError, InvalidInputError, MissingDependencyError

if TYPE_CHECKING:
    pass

Family = Literal["int", "float", "bool", "text", "datetime", "other"]

#: rows per round trip of a server-side cursor (memory per stream: a few MB whatever the table size)
CHUNK_ROWS = 50_000
#: rows read to type the columns of a query (``sql=``) and for the example values of text columns
PROBE_ROWS = 1000
#: dialects whose float columns hold NaN (missing, as pandas counts it) and +-inf (left out, as Evidently does)
NAN_DIALECTS = frozenset({"postgresql"})
INF_DIALECTS = frozenset({"postgresql", "sqlite"})
SUBQUERY = "mlmonitor_query"


@dataclasses.dataclass(frozen=True)
class SqlColumn:
    """One column of the relation: its name, value family and SQLAlchemy column."""

    name: str
    family: Family
    expr: Any


def db_error(err: BaseException) -> str:
    """The database's own message (first lines), not SQLAlchemy's wrapper around it."""
    orig = getattr(err, "orig", None) or err
    lines = [line for line in str(orig).strip().splitlines() if line.strip()][:3]
    return f"{type(orig).__name__}: {' '.join(line.strip() for line in lines)}"


def get_hook(conn_id: str, where: str) -> Any:
    """The ``DbApiHook`` of ``conn_id`` (``BaseHook.get_connection(conn_id).get_hook()``)."""
    try:
        from airflow.providers.common.sql.hooks.sql import DbApiHook
    except ImportError:
        raise MissingDependencyError(
            f"{where}: SqlSource needs apache-airflow-providers-common-sql: pip install 'airflow-mlmonitor[sql]'."
        ) from None
    from airflow.sdk import BaseHook
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        connection = BaseHook.get_connection(conn_id)
    except AirflowNotFoundException:
        raise DataLoadError(
            f"{where}: connection {conn_id!r} is not defined; create it (Admin > Connections, or an "
            f"AIRFLOW_CONN_{conn_id.upper()} variable) or fix conn_id."
        ) from None
    try:
        hook = connection.get_hook()
    except Exception as err:
        raise DataLoadError(
            f"{where}: connection {conn_id!r} (conn_type {connection.conn_type!r}) gives no hook: "
            f"{type(err).__name__}: {err}. Install the provider of that connection type or fix the connection."
        ) from None
    if not isinstance(hook, DbApiHook):
        raise InvalidInputError(
            f"{where}: connection {conn_id!r} (conn_type {connection.conn_type!r}) gives a "
            f"{type(hook).__name__}, which is not a DbApiHook: SqlSource reads databases through "
            "apache-airflow-providers-common-sql. Use a database connection (postgres, sqlite, mysql...)."
        )
    return hook


def create_engine(hook: Any, where: str) -> Any:
    """A SQLAlchemy engine from the hook (no pool kept; Postgres sessions read-only)."""
    from sqlalchemy.pool import NullPool

    try:
        engine = hook.get_sqlalchemy_engine(engine_kwargs={"poolclass": NullPool})
    except Exception as err:
        raise DataLoadError(f"{where}: cannot build a SQLAlchemy engine from the connection: {db_error(err)}") from None
    if engine.dialect.name == "postgresql":
        engine = engine.execution_options(postgresql_readonly=True)
    return engine


class Relation:
    """The table or query a source reads, with its columns, on one engine."""

    def __init__(self, engine: Any, selectable: Any, columns: Sequence[SqlColumn], where: str) -> None:
        self.engine = engine
        self.selectable = selectable
        self.columns = {c.name: c for c in columns}
        self.where = where
        #: the user's query with its colons escaped (SQLAlchemy ``text``), for a query relation
        self.sql: str | None = None

    @property
    def dialect(self) -> str:
        return str(self.engine.dialect.name)

    @contextlib.contextmanager
    def connect(self, what: str) -> Iterator[Any]:
        """A connection (rolled back at the end: nothing is ever committed); a database error
        becomes one :class:`DataLoadError` naming the source and ``what`` was being read."""
        try:
            with self.engine.connect() as conn:
                yield conn
        except (DataLoadError, InvalidInputError):
            raise
        except Exception as err:
            if not _is_db_error(err, self.engine):
                raise
            raise DataLoadError(f"{self.where}: {what} failed: {db_error(err)}") from None

    def column(self, name: str) -> SqlColumn:
        return self.columns[name]


def _is_db_error(err: BaseException, engine: Any = None) -> bool:
    """A SQLAlchemy error, or an error of the engine's DBAPI driver (raw server-side cursors)."""
    from sqlalchemy.exc import SQLAlchemyError

    driver_error = getattr(getattr(engine, "dialect", None), "loaded_dbapi", None)
    return isinstance(err, SQLAlchemyError) or (driver_error is not None and isinstance(err, driver_error.Error))


def open_table(engine: Any, table: str, schema: str | None, where: str) -> Relation:
    """A reflected table or view; a clear error when the schema or the table is not there."""
    import sqlalchemy as sa

    try:
        inspector = sa.inspect(engine)
        if schema:
            schema = _pick(schema, inspector.get_schema_names(), "schema", "in the database", where, "schema=")
        names = [*inspector.get_table_names(schema), *inspector.get_view_names(schema)]
        with contextlib.suppress(NotImplementedError):
            names += inspector.get_materialized_view_names(schema)
        in_schema = f"in schema {schema!r}" if schema else "in the default schema"
        table = _pick(table, names, "table", in_schema, where, "table= (and schema=)")
        reflected = inspector.get_columns(table, schema)
    except (DataLoadError, InvalidInputError):
        raise
    except Exception as err:
        if not _is_db_error(err):
            raise
        raise DataLoadError(f"{where}: cannot read the table's definition: {db_error(err)}") from None
    columns = [sa.Column(c["name"], c["type"]) for c in reflected]
    selectable = sa.Table(table, sa.MetaData(), *columns, schema=schema)
    relation = Relation(engine, selectable, [], where)
    families = {c["name"]: family_of_type(c["type"]) for c in reflected}
    unknown = [name for name, family in families.items() if family is None]  # untyped (SQLite)
    if unknown:
        families.update(_families_from_values(relation, unknown, selectable))
    relation.columns = {c.name: SqlColumn(c.name, families[c.name] or "other", c) for c in selectable.columns}
    return relation


def _pick(name: str, names: Sequence[str], kind: str, where_in: str, where: str, fix: str) -> str:
    """``name`` if it is in ``names``, else its only case-insensitive match (SQL folds unquoted
    names), else a clear error listing what is there."""
    if name in names:
        return name
    folded = [n for n in names if n.lower() == name.lower()]
    if len(folded) == 1:
        return folded[0]
    shown = ", ".join(map(repr, sorted(names)[:20])) or "none"
    more = f" (+{len(names) - 20} more)" if len(names) > 20 else ""
    raise DataLoadError(f"{where}: {kind} {name!r} does not exist {where_in}; there are: {shown}{more}. Fix {fix}.")


def open_query(engine: Any, sql: str, where: str) -> Relation:
    """The user's query as the subquery ``(sql) AS mlmonitor_query``, its columns typed from its rows."""
    import sqlalchemy as sa

    text = sql.strip().rstrip(";").strip()
    if not text:
        raise InvalidInputError(f"{where}: sql= is empty; give a SELECT query or use table=.")
    escaped = text.replace(":", "\\:")  # a colon is SQL here (casts, literals), never a bind parameter
    probe = sa.text(escaped).columns().subquery(SUBQUERY)
    statement: Any = sa.select(sa.literal_column("*")).select_from(probe).limit(PROBE_ROWS)
    relation = Relation(engine, probe, [], where)
    with relation.connect("the query") as conn:
        result = conn.execute(statement)
        names, rows = list(result.keys()), result.fetchall()
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise InvalidInputError(f"{where}: the query returns column(s) {twice} more than once; alias them (AS ...).")
    selectable = sa.text(escaped).columns(*(sa.column(n) for n in names)).subquery(SUBQUERY)
    families = {n: family_of_values([row[i] for row in rows]) for i, n in enumerate(names)}
    unknown = [n for n, family in families.items() if family is None]
    if unknown:
        families.update(_families_from_values(relation, unknown, selectable))
    relation.selectable, relation.sql = selectable, escaped
    relation.columns = {c.name: SqlColumn(c.name, families[c.name] or "other", c) for c in selectable.columns}
    return relation


def family_of_type(sql_type: Any) -> Family | None:
    """The value family of a reflected column type; None when the type says nothing (SQLite)."""
    import sqlalchemy as sa

    if isinstance(sql_type, sa.types.NullType):
        return None
    for types, family in ((sa.Boolean, "bool"), (sa.Integer, "int"), ((sa.Float, sa.Numeric), "float"),
                          (sa.String, "text"), (sa.DateTime, "datetime")):
        if isinstance(sql_type, types):
            return family  # type: ignore[return-value]
    return "other"


def family_of_values(values: Sequence[Any]) -> Family | None:
    """The value family of Python values as the driver returns them (None: no value seen)."""
    kinds = {type(v) for v in values if v is not None}
    if not kinds:
        return None
    if kinds <= {bool}:
        return "bool"
    if bool not in kinds and kinds <= {int}:
        return "int"
    if bool not in kinds and kinds <= {int, float, decimal.Decimal}:
        return "float"
    if kinds <= {str}:
        return "text"
    if all(issubclass(k, datetime.datetime) for k in kinds):
        return "datetime"
    return "other"


def _families_from_values(relation: Relation, names: Sequence[str], selectable: Any) -> dict[str, Family | None]:
    """Families of columns whose type is unknown, from their first non-missing values."""
    import sqlalchemy as sa

    out: dict[str, Family | None] = {}
    with relation.connect("typing the columns") as conn:
        for name in names:
            column = selectable.c[name]
            rows = conn.execute(sa.select(column).where(column.is_not(None)).limit(PROBE_ROWS)).fetchall()
            out[name] = family_of_values([row[0] for row in rows])
    return out
