"""The reference-vs-current distribution of one column, from the full data, for the native report.

Computed from the column's summaries while the engine holds them (sorted values: bin counts by
binary search; categorical: the exact counts), so the report costs no second pass over the data.
"""

from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING, Literal

import numpy as np

from airflow_mlmonitor.drift.samples import ColumnPair

if TYPE_CHECKING:
    from airflow_mlmonitor.drift.stream import SortedStream

#: histogram bins of a numerical column, categories shown before "other"
BINS = 30
TOP_CATEGORIES = 12


@dataclasses.dataclass(frozen=True)
class Distribution:
    """Shares of reference and current values per bin (``histogram``) or category (``bars``)."""

    kind: Literal["histogram", "bars"]
    labels: tuple[str, ...]  # bin lower edges / category names
    reference: tuple[float, ...]
    current: tuple[float, ...]
    low: float | None = None  # histogram range
    high: float | None = None


def _label(value: float) -> str:
    return f"{value:.4g}"


def _below(stream: SortedStream, edges: np.ndarray) -> np.ndarray:
    """How many values of the stream are below each edge (one pass)."""
    below = np.zeros(len(edges), dtype=np.int64)
    for values, counts in stream.chunks():
        cumulative = np.concatenate(([0], np.cumsum(counts)))
        below += cumulative[np.searchsorted(values, edges, side="left")]
    return below


def histogram(pair: ColumnPair, bins: int = BINS) -> Distribution:
    remote = hasattr(pair, "bin_counts")  # a pair whose values stay on Spark counts its bins there
    if remote:
        low, high = pair.value_range()  # type: ignore[attr-defined]
    elif pair.streamed:
        streams = pair.streams
        low, high = float(min(s.minimum for s in streams)), float(max(s.maximum for s in streams))
    else:
        ref, cur = pair.reference_sorted, pair.current_sorted
        low, high = float(min(ref[0], cur[0])), float(max(ref[-1], cur[-1]))
    if not (math.isfinite(low) and math.isfinite(high)) or low == high:
        edges = np.array([low, high if high > low else low + 1.0])
    else:
        edges = np.linspace(low, high, bins + 1)
    if remote:
        counts = pair.bin_counts(edges)  # type: ignore[attr-defined]
        shares = [tuple(float(c) / n for c in side) for side, n in zip(counts, (pair.n_reference, pair.n_current), strict=True)]
        return Distribution("histogram", tuple(_label(e) for e in edges[:-1]), shares[0], shares[1], low, high)
    shares = []
    for index in (0, 1):
        if pair.streamed:
            stream = pair.streams[index]
            positions, size = _below(stream, edges), stream.n
        else:
            values = (ref, cur)[index]
            positions, size = np.searchsorted(values, edges, side="left"), len(values)
        positions[-1] = size  # the last bin is closed on the right
        shares.append(tuple(float(c) / size for c in np.diff(positions)))
    return Distribution("histogram", tuple(_label(e) for e in edges[:-1]), shares[0], shares[1], low, high)


def bars(pair: ColumnPair, top: int = TOP_CATEGORIES) -> Distribution:
    keys, ref_counts, cur_counts = pair.counts
    ref_share = ref_counts / max(1, pair.n_reference)
    cur_share = cur_counts / max(1, pair.n_current)
    order = np.argsort(-(ref_share + cur_share), kind="stable")
    shown = order[:top]
    labels = [str(keys[i]) for i in shown]
    ref_out, cur_out = [float(ref_share[i]) for i in shown], [float(cur_share[i]) for i in shown]
    if len(order) > top:
        rest = order[top:]
        labels.append(f"other ({len(rest)} values)")
        ref_out.append(float(ref_share[rest].sum()))
        cur_out.append(float(cur_share[rest].sum()))
    return Distribution("bars", tuple(labels), tuple(ref_out), tuple(cur_out))


def distribution(pair: ColumnPair) -> Distribution:
    """Histogram for a numerical column with more than 20 values, else bars of its values."""
    if pair.column_type == "numerical" and pair.reference_nunique_exceeds(20):
        return histogram(pair)
    return bars(pair)
