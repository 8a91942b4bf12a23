"""Task and DAG-run metrics under ``dag.test()`` in the real statsd daemon, from callbacks and from the
global listener: a succeeding task, a failing task, a task that fails once then succeeds on retry,
and a task inside a task group."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from typing import Any

import pytest

from tests.fixtures.airflow import ti_states

DAG_TEMPLATE = '''
import datetime, pathlib, tempfile
import pendulum
from airflow.sdk import DAG, TaskGroup, task
from airflow_mlmonitor.notifications.statsd import send_statsd_metrics

CALLBACKS = {callbacks}
notify = send_statsd_metrics(statsd_conn_id="{conn_id}") if CALLBACKS else None
task_callbacks = (
    {{"on_success_callback": notify, "on_failure_callback": notify, "on_retry_callback": notify}}
    if CALLBACKS else {{}}
)
MARKER = pathlib.Path(tempfile.gettempdir()) / "mlmonitor-flaky-{dag_id}"

with DAG(
    "{dag_id}", schedule=None, start_date=pendulum.datetime(2024, 1, 1),
    default_args={{"retries": 0, **task_callbacks}},
    **({{"on_success_callback": notify, "on_failure_callback": notify}} if CALLBACKS else {{}}),
) as dag:

    @task
    def ok():
        return 1

    @task
    def boom():
        raise RuntimeError("this task fails")

    @task(retries=1, retry_delay=datetime.timedelta(seconds=0))
    def flaky():
        if not MARKER.exists():
            MARKER.write_text("failed once")
            raise RuntimeError("first try fails")
        MARKER.unlink()

    with TaskGroup("features"):
        @task
        def build():
            return 2
        build()

    ok()
    boom()
    flaky()
'''

EXPECTED_STATES = {"ok": "success", "boom": "failed", "flaky": "success", "features.build": "success"}


def of_dag(values: dict[str, Any], dag_id: str) -> dict[str, Any]:
    return {k: v for k, v in values.items() if dag_id in k}


def run_dag(dag_runner: Any, dag_id: str, callbacks: bool, conn_id: str = "statsd_default") -> Any:
    source = DAG_TEMPLATE.format(dag_id=dag_id, callbacks=callbacks, conn_id=conn_id)
    dag = dag_runner.load_source(textwrap.dedent(source), dag_id)
    return dag_runner.run(dag)


@pytest.fixture(scope="module")
def module_monkeypatch() -> Iterator[pytest.MonkeyPatch]:
    with pytest.MonkeyPatch.context() as mp:
        yield mp


@pytest.fixture(scope="module")
def callback_run(statsd_daemon, module_monkeypatch, airflow_db) -> Any:
    from airflow_mlmonitor import conf
    from airflow_mlmonitor.hooks.statsd import reset_statsd_clients
    from tests.fixtures.airflow import DagRunner

    module_monkeypatch.setenv("AIRFLOW_CONN_STATSD_DEFAULT", statsd_daemon.conn_uri())
    module_monkeypatch.setenv("AIRFLOW__MLMONITOR__EMIT_TASK_METRICS", "False")
    conf.clear_cache()
    reset_statsd_clients()
    return run_dag(DagRunner(), "telemetry_callbacks", callbacks=True)


@pytest.fixture(scope="module")
def listener_run(statsd_daemon, module_monkeypatch, airflow_db, callback_run) -> Any:
    from airflow_mlmonitor import conf
    from airflow_mlmonitor.hooks.statsd import reset_statsd_clients
    from tests.fixtures.airflow import DagRunner

    module_monkeypatch.setenv("AIRFLOW_CONN_STATSD_DEFAULT", statsd_daemon.conn_uri(tags="dogstatsd"))
    module_monkeypatch.setenv("AIRFLOW__MLMONITOR__EMIT_TASK_METRICS", "True")
    conf.clear_cache()
    reset_statsd_clients()
    try:
        return run_dag(DagRunner(), "telemetry_listener", callbacks=False)
    finally:
        module_monkeypatch.setenv("AIRFLOW__MLMONITOR__EMIT_TASK_METRICS", "False")
        conf.clear_cache()


def test_callbacks_keep_task_states(callback_run):
    assert ti_states(callback_run) == EXPECTED_STATES
    assert str(callback_run.state) in {"failed", "DagRunState.FAILED"}


def test_callbacks_emit_exact_counters(callback_run, statsd_daemon):
    assert of_dag(statsd_daemon.counters("mlmonitor."), "telemetry_callbacks") == {
        "mlmonitor.task.success.telemetry_callbacks.ok": 1,
        "mlmonitor.task.success.telemetry_callbacks.flaky": 1,
        "mlmonitor.task.success.telemetry_callbacks.features_build": 1,
        "mlmonitor.task.failure.telemetry_callbacks.boom": 1,
        "mlmonitor.task.retry.telemetry_callbacks.flaky": 1,
        "mlmonitor.dagrun.failure.telemetry_callbacks": 1,
    }


def test_callbacks_emit_one_duration_per_try(callback_run, statsd_daemon):
    timers = of_dag(statsd_daemon.timers("mlmonitor."), "telemetry_callbacks")
    assert {name: len(values) for name, values in timers.items()} == {
        "mlmonitor.task.duration.telemetry_callbacks.ok": 1,
        "mlmonitor.task.duration.telemetry_callbacks.boom": 1,
        "mlmonitor.task.duration.telemetry_callbacks.flaky": 2,  # the failed try and the retry
        "mlmonitor.task.duration.telemetry_callbacks.features_build": 1,
        "mlmonitor.dagrun.duration.telemetry_callbacks": 1,
    }
    assert all(v >= 0 for values in timers.values() for v in values)
    run_ms = timers["mlmonitor.dagrun.duration.telemetry_callbacks"][0]
    assert run_ms >= max(timers["mlmonitor.task.duration.telemetry_callbacks.ok"])


def test_listener_emits_the_same_series_with_dogstatsd_tags(listener_run, statsd_daemon):
    assert ti_states(listener_run) == EXPECTED_STATES
    tags = "dag_id=telemetry_listener"
    assert of_dag(statsd_daemon.counters("mlmonitor."), tags) == {
        f"mlmonitor.task.success;{tags};task_id=ok": 1,
        f"mlmonitor.task.success;{tags};task_id=flaky": 1,
        f"mlmonitor.task.success;{tags};task_id=features_build": 1,
        f"mlmonitor.task.failure;{tags};task_id=boom": 1,
        f"mlmonitor.task.retry;{tags};task_id=flaky": 1,
        f"mlmonitor.dagrun.failure;{tags}": 1,
    }
    timers = {k: len(v) for k, v in of_dag(statsd_daemon.timers("mlmonitor."), tags).items()}
    assert timers == {
        f"mlmonitor.task.duration;{tags};task_id=ok": 1,
        f"mlmonitor.task.duration;{tags};task_id=boom": 1,
        f"mlmonitor.task.duration;{tags};task_id=flaky": 2,
        f"mlmonitor.task.duration;{tags};task_id=features_build": 1,
        f"mlmonitor.dagrun.duration;{tags}": 1,
    }


@pytest.fixture(scope="module")
def faulty_run(module_monkeypatch, airflow_db, listener_run) -> Any:
    """Callbacks to a host that does not resolve, the listener to a port nobody listens on."""
    import json
    import socket

    from airflow_mlmonitor import conf
    from airflow_mlmonitor.hooks.statsd import reset_statsd_clients
    from tests.fixtures.airflow import DagRunner

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    bad_host = {"conn_type": "statsd", "host": "statsd.does-not-resolve.invalid", "port": 8125}
    module_monkeypatch.setenv("AIRFLOW_CONN_BAD_STATSD", json.dumps(bad_host))
    module_monkeypatch.setenv(
        "AIRFLOW_CONN_STATSD_DEFAULT", json.dumps({"conn_type": "statsd", "host": "127.0.0.1", "port": closed_port})
    )
    module_monkeypatch.setenv("AIRFLOW__MLMONITOR__EMIT_TASK_METRICS", "True")
    conf.clear_cache()
    reset_statsd_clients()
    try:
        return run_dag(DagRunner(), "telemetry_faults", callbacks=True, conn_id="bad_statsd")
    finally:
        module_monkeypatch.setenv("AIRFLOW__MLMONITOR__EMIT_TASK_METRICS", "False")
        conf.clear_cache()
        reset_statsd_clients()


def test_unreachable_targets_leave_every_state_unchanged(faulty_run, statsd_daemon):
    assert ti_states(faulty_run) == EXPECTED_STATES
    assert str(faulty_run.state) in {"failed", "DagRunState.FAILED"}
    assert of_dag(statsd_daemon.counters(), "telemetry_faults") == {}


SUCCESS_DAG = '''
import pendulum
from airflow.sdk import DAG, task
from airflow_mlmonitor.notifications.statsd import send_statsd_metrics

with DAG("telemetry_dag_success", schedule=None, start_date=pendulum.datetime(2024, 1, 1),
         on_success_callback=send_statsd_metrics(), on_failure_callback=send_statsd_metrics()) as dag:
    @task
    def only():
        return 1
    only()
'''


def test_dag_success_callback_emits_success_and_duration(dag_runner, statsd_conn):
    run = dag_runner.run(dag_runner.load_source(SUCCESS_DAG, "telemetry_dag_success"))
    assert ti_states(run) == {"only": "success"}
    assert of_dag(statsd_conn.counters("mlmonitor."), "telemetry_dag_success") == {
        "mlmonitor.dagrun.success.telemetry_dag_success": 1
    }
    timers = of_dag(statsd_conn.timers("mlmonitor."), "telemetry_dag_success")
    assert list(timers) == ["mlmonitor.dagrun.duration.telemetry_dag_success"]
    assert len(timers["mlmonitor.dagrun.duration.telemetry_dag_success"]) == 1
