"""Cost of StatsD telemetry: one emitted metric, one notifier call, and the fault paths.

Run by hand: ``.venv/bin/python tests/benchmarks/bench_statsd.py``. Metrics go to a local UDP socket
(nobody reads it: the cost measured is ours, not the daemon's). Prints a comparison table with the
plain ``statsd`` package client as the baseline. Target: under 100 microseconds per metric.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import sys
import tempfile
import time
import types
from collections.abc import Callable

os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="bench-statsd-"))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def per_call_us(fn: Callable[[], object], n: int) -> float:
    fn()  # warm: first call resolves the connection and creates the client
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(n):
            fn()
        best = min(best, (time.perf_counter() - start) / n)
    return best * 1e6


def first_call_ms(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def main() -> None:
    import statsd

    from airflow_mlmonitor.hooks.statsd import get_telemetry, reset_statsd_clients
    from airflow_mlmonitor.notifications.statsd import StatsdNotifier
    from airflow_mlmonitor.telemetry.checks import emit_check_metrics

    sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sink.bind(("127.0.0.1", 0))
    port = sink.getsockname()[1]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]

    def conn(name: str, host: str, p: int, **extra: str) -> None:
        os.environ[f"AIRFLOW_CONN_{name.upper()}"] = json.dumps(
            {"conn_type": "statsd", "host": host, "port": p, "extra": extra}
        )

    conn("statsd_default", "127.0.0.1", port)
    conn("dog", "127.0.0.1", port, tags="dogstatsd")
    conn("bad_host", "statsd.does-not-resolve.invalid", 8125)
    conn("closed", "127.0.0.1", closed_port)
    reset_statsd_clients()

    start = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    ti = types.SimpleNamespace(dag_id="train_model", task_id="features.build", state="success",
                               start_date=start, end_date=start + dt.timedelta(seconds=3))
    context = {"ti": ti}
    drift = {"check": "drift", "metrics": {"drift_share": 0.4, "drifted_columns": 4}, "dataset_drift": False}

    baseline = statsd.StatsClient("127.0.0.1", port, prefix="mlmonitor")
    telemetry = get_telemetry()
    dog = get_telemetry("dog")
    rows: list[tuple[str, float, str]] = []
    n = 20000
    rows.append(("statsd package StatsClient.incr (baseline)", per_call_us(lambda: baseline.incr("a.b.c"), n), "1"))
    rows.append(("one metric: Telemetry.emit, plain names", per_call_us(
        lambda: telemetry.emit([("task.success", {"dag_id": "train_model", "task_id": "features.build"}, 1)]), n), "1"))
    rows.append(("one metric: Telemetry.emit, dogstatsd tags", per_call_us(
        lambda: dog.emit([("task.success", {"dag_id": "train_model", "task_id": "features.build"}, 1)]), n), "1"))
    rows.append(("get_telemetry() cached lookup", per_call_us(get_telemetry, n), "0"))
    rows.append(("emit_check_metrics(drift result)", per_call_us(
        lambda: emit_check_metrics(drift, dag_id="train_model", task_id="drift"), n), "2"))
    notifier = StatsdNotifier()
    rows.append(("StatsdNotifier()(task context)", per_call_us(lambda: notifier(context), 5000), "2"))
    bad = StatsdNotifier(statsd_conn_id="bad_host")
    bad_first = first_call_ms(lambda: bad(context))
    rows.append(("notifier, unresolvable host (after 1st call)", per_call_us(lambda: bad(context), 5000), "0"))
    closed = StatsdNotifier(statsd_conn_id="closed")
    closed_first = first_call_ms(lambda: closed(context))
    rows.append(("notifier, closed port", per_call_us(lambda: closed(context), 5000), "2"))

    print(f"{'operation':<48} {'us/call':>9} {'metrics':>8} {'us/metric':>10}")
    print("-" * 78)
    for name, us, metrics in rows:
        per_metric = f"{us / int(metrics):.2f}" if int(metrics) else "-"
        print(f"{name:<48} {us:>9.2f} {metrics:>8} {per_metric:>10}")
    print("-" * 78)
    print(f"first call, unresolvable host (lookup + bounded DNS wait): {bad_first:.2f} ms")
    print(f"first call, closed port (lookup + client creation):        {closed_first:.2f} ms")


if __name__ == "__main__":
    main()
