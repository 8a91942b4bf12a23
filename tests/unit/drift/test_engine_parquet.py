"""Parquet inputs column by column: same verdicts as DataFrames, seeded samples, clear errors."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from airflow_mlmonitor.drift.engine import compute_column_drift
from airflow_mlmonitor.drift.parquet import ParquetColumns, is_parquet
from airflow_mlmonitor.drift.types import DriftOptions
from airflow_mlmonitor.exceptions import DataLoadError, InvalidInputError

TYPES = {"income": "numerical", "city": "categorical"}


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    rng = np.random.default_rng(3)
    folder = tmp_path_factory.mktemp("parquet")
    frames = {}
    for name, n, shift in (("reference", 5000, 0.0), ("current", 4000, 0.5)):
        frame = pd.DataFrame(
            {"income": rng.normal(shift, 1, n), "city": rng.choice(["a", "b", "c"], n), "id": np.arange(n)}
        )
        frame.loc[::50, "income"] = np.nan
        frame.to_parquet(folder / f"{name}.parquet", row_group_size=1000)
        frames[name] = frame
    return folder, frames


def test_parquet_files_give_the_same_verdicts_as_the_frames(files):
    folder, frames = files
    from_files = compute_column_drift(
        ParquetColumns(folder / "reference.parquet", name="reference"),
        ParquetColumns(folder / "current.parquet", name="current"),
        DriftOptions(),
        TYPES,
    )
    from_frames = compute_column_drift(frames["reference"], frames["current"], DriftOptions(), TYPES)
    assert from_files == from_frames
    assert [c.drifted for c in from_files] == [True, False]


class CountingFile(io.FileIO):
    """A local file opened like a remote one (through an opener) that counts the bytes read from it."""

    read_bytes = 0

    def read(self, size: int = -1) -> bytes:
        data = super().read(size)
        CountingFile.read_bytes += len(data)
        return data

    def readinto(self, buffer) -> int:
        count = super().readinto(buffer) or 0
        CountingFile.read_bytes += count
        return count


@pytest.fixture
def parquet_reads(monkeypatch) -> list[tuple[str, list[str] | None]]:
    """Every read pyarrow is asked for, as ``(method, columns)``: ParquetFile's readers and read_table."""
    import inspect

    import pyarrow.parquet as pq

    reads: list[tuple[str, list[str] | None]] = []

    def spy(owner, method):
        original = getattr(owner, method)

        def wrapper(*args, **kwargs):
            columns = inspect.signature(original).bind(*args, **kwargs).arguments.get("columns")
            reads.append((method, columns))
            return original(*args, **kwargs)

        monkeypatch.setattr(owner, method, wrapper)

    for method in ("read", "read_row_group", "read_row_groups", "iter_batches"):
        spy(pq.ParquetFile, method)
    spy(pq, "read_table")
    return reads


def test_a_file_is_described_from_its_footer_and_read_one_column_at_a_time(tmp_path, parquet_reads):
    rows = 100_000  # 1.6 MB: bigger than the 64 KiB pyarrow reads for the footer
    rng = np.random.default_rng(5)
    frame = pd.DataFrame({"income": rng.normal(0, 1, rows), "city": rng.choice(["a", "b", "c"], rows),
                          "id": np.arange(rows)})
    path = tmp_path / "current.parquet"
    frame.to_parquet(path, row_group_size=25_000)

    source = ParquetColumns(str(path))
    assert source.columns == ["income", "city", "id"] and len(source) == rows
    assert list(source.empty_frame().columns) == source.columns and len(source.empty_frame()) == 0
    assert parquet_reads == []  # names, row count and dtypes come from the footer: no data read
    pd.testing.assert_series_equal(source.column("id"), frame["id"])
    pd.testing.assert_series_equal(source.column("city"), frame["city"])
    assert parquet_reads == [("read", ["id"]), ("read", ["city"])]

    CountingFile.read_bytes = 0
    remote = ParquetColumns(lambda: CountingFile(path))
    assert len(remote) == rows
    assert CountingFile.read_bytes <= 64 * 1024  # the footer only
    CountingFile.read_bytes = 0
    remote.column("id")
    assert CountingFile.read_bytes < path.stat().st_size / 2  # one column's pages (and the footer)


def test_samples_are_seeded_and_drawn_from_the_file(files):
    folder, _ = files
    source = ParquetColumns(folder / "reference.parquet")
    first, again = source.sample(500, seed=1), source.sample(500, seed=1)
    pd.testing.assert_frame_equal(first, again)
    assert len(first) == 500 and first["id"].is_unique
    assert not first.equals(source.sample(500, seed=2))
    assert len(source.sample(10_000, seed=1)) == 5000


def test_a_missing_file_or_column_is_a_clear_error(files, tmp_path):
    folder, _ = files
    with pytest.raises(DataLoadError, match="does not exist"):
        ParquetColumns(tmp_path / "nope.parquet", name="reference").columns  # noqa: B018
    with pytest.raises(InvalidInputError, match="Column 'age' is not in the current data"):
        ParquetColumns(folder / "current.parquet", name="current").column("age")


def test_an_opener_reads_remote_style_files(files):
    folder, frames = files
    handles = []

    def opener():
        handles.append(open(folder / "current.parquet", "rb"))  # noqa: SIM115
        return handles[-1]

    source = ParquetColumns(opener)
    assert source.column("city").tolist() == frames["current"]["city"].tolist()
    assert handles and all(handle.closed for handle in handles)  # no file handle leaks per column read


@pytest.mark.parametrize(
    ("source", "expected"),
    [("s3://bucket/data.parquet", True), ("data.PQ", True), ("data.csv", False), (lambda: None, False)],
)
def test_is_parquet(source, expected):
    assert is_parquet(source) is expected
