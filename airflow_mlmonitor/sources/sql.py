"""``SqlSource``: a table or query of any ``DbApiHook`` connection, the work pushed down to the database.

What each check asks of it, and where that runs:

- quality: :meth:`SqlSource.gx_batch` adds a GX SQL datasource built from the hook's SQLAlchemy
  URL (a table asset for ``table``, a query asset for ``sql``): GX runs the expectations as SQL;
  ``metrics.rows`` is a ``COUNT(*)``.
- drift: :meth:`SqlSource.facts` (one aggregate query: counts, NULL/NaN, infinities, distinct
  values) plans the columns; :meth:`SqlSource.summary` reads a categorical column as ``GROUP BY``
  counts and a numeric one as sorted ``(value, count)`` blocks from a server-side cursor.
- the Evidently page and the multivariate test: :meth:`SqlSource.sample_columns`, a seeded sample
  streamed from the database.
- anything else (anomaly/performance ``data``, a profile's reference): :meth:`SqlSource.to_frame`
  and :meth:`SqlSource.column`, ``pandas.read_sql`` of the needed columns.

Column dtypes are pandas' names for what ``pandas.read_sql`` would return: integers are ``int64``
(``float64`` when the column has NULLs), NUMERIC/DECIMAL and floats ``float64``, booleans ``bool``
(``object`` with NULLs), text ``object``, timestamps ``datetime64[ns]``. NULL and NaN both count
as missing, as pandas counts them.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow_mlmonitor.exceptions import InvalidInputError
from airflow_mlmonitor.sources.pushdown import PushdownSource, exactly_one

if TYPE_CHECKING:
    import pandas as pd

    from airflow_mlmonitor.drift.summary import ColumnSummary
    from airflow_mlmonitor.sources.sqldb import Relation
    from airflow_mlmonitor.sources.sqlread import RawFacts


class SqlSource(PushdownSource):
    """A table or query of any ``DbApiHook`` connection (``apache-airflow-providers-common-sql``);
    the work is pushed down to the database and nothing is ever written to it.

    :param conn_id: the database connection id (templated).
    :param table: a table or view name (templated); give ``table`` or ``sql``, not both. Names are
        quoted by the database's dialect (mixed case, spaces, reserved words work); a name that
        only matches case-insensitively is taken as the database folds unquoted names.
    :param sql: a ``SELECT`` query (templated), read as the subquery ``(sql) AS mlmonitor_query``.
    :param schema: the schema of ``table`` (templated).
    """

    template_fields = ("conn_id", "table", "sql", "schema")
    #: drift options beyond Evidently that need every row in the worker (see ``drift.beyond``)
    refused_options = ("chunk_by", "min_effect")

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

    @property
    def _where(self) -> str:
        return f"{self.name}: {self.describe()}"

    # --- the relation and its aggregates (one query each, cached for the try) -----------------
    @functools.cached_property
    def _db(self) -> Relation:
        from airflow_mlmonitor.sources import sqldb

        where = self._where
        if not isinstance(self.conn_id, str) or not self.conn_id.strip():
            raise InvalidInputError(f"{where}: conn_id rendered to {self.conn_id!r}; give a connection id.")
        try:  # the rendered values: a template may render to nothing
            exactly_one("SqlSource", table=self.table, sql=self.sql)
        except InvalidInputError as err:
            raise InvalidInputError(f"{where}: {err} Check the templates of table= and sql=.") from None
        engine = sqldb.create_engine(sqldb.get_hook(self.conn_id, where), where)
        if self.table:
            return sqldb.open_table(engine, str(self.table), str(self.schema) if self.schema else None, where)
        return sqldb.open_query(engine, str(self.sql), where)

    @functools.cached_property
    def _facts(self) -> dict[str, RawFacts]:
        from airflow_mlmonitor.sources.sqlread import column_facts

        return column_facts(self._db)

    @functools.cached_property
    def _rows(self) -> int:
        from airflow_mlmonitor.sources.sqlread import count_rows

        if "_facts" in self.__dict__ and self._facts:
            return next(iter(self._facts.values())).rows
        return count_rows(self._db)

    # --- the Source interface -------------------------------------------------------------------
    @property
    def columns(self) -> list[str]:
        return list(self._db.columns)

    def dtypes(self) -> dict[str, str]:
        return {name: self.facts(name).dtype for name in self.columns}

    @property
    def num_rows(self) -> int:
        return self._rows

    def _check(self, names: Sequence[str]) -> list[str]:
        for name in names:
            if name not in self._db.columns:
                raise self.missing_column(name)
        return list(names)

    def to_frame(self, columns: Sequence[str] | None = None) -> pd.DataFrame:
        from airflow_mlmonitor.sources.sqlread import read_frame

        return read_frame(self._db, self._check(self.columns if columns is None else columns))

    def column(self, name: str) -> pd.Series:
        return self.to_frame([name])[name]

    def columnar(self) -> SqlSource:
        """The source itself: the engines read facts and summaries from the database."""
        return self

    # --- drift: facts, summaries and samples -------------------------------------------------------
    def facts(self, name: str, *, side: str | None = None) -> ColumnSummary:
        """What the drift planner needs about a column, from one aggregate query over all columns:
        dtype, kind, rows, missing (NULL and NaN), infinite, distinct (integer and text columns)
        and a few example values of text columns."""
        from airflow_mlmonitor.drift.summary import ColumnSummary

        self._check([name])
        raw, family = self._facts[name], self._db.column(name).family
        missing = raw.rows - raw.present + raw.nan
        dtype, kind = _dtype(family, missing)
        shown = self._examples(name) if kind == "text" else ()
        return ColumnSummary(name, side or self.name, dtype, kind, raw.rows, missing, infinite=raw.infinite,
                             examples=shown, distinct=raw.distinct)

    def _examples(self, name: str) -> tuple[str, ...]:
        """A few values of a text column (for messages), read once per column."""
        import pandas as pd

        from airflow_mlmonitor.drift.summary import text_examples
        from airflow_mlmonitor.sources.sqlread import examples

        cache: dict[str, tuple[str, ...]] = self.__dict__.setdefault("_examples_read", {})
        if name not in cache:
            cache[name] = text_examples(pd.Series(examples(self._db, name), dtype=object))
        return cache[name]

    def summary(self, name: str, *, side: str, keep_rows: bool = False) -> ColumnSummary:
        """The column as the drift engine reads it: sorted finite values of a numeric column
        as a :class:`~airflow_mlmonitor.drift.stream.SortedStream` (``GROUP BY v ORDER BY v`` read
        from a server-side cursor in blocks; memory does not grow with the rows), exact value counts
        of any other column (``GROUP BY v``). ``keep_rows`` cannot apply (a table has no row
        order): Evidently's own randomised tests see the values in sorted order, as with a
        reference profile."""
        from airflow_mlmonitor.drift.stream import from_blocks
        from airflow_mlmonitor.drift.summary import ColumnSummary
        from airflow_mlmonitor.sources.sqlread import sorted_counts, value_counts

        facts = self.facts(name, side=side)
        if facts.kind == "numeric":
            stream = from_blocks(sorted_counts(self._db, name, facts.dtype), integer=facts.dtype == "int64")
            return ColumnSummary.streamed(name, side, facts.dtype, stream, missing=facts.missing,
                                          infinite=facts.infinite)
        keys, counts = value_counts(self._db, name)
        summary = ColumnSummary.counted(name, side, facts.dtype, facts.kind, _sorted_counts(keys, counts),
                                        missing=facts.missing, examples=facts.examples)
        summary.infinite, summary.rows = facts.infinite, facts.rows
        return summary

    def sample_columns(self, columns: list[str], size: int | None, seed: int) -> pd.DataFrame:
        """A seeded sample of ``size`` rows of ``columns`` (every row when ``size`` is None or at
        least the row count), streamed from the database: the worker holds the sample only."""
        from airflow_mlmonitor.sources.sqlread import sample_frame

        names = self._check(columns)
        if size is None or size >= self.num_rows:
            return self.to_frame(names)
        return sample_frame(self._db, names, int(size), self.num_rows, seed)

    # --- quality: GX validates in the database ----------------------------------------------------
    def gx_batch(self, context: Any) -> tuple[Any, dict[str, Any]]:
        """A GX batch definition of the whole table or query on a GX SQL datasource (no rows are
        loaded into the worker; GX is told not to create temporary tables)."""
        from airflow_mlmonitor.sources.sqlgx import gx_batch

        return gx_batch(context, self._db, self.table is not None, self._where)


def _dtype(family: str, missing: int) -> tuple[str, Any]:
    """The pandas dtype name and kind of a column (see the module docstring)."""
    if family == "int":
        return ("int64" if missing == 0 else "float64"), "numeric"
    if family == "float":
        return "float64", "numeric"
    if family == "bool":
        return ("bool" if missing == 0 else "object"), "other"
    if family == "text":
        return "object", "text"
    if family == "datetime":
        return "datetime64[ns]", "other"
    return "object", "other"


def _sorted_counts(keys: list[Any], counts: list[int]) -> pd.Series:
    """Value counts in value order, as :func:`~airflow_mlmonitor.drift.summary.summarize` keeps them."""
    import numpy as np

    from airflow_mlmonitor.drift.summary import counts_series

    series = counts_series(keys, counts)
    try:
        return series.sort_index()
    except TypeError:  # mixed types: order by text
        return series.iloc[np.argsort([str(k) for k in series.index], kind="stable")]
