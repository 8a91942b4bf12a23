"""Data-volume retraining under dag.test(): two DAGs share one cooldown key; 600-row batches
against min_new_rows=1,000 trigger on the 2nd and 4th batch; a retried task does not count twice."""

from __future__ import annotations

import pytest

from tests.fixtures.airflow import ti_states, xcom_value

DAG_SOURCE = '''
import datetime as dt
import pendulum
from airflow.sdk import DAG, task
from airflow_mlmonitor.operators.retrain import RetrainTriggerOperator


class FlakyTrigger(RetrainTriggerOperator):
    """Fails its first try after counting (as a worker lost mid-task would), then succeeds."""

    def execute(self, context):
        outcome = super().execute(context)
        if context["ti"].try_number == 1 and context["params"].get("flaky"):
            raise RuntimeError("lost the worker after counting")
        return outcome


with DAG("volume_target", schedule=None, start_date=pendulum.datetime(2024, 1, 1)) as target:
    task(lambda: None, task_id="noop")()

for dag_id in ("volume_batches_a", "volume_batches_b"):
    with DAG(dag_id, schedule=None, start_date=pendulum.datetime(2024, 1, 1),
             params={"rows": 600, "flaky": False}) as dag:

        @task(task_id="quality")
        def quality(params=None):
            rows = int(params["rows"])
            return {"check": "data_quality", "passed": True, "status": "passed",
                    "summary": f"{rows} rows ok", "metrics": {"rows": rows}, "report_uri": None}

        quality() >> FlakyTrigger(
            task_id="retrain", trigger_dag_id="volume_target", check_task_ids=["quality"],
            cooldown_key="shared-volume", min_new_rows=1000, retries=1, retry_delay=dt.timedelta(0),
        )
    globals()[dag_id] = dag
'''


def _target_runs() -> list:
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session

    with create_session() as session:
        runs = session.query(DagRun).filter_by(dag_id="volume_target").all()
        session.expunge_all()
        return runs


@pytest.fixture(scope="module")
def dags(airflow_db):
    from tests.fixtures.airflow import DagRunner

    runner = DagRunner()
    target = runner.load_source(DAG_SOURCE, "volume_target")
    runner.run(target)  # the target must be serialised to be triggered
    return runner, runner.load_source(DAG_SOURCE, "volume_batches_a"), runner.load_source(DAG_SOURCE, "volume_batches_b")


def test_volume_counts_across_dags_and_triggers_on_the_second_and_fourth_batch(dags):
    from airflow.models import Variable

    runner, dag_a, dag_b = dags
    before = len(_target_runs())
    outcomes = []
    for batch, dag in enumerate([dag_a, dag_b, dag_a, dag_b], start=1):
        run = runner.run(dag, run_conf={"rows": 600, "flaky": batch == 3})
        assert ti_states(run) == {"quality": "success", "retrain": "success"}, (batch, ti_states(run))
        outcomes.append(xcom_value(run, "retrain"))
    assert [o["triggered"] for o in outcomes] == [False, True, False, True]
    assert [o["new_rows"] for o in outcomes] == [600, 1200, 600, 1200]  # batch 3 retried: still 600
    runs = {r.run_id: r for r in _target_runs()}
    assert len(runs) == before + 2
    conf = runs[outcomes[1]["run_id"]].conf
    assert conf["reason"] == "data_volume" and conf["rows"] == 1200 and conf["min_new_rows"] == 1000
    assert conf["source_dag_id"] == "volume_batches_b"
    assert Variable.get("mlmonitor.retrain.volume.shared-volume", deserialize_json=True)["rows"] == 0


def test_a_retried_trigger_task_does_not_count_twice(dags):
    runner, dag_a, _ = dags
    first = runner.run(dag_a, run_conf={"rows": 300, "flaky": True})
    retrain_ti = next(ti for ti in first.get_task_instances() if ti.task_id == "retrain")
    assert retrain_ti.try_number == 2 and ti_states(first)["retrain"] == "success"
    assert xcom_value(first, "retrain")["new_rows"] == 300
    second = runner.run(dag_a, run_conf={"rows": 300, "flaky": False})
    assert xcom_value(second, "retrain")["new_rows"] == 600
