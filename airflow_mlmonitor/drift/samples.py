"""One column of reference and current data, cleaned as Evidently cleans it, with cached views.

Evidently replaces +-inf by NaN and drops NaN before any test; so does :func:`clean`. A
:class:`ColumnPair` then computes, once and only when a method asks, the sorted values, the joint
value counts and the distinct-value counts that the drift methods share.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

import numpy as np

from airflow_mlmonitor.drift.types import ColumnType
from airflow_mlmonitor.exceptions import InvalidInputError

if TYPE_CHECKING:
    import pandas as pd

#: values looked at before deciding "many distinct values" without a full pass
_PROBE = 4096


def clean(series: pd.Series, column_type: ColumnType, *, name: str, side: str) -> Any:
    """Drop NaN and +-inf; a numerical column becomes a numpy array, a categorical stays a Series."""
    import pandas as pd

    values: Any
    if column_type == "numerical":
        if not pd.api.types.is_numeric_dtype(series.dtype):
            raise InvalidInputError(
                f"Column {name!r} in the {side} data should contain numerical values only "
                f"(dtype {series.dtype}); declare it in categorical_columns or fix its type."
            )
        if isinstance(series.dtype, np.dtype) and series.dtype.kind in "iu":
            values = series.to_numpy()
        elif isinstance(series.dtype, np.dtype) and series.dtype.kind == "b":
            values = series.to_numpy().astype(np.int64)
        else:
            if isinstance(series.dtype, np.dtype) and series.dtype.kind == "f":
                values = series.to_numpy(dtype=np.float64)  # no copy for float64
            else:  # nullable/extension dtypes: NA becomes NaN
                values = series.to_numpy(dtype=np.float64, na_value=np.nan)
            finite = np.isfinite(values)
            if not finite.all():
                values = values[finite]
    else:
        values = series[series.notna()]
        if values.dtype == object or pd.api.types.is_float_dtype(values.dtype):
            values = values[~values.isin([np.inf, -np.inf])]
    if len(values) == 0:
        raise InvalidInputError(
            f"An empty column {name!r} was provided for drift calculation in the {side} data "
            "(no value left after dropping NaN and infinities); drop the column or fix the data."
        )
    return values


class ColumnPair:
    """Cleaned reference and current values of one column, and the views drift methods share."""

    def __init__(self, name: str, column_type: ColumnType, reference: Any, current: Any) -> None:
        self.name = name
        self.column_type: ColumnType = column_type
        self.reference = reference
        self.current = current

    @property
    def n_reference(self) -> int:
        return len(self.reference)

    @property
    def n_current(self) -> int:
        return len(self.current)

    @functools.cached_property
    def reference_sorted(self) -> np.ndarray:
        return np.sort(self.reference)

    @functools.cached_property
    def current_sorted(self) -> np.ndarray:
        return np.sort(self.current)

    def drop_sorted(self) -> None:
        """Forget the sorted copies (they are recomputed if asked for again)."""
        self.__dict__.pop("reference_sorted", None)
        self.__dict__.pop("current_sorted", None)

    @functools.cached_property
    def counts(self) -> tuple[list[Any], np.ndarray, np.ndarray]:
        """Distinct values of both sides and their counts in reference and current (aligned)."""
        import pandas as pd

        ref = pd.Series(self.reference) if isinstance(self.reference, np.ndarray) else self.reference
        cur = pd.Series(self.current) if isinstance(self.current, np.ndarray) else self.current
        ref_counts = ref.value_counts(sort=False, dropna=True)
        cur_counts = cur.value_counts(sort=False, dropna=True)
        keys = ref_counts.index.union(cur_counts.index, sort=False)
        ref_aligned = ref_counts.reindex(keys, fill_value=0).to_numpy(dtype=np.int64)
        cur_aligned = cur_counts.reindex(keys, fill_value=0).to_numpy(dtype=np.int64)
        return list(keys), ref_aligned, cur_aligned

    def n_values_exceeds(self, limit: int) -> bool:
        """Whether reference and current together hold more than ``limit`` distinct values."""
        if self.column_type == "numerical" and _many_values(self.reference, limit):
            return True
        return len(self.counts[0]) > limit

    def reference_nunique_exceeds(self, limit: int) -> bool:
        """Whether the reference alone holds more than ``limit`` distinct values."""
        if self.column_type == "numerical":
            if _many_values(self.reference, limit):
                return True
            return _sorted_nunique(self.reference_sorted) > limit
        return int(np.count_nonzero(self.counts[1])) > limit

    def as_series(self) -> tuple[pd.Series, pd.Series]:
        """Both sides as pandas Series (what Evidently's own stattest functions take)."""
        import pandas as pd

        ref = pd.Series(self.reference) if isinstance(self.reference, np.ndarray) else self.reference
        cur = pd.Series(self.current) if isinstance(self.current, np.ndarray) else self.current
        return ref.reset_index(drop=True), cur.reset_index(drop=True)


def _many_values(values: np.ndarray, limit: int) -> bool:
    """True when a strided probe already shows more than ``limit`` distinct values (no full pass)."""
    step = max(1, len(values) // _PROBE)
    return len(np.unique(values[::step])) > limit


def _sorted_nunique(values: np.ndarray) -> int:
    return int(np.count_nonzero(values[1:] != values[:-1])) + 1 if len(values) else 0
