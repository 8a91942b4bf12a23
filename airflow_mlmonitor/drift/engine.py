"""The drift engine: Evidently's per-column verdicts on the full data, fast and column by column.

``compute_column_drift`` has the signature of :func:`airflow_mlmonitor.drift.verdicts.compute_column_drift`
and returns the same verdicts Evidently 0.7.23's ``DataDriftPreset`` reaches: the same default
method per column type and reference size (``get_stattest``), the same option precedence and
thresholds, the same scores (within float rounding). Methods without a kernel here run
Evidently's own function on that column. Columns are processed in parallel threads (numpy and
pyarrow release the GIL); only one column of each input is materialised per worker.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Protocol

from airflow_mlmonitor.drift.methods import METHODS, Method, evidently_score
from airflow_mlmonitor.drift.samples import ColumnPair, clean
from airflow_mlmonitor.drift.types import ColumnDrift, ColumnType, DriftOptions
from airflow_mlmonitor.exceptions import InvalidInputError

if TYPE_CHECKING:
    import pandas as pd

#: reference size above which Evidently switches to distance-based defaults
SMALL_REFERENCE = 1000


class ColumnSource(Protocol):
    """Anything that hands out one column at a time (a DataFrame adapter, a parquet file)."""

    def column(self, name: str) -> pd.Series: ...


class FrameColumns:
    """A pandas DataFrame as a :class:`ColumnSource`."""

    def __init__(self, frame: pd.DataFrame, *, side: str) -> None:
        self.frame = frame
        self.side = side

    def column(self, name: str) -> pd.Series:
        if name not in self.frame.columns:
            raise InvalidInputError(f"Column {name!r} is not in the {self.side} data; check `columns`.")
        return self.frame[name]


def as_source(data: Any, side: str) -> ColumnSource:
    import pandas as pd

    return FrameColumns(data, side=side) if isinstance(data, pd.DataFrame) else data


def compute_column_drift(
    reference: pd.DataFrame | ColumnSource,
    current: pd.DataFrame | ColumnSource,
    options: DriftOptions,
    column_types: Mapping[str, ColumnType],
    *,
    workers: int | None = None,
) -> list[ColumnDrift]:
    """Drift verdict of every column in ``column_types`` (in that order), on the full data.

    :param reference: DataFrame or column source (e.g. :class:`~airflow_mlmonitor.drift.parquet.ParquetColumns`).
    :param current: same for the current data.
    :param options: Evidently ``DataDriftPreset`` options.
    :param column_types: column name -> ``"numerical"`` / ``"categorical"``.
    :param workers: parallel columns; default ``min(2, cpu count)``.
    """
    ref_source, cur_source = as_source(reference, "reference"), as_source(current, "current")
    names: Sequence[str] = list(column_types)
    for name in names:  # fail on a bad option before any heavy work
        resolve_method(name, column_types[name], options)

    def one(name: str) -> ColumnDrift:
        column_type = column_types[name]
        pair = ColumnPair(
            name,
            column_type,
            clean(ref_source.column(name), column_type, name=name, side="reference"),
            clean(cur_source.column(name), column_type, name=name, side="current"),
        )
        return column_drift(pair, options)

    workers = workers or min(2, os.cpu_count() or 1)
    if workers == 1 or len(names) < 2:
        return [one(name) for name in names]
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="mlmonitor-drift") as pool:
        return list(pool.map(one, names))


def column_drift(pair: ColumnPair, options: DriftOptions) -> ColumnDrift:
    """The verdict for one cleaned column pair."""
    method = resolve_method(pair.name, pair.column_type, options) or default_method(pair)
    threshold = resolve_threshold(pair.name, pair.column_type, options)
    threshold = method.default_threshold if threshold is None else float(threshold)
    try:
        if method.kernel is not None:
            score = method.kernel(pair)
            drifted = bool(method.drifted(score, threshold))
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
        drifted=drifted,
    )


def default_method(pair: ColumnPair) -> Method:
    """Evidently's ``_get_default_stattest``: by column type, reference size and distinct values."""
    if pair.n_reference <= SMALL_REFERENCE:
        if pair.column_type == "numerical" and pair.n_values_exceeds(5):
            return METHODS["ks"]
        return METHODS["chisquare"] if pair.n_values_exceeds(2) else METHODS["z"]
    if pair.column_type == "numerical" and pair.n_values_exceeds(5):
        return METHODS["wasserstein"]
    return METHODS["jensenshannon"]


def resolve_method(name: str, column_type: ColumnType, options: DriftOptions) -> Method | None:
    """The user's method for a column (per column > per type > all), or None for the default."""
    chosen = options.num_method if column_type == "numerical" else options.cat_method
    chosen = options.method if chosen is None else chosen
    if options.per_column_method and name in options.per_column_method:
        chosen = options.per_column_method[name]
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
    if options.per_column_threshold and name in options.per_column_threshold:
        return options.per_column_threshold[name]
    if column_type == "categorical" and options.cat_threshold is not None:
        return options.cat_threshold
    if column_type == "numerical" and options.num_threshold is not None:
        return options.num_threshold
    return options.threshold
