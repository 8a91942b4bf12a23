"""Reference profiles: everything the drift engine needs about a reference, built once. Airflow-free.

A profile is one ZIP file (stored through any binary file object: local, ``ObjectStoragePath``,
S3...) holding ``profile.json`` (format name and version, rows, the column list, per-column facts:
dtype, kind, rows, missing and infinite counts, a few text examples) and, per column, its
:class:`~airflow_mlmonitor.drift.summary.ColumnSummary` values: the sorted finite values of a
numeric column (``columns/NNNN.npy``) or the exact value counts of any other column
(``columns/NNNN.json``). A check given the profile reads only ``current``; the engine computes
exactly what it computes from the raw reference, so verdicts are identical (Evidently's own
randomised methods, which depend on row order, see the values in sorted order).
"""

from __future__ import annotations

import contextlib
import functools
import json
import zipfile
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import IO, TYPE_CHECKING, Any

import numpy as np

from airflow_mlmonitor.drift.summary import ColumnSummary, counts_series, summarize
from airflow_mlmonitor.exceptions import DataLoadError, InvalidInputError

if TYPE_CHECKING:
    import pandas as pd

PROFILE_FORMAT = "airflow-mlmonitor/drift-profile"
PROFILE_VERSION = 1
_INDEX = "profile.json"
Opener = Callable[[], IO[bytes]]
_JSON_KEYS = (str, bool, int, float)


def _member(index: int, suffix: str) -> str:
    return f"columns/{index:04d}.{suffix}"


#: stored values above which a profile column is read back as a spilled stream, not one array
STREAM_VALUES = 20_000_000
_READ_VALUES = 1 << 20


def _storable(summary: ColumnSummary) -> bool:
    if summary.sorted_values is not None or summary.stream is not None:
        return True
    counts = summary.value_counts
    return counts is not None and all(isinstance(k, _JSON_KEYS) for k in counts.index.tolist())


def _entry(summary: ColumnSummary, index: int) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": summary.name, "dtype": summary.dtype, "kind": summary.kind, "rows": summary.rows,
        "missing": summary.missing, "infinite": summary.infinite, "examples": list(summary.examples),
    }
    if summary.sorted_values is not None or summary.stream is not None:
        entry.update(stored="sorted", member=_member(index, "npy"))
    elif _storable(summary):
        entry.update(stored="counts", member=_member(index, "json"))
    else:
        entry.update(stored="none")  # datetimes, lists...: never drift-tested
    return entry


def _write_values(archive: zipfile.ZipFile, summary: ColumnSummary, entry: dict[str, Any]) -> None:
    if entry["stored"] == "sorted" and summary.stream is not None:  # written block by block
        stream = summary.stream
        dtype = np.dtype(np.int64 if stream.integer else np.float64)
        header = {"descr": np.lib.format.dtype_to_descr(dtype), "fortran_order": False, "shape": (stream.n,)}
        with archive.open(entry["member"], "w", force_zip64=True) as handle:
            np.lib.format.write_array_header_2_0(handle, header)
            for block_values, block_counts in stream.chunks():
                handle.write(np.repeat(block_values, block_counts).astype(dtype, copy=False).tobytes())
    elif entry["stored"] == "sorted":
        assert summary.sorted_values is not None
        with archive.open(entry["member"], "w", force_zip64=True) as handle:
            np.lib.format.write_array(handle, summary.sorted_values, allow_pickle=False)
    elif entry["stored"] == "counts":
        assert summary.value_counts is not None
        counts = summary.value_counts
        keys = [k.item() if isinstance(k, np.generic) else k for k in counts.index.tolist()]
        archive.writestr(entry["member"], json.dumps({"keys": keys, "counts": counts.to_numpy().tolist()}))


def write_profile(
    source: Any,
    handle: IO[bytes],
    *,
    columns: Sequence[str] | None = None,
    workers: int = 2,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Summarise every column of ``source`` (``columns``, ``num_rows``, ``column(name)``) into ``handle``.

    Columns are summarised ``workers`` at a time (sorting releases the GIL) and written in order.
    Returns the profile index (what ``profile.json`` holds).
    """
    names = list(columns) if columns is not None else list(source.columns)
    absent = [c for c in names if c not in source.columns]
    if absent:
        raise InvalidInputError(f"columns names columns missing from the reference: {absent}")
    entries: list[dict[str, Any]] = []
    with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive, \
            ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="mlmonitor-profile") as pool:
        for start in range(0, len(names), max(1, workers)):  # a window of columns in memory at a time
            batch = names[start : start + max(1, workers)]
            futures = [pool.submit(_summary, source, n) for n in batch]
            for offset, future in enumerate(futures):
                summary = future.result()
                try:
                    entry = _entry(summary, start + offset)
                    _write_values(archive, summary, entry)
                finally:
                    summary.close()
                entries.append(entry)
            if progress is not None:
                progress(f"drift profile: {len(entries)}/{len(names)} columns")
        index = {"format": PROFILE_FORMAT, "version": PROFILE_VERSION, "rows": len(source),
                 "columns": [e["name"] for e in entries], "entries": entries}
        archive.writestr(_INDEX, json.dumps(index))
    return index


def _summary(source: Any, name: str) -> ColumnSummary:
    """A column's summary: the source's own (a parquet file streams large columns) or summarised."""
    if hasattr(source, "summary"):
        return source.summary(name, side="reference")  # type: ignore[no-any-return]
    return summarize(source.column(name), name=name, side="reference")


def _read_sorted(handle: IO[bytes], summary: ColumnSummary) -> None:
    """Load a stored sorted array; a large one becomes a spilled stream read block by block."""
    from airflow_mlmonitor.drift.stream import compress_sorted, from_blocks

    version = np.lib.format.read_magic(handle)
    if version == (1, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_1_0(handle)
    else:
        shape, fortran, dtype = np.lib.format.read_array_header_2_0(handle)
    if len(shape) != 1 or fortran or dtype.hasobject:
        raise ValueError(f"stored values have shape {shape} and dtype {dtype}, expected a flat numeric array")
    size = int(shape[0])

    def blocks(chunk: int) -> Iterator[np.ndarray]:
        left = size
        while left:
            count = min(chunk, left)
            data = handle.read(count * dtype.itemsize)
            if len(data) != count * dtype.itemsize:
                raise EOFError("the stored values end early")
            left -= count
            yield np.frombuffer(data, dtype=dtype)

    if size <= STREAM_VALUES:
        summary.sorted_values = np.concatenate(list(blocks(size or 1))) if size else np.empty(0, dtype=dtype)
        return
    stream = from_blocks((compress_sorted(b) for b in blocks(_READ_VALUES)), integer=dtype.kind in "iub")
    summary.stream, summary.distinct = stream, stream.distinct


class ReferenceProfile:
    """A stored profile as the reference side of a drift check (a summary source for the engine).

    :param opener: returns a fresh binary file object of the profile (called per read, so columns
        can be read in parallel threads).
    :param uri: where the profile is, for messages.
    """

    def __init__(self, opener: Opener, uri: str) -> None:
        self.opener = opener
        self.uri = uri
        self.name = "reference_profile"

    def describe(self) -> str:
        return f"reference_profile {self.uri}"

    @contextlib.contextmanager
    def _archive(self) -> Iterator[zipfile.ZipFile]:
        try:
            handle = self.opener()
        except FileNotFoundError:
            raise DataLoadError(f"{self.describe()} does not exist; build it with DriftProfileOperator.") from None
        except OSError as err:
            raise DataLoadError(f"{self.describe()} cannot be opened: {type(err).__name__}: {err}") from None
        try:
            try:
                archive = zipfile.ZipFile(handle)
            except (zipfile.BadZipFile, OSError, ValueError) as err:
                raise InvalidInputError(
                    f"{self.describe()} is not a drift profile (corrupt or another kind of file: {err}); "
                    "rebuild it with DriftProfileOperator."
                ) from None
            with archive:
                yield archive
        finally:
            handle.close()

    @functools.cached_property
    def index(self) -> dict[str, Any]:
        with self._archive() as archive:
            try:
                index = json.loads(archive.read(_INDEX))
            except (KeyError, ValueError, zipfile.BadZipFile) as err:
                raise InvalidInputError(
                    f"{self.describe()} has no readable {_INDEX} ({type(err).__name__}: {err}); it is corrupt or "
                    "not a drift profile: rebuild it with DriftProfileOperator."
                ) from None
        if not isinstance(index, dict) or index.get("format") != PROFILE_FORMAT:
            raise InvalidInputError(f"{self.describe()} is not a drift profile (format {index.get('format')!r}).")
        if index.get("version") != PROFILE_VERSION:
            raise InvalidInputError(
                f"{self.describe()} has profile format version {index.get('version')!r}; this version of "
                f"airflow-mlmonitor reads version {PROFILE_VERSION}: rebuild it with DriftProfileOperator."
            )
        return index

    @functools.cached_property
    def _entries(self) -> dict[str, dict[str, Any]]:
        return {e["name"]: e for e in self.index["entries"]}

    @property
    def columns(self) -> list[str]:
        return list(self.index["columns"])

    @property
    def num_rows(self) -> int:
        return int(self.index["rows"])

    def __len__(self) -> int:
        return self.num_rows

    def _entry(self, name: str) -> dict[str, Any]:
        if name not in self._entries:
            raise InvalidInputError(
                f"{self.describe()} has no column {name!r} (it has {', '.join(map(repr, self.columns[:20]))}); "
                "rebuild the profile with this column, or leave the column out with columns=[...]."
            )
        return self._entries[name]

    def facts(self, name: str) -> ColumnSummary:
        """The stored facts of a column (no values): dtype, kind, counts, examples."""
        e = self._entry(name)
        return ColumnSummary(name, "reference", e["dtype"], e["kind"], int(e["rows"]), int(e["missing"]),
                             infinite=int(e["infinite"]), examples=tuple(e["examples"]))

    def summary(self, name: str, *, side: str = "reference", keep_rows: bool = False) -> ColumnSummary:
        """The column's full summary, read from the profile (``keep_rows`` cannot apply: no row order)."""
        entry = self._entry(name)
        summary = self.facts(name)
        if entry["stored"] == "none":
            raise InvalidInputError(
                f"{self.describe()}: column {name!r} has dtype {entry['dtype']}, which is not drift-tested "
                "and not stored in profiles; leave it out with columns=[...]."
            )
        with self._archive() as archive:
            try:
                with archive.open(entry["member"]) as handle:
                    if entry["stored"] == "sorted":
                        _read_sorted(handle, summary)
                    else:
                        data = json.load(handle)
                        summary.value_counts = counts_series(data["keys"], data["counts"])
            except (KeyError, ValueError, zipfile.BadZipFile, EOFError) as err:
                raise InvalidInputError(
                    f"{self.describe()}: column {name!r} cannot be read ({type(err).__name__}: {err}); the file is "
                    "corrupt: rebuild it with DriftProfileOperator."
                ) from None
        return summary

    def sample_columns(self, columns: list[str], size: int | None, seed: int) -> pd.DataFrame:
        """A seeded sample per column drawn from the stored values (for Evidently's page only: the
        joint row structure is not in a profile, and missing values are left out)."""
        import pandas as pd

        rng = np.random.default_rng(seed)
        data: dict[str, Any] = {}
        rows = min(size or self.num_rows, self.num_rows)
        for name in columns:
            summary = self.summary(name)
            if summary.stream is not None:
                values: Any = summary.stream.to_array()
                summary.close()
            elif summary.sorted_values is not None:
                values = summary.sorted_values
            else:
                assert summary.value_counts is not None
                counts = summary.value_counts
                values = np.repeat(counts.index.to_numpy(dtype=object), counts.to_numpy())
            picked = values[rng.integers(0, len(values), rows)] if len(values) else np.full(rows, None)
            numeric = summary.sorted_values is not None or summary.stream is not None
            data[name] = pd.Series(picked, dtype=summary.dtype if numeric else None)
        return pd.DataFrame(data)
