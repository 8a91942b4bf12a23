"""Parquet inputs read one column at a time (pyarrow), so memory does not scale with columns.

A :class:`ParquetColumns` is a column source for :func:`airflow_mlmonitor.drift.engine.compute_column_drift`:
the drift engine asks for one column of the reference and one of the current data per worker, and
never holds either input as a whole. Airflow-free: a remote file is given as an ``opener`` (a
callable returning a binary file object), e.g. ``ObjectStoragePath(...).open`` bound to ``"rb"``.
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

PARQUET_SUFFIXES = (".parquet", ".pq")
Opener = Callable[[], IO[bytes]]


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

    def __init__(self, source: str | os.PathLike[str] | Opener, *, name: str = "data") -> None:
        self.source = source
        self.name = name

    @contextlib.contextmanager
    def _file(self) -> Iterator[pq.ParquetFile]:
        """The parquet file, opened for one read and closed after it (with the opener's handle)."""
        import pyarrow.parquet as pq

        handle = None
        try:
            if isinstance(self.source, (str, os.PathLike)):
                parquet_file = pq.ParquetFile(os.path.expanduser(os.fspath(self.source)))
            else:
                handle = self.source()
                parquet_file = pq.ParquetFile(handle)
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
    def _footer(self) -> tuple[list[str], int]:
        with self._file() as parquet_file:
            return list(parquet_file.schema_arrow.names), parquet_file.metadata.num_rows

    @property
    def columns(self) -> list[str]:
        return self._footer[0]

    @property
    def num_rows(self) -> int:
        return self._footer[1]

    def __len__(self) -> int:
        return self.num_rows

    def column(self, name: str) -> pd.Series:
        """Read one column (only its pages) as a pandas Series."""
        if name not in self.columns:
            raise InvalidInputError(
                f"Column {name!r} is not in the {self.name} data {self._describe()}; "
                f"it has {', '.join(map(repr, self.columns[:20]))}."
            )
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
