"""Results API cost vs store size: DB-ordered, limit-bounded listing vs walking the whole store.

Run by hand: ``.venv/bin/python tests/benchmarks/bench_ui_results.py [runs ...]``. Builds a scratch
AIRFLOW_HOME (SQLite, migrated), N DAG runs of one DAG with two check tasks each (result.json in a
local report store), then times ``recent_results(limit=50)`` (what ``/mlmonitor/api/results``
does) against the naive approach (``iter_keys`` over the store, read every result, sort).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time

HOME = tempfile.mkdtemp(prefix="mlmonitor-bench-ui-")
os.environ.update(
    AIRFLOW_HOME=HOME,
    AIRFLOW__CORE__LOAD_EXAMPLES="False",
    AIRFLOW__MLMONITOR__REPORT_BASE_PATH=os.path.join(HOME, "reports"),
)


def build(n_runs: int, dag_id: str) -> None:
    import pendulum
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session

    from airflow_mlmonitor.reports.keys import ReportKey
    from airflow_mlmonitor.reports.store import ReportStore

    store = ReportStore.from_conf()
    start = pendulum.datetime(2024, 1, 1, tz="UTC")
    with create_session() as session:
        for i in range(n_runs):
            when = start.add(hours=i)
            run_id = f"scheduled__{when.isoformat()}"
            session.add(DagRun(dag_id=dag_id, run_id=run_id, run_type="scheduled", run_after=when, state="success"))
            for task_id, check in (("drift", "drift"), ("quality", "data_quality")):
                key = ReportKey(dag_id, run_id, task_id, -1, 1)
                store.write_result(key, {"check": check, "passed": True, "status": "passed", "summary": "ok",
                                         "metrics": {"drift_share": i / n_runs}, "report_uri": None})


def naive(dag_ids: set[str], limit: int) -> list[dict]:
    from airflow_mlmonitor.reports.store import ReportStore

    store = ReportStore.from_conf()
    found = [(key, store.read_result(key)) for key in store.iter_keys(dag_ids)]
    found.sort(key=lambda kr: kr[0].run_id, reverse=True)
    return [r for _, r in found[:limit]]


def timed(fn, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main(sizes: list[int]) -> None:
    airflow = os.path.join(os.path.dirname(sys.executable), "airflow")
    subprocess.run([airflow, "db", "migrate"], check=True, capture_output=True)
    from airflow_mlmonitor.plugins.results import recent_results
    from airflow_mlmonitor.reports.store import ReportStore

    rows = []
    for n in sizes:
        dag_id = f"bench_{n}"
        build(n, dag_id)
        store = ReportStore.from_conf()
        ours = timed(lambda: recent_results(store, {dag_id}, limit=50))  # noqa: B023
        walk = timed(lambda: naive({dag_id}, 50))  # noqa: B023
        assert len(recent_results(store, {dag_id}, limit=50)) == 50
        rows.append((n, ours, walk))
    print(json.dumps({"home": HOME}))
    print(f"{'runs':>7} | {'results API (limit 50)':>23} | {'walk whole store':>17} | speed-up")
    for n, ours, walk in rows:
        print(f"{n:>7} | {ours * 1000:>20.1f} ms | {walk * 1000:>14.1f} ms | {walk / ours:>6.1f}x")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [100, 1000, 5000])
