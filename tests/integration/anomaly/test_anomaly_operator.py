"""MetricAnomalyOperator under dag.test(): planted latency spikes (both methods) from a data file,
and a drift check's stored result history read from the real report store."""

from __future__ import annotations

import os
import pathlib

import numpy as np
import pandas as pd

from tests.fixtures.airflow import ti_states, xcom_value

DAG_SOURCE = '''
import pendulum
from airflow.sdk import DAG
from airflow_mlmonitor.operators.anomaly import MetricAnomalyOperator
from tests.fixtures.checks import ToyCheck

with DAG("anomaly_latency", schedule=None, start_date=pendulum.datetime(2024, 1, 1), params={"path": ""}) as latency:
    MetricAnomalyOperator(task_id="iforest", metric="latency_ms", data="{{ params.path }}", time_column="at")
    MetricAnomalyOperator(task_id="mad", metric="latency_ms", data="{{ params.path }}", time_column="at",
                          method="mad", on_failure="fail")

with DAG("anomaly_history", schedule=None, start_date=pendulum.datetime(2024, 1, 1), params={"passes": "yes"}) as history:
    ToyCheck(task_id="drift", passes="{{ params.passes }}", on_failure="warn") >> MetricAnomalyOperator(
        task_id="drift_anomalies", dag_id="anomaly_history", history_task_id="drift", metric="drift_share",
        method="mad", trigger_rule="all_done",
    )
'''


def _latency_file(tmp_path) -> tuple[str, list[str]]:
    rng = np.random.default_rng(11)
    n = 600
    at = pd.date_range("2025-03-01", periods=n, freq="min", tz="UTC")
    values = rng.lognormal(np.log(120), 0.15, n)
    spikes = [50, 222, 223, 480]
    values[spikes] *= 5
    frame = pd.DataFrame({"at": at, "latency_ms": values}).sample(frac=1.0, random_state=1)  # shuffled rows
    path = tmp_path / "latency.parquet"
    frame.to_parquet(path)
    return str(path), [at[i].isoformat() for i in spikes]


def test_planted_spikes_in_a_latency_file_both_methods(dag_runner, tmp_path):
    path, spikes = _latency_file(tmp_path)
    run = dag_runner.run(dag_runner.load_source(DAG_SOURCE, "anomaly_latency"), run_conf={"path": path})
    assert ti_states(run) == {"iforest": "success", "mad": "failed"}
    for task_id in ("iforest", "mad"):
        result = xcom_value(run, task_id)
        stamps = [a["timestamp"] for a in result["anomalies"]]
        assert result["check"] == "anomaly" and result["passed"] is False
        assert set(spikes) <= set(stamps) and stamps == sorted(stamps), (task_id, stamps)
        assert result["metrics"]["anomalies"] == len(stamps) <= len(spikes) + 3
        html = pathlib.Path(result["report_uri"].removeprefix("file://")).read_text()
        assert "<svg" in html and html.count('class="anomaly"') == len(stamps)
    assert xcom_value(run, "iforest")["status"] == "warned" and xcom_value(run, "mad")["status"] == "failed"


def test_anomaly_in_the_stored_results_of_a_drift_check(dag_runner):
    from airflow_mlmonitor.reports.keys import ReportKey
    from airflow_mlmonitor.reports.store import ReportStore

    store = ReportStore(os.environ["AIRFLOW__MLMONITOR__REPORT_BASE_PATH"])
    rng = np.random.default_rng(5)
    for day in range(1, 21):  # three weeks of ordinary nights: drift share around 0.1
        result = {"check": "drift", "passed": True, "status": "passed", "summary": "ok", "report_uri": None,
                  "metrics": {"drift_share": round(0.1 + rng.normal(0, 0.01), 4)}}
        store.write_result(ReportKey("anomaly_history", f"scheduled__2025-01-{day:02d}T00:00:00+00:00", "drift"), result)
    dag = dag_runner.load_source(DAG_SOURCE, "anomaly_history")

    calm = dag_runner.run(dag, run_conf={"passes": "yes"})  # toy drift share 0.0: a bit low, and flagged
    tonight = dag_runner.run(dag, run_conf={"passes": "no"})  # toy drift share 0.8
    result = xcom_value(tonight, "drift_anomalies")
    assert ti_states(tonight)["drift_anomalies"] == "success" and result["status"] == "warned"
    assert result["points"] == 22 and result["source"] == "stored results of anomaly_history.drift"
    assert result["anomalies"][-1]["value"] == 0.8
    assert result["anomalies"][-1]["timestamp"] > "2026"  # tonight's run, after the seeded history
    assert xcom_value(calm, "drift_anomalies")["points"] == 21
