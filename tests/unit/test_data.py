from __future__ import annotations

import pathlib

import pandas as pd
import pytest

from airflow_mlmonitor.data import load_frame
from airflow_mlmonitor.exceptions import DataLoadError, InvalidInputError
from tests.unit.sources.test_sources import FRAME, write


@pytest.mark.parametrize("suffix", [".parquet", ".csv", ".json", ".jsonl"])
def test_reads_every_format_from_path_and_file_url(tmp_path, suffix):
    path = write(tmp_path, suffix)
    for source in (path, pathlib.Path(path), f"file://{path}"):
        frame = load_frame(source)
        pd.testing.assert_frame_equal(frame.reset_index(drop=True), FRAME, check_dtype=False)


def test_object_storage_path(tmp_path):
    from airflow.sdk import ObjectStoragePath

    FRAME.to_parquet(tmp_path / "x.parquet")
    assert load_frame(ObjectStoragePath(f"file://{tmp_path}/x.parquet")).shape == (3, 2)


def test_callable_is_called_only_at_load_time():
    calls = []

    def make():
        calls.append(1)
        return FRAME

    assert calls == []
    assert load_frame(make).shape == (3, 2)
    assert calls == [1]


def test_unknown_suffix(tmp_path):
    (tmp_path / "x.xlsx").write_text("x")
    with pytest.raises(DataLoadError, match=r"unknown suffix '\.xlsx'.*\.parquet, \.pq, \.csv, \.json, \.jsonl"):
        load_frame(str(tmp_path / "x.xlsx"))


def test_missing_file(tmp_path):
    with pytest.raises(DataLoadError, match="does not exist"):
        load_frame(str(tmp_path / "missing.parquet"))
    with pytest.raises(DataLoadError, match="does not exist"):
        load_frame(f"file://{tmp_path}/missing.csv")


def test_callable_returning_something_else():
    with pytest.raises(DataLoadError, match=r"reference: callable .*<lambda> returned list, expected a pandas DataFrame"):
        load_frame(lambda: [1, 2], name="reference")


def test_callable_that_raises_names_the_input():
    def broken():
        raise KeyError("bucket")

    with pytest.raises(DataLoadError, match=r"current: callable .*broken raised KeyError"):
        load_frame(broken, name="current")


def test_empty_frame_is_an_error_unless_allowed():
    with pytest.raises(InvalidInputError, match=r"data: .* is empty \(0 rows x 2 columns\)"):
        load_frame(lambda: FRAME.iloc[0:0])
    assert load_frame(lambda: FRAME.iloc[0:0], allow_empty=True).shape == (0, 2)


def test_dataframe_object_is_refused_with_advice():
    with pytest.raises(InvalidInputError, match="not a DataFrame object"):
        load_frame(FRAME)


def test_corrupt_file_names_the_format(tmp_path):
    (tmp_path / "bad.parquet").write_text("not parquet")
    with pytest.raises(DataLoadError, match=r"could not read .*bad\.parquet.* as \.parquet"):
        load_frame(str(tmp_path / "bad.parquet"))
