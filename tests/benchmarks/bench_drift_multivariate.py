"""Multivariate drift at scale: both methods on 1,000,000 rows x 25 columns (20 numerical + 5 categorical).

Two current data sets: unchanged (null), and one where the correlation of num0 and num1 flips from
+0.9 to -0.9 with unchanged marginals (no per-column test can see it). Each case times the whole
multivariate step as the operator runs it (seeded sampling from the full frames, encoding, fitting,
scoring), next to the per-column drift engine on the same full data for scale. Prints one table.

Run by hand: ``.venv/bin/python tests/benchmarks/bench_drift_multivariate.py [--rows N]``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

N_NUM, N_CAT = 20, 5


def make_frame(rows: int, rho: float, seed: int):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    data = {f"num{i}": rng.normal(0, 1, rows) for i in range(2, N_NUM)}
    pair = rng.standard_normal((rows, 2))
    data["num0"] = pair[:, 0]
    data["num1"] = rho * pair[:, 0] + np.sqrt(1 - rho**2) * pair[:, 1]
    for j in range(N_CAT):
        data[f"cat{j}"] = rng.choice([f"c{j}_{i}" for i in range(4 + 3 * j)], rows)
    return pd.DataFrame(data)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()

    from airflow_mlmonitor.drift.beyond import _frame
    from airflow_mlmonitor.drift.engine import compute_column_drift
    from airflow_mlmonitor.drift.multivariate import SAMPLE_SIZES, multivariate_drift
    from airflow_mlmonitor.drift.types import DriftOptions

    types = {f"num{i}": "numerical" for i in range(N_NUM)} | {f"cat{j}": "categorical" for j in range(N_CAT)}
    reference = make_frame(args.rows, 0.9, 1)
    currents = {"null": make_frame(args.rows, 0.9, 2), "correlation flip": make_frame(args.rows, -0.9, 3)}
    multivariate_drift("pca_reconstruction", reference.head(2000), currents["null"].head(2000), types)  # imports
    print(f"{args.rows:,} rows x {len(types)} columns ({N_NUM} numerical + {N_CAT} categorical), reference and current")
    print(f"{'case':<18} {'step':<32} {'seconds':>8} {'score':>8} {'threshold':>9} {'drifted':>8}")
    for case, current in currents.items():
        for method in ("domain_classifier", "pca_reconstruction"):
            start = time.perf_counter()
            names, size = list(types), SAMPLE_SIZES[method]
            verdict = multivariate_drift(method, _frame(reference, names, size), _frame(current, names, size), types)
            took = time.perf_counter() - start
            label = f"{method} ({size:,}/side)"
            print(f"{case:<18} {label:<32} {took:>8.1f} {verdict.score:>8.4f} {verdict.threshold:>9.4f} {verdict.drifted!s:>8}")
        start = time.perf_counter()
        verdicts = compute_column_drift(reference, current, DriftOptions(), types)
        took = time.perf_counter() - start
        drifted = sum(v.drifted for v in verdicts)
        print(f"{case:<18} {'per-column engine (full data)':<32} {took:>8.1f} {'':>8} {'':>9} {f'{drifted}/{len(verdicts)}':>8}")


if __name__ == "__main__":
    main()
