"""Evidently's drift methods as data: a registry of :class:`Method`, with fast exact kernels.

Each kernel reproduces Evidently 0.7.23's stattest function of the same name
(``evidently/legacy/calculations/stattests/*``) on a :class:`ColumnPair`: same binning, same
zero-filling, same scipy distribution functions for p-values; only the heavy parts (sorting,
counting, cumulative distributions) are done once, vectorized, and on numpy arrays. A method
registered with ``kernel=None`` runs Evidently's own function for that column.

A streamed pair (``pair.streamed``: a side is a :class:`~airflow_mlmonitor.drift.stream.SortedStream`)
runs the same kernels block by block on ``(values, counts)`` (K-S, Wasserstein, energy distance,
t-test, the binned methods): same scores within float rounding. Mann-Whitney, Anderson-Darling and
Evidently's own functions need every value and materialise the stream (logged).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from airflow_mlmonitor.drift.distances import (
    cdf_distance,
    merged_cdf_chunks,
    quantile_distance,
    rel_entr,
    sample_std,
    streamed_cdfs,
)
from airflow_mlmonitor.drift.samples import ColumnPair
from airflow_mlmonitor.drift.types import ColumnType

if TYPE_CHECKING:
    from airflow_mlmonitor.drift.stream import SortedStream

Kernel = Callable[[ColumnPair], float]
ScoreKind = Literal["p_value", "distance"]


@dataclasses.dataclass(frozen=True)
class DefaultCase:
    """When Evidently picks a method by default (``get_stattest`` with no method given).

    :param small_reference: True for a reference of at most 1,000 values, False above.
    :param column_types: the column types the case applies to.
    :param more_than: the case applies when reference and current together hold more than this
        many distinct values; among matching cases the highest ``more_than`` wins.
    """

    small_reference: bool
    column_types: frozenset[ColumnType]
    more_than: int = 0


@dataclasses.dataclass(frozen=True)
class Method:
    """One drift method, as data: Evidently's id and display name, where it applies, what its score
    is, its default threshold and verdict rule, when Evidently picks it by default, and its kernel.

    The verdict: a ``p_value`` drifts below the threshold (at or below when ``inclusive``), a
    ``distance`` at or above it (strictly above when not ``inclusive``), as in Evidently.
    """

    name: str
    evidently_name: str  # Evidently's display name (what its snapshot reports)
    column_types: frozenset[ColumnType]
    score: ScoreKind
    default_threshold: float
    kernel: Kernel | None  # None: Evidently's own implementation is used
    inclusive: bool = False
    default_when: tuple[DefaultCase, ...] = ()

    def drifted(self, score: float, threshold: float) -> bool:
        """Evidently's verdict for ``score`` against ``threshold``."""
        if self.score == "p_value":
            return score <= threshold if self.inclusive else score < threshold
        return score >= threshold if self.inclusive else score > threshold


# ---------------------------------------------------------------------------- numerical kernels


def wasserstein(pair: ColumnPair) -> float:
    std = pair.streams[0].std() if pair.streamed else sample_std(pair.reference)
    norm = max(std, 0.001)
    if pair.streamed or max(pair.n_reference, pair.n_current) > 1 << 31:  # lcm could overflow int64
        return cdf_distance(pair, 1) / norm
    return quantile_distance(pair.reference_sorted, pair.current_sorted) / norm


def energy_distance(pair: ColumnPair) -> float:
    return float(np.sqrt(2) * cdf_distance(pair, 2))


def ks(pair: ColumnPair) -> float:
    """Two-sided ks_2samp p-value; scipy itself below its exact-mode size limit."""
    from scipy import stats

    n1, n2 = pair.n_reference, pair.n_current
    if max(n1, n2) <= 10000:  # scipy's MAX_AUTO_N: exact mode, cheap at this size
        return float(stats.ks_2samp(pair.reference, pair.current)[1])
    max_s, min_s = -np.inf, np.inf
    if pair.streamed:
        for _values, ref_cdf, cur_cdf in streamed_cdfs(pair):
            diffs = ref_cdf - cur_cdf
            max_s, min_s = max(max_s, float(diffs.max())), min(min_s, float(diffs.min()))
    for values, ref_cdf, cur_cdf in () if pair.streamed else merged_cdf_chunks(pair):
        run_ends = np.append(values[1:] != values[:-1], True)[: len(ref_cdf)]  # exact cdfs only
        diffs = ref_cdf[run_ends] - cur_cdf[run_ends]
        max_s, min_s = max(max_s, float(diffs.max())), min(min_s, float(diffs.min()))
    d = max(max_s, float(np.clip(-min_s, 0, 1)))
    m, n = sorted([float(n1), float(n2)], reverse=True)
    prob = stats.kstwo.sf(d, np.round(m * n / (m + n)))
    return float(np.clip(prob, 0, 1))


def t_test(pair: ColumnPair) -> float:
    from scipy import stats

    if pair.streamed:  # scipy's ttest_ind from the streams' means and variances
        ref, cur = pair.streams
        return float(stats.ttest_ind_from_stats(ref.mean, ref.std(1), ref.n, cur.mean, cur.std(1), cur.n)[1])
    return float(stats.ttest_ind(pair.reference, pair.current)[1])


def mann_whitney(pair: ColumnPair) -> float:
    from scipy import stats

    return float(stats.mannwhitneyu(x=pair.reference, y=pair.current, alternative="less")[1])


def anderson(pair: ColumnPair) -> float:
    from scipy import stats

    return float(stats.anderson_ksamp([np.asarray(pair.reference), np.asarray(pair.current)])[2])


# ------------------------------------------------------------------------ binned distributions


def _sturges_histograms(pair: ColumnPair) -> tuple[np.ndarray, np.ndarray]:
    """Counts over ``np.histogram_bin_edges(concat(ref, cur), "sturges")`` without the concat."""
    if pair.streamed:
        streams = pair.streams
        first: float = min(s.minimum for s in streams)
        last: float = max(s.maximum for s in streams)
        size = streams[0].n + streams[1].n
        integer = all(s.integer for s in streams)
        if integer:
            first, last = int(first), int(last)
    else:
        ref, cur = pair.reference, pair.current
        first = min(ref.min(), cur.min())
        last = max(ref.max(), cur.max())
        size = len(ref) + len(cur)
        integer = bool(np.issubdtype(np.result_type(ref, cur), np.integer))
    n_bins, first, last = sturges_bins(first, last, size, integer)
    if pair.streamed:
        return _streamed_histogram(pair.streams[0], n_bins, first, last), _streamed_histogram(
            pair.streams[1], n_bins, first, last
        )
    return (
        np.histogram(ref, bins=n_bins, range=(first, last))[0],
        np.histogram(cur, bins=n_bins, range=(first, last))[0],
    )


def sturges_bins(first: Any, last: Any, size: int, integer: bool) -> tuple[int, Any, Any]:
    """numpy's Sturges rule for both sides together: ``(bins, low, high)`` of the histogram range."""
    ptp = last - first
    if first == last:
        first, last = first - 0.5, last + 0.5
    width = ptp / (np.log2(size) + 1.0)
    if not width:
        return 1, first, last
    if integer and width < 1:
        width = 1
    return int(np.ceil((last - first) / width)), first, last


def _streamed_histogram(stream: SortedStream, n_bins: int, first: float, last: float) -> np.ndarray:
    """``np.histogram(values, n_bins, range=(first, last))[0]`` of a stream (counts as weights)."""
    total = np.zeros(n_bins, dtype=np.int64)
    for values, counts in stream.chunks():
        total += np.histogram(values, bins=n_bins, range=(first, last), weights=counts)[0].astype(np.int64)
    return total


def _fill_zeroes(percents: np.ndarray) -> np.ndarray:
    smallest = min(percents[percents != 0])
    np.place(percents, percents == 0, smallest / 10**6 if smallest <= 0.0001 else 0.0001)
    return percents


def binned_percents(pair: ColumnPair, fill_zeroes: bool) -> tuple[np.ndarray, np.ndarray]:
    """Evidently's ``get_binned_data``: Sturges bins for numerical columns with > 20 values."""
    if pair.column_type == "numerical" and pair.reference_nunique_exceeds(20):
        remote = getattr(pair, "sturges_histograms", None)  # a pair whose values stay on Spark counts there
        ref_counts, cur_counts = remote() if remote is not None else _sturges_histograms(pair)
    else:
        _keys, ref_counts, cur_counts = pair.counts
    ref_percents = ref_counts / pair.n_reference
    cur_percents = cur_counts / pair.n_current
    if fill_zeroes:
        ref_percents, cur_percents = _fill_zeroes(ref_percents), _fill_zeroes(cur_percents)
    return ref_percents, cur_percents


def jensenshannon(pair: ColumnPair) -> float:
    """scipy.spatial.distance.jensenshannon (natural log) without importing scipy.spatial."""
    p, q = binned_percents(pair, fill_zeroes=False)
    p, q = p / np.sum(p), q / np.sum(q)
    middle = (p + q) / 2.0
    return float(np.sqrt((np.sum(rel_entr(p, middle)) + np.sum(rel_entr(q, middle))) / 2.0))


def psi(pair: ColumnPair) -> float:
    ref, cur = binned_percents(pair, fill_zeroes=True)
    return float(np.sum((ref - cur) * np.log(ref / cur)))


def kl_div(pair: ColumnPair) -> float:
    from scipy import stats

    return float(stats.entropy(*binned_percents(pair, fill_zeroes=True)))


# ---------------------------------------------------------------------------- counted kernels


def chisquare(pair: ColumnPair) -> float:
    from scipy import stats

    _keys, ref_counts, cur_counts = pair.counts
    k_norm = pair.n_current / pair.n_reference
    f_exp = [int(count) * k_norm for count in ref_counts]
    return float(stats.chisquare([int(c) for c in cur_counts], f_exp)[1])


def g_test(pair: ColumnPair) -> float:
    from scipy import stats

    _keys, ref_counts, cur_counts = pair.counts
    return float(
        stats.power_divergence([int(c) for c in cur_counts], [int(c) for c in ref_counts], lambda_="log-likelihood")[1]
    )


def z_test(pair: ColumnPair) -> float:
    """Two-proportion z-test on "equals the smallest value" (Evidently's binary z-test)."""
    from scipy.stats import norm

    keys, ref_counts, cur_counts = pair.counts
    ref_keys = [k for k, c in zip(keys, ref_counts, strict=True) if c]
    cur_keys = [k for k, c in zip(keys, cur_counts, strict=True) if c]
    if len(ref_keys) == 1 and len(cur_keys) == 1 and ref_keys[0] == cur_keys[0]:
        return 1.0
    first = keys.index(sorted(keys)[0])
    n1, n2 = pair.n_reference, pair.n_current
    p1 = float(n1 - int(ref_counts[first])) / n1
    p2 = float(n2 - int(cur_counts[first])) / n2
    pooled = float(p1 * n1 + p2 * n2) / (n1 + n2)
    z = (p1 - p2) / np.sqrt(pooled * (1 - pooled) * (1.0 / n1 + 1.0 / n2))
    return float(2 * (1 - norm.cdf(np.abs(z))))


# -------------------------------------------------------------------------------- the registry

_NUM: frozenset[ColumnType] = frozenset({"numerical"})
_CAT: frozenset[ColumnType] = frozenset({"categorical"})
_BOTH: frozenset[ColumnType] = frozenset({"numerical", "categorical"})
_P: ScoreKind = "p_value"
_D: ScoreKind = "distance"
_SMALL, _LARGE = True, False

METHODS: dict[str, Method] = {
    m.name: m
    for m in (
        Method("ks", "K-S p_value", _NUM, _P, 0.05, ks, inclusive=True,
               default_when=(DefaultCase(_SMALL, _NUM, more_than=5),)),
        Method("chisquare", "chi-square p_value", _CAT, _P, 0.05, chisquare,
               default_when=(DefaultCase(_SMALL, _BOTH, more_than=2),)),
        Method("z", "Z-test p_value", _CAT, _P, 0.05, z_test, default_when=(DefaultCase(_SMALL, _BOTH),)),
        Method("wasserstein", "Wasserstein distance (normed)", _NUM, _D, 0.1, wasserstein, inclusive=True,
               default_when=(DefaultCase(_LARGE, _NUM, more_than=5),)),
        Method("jensenshannon", "Jensen-Shannon distance", _BOTH, _D, 0.1, jensenshannon, inclusive=True,
               default_when=(DefaultCase(_LARGE, _BOTH),)),
        Method("psi", "PSI", _BOTH, _D, 0.1, psi, inclusive=True),
        Method("kl_div", "Kullback-Leibler divergence", _BOTH, _D, 0.1, kl_div, inclusive=True),
        Method("ed", "Energy-distance", _NUM, _D, 0.1, energy_distance),
        Method("t_test", "t_test", _NUM, _P, 0.05, t_test),
        Method("mannw", "Mann-Whitney U-rank test", _NUM, _P, 0.05, mann_whitney),
        Method("anderson", "Anderson-Darling", _NUM, _P, 0.1, anderson),
        Method("g_test", "g_test", _CAT, _P, 0.1, g_test),
        # Evidently's own implementation (randomised, data-dependent errors, or rarely used):
        Method("hellinger", "Hellinger distance", _BOTH, _D, 0.1, None, inclusive=True),
        Method("fisher_exact", "Fisher's Exact test", _CAT, _P, 0.1, None),
        Method("TVD", "Total-Variation-Distance", _CAT, _P, 0.1, None),
        Method("es", "Epps-Singleton", _NUM, _P, 0.05, None),
        Method("cramer_von_mises", "Cramer-von Mises", _NUM, _P, 0.1, None),
        Method("empirical_mmd", "empirical_mmd", _NUM, _P, 0.1, None),
    )
}

#: Evidently's display names (its snapshot's ``method``) -> method ids (what ``method=`` accepts)
EVIDENTLY_NAMES: dict[str, str] = {m.evidently_name: m.name for m in METHODS.values()}


def default_method(small_reference: bool, column_type: ColumnType, n_values: Callable[[int], bool]) -> Method:
    """Evidently's default method: the matching :class:`DefaultCase` with the highest ``more_than``.

    :param n_values: ``n_values(k)`` tells whether both sides together hold more than ``k`` values
        (asked only for the cases that could match, so it can be computed lazily).
    """
    cases = sorted(
        (
            (case.more_than, method)
            for method in METHODS.values()
            for case in method.default_when
            if case.small_reference == small_reference and column_type in case.column_types
        ),
        key=lambda item: -item[0],
    )
    for more_than, method in cases:
        if more_than == 0 or n_values(more_than):
            return method
    raise AssertionError(f"no default drift method for a {column_type} column")  # the registry covers all


def evidently_score(method: str, pair: ColumnPair, threshold: float) -> tuple[float, bool]:
    """Run Evidently's own stattest ``method`` on the cleaned column (the fallback path)."""
    from evidently.legacy.calculations.stattests import get_stattest
    from evidently.legacy.core import ColumnType as EvidentlyType

    kind = EvidentlyType.Numerical if pair.column_type == "numerical" else EvidentlyType.Categorical
    reference, current = pair.as_series()
    stattest = get_stattest(reference, current, kind, method)
    result = stattest(reference, current, kind, threshold)
    return float(result.drift_score), bool(result.drifted)

