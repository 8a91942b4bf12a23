"""Sorted-value streams: builders (memory, spill files, sorted blocks) and kernels on streams
giving the same scores, verdicts and distributions as the in-memory sorted arrays."""

from __future__ import annotations

import logging
import os

import numpy as np
import pandas as pd
import pytest

from airflow_mlmonitor.drift import stream as st
from airflow_mlmonitor.drift.distribution import distribution
from airflow_mlmonitor.drift.engine import compute_column_drift
from airflow_mlmonitor.drift.methods import METHODS
from airflow_mlmonitor.drift.samples import ColumnPair
from airflow_mlmonitor.drift.summary import ColumnSummary, summarize
from airflow_mlmonitor.drift.types import DriftOptions
from airflow_mlmonitor.exceptions import InvalidInputError

RNG = np.random.default_rng(11)
N = 30_000


def _datasets() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(3)
    with_gaps = rng.normal(0, 1, N)
    with_gaps[rng.choice(N, 500, replace=False)] = np.nan
    with_gaps[:7] = np.inf
    with_gaps[7:9] = -np.inf
    return {
        "continuous": (rng.normal(0, 1, N), rng.normal(0.1, 1.1, N - 7_000)),
        "skewed": (rng.lognormal(0, 2, N), rng.lognormal(0.2, 2, N // 2)),
        "ties": (np.round(rng.normal(0, 1, N), 2), np.round(rng.normal(0.05, 1, N), 2)),
        "low_cardinality": (rng.integers(0, 5, N).astype(float), rng.integers(0, 6, N).astype(float)),
        "integers_15": (rng.integers(0, 15, N), rng.integers(0, 16, N)),
        "integers_wide": (rng.integers(-500, 500, N), rng.integers(-400, 600, N)),
        "nan_inf": (with_gaps, rng.normal(0.3, 1, N)),
        "constant": (np.full(N, 2.5), np.full(N // 3, 2.5)),
        "small": (rng.normal(0, 1, 700), rng.normal(0.2, 1, 900)),
    }


DATA = _datasets()
KERNELS = ["ks", "wasserstein", "ed", "jensenshannon", "psi", "kl_div", "t_test"]


def _array_summary(values: np.ndarray, side: str) -> ColumnSummary:
    return summarize(pd.Series(values), name="x", side=side)


def _streamed_summary(values: np.ndarray, side: str, how: str) -> ColumnSummary:
    if how == "spilled":  # small runs and memory: every part of the spill path runs
        stream = st.from_unsorted(np.array_split(values, 7), run_values=9_000, memory_values=4_000)
    else:  # sorted blocks, as a database cursor gives them (with non-finite values left in)
        keys, counts = np.unique(values[~np.isnan(values)] if values.dtype.kind == "f" else values, return_counts=True)
        nan = int(np.isnan(values).sum()) if values.dtype.kind == "f" else 0
        keys, counts = np.append(keys, [np.nan] * bool(nan)), np.append(counts, [nan] * bool(nan))
        blocks = [(keys[i : i + 997], counts[i : i + 997]) for i in range(0, len(keys), 997)]
        stream = st.from_blocks(blocks, integer=values.dtype.kind == "i", memory_values=5_000)
    return ColumnSummary.streamed("x", side, str(values.dtype), stream)


def _pairs(name: str, how: str) -> tuple[ColumnPair, ColumnPair]:
    ref, cur = DATA[name]
    arrays = ColumnPair("x", "numerical", _array_summary(ref, "reference"), _array_summary(cur, "current"))
    reference = _array_summary(ref, "reference") if how == "mixed" else _streamed_summary(ref, "reference", how)
    streamed = ColumnPair("x", "numerical", reference, _streamed_summary(cur, "current", "spilled"))
    assert streamed.streamed and not arrays.streamed
    return arrays, streamed


@pytest.mark.parametrize("how", ["spilled", "blocks", "mixed"])
@pytest.mark.parametrize("name", list(DATA))
def test_kernels_on_streams_match_the_sorted_arrays(name, how):
    arrays, streamed = _pairs(name, how)
    assert (streamed.n_reference, streamed.n_current) == (arrays.n_reference, arrays.n_current)
    for method in KERNELS:
        expected, got = METHODS[method].kernel(arrays), METHODS[method].kernel(streamed)
        if np.isnan(expected):
            assert np.isnan(got), method
            continue
        assert got == pytest.approx(expected, rel=1e-9, abs=1e-300), method
        threshold = METHODS[method].default_threshold
        assert METHODS[method].drifted(got, threshold) == METHODS[method].drifted(expected, threshold)
    for limit in (2, 5, 20):
        assert streamed.n_values_exceeds(limit) == arrays.n_values_exceeds(limit)
        assert streamed.reference_nunique_exceeds(limit) == arrays.reference_nunique_exceeds(limit)
    expected_shape, shape = distribution(arrays), distribution(streamed)
    assert (shape.kind, shape.labels, shape.low, shape.high) == (
        expected_shape.kind, expected_shape.labels, expected_shape.low, expected_shape.high
    )
    assert shape.reference == pytest.approx(expected_shape.reference, rel=1e-12)
    assert shape.current == pytest.approx(expected_shape.current, rel=1e-12)


def test_the_shifted_continuous_column_drifts_on_both_paths():
    for pair in _pairs("continuous", "spilled"):  # the parity test above is not vacuous
        assert METHODS["wasserstein"].kernel(pair) > 0.05
        assert METHODS["ks"].kernel(pair) < 1e-10


@pytest.mark.parametrize("method", ["mannw", "anderson"])
def test_methods_needing_every_value_materialise_the_stream_and_say_so(method, caplog):
    arrays, streamed = _pairs("ties", "spilled")
    with caplog.at_level(logging.INFO, logger="airflow_mlmonitor.drift.summary"):
        got = METHODS[method].kernel(streamed)
    assert got == pytest.approx(METHODS[method].kernel(arrays), rel=1e-9)
    assert "materialising" in caplog.text


def test_spilled_stream_aggregates_blocks_and_cleanup(tmp_path):
    values = RNG.normal(5, 3, 50_000)
    values[::97] = np.nan
    values[::1001] = np.inf
    stream = st.from_unsorted(np.array_split(values, 9), run_values=6_000, memory_values=2_000, spill_dir=str(tmp_path))
    assert isinstance(stream, st.FileStream)
    finite = np.sort(values[np.isfinite(values)])
    assert (stream.nan, stream.infinite) == (int(np.isnan(values).sum()), int(np.isinf(values).sum()))
    assert (stream.n, stream.distinct) == (len(finite), len(np.unique(finite)))
    assert (stream.minimum, stream.maximum) == (finite[0], finite[-1])
    assert stream.mean == pytest.approx(np.mean(finite), rel=1e-12)
    assert stream.std() == pytest.approx(np.std(finite), rel=1e-12)
    assert stream.std(1) == pytest.approx(np.std(finite, ddof=1), rel=1e-12)
    blocks = list(stream.chunks(1_000))
    joined = np.concatenate([b[0] for b in blocks])
    assert np.all(np.diff(joined) > 0) and all(len(b[0]) for b in blocks)  # strictly ascending across blocks
    assert list(stream.chunks(1_000))[3][0].tolist() == blocks[3][0].tolist()  # re-iterable
    assert np.array_equal(stream.to_array(), finite)
    assert not stream.has_counts  # no repeated value: no counts file
    assert len(os.listdir(tmp_path)) == 1
    stream.close()
    assert os.listdir(tmp_path) == []  # spill files removed (runs already removed after the merge)


def test_spilled_stream_with_repeats_keeps_counts_and_integer_type(tmp_path):
    values = RNG.integers(0, 3_000, 40_000)
    stream = st.from_unsorted([values[:15_000], values[15_000:]], run_values=5_000, memory_values=500,
                              spill_dir=str(tmp_path))
    assert isinstance(stream, st.FileStream) and stream.has_counts and stream.integer
    keys, counts = np.unique(values, return_counts=True)
    got_keys, got_counts = stream.value_counts()
    assert np.array_equal(got_keys, keys) and np.array_equal(got_counts, counts)
    assert stream.counts_series().index.dtype == np.int64
    assert np.array_equal(stream.to_array(), np.sort(values)) and stream.to_array().dtype == np.int64


def test_builder_never_sorts_the_callers_array_and_keeps_one_run_in_memory():
    values = RNG.normal(0, 1, 1_000)
    before = values.copy()
    stream = st.from_unsorted([values])
    assert isinstance(stream, st.CountedStream)
    assert np.array_equal(values, before)
    assert np.array_equal(stream.to_array(), np.sort(values))


def test_blocks_merge_equal_neighbours_drop_non_finite_and_spill(tmp_path):
    blocks = [([1.0, 2.0, 2.0], [1, 2, 3]), ([2.0, 3.5], [1, 4]), ([], []), ([np.nan], [6]), ([np.inf], [2])]
    stream = st.from_blocks(blocks)
    assert isinstance(stream, st.CountedStream)
    values, counts = stream.value_counts()
    assert values.tolist() == [1.0, 2.0, 3.5] and counts.tolist() == [1, 6, 4]
    assert (stream.n, stream.distinct, stream.nan, stream.infinite) == (11, 3, 6, 2)
    summary = ColumnSummary.streamed("x", "current", "float64", stream, missing=3)
    assert (summary.rows, summary.missing, summary.infinite, summary.usable) == (22, 9, 2, 11)
    many = st.from_blocks(((np.arange(i, i + 100.0), np.ones(100)) for i in range(0, 10_000, 100)),
                          memory_values=1_000, spill_dir=str(tmp_path))
    assert isinstance(many, st.FileStream) and many.n == 10_000
    assert np.array_equal(many.to_array(), np.arange(10_000.0))


@pytest.mark.parametrize(
    ("blocks", "message"),
    [
        ([([1.0, 3.0], [1, 1]), ([2.0], [1])], "not in ascending order"),
        ([([3.0, 1.0], [1, 1])], "not in ascending order"),
        ([([1.0], [0])], "count below 1"),
        ([([1.0, 2.0], [1])], "same length"),
    ],
)
def test_bad_blocks_are_clear_errors(blocks, message, tmp_path):
    with pytest.raises(InvalidInputError, match=message):
        st.from_blocks(blocks, spill_dir=str(tmp_path), memory_values=0)
    assert os.listdir(tmp_path) == []


class _StreamedSource:
    """A summary source handing out streamed summaries for numeric columns (like a SQL source)."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame
        self.streams: list[st.SortedStream] = []

    def summary(self, name: str, *, side: str, keep_rows: bool = False) -> ColumnSummary:
        series = self.frame[name]
        if keep_rows or not pd.api.types.is_float_dtype(series.dtype):
            return summarize(series, name=name, side=side, keep_rows=keep_rows)
        stream = st.from_unsorted(np.array_split(series.to_numpy(), 4), run_values=3_000, memory_values=1_000)
        self.streams.append(stream)
        return ColumnSummary.streamed(name, side, str(series.dtype), stream)


def _frame(n: int, shift: float) -> pd.DataFrame:
    rng = np.random.default_rng(int(shift * 10) + n)
    return pd.DataFrame({
        "income": rng.normal(50 + shift, 10, n),
        "rooms": rng.integers(1, 4, n).astype(float),
        "score": np.round(rng.gamma(2 + shift, 1, n), 1),
        "city": rng.choice(["paris", "rome", "oslo"], n),
    })


@pytest.mark.parametrize("n_ref", [800, 12_000])  # small reference (ks/chisquare) and large (wasserstein/JS)
def test_engine_verdicts_on_streamed_summaries_match_the_frames(n_ref):
    reference, current = _frame(n_ref, 0.0), _frame(9_000, 0.4)
    types = {"income": "numerical", "rooms": "numerical", "score": "numerical", "city": "categorical"}
    expected = compute_column_drift(reference, current, DriftOptions(), types)
    ref_source, cur_source = _StreamedSource(reference), _StreamedSource(current)
    got = compute_column_drift(ref_source, cur_source, DriftOptions(), types)
    assert [(c.name, c.method, c.drifted) for c in got] == [(c.name, c.method, c.drifted) for c in expected]
    for mine, theirs in zip(got, expected, strict=True):
        assert mine.score == pytest.approx(theirs.score, rel=1e-9)
        assert mine.distribution == theirs.distribution or mine.distribution.reference == pytest.approx(
            theirs.distribution.reference, rel=1e-12
        )
    assert ref_source.streams and all(not os.path.exists(getattr(s, "directory", "")) for s in ref_source.streams)
