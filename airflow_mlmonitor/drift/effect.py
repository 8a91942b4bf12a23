"""Effect sizes for drift verdicts: how big a detected change is, per method. Airflow-free.

At a million rows every p-value test detects shifts nobody cares about; ``min_effect`` keeps a
column's drift only when its effect size reaches a floor. The effect size depends on the method:

=====================================================  ===========================================
method                                                 effect size
=====================================================  ===========================================
``ks`` and every other numerical p-value test          the two-sample Kolmogorov-Smirnov D statistic
(``t_test``, ``mannw``, ``anderson``, ``es``,           (largest gap between the two empirical CDFs,
``cramer_von_mises``, ``empirical_mmd``)               0..1)
``chisquare``, ``g_test``, ``fisher_exact``, ``TVD``   Cramér's V of the 2 x k reference/current
                                                       contingency table (0..1)
``z``                                                  the difference in proportions ``|p_ref - p_cur|``
                                                       of the category Evidently's z-test counts
distance methods (``wasserstein``, ``jensenshannon``,  the distance itself (the method's score)
``psi``, ``kl_div``, ``hellinger``, ``ed``)
=====================================================  ===========================================

Effects are computed on the non-missing values (finite values for numerical columns).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from airflow_mlmonitor.drift.types import ColumnType

if TYPE_CHECKING:
    import pandas as pd

#: Methods whose score is a p-value (drift when the score is below the threshold); the rest are distances.
P_VALUE_METHODS = frozenset(
    {
        "ks",
        "chisquare",
        "z",
        "t_test",
        "mannw",
        "anderson",
        "g_test",
        "fisher_exact",
        "TVD",
        "es",
        "cramer_von_mises",
        "empirical_mmd",
    }
)
#: Categorical p-value tests whose effect is Cramér's V.
_CRAMERS_V_METHODS = frozenset({"chisquare", "g_test", "fisher_exact", "TVD"})

#: What ``columns[c]["effect"]`` means for each kind of method (shown in the docs and the summary).
EFFECT_NAMES = {
    "ks_d": "KS D statistic",
    "cramers_v": "Cramér's V",
    "proportion_difference": "difference in proportions",
    "distance": "the distance itself",
}


def is_p_value(method: str) -> bool:
    """True when ``method``'s score is a p-value (rather than a distance)."""
    return method in P_VALUE_METHODS


def effect_kind(method: str, column_type: ColumnType) -> str:
    """Which effect size ``method`` uses: ``ks_d``, ``cramers_v``, ``proportion_difference`` or ``distance``."""
    if not is_p_value(method):
        return "distance"
    if method == "z":
        return "proportion_difference"
    if method in _CRAMERS_V_METHODS or column_type == "categorical":
        return "cramers_v"
    return "ks_d"


def effect_size(
    method: str, column_type: ColumnType, reference: pd.Series, current: pd.Series, score: float | None
) -> float | None:
    """The effect size of one column's drift (see the module table); None when not computable."""
    kind = effect_kind(method, column_type)
    if kind == "distance":
        return score
    if kind == "ks_d":
        return ks_statistic(_finite(reference), _finite(current))
    ref_counts, cur_counts = _aligned_counts(reference, current)
    if kind == "proportion_difference":
        return proportion_difference(ref_counts, cur_counts)
    return cramers_v(ref_counts, cur_counts)


def ks_statistic(reference: np.ndarray, current: np.ndarray) -> float | None:
    """Two-sample Kolmogorov-Smirnov D: the largest absolute gap between the empirical CDFs."""
    if len(reference) == 0 or len(current) == 0:
        return None
    ref, cur = np.sort(reference), np.sort(current)
    points = np.concatenate([ref, cur])
    gap = np.searchsorted(ref, points, side="right") / len(ref) - np.searchsorted(cur, points, side="right") / len(cur)
    return float(np.max(np.abs(gap)))


def cramers_v(reference_counts: np.ndarray, current_counts: np.ndarray) -> float | None:
    """Cramér's V of the 2 x k table (reference, current) x categories: ``sqrt(chi2 / n)``."""
    table = np.vstack([reference_counts, current_counts]).astype(float)
    table = table[:, table.sum(axis=0) > 0]
    total = table.sum()
    if (table.sum(axis=1) == 0).any():
        return None
    if table.shape[1] < 2:
        return 0.0
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / total
    chi2 = float(((table - expected) ** 2 / expected).sum())
    return math.sqrt(chi2 / (total * (min(table.shape) - 1)))


def proportion_difference(reference_counts: np.ndarray, current_counts: np.ndarray) -> float | None:
    """``|p_ref - p_cur|`` of the first category in sorted order (z applies to binary columns, where
    either category gives the same value)."""
    n_ref, n_cur = reference_counts.sum(), current_counts.sum()
    if n_ref == 0 or n_cur == 0:
        return None
    return float(abs(reference_counts[0] / n_ref - current_counts[0] / n_cur))


def _finite(series: pd.Series) -> np.ndarray:
    import pandas as pd

    values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    return values[np.isfinite(values)]


def _aligned_counts(reference: pd.Series, current: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Counts per category on both sides, over the union of categories in sorted order."""
    import pandas as pd

    counts = pd.concat(
        [reference.dropna().astype(str).value_counts(), current.dropna().astype(str).value_counts()], axis=1
    ).fillna(0)
    counts = counts.sort_index()
    return counts.iloc[:, 0].to_numpy(dtype=float), counts.iloc[:, 1].to_numpy(dtype=float)
