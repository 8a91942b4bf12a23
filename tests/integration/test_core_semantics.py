"""Templating of sources and Airflow-native failure semantics, under a real metadata DB and dag.test()."""

from __future__ import annotations

from tests.fixtures.airflow import ti_states, xcom_value

TEMPLATING_DAG = '''
import os, pendulum
import pandas as pd
from airflow.sdk import DAG
from airflow_mlmonitor.operators.quality import DataQualityOperator
from airflow_mlmonitor.operators._check import BaseCheckOperator, template_source
from airflow_mlmonitor.results import CheckResult
from airflow_mlmonitor.sources import SqlSource

CALLS = os.environ["MLMONITOR_TEST_CALLS"]

def load_batch():
    with open(CALLS, "a") as handle:
        handle.write("called\\n")
    return pd.DataFrame({"income": [1.0, 2.0, 3.0]})

class SourceProbe(BaseCheckOperator):
    """Records what its rendered inputs describe, and when the callable ran."""
    template_fields = ("table_input", "batch")

    def __init__(self, *, table_input, batch, **kwargs):
        super().__init__(**kwargs)
        self.table_input = template_source(table_input, "table_input")
        self.batch = template_source(batch, "batch")

    def run_check(self, context):
        calls_before = len(open(CALLS).read().splitlines())
        batch = self.source("batch")
        rows = batch.num_rows
        result = CheckResult(check="data_quality", passed=True, summary="probe", metrics={"rows": rows},
                             details={"table_input": self.source("table_input").describe(), "batch": batch.describe(),
                                      "calls_before_load": calls_before})
        return result, {}

NOT_NULL = [{"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "income"}}]

with DAG("templated_sources", schedule=None, start_date=pendulum.datetime(2024, 1, 1)) as dag:
    SourceProbe(task_id="probe", table_input=SqlSource("warehouse", table="t_{{ ds_nodash }}"), batch=load_batch)
    DataQualityOperator(task_id="sql_quality", data=SqlSource("warehouse", table="t_{{ ds_nodash }}", schema="{{ params.get('schema', 'sales') }}"),
                        expectations=NOT_NULL)
'''

FAILURE_DAG = '''
import os, pendulum
import pandas as pd
from airflow.sdk import DAG
from airflow_mlmonitor.operators.quality import DataQualityOperator

def batch():
    return pd.DataFrame({"income": [1.0, None, 3.0]})

def record(kind):
    def callback(context):
        ti = context["ti"]
        with open(os.environ["MLMONITOR_TEST_EVENTS"], "a") as handle:
            handle.write(f"{ti.task_id} {kind} {ti.try_number}\\n")
    return callback

EVENTS = {"on_retry_callback": record("up_for_retry"), "on_failure_callback": record("failed")}

NOT_NULL = [{"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "income"}}]

with DAG("quality_failure_semantics", schedule=None, start_date=pendulum.datetime(2024, 1, 1)) as dag:
    DataQualityOperator(task_id="fails_once", data=batch, expectations=NOT_NULL, retries=3, retry_delay=0, **EVENTS)
    DataQualityOperator(task_id="retries", data=batch, expectations=NOT_NULL, retries=3, retry_delay=0,
                        retry_on_failure=True, **EVENTS)
'''


def test_templated_sql_source_and_callable_source_in_one_dag(dag_runner, tmp_path, monkeypatch):
    import pendulum
    from airflow.models.renderedtifields import RenderedTaskInstanceFields
    from airflow.utils.session import create_session

    calls = tmp_path / "calls.txt"
    calls.write_text("")
    monkeypatch.setenv("MLMONITOR_TEST_CALLS", str(calls))
    dag = dag_runner.load_source(TEMPLATING_DAG, "templated_sources")
    assert calls.read_text() == ""  # parsing the DAG file called nothing
    run = dag_runner.run(dag, logical_date=pendulum.datetime(2024, 3, 5, tz="UTC"))

    assert ti_states(run) == {"probe": "success", "sql_quality": "failed"}
    probe = xcom_value(run, "probe")
    assert probe["table_input"] == "SqlSource(conn_id='warehouse', table='t_20240305')"  # rendered by Airflow
    assert probe["batch"].startswith("callable ") and probe["batch"].endswith("load_batch")
    assert probe["calls_before_load"] == 0  # template rendering did not call it
    assert calls.read_text().splitlines() == ["called"]  # called exactly once, by the check
    assert probe["metrics"]["rows"] == 3
    with create_session() as session:
        rendered = {
            row.task_id: row.rendered_fields
            for row in session.query(RenderedTaskInstanceFields).filter_by(dag_id=run.dag_id, run_id=run.run_id)
        }
    # the task instance's rendered fields show the source as rendered (the SQL source cannot read yet)
    assert rendered["sql_quality"]["data"] == "SqlSource(conn_id='warehouse', schema='sales', table='t_20240305')"
    assert rendered["probe"]["batch"].startswith("callable ")


def test_a_failed_check_fails_at_once_and_retry_on_failure_retries(dag_runner, tmp_path, monkeypatch):
    events = tmp_path / "events.txt"
    events.write_text("")
    monkeypatch.setenv("MLMONITOR_TEST_EVENTS", str(events))
    dag = dag_runner.load_source(FAILURE_DAG, "quality_failure_semantics")
    run = dag_runner.run(dag)

    assert ti_states(run) == {"fails_once": "failed", "retries": "failed"}
    tries = {ti.task_id: ti.try_number for ti in run.get_task_instances()}
    assert tries == {"fails_once": 1, "retries": 4}  # retries=3 burnt only with retry_on_failure=True
    assert sorted(events.read_text().splitlines()) == [
        "fails_once failed 1",  # AirflowFailException: straight to failed, no retry burnt
        "retries failed 4",
        "retries up_for_retry 1", "retries up_for_retry 2", "retries up_for_retry 3",
    ]
    for task_id in ("fails_once", "retries"):
        result = xcom_value(run, task_id)
        assert (result["status"], result["passed"]) == ("failed", False)  # pushed before failing
