"""The whole drift task under ``dag.test()`` next to Evidently's ``DataDriftPreset`` on the same files.

Cases (parquet files, reference unshifted, current shifted):
- ``1m``: 1,000,000 rows x 25 columns (20 numerical, 5 categorical): our task with the default
  (native) report, then Evidently run directly (import, read, ``Report.run``, HTML), and the
  verdicts and scores compared column by column (scores within 1e-6 relative);
- ``10m``: 10,000,000 x 25, our task only (and Evidently with ``--evidently-10m``, capped by
  ``--evidently-timeout``);
- ``10m2`` and ``100m``: 10,000,000 and 100,000,000 x 2 numerical, our task only: above
  ``airflow_mlmonitor.drift.parquet.STREAM_ROWS`` rows numeric columns are summarised as spilled
  sorted streams, so peak RSS at 100M rows should be about that at 10M rows.
Also timed: the column plan + engine alone (no Airflow, no report) on the same files. The load
average of the machine is printed before and after (the figures mean little on a busy machine).

Each measurement runs in a fresh subprocess; "peak RSS" is that process's VmHWM (Airflow,
imports and inputs included). "task s" is the drift task instance's duration recorded by Airflow,
every import of ours and of the libraries we use included. The first task ``dag.test()`` runs in a
process also starts Airflow's in-process execution API (seconds, inside that task's duration),
which a deployed worker does not pay (it talks to a running API server): an empty task runs first
and takes it, printed as "+start-up s"; "ratio" is Evidently against "task s", "cold ratio" against
both together. The CPU seconds are the whole process's (Airflow start-up included).

Run: ``make bench-drift`` or ``.venv/bin/python tests/benchmarks/bench_drift_task.py [--cases 1m 10m 100m]``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

CASES = {"1m": (1_000_000, 20, 5), "10m": (10_000_000, 20, 5), "10m2": (10_000_000, 2, 0), "100m": (100_000_000, 2, 0)}
DAG_ID = "bench_drift_task"
DAG_SOURCE = """
import pendulum
from airflow.sdk import DAG
from airflow_mlmonitor.operators.drift import DriftReportOperator

with DAG({dag_id!r}, schedule=None, start_date=pendulum.datetime(2024, 1, 1)) as dag:
    DriftReportOperator(task_id="drift", reference={reference!r}, current={current!r})
"""
WARMUP_SOURCE = """
import pendulum
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG

with DAG("bench_warmup", schedule=None, start_date=pendulum.datetime(2024, 1, 1)) as dag:
    EmptyOperator(task_id="nothing")
"""


def write_parquet(path: Path, rows: int, n_num: int, n_cat: int, shifted: bool, seed: int) -> None:
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    writer = None
    step = 2_000_000
    for start in range(0, rows, step):
        n = min(step, rows - start)
        rng = np.random.default_rng(seed * 1_000_003 + start)
        data = {}
        for i in range(n_num):
            shift = 0.15 * (i % 2) if shifted else 0.0  # half the numerical columns move
            data[f"num{i}"] = rng.normal(10 * i + shift * (1 + i), 1 + i, n)
        for j in range(n_cat):
            labels = np.array([f"c{j}_{k}" for k in range(4 + 3 * j)])
            weights = np.linspace(1, 2 if shifted and j < 3 else 1, len(labels))
            data[f"cat{j}"] = labels[rng.choice(len(labels), n, p=weights / weights.sum())]
        table = pa.Table.from_pandas(pd.DataFrame(data), preserve_index=False)
        writer = writer or pq.ParquetWriter(path, table.schema)
        writer.write_table(table, row_group_size=500_000)
    assert writer is not None
    writer.close()


def _cpu_seconds() -> float:
    """User + system CPU time of this process (all threads): comparable on a busy machine."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


# ------------------------------------------------------------------------------ workers


def worker_task(reference: str, current: str) -> dict:
    """Our whole task under dag.test(): task duration, result, peak RSS (its progress lines are
    taken from the task log by :func:`measure`)."""
    import importlib.util

    dags = Path(os.environ["AIRFLOW__CORE__DAGS_FOLDER"])
    path = dags / f"{DAG_ID}.py"
    path.write_text(textwrap.dedent(DAG_SOURCE.format(dag_id=DAG_ID, reference=reference, current=current)))

    def load(file: Path) -> Any:
        spec = importlib.util.spec_from_file_location(file.stem, file)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module.dag

    # The first task dag.test() runs in a process also starts Airflow's in-process execution API
    # (seconds, in the task's duration); a deployed worker talks to a running API server instead.
    # An empty task takes that cost first and is reported apart ("Airflow start-up s"); it imports
    # nothing of ours beyond the DAG file, so the drift task still pays every import of its own.
    warmup = dags / "bench_warmup.py"
    warmup.write_text(textwrap.dedent(WARMUP_SOURCE))
    (warm_ti,) = load(warmup).test().get_task_instances()
    preloaded = sorted(m for m in ("pandas", "pyarrow", "scipy", "evidently", "jinja2") if m in sys.modules)
    dag = load(path)
    start = time.perf_counter()
    run = dag.test()
    wall = time.perf_counter() - start
    (ti,) = [t for t in run.get_task_instances() if t.task_id == "drift"]
    from tests.fixtures.airflow import xcom_value

    result = xcom_value(run, "drift")
    report = Path(str(result["report_uri"]).removeprefix("file://")) if result and result.get("report_uri") else None
    return {
        "state": str(ti.state), "task_seconds": ti.duration, "wall_seconds": wall, "peak_mb": _peak_mb(),
        "airflow_startup_seconds": warm_ti.duration, "preloaded": preloaded,
        "cpu_seconds": _cpu_seconds(),
        "columns": result["columns"] if result else {}, "report_bytes": report.stat().st_size if report else None,
        "evidently_imported": "evidently" in sys.modules,
    }


def worker_engine(reference: str, current: str) -> dict:
    """Column plan + engine alone on the parquet files (no Airflow, no report)."""
    import scipy.stats  # noqa: F401  (import cost is not what this row measures)

    from airflow_mlmonitor.drift.columns import plan_columns
    from airflow_mlmonitor.drift.engine import compute_column_drift
    from airflow_mlmonitor.drift.parquet import ParquetColumns
    from airflow_mlmonitor.drift.types import DriftOptions

    start = time.perf_counter()
    ref, cur = ParquetColumns(reference, name="reference"), ParquetColumns(current, name="current")
    plan = plan_columns(ref, cur)
    planned = time.perf_counter() - start
    compute_column_drift(ref, cur, DriftOptions(), plan.column_types)
    return {"plan_seconds": planned, "seconds": time.perf_counter() - start, "peak_mb": _peak_mb(),
            "cpu_seconds": _cpu_seconds()}


def worker_evidently(reference: str, current: str) -> dict:
    """Evidently as a user runs it: import, read both files, DataDriftPreset, the HTML page."""
    import resource
    import warnings

    limit = int(os.environ.get("BENCH_EVIDENTLY_MAX_GB", "0"))
    if limit:
        resource.setrlimit(resource.RLIMIT_AS, (limit << 30, limit << 30))
    warnings.simplefilter("ignore")
    start = time.perf_counter()
    import pandas as pd
    from evidently import Report
    from evidently.presets import DataDriftPreset

    from airflow_mlmonitor.drift.verdicts import method_id

    ref, cur = pd.read_parquet(reference), pd.read_parquet(current)
    snapshot = Report([DataDriftPreset()], include_tests=True).run(cur, ref)
    html = snapshot.get_html_str(as_iframe=False)
    seconds = time.perf_counter() - start
    data = snapshot.dict()
    status = {t["metric_config"]["metric_id"]: t["status"] for t in data["tests"]}
    columns = {
        m["config"]["column"]: {
            "method": method_id(m["config"]["method"]), "score": float(m["value"]),
            "threshold": m["config"]["threshold"], "drifted": status[m["id"]] == "FAIL",
        }
        for m in data["metrics"]
        if m["config"]["type"].endswith("ValueDrift")
    }
    return {"seconds": seconds, "peak_mb": _peak_mb(), "columns": columns, "report_bytes": len(html.encode()),
            "cpu_seconds": _cpu_seconds()}


# ------------------------------------------------------------------------------ driver


def measure(env: dict[str, str], mode: str, reference: str, current: str, timeout: float | None = None) -> dict:
    try:
        out = subprocess.run(
            [sys.executable, __file__, "--worker", mode, reference, current],
            capture_output=True, text=True, cwd=ROOT, env=env, timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return {"error": f"did not finish within {timeout:.0f} s"}
    if out.returncode:
        tail = (out.stderr or out.stdout)[-1500:]
        return {"error": f"exit {out.returncode}: {tail.strip().splitlines()[-1] if tail.strip() else ''}"}
    result = json.loads(out.stdout.strip().splitlines()[-1])
    if mode == "task":  # the task log's progress lines, as a user watching the task sees them
        result["progress"] = re.findall(r"drift: \d+/\d+ columns, [\d.]+ s elapsed", out.stdout + out.stderr)
    return result


def compare(ours: dict, theirs: dict) -> str:
    if ours.keys() != theirs.keys():
        return f"DIFFER (columns {sorted(set(ours) ^ set(theirs))})"
    bad = [
        c for c, t in theirs.items()
        if ours[c]["method"] != t["method"] or ours[c]["drifted"] != t["drifted"]
        or abs(ours[c]["score"] - t["score"]) > 1e-6 * abs(t["score"]) + 1e-300
    ]
    return "equal" if not bad else f"DIFFER {bad}"


def airflow_env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "AIRFLOW_HOME": str(home), "AIRFLOW__CORE__DAGS_FOLDER": str(home / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False", "AIRFLOW__MLMONITOR__REPORT_BASE_PATH": str(home / "reports"),
        "PYTHONPATH": str(ROOT),
    })
    (home / "dags").mkdir(parents=True, exist_ok=True)
    airflow = Path(sys.executable).with_name("airflow")
    subprocess.run([str(airflow), "db", "migrate"], env=env, check=True, capture_output=True)
    return env


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", nargs="*", default=list(CASES), choices=list(CASES))
    parser.add_argument("--dir", help="folder for the temporary files (default: the system temporary folder)")
    parser.add_argument("--data", help="folder where the generated parquet files are kept and reused between runs "
                                       "(default: generated in the temporary folder and deleted)")
    parser.add_argument("--evidently-10m", action="store_true", help="also try Evidently on 10M rows")
    parser.add_argument("--evidently-timeout", type=float, default=900)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-drift-task-", dir=args.dir) as tmp:
        folder = Path(tmp)
        env = airflow_env(folder / "airflow")
        lines = []
        header = (f"{'case':<22}{'ours task s':>12}{'+start-up s':>12}{'CPU s':>7}{'RSS MB':>8}{'plan+engine s':>14}"
                  f"{'RSS MB':>8}{'Evidently s':>12}{'CPU s':>7}{'RSS MB':>8}{'ratio':>8}{'cold ratio':>11}"
                  f"{'CPU ratio':>10}{'report KB':>10}  verdicts")
        data = Path(args.data) if args.data else folder
        data.mkdir(parents=True, exist_ok=True)
        loads = [f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}"]
        for case in args.cases:
            rows, n_num, n_cat = CASES[case]
            ref, cur = data / f"ref-{case}.parquet", data / f"cur-{case}.parquet"
            started = time.perf_counter()
            for path, shifted, seed in ((ref, False, 1), (cur, True, 2)):
                if not (args.data and path.exists()):
                    write_parquet(path, rows, n_num, n_cat, shifted=shifted, seed=seed)
            print(f"{case}: files ready in {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
            ours = measure(env, "task", str(ref), str(cur))
            engine = measure(env, "engine", str(ref), str(cur))
            theirs: dict = {"error": "not run"}
            if case == "1m" or (case == "10m" and args.evidently_10m):
                theirs = measure(env, "evidently", str(ref), str(cur), timeout=args.evidently_timeout)
            print(json.dumps({"case": case, "ours": {k: v for k, v in ours.items() if k != "columns"},
                              "engine": engine, "evidently": {k: v for k, v in theirs.items() if k != "columns"}}),
                  file=sys.stderr, flush=True)
            label = f"{rows:,} x {n_num + n_cat}"
            ours_s = ours.get("task_seconds")
            ev_s = theirs.get("seconds")
            ours_cpu, ev_cpu = ours.get("cpu_seconds"), theirs.get("cpu_seconds")
            startup = ours.get("airflow_startup_seconds")
            cold_s = ours_s + startup if ours_s is not None and startup is not None else None
            lines.append(
                f"{label:<22}{ours_s if ours_s is None else f'{ours_s:.2f}':>12}"
                f"{startup if startup is None else f'{startup:.1f}':>12}{ours_cpu or float('nan'):>7.1f}"
                f"{ours.get('peak_mb', 0):>8.0f}"
                f"{engine.get('seconds', float('nan')):>14.1f}{engine.get('peak_mb', 0):>8.0f}"
                f"{'n/a' if ev_s is None else f'{ev_s:.1f}':>12}{ev_cpu or float('nan'):>7.1f}{theirs.get('peak_mb', 0):>8.0f}"
                f"{(f'{ev_s / ours_s:.1f}x' if ev_s and ours_s else 'n/a'):>8}"
                f"{(f'{ev_s / cold_s:.1f}x' if ev_s and cold_s else 'n/a'):>11}"
                f"{(f'{ev_cpu / ours_cpu:.1f}x' if ev_cpu and ours_cpu else 'n/a'):>10}"
                f"{(ours.get('report_bytes') or 0) / 1024:>10.0f}  "
                + (compare(ours.get("columns", {}), theirs["columns"]) if "columns" in theirs
                   else f"Evidently: {theirs.get('error')}")
                + (f"; ours: {ours['error']}" if "error" in ours else "")
            )
            loads.append(f"load average after {case}: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
            if not args.data:
                for path in (ref, cur):
                    path.unlink()
        print(header)
        print("\n".join(lines))
        print("\n".join(loads))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        mode, reference, current = sys.argv[2:5]
        worker = {"task": worker_task, "engine": worker_engine, "evidently": worker_evidently}[mode]
        print(json.dumps(worker(reference, current), default=str))
    else:
        main()
