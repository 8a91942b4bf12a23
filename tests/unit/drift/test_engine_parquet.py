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


@pytest.mark.parametrize(
    "values",
    [
        ["b", "a", None, "Zed", "é", "", "10", "2", "a"] * 700,  # NULLs, unicode, number-like text
        [None, None, None] * 700,  # every value missing
        [f"v{i % 97}" for i in range(6000)],  # the row groups' dictionaries differ in order
        [],
    ],
    ids=["mixed", "all-null", "many-dictionaries", "empty"],
)
@pytest.mark.parametrize("batch_rows", [1 << 20, 1000])  # one batch, or a batch per row group (counts summed)
def test_text_columns_are_counted_on_their_dictionary_as_pandas_counts_them(tmp_path, values, batch_rows, monkeypatch):
    from airflow_mlmonitor.drift import parquet
    from airflow_mlmonitor.drift.summary import summarize

    monkeypatch.setattr(parquet, "BATCH_ROWS", batch_rows)

    path = tmp_path / "text.parquet"
    pd.DataFrame({"city": pd.Series(values, dtype=object)}).astype({"city": "str"}).to_parquet(
        path, row_group_size=1000
    )
    source = ParquetColumns(path, name="reference")
    assert source._is_text("city")
    counted = source.summary("city", side="reference")
    expected = summarize(source.column("city"), name="city", side="reference")
    assert (counted.dtype, counted.kind, counted.rows, counted.missing, counted.examples) == (
        expected.dtype, expected.kind, expected.rows, expected.missing, expected.examples
    )
    pd.testing.assert_series_equal(counted.value_counts, expected.value_counts)
    facts = source.facts("city")
    assert (facts.dtype, facts.kind, facts.missing) == (expected.dtype, expected.kind, expected.missing)
    assert facts.distinct == len(expected.value_counts)


def test_a_text_column_whose_dictionary_outgrew_its_page_is_counted_from_plain_values(tmp_path):
    path = tmp_path / "wide.parquet"
    values = [f"user-{i:08d}" for i in range(120_000)]
    pd.DataFrame({"user": values[::-1] + values[:5000]}).to_parquet(path, dictionary_pagesize_limit=1 << 12)
    source = ParquetColumns(path, name="reference")
    assert not source._small_dictionary("user")
    summary = source.summary("user", side="reference")
    assert len(summary.value_counts) == 120_000 and int(summary.value_counts.max()) == 2
    assert source.facts("user").distinct == 120_000
