"""chunk_by: splitting the current data by rows or by time, and locating a step change."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from airflow_mlmonitor.drift.beyond import apply_beyond, beyond_options
from airflow_mlmonitor.drift.chunks import ChunkDrift, chunks_svg, parse_chunk_by, split
from airflow_mlmonitor.drift.engine import compute_column_drift
from airflow_mlmonitor.drift.result import build_drift_result
from airflow_mlmonitor.drift.types import DriftOptions
from airflow_mlmonitor.exceptions import InvalidInputError


def test_parse_chunk_by():
    assert parse_chunk_by(50_000, None) == 50_000
    assert parse_chunk_by("2000", None) == 2000  # templated
    assert parse_chunk_by("7d", "ts") == dt.timedelta(days=7)
    assert parse_chunk_by(dt.timedelta(hours=12), "ts") == dt.timedelta(hours=12)
    assert parse_chunk_by(None, None) is None


@pytest.mark.parametrize(
    ("value", "time_column", "message"),
    [
        ("7d", None, "chunk_by='7d' is a duration: it needs time_column"),
        (0, None, "chunk_by is a number of rows per chunk and must be >= 1"),
        ("-1d", "ts", "chunk_by must be a positive duration"),
        ("weekly", "ts", "chunk_by must be a row count or a duration"),
        (True, None, "chunk_by must be a row count or a duration"),
    ],
)
def test_bad_chunk_by_is_named(value, time_column, message):
    with pytest.raises(InvalidInputError, match=message):
        parse_chunk_by(value, time_column)


def test_row_chunks_fold_a_small_remainder_into_the_last_chunk():
    frame = pd.DataFrame({"x": range(1040)})
    assert [(s, e, len(c)) for s, e, c in split(frame, 250, None)] == [(0, 250, 250), (250, 500, 250), (500, 750, 250), (750, 1040, 290)]
    assert [(s, e) for s, e, _ in split(frame, 400, None)] == [(0, 400), (400, 800), (800, 1040)]  # 240 >= 200


def test_time_chunks_are_epoch_aligned_periods_and_skip_empty_ones():
    times = pd.to_datetime(["2024-01-01 03:00", "2024-01-01 23:00", "2024-01-03 01:00"])
    frame = pd.DataFrame({"ts": times, "x": [1, 2, 3]})
    chunks = [(s, e, list(c["x"])) for s, e, c in split(frame, dt.timedelta(days=1), "ts")]
    assert chunks == [
        ("2024-01-01T00:00:00", "2024-01-02T00:00:00", [1, 2]),
        ("2024-01-03T00:00:00", "2024-01-04T00:00:00", [3]),
    ]
    with pytest.raises(InvalidInputError, match="time_column 'when' is not a column"):
        list(split(frame, dt.timedelta(days=1), "when"))


def _step_series():
    """Ten days of 1,500 rows a day; from day 6 on, x shifts by one sigma (y never changes)."""
    rng = np.random.default_rng(8)
    reference = pd.DataFrame({"x": rng.normal(0, 1, 4000), "y": rng.normal(0, 1, 4000)})
    times = pd.date_range("2024-03-01", periods=10 * 1500, freq="57600ms")
    shift = np.where(times >= pd.Timestamp("2024-03-06"), 1.0, 0.0)
    current = pd.DataFrame({"ts": times, "x": rng.normal(0, 1, len(times)) + shift, "y": rng.normal(0, 1, len(times))})
    return reference, current, DriftOptions(), {"x": "numerical", "y": "numerical"}


@pytest.mark.parametrize(("chunk_by", "first_drifted"), [("1d", "2024-03-06T00:00:00"), ("2500", 7500)])
def test_chunk_by_locates_a_step_change(chunk_by, first_drifted):
    reference, current, options, types = _step_series()
    plain = build_drift_result(compute_column_drift(reference, current, options, types), options, reference_rows=4000, current_rows=15000)
    artifacts = {"report.html": "<html><body><p>report</p></body></html>"}
    result, artifacts = apply_beyond(plain, artifacts, reference, current, options, types, beyond_options(chunk_by=chunk_by, time_column="ts"))
    chunks = result.details["chunks"]
    assert [c["drifted_columns"] for c in chunks if c["dataset_drift"]] == [["x"]] * (5 if chunk_by == "1d" else 3)
    assert next(c["start"] for c in chunks if c["dataset_drift"]) == first_drifted
    assert all(c["drifted_columns"] == [] for c in chunks if not c["dataset_drift"])
    assert sum(c["rows"] for c in chunks) == 15000
    assert result.details["latest_chunk_drift"] is True
    assert result.details["columns"] == plain.details["columns"]  # the whole-batch verdicts are unchanged
    assert "Drift over chunks" in artifacts["report.html"] and "<svg" in artifacts["report.html"]


def test_chunks_svg_draws_one_bar_per_chunk_and_the_threshold():
    chunks = [ChunkDrift(0, 10, 10, 0.0, (), False), ChunkDrift(10, 20, 10, 1.0, ("x",), True)]
    svg = chunks_svg(chunks, 0.5)
    assert svg.count("<rect") == 2 and "drift_share threshold" in svg and "#d9534f" in svg
    assert chunks_svg([], 0.5) == ""
