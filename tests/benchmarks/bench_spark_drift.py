"""Drift on Spark (``local[2]``) next to the file engine on the same parquet files: exact parity,
wall time and the worker's (Python driver's) peak memory.

Data: reference and current parquet files of ``--rows`` rows (default 10,000,000) x 10 columns:
normal with NaN, lognormal (skewed), rounded normal (heavy ties), uniform, integer-valued floats
(1,000 values), a 1,000-value integer (numerical), a 5-value integer (categorical), two string
categories and a bool; the current is shifted. Both engines run Evidently's default methods
(Wasserstein normed / Jensen-Shannon above 1,000 reference rows) plus the native report's
distributions; each in a fresh subprocess. "peak RSS" is the Python process's VmHWM (the Spark
JVM is a separate process: the worker's own memory is what the issue bounds); the JVM's heap is
``spark.driver.memory`` (2g here).

Run: ``make bench-spark`` or ``.venv/bin/python tests/benchmarks/bench_spark_drift.py [--rows N]``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHUNK = 1_000_000

RUN = r'''
import json, os, sys, time
sys.path.insert(0, {root!r})
engine, ref, cur = sys.argv[1:4]
started = time.monotonic()
if engine == "spark":
    from pyspark.sql import SparkSession
    spark = (SparkSession.builder.master("local[2]").config("spark.ui.enabled", "false")
             .config("spark.log.level", "WARN").config("spark.ui.showConsoleProgress", "false")
             .config("spark.driver.memory", "2g").config("spark.sql.shuffle.partitions", "16").getOrCreate())
    from airflow_mlmonitor.sources import SparkSource
    reference, current = (SparkSource(path=p, name=n).columnar() for p, n in ((ref, "reference"), (cur, "current")))
else:
    from airflow_mlmonitor.sources import FileSource
    reference, current = (FileSource(p, name=n).columnar() for p, n in ((ref, "reference"), (cur, "current")))
from airflow_mlmonitor.drift.columns import plan_columns
from airflow_mlmonitor.drift.engine import compute_column_drift
from airflow_mlmonitor.drift.types import DriftOptions
ready = time.monotonic()
plan = plan_columns(reference, current)
verdicts = compute_column_drift(reference, current, DriftOptions(), plan.column_types)
done = time.monotonic()
peak = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM")) // 1024
print(json.dumps({{"setup_s": ready - started, "drift_s": done - ready, "peak_mb": peak,
    "columns": {{v.name: [v.method, v.score, v.drifted, [list(v.distribution.reference), list(v.distribution.current)]]
                for v in verdicts}}}}))
'''


def write(path: Path, rows: int, shifted: bool, seed: int) -> None:
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    s = 0.05 if shifted else 0.0
    writer = None
    for start in range(0, rows, CHUNK):
        n = min(CHUNK, rows - start)
        normal = rng.normal(s, 1, n)
        normal[rng.random(n) < 0.02] = np.nan
        columns = {
            "normal": normal,
            "skewed": rng.lognormal(0, 1 + s, n),
            "ties": np.round(rng.normal(s, 1, n), 1),
            "uniform": rng.uniform(0, 1 + s, n),
            "steps": rng.integers(0, 1000, n).astype(np.float64),
            "count": rng.integers(0, 1000 + int(100 * s), n),
            "level": rng.integers(0, 5, n),
            "country": rng.choice(["FR", "US", "DE", "ES", "IT"], n, p=[0.3, 0.3 - s, 0.2, 0.1 + s, 0.1]),
            "segment": rng.choice([f"s{i}" for i in range(40)], n),
            "flag": rng.random(n) < 0.3 + s,
        }
        table = pa.table(columns)
        writer = writer or pq.ParquetWriter(path, table.schema)
        writer.write_table(table, row_group_size=CHUNK)
    assert writer is not None
    writer.close()


def run(engine: str, ref: Path, cur: Path) -> dict:
    script = RUN.format(root=str(ROOT))
    proc = subprocess.run([sys.executable, "-c", script, engine, str(ref), str(cur)], capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"{engine} run failed:\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def same(a: list, b: list) -> bool:
    method_a, score_a, drifted_a, shape_a = a
    method_b, score_b, drifted_b, shape_b = b
    close = abs(score_a - score_b) <= 1e-9 * max(abs(score_b), 1e-300)
    shapes = all(abs(x - y) <= 1e-12 for s, t in zip(shape_a, shape_b, strict=True) for x, y in zip(s, t, strict=True))
    return method_a == method_b and drifted_a == drifted_b and close and shapes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mlmonitor-bench-spark-") as folder:
        ref, cur = Path(folder) / "reference.parquet", Path(folder) / "current.parquet"
        started = time.monotonic()
        write(ref, args.rows, False, 1)
        write(cur, args.rows, True, 2)
        print(f"data: 2 x {args.rows:,} rows x 10 columns written in {time.monotonic() - started:.0f} s "
              f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
        results = {engine: run(engine, ref, cur) for engine in ("file", "spark")}
    file, spark = results["file"], results["spark"]
    print(f"{'column':<10} {'method':<14} {'file score':>22} {'spark score':>22}  parity")
    for name, expected in file["columns"].items():
        got = spark["columns"][name]
        print(f"{name:<10} {expected[0]:<14} {expected[1]:>22.16g} {got[1]:>22.16g}  {'ok' if same(got, expected) else 'DIFF'}")
    print(f"{'engine':<8} {'setup s':>8} {'drift s':>8} {'peak RSS MB':>12}")
    for engine, r in results.items():
        print(f"{engine:<8} {r['setup_s']:>8.1f} {r['drift_s']:>8.1f} {r['peak_mb']:>12,}")
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    if not all(same(spark["columns"][n], e) for n, e in file["columns"].items()):
        raise SystemExit("parity: FAILED")
    print("parity: every column's method, score (1e-9 relative), verdict and report distribution equal")


if __name__ == "__main__":
    main()
