"""Parquet inputs read one column at a time (pyarrow), so memory does not scale with columns.

A :class:`ParquetColumns` is a column source for :func:`airflow_mlmonitor.drift.engine.compute_column_drift`:
the drift engine asks for one column of the reference and one of the current data per worker, and
never holds either input as a whole. Airflow-free: a remote file is given as an ``opener`` (a
callable returning a binary file object), e.g. ``ObjectStoragePath(...).open`` bound to ``"rb"``.

Memory does not grow with rows either:

- the column plan reads :meth:`ParquetColumns.facts` (dtype, missing and infinite counts, distinct
  values of integer and text columns, a few text examples), computed batch by batch with pyarrow,
  never a whole column;
- above :data:`STREAM_ROWS` rows a numeric column's summary is a
  :class:`~airflow_mlmonitor.drift.stream.SortedStream` built batch by batch (sorted runs spilled
  to the temporary directory and merged), instead of one sorted array.
"""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Callable, Iterator
from typing import IO, TYPE_CHECKING, Any

from airflow_mlmonitor.exceptions import DataLoadError, InvalidInputError

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow.parquet as pq

    from airflow_mlmonitor.drift.summary import ColumnSummary

PARQUET_SUFFIXES = (".parquet", ".pq")
Opener = Callable[[], IO[bytes]]
#: rows above which numeric columns are summarised as spilled streams rather than sorted arrays
STREAM_ROWS = 20_000_000
#: rows per batch when a column is read in batches
BATCH_ROWS = 1 << 20
#: distinct values counted for an integer column's facts (enough for Evidently's type inference)
_INTEGER_DISTINCT_CAP = 11
_EXAMPLE_ROWS = 2000


def is_parquet(source: Any) -> bool:
    """Whether ``source`` is a path/URL/ObjectStoragePath naming a parquet file."""
    if callable(source) and not isinstance(source, (str, os.PathLike)) and not hasattr(source, "suffix"):
        return False
    name = str(getattr(source, "path", None) or source).rstrip("/").lower()
    return name.endswith(PARQUET_SUFFIXES)


class ParquetColumns:
    """A parquet file as a column source: schema and row count from the footer, columns on demand.

    :param source: a local path, or an ``opener`` returning a binary file object (remote storage).
    :param name: the parameter name (``reference``/``current``), used in error messages.
    """

    def __init__(self, source: str | os.PathLike[str] | Opener, *, name: str = "data", stream_rows: int | None = None,
                 spill_dir: str | None = None) -> None:
        self.source = source
        self.name = name
        self.stream_rows = STREAM_ROWS if stream_rows is None else stream_rows
        self.spill_dir = spill_dir

    def describe(self) -> str:
        """How messages about the plan name this input (its parameter name)."""
        return self.name

    @contextlib.contextmanager
    def _file(self, *, batches: bool = False, dictionary: str | None = None) -> Iterator[pq.ParquetFile]:
        """The parquet file, opened for one read and closed after it (with the opener's handle).

        ``batches``: opened to iterate batches; without pre-buffering, which would keep every
        coalesced read of the iteration in memory (memory growing with rows).
        ``dictionary``: a text column read dictionary-encoded (as stored: no string per row)."""
        import pyarrow.parquet as pq

        handle = None
        options: dict[str, Any] = {"pre_buffer": False} if batches else {}
        if dictionary is not None:
            options["read_dictionary"] = [dictionary]
        try:
            if isinstance(self.source, (str, os.PathLike)):
                parquet_file = pq.ParquetFile(os.path.expanduser(os.fspath(self.source)), **options)
            else:
                handle = self.source()
                parquet_file = pq.ParquetFile(handle, **options)
        except FileNotFoundError as err:
            raise DataLoadError(f"{self.name}: parquet input {self._describe()} does not exist.") from err
        except Exception as err:
            if handle is not None:
                handle.close()
            raise DataLoadError(
                f"{self.name}: cannot read {self._describe()} as parquet: {type(err).__name__}: {err}"
            ) from err
        try:
            yield parquet_file
        finally:
            parquet_file.close()
            if handle is not None:
                handle.close()

    def _describe(self) -> str:
        return repr(os.fspath(self.source)) if isinstance(self.source, (str, os.PathLike)) else "(opened file)"

    @functools.cached_property
    def _footer(self) -> tuple[list[str], int, Any, Any]:
        """Column names, row count, arrow schema and parquet metadata (read once per input)."""
        with self._file() as parquet_file:
            schema, metadata = parquet_file.schema_arrow, parquet_file.metadata
            return list(schema.names), metadata.num_rows, schema, metadata

    @property
    def columns(self) -> list[str]:
        return self._footer[0]

    @property
    def num_rows(self) -> int:
        return self._footer[1]

    def __len__(self) -> int:
        return self.num_rows

    def _check_column(self, name: str) -> None:
        if name not in self.columns:
            raise InvalidInputError(
                f"Column {name!r} is not in the {self.name} data {self._describe()}; "
                f"it has {', '.join(map(repr, self.columns[:20]))}."
            )

    def _batches(self, parquet_file: pq.ParquetFile, name: str) -> Iterator[Any]:
        for batch in parquet_file.iter_batches(batch_size=BATCH_ROWS, columns=[name], use_threads=False):
            yield batch.column(0)

    def _pandas_dtype(self, name: str, nulls: int) -> Any:
        """The dtype :meth:`column` gives: the arrow type's pandas dtype, integers and bools with
        missing values becoming float64 and object, as pyarrow converts them. From the schema of
        the file read as :meth:`column` reads it (not dictionary-encoded)."""
        import numpy as np

        schema = self._footer[2]
        dtype = schema.empty_table().column(name).to_pandas().dtype
        if nulls and isinstance(dtype, np.dtype) and dtype.kind in "iub":
            return np.dtype("float64") if dtype.kind in "iu" else np.dtype("object")
        return dtype

    def facts(self, name: str) -> ColumnSummary:
        """What the column plan needs about a column, without holding it: dtype, kind, rows, missing
        and infinite counts, text examples, and the distinct count of integer and text columns
        (capped at 11 for integers: enough for Evidently's "at most 10 values" rule). Batch by batch."""
        import numpy as np
        import pandas as pd
        import pyarrow as pa
        import pyarrow.compute as pc

        from airflow_mlmonitor.drift import parquet_text
        from airflow_mlmonitor.drift.summary import ColumnSummary, text_examples

        self._check_column(name)
        dictionary = name if self._is_text(name) and self._small_dictionary(name) else None
        with self._file(batches=True, dictionary=dictionary) as parquet_file:
            arrow_type = parquet_file.schema_arrow.field(name).type
            value_type = arrow_type.value_type if pa.types.is_dictionary(arrow_type) else arrow_type
            floating = pa.types.is_floating(arrow_type)
            integer = pa.types.is_integer(arrow_type)
            text = pa.types.is_string(value_type) or pa.types.is_large_string(value_type) or (
                hasattr(pa.types, "is_string_view") and pa.types.is_string_view(value_type)
            )
            nulls = nan = infinite = 0
            integers: np.ndarray = np.empty(0, dtype=np.int64)
            uniques: list[Any] = []
            examples: list[Any] = []
            for array in self._batches(parquet_file, name):
                nulls += array.null_count
                if floating and int(pc.sum(pc.is_finite(array)).as_py() or 0) < len(array) - array.null_count:
                    nan += int(pc.sum(pc.is_nan(array)).as_py() or 0)  # only when some value is not finite
                    infinite += int(pc.sum(pc.is_inf(array)).as_py() or 0)
                elif integer and len(integers) < _INTEGER_DISTINCT_CAP:
                    present = pc.drop_null(array).to_numpy()
                    integers = np.union1d(integers, np.unique(present))
                elif text:
                    present = pc.drop_null(array)
                    uniques.append(parquet_text.used_values(present))
                    examples.extend(parquet_text.head_values(present, _EXAMPLE_ROWS - len(examples)))
            rows = parquet_file.metadata.num_rows
            dtype = self._pandas_dtype(name, nulls)
        missing = nulls + nan
        if pd.api.types.is_bool_dtype(dtype):
            kind = "other"
        elif pd.api.types.is_numeric_dtype(dtype):
            kind = "numeric"
        else:
            kind = "text" if text and rows > missing else "other"
        distinct = None
        if integer and not floating:
            distinct = min(len(integers), _INTEGER_DISTINCT_CAP)
        elif text:
            distinct = len(pa.chunked_array(uniques).unique()) if uniques else 0
        return ColumnSummary(
            name, self.name, str(dtype), kind, rows, missing, infinite=infinite,  # type: ignore[arg-type]
            examples=text_examples(pd.Series(examples, dtype=object)) if kind == "text" else (),
            distinct=distinct,
        )

    def summary(self, name: str, *, side: str, keep_rows: bool = False) -> ColumnSummary:
        """One side of one column for the drift engine: the classic summary of the column read
        whole, or above :attr:`stream_rows` rows (numeric columns, row order not needed) a streamed
        summary built batch by batch with bounded memory."""
        from airflow_mlmonitor.drift.summary import summarize

        if not keep_rows and self._is_text(name) and self._small_dictionary(name):
            return self._counted(name, side)
        if keep_rows or not self._is_number(name):
            return summarize(self.column(name), name=name, side=side, keep_rows=keep_rows)
        if self.num_rows <= self.stream_rows:
            return self._sorted(name, side)
        return self._streamed(name, side)

    def _sorted(self, name: str, side: str) -> ColumnSummary:
        """A numeric column's summary as :func:`~airflow_mlmonitor.drift.summary.summarize` gives it,
        with one copy: the column's chunks are concatenated into a fresh array sorted in place, and
        NaN (sorted last) and infinities (sorted first and last) are cut off by binary search."""
        import numpy as np
        import pyarrow as pa

        from airflow_mlmonitor.drift.summary import ColumnSummary

        with self._file() as parquet_file:
            table = parquet_file.read(columns=[name], use_threads=False)
            column = table.column(0)
            integer = pa.types.is_integer(column.type)
            dtype = self._pandas_dtype(name, column.null_count)
        parts = [chunk.to_numpy(zero_copy_only=False) for chunk in column.chunks if len(chunk)]
        del table, column
        if not integer or dtype.kind == "f":  # floats, or integers with nulls (NaN) as pandas reads them
            parts = [part.astype(np.float64, copy=False) for part in parts]
        if not parts:
            values = np.empty(0, dtype=np.float64 if dtype.kind == "f" else dtype)
        elif len(parts) == 1:
            values = parts[0].copy()  # arrow's buffer is read-only
        else:
            values = np.concatenate(parts)
        del parts
        values.sort()
        if values.dtype.kind != "f":
            return ColumnSummary.numeric(name, side, str(dtype), values)
        first_nan = int(np.searchsorted(values, np.nan, side="left"))
        low = int(np.searchsorted(values[:first_nan], -np.inf, side="right"))
        high = int(np.searchsorted(values[:first_nan], np.inf, side="left"))
        return ColumnSummary.numeric(name, side, str(dtype), values[low:high], missing=len(values) - first_nan,
                                     infinite=low + first_nan - high)

    def _counted(self, name: str, side: str) -> ColumnSummary:
        """A text column's summary as :func:`~airflow_mlmonitor.drift.summary.summarize` gives it,
        counted on the dictionary-encoded column batch by batch (:mod:`~airflow_mlmonitor.drift.parquet_text`),
        never as a string per row. For a column stored with small dictionaries (:meth:`_small_dictionary`)."""
        import pandas as pd

        from airflow_mlmonitor.drift import parquet_text
        from airflow_mlmonitor.drift.summary import ColumnSummary, text_examples

        with self._file(batches=True, dictionary=name) as parquet_file:
            counted = parquet_text.count_batches(self._batches(parquet_file, name), examples=_EXAMPLE_ROWS)
            rows = parquet_file.metadata.num_rows
        dtype = self._pandas_dtype(name, counted.nulls)
        text = rows > counted.nulls
        summary = ColumnSummary.counted(
            name, side, str(dtype), "text" if text else "other", counted.value_counts(dtype, name),
            missing=counted.nulls, examples=text_examples(pd.Series(counted.examples, dtype=object)) if text else (),
        )
        summary.rows = rows
        return summary

    def _small_dictionary(self, name: str) -> bool:
        """Whether the column reads cheaply dictionary-encoded (:func:`~airflow_mlmonitor.drift.parquet_text.small_dictionary`)."""
        from airflow_mlmonitor.drift import parquet_text

        return parquet_text.small_dictionary(self._footer[3], name)

    def _is_text(self, name: str) -> bool:
        """A plain string column (one stored as a pandas category keeps the classic path)."""
        import pyarrow as pa

        self._check_column(name)
        arrow_type = self._footer[2].field(name).type
        return bool(pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type))

    def _is_number(self, name: str) -> bool:
        import pyarrow as pa

        self._check_column(name)
        arrow_type = self._footer[2].field(name).type
        return bool(pa.types.is_integer(arrow_type) or pa.types.is_floating(arrow_type))

    def _streamed(self, name: str, side: str) -> ColumnSummary:
        import logging
        import time

        import pyarrow as pa

        from airflow_mlmonitor.drift.stream import StreamBuilder
        from airflow_mlmonitor.drift.summary import ColumnSummary

        started = time.monotonic()
        builder = StreamBuilder(spill_dir=self.spill_dir)
        nulls = 0
        try:
            with self._file(batches=True) as parquet_file:
                integer = pa.types.is_integer(parquet_file.schema_arrow.field(name).type)
                for array in self._batches(parquet_file, name):
                    nulls += array.null_count
                    builder.add(array.to_numpy(zero_copy_only=False))  # nulls become NaN
                dtype = self._pandas_dtype(name, nulls)
            stream = builder.finish(integer=integer and not nulls)
        except BaseException:
            builder.abort()
            raise
        logging.getLogger(__name__).info(
            "drift: column %r (%s): %s values streamed (%s distinct) in %.1f s", name, side, f"{stream.n:,}",
            f"{stream.distinct:,}", time.monotonic() - started,
        )
        return ColumnSummary.streamed(name, side, str(dtype), stream)

    def column(self, name: str) -> pd.Series:
        """Read one column (only its pages) as a pandas Series."""
        self._check_column(name)
        with self._file() as parquet_file:
            table = parquet_file.read(columns=[name], use_threads=False)
        series = table.column(0).to_pandas()
        series.name = name
        return series

    def __getitem__(self, name: str) -> pd.Series:
        """``source[name]``: one column, so DataFrame-style column code works one column at a time."""
        return self.column(name)

    def empty_frame(self) -> pd.DataFrame:
        """A zero-row DataFrame with the file's columns and dtypes (for column type resolution)."""
        with self._file() as parquet_file:
            return parquet_file.schema_arrow.empty_table().to_pandas()

    def sample(self, size: int | None, seed: int) -> pd.DataFrame:
        """A seeded uniform sample of ``size`` rows (all rows when the file is smaller), column by column."""
        return self.sample_columns(self.columns, size, seed)

    def sample_columns(self, columns: list[str], size: int | None, seed: int) -> pd.DataFrame:
        """:meth:`sample` restricted to ``columns`` (read one at a time; rows in file order)."""
        import numpy as np
        import pandas as pd

        if size is None or size >= self.num_rows:
            return pd.DataFrame({name: self.column(name) for name in columns})
        rows = np.sort(np.random.default_rng(seed).choice(self.num_rows, size=size, replace=False))
        return pd.DataFrame({name: self.column(name).iloc[rows].reset_index(drop=True) for name in columns})
