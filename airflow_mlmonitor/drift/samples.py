"""One column, both sides, as the drift methods see it: a :class:`ColumnPair` of two summaries.

The pair computes, once and only when a method asks, the joint value counts and distinct-value
counts that the drift methods share. Both sides are :class:`~airflow_mlmonitor.drift.summary.ColumnSummary`
objects, so a raw column and a stored reference profile give the same computation.

A numerical pair where either side is a :class:`~airflow_mlmonitor.drift.stream.SortedStream` is
*streamed* (``pair.streamed``): the kernels then read ``pair.streams`` block by block (an in-memory
side is wrapped, not copied); ``reference``/``current`` would materialise the values (logged).
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

import numpy as np

from airflow_mlmonitor.drift.summary import ColumnSummary
from airflow_mlmonitor.drift.types import ColumnType

if TYPE_CHECKING:
    import pandas as pd

    from airflow_mlmonitor.drift.stream import SortedStream

#: values looked at before deciding "many distinct values" without a full pass
_PROBE = 4096


class ColumnPair:
    """Reference and current summaries of one column, and the views drift methods share.

    ``reference``/``current`` are the sorted finite values (numerical columns) or the values
    rebuilt from the counts (categorical columns, only for Evidently's own functions).
    """

    def __init__(self, name: str, column_type: ColumnType, reference: ColumnSummary, current: ColumnSummary) -> None:
        self.name = name
        self.column_type: ColumnType = column_type
        self.summaries = (reference, current)
        for summary in self.summaries:
            summary.check_usable()
        self.streamed = column_type == "numerical" and any(s.stream is not None for s in self.summaries)
        if self.streamed:
            self._sorted: list[np.ndarray | None] = [None, None]
            self.n_reference, self.n_current = (s.n for s in self.streams)
        elif column_type == "numerical":
            self._sorted = [s.numerical_values() for s in self.summaries]
            self.n_reference, self.n_current = (len(v) for v in self._sorted if v is not None)
        else:
            self._sorted = [None, None]
            self.n_reference, self.n_current = (int(s.counts().sum()) for s in self.summaries)

    @property
    def reference(self) -> Any:
        return self.reference_sorted if self.column_type == "numerical" else self.as_series()[0]

    @property
    def current(self) -> Any:
        return self.current_sorted if self.column_type == "numerical" else self.as_series()[1]

    @property
    def reference_sorted(self) -> np.ndarray:
        return self._sorted_side(0)

    @property
    def current_sorted(self) -> np.ndarray:
        return self._sorted_side(1)

    def _sorted_side(self, index: int) -> np.ndarray:
        values = self._sorted[index]
        if values is None:  # rebuilt from counts (bools)
            values = self._sorted[index] = self.summaries[index].numerical_values()
        return values

    @functools.cached_property
    def streams(self) -> tuple[SortedStream, SortedStream]:
        """Both sides' sorted finite values as streams (numerical columns)."""
        return self.summaries[0].as_stream(), self.summaries[1].as_stream()

    @functools.cached_property
    def counts(self) -> tuple[list[Any], np.ndarray, np.ndarray]:
        """Distinct values of both sides and their counts in reference and current (aligned)."""
        ref_counts, cur_counts = (s.counts() for s in self.summaries)
        keys = ref_counts.index.union(cur_counts.index, sort=False)
        ref_aligned = ref_counts.reindex(keys, fill_value=0).to_numpy(dtype=np.int64)
        cur_aligned = cur_counts.reindex(keys, fill_value=0).to_numpy(dtype=np.int64)
        return list(keys), ref_aligned, cur_aligned

    def n_values_exceeds(self, limit: int) -> bool:
        """Whether reference and current together hold more than ``limit`` distinct values."""
        if self.streamed and any(stream.nunique_exceeds(limit) for stream in self.streams):
            return True
        if not self.streamed and self.column_type == "numerical" and _many_values(self.reference_sorted, limit):
            return True
        return len(self.counts[0]) > limit

    def reference_nunique_exceeds(self, limit: int) -> bool:
        """Whether the reference alone holds more than ``limit`` distinct values."""
        if self.streamed:
            return self.streams[0].nunique_exceeds(limit)
        if self.column_type == "numerical":
            values = self.reference_sorted
            return _many_values(values, limit) or _sorted_nunique(values) > limit
        return int(np.count_nonzero(self.counts[1])) > limit

    def as_series(self) -> tuple[pd.Series, pd.Series]:
        """Both sides as pandas Series (what Evidently's own stattest functions take): the cleaned
        values in row order when the summary kept them, else rebuilt from the summary."""
        import pandas as pd

        out = []
        for index, summary in enumerate(self.summaries):
            if summary.row_values is not None:
                values = summary.row_values
            elif self.column_type == "numerical":
                values = self._sorted_side(index)
            else:
                counts = summary.counts()
                values = pd.Series(np.repeat(counts.index.to_numpy(), counts.to_numpy()))
            out.append(pd.Series(values).reset_index(drop=True))
        return out[0], out[1]


def _many_values(values: np.ndarray, limit: int) -> bool:
    """True when a strided probe already shows more than ``limit`` distinct values (no full pass)."""
    step = max(1, len(values) // _PROBE)
    return len(np.unique(values[::step])) > limit


def _sorted_nunique(values: np.ndarray) -> int:
    return int(np.count_nonzero(values[1:] != values[:-1])) + 1 if len(values) else 0
