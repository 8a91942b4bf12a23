"""Sorted values of one side of a numeric column, as a stream: memory does not grow with rows.

The drift kernels need the values of a numeric column in ascending order (merged cumulative
distributions, histograms by bin edges, distinct counts). Held as one sorted array, that is 8 bytes
a value per side; a :class:`SortedStream` gives the same information block by block, from memory,
from spill files on disk, or from a database cursor, so a 100M-row column costs a few blocks.

The stream
----------
A :class:`SortedStream` is the *finite* values of one side of one numeric column:

- ``stream.chunks()``: a fresh iterator on every call (iterate it as often as needed) of blocks
  ``(values, counts)``: ``values`` a float64 array, strictly ascending within a block *and across
  blocks* (a block's first value is greater than the previous block's last), ``counts`` an int64
  array of the same length, each >= 1 (how many times that value occurs). Blocks are never empty.
- aggregates, known without a pass: ``n`` (number of values, repeats included), ``distinct``,
  ``minimum``, ``maximum``, ``mean``, ``std(ddof=0)``, ``integer`` (the values are integers: Sturges'
  bin width rule treats them differently), ``nan`` and ``infinite`` (non-finite values a builder
  dropped and counted; 0 when the values came in clean);
- ``nunique_exceeds(k)``; ``value_counts()`` (every distinct value and its count as two arrays:
  for low-cardinality uses); ``to_array()`` (every value, repeats included: materialises the
  column, only for methods that need it); ``close()`` (deletes spill files; also done when the
  stream is garbage collected).

Builders
--------
- :func:`from_array` ``(sorted_values)``: an in-memory sorted array (the classic path; the kernels
  use the array directly when both sides are arrays, so it costs nothing);
- :func:`from_counts` ``(values, counts)``: in-memory distinct values (ascending) and counts;
- :func:`from_blocks` ``(blocks, *, integer=False)``: an iterable of already-sorted
  ``(values, counts)`` blocks, consumed once, e.g. the rows of a SQL server-side cursor over
  ``SELECT v, COUNT(*) FROM t WHERE v IS NOT NULL GROUP BY v ORDER BY v`` fetched in batches.
  Non-finite values are dropped and counted, equal neighbours (two decimals that are the same
  float) are merged, values going down are an ``InvalidInputError``. Kept in memory up to
  :data:`MEMORY_VALUES` distinct values, spilled to a temporary file beyond;
- :func:`from_unsorted` ``(chunks, *, integer=None)`` or :class:`StreamBuilder` (``add(chunk)`` then
  ``finish()``): unsorted value arrays (e.g. parquet row groups), NaN/inf dropped and counted,
  sorted in runs of :data:`RUN_VALUES` values that are spilled to temporary files and k-way merged
  into the stream with bounded memory (a single run stays in memory).

Spill files go to ``spill_dir`` (default: the system temporary directory, ``TMPDIR``), one
directory per stream, deleted by ``close()``.

Helpers: :func:`aligned` walks two streams merged (``(values, ref_counts, cur_counts)`` blocks, what
the kernels read), :func:`merge_blocks` k-way merges streams' blocks, :func:`compress_sorted` turns
a sorted array into one ``(values, counts)`` block.

A summary source hands a stream to the engine as
``ColumnSummary.streamed(name, side, dtype, stream, missing=<NULL count>)``
(:mod:`airflow_mlmonitor.drift.summary`); the engine closes it after the column.
"""

from __future__ import annotations

import abc
import contextlib
import functools
import logging
import math
import os
import shutil
import tempfile
import weakref
from collections.abc import Iterable, Iterator
from typing import IO, TYPE_CHECKING

import numpy as np

from airflow_mlmonitor.exceptions import InvalidInputError

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger(__name__)

Block = tuple[np.ndarray, np.ndarray]
#: distinct values per block handed out by ``chunks()``
BLOCK = 1 << 17
#: distinct values a builder keeps in memory before it spills the stream to disk (16 bytes each)
MEMORY_VALUES = 1 << 21
#: unsorted values a :class:`StreamBuilder` sorts at a time (one run; 8 bytes each, twice while sorting)
RUN_VALUES = 1 << 22


class SortedStream(abc.ABC):
    """The finite values of one side of a numeric column in ascending order (see the module docstring)."""

    #: non-finite values dropped by the builder
    nan: int = 0
    infinite: int = 0

    @abc.abstractmethod
    def chunks(self, size: int = BLOCK) -> Iterator[Block]:
        """A fresh iterator of ``(values, counts)`` blocks of at most about ``size`` distinct values."""

    n: int
    distinct: int
    integer: bool

    @property
    @abc.abstractmethod
    def minimum(self) -> float: ...

    @property
    @abc.abstractmethod
    def maximum(self) -> float: ...

    @property
    @abc.abstractmethod
    def mean(self) -> float: ...

    @abc.abstractmethod
    def _m2(self) -> float:
        """Sum of squared deviations from the mean."""

    def std(self, ddof: int = 0) -> float:
        """Standard deviation (``np.std`` semantics: ``ddof=0`` population)."""
        if self.n - ddof <= 0:
            return math.nan
        return math.sqrt(max(self._m2(), 0.0) / (self.n - ddof))

    def nunique_exceeds(self, limit: int) -> bool:
        """Whether the stream holds more than ``limit`` distinct values."""
        return self.distinct > limit

    def value_counts(self) -> Block:
        """Every distinct value and its count (one array each; holds all distinct values)."""
        parts = list(self.chunks())
        if not parts:
            return np.empty(0), np.empty(0, dtype=np.int64)
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])

    def counts_series(self) -> pd.Series:
        """:meth:`value_counts` as a Series (index = values, integers for an integer stream)."""
        import pandas as pd

        values, counts = self.value_counts()
        keys = values.astype(np.int64) if self.integer else values
        return pd.Series(counts, index=keys)

    def to_array(self) -> np.ndarray:
        """Every value, repeats included, in ascending order (materialises the column)."""
        out = np.empty(self.n, dtype=np.float64)
        at = 0
        for values, counts in self.chunks():
            size = int(counts.sum())
            out[at : at + size] = np.repeat(values, counts)
            at += size
        return out.astype(np.int64) if self.integer else out

    def close(self) -> None:  # noqa: B027 - nothing to release in memory
        """Release what the stream holds (spill files)."""

    def __enter__(self) -> SortedStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} n={self.n:,} distinct={self.distinct:,}>"


class ArrayStream(SortedStream):
    """A sorted in-memory array (ties included) as a stream; ``array`` is kept for the fast kernels."""

    def __init__(self, sorted_values: np.ndarray) -> None:
        self.array = sorted_values
        self.n = len(sorted_values)
        self.integer = sorted_values.dtype.kind in "iub"

    @functools.cached_property
    def distinct(self) -> int:  # type: ignore[override]
        values = self.array
        return int(np.count_nonzero(values[1:] != values[:-1])) + 1 if len(values) else 0

    def nunique_exceeds(self, limit: int) -> bool:
        step = max(1, self.n // 4096)  # a strided probe first: no full pass when it already shows it
        return len(np.unique(self.array[::step])) > limit or self.distinct > limit

    @property
    def minimum(self) -> float:
        return float(self.array[0]) if self.n else math.nan

    @property
    def maximum(self) -> float:
        return float(self.array[-1]) if self.n else math.nan

    @functools.cached_property
    def mean(self) -> float:  # type: ignore[override]
        return float(np.mean(self.array)) if self.n else math.nan

    def std(self, ddof: int = 0) -> float:
        return float(np.std(self.array, ddof=ddof)) if self.n > ddof else math.nan

    def _m2(self) -> float:
        return float(np.var(self.array)) * self.n

    def chunks(self, size: int = BLOCK) -> Iterator[Block]:
        values, n, start = self.array, self.n, 0
        while start < n:
            end = min(start + size, n)
            if end < n:  # never split a run of ties
                cut = int(np.searchsorted(values, values[end], side="left"))
                end = cut if cut > start else int(np.searchsorted(values, values[end], side="right"))
            yield compress_sorted(values[start:end].astype(np.float64, copy=False))
            start = end

    def to_array(self) -> np.ndarray:
        return self.array


class _Aggregates:
    """Count, distinct, min, max, mean and sum of squared deviations, block by block (Chan et al.)."""

    def __init__(self, *, moments: bool = True) -> None:
        self.moments = moments  # False: count only (sorted runs, merged later)
        self.n = 0
        self.distinct = 0
        self.minimum = math.nan
        self.maximum = math.nan
        self.mean = 0.0
        self.m2 = 0.0

    def add(self, values: np.ndarray, counts: np.ndarray) -> None:
        size = int(counts.sum())
        if not self.moments:
            block_mean = block_m2 = 0.0
        elif size == len(values):  # every count is 1 (no BLAS np.dot anywhere: its threads stall under load)
            block_mean = float(np.sum(values)) / size
            block_m2 = float(np.sum(np.square(values - block_mean)))
        else:
            block_mean = float(np.sum(values * counts)) / size
            block_m2 = float(np.sum(counts * np.square(values - block_mean)))
        if self.n == 0:
            self.minimum, self.mean, self.m2 = float(values[0]), block_mean, block_m2
        else:
            total = self.n + size
            delta = block_mean - self.mean
            self.mean += delta * size / total
            self.m2 += block_m2 + delta * delta * self.n * size / total
        self.maximum = float(values[-1])
        self.n += size
        self.distinct += len(values)


class _Stored(SortedStream):
    """A stream with known aggregates (the base of in-memory counts and spill files)."""

    def __init__(self, aggregates: _Aggregates, integer: bool) -> None:
        self.n = aggregates.n
        self.distinct = aggregates.distinct
        self.integer = integer
        self._aggregates = aggregates

    @property
    def minimum(self) -> float:
        return self._aggregates.minimum

    @property
    def maximum(self) -> float:
        return self._aggregates.maximum

    @property
    def mean(self) -> float:
        return self._aggregates.mean if self.n else math.nan

    def _m2(self) -> float:
        return self._aggregates.m2


class CountedStream(_Stored):
    """Distinct values (ascending) and their counts, in memory."""

    def __init__(self, values: np.ndarray, counts: np.ndarray, *, integer: bool = False,
                 aggregates: _Aggregates | None = None) -> None:
        self.values, self.counts = values, counts
        if aggregates is None:
            aggregates = _Aggregates()
            if len(values):
                aggregates.add(values, counts)
        super().__init__(aggregates, integer)

    def chunks(self, size: int = BLOCK) -> Iterator[Block]:
        for start in range(0, len(self.values), size):
            yield self.values[start : start + size], self.counts[start : start + size]

    def value_counts(self) -> Block:
        return self.values, self.counts


class FileStream(_Stored):
    """Distinct values and counts in spill files (raw float64 / int64; no counts file while every
    count is 1), read block by block; the files' directory is deleted by ``close()``."""

    def __init__(self, directory: str, aggregates: _Aggregates, *, integer: bool, has_counts: bool) -> None:
        super().__init__(aggregates, integer)
        self.directory = directory
        self.has_counts = has_counts
        self._cleanup = weakref.finalize(self, shutil.rmtree, directory, ignore_errors=True)

    def chunks(self, size: int = BLOCK) -> Iterator[Block]:
        with contextlib.ExitStack() as files:
            values_file = files.enter_context(open(os.path.join(self.directory, "values"), "rb"))
            counts_file = files.enter_context(open(os.path.join(self.directory, "counts"), "rb")) if self.has_counts else None
            while True:
                values = np.fromfile(values_file, dtype=np.float64, count=size)
                if not len(values):
                    return
                if counts_file is None:
                    counts = np.ones(len(values), dtype=np.int64)
                else:
                    counts = np.fromfile(counts_file, dtype=np.int64, count=len(values))
                yield values, counts

    def close(self) -> None:
        self._cleanup()


class _Sink:
    """Takes strictly ascending distinct-value blocks; keeps them in memory up to ``memory_values``
    distinct values, then writes them to a spill directory. ``finish()`` gives the stream."""

    def __init__(self, *, integer: bool, memory_values: int = MEMORY_VALUES, spill_dir: str | None = None,
                 moments: bool = True) -> None:
        self.integer = integer
        self.memory_values = memory_values
        self.spill_dir = spill_dir
        self.aggregates = _Aggregates(moments=moments)
        self.pending: list[Block] = []
        self.pending_size = 0
        self.directory: str | None = None
        self.values_file: IO[bytes] | None = None
        self.counts_file: IO[bytes] | None = None

    def add(self, values: np.ndarray, counts: np.ndarray) -> None:
        if not len(values):
            return
        self.aggregates.add(values, counts)
        self.pending.append((values, counts))
        self.pending_size += len(values)
        if self.directory is not None or self.pending_size > self.memory_values:
            self._flush()

    def _flush(self) -> None:
        if self.directory is None:
            self.directory = tempfile.mkdtemp(prefix="mlmonitor-drift-", dir=self.spill_dir)
            self.values_file = open(os.path.join(self.directory, "values"), "wb")  # noqa: SIM115
        written = self.aggregates.distinct - self.pending_size  # distinct values already on disk
        for values, counts in self.pending:
            if self.counts_file is None and bool((counts != 1).any()):  # first repeat: counts file from here on
                self.counts_file = open(os.path.join(self.directory, "counts"), "wb")  # noqa: SIM115
                for start in range(0, written, BLOCK):
                    np.ones(min(BLOCK, written - start), dtype=np.int64).tofile(self.counts_file)
            assert self.values_file is not None
            np.ascontiguousarray(values, dtype=np.float64).tofile(self.values_file)
            if self.counts_file is not None:
                np.ascontiguousarray(counts, dtype=np.int64).tofile(self.counts_file)
            written += len(values)
        self.pending, self.pending_size = [], 0

    def finish(self) -> SortedStream:
        if self.directory is None:
            values = np.concatenate([p[0] for p in self.pending]) if self.pending else np.empty(0)
            counts = np.concatenate([p[1] for p in self.pending]) if self.pending else np.empty(0, dtype=np.int64)
            return CountedStream(values, counts, integer=self.integer, aggregates=self.aggregates)
        self._flush()
        has_counts = self.counts_file is not None
        for handle in (self.values_file, self.counts_file):
            if handle is not None:
                handle.close()
        return FileStream(self.directory, self.aggregates, integer=self.integer, has_counts=has_counts)

    def abort(self) -> None:
        for handle in (self.values_file, self.counts_file):
            if handle is not None:
                handle.close()
        if self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)


def compress_sorted(sorted_values: np.ndarray) -> Block:
    """Distinct values and counts of a sorted array (ties adjacent): one block."""
    if not len(sorted_values):
        return sorted_values, np.empty(0, dtype=np.int64)
    distinct = sorted_values[1:] != sorted_values[:-1]
    if distinct.all():  # no ties (continuous values): nothing to compress
        return sorted_values, np.ones(len(sorted_values), dtype=np.int64)
    starts = np.flatnonzero(np.concatenate(([True], distinct)))
    counts = np.diff(np.append(starts, len(sorted_values))).astype(np.int64, copy=False)
    return sorted_values[starts], counts


def _finite(values: np.ndarray) -> tuple[np.ndarray, int, int]:
    """``values`` as float64 without NaN/inf, and the NaN and inf counts dropped."""
    values = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(values)
    kept = int(finite.sum())
    if kept == len(values):
        return values, 0, 0
    nan = int(np.isnan(values).sum())
    return values[finite], nan, len(values) - kept - nan


# ------------------------------------------------------------------------------------ builders


def from_array(sorted_values: np.ndarray) -> ArrayStream:
    """An in-memory sorted array of finite values as a stream."""
    return ArrayStream(sorted_values)


def from_counts(values: np.ndarray, counts: np.ndarray, *, integer: bool = False) -> CountedStream:
    """In-memory distinct finite values (strictly ascending) and their counts (>= 1) as a stream."""
    return CountedStream(np.asarray(values, dtype=np.float64), np.asarray(counts, dtype=np.int64), integer=integer)


def from_blocks(blocks: Iterable[tuple[object, object]], *, integer: bool = False, spill_dir: str | None = None,
                memory_values: int = MEMORY_VALUES) -> SortedStream:
    """A stream from already-sorted ``(values, counts)`` blocks (array-likes), consumed once.

    What a SQL server-side cursor over ``SELECT v, COUNT(*) ... GROUP BY v ORDER BY v`` gives,
    fetched in batches (``zip(*rows)`` of a batch is a block). Non-finite values (NaN, +-inf: a
    float column's ``'NaN'``/``'Infinity'``) are dropped and counted in ``nan``/``infinite``; equal
    neighbouring values are merged; a value lower than the one before raises ``InvalidInputError``.
    """
    sink = _Sink(integer=integer, memory_values=memory_values, spill_dir=spill_dir)
    nan = infinite = 0
    last = -math.inf
    carry: Block | None = None  # the last value of the previous block, held back to merge equal neighbours
    try:
        for raw_values, raw_counts in blocks:
            values = np.asarray(raw_values, dtype=np.float64)
            counts = np.asarray(raw_counts, dtype=np.int64)
            if values.shape != counts.shape or values.ndim != 1:
                raise InvalidInputError(
                    f"Sorted blocks must be two 1-d arrays of the same length (values, counts); got shapes "
                    f"{values.shape} and {counts.shape}."
                )
            if not len(values):
                continue
            finite = np.isfinite(values)
            if not finite.all():
                nan += int(counts[np.isnan(values)].sum())
                infinite += int(counts[np.isinf(values)].sum())
                values, counts = values[finite], counts[finite]
                if not len(values):
                    continue
            if (counts < 1).any():
                raise InvalidInputError(f"Sorted blocks have a count below 1 ({int(counts.min())}); counts must be >= 1.")
            if carry is not None:
                values = np.concatenate([carry[0], values])
                counts = np.concatenate([carry[1], counts])
            steps = np.diff(values)
            if values[0] < last or (steps < 0).any():
                where = values[0] if values[0] < last else values[1:][steps < 0][0]
                raise InvalidInputError(
                    f"Sorted blocks are not in ascending order (value {where!r} comes after a greater one); "
                    "order them by value (ORDER BY v) and drop NULLs first."
                )
            if (steps == 0).any():  # the same float twice (e.g. two decimals that round alike)
                values, counts = _merge_equal(values, counts)
            sink.add(values[:-1], counts[:-1])
            carry = (values[-1:], counts[-1:])
            last = float(values[-1])
        if carry is not None:
            sink.add(*carry)
        stream = sink.finish()
    except BaseException:
        sink.abort()
        raise
    stream.nan, stream.infinite = nan, infinite
    return stream


def _merge_equal(values: np.ndarray, counts: np.ndarray) -> Block:
    starts = np.flatnonzero(np.concatenate(([True], values[1:] != values[:-1])))
    return values[starts], np.add.reduceat(counts, starts)


def merge_blocks(iterators: list[Iterator[Block]]) -> Iterator[Block]:
    """k-way merge of streams' blocks into one sequence of strictly ascending blocks (counts summed).

    Each step takes, from every input, the values up to the smallest "last buffered value" among
    them: no input can later yield a value at or below it, so the step's output is final.
    """
    buffers: list[Block | None] = [None] * len(iterators)
    done = [False] * len(iterators)
    while True:
        for i, iterator in enumerate(iterators):
            while not done[i] and (buffers[i] is None or not len(buffers[i][0])):  # type: ignore[index]
                try:
                    buffers[i] = next(iterator)
                except StopIteration:
                    done[i], buffers[i] = True, None
        active = [b for b in buffers if b is not None and len(b[0])]
        if not active:
            return
        bound = min(b[0][-1] for b in active)
        parts_v, parts_c = [], []
        for i, buffer in enumerate(buffers):
            if buffer is None or not len(buffer[0]):
                continue
            cut = int(np.searchsorted(buffer[0], bound, side="right"))
            if cut:
                parts_v.append(buffer[0][:cut])
                parts_c.append(buffer[1][:cut])
                buffers[i] = (buffer[0][cut:], buffer[1][cut:])
        if len(parts_v) == 1:
            yield parts_v[0], parts_c[0]
            continue
        values = np.concatenate(parts_v)
        if all(int(c.sum()) == len(c) for c in parts_c):  # every count is 1: sort the values alone
            values.sort(kind="stable")  # a merge of the presorted parts
            yield compress_sorted(values)
            continue
        counts = np.concatenate(parts_c)
        order = np.argsort(values, kind="stable")
        yield _merge_equal(values[order], counts[order])


class StreamBuilder:
    """Builds a stream from unsorted value chunks with bounded memory (:func:`from_unsorted`).

    ``add(chunk)`` as often as needed (NaN/inf dropped and counted), then ``finish()``. Values are
    buffered up to ``run_values``, sorted into a run and spilled; ``finish()`` k-way merges the
    runs (a single run is kept in memory). ``integer`` defaults to the dtype of the first chunk.
    """

    def __init__(self, *, integer: bool | None = None, spill_dir: str | None = None, run_values: int = RUN_VALUES,
                 memory_values: int = MEMORY_VALUES) -> None:
        self.integer = integer
        self.spill_dir = spill_dir
        self.run_values = run_values
        self.memory_values = memory_values
        self.nan = self.infinite = 0
        self._buffer: list[np.ndarray] = []
        self._buffered = 0
        self._runs: list[SortedStream] = []

    def add(self, chunk: np.ndarray) -> None:
        chunk = np.asarray(chunk)
        if self.integer is None:
            self.integer = chunk.dtype.kind in "iub"
        values, nan, infinite = _finite(chunk)
        self.nan += nan
        self.infinite += infinite
        if not len(values):
            return
        self._buffer.append(values)
        self._buffered += len(values)
        if self._buffered >= self.run_values:
            self._spill_run()

    def _sorted_buffer(self) -> np.ndarray:
        if len(self._buffer) == 1:
            values = np.sort(self._buffer[0])  # a copy: never sort a caller's array in place
        else:
            values = np.concatenate(self._buffer)
            values.sort()
        self._buffer, self._buffered = [], 0
        return values

    def _spill_run(self) -> None:
        sink = _Sink(integer=bool(self.integer), memory_values=0, spill_dir=self.spill_dir, moments=False)
        try:
            sink.add(*compress_sorted(self._sorted_buffer()))
            self._runs.append(sink.finish())
        except BaseException:
            sink.abort()
            raise

    def finish(self, *, integer: bool | None = None) -> SortedStream:
        """The stream of every value added; ``integer`` overrides the type guessed from the first chunk."""
        integer = bool(self.integer if integer is None else integer)
        try:
            if not self._runs:
                # one run: kept in memory (bounded by run_values)
                values, counts = compress_sorted(self._sorted_buffer()) if self._buffer else (np.empty(0), np.empty(0, np.int64))
                stream: SortedStream = from_counts(values, counts, integer=integer)
            else:
                if self._buffer:
                    self._spill_run()
                log.debug("merging %d sorted runs", len(self._runs))
                sink = _Sink(integer=integer, memory_values=self.memory_values, spill_dir=self.spill_dir)
                try:
                    block = max(1024, (1 << 21) // len(self._runs))  # ~32 MB of buffers across the runs
                    for values, counts in merge_blocks([run.chunks(block) for run in self._runs]):
                        sink.add(values, counts)
                    stream = sink.finish()
                except BaseException:
                    sink.abort()
                    raise
        finally:
            for run in self._runs:
                run.close()
            self._runs = []
        stream.nan, stream.infinite = self.nan, self.infinite
        return stream

    def abort(self) -> None:
        for run in self._runs:
            run.close()
        self._runs, self._buffer = [], []


def from_unsorted(chunks: Iterable[np.ndarray], *, integer: bool | None = None, spill_dir: str | None = None,
                  run_values: int = RUN_VALUES, memory_values: int = MEMORY_VALUES) -> SortedStream:
    """A stream from unsorted value arrays (e.g. a parquet column's row groups), memory bounded by
    ``run_values`` (sorted runs spilled and merged, see :class:`StreamBuilder`)."""
    builder = StreamBuilder(integer=integer, spill_dir=spill_dir, run_values=run_values, memory_values=memory_values)
    try:
        for chunk in chunks:
            builder.add(chunk)
        return builder.finish()
    except BaseException:
        builder.abort()
        raise


# ------------------------------------------------------------------------------- two streams


def aligned(reference: SortedStream, current: SortedStream, size: int = BLOCK) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Both streams merged: blocks ``(values, ref_counts, cur_counts)``, ``values`` the union of both
    sides' values (strictly ascending across blocks), each side's count of every value (0 when absent)."""
    iterators = [reference.chunks(size), current.chunks(size)]
    buffers: list[Block | None] = [None, None]
    done = [False, False]
    empty = np.empty(0), np.empty(0, dtype=np.int64)
    while True:
        for i in (0, 1):
            while not done[i] and (buffers[i] is None or not len(buffers[i][0])):  # type: ignore[index]
                try:
                    buffers[i] = next(iterators[i])
                except StopIteration:
                    done[i], buffers[i] = True, None
        live = [b for b in buffers if b is not None and len(b[0])]
        if not live:
            return
        bound = min(b[0][-1] for b in live)
        parts: list[Block] = []
        for i in (0, 1):
            buffer = buffers[i]
            if buffer is None or not len(buffer[0]):
                parts.append(empty)
                continue
            cut = int(np.searchsorted(buffer[0], bound, side="right"))
            parts.append((buffer[0][:cut], buffer[1][:cut]))
            buffers[i] = (buffer[0][cut:], buffer[1][cut:])
        values = np.union1d(parts[0][0], parts[1][0])
        sides = []
        for part_values, part_counts in parts:
            counts = np.zeros(len(values), dtype=np.int64)
            counts[np.searchsorted(values, part_values)] = part_counts
            sides.append(counts)
        yield values, sides[0], sides[1]
