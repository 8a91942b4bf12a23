"""The drift report: the native page (from the engine's full-data verdicts) vs Evidently's own page.

For 10 and 50 columns (1,000 current rows, 2,000 reference rows) it times, in this process: the
native path (``compute_column_drift`` then ``render_native_report``; Evidently never imported) and
Evidently's path (``render_report``: one ``DataDriftPreset`` run and its HTML, import excluded),
and prints both page sizes. Prints one table.

Run by hand: ``.venv/bin/python tests/benchmarks/bench_drift_report.py``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def frames(n_columns: int):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(n_columns)
    names = [f"feature_{i:03d}" for i in range(n_columns)]
    reference = pd.DataFrame(rng.normal(0, 1, (2000, n_columns)), columns=names)
    current = pd.DataFrame(rng.normal(0.05, 1, (1000, n_columns)), columns=names)
    return reference, current


def native(reference, current) -> tuple[float, int]:
    from airflow_mlmonitor.drift.columns import plan_columns
    from airflow_mlmonitor.drift.engine import compute_column_drift
    from airflow_mlmonitor.drift.options import drift_options
    from airflow_mlmonitor.drift.report import render_native_report
    from airflow_mlmonitor.drift.result import build_drift_result

    start = time.perf_counter()
    options = drift_options()
    plan = plan_columns(reference, current)
    verdicts = compute_column_drift(reference, current, options, plan.column_types)
    result = build_drift_result(verdicts, options, reference_rows=len(reference), current_rows=len(current))
    page = render_native_report(result.to_dict(), verdicts, options)
    return time.perf_counter() - start, len(page.encode())


def evidently_page(reference, current) -> tuple[float, int]:
    from airflow_mlmonitor.drift.columns import plan_columns
    from airflow_mlmonitor.drift.evidently import render_report
    from airflow_mlmonitor.drift.options import drift_options

    start = time.perf_counter()
    options = drift_options()
    plan = plan_columns(reference, current)
    page = render_report(reference, current, options, plan.column_types)["report.html"]
    return time.perf_counter() - start, len(page.encode())


def main() -> None:
    import warnings

    warnings.simplefilter("ignore")
    native(*frames(3))  # warm-up (scipy, jinja)
    import evidently  # noqa: F401  (import cost is not what we measure)

    evidently_page(*frames(3))
    print(f"{'columns':>7} | {'native s':>9} | {'native KB':>9} | {'Evidently s':>11} | {'Evidently KB':>12} | {'speed-up':>8}")
    for n_columns in (10, 50):
        ours_s, ours_bytes = native(*frames(n_columns))
        theirs_s, theirs_bytes = evidently_page(*frames(n_columns))
        print(f"{n_columns:>7} | {ours_s:>9.2f} | {ours_bytes / 1024:>9.0f} | {theirs_s:>11.1f} | "
              f"{theirs_bytes / 1024:>12.0f} | {theirs_s / ours_s:>7.0f}x")


if __name__ == "__main__":
    main()
