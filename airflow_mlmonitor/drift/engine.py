"""The drift engine: Evidently's per-column verdicts on the full data, fast and column by column.

:func:`compute_column_drift` returns the same verdicts Evidently 0.7.23's ``DataDriftPreset``
reaches: the same default method per column type and reference size (the registry's
``default_when``), the same option precedence and thresholds, the same scores (within float
rounding). :func:`column_drift` is the one function that computes a column's drift; it reads two
:class:`~airflow_mlmonitor.drift.summary.ColumnSummary` objects, so a raw reference and a stored
reference profile give identical verdicts. Methods without a kernel run Evidently's own function
on that column. Columns are processed in parallel threads (numpy sorts and pyarrow reads release
the GIL); only one column of each input is materialised per worker.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from airflow_mlmonitor.drift.distributed import column_pair, kernel_for
from airflow_mlmonitor.drift.distribution import distribution
from airflow_mlmonitor.drift.methods import METHODS, Method, default_method, evidently_score
from airflow_mlmonitor.drift.samples import ColumnPair
from airflow_mlmonitor.drift.summary import ColumnSummary, summarize
from airflow_mlmonitor.drift.types import ColumnDrift, ColumnType, DriftOptions
from airflow_mlmonitor.exceptions import InvalidInputError

if TYPE_CHECKING:
    import pandas as pd

#: reference size above which Evidently switches to distance-based defaults
SMALL_REFERENCE = 1000
#: seconds between two progress lines
PROGRESS_EVERY = 3.0
Progress = Callable[[str], None]


class ColumnSource(Protocol):
    """Anything that hands out one column at a time (a DataFrame adapter, a parquet file)."""

    def column(self, name: str) -> pd.Series: ...


@runtime_checkable
class SummarySource(Protocol):
    """Anything that hands out column summaries directly (a reference profile, a SQL source)."""

    def summary(self, name: str, *, side: str, keep_rows: bool = False) -> ColumnSummary: ...


class FrameColumns:
    """A pandas DataFrame as a :class:`ColumnSource`."""

    def __init__(self, frame: pd.DataFrame, *, side: str) -> None:
        self.frame = frame
        self.side = side

    def column(self, name: str) -> pd.Series:
        if name not in self.frame.columns:
            raise InvalidInputError(f"Column {name!r} is not in the {self.side} data; check `columns`.")
        return self.frame[name]


def as_source(data: Any, side: str) -> ColumnSource | SummarySource:
    import pandas as pd

    return FrameColumns(data, side=side) if isinstance(data, pd.DataFrame) else data


def column_summary(source: ColumnSource | SummarySource, name: str, side: str, *, keep_rows: bool = False) -> ColumnSummary:
    """One side of one column as a summary: read from a summary source, or summarised from raw data."""
    if isinstance(source, SummarySource):
        return source.summary(name, side=side, keep_rows=keep_rows)
    return summarize(source.column(name), name=name, side=side, keep_rows=keep_rows)


def compute_column_drift(
    reference: pd.DataFrame | ColumnSource | SummarySource,
    current: pd.DataFrame | ColumnSource | SummarySource,
    options: DriftOptions,
    column_types: Mapping[str, ColumnType],
    *,
    workers: int | None = None,
    progress: Progress | None = None,
) -> list[ColumnDrift]:
    """Drift verdict of every column in ``column_types`` (in that order), on the full data.

    :param reference: DataFrame, column source (e.g. :class:`~airflow_mlmonitor.drift.parquet.ParquetColumns`)
        or summary source (:class:`~airflow_mlmonitor.drift.profile.ReferenceProfile`).
    :param current: same for the current data.
    :param options: Evidently ``DataDriftPreset`` options.
    :param column_types: column name -> ``"numerical"`` / ``"categorical"``.
    :param workers: parallel columns; default ``min(2, cpu count)``.
    :param progress: called with a line such as ``drift: 12/25 columns, 4.1 s elapsed`` every few
        seconds and at the end.
    """
    ref_source, cur_source = as_source(reference, "reference"), as_source(current, "current")
    names: Sequence[str] = list(column_types)
    for name in names:  # fail on a bad option before any heavy work
        resolve_method(name, column_types[name], options)

    def one(name: str) -> ColumnDrift:
        column_type = column_types[name]
        method = resolve_method(name, column_type, options)
        keep_rows = method is not None and method.kernel is None  # Evidently's own function: row order
        reference_summary = column_summary(ref_source, name, "reference", keep_rows=keep_rows)
        try:
            current_summary = column_summary(cur_source, name, "current", keep_rows=keep_rows)
            try:
                # a SparkPair when both sides are on Spark (drift/distributed.py)
                return column_drift(column_pair(name, column_type, reference_summary, current_summary), options)
            finally:
                current_summary.close()  # a streamed side's spill files
        finally:
            reference_summary.close()

    tracker = _Tracker(len(names), progress)
    workers = workers or min(2, os.cpu_count() or 1)
    if workers == 1 or len(names) < 2:
        results = []
        for name in names:
            results.append(one(name))
            tracker.done()
        return results
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="mlmonitor-drift") as pool:
        futures = {pool.submit(one, name): index for index, name in enumerate(names)}
        ordered: list[ColumnDrift | None] = [None] * len(names)
        try:
            for future in as_completed(futures):
                ordered[futures[future]] = future.result()
                tracker.done()
        except BaseException:
            for future in futures:
                future.cancel()
            raise
    return [c for c in ordered if c is not None]


class _Tracker:
    """Progress lines: at most one per :data:`PROGRESS_EVERY` seconds, and one at the end."""

    def __init__(self, total: int, progress: Progress | None) -> None:
        self.total, self.progress = total, progress
        self.count = 0
        self.start = self.last = time.monotonic()

    def done(self) -> None:
        self.count += 1
        now = time.monotonic()
        if self.progress is not None and (now - self.last >= PROGRESS_EVERY or self.count == self.total):
            self.last = now
            self.progress(f"drift: {self.count}/{self.total} columns, {now - self.start:.1f} s elapsed")


def column_drift(pair: ColumnPair, options: DriftOptions) -> ColumnDrift:
    """The verdict for one column pair (the one function computing a column's drift)."""
    method = resolve_method(pair.name, pair.column_type, options) or default_for(pair)
    threshold = resolve_threshold(pair.name, pair.column_type, options)
    threshold = method.default_threshold if threshold is None else float(threshold)
    shape = distribution(pair)
    try:
        kernel = kernel_for(pair, method)  # the distributed kernel for a SparkPair
        if kernel is not None:
            score = kernel(pair)
            drifted = method.drifted(score, threshold)
        else:
            score, drifted = evidently_score(method.name, pair, threshold)
    except (ValueError, ZeroDivisionError) as err:  # what Evidently raises too, e.g. g_test on unequal sizes
        raise InvalidInputError(
            f"Drift method {method.name!r} cannot be computed on column {pair.name!r}: {err}. "
            "Pick another method for this column (per_column_method)."
        ) from err
    return ColumnDrift(
        name=pair.name,
        column_type=pair.column_type,
        method=method.name,
        score=score if math.isfinite(score) else None,
        threshold=threshold,
        drifted=bool(drifted),
        distribution=shape,
        notes=_notes(pair),
    )


def _notes(pair: ColumnPair) -> tuple[str, ...]:
    return tuple(
        f"column {pair.name!r}: {s.infinite} infinite value(s) in {s.side} treated as missing, as Evidently does"
        for s in pair.summaries
        if s.infinite
    )


def default_for(pair: ColumnPair) -> Method:
    """Evidently's ``_get_default_stattest``: by column type, reference size and distinct values."""
    return default_method(pair.n_reference <= SMALL_REFERENCE, pair.column_type, pair.n_values_exceeds)


def resolve_method(name: str, column_type: ColumnType, options: DriftOptions) -> Method | None:
    """The user's method for a column (per column > per type > all), or None for the default."""
    chosen = options.method_for(name, column_type)
    if chosen is None:
        return None
    method = METHODS.get(str(chosen))
    if method is None:
        raise InvalidInputError(
            f"Unknown drift method {chosen!r} for column {name!r}. Use one of: {', '.join(sorted(METHODS))}."
        )
    if column_type not in method.column_types:
        raise InvalidInputError(
            f"Drift method {chosen!r} does not apply to {column_type} column {name!r}; it applies to "
            f"{' and '.join(sorted(method.column_types))} columns. Pick another method for this column "
            "(per_column_method) or another column type."
        )
    return method


def resolve_threshold(name: str, column_type: ColumnType, options: DriftOptions) -> float | None:
    """The user's threshold for a column (per column > per type > all), or None for the method's."""
    return options.threshold_for(name, column_type)
