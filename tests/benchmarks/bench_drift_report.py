"""The drift operator's Evidently path: verdicts and report from ONE run vs the naive two runs.

For 10 and 50 columns (1,000 current rows, 2,000 reference rows) it times, in this process after
Evidently is imported: our path (``compute_column_drift`` then ``render_report``, one Evidently run)
and the naive path (one ``Report.run`` for the verdicts, another for the HTML), plus the XCom
payload size of the result. Prints one table.

Run by hand: ``.venv/bin/python tests/benchmarks/bench_drift_report.py``.
"""

from __future__ import annotations

import json
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


def ours(reference, current) -> tuple[float, int]:
    from airflow_mlmonitor.drift.columns import plan_columns
    from airflow_mlmonitor.drift.evidently import render_report
    from airflow_mlmonitor.drift.options import drift_options
    from airflow_mlmonitor.drift.result import build_drift_result
    from airflow_mlmonitor.drift.verdicts import compute_column_drift

    start = time.perf_counter()
    options = drift_options()
    plan = plan_columns(reference, current)
    verdicts = compute_column_drift(reference, current, options, plan.column_types)
    render_report(reference, current, options, plan.column_types)
    result = build_drift_result(verdicts, options, reference_rows=len(reference), current_rows=len(current))
    return time.perf_counter() - start, len(json.dumps(result.to_dict()))


def naive(reference, current) -> float:
    from evidently import Report
    from evidently.presets import DataDriftPreset

    start = time.perf_counter()
    Report([DataDriftPreset()], include_tests=True).run(current, reference).dict()
    Report([DataDriftPreset()]).run(current, reference).get_html_str(as_iframe=False)
    return time.perf_counter() - start


def main() -> None:
    import warnings

    warnings.simplefilter("ignore")
    import evidently  # noqa: F401  (import cost is not what we measure)

    ours(*frames(3))  # warm-up: Evidently and plotly load more modules on their first run
    naive(*frames(3))
    rows = []
    for n_columns in (10, 50):
        reference, current = frames(n_columns)
        ours_s, payload = ours(reference, current)
        naive_s = naive(reference, current)
        rows.append((n_columns, ours_s, naive_s, naive_s / ours_s, payload))
    print(f"{'columns':>7} | {'ours (1 run) s':>14} | {'naive (2 runs) s':>16} | {'speed-up':>8} | {'XCom bytes':>10}")
    for n_columns, ours_s, naive_s, ratio, payload in rows:
        print(f"{n_columns:>7} | {ours_s:>14.1f} | {naive_s:>16.1f} | {ratio:>7.2f}x | {payload:>10}")


if __name__ == "__main__":
    main()
