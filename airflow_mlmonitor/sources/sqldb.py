"""The database side of :class:`~airflow_mlmonitor.sources.sql.SqlSource`: the connection, the
relation (a reflected table or a query wrapped as a subquery) and the queries it runs.

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
    import numpy as np
    import pandas as pd

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


# ------------------------------------------------------------------------------------ queries


def _specials(relation: Relation, column: SqlColumn) -> tuple[Any, Any]:
    """``(is NaN, is +-inf)`` conditions of a float column, None where the dialect stores neither."""
    import sqlalchemy as sa

    if column.family != "float":
        return None, None
    expr = column.expr
    nan = expr == sa.literal(float("nan"), sa.Float()) if relation.dialect in NAN_DIALECTS else None
    inf = expr.in_([float("inf"), float("-inf")]) if relation.dialect in INF_DIALECTS else None
    return nan, inf


def count_rows(relation: Relation) -> int:
    import sqlalchemy as sa

    with relation.connect("counting the rows") as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(relation.selectable)).scalar_one())


@dataclasses.dataclass(frozen=True)
class RawFacts:
    """Per-column aggregates: non-NULL, NaN, infinite and (integer and text columns) distinct counts."""

    rows: int
    present: int
    nan: int
    infinite: int
    distinct: int | None


def column_facts(relation: Relation) -> dict[str, RawFacts]:
    """One aggregate query for every column (``COUNT``, ``COUNT(DISTINCT)``, NaN/inf ``SUM(CASE)``)."""
    import sqlalchemy as sa

    parts: list[Any] = [sa.func.count().label("rows")]
    labels: dict[str, dict[str, str]] = {}
    for index, column in enumerate(relation.columns.values()):
        keys = labels[column.name] = {"present": f"c{index}_n"}
        parts.append(sa.func.count(column.expr).label(keys["present"]))
        for key, condition in zip(("nan", "infinite"), _specials(relation, column), strict=True):
            if condition is not None:
                keys[key] = f"c{index}_{key}"
                parts.append(sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0).label(keys[key]))
        if column.family in ("int", "text"):
            keys["distinct"] = f"c{index}_d"
            parts.append(sa.func.count(sa.distinct(column.expr)).label(keys["distinct"]))
    with relation.connect("counting values per column") as conn:
        row = conn.execute(sa.select(*parts).select_from(relation.selectable)).mappings().one()
    rows = int(row["rows"])
    return {
        name: RawFacts(
            rows=rows,
            present=int(row[keys["present"]]),
            nan=int(row[keys["nan"]]) if "nan" in keys else 0,
            infinite=int(row[keys["infinite"]]) if "infinite" in keys else 0,
            distinct=int(row[keys["distinct"]]) if "distinct" in keys else None,
        )
        for name, keys in labels.items()
    }


def examples(relation: Relation, name: str) -> list[Any]:
    """A few non-missing values of a column (for messages about text columns)."""
    import sqlalchemy as sa

    column = relation.column(name).expr
    with relation.connect(f"reading example values of column {name!r}") as conn:
        statement = sa.select(column).where(column.is_not(None)).limit(PROBE_ROWS)
        return [row[0] for row in conn.execute(statement)]


def sorted_counts(relation: Relation, name: str, dtype: str, chunk: int = CHUNK_ROWS) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """The finite values of a numeric column in ascending order with their counts, as
    ``(values, counts)`` blocks of at most ``chunk`` distinct values, streamed from a server-side
    cursor (``SELECT v, COUNT(*) ... GROUP BY v ORDER BY v``)."""
    import numpy as np
    import sqlalchemy as sa

    column = relation.column(name)
    value = column.expr
    if column.family == "float" and not isinstance(getattr(value, "type", None), sa.Float):
        value = sa.cast(value, sa.Float())  # NUMERIC/DECIMAL: compare and sort as the floats pandas sees
    condition = value.is_not(None)
    nan, inf = _specials(relation, column)
    if nan is not None:
        condition &= sa.not_(nan)
    if inf is not None:
        condition &= sa.not_(inf)
    statement = sa.select(value, sa.func.count()).where(condition).group_by(value).order_by(value)
    for rows in _stream_rows(relation, statement, chunk, f"reading the sorted values of column {name!r}"):
        block = np.asarray(rows, dtype=np.float64)  # (value, count) pairs; counts are exact below 2**53
        yield block[:, 0].astype(dtype, copy=False), block[:, 1].astype(np.int64)


#: drivers whose named cursors are server-side cursors (``FETCH n`` per round trip)
SERVER_CURSOR_DRIVERS = frozenset({"psycopg2", "psycopg"})


def _stream_rows(relation: Relation, statement: Any, chunk: int, what: str) -> Iterator[Sequence[Any]]:
    """The rows of ``statement`` as plain tuples, ``chunk`` at a time, from a server-side cursor.

    On the Postgres drivers the statement (compiled by SQLAlchemy, values as bind parameters) runs
    on a named cursor of the DBAPI connection: rows come as tuples without SQLAlchemy's per-row
    objects (8x faster on a million rows). Other drivers stream through SQLAlchemy
    (``yield_per``: its server-side cursor where the dialect has one)."""
    dialect = relation.engine.dialect
    with relation.connect(what) as conn:
        if dialect.driver not in SERVER_CURSOR_DRIVERS:
            for part in conn.execution_options(yield_per=chunk).execute(statement).partitions():
                yield [tuple(row) for row in part]
            return
        compiled = statement.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
        cursor = conn.connection.dbapi_connection.cursor(name="mlmonitor_stream")
        try:
            cursor.execute(str(compiled), compiled.params)
            while rows := cursor.fetchmany(chunk):
                yield rows
        finally:
            cursor.close()


def value_counts(relation: Relation, name: str, chunk: int = CHUNK_ROWS) -> tuple[list[Any], list[int]]:
    """Every non-missing value of a column and its count (``GROUP BY``), unordered."""
    import sqlalchemy as sa

    value = relation.column(name).expr
    statement = sa.select(value, sa.func.count()).where(value.is_not(None)).group_by(value)
    keys: list[Any] = []
    counts: list[int] = []
    with relation.connect(f"counting the values of column {name!r}") as conn:
        for part in conn.execution_options(yield_per=chunk).execute(statement).partitions():
            for key, count in part:
                keys.append(key)
                counts.append(int(count))
    return keys, counts


def read_frame(relation: Relation, names: Sequence[str]) -> pd.DataFrame:
    """``names`` of every row as pandas reads them (``pandas.read_sql``)."""
    import pandas as pd
    import sqlalchemy as sa

    statement = sa.select(*(relation.column(n).expr for n in names)).select_from(relation.selectable)
    with relation.connect("reading the rows") as conn:
        return pd.read_sql(statement, conn)


def sample_frame(relation: Relation, names: Sequence[str], size: int, rows: int, seed: int,
                 chunk: int = CHUNK_ROWS) -> pd.DataFrame:
    """A seeded uniform sample of ``size`` of the ``rows`` rows, in scan order, streamed in chunks
    (the worker holds the sample only)."""
    import numpy as np
    import pandas as pd
    import sqlalchemy as sa

    picks = np.sort(np.random.default_rng(seed).choice(rows, size=size, replace=False))
    statement = sa.select(*(relation.column(n).expr for n in names)).select_from(relation.selectable)
    kept: list[Any] = []
    offset = 0
    with relation.connect("sampling the rows") as conn:
        for part in conn.execution_options(yield_per=chunk).execute(statement).partitions():
            lo, hi = np.searchsorted(picks, [offset, offset + len(part)])
            kept += [tuple(part[i - offset]) for i in picks[lo:hi]]
            offset += len(part)
    return pd.DataFrame.from_records(kept, columns=list(names), coerce_float=True)
