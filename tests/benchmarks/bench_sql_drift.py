"""Drift on SqlSource inputs in Postgres: worker memory must not grow with the row count.

A fresh Postgres 15 cluster (``tests/fixtures/postgres.py``) holds, per case, a reference and a
current table of N rows x 5 columns (two normal floats, one skewed float, a low-cardinality
integer, a 20-value text category; the current table shifted), generated inside the database
with ``generate_series``. Per case and in a fresh subprocess each (the "worker"):

- ``sql``: ``DriftReportOperator(reference=SqlSource(...), current=SqlSource(...)).run_check`` with
  the native report: aggregates, ``GROUP BY`` counts and sorted value streams from server-side
  cursors;
- ``read_sql``: ``pandas.read_sql`` of both tables, then the same operator on the two frames (the
  file path engine on the same rows).

Printed: wall time after the imports (reading, computing, the report) and peak RSS (the process's VmHWM: Airflow, imports and data included), the
ratio of the SQL path's peak RSS between cases (target: within 1.3x), and whether both paths gave
the same verdicts and scores.

Run: ``make bench-sql`` or ``.venv/bin/python tests/benchmarks/bench_sql_drift.py [--cases 1m 5m]``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

CASES = {"1m": 1_000_000, "5m": 5_000_000, "100k": 100_000}
CONN_ID = "mlmonitor_bench_pg"
COLUMNS = ("amount", "score", "latency", "tier", "segment")

WORKER = r"""
import json, os, resource, sys, time
mode, reference, current = sys.argv[1:4]
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
import pandas, scipy.stats, sqlalchemy  # imports are not timed (the same for both paths)
from airflow_mlmonitor.drift import engine, methods, report
from airflow_mlmonitor.operators.drift import DriftReportOperator
from airflow_mlmonitor.sources import SqlSource
started = time.monotonic()
if mode == "sql":
    inputs = {"reference": SqlSource(CONN_ID, table=reference), "current": SqlSource(CONN_ID, table=current)}
else:
    import pandas as pd
    from airflow.sdk import BaseHook
    engine = BaseHook.get_connection(CONN_ID).get_hook().get_sqlalchemy_engine()
    frames = {side: pd.read_sql(f"SELECT * FROM {table}", engine) for side, table in (("reference", reference), ("current", current))}
    inputs = {side: (lambda frame=frame: frame) for side, frame in frames.items()}
read_s = time.monotonic() - started
operator = DriftReportOperator(task_id="drift", report="native", **inputs)
result, artifacts = operator.run_check({})
with open("/proc/self/status") as status:
    hwm = next(int(line.split()[1]) for line in status if line.startswith("VmHWM"))
print("RESULT " + json.dumps({"seconds": time.monotonic() - started, "read_s": read_s, "peak_rss_mb": hwm / 1024,
                              "columns": result.details["columns"], "report_kb": len(artifacts["report.html"]) / 1024}))
""".replace("CONN_ID", repr(CONN_ID))

GENERATE = """
SELECT setseed({seed});
CREATE TABLE {table} AS
SELECT
  {shift} + sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) AS amount,
  100 * random() + {shift} * 5 AS score,
  exp(1.2 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) + {shift}) AS latency,
  floor(random() * (5 + {shift}))::int AS tier,
  'segment_' || floor(20 * power(random(), 1 + {shift}))::int AS segment
FROM generate_series(1, {rows});
ANALYZE {table};
"""


def worker(mode: str, reference: str, current: str, env: dict[str, str]) -> dict:
    proc = subprocess.run([sys.executable, "-c", WORKER, mode, reference, current], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=3600)
    line = next((line for line in proc.stdout.splitlines() if line.startswith("RESULT ")), None)
    if proc.returncode != 0 or line is None:
        raise SystemExit(f"{mode} worker failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    return json.loads(line[len("RESULT "):])


def same(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(
        a[c]["method"] == b[c]["method"] and a[c]["drifted"] == b[c]["drifted"]
        and abs(a[c]["score"] - b[c]["score"]) <= 1e-9 * max(1.0, abs(b[c]["score"])) for c in a
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="+", default=["1m", "5m"], choices=sorted(CASES))
    parser.add_argument("--skip-read-sql", action="store_true", help="only the SqlSource path")
    args = parser.parse_args(argv)
    import psycopg2

    from tests.fixtures.postgres import running_postgres

    home = Path(os.environ.get("TMPDIR", "/tmp")) / f"mlmonitor-bench-sql-{os.getpid()}"
    (home / "dags").mkdir(parents=True, exist_ok=True)
    rows_out = []
    with running_postgres("shared_buffers=256MB", "work_mem=64MB", "max_parallel_workers_per_gather=0") as pg:
        env = {**os.environ, f"AIRFLOW_CONN_{CONN_ID.upper()}": json.dumps(pg.connection), "AIRFLOW_HOME": str(home),
               "AIRFLOW__CORE__DAGS_FOLDER": str(home / "dags"), "AIRFLOW__MLMONITOR__REPORT_BASE_PATH": str(home / "reports")}
        for case in args.cases:
            rows = CASES[case]
            started = time.monotonic()
            for side, shift, seed in (("reference", 0, 0.1), ("current", 0.2, 0.2)):
                # as the cluster's superuser: the benchmark's connection is the read-only role
                with psycopg2.connect(host="127.0.0.1", port=pg.port, user="postgres", dbname=pg.database) as conn:
                    conn.cursor().execute(GENERATE.format(table=f"{side}_{case}", rows=rows, shift=shift, seed=seed))
            print(f"{case}: generated 2 x {rows:,} rows x {len(COLUMNS)} columns in Postgres "
                  f"({time.monotonic() - started:.0f} s)", flush=True)
            sql = worker("sql", f"reference_{case}", f"current_{case}", env)
            print(f"  sql       {sql['seconds']:7.1f} s  peak RSS {sql['peak_rss_mb']:7.0f} MB", flush=True)
            entry = {"case": case, "rows": rows, "sql": sql}
            if not args.skip_read_sql:
                frame = worker("read_sql", f"reference_{case}", f"current_{case}", env)
                entry["read_sql"] = frame
                print(f"  read_sql  {frame['seconds']:7.1f} s  peak RSS {frame['peak_rss_mb']:7.0f} MB  "
                      f"(read_sql {frame['read_s']:.1f} s)  same verdicts and scores: "
                      f"{same(sql['columns'], frame['columns'])}", flush=True)
            rows_out.append(entry)
    print()
    print(f"{'case':>5} {'rows/side':>10} {'sql s':>7} {'sql MB':>7} {'read_sql s':>10} {'read_sql MB':>11}")
    for e in rows_out:
        frame = e.get("read_sql", {})
        print(f"{e['case']:>5} {e['rows']:>10,} {e['sql']['seconds']:>7.1f} {e['sql']['peak_rss_mb']:>7.0f} "
              f"{frame.get('seconds', float('nan')):>10.1f} {frame.get('peak_rss_mb', float('nan')):>11.0f}")
    if len(rows_out) > 1:
        peaks = [e["sql"]["peak_rss_mb"] for e in rows_out]
        ratio = max(peaks) / min(peaks)
        print(f"SqlSource peak RSS ratio across cases: {ratio:.2f}x (target <= 1.3x): {'ok' if ratio <= 1.3 else 'MISSED'}")
    print(f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
