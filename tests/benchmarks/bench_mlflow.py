"""How fast MLflow faults surface and what the example DAG costs to parse. Run by hand:

    .venv/bin/python tests/benchmarks/bench_mlflow.py

Prints a table: time to a clear error against a refused port and a silent server with the hook's
client (timeout 2 s, 0 retries) versus MLflow's default client (env defaults: 120 s timeout, 7
retries with backoff; cut off after CUTOFF seconds), and the example DAG's parse time versus
importing mlflow.
"""

from __future__ import annotations

import contextlib
import pathlib
import socket
import subprocess
import sys
import threading
import time

CUTOFF = 20.0
REPO = pathlib.Path(__file__).resolve().parents[2]


def _timed(fn) -> float:
    result: dict[str, float] = {}

    def run() -> None:
        start = time.perf_counter()
        with contextlib.suppress(Exception):
            fn()
        result["t"] = time.perf_counter() - start

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(CUTOFF)
    return result.get("t", float("inf"))


def _subprocess_seconds(code: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    from mlflow.tracking import MlflowClient

    from airflow_mlmonitor.registry.client import MLflowSettings, build_client
    from airflow_mlmonitor.registry.refs import resolve

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        refused = f"http://127.0.0.1:{s.getsockname()[1]}"
    silent_sock = socket.socket()
    silent_sock.bind(("127.0.0.1", 0))
    silent_sock.listen(16)
    silent = f"http://127.0.0.1:{silent_sock.getsockname()[1]}"

    rows = []
    for label, uri in (("refused port", refused), ("silent server", silent)):
        ours = build_client(MLflowSettings(uri, timeout=2, max_retries=0))
        rows.append((f"{label}: MLflowHook client (timeout=2, max_retries=0)", _timed(lambda c=ours: resolve(c, "m", "1"))))
        default = MlflowClient(uri)
        rows.append((f"{label}: MlflowClient defaults", _timed(lambda c=default: c.get_model_version("m", "1"))))
    dag = REPO / "example_dags" / "example_model_promotion.py"
    rows.append(("parse example_model_promotion.py (fresh interpreter)", _subprocess_seconds(
        f"import runpy; runpy.run_path({str(dag)!r})")))
    rows.append(("import airflow.sdk + mlflow (fresh interpreter)", _subprocess_seconds("import airflow.sdk, mlflow")))

    width = max(len(r[0]) for r in rows)
    print(f"{'case':<{width}}  seconds")
    for label, seconds in rows:
        shown = f">{CUTOFF:.0f} (cut off)" if seconds == float("inf") else f"{seconds:.2f}"
        print(f"{label:<{width}}  {shown}")


if __name__ == "__main__":
    main()
