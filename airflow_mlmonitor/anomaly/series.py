"""A metric series ordered by time, read from a DataFrame with clear errors. Airflow-free.

Shared by the anomaly and the performance checks: ``metric`` must be a numeric column without
missing values, ``time_column`` a column of datetimes (or ISO strings) or numbers that orders it.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow_mlmonitor.exceptions import InvalidInputError

if TYPE_CHECKING:
    import pandas as pd


@dataclasses.dataclass(frozen=True)
class Series:
    """Values of one metric, oldest first. ``timestamps`` are ISO 8601 strings or numbers;
    ``sources`` (optional) say where each value came from (an MLflow run id, a report folder)."""

    timestamps: tuple[Any, ...]
    values: tuple[float, ...]
    sources: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if len(self.timestamps) != len(self.values) or (self.sources and len(self.sources) != len(self.values)):
            raise ValueError("timestamps, values and sources must have the same length")

    def __len__(self) -> int:
        return len(self.values)

    def tail(self, n: int) -> Series:
        start = max(len(self) - n, 0)
        return Series(self.timestamps[start:], self.values[start:], self.sources[start:])

    @classmethod
    def from_points(cls, points: Sequence[tuple[Any, float, str]], *, sort_key: Any = None) -> Series:
        """From ``(timestamp, value, source)`` triples, sorted by ``sort_key`` (default: timestamp)."""
        ordered = sorted(points, key=sort_key or (lambda p: p[0]))
        return cls(tuple(p[0] for p in ordered), tuple(float(p[1]) for p in ordered), tuple(p[2] for p in ordered))


def check_finite(values: Sequence[Any], *, param: str, where: str) -> None:
    """Raise naming ``param`` when a value is missing, NaN or infinite."""
    bad = [i for i, v in enumerate(values) if v is None or not math.isfinite(float(v))]
    if bad:
        raise InvalidInputError(
            f"{param}: {len(bad)} missing, NaN or infinite value(s) of {where} (positions {bad[:5]}); "
            "drop or fill them before the check."
        )


def _sample(column: pd.Series) -> str:
    return ", ".join(repr(v) for v in column.dropna().astype(str).unique()[:3])


def _time_keys(frame: pd.DataFrame, time_column: str, where: str, time_param: str) -> pd.Series:
    import pandas as pd

    column = frame[time_column]
    if pd.api.types.is_bool_dtype(column):
        raise InvalidInputError(f"{time_param}: column {time_column!r} of {where} holds booleans, not times.")
    if pd.api.types.is_numeric_dtype(column) or pd.api.types.is_datetime64_any_dtype(column):
        keys = column
    else:
        try:
            keys = pd.to_datetime(column, utc=True, format="ISO8601")
        except (ValueError, TypeError) as err:
            raise InvalidInputError(
                f"{time_param}: column {time_column!r} of {where} is not datetimes or numbers "
                f"(dtype {column.dtype}, e.g. {_sample(column)}): {err}. Cast it, or name another time_column."
            ) from None
    if keys.isna().any():
        raise InvalidInputError(
            f"{time_param}: column {time_column!r} of {where} has {int(keys.isna().sum())} missing value(s); "
            "every row needs a time."
        )
    return keys


def _timestamp(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value.item() if hasattr(value, "item") else value


def series_from_frame(
    frame: pd.DataFrame,
    metric: str,
    time_column: str,
    *,
    where: str = "data",
    metric_param: str = "metric",
    time_param: str = "time_column",
) -> Series:
    """The ``metric`` column ordered by ``time_column``; ``where`` names the input in errors."""
    import pandas as pd

    columns = [str(c) for c in frame.columns]
    if metric not in frame.columns:
        raise InvalidInputError(f"{metric_param}: no column {metric!r} in {where}; its columns are {columns[:20]}.")
    if time_column not in frame.columns:
        raise InvalidInputError(
            f"{time_param}: no column {time_column!r} in {where} to order the values by; its columns are "
            f"{columns[:20]}. Name the column that holds the evaluation time."
        )
    column = frame[metric]
    if pd.api.types.is_bool_dtype(column) or not pd.api.types.is_numeric_dtype(column):
        raise InvalidInputError(
            f"{metric_param}: column {metric!r} of {where} is {column.dtype}, not numeric "
            f"(e.g. {_sample(column)}). Cast it to numbers, or fix the file."
        )
    check_finite(column.tolist(), param=metric_param, where=f"column {metric!r} of {where}")
    keys = _time_keys(frame, time_column, where, time_param)
    order = keys.reset_index(drop=True).sort_values(kind="stable").index
    times = keys.reset_index(drop=True)
    values = column.reset_index(drop=True)
    return Series(
        tuple(_timestamp(times[i]) for i in order),
        tuple(float(values[i]) for i in order),
    )
