"""RetrainTriggerOperator under dag.test() with a real metadata DB."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.fixtures.airflow import ti_states, xcom_value

DAG_SOURCE = '''
import datetime as dt
import pendulum
from airflow.sdk import DAG
from airflow_mlmonitor.operators.retrain import RetrainTriggerOperator
from tests.fixtures.checks import ToyCheck

with DAG("retrain_target", schedule=None, start_date=pendulum.datetime(2024, 1, 1)) as target:
    ToyCheck(task_id="noop", passes="yes")

with DAG("retrain_monitor", schedule=None, start_date=pendulum.datetime(2024, 1, 1),
         params={"drift": "no", "cooldown_hours": 0}) as monitor:
    quality = ToyCheck(task_id="quality", passes="yes")
    drift = ToyCheck(task_id="drift", passes="{{ 'no' if params.drift == 'yes' else 'yes' }}", on_failure="fail",
                     bad_summary="drift in income")
    [quality, drift] >> RetrainTriggerOperator(
        task_id="retrain", trigger_dag_id="retrain_target", check_task_ids=["quality", "drift"],
        cooldown=dt.timedelta(hours=1), cooldown_key="{{ params.cooldown_key | default('retrain_target') }}",
        conf={"team": "ml"},
    )
'''


def _target_runs() -> list:
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session

    with create_session() as session:
        runs = session.query(DagRun).filter_by(dag_id="retrain_target").all()
        session.expunge_all()
        return runs


@pytest.fixture(scope="module")
def dags(airflow_db):
    from tests.fixtures.airflow import DagRunner

    runner = DagRunner()
    return runner, runner.load_source(DAG_SOURCE, "retrain_monitor"), runner.load_source(DAG_SOURCE, "retrain_target")


def test_retraining_flow(dags):
    from airflow.models import Variable

    runner, monitor, target = dags
    runner.run(target)  # the target must be known to Airflow (serialised) to be triggered
    before = len(_target_runs())

    # 1. all checks pass: no trigger
    run = runner.run(monitor, run_conf={"drift": "no"})
    assert ti_states(run) == {"quality": "success", "drift": "success", "retrain": "success"}
    assert xcom_value(run, "retrain")["triggered"] is False
    assert "all 2 check(s) passed" in xcom_value(run, "retrain")["reason"]
    assert len(_target_runs()) == before

    # 2. drift fails the check task: exactly one trigger, with the documented conf
    run = runner.run(monitor, run_conf={"drift": "yes"})
    assert ti_states(run)["drift"] == "failed" and ti_states(run)["retrain"] == "success"
    outcome = xcom_value(run, "retrain")
    assert outcome["triggered"] is True and outcome["failing_checks"] == ["drift"]
    triggered = [r for r in _target_runs() if r.run_id == outcome["run_id"]]
    assert len(triggered) == 1 and len(_target_runs()) == before + 1
    conf = triggered[0].conf
    assert conf["source_dag_id"] == "retrain_monitor" and conf["source_run_id"] == run.run_id
    assert conf["team"] == "ml"
    assert "drift in income" in conf["reason"]
    assert conf["checks"]["drift"]["status"] == "failed" and conf["checks"]["quality"]["passed"] is True

    # 3. drift again within the cooldown: no new run
    run = runner.run(monitor, run_conf={"drift": "yes"})
    assert xcom_value(run, "retrain")["triggered"] is False
    assert "in cooldown" in xcom_value(run, "retrain")["reason"]
    assert len(_target_runs()) == before + 1

    # 4. after the cooldown (the recorded trigger moved 2 hours back): one new run
    key = "mlmonitor.retrain.cooldown.retrain_target"
    state = Variable.get(key, deserialize_json=True)
    past = dt.datetime.fromisoformat(state["triggered_at"]) - dt.timedelta(hours=2)
    Variable.set(key, {**state, "triggered_at": past.isoformat()}, serialize_json=True)
    run = runner.run(monitor, run_conf={"drift": "yes"})
    assert xcom_value(run, "retrain")["triggered"] is True
    assert len(_target_runs()) == before + 2


def test_cooldown_record_of_a_run_that_never_started_is_ignored(dags):
    from airflow.models import Variable

    runner, monitor, target = dags
    runner.run(target)
    key = "mlmonitor.retrain.cooldown.ghost"
    now = dt.datetime.now(dt.UTC).isoformat()
    Variable.set(key, {"triggered_at": now, "dag_id": "retrain_target", "run_id": "never_created"}, serialize_json=True)
    run = runner.run(monitor, run_conf={"drift": "yes", "cooldown_key": "ghost"})
    assert xcom_value(run, "retrain")["triggered"] is True
