"""DriftReportOperator under a real metadata DB and dag.test(): policies, the share boundary, mapped
tasks, asset events, report storage, StatsD metrics and the XCom size for a wide frame."""

from __future__ import annotations

import json
import pathlib
import textwrap
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest

from tests.fixtures.airflow import ti_states, xcom_value

DAG_ID = "drift_operator_checks"
DAG_SOURCE = '''
import pendulum
import pandas as pd
from airflow.sdk import DAG, Asset
from airflow_mlmonitor.operators.drift import DriftReportOperator

DATA = {data!r}

def current_shifted():
    return pd.read_parquet(DATA + "/shifted.parquet")

with DAG("{dag_id}", schedule=None, start_date=pendulum.datetime(2024, 1, 1)) as dag:
    DriftReportOperator(task_id="stable", reference=DATA + "/reference.parquet", current=DATA + "/stable.csv",
                        outlets=[Asset("mlmonitor://drift/features")])
    DriftReportOperator(task_id="drift_warn", reference=DATA + "/reference.parquet", current=current_shifted,
                        outlets=[Asset("mlmonitor://drift/warned")], report="evidently")
    DriftReportOperator(task_id="drift_fail", reference=DATA + "/reference.parquet",
                        current=DATA + "/shifted.parquet", on_failure="fail")
    DriftReportOperator(task_id="drift_skip", reference=DATA + "/reference.parquet",
                        current=DATA + "/shifted.parquet", on_failure="skip")
    # 1 of 2 columns drifts: share 0.5 == drift_share is drift, just above is not
    DriftReportOperator(task_id="share_at_boundary", reference=DATA + "/reference.parquet",
                        current=DATA + "/half.parquet", columns=["x", "y"], drift_share=0.5, on_failure="fail")
    DriftReportOperator(task_id="share_below_boundary", reference=DATA + "/reference.parquet",
                        current=DATA + "/half.parquet", columns=["x", "y"], drift_share="{{{{ 0.5 + 0.01 }}}}",
                        on_failure="fail")
    DriftReportOperator.partial(task_id="mapped", reference=DATA + "/reference.parquet").expand(
        current=[DATA + "/stable.csv", DATA + "/shifted.parquet"])
    DriftReportOperator(task_id="wide", reference=DATA + "/wide_reference.parquet",
                        current=DATA + "/wide_current.parquet")
    DriftReportOperator(task_id="bad_columns", reference=DATA + "/reference.parquet",
                        current=DATA + "/renamed.parquet")
'''


def write_data(folder: pathlib.Path) -> None:
    rng = np.random.default_rng(11)

    def features(n: int, shift: float) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "x": rng.normal(shift, 1, n),
                "y": rng.normal(0, 1, n),
                "segment": rng.choice(["a", "b", "c"], n, p=[1 / 3 + shift / 3, 1 / 3 - shift / 6, 1 / 3 - shift / 6]),
            }
        )

    features(500, 0).to_parquet(folder / "reference.parquet")
    features(200, 0).to_csv(folder / "stable.csv", index=False)
    features(200, 1.5).to_parquet(folder / "shifted.parquet")
    features(200, 0).assign(x=rng.normal(3, 1, 200)).to_parquet(folder / "half.parquet")
    features(200, 0).rename(columns={"y": "y2"}).to_parquet(folder / "renamed.parquet")
    columns = [f"feature_with_a_long_descriptive_name_{i:03d}" for i in range(200)]
    pd.DataFrame(rng.normal(0, 1, (30, 200)), columns=columns).to_parquet(folder / "wide_reference.parquet")
    pd.DataFrame(rng.normal(0.8, 1, (30, 200)), columns=columns).to_parquet(folder / "wide_current.parquet")


@pytest.fixture(scope="module")
def module_monkeypatch() -> Iterator[pytest.MonkeyPatch]:
    with pytest.MonkeyPatch.context() as mp:
        yield mp


@pytest.fixture(scope="module")
def drift_run(tmp_path_factory, airflow_db, statsd_daemon, module_monkeypatch) -> Any:
    from airflow_mlmonitor import conf
    from airflow_mlmonitor.hooks.statsd import reset_statsd_clients
    from tests.fixtures.airflow import DagRunner

    data = tmp_path_factory.mktemp("drift-data")
    write_data(data)
    module_monkeypatch.setenv("AIRFLOW_CONN_STATSD_DEFAULT", statsd_daemon.conn_uri())
    conf.clear_cache()
    reset_statsd_clients()
    runner = DagRunner()
    dag = runner.load_source(textwrap.dedent(DAG_SOURCE.format(data=str(data), dag_id=DAG_ID)), DAG_ID)
    return runner.run(dag)


def test_task_states_follow_on_failure(drift_run):
    assert ti_states(drift_run) == {
        "stable": "success",
        "drift_warn": "success",
        "drift_fail": "failed",
        "drift_skip": "skipped",
        "share_at_boundary": "failed",
        "share_below_boundary": "success",
        "mapped[0]": "success",
        "mapped[1]": "success",
        "wide": "success",
        "bad_columns": "failed",
    }


def test_results_are_pushed_before_failing_or_skipping(drift_run):
    expected = {"stable": "passed", "drift_warn": "warned", "drift_fail": "failed", "drift_skip": "failed"}
    for task_id, status in expected.items():
        result = xcom_value(drift_run, task_id)
        assert result["status"] == status, task_id
        assert result["check"] == "drift"
        assert result["dataset_drift"] is (status != "passed"), task_id
    shifted = xcom_value(drift_run, "drift_fail")
    assert shifted["drifted_columns"] == ["segment", "x"]
    assert shifted["metrics"]["drift_share"] == pytest.approx(2 / 3)
    assert shifted["metrics"]["drifted_columns"] == 2 and shifted["metrics"]["n_columns"] == 3
    assert shifted["columns"]["x"]["method"] == "ks" and shifted["columns"]["x"]["drifted"] is True
    assert shifted["columns"]["segment"]["method"] == "chisquare"
    assert shifted["columns"]["y"]["drifted"] is False
    assert xcom_value(drift_run, "bad_columns") is None  # bad input fails before any result


def test_share_equal_to_drift_share_is_dataset_drift(drift_run):
    at, below = xcom_value(drift_run, "share_at_boundary"), xcom_value(drift_run, "share_below_boundary")
    assert at["metrics"]["drift_share"] == below["metrics"]["drift_share"] == 0.5
    assert at["dataset_drift"] is True and at["status"] == "failed"
    assert below["dataset_drift"] is False and below["status"] == "passed"
    assert below["drift_share_threshold"] == 0.51  # templated value rendered and converted


def test_reports_are_stored_not_in_xcom(drift_run):
    result = xcom_value(drift_run, "drift_warn")
    report = pathlib.Path(result["report_uri"].removeprefix("file://"))
    html = report.read_text()
    assert len(html) > 100_000 and "segment" in html  # Evidently's own HTML report
    snapshot = json.loads((report.parent / "evidently.json").read_text())
    assert any(m["config"].get("column") == "x" for m in snapshot["metrics"])
    assert json.loads((report.parent / "result.json").read_text())["status"] == "warned"
    assert len(json.dumps(result)) < 4096
    link = xcom_value(drift_run, "drift_warn", key="_link_MonitoringReportLink")
    assert link.endswith("/drift_warn?map_index=-1&try_number=1")


def test_mapped_tasks_get_one_report_per_map_index(drift_run):
    first, second = (xcom_value(drift_run, "mapped", map_index=i) for i in (0, 1))
    assert (first["status"], second["status"]) == ("passed", "warned")
    uris = {first["report_uri"], second["report_uri"]}
    assert len(uris) == 2
    assert {pathlib.Path(u.removeprefix("file://")).parent.parent.name for u in uris} == {"0", "1"}


def test_outlet_asset_events_carry_the_result(drift_run):
    from airflow.models.asset import AssetEvent
    from airflow.utils.session import create_session

    with create_session() as session:
        events = {
            e.source_task_id: e.extra
            for e in session.query(AssetEvent).filter_by(source_run_id=drift_run.run_id).all()
        }
    assert events["stable"]["mlmonitor"]["status"] == "passed"
    assert events["drift_warn"]["mlmonitor"]["dataset_drift"] is True
    assert events["drift_warn"]["mlmonitor"]["drifted_columns"] == ["segment", "x"]


def test_a_200_column_result_stays_small(drift_run):
    result = xcom_value(drift_run, "wide")
    assert len(result["columns"]) == 200 and "truncated" not in result
    assert len(json.dumps(result).encode()) < 64 * 1024
    assert result["metrics"]["n_columns"] == 200


def test_drift_metrics_reach_statsd(drift_run, statsd_daemon):
    gauges = statsd_daemon.gauges(f"mlmonitor.drift.share.{DAG_ID}.")
    assert gauges[f"mlmonitor.drift.share.{DAG_ID}.drift_fail"] == pytest.approx(2 / 3)
    assert gauges[f"mlmonitor.drift.share.{DAG_ID}.stable"] == 0
    drifted = statsd_daemon.gauges(f"mlmonitor.drift.drifted_columns.{DAG_ID}.")
    assert drifted[f"mlmonitor.drift.drifted_columns.{DAG_ID}.drift_fail"] == 2
    detected = statsd_daemon.counters(f"mlmonitor.drift.detected.{DAG_ID}.")
    assert f"mlmonitor.drift.detected.{DAG_ID}.drift_warn" in detected
    assert f"mlmonitor.drift.detected.{DAG_ID}.stable" not in detected
