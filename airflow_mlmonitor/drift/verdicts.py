"""Per-column drift verdicts: the one seam every drift computation goes through. Airflow-free.

:func:`compute_column_drift` returns one :class:`ColumnDrift` per compared column. Today the
verdicts come from Evidently's own run (``drift/evidently.py``), read out of its JSON snapshot by
:func:`verdicts_from_snapshot`, so they are Evidently's verdicts by construction: the method it picked
(K-S / chi-square / Z for references of at most 1,000 rows, normed Wasserstein / Jensen-Shannon
above), its threshold, its score and its drift decision (p-value below the threshold, or distance
at or above it). A faster engine can replace the body of :func:`compute_column_drift` without
touching the operator.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from airflow_mlmonitor.drift.types import ColumnDrift, ColumnType, DriftOptions

if TYPE_CHECKING:
    import pandas as pd

#: Evidently's stat-test display names (what its snapshot reports for auto-picked methods) -> ids
#: (what ``method=``/``num_method=``... accept). Kept equal to Evidently's registry by a test.
METHOD_IDS: Mapping[str, str] = {
    "Anderson-Darling": "anderson",
    "chi-square p_value": "chisquare",
    "Cramer-von Mises": "cramer_von_mises",
    "Energy-distance": "ed",
    "Epps-Singleton": "es",
    "Fisher's Exact test": "fisher_exact",
    "g_test": "g_test",
    "Hellinger distance": "hellinger",
    "Jensen-Shannon distance": "jensenshannon",
    "Kullback-Leibler divergence": "kl_div",
    "K-S p_value": "ks",
    "Mann-Whitney U-rank test": "mannw",
    "empirical_mmd": "empirical_mmd",
    "PSI": "psi",
    "t_test": "t_test",
    "Total-Variation-Distance": "TVD",
    "Wasserstein distance (normed)": "wasserstein",
    "Z-test p_value": "z",
}
_VALUE_DRIFT = "evidently:metric_v2:ValueDrift"


def method_id(name: str) -> str:
    """Evidently's method id for a display name (ids and unknown names pass through)."""
    return METHOD_IDS.get(name, name)


def compute_column_drift(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    options: DriftOptions,
    column_types: Mapping[str, ColumnType],
) -> list[ColumnDrift]:
    """The drift verdict of every column of ``column_types``, in that order."""
    from airflow_mlmonitor.drift.evidently import run_evidently

    run = run_evidently(reference, current, options, column_types)
    return verdicts_from_snapshot(run.snapshot, column_types)


def verdicts_from_snapshot(
    snapshot: Mapping[str, Any], column_types: Mapping[str, ColumnType]
) -> list[ColumnDrift]:
    """Read the per-column verdicts out of an Evidently 0.7 snapshot dict (``Snapshot.dict()``).

    Each ``ValueDrift`` metric gives the column, the resolved method and threshold and the score;
    its ``drift`` test is ``FAIL`` when Evidently detected drift. The report must have been run
    with ``include_tests=True``.
    """
    status = {
        test.get("metric_config", {}).get("metric_id"): test.get("status")
        for test in snapshot.get("tests", [])
        if test.get("id") == "drift"
    }
    found: dict[str, ColumnDrift] = {}
    for metric in snapshot.get("metrics", []):
        config = metric.get("config", {})
        if config.get("type") != _VALUE_DRIFT or config.get("column") not in column_types:
            continue
        name = config["column"]
        if metric.get("id") not in status:
            raise ValueError(f"Evidently snapshot has no drift test for column {name!r} (run with include_tests)")
        score = metric.get("value")
        found[name] = ColumnDrift(
            name=name,
            column_type=column_types[name],
            method=method_id(str(config.get("method"))),
            score=None if score is None else float(score),
            threshold=float(config["threshold"]),
            drifted=status[metric["id"]] == "FAIL",
        )
    missing = [c for c in column_types if c not in found]
    if missing:
        raise ValueError(f"Evidently snapshot has no drift result for columns {missing}")
    return [found[c] for c in column_types]


def dataset_drift(verdicts: list[ColumnDrift], drift_share: float) -> tuple[int, float, bool]:
    """``(drifted count, drifted share, dataset drift)``: drift when the share is >= ``drift_share``."""
    drifted = sum(1 for v in verdicts if v.drifted)
    share = drifted / len(verdicts) if verdicts else 0.0
    return drifted, share, bool(verdicts) and share >= drift_share
