"""Large parquet inputs: the column plan reads facts batch by batch, numeric columns above
``stream_rows`` become spilled streams, and verdicts, scores and profiles stay identical."""

from __future__ import annotations

import io
import os

import numpy as np
import pandas as pd
import pytest

from airflow_mlmonitor.drift import parquet, profile
from airflow_mlmonitor.drift.columns import facts, infer_column_type, infer_type_of, plan_columns
from airflow_mlmonitor.drift.engine import compute_column_drift
from airflow_mlmonitor.drift.parquet import ParquetColumns
from airflow_mlmonitor.drift.profile import ReferenceProfile, write_profile
from airflow_mlmonitor.drift.summary import summarize
from airflow_mlmonitor.drift.types import DriftOptions


def mixed(n: int, shift: float, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "continuous": rng.normal(shift, 1, n),
        "skewed": rng.lognormal(0, 1 + shift, n),
        "ties": np.round(rng.normal(shift, 1, n), 1),
        "low_card": rng.integers(0, 4, n),
        "wide_int": rng.integers(0, 300, n) + int(shift * 40),
        "int_with_nulls": pd.array(rng.integers(0, 50, n), dtype="Int64"),
        "plan": rng.choice(["free", "pro", "team"], n),
        "flag": rng.choice([True, False], n),
        "when": pd.date_range("2024-01-01", periods=n, freq="min"),
        "empty_text": pd.Series([None] * n, dtype=object),
    })
    frame.loc[::11, "continuous"] = np.nan
    frame.loc[::13, "plan"] = None
    frame.loc[3::19, "skewed"] = np.inf
    frame.loc[::7, "int_with_nulls"] = pd.NA
    return frame


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("parquet-stream")
    frames = {}
    for side, n, shift, seed in (("reference", 6000, 0.0, 1), ("current", 5000, 0.3, 2)):
        frame = mixed(n, shift, seed)
        frame.to_parquet(folder / f"{side}.parquet", row_group_size=1500)
        source = ParquetColumns(folder / f"{side}.parquet", name=side)
        frames[side] = pd.DataFrame({c: source.column(c) for c in source.columns})  # the columns as read whole
    return folder, frames


def _open(folder, side: str, **kwargs) -> ParquetColumns:
    return ParquetColumns(folder / f"{side}.parquet", name=side, **kwargs)


def test_facts_read_in_batches_match_the_facts_of_the_column(files, monkeypatch):
    folder, _frames = files
    monkeypatch.setattr(parquet, "BATCH_ROWS", 1000)  # several batches per column
    source = _open(folder, "current")
    for name in source.columns:
        series = source.column(name)
        expected, got = facts(series, name, "current"), source.facts(name)
        assert (got.dtype, got.kind, got.rows, got.missing, got.infinite, got.examples) == (
            expected.dtype, expected.kind, expected.rows, expected.missing, expected.infinite, expected.examples
        ), name
        assert infer_type_of(got) == infer_column_type(series), name
    assert source.facts("plan").distinct == 3 and source.facts("low_card").distinct == 4
    assert source.facts("wide_int").distinct == 11  # capped: "more than 10" is all inference needs


def test_the_plan_of_parquet_files_matches_the_plan_of_their_frames(files):
    folder, frames = files
    expected = plan_columns(frames["reference"], frames["current"])
    got = plan_columns(_open(folder, "reference"), _open(folder, "current"))
    assert got == expected
    assert set(got.ignored) == {"when", "empty_text"}
    assert got.column_types["low_card"] == "categorical" and got.column_types["wide_int"] == "numerical"
    assert got.notes  # the infinite values of "skewed"


@pytest.mark.parametrize("options", [DriftOptions(), DriftOptions(num_method="ks"), DriftOptions(method="psi"),
                                     DriftOptions(num_method="ed"), DriftOptions(num_method="mannw")],
                         ids=["defaults", "ks", "psi", "ed", "mannw"])
def test_streamed_columns_give_the_verdicts_and_scores_of_in_memory_columns(files, tmp_path, options, monkeypatch):
    folder, _frames = files
    monkeypatch.setattr(parquet, "BATCH_ROWS", 1000)
    columns = ["continuous", "skewed", "ties", "low_card", "wide_int", "int_with_nulls", "plan", "flag"]
    plan = plan_columns(_open(folder, "reference"), _open(folder, "current"), columns=columns)
    in_memory = compute_column_drift(_open(folder, "reference"), _open(folder, "current"), options, plan.column_types)
    spill = tmp_path / "spill"
    spill.mkdir()
    streamed = [_open(folder, side, stream_rows=0, spill_dir=str(spill)) for side in ("reference", "current")]
    summary = streamed[0].summary("continuous", side="reference")
    assert summary.stream is not None and summary.sorted_values is None  # the streamed path really runs
    summary.close()
    got = compute_column_drift(*streamed, options, plan.column_types)
    assert [(c.name, c.method, c.drifted, c.notes) for c in got] == [
        (c.name, c.method, c.drifted, c.notes) for c in in_memory
    ]
    for mine, theirs in zip(got, in_memory, strict=True):
        assert mine.score == pytest.approx(theirs.score, rel=1e-9), mine.name
    assert any(c.drifted for c in got)
    assert os.listdir(spill) == []  # every column's spill files removed


def test_a_profile_of_streamed_columns_reads_back_as_streams_with_the_same_verdicts(files, monkeypatch):
    folder, _frames = files
    columns = ["continuous", "skewed", "ties", "wide_int", "plan"]
    current = _open(folder, "current")
    plan = plan_columns(_open(folder, "reference"), current, columns=columns)
    raw = compute_column_drift(_open(folder, "reference"), current, DriftOptions(), plan.column_types)
    buffer = io.BytesIO()
    write_profile(_open(folder, "reference", stream_rows=0), buffer, columns=columns)
    data = buffer.getvalue()
    monkeypatch.setattr(profile, "STREAM_VALUES", 100)  # read back as streams
    stored = ReferenceProfile(lambda: io.BytesIO(data), "mem://reference.zip")
    assert stored.summary("continuous").stream is not None
    assert plan_columns(stored, current, columns=columns) == plan
    from_profile = compute_column_drift(stored, current, DriftOptions(), plan.column_types)
    assert [(c.name, c.method, c.drifted) for c in from_profile] == [(c.name, c.method, c.drifted) for c in raw]
    for mine, theirs in zip(from_profile, raw, strict=True):
        assert mine.score == pytest.approx(theirs.score, rel=1e-9), mine.name


def test_numeric_summaries_read_from_parquet_equal_the_summaries_of_the_columns(files):
    folder, _frames = files
    source = _open(folder, "reference")
    for name in ["continuous", "skewed", "ties", "low_card", "wide_int", "int_with_nulls"]:
        expected, got = summarize(source.column(name), name=name, side="reference"), source.summary(name, side="reference")
        assert (got.dtype, got.kind, got.rows, got.missing, got.infinite) == (
            expected.dtype, expected.kind, expected.rows, expected.missing, expected.infinite
        ), name
        assert got.sorted_values.dtype == expected.sorted_values.dtype, name
        assert np.array_equal(got.sorted_values, expected.sorted_values), name
