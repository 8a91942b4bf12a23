"""Spark columns as the drift engine sees them: facts from one aggregation, and
:class:`SparkSummary`, a column summary whose values stay on Spark (value counts by ``groupBy`` on
demand; the values themselves collected only when a computation needs them, with a warning).
pyspark is imported inside functions only.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from airflow_mlmonitor.drift.summary import ColumnSummary, counts_series, text_examples
from airflow_mlmonitor.sources.spark_session import run_spark

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger(__name__)
_INTEGER_TYPES = ("tinyint", "smallint", "int", "bigint")
_FLOAT_TYPES = ("double", "float")
_INF = float("inf")
#: integer columns whose distinct-value estimate is at most this are counted exactly
EXACT_BELOW = 100


def quoted(name: str) -> Any:
    """A column reference that takes any column name literally (dots, spaces, backticks)."""
    from pyspark.sql import functions as F

    return F.col("`" + name.replace("`", "``") + "`")


def _is_text(spark_type: str) -> bool:
    return spark_type == "string" or spark_type.startswith(("varchar", "char"))


def column_facts(frame: Any, types: Mapping[str, str], *, example_rows: int) -> dict[str, Any]:
    """Rows, NULL+NaN, infinities and (integer, text columns) distinct counts of every column in one
    aggregation; a few example values of text columns from the first rows. Distinct counts are
    HyperLogLog++ estimates (1% error) except where the estimate is near a threshold of Evidently's
    type inference, which are counted exactly (:func:`_exact_distinct`): the inferred types are exact."""
    from pyspark.sql import functions as F

    exprs = [F.count(F.lit(1)).alias("rows")]
    for i, (name, spark_type) in enumerate(types.items()):
        col = quoted(name)
        floating = spark_type in _FLOAT_TYPES
        missing = (col.isNull() | F.isnan(col)) if floating else col.isNull()
        exprs.append(F.sum(F.when(missing, 1).otherwise(0)).alias(f"m{i}"))
        if floating:
            exprs.append(F.sum(F.when((col == _INF) | (col == -_INF), 1).otherwise(0)).alias(f"i{i}"))
        if spark_type in _INTEGER_TYPES or _is_text(spark_type):
            exprs.append(F.approx_count_distinct(col, 0.01).alias(f"d{i}"))
    row = frame.agg(*exprs).collect()[0].asDict()
    _exact_distinct(frame, types, row)
    text = [name for name, spark_type in types.items() if _is_text(spark_type)]
    examples: dict[str, tuple[str, ...]] = {}
    if text:
        head = frame.select(*[quoted(n) for n in text]).limit(example_rows).toArrow()
        examples = {n: text_examples(head.column(n).to_pandas()) for n in text}
    columns = {
        name: {
            "missing": int(row.get(f"m{i}") or 0),
            "infinite": int(row.get(f"i{i}") or 0),
            "distinct": None if row.get(f"d{i}") is None else int(row[f"d{i}"]),
            "examples": examples.get(name, ()),
        }
        for i, name in enumerate(types)
    }
    return {"rows": int(row["rows"]), "columns": columns}


def _exact_distinct(frame: Any, types: Mapping[str, str], row: dict[str, Any]) -> None:
    """Replace the estimates that could fall on the wrong side of Evidently's type thresholds
    (at most 10 integers; text when more than half of the values are distinct) by exact counts."""
    from pyspark.sql import functions as F

    unsure = []
    for i, (name, spark_type) in enumerate(types.items()):
        estimate, present = row.get(f"d{i}"), row["rows"] - (row.get(f"m{i}") or 0)
        if estimate is None:
            continue
        if (spark_type in _INTEGER_TYPES and estimate <= EXACT_BELOW) or (
            _is_text(spark_type) and 0.4 * present <= estimate <= 0.6 * present
        ):
            unsure.append((i, name))
    if unsure:
        exact = frame.agg(*[F.count_distinct(quoted(name)).alias(f"d{i}") for i, name in unsure]).collect()[0]
        row.update(exact.asDict())


@dataclasses.dataclass(frozen=True)
class SparkColumn:
    """One column of a Spark DataFrame, as the drift summaries reach it."""

    frame: Any
    name: str
    spark_type: str
    source: str  # the source's describe(), for messages
    what: str  # error prefix ("current: cannot read SparkSource(...)")

    @property
    def floating(self) -> bool:
        return self.spark_type in _FLOAT_TYPES

    def valid(self) -> Any:
        """Present values: not NULL and, for floats, neither NaN nor infinite (dropped as Evidently does)."""
        from pyspark.sql import functions as F

        col = quoted(self.name)
        return (col.isNotNull() & ~F.isnan(col) & (col != _INF) & (col != -_INF)) if self.floating else col.isNotNull()

    def values(self, side: int) -> Any:
        """``(v double, side int)`` rows of the present values."""
        from pyspark.sql import functions as F

        return self.frame.where(self.valid()).select(quoted(self.name).cast("double").alias("v"), F.lit(side).alias("side"))

    def value_counts(self) -> pd.Series:
        """Exact count of each present value (one ``groupBy``), in value order."""
        rows = run_spark(lambda: self.frame.where(self.valid()).groupBy(quoted(self.name)).count().collect(), self.what)
        pairs = sorted(((r[0], int(r[1])) for r in rows), key=lambda kv: kv[0])
        return counts_series([k for k, _ in pairs], [c for _, c in pairs])

    def collect(self) -> np.ndarray:
        """The present values in read order, on the worker (logged: O(rows) memory)."""
        log.warning(
            "Collecting column %r of %s to the worker: this drift computation needs its values (the other "
            "input is not on Spark, or the method has no distributed kernel; see docs/sources.md).",
            self.name, self.source,
        )
        table = run_spark(lambda: self.frame.where(self.valid()).select(quoted(self.name)).toArrow(), self.what)
        return table.column(0).to_numpy()


@dataclasses.dataclass
class SparkSummary(ColumnSummary):
    """A column summary whose values stay on Spark: value counts are one ``groupBy`` on demand;
    sorted values are collected only when a computation really needs them."""

    spark: SparkColumn | None = None
    keep_rows: bool = False

    @classmethod
    def of(cls, facts: ColumnSummary, *, side: str, spark: SparkColumn, keep_rows: bool) -> SparkSummary:
        fields = {f.name: getattr(facts, f.name) for f in dataclasses.fields(ColumnSummary)}
        return cls(**{**fields, "side": side}, spark=spark, keep_rows=keep_rows)

    @property
    def integer(self) -> bool:
        """Whether the worker-side values would be integers (numpy integer semantics for binning)."""
        return self.dtype.startswith("int") or self.dtype == "bool"

    def numerical_values(self) -> np.ndarray:
        assert self.spark is not None
        if self.sorted_values is None and self.kind == "numeric":
            values = self.spark.collect()
            if self.keep_rows:
                self.row_values = values
            self.sorted_values = np.sort(values)
        if self.sorted_values is None and self.value_counts is None:
            self.value_counts = self.spark.value_counts()
        return super().numerical_values()

    def counts(self) -> pd.Series:
        assert self.spark is not None
        if self.value_counts is None and self.sorted_values is None:
            self.value_counts = self.spark.value_counts()
        return super().counts()
