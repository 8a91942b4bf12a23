"""Files: a local path, an fsspec/ObjectStoragePath URL (with an optional connection id) or an
``ObjectStoragePath``; the format comes from the suffix. Parquet files are read one column at a time
(:class:`~airflow_mlmonitor.drift.parquet.ParquetColumns`); other formats are loaded once as a frame.

``airflow.sdk.ObjectStoragePath`` is imported only when a remote file is opened.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Sequence
from typing import IO, TYPE_CHECKING, Any, TypeVar

from airflow_mlmonitor.drift.parquet import is_parquet
from airflow_mlmonitor.exceptions import DataLoadError, InvalidInputError
from airflow_mlmonitor.sources.base import FrameSource
from airflow_mlmonitor.sources.paths import FORMATS, is_local_path, local_path, source_format

if TYPE_CHECKING:
    import pandas as pd

    from airflow_mlmonitor.drift.parquet import ParquetColumns

T = TypeVar("T")

class FileSource(FrameSource):
    """A file, local or on object storage.

    :param path: local path, URL (``s3://bucket/x.parquet``, ``file:///...``) or ``ObjectStoragePath``
        (templated).
    :param conn_id: connection for a remote URL (templated).
    :param name: the parameter name, for messages.
    """

    template_fields = ("path", "conn_id")

    def __init__(self, path: Any, *, conn_id: str | None = None, name: str = "data") -> None:
        self.path = path
        self.conn_id = conn_id
        self.name = name

    def describe(self) -> str:
        return repr(str(self.path))

    @property
    def is_local(self) -> bool:
        return self.conn_id is None and is_local_path(self.path)

    def _storage_path(self) -> Any:
        from airflow.sdk import ObjectStoragePath

        if isinstance(self.path, ObjectStoragePath):
            return self.path
        return ObjectStoragePath(str(self.path), conn_id=self.conn_id)

    def _check_exists(self) -> Any:
        """The local OS path or the ObjectStoragePath, after checking the file exists."""
        if self.is_local:
            path = local_path(self.path)
            if not os.path.isfile(path):
                raise DataLoadError(f"{self.name}: input file {path!r} does not exist (or is not a file).")
            return path
        storage_path = self._storage_path()
        try:
            exists = storage_path.is_file()
        except Exception as err:
            raise DataLoadError(
                f"{self.name}: cannot reach {self.describe()}: {type(err).__name__}: {err}"
            ) from None
        if not exists:
            raise DataLoadError(f"{self.name}: input {self.describe()} does not exist (or is not a file).")
        return storage_path

    # --- parquet: column-wise ------------------------------------------------------------
    @functools.cached_property
    def _parquet(self) -> ParquetColumns | None:
        if not is_parquet(self.path):
            return None
        from airflow_mlmonitor.drift.parquet import ParquetColumns

        target = self._check_exists()
        if isinstance(target, str):
            return ParquetColumns(target, name=self.name)

        def opener() -> IO[bytes]:
            return target.open("rb")  # type: ignore[no-any-return]

        return ParquetColumns(opener, name=self.name)

    def _read_parquet(self, read: Callable[[ParquetColumns], T]) -> T:
        """Run ``read`` on the parquet reader; a library error becomes one clean message."""
        assert self._parquet is not None
        try:
            return read(self._parquet)
        except InvalidInputError as err:
            if not isinstance(err, DataLoadError) or err.__cause__ is None:
                raise
            cause = err.__cause__
            message = f"{type(cause).__name__}: {cause}"
        raise DataLoadError(f"{self.name}: cannot read {self.describe()} as parquet: {message}") from None

    def load(self) -> pd.DataFrame:
        import pandas as pd

        suffix = source_format(self.path)
        reader, kwargs = FORMATS[suffix]
        target = self._check_exists()
        try:
            if isinstance(target, str):
                return getattr(pd, reader)(target, **kwargs)  # type: ignore[no-any-return]
            with target.open("rb") as handle:
                return getattr(pd, reader)(handle, **kwargs)  # type: ignore[no-any-return]
        except Exception as err:
            raise DataLoadError(
                f"{self.name}: could not read {self.describe()} as {suffix}: {type(err).__name__}: {err}"
            ) from None

    @property
    def columns(self) -> list[str]:
        return self._read_parquet(lambda p: list(p.columns)) if self._parquet is not None else super().columns

    def dtypes(self) -> dict[str, str]:
        if self._parquet is None:
            return super().dtypes()
        frame = self._read_parquet(lambda p: p.empty_frame())
        return {str(c): str(t) for c, t in frame.dtypes.items()}

    @property
    def num_rows(self) -> int:
        return self._read_parquet(lambda p: p.num_rows) if self._parquet is not None else super().num_rows

    def to_frame(self, columns: Sequence[str] | None = None) -> pd.DataFrame:
        if self._parquet is None or self._frame is not None:
            return super().to_frame(columns)
        if columns is None:
            return self.frame()
        for name in columns:
            if name not in self.columns:
                raise self.missing_column(name)
        return self._read_parquet(lambda p: p.sample_columns(list(columns), None, 0))

    def column(self, name: str) -> pd.Series:
        if self._parquet is None or self._frame is not None:
            return super().column(name)
        if name not in self.columns:
            raise self.missing_column(name)
        return self._read_parquet(lambda p: p.column(name))

    def columnar(self) -> Any:
        return self._parquet if self._parquet is not None else self.frame()
