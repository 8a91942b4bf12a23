"""``SparkSource``: a Spark table, path or query; the work runs on Spark.

The worker holds a Spark DataFrame (a plan), never the data: column facts (rows, NULL/NaN,
infinities, distinct counts) come from one aggregation, drift summaries from
:mod:`airflow_mlmonitor.drift.distributed`, and data quality runs in GX's Spark datasource on the
same session. The session comes from the connection (:mod:`.spark_session`) and is stopped by
:meth:`SparkSource.close`, which the check operators call when the task ends. Nothing here imports
pyspark at module level.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow_mlmonitor.exceptions import InvalidInputError
from airflow_mlmonitor.sources.pushdown import PushdownSource, exactly_one
from airflow_mlmonitor.sources.spark_session import open_session, run_spark

if TYPE_CHECKING:
    import pandas as pd

    from airflow_mlmonitor.drift.summary import ColumnSummary, Kind

log = logging.getLogger(__name__)
#: rows read for the example values of text columns (error messages only)
EXAMPLE_ROWS = 2000
_INTEGER = {"tinyint": "int8", "smallint": "int16", "int": "int32", "bigint": "int64"}
_READ_OPTIONS = {"csv": {"header": "true", "inferSchema": "true"}}
_STATE = ("_session", "_started", "_facts", "_rows")


def pandas_dtype(spark_type: str, missing: int) -> tuple[str, Kind]:
    """``(pandas dtype name, kind)`` of a Spark column as pandas reads the same parquet data: an
    integer or boolean column with NULLs reads as ``float64`` / ``object``, strings as ``str``."""
    if spark_type in ("double", "float"):
        return ("float64" if spark_type == "double" else "float32"), "numeric"
    if spark_type in _INTEGER:
        return (_INTEGER[spark_type] if not missing else "float64"), "numeric"
    if spark_type == "boolean":
        return ("bool" if not missing else "object"), "other"
    if spark_type in ("string",) or spark_type.startswith(("varchar", "char")):
        return "str", "text"
    if spark_type.startswith("timestamp"):
        return "datetime64[us]", "other"
    return "object", "other"


class SparkSource(PushdownSource):
    """A Spark table, path or query; the work runs on Spark and the worker collects summaries only.

    :param table: a catalog table (templated); give exactly one of ``table``, ``path``, ``sql``.
    :param path: files Spark reads with ``format`` (templated); a path the Spark cluster can read.
    :param sql: a Spark SQL query (templated).
    :param format: the format of ``path`` (``"parquet"``, ``"delta"``, ``"csv"`` (with a header
        row, types inferred), ``"json"`` (JSON lines), ``"orc"``...).
    :param conn_id: the Spark connection (type ``spark``: host = master URL; ``sc://`` for Spark Connect).
    """

    template_fields = ("table", "path", "sql", "format", "conn_id")

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
        self._session: Any = None
        self._started = False

    def _fields(self) -> dict[str, Any]:
        fields = {"table": self.table, "path": self.path, "sql": self.sql}
        if self.path:
            fields["format"] = self.format
        return {**fields, "conn_id": self.conn_id}

    # --- session and data -------------------------------------------------------------------
    def fresh(self) -> SparkSource:
        clone = super().fresh()
        assert isinstance(clone, SparkSource)
        for key in (*_STATE, "frame"):
            clone.__dict__.pop(key, None)
        clone._session, clone._started = None, False
        return clone

    @property
    def session(self) -> Any:
        """The task's Spark session (started on first use)."""
        if self._session is None:
            self._session, self._started = open_session(self.conn_id, name=self.name)
        return self._session

    def close(self) -> None:
        """Stop the Spark session if this source started it (called when the task ends)."""
        session, started = self._session, self._started
        self._session, self._started = None, False
        self.__dict__.pop("frame", None)
        if session is not None and started:
            log.info("Stopping the Spark session of %s", self.describe())
            session.stop()

    def _what(self) -> str:
        return f"{self.name}: {'sql= failed in' if self.sql else 'cannot read'} {self.describe()}"

    @functools.cached_property
    def frame(self) -> Any:
        """The Spark DataFrame (a plan: nothing is read until a job runs)."""
        if not isinstance(self.format, str) or not self.format.strip():
            raise InvalidInputError(f"{self.name}: {self.describe()}: format must be a Spark format name, got {self.format!r}.")
        session = self.session

        def read() -> Any:
            if self.table:
                return session.table(self.table)
            if self.sql:
                return session.sql(self.sql)
            options = _READ_OPTIONS.get(self.format.lower(), {})
            return session.read.format(self.format).options(**options).load(self.path)

        frame = run_spark(read, self._what())
        odd = [str(c) for c in frame.columns if not str(c)]
        if odd:
            raise InvalidInputError(f"{self.name}: {self.describe()} has unnamed columns; alias them in the query.")
        return frame

    @property
    def columns(self) -> list[str]:
        return [str(c) for c in self.frame.columns]

    def spark_types(self) -> dict[str, str]:
        """``{column: Spark SQL type name}`` (``double``, ``bigint``, ``string``...)."""
        return {f.name: f.dataType.simpleString() for f in self.frame.schema.fields}

    @property
    def num_rows(self) -> int:
        if "_facts" in self.__dict__:
            return int(self.__dict__["_facts"]["rows"])
        if "_rows" not in self.__dict__:
            self.__dict__["_rows"] = int(run_spark(self.frame.count, self._what()))
        return int(self.__dict__["_rows"])

    def dtypes(self) -> dict[str, str]:
        return {name: self.facts(name).dtype for name in self.columns}

    # --- facts and summaries (the drift engine's view) --------------------------------------
    def _all_facts(self) -> dict[str, Any]:
        if "_facts" not in self.__dict__:
            from airflow_mlmonitor.drift.spark_summary import column_facts

            self.__dict__["_facts"] = run_spark(
                lambda: column_facts(self.frame, self.spark_types(), example_rows=EXAMPLE_ROWS), self._what()
            )
        return self.__dict__["_facts"]  # type: ignore[no-any-return]

    def facts(self, name: str) -> ColumnSummary:
        """What validation and type inference need about a column, computed on Spark in one job for
        all columns: dtype (as pandas would read the data), kind, rows, NULL+NaN, infinities,
        distinct count (integer and text columns) and a few text examples."""
        from airflow_mlmonitor.drift.summary import ColumnSummary

        if name not in self.columns:
            raise self.missing_column(name)
        facts = self._all_facts()
        entry = facts["columns"][name]
        dtype, kind = pandas_dtype(self.spark_types()[name], entry["missing"])
        return ColumnSummary(
            name, self.name, dtype, kind, facts["rows"], entry["missing"], infinite=entry["infinite"],
            examples=tuple(entry["examples"]), distinct=entry["distinct"],
        )

    def summary(self, name: str, *, side: str, keep_rows: bool = False) -> ColumnSummary:
        """The column's drift summary: its facts plus a handle on Spark. Value counts and moments
        are computed by Spark when the engine asks; the values themselves are collected only when
        the other side is not on Spark or the method has no distributed kernel (with a warning)."""
        from airflow_mlmonitor.drift.spark_summary import SparkColumn, SparkSummary

        facts = self.facts(name)
        column = SparkColumn(self.frame, name, self.spark_types()[name], self.describe(), self._what())
        return SparkSummary.of(facts, side=side, spark=column, keep_rows=keep_rows)

    def columnar(self) -> SparkSource:
        """The source itself: the engines read facts and summaries from it, never a column."""
        return self

    # --- when rows are really wanted on the worker ------------------------------------------
    def to_frame(self, columns: Sequence[str] | None = None) -> pd.DataFrame:
        """The data collected into a pandas DataFrame on the worker (logged: avoid on large data)."""
        names = list(columns) if columns is not None else self.columns
        for name in names:
            if name not in self.columns:
                raise self.missing_column(name)
        log.warning("%s: collecting %d column(s) of %s into the worker", self.name, len(names), self.describe())
        from airflow_mlmonitor.drift.spark_summary import quoted

        table = run_spark(lambda: self.frame.select(*[quoted(n) for n in names]).toArrow(), self._what())
        return table.to_pandas()  # type: ignore[no-any-return]

    def column(self, name: str) -> pd.Series:
        return self.to_frame([name])[name]

    def sample_columns(self, columns: list[str], size: int | None, seed: int) -> pd.DataFrame:
        """A seeded sample of about ``size`` rows of ``columns`` (for Evidently's HTML page only)."""
        from airflow_mlmonitor.drift.spark_summary import quoted

        frame = self.frame.select(*[quoted(n) for n in columns])
        rows = self.num_rows
        if size is not None and rows > size:
            frame = frame.sample(fraction=min(1.0, 1.2 * size / rows), seed=seed).limit(size)
        return run_spark(frame.toArrow, self._what()).to_pandas()  # type: ignore[no-any-return]

    # --- data quality: GX's Spark datasource on the same session ----------------------------
    def gx_batch(self, context: Any) -> tuple[Any, dict[str, Any]]:
        """A GX batch definition over this DataFrame in GX's Spark datasource, and its parameters."""
        datasource = context.data_sources.add_spark(name="mlmonitor_spark", persist=False)
        asset = datasource.add_dataframe_asset(name="data")
        return asset.add_batch_definition_whole_dataframe("data"), {"dataframe": self.frame}
