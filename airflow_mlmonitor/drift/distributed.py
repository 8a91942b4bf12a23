"""Exact drift on Spark: the driver collects O(buckets + categories) numbers, never a column.

A Spark column becomes a :class:`~airflow_mlmonitor.drift.spark_summary.SparkSummary` (its facts
plus a handle on the DataFrame). When
both sides of a numerical column are on Spark the engine gets a :class:`SparkPair`, whose
kernels compute Evidently's scores where the data is:

- both sides' finite values are labelled (0 = reference, 1 = current) and cut into buckets at
  approximate quantiles (literal boundaries, so every job sees the same buckets); integer columns
  with few distinct values are first counted per distinct value (``r``, ``c``);
- one small job collects per bucket its range and totals; the driver turns them into offsets;
- one window pass per bucket (a RANGE frame: every row of a run of ties sees the counts through
  the whole run, so the cumulative distributions are exact) adds the offsets to the running counts
  and aggregates the largest signed gap ``F_ref - F_cur`` (KS), the integrals of
  ``|F_ref - F_cur|`` and its square over ``dx`` (Wasserstein, energy distance) and the rank sums
  and tie term (Mann-Whitney); the driver adds the terms between buckets (last value of one,
  first of the next);
- histograms (Sturges bins for PSI / KL / Jensen-Shannon, the report's 30 bins) are one
  ``groupBy(side, bin)`` with numpy's own bin edges as literals; t-test from moments.

Methods without a distributed kernel (``anderson``, Evidently's own ``es``, ``cramer_von_mises``,
``empirical_mmd``, ``hellinger``) and a pair whose other side is not on Spark collect the column's
values to the worker, with a warning. Scipy's exact small-sample modes (KS with at most 10,000
values per side, Mann-Whitney with at most 8) collect those few values. Categorical columns are
exact ``groupBy`` counts and use the ordinary kernels. pyspark is imported inside functions only.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from airflow_mlmonitor.drift import methods
from airflow_mlmonitor.drift.samples import ColumnPair
from airflow_mlmonitor.drift.spark_summary import SparkSummary
from airflow_mlmonitor.drift.summary import ColumnSummary
from airflow_mlmonitor.drift.types import ColumnType
from airflow_mlmonitor.sources.spark_session import run_spark

if TYPE_CHECKING:

    from airflow_mlmonitor.drift.methods import Method

log = logging.getLogger(__name__)
#: largest number of value buckets (also capped by ``spark.sql.shuffle.partitions``)
BUCKETS = 64
#: approximate quantiles per side (bucket boundaries; more than 20 distinct show many values)
QUANTILES = 32
#: scipy's ``ks_2samp`` uses its exact mode up to this many values per side (``MAX_AUTO_N``)
SCIPY_EXACT_KS = 10000


def column_pair(name: str, column_type: ColumnType, reference: ColumnSummary, current: ColumnSummary) -> ColumnPair:
    """A :class:`SparkPair` for a numerical column with both sides on one Spark session, else the
    ordinary :class:`ColumnPair` (a Spark side then collects what the pair asks for)."""
    if (
        isinstance(reference, SparkSummary) and isinstance(current, SparkSummary)
        and column_type == "numerical" and _same_session(reference, current)
    ):
        return SparkPair(name, column_type, reference, current)
    return ColumnPair(name, column_type, reference, current)


def _same_session(reference: SparkSummary, current: SparkSummary) -> bool:
    assert reference.spark is not None and current.spark is not None
    if reference.kind == "text" or current.kind == "text":
        return False
    return reference.spark.frame.sparkSession is current.spark.frame.sparkSession


def kernel_for(pair: ColumnPair, method: Method) -> Callable[[ColumnPair], float] | None:
    """The kernel computing ``method`` on ``pair``: the distributed one for a :class:`SparkPair`,
    else the method's own (None: Evidently's function). A Spark pair without a distributed kernel
    collects its values (with a warning)."""
    if not isinstance(pair, SparkPair):
        return method.kernel
    kernel = SPARK_KERNELS.get(method.name)
    if kernel is None:
        log.warning(
            "Drift method %r has no distributed kernel (these do: %s); column %r is collected to the worker.",
            method.name, ", ".join(sorted(SPARK_KERNELS)), pair.name,
        )
        return method.kernel
    return kernel


@dataclasses.dataclass(frozen=True)
class Buckets:
    """Per value bucket (non-empty ones, in value order): range and totals of both sides."""

    low: np.ndarray
    high: np.ndarray
    reference: np.ndarray  # values per bucket
    current: np.ndarray
    reference_distinct: int
    distinct: int
    ids: np.ndarray


class SparkPair(ColumnPair):
    """Reference and current of a numerical column, both on Spark (see the module docstring)."""

    def __init__(self, name: str, column_type: ColumnType, reference: SparkSummary, current: SparkSummary) -> None:
        self.name = name
        self.column_type: ColumnType = column_type
        self.summaries = (reference, current)
        for summary in self.summaries:
            summary.check_usable()
        self._sorted = [None, None]
        self.n_reference, self.n_current = reference.usable, current.usable
        self.spark = (reference.spark, current.spark)
        self.session = reference.spark.frame.sparkSession if reference.spark is not None else None

    def _run(self, action: Callable[[], Any]) -> Any:
        assert self.spark[1] is not None
        return run_spark(action, f"drift of column {self.name!r} on Spark")

    def _union(self) -> Any:
        ref, cur = self.spark
        assert ref is not None and cur is not None
        return ref.values(0).unionByName(cur.values(1))

    @functools.cached_property
    def moments(self) -> dict[int, dict[str, Any]]:
        """Per side: count, min, max, mean, sample and population std, approximate quantiles."""
        from pyspark.sql import functions as F

        quantiles = [k / (QUANTILES + 1) for k in range(1, QUANTILES + 1)]
        rows = self._run(lambda: self._union().groupBy("side").agg(
            F.count("v").alias("n"), F.min("v").alias("min"), F.max("v").alias("max"), F.avg("v").alias("mean"),
            F.stddev_samp("v").alias("std"), F.stddev_pop("v").alias("std_pop"),
            F.percentile_approx("v", quantiles, 1000).alias("q"),
        ).collect())
        return {int(r["side"]): r.asDict() for r in rows}

    def _partitions(self) -> int:
        try:
            partitions = int(self.session.conf.get("spark.sql.shuffle.partitions"))  # type: ignore[union-attr]
        except Exception:  # a Connect server that hides its settings
            partitions = BUCKETS
        return max(2, min(BUCKETS, partitions))

    def _quantiles(self, *sides: int) -> set[float]:
        return {float(q) for side in sides for q in (self.moments[side]["q"] or [])}

    @functools.cached_property
    def bounds(self) -> list[float]:
        """Bucket boundaries: both sides' approximate quantiles, sorted, strictly inside the range."""
        low, high = self.value_range()
        return sorted(v for v in self._quantiles(0, 1) if low < v <= high)

    def value_range(self) -> tuple[float, float]:
        m = self.moments
        return float(min(m[0]["min"], m[1]["min"])), float(max(m[0]["max"], m[1]["max"]))

    @functools.cached_property
    def grouped(self) -> bool:
        """Count per distinct value before moving rows: when the values have heavy ties (an integer
        column with few distinct values); continuous values move as they are."""
        distinct = [s.distinct for s in self.summaries]
        if any(d is None for d in distinct):
            return False
        return 4 * max(d for d in distinct if d is not None) < self.n_reference + self.n_current

    def _rows(self) -> Any:
        """``(b, v, r, c)``: the bucket, the value and how many reference / current rows it stands
        for (1 and 0 per raw row, or the counts per distinct value when :attr:`grouped`)."""
        from pyspark.sql import functions as F

        union = self._union()
        labelled = union.select(_bin_index(F.col("v"), self.bounds).alias("b"), "v",
                                (F.lit(1) - F.col("side")).alias("r"), F.col("side").alias("c"))
        if self.grouped:
            return labelled.groupBy("b", "v").agg(F.sum("r").alias("r"), F.sum("c").alias("c"))
        return labelled

    @functools.cached_property
    def buckets(self) -> Buckets:
        from pyspark.sql import functions as F

        rows = self._run(lambda: self._rows().groupBy("b").agg(
            F.min("v").alias("low"), F.max("v").alias("high"), F.sum("r").alias("r"), F.sum("c").alias("c"),
            F.sum(F.when(F.col("r") > 0, 1).otherwise(0)).alias("rd"), F.count(F.lit(1)).alias("d"),
        ).orderBy("b").collect())
        column = lambda key, dtype: np.array([r[key] for r in rows], dtype=dtype)  # noqa: E731
        return Buckets(column("low", np.float64), column("high", np.float64), column("r", np.int64),
                       column("c", np.int64), int(column("rd", np.int64).sum()), int(column("d", np.int64).sum()),
                       column("b", np.int64))

    def _distinct_exceeds(self, limit: int, *sides: int) -> bool:
        """Whether ``sides`` together hold more than ``limit`` distinct values: from the per-value
        counts when grouped, from the quantiles when they already show more, else counted exactly."""
        from pyspark.sql import functions as F

        if self.grouped:
            b = self.buckets
            return (b.reference_distinct if sides == (0,) else b.distinct) > limit
        if len(self._quantiles(*sides)) > limit:
            return True
        values = self._union().where(F.col("side").isin(*sides)).select("v").distinct()
        return int(self._run(lambda: values.limit(limit + 1).count())) > limit

    def n_values_exceeds(self, limit: int) -> bool:
        return self._distinct_exceeds(limit, 0, 1)

    def reference_nunique_exceeds(self, limit: int) -> bool:
        return self._distinct_exceeds(limit, 0)

    @functools.cached_property
    def cdf(self) -> dict[str, float]:
        """The empirical-distribution aggregates over both sides (see the module docstring). A RANGE
        frame makes every row of a run of ties see the counts through the whole run."""
        from pyspark.sql import Window
        from pyspark.sql import functions as F

        b, n_ref, n_cur = self.buckets, self.n_reference, self.n_current
        offsets = {}
        for key, totals in (("r", b.reference), ("c", b.current)):
            per_id = np.zeros(len(self.bounds) + 1, dtype=np.int64)
            per_id[b.ids] = totals
            starts = np.concatenate([[0], np.cumsum(per_id)[:-1]])
            offsets[key] = F.element_at(F.array(*[F.lit(int(x)) for x in starts]), F.col("b") + 1)
        through = Window.partitionBy("b").orderBy("v").rangeBetween(Window.unboundedPreceding, Window.currentRow)
        ordered = Window.partitionBy("b").orderBy("v")
        weight = F.col("r") + F.col("c")
        steps = self._rows().repartition(self._partitions(), "b").select(
            (offsets["r"] + F.sum("r").over(through)).alias("cr"),
            (offsets["c"] + F.sum("c").over(through)).alias("cc"),
            (F.lead("v").over(ordered) - F.col("v")).alias("dx"),
            F.col("r"), weight.cast("double").alias("w"),
            F.sum(weight).over(Window.partitionBy("b", "v")).cast("double").alias("t"),
        )
        gap = F.abs(F.col("cr") / F.lit(n_ref) - F.col("cc") / F.lit(n_cur))
        diff = F.col("cr") * F.lit(n_cur) - F.col("cc") * F.lit(n_ref)
        t = F.col("t")
        rank = (F.col("cr") + F.col("cc")).cast("double") - (t - 1) / 2  # average rank of the run of ties
        row = self._run(lambda: steps.agg(
            F.sum(gap * F.col("dx")).alias("w1"), F.sum(gap * gap * F.col("dx")).alias("w2"),
            F.max_by(F.struct("cr", "cc"), diff).alias("hi"), F.min_by(F.struct("cr", "cc"), diff).alias("lo"),
            F.sum(F.col("r") * rank).alias("rank_sum"), F.sum(F.col("w") * (t * t - 1)).alias("tie_term"),
        ).collect()[0])
        w1, w2 = float(row["w1"] or 0.0), float(row["w2"] or 0.0)
        cum_r, cum_c = np.cumsum(b.reference), np.cumsum(b.current)
        for k in range(len(b.ids) - 1):  # between the last value of a bucket and the first of the next
            between = abs(float(cum_r[k]) / n_ref - float(cum_c[k]) / n_cur)
            width = float(b.low[k + 1] - b.high[k])
            w1, w2 = w1 + between * width, w2 + between * between * width
        signed = lambda s: float(s["cr"]) / n_ref - float(s["cc"]) / n_cur  # noqa: E731 (as scipy: cdf1 - cdf2)
        return {"w1": w1, "w2": w2, "max": signed(row["hi"]), "min": signed(row["lo"]),
                "rank_sum": float(row["rank_sum"]), "tie_term": float(row["tie_term"])}

    def sturges_histograms(self) -> tuple[np.ndarray, np.ndarray]:
        """``methods._sturges_histograms`` with the bins counted on Spark."""
        return self.bin_counts(_sturges_edges(self))

    def bin_counts(self, edges: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Values per bin of both sides: bin i holds ``edges[i] <= v < edges[i+1]``, the last bin
        is closed (numpy's ``histogram`` and ``searchsorted`` semantics)."""
        from pyspark.sql import functions as F

        n_bins = len(edges) - 1
        rows = self._run(lambda: self._union().groupBy("side", _bin_index(F.col("v"), list(edges[1:-1])).alias("bin"))
                         .count().collect())
        out = np.zeros((2, n_bins), dtype=np.int64)
        for r in rows:
            out[int(r["side"]), int(r["bin"])] = int(r["count"])
        return out[0], out[1]


def _bin_index(value: Any, edges: list[float], below: int = 0) -> Any:
    """The number of the sorted ``edges`` at or below ``value``, as a binary search of exact double
    literals (``below``: edges already known to be at or below)."""
    from pyspark.sql import functions as F

    if not edges:
        return F.lit(below)
    mid = len(edges) // 2
    return F.when(value >= F.lit(float(edges[mid])), _bin_index(value, edges[mid + 1 :], below + mid + 1)).otherwise(
        _bin_index(value, edges[:mid], below)
    )


# ------------------------------------------------------------------------------ the kernels


def ks(pair: SparkPair) -> float:
    from scipy import stats

    n1, n2 = pair.n_reference, pair.n_current
    if max(n1, n2) <= SCIPY_EXACT_KS:
        return methods.ks(pair)  # scipy's exact mode needs the samples: at most 20,000 values
    cdf = pair.cdf
    d = max(cdf["max"], float(np.clip(-cdf["min"], 0, 1)))
    m, n = sorted([float(n1), float(n2)], reverse=True)
    return float(np.clip(stats.kstwo.sf(d, np.round(m * n / (m + n))), 0, 1))


def wasserstein(pair: SparkPair) -> float:
    reference = pair.moments[0]
    return pair.cdf["w1"] / max(float(reference["std_pop"] or 0.0), 0.001)


def energy_distance(pair: SparkPair) -> float:
    return float(np.sqrt(2) * math.sqrt(pair.cdf["w2"]))


def t_test(pair: SparkPair) -> float:
    from scipy import stats

    ref, cur = pair.moments[0], pair.moments[1]
    std = [float("nan") if s["std"] is None else float(s["std"]) for s in (ref, cur)]
    return float(stats.ttest_ind_from_stats(ref["mean"], std[0], pair.n_reference, cur["mean"], std[1], pair.n_current)[1])


def mann_whitney(pair: SparkPair) -> float:
    """scipy's ``mannwhitneyu(alternative="less")``: asymptotic with tie and continuity corrections."""
    from scipy import special

    n1, n2 = pair.n_reference, pair.n_current
    if n1 <= 8 or n2 <= 8:  # scipy may use its exact mode: a handful of values
        return methods.mann_whitney(pair)
    cdf = pair.cdf
    u1 = cdf["rank_sum"] - n1 * (n1 + 1) / 2
    u2 = n1 * n2 - u1
    n = n1 + n2
    s = math.sqrt(n1 * n2 / 12 * ((n + 1) - cdf["tie_term"] / (n * (n - 1))))
    z = (u2 - n1 * n2 / 2 - 0.5) / s if s else math.copysign(math.inf, u2 - n1 * n2 / 2 - 0.5)
    return float(np.clip(special.ndtr(-z), 0.0, 1.0))


def _sturges_edges(pair: SparkPair) -> np.ndarray:
    """The bin edges of ``methods._sturges_histograms``, from the sides' minimum and maximum."""
    sides: tuple[SparkSummary, ...] = pair.summaries  # type: ignore[assignment]
    scalar = [(np.int64 if s.integer else np.float64) for s in sides]
    m = pair.moments
    first = min(scalar[0](m[0]["min"]), scalar[1](m[1]["min"]))
    last = max(scalar[0](m[0]["max"]), scalar[1](m[1]["max"]))
    n_bins, first, last = methods.sturges_bins(first, last, pair.n_reference + pair.n_current,
                                               all(s.integer for s in sides))
    return np.histogram_bin_edges(np.empty(0, dtype=np.float64), bins=n_bins, range=(first, last))  # type: ignore[arg-type]


SPARK_KERNELS: dict[str, Callable[[Any], float]] = {
    "ks": ks, "wasserstein": wasserstein, "ed": energy_distance, "t_test": t_test, "mannw": mann_whitney,
    # binned methods: methods.binned_percents asks the pair for its Sturges histograms
    "psi": methods.psi, "kl_div": methods.kl_div, "jensenshannon": methods.jensenshannon,
}
