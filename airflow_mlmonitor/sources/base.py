"""The :class:`Source` interface every data input goes through. Airflow-free.

A source describes itself (for messages and logs), lists its columns and their types, counts rows
and hands back a pandas frame (:meth:`Source.to_frame`) or one column at a time
(:meth:`Source.column`). Sources are templated through Airflow's public mechanism: an operator's
template field holding a source renders the source's own ``template_fields``. A source is never
callable, has no ``resolve`` attribute and is always truthy, so Airflow's templater neither calls
it nor reads it to test ``bool()``.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from airflow_mlmonitor.exceptions import InvalidInputError

if TYPE_CHECKING:
    import pandas as pd


#: instance attributes that hold loaded data (dropped by :meth:`Source.fresh`)
CACHES = ("_frame", "_parquet", "_db", "_facts", "_rows", "_examples_read")


class Source:
    """One data input. Subclasses implement :meth:`describe` and the data methods.

    :param name: the parameter this source was given as (``data``, ``reference``...), for messages.
    """

    template_fields: ClassVar[Sequence[str]] = ()

    name: str = "data"

    def describe(self) -> str:
        """A short human name (``'data.parquet'``, ``callable load_batch``, ``SqlSource(...)``)."""
        raise NotImplementedError

    @property
    def columns(self) -> list[str]:
        raise NotImplementedError

    def dtypes(self) -> dict[str, str]:
        """``{column: dtype name}`` as the data is read (pandas dtype names)."""
        raise NotImplementedError

    @property
    def num_rows(self) -> int:
        raise NotImplementedError

    def to_frame(self, columns: Sequence[str] | None = None) -> pd.DataFrame:
        """The data (or only ``columns`` of it) as a pandas DataFrame."""
        raise NotImplementedError

    def column(self, name: str) -> pd.Series:
        """One column as a pandas Series (column-wise sources read only that column)."""
        raise NotImplementedError

    def columnar(self) -> Any:
        """The cheapest column-wise view for the engines: a DataFrame, or a column reader that reads
        one column at a time (parquet files)."""
        return self.to_frame()

    def close(self) -> None:
        """Release what reading started (a Spark session...); the check operators call it when the
        task ends, even when it fails. Nothing to do for files and callables."""

    # --- shared behaviour -------------------------------------------------------------------
    def fresh(self) -> Source:
        """A copy with nothing loaded or cached: one per task run, so a run never sees another's data."""
        clone = copy.copy(self)
        for key in CACHES:
            clone.__dict__.pop(key, None)
        return clone

    def __len__(self) -> int:
        return self.num_rows

    def __bool__(self) -> bool:  # never let bool() fall back to __len__ (that would read the data)
        return True

    def __repr__(self) -> str:
        return self.describe()

    __str__ = __repr__

    def missing_column(self, column: str) -> InvalidInputError:
        shown = ", ".join(map(repr, self.columns[:20]))
        more = f" (+{len(self.columns) - 20} more)" if len(self.columns) > 20 else ""
        return InvalidInputError(
            f"{self.name}: column {column!r} is not in {self.describe()}; it has {shown}{more}."
        )

    def check_not_empty(self) -> None:
        """Raise a clear error when the input has no rows or no columns."""
        rows, columns = self.num_rows, len(self.columns)
        if rows == 0 or columns == 0:
            raise InvalidInputError(
                f"{self.name}: {self.describe()} is empty ({rows} rows x {columns} columns); "
                "a check needs at least one row and one column."
            )


class FrameSource(Source):
    """A source whose data is one pandas DataFrame, loaded once by :meth:`load` and cached."""

    _frame: pd.DataFrame | None = None

    def load(self) -> pd.DataFrame:
        raise NotImplementedError

    def frame(self) -> pd.DataFrame:
        if self._frame is None:
            self._frame = self.load()
        return self._frame

    @property
    def columns(self) -> list[str]:
        return [str(c) for c in self.frame().columns]

    def dtypes(self) -> dict[str, str]:
        return {str(c): str(t) for c, t in self.frame().dtypes.items()}

    @property
    def num_rows(self) -> int:
        return int(self.frame().shape[0])

    def to_frame(self, columns: Sequence[str] | None = None) -> pd.DataFrame:
        frame = self.frame()
        if columns is None:
            return frame
        for name in columns:
            if name not in frame.columns:
                raise self.missing_column(name)
        return frame[list(columns)]

    def column(self, name: str) -> pd.Series:
        frame = self.frame()
        if name not in frame.columns:
            raise self.missing_column(name)
        return frame[name]
