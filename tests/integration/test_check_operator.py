"""The shared check-operator machinery under a real metadata DB and dag.test()."""

from __future__ import annotations

import json
import os
import pathlib

from tests.fixtures.airflow import ti_states, xcom_value

DAG_SOURCE = '''
import pendulum
from airflow.sdk import DAG, Asset
from tests.fixtures.checks import ToyCheck

with DAG("toy_checks", schedule=None, start_date=pendulum.datetime(2024, 1, 1)) as dag:
    ToyCheck(task_id="good", passes="yes", outlets=[Asset("mlmonitor://toy")])
    ToyCheck(task_id="bad_fail", passes="no", on_failure="fail")
    ToyCheck(task_id="bad_warn", passes="no", on_failure="warn")
    ToyCheck(task_id="bad_skip", passes="no", on_failure="skip")

class FlakyCheck(ToyCheck):
    def run_check(self, context):
        self.passes = "yes" if context["ti"].try_number >= 2 else "no"
        result, _ = super().run_check(context)
        return result, {"report.html": f"<p>try {context['ti'].try_number}</p>"}

with DAG("toy_retry", schedule=None, start_date=pendulum.datetime(2024, 1, 1)) as retry_dag:
    FlakyCheck(task_id="flaky", passes="no", retries=1, retry_delay=0, retry_on_failure=True)
'''


def test_on_failure_policies_push_result_first(dag_runner, airflow_home: pathlib.Path):
    dag = dag_runner.load_source(DAG_SOURCE, "toy_checks")
    run = dag_runner.run(dag)

    states = ti_states(run)
    assert states == {"good": "success", "bad_fail": "failed", "bad_warn": "success", "bad_skip": "skipped"}
    for task_id, status in {"good": "passed", "bad_fail": "failed", "bad_warn": "warned", "bad_skip": "failed"}.items():
        result = xcom_value(run, task_id)
        assert result["status"] == status, task_id
        assert result["check"] == "drift"
        assert result["report_uri"].startswith("file://")
        stored = pathlib.Path(result["report_uri"].removeprefix("file://"))
        assert stored.read_text() == "<h1>toy</h1>"
        assert json.loads((stored.parent / "result.json").read_text())["status"] == status
        assert stored.parent.name == "1" and stored.parent.parent.name == "-1"  # try 1, not mapped
    assert str(stored).startswith(os.environ["AIRFLOW__MLMONITOR__REPORT_BASE_PATH"])
    link = xcom_value(run, "good", key="_link_MonitoringReportLink")
    assert link.startswith("http://airflow.test/mlmonitor/reports/toy_checks/")
    assert link.endswith("/good?map_index=-1&try_number=1")


def test_outlet_asset_event_carries_the_result(dag_runner):
    from airflow.models.asset import AssetEvent
    from airflow.utils.session import create_session

    dag = dag_runner.load_source(DAG_SOURCE, "toy_checks")
    run = dag_runner.run(dag)
    with create_session() as session:
        events = session.query(AssetEvent).filter_by(source_run_id=run.run_id, source_task_id="good").all()
        assert len(events) == 1
        assert events[0].extra["mlmonitor"]["status"] == "passed"
        assert events[0].extra["mlmonitor"]["metrics"] == {"drift_share": 0.0}


def test_retried_task_gets_a_new_report_folder(dag_runner, airflow_home: pathlib.Path):
    dag = dag_runner.load_source(DAG_SOURCE, "toy_retry")
    run = dag_runner.run(dag)
    assert ti_states(run) == {"flaky": "success"}
    task_dir = pathlib.Path(os.environ["AIRFLOW__MLMONITOR__REPORT_BASE_PATH"]) / "toy_retry" / run.run_id / "flaky" / "-1"
    assert sorted(p.name for p in task_dir.iterdir()) == ["1", "2"]
    assert (task_dir / "1" / "report.html").read_text() == "<p>try 1</p>"
    assert (task_dir / "2" / "report.html").read_text() == "<p>try 2</p>"
    assert json.loads((task_dir / "1" / "result.json").read_text())["status"] == "failed"
    assert xcom_value(run, "flaky")["status"] == "passed"
