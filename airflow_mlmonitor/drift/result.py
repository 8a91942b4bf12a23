"""Build the drift check result (what lands in XCom) from per-column verdicts. Airflow-free."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from airflow_mlmonitor.drift.types import ColumnDrift, DriftOptions
from airflow_mlmonitor.drift.verdicts import dataset_drift
from airflow_mlmonitor.results import CheckResult

#: How many drifted column names the one-line summary shows before "...".
_SUMMARY_NAMES = 5


def summarize(drifted: Sequence[str], n_columns: int, share: float, detected: bool, drift_share: float) -> str:
    """One line for humans, e.g. ``Drift detected: 3/5 columns drifted (60%, threshold 50%): a, b, c``."""
    head = "Drift detected" if detected else "No dataset drift"
    line = f"{head}: {len(drifted)}/{n_columns} columns drifted ({share:.0%}, threshold {drift_share:.0%})"
    if drifted:
        names = ", ".join(drifted[:_SUMMARY_NAMES])
        more = f" and {len(drifted) - _SUMMARY_NAMES} more" if len(drifted) > _SUMMARY_NAMES else ""
        line += f": {names}{more}"
    return line


def build_drift_result(
    verdicts: Sequence[ColumnDrift],
    options: DriftOptions,
    *,
    reference_rows: int,
    current_rows: int,
    ignored_columns: Mapping[str, str] | None = None,
) -> CheckResult:
    """The drift :class:`CheckResult`: passes when there is no dataset drift.

    Keys: ``dataset_drift``, ``drifted_columns`` (sorted names), ``columns`` (``{name: {"method",
    "score", "threshold", "drifted"}}``), ``drift_share_threshold``, ``ignored_columns``; metrics
    ``drift_share`` (share of drifted columns), ``drifted_columns``, ``n_columns``,
    ``reference_rows``, ``current_rows``.
    """
    count, share, detected = dataset_drift(list(verdicts), options.drift_share)
    drifted = sorted(v.name for v in verdicts if v.drifted)
    return CheckResult(
        check="drift",
        passed=not detected,
        summary=summarize(drifted, len(verdicts), share, detected, options.drift_share),
        metrics={
            "drift_share": share,
            "drifted_columns": count,
            "n_columns": len(verdicts),
            "reference_rows": reference_rows,
            "current_rows": current_rows,
            "rows": current_rows,  # rows checked (the data-volume retraining trigger counts these)
        },
        details={
            "dataset_drift": detected,
            "drift_share_threshold": options.drift_share,
            "drifted_columns": drifted,
            "columns": {v.name: v.to_dict() for v in verdicts},
            "ignored_columns": sorted(ignored_columns or {}),
        },
    )
