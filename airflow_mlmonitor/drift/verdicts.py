"""Reading Evidently's own verdicts out of its JSON snapshot, and the dataset-drift rule. Airflow-free.

The verdicts of a check come from the engine (:func:`airflow_mlmonitor.drift.engine.compute_column_drift`).
:func:`verdicts_from_snapshot` interprets an Evidently 0.7 run (``Report.run(...).dict()``): the
method it picked, its threshold, score and drift decision per column. The benchmark and the
parity tests use it to hold the engine to Evidently's answers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from airflow_mlmonitor.drift.methods import EVIDENTLY_NAMES
from airflow_mlmonitor.drift.types import ColumnDrift, ColumnType

#: Evidently's stat-test display names (what its snapshot reports for auto-picked methods) -> ids
#: (what ``method=``/``num_method=``... accept), from the method registry. Kept equal to
#: Evidently's registry by a test.
METHOD_IDS: Mapping[str, str] = EVIDENTLY_NAMES
_VALUE_DRIFT = "evidently:metric_v2:ValueDrift"


def method_id(name: str) -> str:
    """Evidently's method id for a display name (ids and unknown names pass through)."""
    return METHOD_IDS.get(name, name)


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
