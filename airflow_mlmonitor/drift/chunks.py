"""Drift over time: split the current data into chunks, each checked against the reference. Airflow-free.

``chunk_by`` is a row count (``50_000``: consecutive chunks of that many rows, in the data's order or
by ``time_column`` when given; a last remainder smaller than half a chunk joins the chunk before it)
or a duration (``"7d"``, ``"12h"``, a ``timedelta``; needs ``time_column``: periods aligned to the
Unix epoch, so ``"1d"`` chunks start at midnight; empty periods are skipped). Each chunk gets the
full per-column verdicts, exactly as if it were the whole current data set.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from airflow_mlmonitor.exceptions import InvalidInputError

if TYPE_CHECKING:
    import pandas as pd

ChunkBy = int | dt.timedelta


@dataclasses.dataclass(frozen=True)
class ChunkDrift:
    """One chunk's verdict: what lands in the result's ``chunks`` list.

    ``start``/``end``: the first row and one past the last row for row chunks, the period's bounds
    ``[start, end)`` (ISO 8601) for time chunks.
    """

    start: int | str
    end: int | str
    rows: int
    drift_share: float
    drifted_columns: tuple[str, ...]
    dataset_drift: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": self.start,
            "end": self.end,
            "rows": self.rows,
            "drift_share": self.drift_share,
            "drifted_columns": list(self.drifted_columns),
            "dataset_drift": self.dataset_drift,
        }


def parse_chunk_by(value: Any, time_column: str | None) -> ChunkBy | None:
    """The rendered ``chunk_by`` option: a positive row count or a positive duration, else a clear error."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise InvalidInputError(f"chunk_by must be a row count or a duration such as '7d', got {value!r}")
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())  # templated row counts arrive as strings
    if isinstance(value, int):
        if value < 1:
            raise InvalidInputError(f"chunk_by is a number of rows per chunk and must be >= 1, got {value!r}")
        return value
    duration = _duration(value)
    if time_column is None or time_column == "":
        raise InvalidInputError(
            f"chunk_by={value!r} is a duration: it needs time_column, the column holding each row's timestamp "
            "(or give chunk_by as a number of rows)."
        )
    return duration


def _duration(value: Any) -> dt.timedelta:
    import pandas as pd

    try:
        duration = pd.Timedelta(value)
    except (TypeError, ValueError):
        raise InvalidInputError(
            f"chunk_by must be a row count or a duration such as '7d', '12h' or '30min', got {value!r}"
        ) from None
    if pd.isna(duration) or duration <= pd.Timedelta(0):
        raise InvalidInputError(f"chunk_by must be a positive duration, got {value!r}")
    return duration.to_pytimedelta()


def split(current: pd.DataFrame, chunk_by: ChunkBy, time_column: str | None) -> Iterator[tuple[Any, Any, pd.DataFrame]]:
    """Yield ``(start, end, chunk)`` in order (see the module docstring)."""
    if time_column is not None and time_column not in current.columns:
        raise InvalidInputError(f"time_column {time_column!r} is not a column of the current data.")
    if isinstance(chunk_by, int):
        frame = current if time_column is None else current.sort_values(time_column, kind="stable")
        yield from _by_rows(frame, chunk_by)
    else:
        assert time_column is not None
        yield from _by_time(current, chunk_by, time_column)


def _by_rows(frame: pd.DataFrame, size: int) -> Iterator[tuple[int, int, pd.DataFrame]]:
    bounds = [*range(0, len(frame), size), len(frame)]
    if len(bounds) > 2 and bounds[-1] - bounds[-2] < size / 2:  # a small remainder joins the last chunk
        del bounds[-2]
    for start, end in itertools.pairwise(bounds):
        yield start, end, frame.iloc[start:end]


def _by_time(frame: pd.DataFrame, duration: dt.timedelta, time_column: str) -> Iterator[tuple[str, str, pd.DataFrame]]:
    import pandas as pd

    try:
        times = pd.to_datetime(frame[time_column])
    except (TypeError, ValueError) as err:
        raise InvalidInputError(f"time_column {time_column!r} does not hold timestamps: {err}") from None
    if times.isna().any():
        raise InvalidInputError(
            f"time_column {time_column!r} has {int(times.isna().sum())} missing timestamps; fill or drop them."
        )
    periods = times.dt.floor(pd.Timedelta(duration))
    for period, chunk in frame.groupby(periods, sort=True):
        start = pd.Timestamp(period)
        yield start.isoformat(), (start + pd.Timedelta(duration)).isoformat(), chunk


def chunk_drift(
    current: pd.DataFrame,
    chunk_by: ChunkBy,
    time_column: str | None,
    verdicts: Callable[[pd.DataFrame], Sequence[str]],
    n_columns: int,
    drift_share: float,
) -> list[ChunkDrift]:
    """Check every chunk: ``verdicts(chunk)`` returns the chunk's drifted column names."""
    found = []
    for start, end, chunk in split(current, chunk_by, time_column):
        drifted = tuple(sorted(verdicts(chunk)))
        share = len(drifted) / n_columns if n_columns else 0.0
        found.append(ChunkDrift(start, end, len(chunk), share, drifted, bool(n_columns) and share >= drift_share))
    return found


def chunks_svg(chunks: Sequence[ChunkDrift], drift_share: float, width: int = 640, height: int = 160) -> str:
    """A self-contained inline SVG of drift share over chunks, with the ``drift_share`` line."""
    if not chunks:
        return ""
    from airflow_mlmonitor import html as templates

    pad, step = 28, (width - 2 * 28) / max(len(chunks), 1)
    bars = []
    for i, chunk in enumerate(chunks):
        bar = chunk.drift_share * (height - 2 * pad)
        bars.append({
            "x": pad + i * step + 1, "y": height - pad - bar, "width": max(step - 2, 1), "height": bar,
            "colour": "#d9534f" if chunk.dataset_drift else "#5b8def",
            "label": f"{chunk.start} .. {chunk.end}: {chunk.drift_share:.0%} drifted, {chunk.rows} rows",
        })
    line_y = height - pad - drift_share * (height - 2 * pad)
    return templates.render(
        "airflow_mlmonitor.drift", "chunks.svg.j2", width=width, height=height, pad=pad, bars=bars, line_y=line_y
    ).strip()
