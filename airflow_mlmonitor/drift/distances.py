"""The exact arithmetic the drift kernels share on sorted samples, reproducing scipy's results.

- :func:`merged_cdf_chunks` / :func:`streamed_cdfs`: both samples' empirical cdfs over their merged
  values, block by block (in-memory sorted arrays, or :class:`~airflow_mlmonitor.drift.stream.SortedStream`
  blocks of ``(values, counts)``);
- :func:`cdf_distance`: ``scipy.stats._cdf_distance`` (Wasserstein for p=1, energy for p=2) on them;
- :func:`quantile_distance`: the Wasserstein-1 distance of two sorted arrays without a merge;
- :func:`sample_std`: ``np.std`` without temporaries the size of the column;
- :func:`rel_entr`: ``scipy.special.rel_entr`` value for value, without importing scipy.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np

from airflow_mlmonitor.drift.stream import aligned

if TYPE_CHECKING:
    from airflow_mlmonitor.drift.samples import ColumnPair

_CHUNK = 1 << 18  # merged values processed per step: bounds temporaries at ~15 MB


def merged_cdf_chunks(pair: ColumnPair) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Yield (values, ref_cdf, cur_cdf) over both samples merged in sorted order, block by block.

    Blocks are cut at values (at most ``_CHUNK / 2`` values of each side per block, all ties of a
    value in one block), so memory stays at the two sorted arrays plus one block. ``values`` has one
    more element than the cdfs (the next block's first value, for the deltas); a stable merge puts
    reference values before equal current values, so the cdfs are exact (``count / n`` as scipy
    computes them) at the last position of every run of ties.
    """
    ref, cur = pair.reference_sorted, pair.current_sorted
    n_ref, n_cur = len(ref), len(cur)
    step = max(1, _CHUNK // 2)
    bounds = np.unique(np.concatenate([ref[::step], cur[::step]]))[1:]
    ref_cuts = [0, *np.searchsorted(ref, bounds, side="left").tolist(), n_ref]
    cur_cuts = [0, *np.searchsorted(cur, bounds, side="left").tolist(), n_cur]
    for k in range(len(ref_cuts) - 1):
        r0, r1, c0, c1 = ref_cuts[k], ref_cuts[k + 1], cur_cuts[k], cur_cuts[k + 1]
        if r0 == r1 and c0 == c1:
            continue
        both = np.concatenate([ref[r0:r1], cur[c0:c1]])
        order = np.argsort(both, kind="stable")
        is_current = order >= (r1 - r0)
        cur_count = c0 + np.cumsum(is_current, dtype=np.int64)
        ref_count = r0 + np.cumsum(~is_current, dtype=np.int64)
        values = both[order]
        if r1 < n_ref or c1 < n_cur:  # the next value, for the last delta of the block
            following = min(ref[r1] if r1 < n_ref else np.inf, cur[c1] if c1 < n_cur else np.inf)
            values = np.append(values, following)
        yield values, ref_count / n_ref, cur_count / n_cur


def streamed_cdfs(pair: ColumnPair) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(values, ref_cdf, cur_cdf) of a streamed pair: the exact cdfs at every distinct value of
    either side, block by block (values strictly ascending across blocks)."""
    ref, cur = pair.streams
    ref_seen = cur_seen = 0
    for values, ref_counts, cur_counts in aligned(ref, cur):
        ref_cum = ref_seen + np.cumsum(ref_counts)
        cur_cum = cur_seen + np.cumsum(cur_counts)
        ref_seen, cur_seen = int(ref_cum[-1]), int(cur_cum[-1])
        yield values, ref_cum / ref.n, cur_cum / cur.n


def _streamed_cdf_distance(pair: ColumnPair, power: int) -> float:
    total = 0.0
    previous: tuple[float, float] | None = None  # last value and gap of the previous block
    for values, ref_cdf, cur_cdf in streamed_cdfs(pair):
        gap = np.abs(ref_cdf - cur_cdf)
        if power == 2:
            gap = np.square(gap)
        if previous is not None:
            total += previous[1] * (float(values[0]) - previous[0])
        total += float(np.sum(gap[:-1] * np.diff(values)))
        previous = float(values[-1]), float(gap[-1])
    return total if power == 1 else math.sqrt(total)


def cdf_distance(pair: ColumnPair, power: int) -> float:
    """scipy.stats.cdf_distance for unweighted samples (p=1 Wasserstein, p=2 energy)."""
    if pair.streamed:
        return _streamed_cdf_distance(pair, power)
    total = 0.0
    for values, ref_cdf, cur_cdf in merged_cdf_chunks(pair):
        deltas = np.diff(values)  # zero inside runs of ties, so only exact cdfs count
        size = len(deltas)
        gap = np.abs(ref_cdf[:size] - cur_cdf[:size])
        # np.sum of the products as scipy computes it (np.dot would call BLAS threads: slow on a busy machine)
        total += float(np.sum((gap if power == 1 else np.square(gap)) * deltas))
    return total if power == 1 else math.sqrt(total)


def sample_std(values: np.ndarray, block: int = 1 << 20) -> float:
    """``np.std(values)`` block by block (Chan et al.): no temporaries the size of the column."""
    if len(values) <= block:
        return float(np.std(values))
    n, mean, m2 = 0, 0.0, 0.0
    for start in range(0, len(values), block):
        part = values[start : start + block].astype(np.float64, copy=False)
        size = len(part)
        part_mean = float(np.mean(part))
        part_m2 = float(np.sum(np.square(part - part_mean)))
        delta = part_mean - mean
        total = n + size
        mean += delta * size / total
        m2 += part_m2 + delta * delta * n * size / total
        n = total
    return math.sqrt(m2 / n)


def quantile_distance(ref: np.ndarray, cur: np.ndarray, block: int = 1 << 20) -> float:
    """The Wasserstein-1 distance of two sorted samples as the integral of the gap between their
    quantile functions (equal to scipy's integral of the gap between their cdfs), with no merge
    sort: the quantile function of ``n`` sorted values steps at ``k/n``, so over the common grid of
    ``k/n`` and ``l/m`` (integers ``k*a`` and ``l*b`` over ``L = lcm(n, m)``) both sides are read by
    index. Equal sizes reduce to the mean absolute gap of the sorted values. Block by block."""
    n, m = len(ref), len(cur)
    total = 0.0
    if n == m:
        for start in range(0, n, block):
            gaps = ref[start : start + block].astype(np.float64) - cur[start : start + block]
            total += float(np.sum(np.abs(gaps)))
        return total / n
    g = math.gcd(n, m)
    a, b = m // g, n // g  # the k-th step of ref is at k*a / L, the l-th of cur at l*b / L
    lcm = n * a
    for k0 in range(0, n, block):  # ref steps k0+1..k1 and the cur steps between them
        k1 = min(n, k0 + block)
        l0, l1 = (k0 * a) // b, (k1 * a) // b if k1 < n else m
        steps = np.concatenate([np.arange(k0 + 1, k1 + 1, dtype=np.int64) * a,
                                np.arange(l0 + 1, l1 + 1, dtype=np.int64) * b])
        steps.sort(kind="stable")  # two ascending runs: a linear merge
        steps = steps[np.append(steps[1:] != steps[:-1], True)]
        widths = np.diff(steps, prepend=np.int64(k0 * a))
        gaps = ref[(steps - 1) // a].astype(np.float64) - cur[(steps - 1) // b]
        total += float(np.sum(widths * np.abs(gaps)))
    return total / lcm


def _rel_entr_one(x: float, y: float) -> float:
    if x <= 0:
        return 0.0
    ratio = x / y
    if 0.5 < ratio < 2:  # near 1: log1p keeps the digits log(x / y) loses, as scipy does
        return x * math.log1p((x - y) / y)
    return x * math.log(ratio)


def rel_entr(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """scipy.special.rel_entr (scipy 1.17) for y > 0 (here y is a mean including x), value for
    value: ``x log1p((x - y) / y)`` for ``0.5 < x/y < 2``, else ``x log(x / y)``, 0 at x = 0; with the
    C library's functions (``math``), whose results numpy's vectorised ``log`` may miss by an ulp,
    which a small distance's near-cancelling sums magnify."""
    return np.array([_rel_entr_one(a, b) for a, b in zip(x.tolist(), y.tolist(), strict=True)], dtype=np.float64)
