"""One side of one column as the drift engine sees it: a :class:`ColumnSummary`. Airflow-free.

This is the seam between data and the engine. A raw column (a pandas Series from a DataFrame,
a parquet file, later a SQL or Spark source) and a stored reference profile both become the same
summary, and every per-column computation (validation, Evidently's default-method choice, the
drift kernels, the report's distributions) reads only the summary:

- ``sorted_values``: for numeric columns, the finite values in ascending order (NaN and +-inf
  dropped and counted, as Evidently drops them);
- ``value_counts``: for every other column (strings, bools, categories), the exact count of each
  non-missing value, in value order;
- the facts behind type checks and messages: dtype, kind (``numeric`` / ``text`` / ``other``),
  rows, missing and infinite counts, a few example values of text columns.

A numeric side can also be a :class:`~airflow_mlmonitor.drift.stream.SortedStream` instead of a
sorted array (``stream``: blocks of ascending distinct values and counts, from spill files or a
database cursor), so memory does not grow with rows: :meth:`ColumnSummary.streamed`.

A source that can compute these remotely (``SELECT v, COUNT(*) ... GROUP BY v ORDER BY v``
streamed, ``GROUP BY v`` counts) feeds the engine without ever building a DataFrame: build the
summary with :meth:`ColumnSummary.numeric`, :meth:`ColumnSummary.streamed` or
:meth:`ColumnSummary.counted`.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from airflow_mlmonitor.exceptions import InvalidInputError

if TYPE_CHECKING:
    import pandas as pd

    from airflow_mlmonitor.drift.stream import SortedStream

log = logging.getLogger(__name__)

Kind = Literal["numeric", "text", "other"]
#: example values kept for messages about text columns
EXAMPLES = 5


@dataclasses.dataclass
class ColumnSummary:
    """What the engine knows about one side (``reference``/``current``) of one column."""

    name: str
    side: str
    dtype: str
    kind: Kind
    rows: int
    missing: int
    infinite: int = 0
    sorted_values: np.ndarray | None = None
    value_counts: pd.Series | None = None
    examples: tuple[str, ...] = ()
    #: cleaned values in row order: only kept for methods whose answer depends on row order
    #: (Evidently's randomised permutation tests); None from a profile
    row_values: Any = None
    #: distinct non-missing values, where a source computed it for type inference (integer and
    #: text columns of a pushdown source's ``facts``); None when not known
    distinct: int | None = None
    #: the sorted finite values as a stream (instead of ``sorted_values``): see :meth:`streamed`
    stream: SortedStream | None = None

    @property
    def usable(self) -> int:
        """Values left once missing and infinite values are dropped."""
        return self.rows - self.missing - self.infinite

    @classmethod
    def numeric(cls, name: str, side: str, dtype: str, sorted_values: np.ndarray, *, missing: int = 0,
                infinite: int = 0) -> ColumnSummary:
        """A numeric column from its sorted finite values."""
        return cls(name, side, dtype, "numeric", len(sorted_values) + missing + infinite, missing, infinite,
                   sorted_values=sorted_values)

    @classmethod
    def streamed(cls, name: str, side: str, dtype: str, stream: SortedStream, *, missing: int = 0,
                 infinite: int = 0) -> ColumnSummary:
        """A numeric column from a :class:`~airflow_mlmonitor.drift.stream.SortedStream` of its finite
        values. ``missing``/``infinite``: values the source left out before the stream (NULLs); the
        NaN and infinite values the stream's builder dropped (``stream.nan``/``stream.infinite``) are
        added to them."""
        missing, infinite = missing + stream.nan, infinite + stream.infinite
        return cls(name, side, dtype, "numeric", stream.n + missing + infinite, missing, infinite, stream=stream,
                   distinct=stream.distinct)

    @classmethod
    def counted(cls, name: str, side: str, dtype: str, kind: Kind, value_counts: pd.Series, *, missing: int = 0,
                examples: tuple[str, ...] = ()) -> ColumnSummary:
        """A non-numeric column from its exact value counts."""
        return cls(name, side, dtype, kind, int(value_counts.sum()) + missing, missing,
                   value_counts=value_counts, examples=examples)

    # ------------------------------------------------------------------ views for the engine

    def numerical_values(self) -> np.ndarray:
        """Sorted finite values, for a column treated as numerical (bools count as 0/1)."""
        if self.sorted_values is not None:
            return self.sorted_values
        if self.stream is not None:
            log.info("drift: column %r (%s): materialising %s streamed values in memory", self.name, self.side,
                     f"{self.stream.n:,}")
            return self.stream.to_array()
        assert self.value_counts is not None
        if self.dtype == "bool":
            keys = self.value_counts.index.to_numpy().astype(np.int64)
            return np.repeat(keys, self.value_counts.to_numpy())
        raise InvalidInputError(
            f"Column {self.name!r} in the {self.side} data should contain numerical values only "
            f"(dtype {self.dtype}{_examples(self.examples)}); declare it in categorical_columns or fix its type "
            "(cast it, e.g. pd.to_numeric)."
        )

    def counts(self) -> pd.Series:
        """Exact value counts (index = values, in value order), for a column treated as categorical."""
        import pandas as pd

        if self.value_counts is not None:
            return self.value_counts
        if self.stream is not None:
            return self.stream.counts_series()
        assert self.sorted_values is not None
        keys, counts = np.unique(self.sorted_values, return_counts=True)
        return pd.Series(counts, index=keys)

    def as_stream(self) -> SortedStream:
        """The sorted finite values as a stream (an in-memory array is wrapped, not copied)."""
        from airflow_mlmonitor.drift.stream import from_array

        if self.stream is not None:
            return self.stream
        return from_array(self.numerical_values())

    def close(self) -> None:
        """Release a stream's spill files (nothing to do for in-memory values)."""
        if self.stream is not None:
            self.stream.close()

    def check_usable(self) -> None:
        if self.usable <= 0:
            raise InvalidInputError(
                f"An empty column {self.name!r} was provided for drift calculation in the {self.side} data "
                "(no value left after dropping NaN and infinities); drop the column or fix the data."
            )


def _examples(examples: tuple[str, ...]) -> str:
    return f", values such as {', '.join(map(repr, examples))}" if examples else ""


def kind_of(series: pd.Series) -> Kind:
    """``numeric`` (numbers, not bools), ``text`` (strings) or ``other``."""
    import pandas as pd

    if pd.api.types.is_bool_dtype(series.dtype):
        return "other"
    if pd.api.types.is_numeric_dtype(series.dtype):
        return "numeric"
    values = series.dropna()
    if len(values) and all(isinstance(v, str) for v in (values.iloc[0], values.iloc[-1])):
        return "text"
    return "other"


def text_examples(series: pd.Series, limit: int = EXAMPLES) -> tuple[str, ...]:
    """A few distinct values of a text column, those that do not read as numbers first."""
    import pandas as pd

    head = pd.Series(series.dropna().iloc[:2000].unique())
    if head.empty:
        return ()
    as_number = pd.to_numeric(head, errors="coerce")
    ordered = [*head[as_number.isna()], *head[as_number.notna()]]
    return tuple(str(v) for v in ordered[:limit])


def summarize(series: pd.Series, *, name: str, side: str, keep_rows: bool = False) -> ColumnSummary:
    """The summary of one raw column (the engine's only view of raw data)."""
    import pandas as pd

    kind = kind_of(series)
    dtype = str(series.dtype)
    if kind == "numeric":
        if isinstance(series.dtype, np.dtype) and series.dtype.kind in "iu":
            values = series.to_numpy()
            missing, infinite = 0, 0
        else:
            if isinstance(series.dtype, np.dtype) and series.dtype.kind == "f":
                values = series.to_numpy(dtype=np.float64)  # no copy for float64
            else:  # nullable/extension dtypes: NA becomes NaN
                values = series.to_numpy(dtype=np.float64, na_value=np.nan)
            nan = np.isnan(values)
            missing = int(nan.sum())
            finite = np.isfinite(values)
            infinite = len(values) - missing - int(finite.sum())
            if missing or infinite:
                values = values[finite]
        summary = ColumnSummary.numeric(name, side, dtype, np.sort(values), missing=missing, infinite=infinite)
        if keep_rows:
            summary.row_values = values
        return summary
    present = series[series.notna()]
    counts = present.value_counts(sort=False, dropna=True)
    if isinstance(counts.index, pd.CategoricalIndex):  # plain values, present ones only
        counts.index = counts.index.astype(object)
        counts = counts[counts > 0]
    infinite = 0
    if present.dtype == object and len(counts):
        infinite_keys = [k for k in counts.index if isinstance(k, float) and np.isinf(k)]
        infinite = int(counts[infinite_keys].sum()) if infinite_keys else 0
        counts = counts.drop(infinite_keys) if infinite_keys else counts
        if infinite_keys and keep_rows:
            present = present[~present.isin([np.inf, -np.inf])]
    try:
        counts = counts.sort_index()
    except TypeError:  # mixed types: order by text
        counts = counts.iloc[np.argsort([str(k) for k in counts.index], kind="stable")]
    summary = ColumnSummary.counted(
        name, side, dtype, kind, counts.astype(np.int64), missing=len(series) - len(present),
        examples=text_examples(present) if kind == "text" else (),
    )
    summary.infinite = infinite
    summary.rows = len(series)
    if keep_rows:
        summary.row_values = present
    return summary


def counts_series(keys: list[Any], counts: Any) -> pd.Series:
    """Value counts as the summaries hold them (used when loading a profile)."""
    import pandas as pd

    return pd.Series(np.asarray(counts, dtype=np.int64), index=pd.Index(keys))
